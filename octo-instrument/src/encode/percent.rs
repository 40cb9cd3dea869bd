//! Percent-encoding read back (`%XX`), as the OTLP header variables and the W3C `baggage`
//! header carry values.

/// `text` with its `%XX` sequences decoded; `None` for a broken sequence, or a result that is
/// not UTF-8.
pub(crate) fn decode(text: &str) -> Option<String> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(byte) = bytes.next() {
        if byte == b'%' {
            let high = char::from(bytes.next()?).to_digit(16)?;
            let low = char::from(bytes.next()?).to_digit(16)?;
            out.push(u8::try_from(high * 16 + low).ok()?);
        } else {
            out.push(byte);
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn sequences_are_decoded_and_broken_ones_refused() {
        assert_eq!(decode("a%20b%2Cc").as_deref(), Some("a b,c"));
        assert_eq!(decode("caf%C3%A9").as_deref(), Some("café"));
        for broken in ["bad%2", "%+1", "%zz", "%FF"] {
            assert_eq!(decode(broken), None, "{broken}");
        }
    }
}

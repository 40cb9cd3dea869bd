//! The grammar of a request id the HTTP layer keeps from an inbound `X-Request-ID`: 1 to
//! [`MAX_LEN`] bytes of ASCII letters, digits and [`PUNCTUATION`]. The runtime checks inbound
//! headers with it; `octo-ops` matches the ids in log lines with [`pattern`], so a link from a
//! log line finds every id the runtime can write.
//!
//! ```
//! use octo_instrument_core::request_id;
//!
//! assert!(request_id::is_well_formed("req_9f86d081884c7d65"));
//! assert!(!request_id::is_well_formed("evil\r\nSet-Cookie: a=b"));
//! assert_eq!(request_id::pattern(), "[A-Za-z0-9._:-]{1,128}");
//! ```

/// Longest inbound id kept as it is, in bytes.
pub const MAX_LEN: usize = 128;

/// The bytes an id may hold besides ASCII letters and digits: none needs escaping in a header, a
/// log line or a URL path segment.
pub const PUNCTUATION: &[u8] = b"._:-";

/// Whether `byte` may appear in a request id.
pub fn is_id_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || PUNCTUATION.contains(&byte)
}

/// Whether `id` is a request id to keep: 1 to [`MAX_LEN`] bytes, each an [`is_id_byte`].
pub fn is_well_formed(id: &str) -> bool {
    (1..=MAX_LEN).contains(&id.len()) && id.bytes().all(is_id_byte)
}

/// The grammar as a regular expression (Go's RE2, as Grafana reads it, and Python's `re` agree on
/// it): `[A-Za-z0-9._:-]{1,128}`.
pub fn pattern() -> String {
    // Inside a class only `-` is special among these, making a range unless it comes last.
    let mut class: String = PUNCTUATION
        .iter()
        .filter(|byte| **byte != b'-')
        .map(|byte| char::from(*byte))
        .collect();
    if PUNCTUATION.contains(&b'-') {
        class.push('-');
    }
    format!("[A-Za-z0-9{class}]{{1,{MAX_LEN}}}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pattern_states_the_predicate() {
        assert_eq!(pattern(), "[A-Za-z0-9._:-]{1,128}");
        let class: Vec<u8> = (0..=u8::MAX).filter(|b| is_id_byte(*b)).collect();
        let expected: Vec<u8> = (b'0'..=b'9')
            .chain(b'A'..=b'Z')
            .chain(b'a'..=b'z')
            .chain(PUNCTUATION.iter().copied())
            .collect();
        let mut sorted = expected.clone();
        sorted.sort_unstable();
        assert_eq!(class, sorted);
    }

    #[test]
    fn kept_or_not() {
        for kept in ["a", "req_1", "A.b_c:d-e", &"x".repeat(MAX_LEN)] {
            assert!(is_well_formed(kept), "{kept:?}");
        }
        for bad in [
            "",
            " ",
            "a b",
            "a\r\nb",
            "é",
            "a/b",
            "a\0",
            &"x".repeat(MAX_LEN + 1),
        ] {
            assert!(!is_well_formed(bad), "{bad:?}");
        }
    }
}

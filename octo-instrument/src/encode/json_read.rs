//! Reading back the JSON values this crate writes (one field's value on a line), typed: what an
//! OTLP log record carries for each field of its line.

/// A JSON value as this crate writes them (one field's value on a line), read back typed:
/// what an OTLP log record carries for the line's field.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Read<'a> {
    Str(&'a str),
    Int(i64),
    Double(f64),
    Bool(bool),
    Null,
}

/// `value` as an OTLP `AnyValue`; `None` for `null`, which has none.
#[cfg(feature = "otlp")]
pub(crate) fn any(value: Read<'_>) -> Option<crate::encode::protobuf::AnyValue<'_>> {
    use crate::encode::protobuf::AnyValue;
    Some(match value {
        Read::Str(text) => AnyValue::Str(text),
        Read::Int(value) => AnyValue::Int(value),
        Read::Double(value) => AnyValue::Double(value),
        Read::Bool(value) => AnyValue::Bool(value),
        Read::Null => return None,
    })
}

/// Reads `value`, one JSON value; a string is unescaped into `text` (cleared first). Anything
/// that is not a scalar (or not valid) reads as its own text.
pub(crate) fn read<'a>(value: &'a str, text: &'a mut String) -> Read<'a> {
    match value {
        "true" => return Read::Bool(true),
        "false" => return Read::Bool(false),
        "null" => return Read::Null,
        _ => {}
    }
    if let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        text.clear();
        if !inner.contains('\\') {
            return Read::Str(inner);
        }
        return if unescape(inner, text) {
            Read::Str(text)
        } else {
            Read::Str(value)
        };
    }
    if value.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        if !value.contains(['.', 'e', 'E'])
            && let Ok(int) = value.parse::<i64>()
        {
            return Read::Int(int);
        }
        if let Ok(double) = value.parse::<f64>() {
            return Read::Double(double);
        }
    }
    Read::Str(value)
}

/// The characters of a JSON string's inside; false when an escape is broken.
fn unescape(inner: &str, out: &mut String) -> bool {
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let escaped = match chars.next() {
            Some('"') => '"',
            Some('\\') => '\\',
            Some('/') => '/',
            Some('b') => '\u{8}',
            Some('f') => '\u{c}',
            Some('n') => '\n',
            Some('r') => '\r',
            Some('t') => '\t',
            Some('u') => {
                let Some(high) = hex4(&mut chars) else {
                    return false;
                };
                let code = if (0xD800..0xDC00).contains(&high) {
                    // A surrogate pair: the low half follows as `\uXXXX`.
                    if chars.next() != Some('\\') || chars.next() != Some('u') {
                        return false;
                    }
                    let Some(low) = hex4(&mut chars).filter(|low| (0xDC00..0xE000).contains(low))
                    else {
                        return false;
                    };
                    0x10000 + ((high - 0xD800) << 10) + (low.wrapping_sub(0xDC00) & 0x3FF)
                } else {
                    high
                };
                match char::from_u32(code) {
                    Some(c) => c,
                    None => return false,
                }
            }
            _ => return false,
        };
        out.push(escaped);
    }
    true
}

fn hex4(chars: &mut std::str::Chars<'_>) -> Option<u32> {
    let mut value = 0;
    for _ in 0..4 {
        value = value * 16 + chars.next()?.to_digit(16)?;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::json::write_str;

    #[test]
    fn values_read_back_typed() {
        let mut text = String::new();
        assert_eq!(read("5", &mut text), Read::Int(5));
        assert_eq!(read("-0.0015", &mut text), Read::Double(-0.0015));
        assert_eq!(read("1e3", &mut text), Read::Double(1000.0));
        assert_eq!(
            read("18446744073709551615", &mut text),
            Read::Double(1.844_674_407_370_955_2e19)
        );
        assert_eq!(read("true", &mut text), Read::Bool(true));
        assert_eq!(read("null", &mut text), Read::Null);
        assert_eq!(read("\"plain\"", &mut text), Read::Str("plain"));
        let original = "a \"quoted\" line\nwith \\ tab\t, control \u{1}, é and 🦀";
        let mut line = String::new();
        write_str(&mut line, original);
        assert_eq!(read(&line, &mut text), Read::Str(original));
        assert_eq!(read("\"\\ud83e\\udd80\"", &mut text), Read::Str("🦀"));
        assert_eq!(
            read("\"broken \\x\"", &mut text),
            Read::Str("\"broken \\x\"")
        );
    }
}

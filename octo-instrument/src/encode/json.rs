//! JSON values straight into a line buffer: the standard's encodings
//! (`octo_instrument_core::json`), and bounded strings for values a client controls.

use std::fmt::{self, Write};

use octo_instrument_core::json::Escaper;
pub(crate) use octo_instrument_core::json::{
    push_ascii, write_f64, write_i64, write_str, write_u64,
};

use crate::limits::{Budget, TRUNCATED_MARKER, prefix};

/// Appends `value` as a JSON string holding at most `max` bytes of it, then
/// [`TRUNCATED_MARKER`] when it was longer; returns whether it was cut.
pub(crate) fn write_str_within(out: &mut String, value: &str, max: usize) -> bool {
    if value.len() <= max {
        write_str(out, value);
        return false;
    }
    out.push('"');
    let _ = Escaper(out).write_str(prefix(value, max));
    out.push_str(TRUNCATED_MARKER);
    out.push('"');
    true
}

/// As [`write_str_within`], for a `Display`/`Debug` value: formatting stops at `max` bytes, so a
/// huge value costs no more than its first `max` bytes.
pub(crate) fn write_fmt_str_within(
    out: &mut String,
    value: fmt::Arguments<'_>,
    max: usize,
) -> bool {
    out.push('"');
    let mut budget = Budget::new(Escaper(out), max);
    let _ = budget.write_fmt(value);
    let cut = budget.exceeded;
    if cut {
        out.push_str(TRUNCATED_MARKER);
    }
    out.push('"');
    cut
}

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
                    let Some(low) = hex4(&mut chars) else {
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

    #[test]
    fn bounded_strings_are_cut_with_the_marker() {
        let mut out = String::new();
        assert!(write_str_within(&mut out, "a\"bcdef", 3));
        assert_eq!(out, format!("\"a\\\"b{TRUNCATED_MARKER}\""));
        let mut out = String::new();
        assert!(!write_str_within(&mut out, "abc", 3));
        assert_eq!(out, "\"abc\"");
        let mut out = String::new();
        assert!(write_fmt_str_within(
            &mut out,
            format_args!("{:?}", vec![1; 1000]),
            4
        ));
        assert_eq!(out, format!("\"[1, {TRUNCATED_MARKER}\""));
        let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert!(parsed.as_str().unwrap().ends_with(TRUNCATED_MARKER));
    }
}

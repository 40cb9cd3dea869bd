//! JSON encoding of field values, straight into the line buffer.

use std::fmt::{self, Write};

use crate::limits::{Budget, TRUNCATED_MARKER, prefix};

/// Appends `value` as a JSON string, quotes included.
pub(crate) fn write_str(out: &mut String, value: &str) {
    out.push('"');
    let mut escaper = Escaper(out);
    let _ = escaper.write_str(value);
    out.push('"');
}

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

/// Appends an unsigned integer without going through `fmt` (it is on every log line).
pub(crate) fn write_u64(out: &mut String, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        // `value % 10` is below 10, so the cast cannot truncate.
        #[allow(clippy::cast_possible_truncation)]
        let digit = (value % 10) as u8;
        digits[start] = b'0' + digit;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&digits[start..]).expect("ASCII digits"));
}

/// Appends a signed integer.
pub(crate) fn write_i64(out: &mut String, value: i64) {
    if value < 0 {
        out.push('-');
    }
    write_u64(out, value.unsigned_abs());
}

/// Appends a float with at most three decimals (milliseconds to the microsecond), trailing
/// zeros dropped; JSON has no NaN or infinity, so those become strings.
pub(crate) fn write_f64(out: &mut String, value: f64) {
    if !value.is_finite() {
        let _ = write!(out, "\"{value}\"");
        return;
    }
    // Fast path for the common range; tiny and huge values keep full precision through `fmt`.
    if value.abs() < 1e12 && (value == 0.0 || value.abs() >= 1e-3) {
        // In range: |value * 1000| < 1e15 fits an i64 exactly enough for three decimals.
        #[allow(clippy::cast_possible_truncation)]
        let thousandths = (value * 1000.0).round() as i64;
        if thousandths < 0 {
            out.push('-');
        }
        let thousandths = thousandths.unsigned_abs();
        write_u64(out, thousandths / 1000);
        let mut fraction = thousandths % 1000;
        if fraction != 0 {
            out.push('.');
            let mut width = 3;
            while fraction.is_multiple_of(10) {
                fraction /= 10;
                width -= 1;
            }
            let mut digits = [b'0'; 3];
            for slot in digits[..width].iter_mut().rev() {
                #[allow(clippy::cast_possible_truncation)]
                let digit = (fraction % 10) as u8;
                *slot = b'0' + digit;
                fraction /= 10;
            }
            out.push_str(std::str::from_utf8(&digits[..width]).expect("ASCII digits"));
        }
        return;
    }
    let _ = write!(out, "{value}");
}

struct Escaper<'a>(&'a mut String);

impl Write for Escaper<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let out = &mut *self.0;
        let mut start = 0;
        for (i, byte) in s.bytes().enumerate() {
            let escape = match byte {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0..=0x1f | 0x7f => "",
                _ => continue,
            };
            out.push_str(&s[start..i]);
            if escape.is_empty() {
                let _ = write!(out, "\\u{byte:04x}");
            } else {
                out.push_str(escape);
            }
            start = i + 1;
        }
        out.push_str(&s[start..]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers() {
        let render = |v: i64| {
            let mut out = String::new();
            write_i64(&mut out, v);
            out
        };
        assert_eq!(render(0), "0");
        assert_eq!(render(42), "42");
        assert_eq!(render(i64::MIN), "-9223372036854775808");
        let mut out = String::new();
        write_u64(&mut out, u64::MAX);
        assert_eq!(out, "18446744073709551615");
    }

    #[test]
    fn escapes_what_json_requires() {
        let mut out = String::new();
        write_str(&mut out, "a\"b\\c\nd\u{1}é");
        assert_eq!(out, r#""a\"b\\c\nd\u0001é""#);
        let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(parsed, "a\"b\\c\nd\u{1}é");
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

    #[test]
    fn floats() {
        let render = |v: f64| {
            let mut out = String::new();
            write_f64(&mut out, v);
            out
        };
        assert_eq!(render(12.0), "12");
        assert_eq!(render(1.23456), "1.235");
        assert_eq!(render(2.5), "2.5");
        assert_eq!(render(-0.25), "-0.25");
        assert_eq!(render(0.0), "0");
        assert_eq!(render(0.0001), "0.0001");
        assert_eq!(render(1e20), "100000000000000000000");
        assert_eq!(render(f64::NAN), "\"NaN\"");
        for value in [0.012, 51.461, 999.9996, 123_456.789] {
            let parsed: f64 = render(value).parse().unwrap();
            assert!((parsed - value).abs() <= 0.0005, "{value}");
        }
    }
}

//! JSON encoding of field values, straight into the line buffer.

use std::fmt::{self, Write};

/// Appends `value` as a JSON string, quotes included.
pub(crate) fn write_str(out: &mut String, value: &str) {
    out.push('"');
    let mut escaper = Escaper(out);
    let _ = escaper.write_str(value);
    out.push('"');
}

/// Appends a `Display`/`Debug` value as a JSON string without building it first.
pub(crate) fn write_fmt_str(out: &mut String, value: fmt::Arguments<'_>) {
    out.push('"');
    let _ = Escaper(out).write_fmt(value);
    out.push('"');
}

/// Appends a float; JSON has no NaN or infinity, so those become strings.
pub(crate) fn write_f64(out: &mut String, value: f64) {
    if value.is_finite() {
        // Three decimals are enough for milliseconds (microsecond resolution) and keep lines
        // short; integers print without a fraction.
        if value.fract() == 0.0 && value.abs() < 1e15 {
            let _ = write!(out, "{value:.0}");
        } else if value.abs() >= 1e-3 {
            let _ = write!(out, "{value:.3}");
        } else {
            let _ = write!(out, "{value}");
        }
    } else {
        let _ = write!(out, "\"{value}\"");
    }
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
    fn escapes_what_json_requires() {
        let mut out = String::new();
        write_str(&mut out, "a\"b\\c\nd\u{1}é");
        assert_eq!(out, r#""a\"b\\c\nd\u0001é""#);
        let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(parsed, "a\"b\\c\nd\u{1}é");
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
        assert_eq!(render(0.0001), "0.0001");
        assert_eq!(render(f64::NAN), "\"NaN\"");
    }
}

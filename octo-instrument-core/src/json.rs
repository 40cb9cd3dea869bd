//! JSON encodings every output shares: strings escaped as JSON requires, integers, and floats in
//! their shortest round-trip form, so a number keeps its precision wherever it goes
//! (`slo_error_ratio = 0.0015` is exported as `0.0015`, a field `0.9995` logs as `0.9995`).
//! Durations are cut to whole microseconds where they are measured ([`millis`]), not here.
//!
//! ```
//! use octo_instrument_core::json;
//!
//! let mut out = String::new();
//! json::write_f64(&mut out, 0.0015);
//! out.push(' ');
//! json::write_str(&mut out, "a \"quote\"");
//! assert_eq!(out, r#"0.0015 "a \"quote\"""#);
//! ```

use std::fmt::{self, Write};
use std::time::Duration;

/// Appends `value` as a JSON string, quotes included.
pub fn write_str(out: &mut String, value: &str) {
    out.push('"');
    let _ = Escaper(out).write_str(value);
    out.push('"');
}

/// Appends `bytes`, which must be ASCII (digits, hex, punctuation the encoders assemble on the
/// stack): checked a word at a time, where `str::from_utf8` would look at every byte.
///
/// # Panics
///
/// If `bytes` is not ASCII.
///
/// ```
/// let mut out = String::new();
/// octo_instrument_core::json::push_ascii(&mut out, b"0042");
/// assert_eq!(out, "0042");
/// ```
#[inline]
pub fn push_ascii(out: &mut String, bytes: &[u8]) {
    assert!(bytes.is_ascii(), "push_ascii takes ASCII only");
    // SAFETY: ASCII is valid UTF-8, and the assertion above checked it is ASCII.
    out.push_str(unsafe { std::str::from_utf8_unchecked(bytes) });
}

/// Two ASCII digits for every number below 100.
const DIGIT_PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Writes `value` right-aligned into `digits`, two digits at a time; returns where it starts.
#[inline]
fn digits_into(digits: &mut [u8; 20], mut value: u64) -> usize {
    let mut start = digits.len();
    while value >= 100 {
        // Below 100, so the cast keeps it whole.
        #[allow(clippy::cast_possible_truncation)]
        let pair = (value % 100) as usize * 2;
        value /= 100;
        start -= 2;
        digits[start..start + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    #[allow(clippy::cast_possible_truncation)]
    let last = value as usize;
    if last >= 10 {
        start -= 2;
        digits[start..start + 2].copy_from_slice(&DIGIT_PAIRS[last * 2..last * 2 + 2]);
    } else {
        start -= 1;
        digits[start] = DIGIT_PAIRS[last * 2 + 1];
    }
    start
}

/// Appends `value` as exactly `width` digits (zero-padded; `value` must fit).
#[inline]
pub fn write_padded(out: &mut String, value: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let start = digits_into(&mut digits, value).min(digits.len() - width);
    push_ascii(out, &digits[start..]);
}

/// Appends an unsigned integer without going through `fmt` (it is on every log line).
pub fn write_u64(out: &mut String, value: u64) {
    let mut digits = [0u8; 20];
    let start = digits_into(&mut digits, value);
    push_ascii(out, &digits[start..]);
}

/// Appends a signed integer.
pub fn write_i64(out: &mut String, value: i64) {
    if value < 0 {
        out.push('-');
    }
    write_u64(out, value.unsigned_abs());
}

/// Appends a float in its shortest form that reads back as the same `f64`. JSON has no NaN or
/// infinity: those become strings.
pub fn write_f64(out: &mut String, value: f64) {
    if !value.is_finite() {
        let _ = write!(out, "\"{value}\"");
        return;
    }
    // Fast path for values with at most three decimals (durations in milliseconds, rounded to
    // the microsecond, are most of the floats on log lines): integer arithmetic only. It is
    // taken only when those three decimals give back `value` exactly, so it never rounds.
    if value.abs() < 1e12 {
        // In range: |value * 1000| < 1e15 fits an i64. The cast truncates; the nearest whole
        // number of thousandths is that or the next one away from zero (no rounding call).
        #[allow(clippy::cast_possible_truncation)]
        let truncated = (value * 1000.0) as i64;
        let away = truncated + if value < 0.0 { -1 } else { 1 };
        for thousandths in [truncated, away] {
            #[allow(clippy::float_cmp)] // exactly equal, or the fast path would round
            if thousandths as f64 / 1000.0 == value {
                write_thousandths(out, thousandths);
                return;
            }
        }
    }
    // `Display` of `f64` is the shortest round-trip form, without an exponent.
    let _ = write!(out, "{value}");
}

fn write_thousandths(out: &mut String, thousandths: i64) {
    if thousandths < 0 {
        out.push('-');
    }
    let thousandths = thousandths.unsigned_abs();
    write_u64(out, thousandths / 1000);
    let mut fraction = thousandths % 1000;
    if fraction == 0 {
        return;
    }
    out.push('.');
    let mut width = 3;
    while fraction.is_multiple_of(10) {
        fraction /= 10;
        width -= 1;
    }
    write_padded(out, fraction, width);
}

/// A duration in milliseconds, in whole microseconds: the `duration_ms` of log lines. Integer
/// arithmetic only (no float rounding call), since every observed call computes it.
pub fn millis(elapsed: Duration) -> f64 {
    let micros = elapsed
        .as_secs()
        .saturating_mul(1_000_000)
        .saturating_add(u64::from(elapsed.subsec_micros()));
    micros as f64 / 1000.0
}

/// A `fmt::Write` that escapes what it is given as the inside of a JSON string.
pub struct Escaper<'a>(pub &'a mut String);

impl Write for Escaper<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let out = &mut *self.0;
        let bytes = s.as_bytes();
        let mut start = 0;
        let mut i = first_special(bytes, 0);
        while i < bytes.len() {
            let byte = bytes[i];
            out.push_str(&s[start..i]);
            match byte {
                b'"' => out.push_str("\\\""),
                b'\\' => out.push_str("\\\\"),
                b'\n' => out.push_str("\\n"),
                b'\r' => out.push_str("\\r"),
                b'\t' => out.push_str("\\t"),
                _ => {
                    let _ = write!(out, "\\u{byte:04x}");
                }
            }
            start = i + 1;
            i = first_special(bytes, start);
        }
        out.push_str(&s[start..]);
        Ok(())
    }
}

/// The bytes that must be escaped inside a JSON string (DEL too: it is invisible on a
/// terminal), as a table: one load per byte.
const SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = true;
        byte += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table[0x7f] = true;
    table
};

/// The index of the first byte at or after `from` that must be escaped, or `bytes.len()`.
#[inline]
fn first_special(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|byte| SPECIAL[usize::from(*byte)])
        .map_or(bytes.len(), |at| from + at)
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // reading back the exact value is the point
mod tests {
    use super::*;

    fn f(value: f64) -> String {
        let mut out = String::new();
        write_f64(&mut out, value);
        out
    }

    #[test]
    fn integers() {
        let mut out = String::new();
        write_i64(&mut out, i64::MIN);
        out.push(' ');
        write_u64(&mut out, u64::MAX);
        out.push(' ');
        write_i64(&mut out, 0);
        assert_eq!(out, "-9223372036854775808 18446744073709551615 0");
    }

    #[test]
    fn floats_keep_their_precision() {
        for (value, text) in [
            (12.0, "12"),
            (2.5, "2.5"),
            (-0.25, "-0.25"),
            (0.0, "0"),
            (0.0015, "0.0015"),
            (0.9995, "0.9995"),
            (0.0001, "0.0001"),
            (1.23456, "1.23456"),
            (30.526, "30.526"),
            (1e20, "100000000000000000000"),
            (0.1 + 0.2, "0.30000000000000004"),
        ] {
            assert_eq!(f(value), text, "{value}");
            assert_eq!(f(value).parse::<f64>().unwrap(), value);
        }
        assert_eq!(f(f64::NAN), "\"NaN\"");
        assert_eq!(f(f64::INFINITY), "\"inf\"");
    }

    #[test]
    fn durations_are_in_whole_microseconds() {
        assert_eq!(f(millis(Duration::from_nanos(30_526_900))), "30.526");
        assert_eq!(f(millis(Duration::from_nanos(1_999_600))), "1.999");
        assert_eq!(f(millis(Duration::from_secs(3))), "3000");
    }

    #[test]
    fn strings_escape_what_json_requires() {
        let mut out = String::new();
        write_str(&mut out, "a\"b\\c\nd\u{1}é");
        assert_eq!(out, r#""a\"b\\c\nd\u0001é""#);
        let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(parsed, "a\"b\\c\nd\u{1}é");
    }

    /// The word-at-a-time scan finds every special byte wherever it sits in a chunk, next to
    /// any other byte (multi-byte UTF-8 included).
    #[test]
    fn every_special_byte_is_found_at_every_position() {
        let specials = ['"', '\\', '\n', '\r', '\t', '\u{0}', '\u{1f}', '\u{7f}'];
        let fillers = ["a", "é", "\u{80}", "~", " "];
        for special in specials {
            for filler in fillers {
                for len in 0..20 {
                    for at in 0..=len {
                        let mut text: String = filler.repeat(len);
                        let index = text.char_indices().nth(at).map_or(text.len(), |(i, _)| i);
                        text.insert(index, special);
                        let mut out = String::new();
                        write_str(&mut out, &text);
                        let parsed: serde_json::Value =
                            serde_json::from_str(&out).unwrap_or_else(|err| panic!("{out}: {err}"));
                        assert_eq!(parsed, text.as_str());
                        assert!(
                            !out[1..out.len() - 1].bytes().any(|b| b < 0x20 || b == 0x7f),
                            "{out:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn integers_two_digits_at_a_time() {
        let mut value = 1u64;
        for _ in 0..64 {
            for v in [
                value - 1,
                value,
                value.saturating_add(1),
                value.saturating_mul(10) - 1,
            ] {
                let mut out = String::new();
                write_u64(&mut out, v);
                assert_eq!(out, v.to_string());
            }
            value = value.saturating_mul(2);
        }
        let mut out = String::new();
        write_u64(&mut out, u64::MAX);
        assert_eq!(out, u64::MAX.to_string());
        let mut out = String::new();
        write_padded(&mut out, 42, 6);
        write_padded(&mut out, 7, 1);
        write_padded(&mut out, 0, 3);
        assert_eq!(out, "0000427000");
    }

    #[test]
    fn floats_near_whole_thousandths() {
        for value in [
            0.001,
            -0.001,
            2.675,
            -2.675,
            1e11 + 0.5,
            0.1 + 0.2,
            -1e-9,
            999.9995,
        ] {
            let mut out = String::new();
            write_f64(&mut out, value);
            assert_eq!(out.parse::<f64>().unwrap(), value, "{out}");
        }
    }
}

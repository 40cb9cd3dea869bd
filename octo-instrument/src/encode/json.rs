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

#[cfg(test)]
mod tests {
    use super::*;

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

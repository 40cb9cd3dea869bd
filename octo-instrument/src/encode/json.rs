//! JSON values straight into a line buffer: the standard's encodings
//! (`octo_instrument_core::json`), and bounded strings for values a client controls.

use std::fmt::{self, Write};

use octo_instrument_core::json::Escaper;
pub(crate) use octo_instrument_core::json::{
    push_ascii, write_f64, write_i64, write_str, write_u64,
};

use crate::limits::{Marked, cut_parts};

/// Appends `value` as a JSON string of at most `max` characters: cut, ending in
/// [`TRUNCATED_MARKER`](crate::limits::TRUNCATED_MARKER), when it is longer; returns whether it
/// was cut.
pub(crate) fn write_str_within(out: &mut String, value: &str, max: usize) -> bool {
    let Some((kept, marker)) = cut_parts(value, max) else {
        write_str(out, value);
        return false;
    };
    out.push('"');
    let _ = Escaper(out).write_str(kept);
    out.push_str(marker);
    out.push('"');
    true
}

/// As [`write_str_within`], for a `Display`/`Debug` value: formatting stops at `max`
/// characters, so a huge value costs no more than its beginning.
pub(crate) fn write_fmt_str_within(
    out: &mut String,
    value: fmt::Arguments<'_>,
    max: usize,
) -> bool {
    out.push('"');
    let mut marked = Marked::new(Escaper(&mut *out), max);
    let _ = marked.write_fmt(value);
    let cut = marked.finish();
    out.push('"');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::TRUNCATED_MARKER;

    #[test]
    fn bounded_strings_are_cut_with_the_marker() {
        let mut out = String::new();
        assert!(write_str_within(&mut out, "a\"bcdefghijklmnopq", 15));
        assert_eq!(out, format!("\"a\\\"b{TRUNCATED_MARKER}\""));
        let mut out = String::new();
        assert!(!write_str_within(&mut out, "abc", 3));
        assert_eq!(out, "\"abc\"");
        let mut out = String::new();
        assert!(write_fmt_str_within(
            &mut out,
            format_args!("{:?}", vec![1; 1000]),
            16
        ));
        assert_eq!(out, format!("\"[1, {TRUNCATED_MARKER}\""));
        let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
        let text = parsed.as_str().unwrap();
        assert!(text.ends_with(TRUNCATED_MARKER));
        assert_eq!(text.chars().count(), 16, "the marker within the limit");
    }
}

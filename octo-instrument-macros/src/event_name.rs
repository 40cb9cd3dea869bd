//! The grammar of event names, checked when the user's crate compiles.
//!
//! The runtime holds the same grammar in `octo_instrument::event` for names that only exist at
//! run time; both are tested against `testdata/event_names.rs`.

use proc_macro2::Span;
use syn::LitStr;

/// Longest event name accepted, in bytes.
pub(crate) const MAX_LEN: usize = 128;

/// Last segments that `#[observed]` appends itself, so an event may not end in one.
pub(crate) const OUTCOME_SUFFIXES: &[&str] = &[
    "started",
    "completed",
    "failed",
    "panicked",
    "cancelled",
    "slow",
];

/// Checks an `#[observed]` event name: the grammar, and no outcome suffix. The error is a
/// complete sentence for the user.
pub(crate) fn check(name: &str) -> Result<(), String> {
    check_grammar(name)?;
    let segments: Vec<&str> = name.split('.').collect();
    let last = segments[segments.len() - 1];
    if OUTCOME_SUFFIXES.contains(&last) {
        return Err(format!(
            "event name {name:?} ends in `{last}`, which `#[observed]` adds itself; name the \
             operation instead (\"{}\")",
            segments[..segments.len() - 1].join(".")
        ));
    }
    Ok(())
}

/// Checks the grammar alone: what a log event (`info!("task.created", ..)`) or a catalog entry
/// must satisfy.
pub(crate) fn check_grammar(name: &str) -> Result<(), String> {
    if name.len() > MAX_LEN {
        return Err(format!(
            "event name is {} bytes long; the limit is {MAX_LEN}",
            name.len()
        ));
    }
    let segments: Vec<&str> = name.split('.').collect();
    if segments.len() < 2 {
        return Err(format!(
            "event name {name:?} needs at least two `.`-separated segments, as in \"task.processing\""
        ));
    }
    for segment in &segments {
        if segment.is_empty() {
            return Err(format!(
                "event name {name:?} has an empty segment; segments are separated by single dots"
            ));
        }
        if !is_segment(segment) {
            return Err(format!(
                "invalid segment `{segment}` in event name {name:?}: segments are lowercase \
                 `[a-z][a-z0-9_]*`, as in \"task.processing\""
            ));
        }
    }
    Ok(())
}

fn is_segment(segment: &str) -> bool {
    let mut bytes = segment.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z'))
        && bytes.all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_'))
}

/// The span of `range` inside the string literal, where the compiler can give one; the whole
/// literal otherwise (stable Rust has no literal subspans yet).
pub(crate) fn segment_span(lit: &LitStr, range: std::ops::Range<usize>) -> Span {
    // +1 skips the opening quote; only plain literals without escapes map byte-for-byte.
    let raw = lit.token().to_string();
    let plain = raw.starts_with('"') && !raw.contains('\\');
    plain
        .then(|| lit.token().subspan(range.start + 1..range.end + 1))
        .flatten()
        .unwrap_or_else(|| lit.span())
}

/// Checks an `#[observed]` literal, spanning the error on the offending segment where possible.
pub(crate) fn check_lit(lit: &LitStr) -> syn::Result<String> {
    check_lit_with(lit, check)
}

/// Checks a log event's literal (grammar only).
pub(crate) fn check_log_lit(lit: &LitStr) -> syn::Result<String> {
    check_lit_with(lit, check_grammar)
}

fn check_lit_with(lit: &LitStr, check: fn(&str) -> Result<(), String>) -> syn::Result<String> {
    let name = lit.value();
    match check(&name) {
        Ok(()) => Ok(name),
        Err(message) => {
            let span = offending_range(&name).map_or(lit.span(), |r| segment_span(lit, r));
            Err(syn::Error::new(span, message))
        }
    }
}

fn offending_range(name: &str) -> Option<std::ops::Range<usize>> {
    let mut start = 0;
    for segment in name.split('.') {
        let end = start + segment.len();
        if !segment.is_empty() && !is_segment(segment) {
            return Some(start..end);
        }
        start = end + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::check;

    const CASES: &[(&str, Option<&str>)] = include!("../../testdata/event_names.rs");

    #[test]
    fn shared_table() {
        for (name, expected) in CASES {
            match (check(name), expected) {
                (Ok(()), None) => {}
                (Err(message), Some(fragment)) => assert!(
                    message.contains(fragment),
                    "{name:?}: message {message:?} lacks {fragment:?}"
                ),
                (got, want) => panic!("{name:?}: got {got:?}, want {want:?}"),
            }
        }
    }
}

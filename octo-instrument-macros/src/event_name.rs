//! Event-name literals, checked when the user's crate compiles by the standard's one grammar
//! (`octo_instrument_core::event_name`), the error pointed at the offending segment.

use octo_instrument_core::event_name::{self, EventNameError};
use proc_macro2::Span;
use syn::LitStr;

/// The span of `range` inside the string literal, where the compiler can give one; the whole
/// literal otherwise (stable Rust has no literal subspans yet).
fn segment_span(lit: &LitStr, range: std::ops::Range<usize>) -> Span {
    // +1 skips the opening quote; only plain literals without escapes map byte-for-byte.
    let raw = lit.token().to_string();
    let plain = raw.starts_with('"') && !raw.contains('\\');
    plain
        .then(|| lit.token().subspan(range.start + 1..range.end + 1))
        .flatten()
        .unwrap_or_else(|| lit.span())
}

/// Checks an `#[observed]` literal: the grammar, and no outcome suffix.
pub(crate) fn check_lit(lit: &LitStr) -> syn::Result<String> {
    check_lit_with(lit, event_name::check_observed)
}

/// Checks a log event's literal (grammar only).
pub(crate) fn check_log_lit(lit: &LitStr) -> syn::Result<String> {
    check_lit_with(lit, event_name::check_grammar)
}

fn check_lit_with(
    lit: &LitStr,
    check: fn(&str) -> Result<(), EventNameError>,
) -> syn::Result<String> {
    let name = lit.value();
    match check(&name) {
        Ok(()) => Ok(name),
        Err(err) => {
            let span = err.range().map_or(lit.span(), |r| segment_span(lit, r));
            Err(syn::Error::new(span, err))
        }
    }
}

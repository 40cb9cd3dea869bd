//! Data the runtime keeps about spans, on the ground floor where every layer can read it:
//! - the contract fields and request id, in the registry's span extensions, reached from a
//!   `tracing::Span` handle;
//! - the code location of an observed call's span;
//! - the trace and span ids of the spans this thread made and entered ([`ids`]), which log
//!   lines and sampling decisions read.

mod ids;

pub(crate) use ids::{
    EnteredParent, KnownIds, enter, enter_known, enter_unknown, exit, forget_ids, ids_of,
    ids_of_anywhere, known_anywhere, known_without_entering, remember_ids, set_lookup,
    with_current_ids,
};
#[cfg(feature = "otel-sdk")]
pub(crate) use ids::{sdk_layer_exists, sdk_layer_made};

use tracing::Span;
use tracing_subscriber::Registry;
use tracing_subscriber::registry::{LookupSpan, SpanRef};

use crate::encode::fields::Fields;

/// Where an `#[observed]` function is: its span's `code.function.name` (fully qualified),
/// `code.file.path` and `code.line.number`, from the call site's statics.
#[doc(hidden)]
#[derive(Debug)]
pub struct CodeLocation {
    pub function: &'static str,
    pub file: &'static str,
    pub line: u32,
}

/// The contract fields recorded on one span (`record(..)`), which every line inside it carries.
pub(crate) struct ContractFields(pub(crate) Fields);

/// Calls `f` with `span`'s registry entry; `None` when the span is disabled or the current
/// subscriber is not built on a `Registry` (then there is nowhere to keep anything).
pub(crate) fn with_span_ref<R>(
    span: &Span,
    f: impl FnOnce(SpanRef<'_, Registry>) -> R,
) -> Option<R> {
    span.with_subscriber(|(id, dispatch)| {
        let registry = dispatch.downcast_ref::<Registry>()?;
        registry.span(id).map(f)
    })
    .flatten()
}

/// Adds `key` with a string value to the fields every line inside `span` carries, without making
/// it a span attribute: for what a line needs and the trace conventions have no attribute for
/// (the request id, allow-listed baggage).
pub(crate) fn add_line_field(span: &Span, key: &'static str, value: &str) {
    use crate::encode::fields::SpanFields;
    with_span_ref(span, |span| {
        let mut extensions = span.extensions_mut();
        if let Some(SpanFields(fields)) = extensions.get_mut::<SpanFields>() {
            fields.push_str(key, value);
        } else {
            let mut fields = Fields::default();
            fields.push_str(key, value);
            extensions.insert(SpanFields(fields));
        }
    });
}

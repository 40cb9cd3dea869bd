//! Data the runtime keeps on a span (contract fields, the request id), in the registry's span
//! extensions, reached from a `tracing::Span` handle; and the ids of the current span, which
//! log lines and sampling decisions read.

use opentelemetry::trace::TraceContextExt;

use crate::encode::fields::Fields;

/// The contract fields recorded on one span (`record(..)`), which every line inside it carries.
pub(crate) struct ContractFields(pub(crate) Fields);

use tracing::Span;
use tracing_subscriber::Registry;
use tracing_subscriber::registry::{LookupSpan, SpanRef};

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

/// Calls `f` with the current span's trace id and span id bytes, if there is a valid one.
pub(crate) fn with_current_ids<R>(f: impl FnOnce([u8; 16], [u8; 8]) -> R) -> Option<R> {
    opentelemetry::Context::map_current(|cx| {
        let span = cx.span();
        let context = span.span_context();
        context
            .is_valid()
            .then(|| f(context.trace_id().to_bytes(), context.span_id().to_bytes()))
    })
}

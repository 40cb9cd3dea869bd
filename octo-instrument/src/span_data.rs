//! Data the runtime keeps on a span (contract fields, the request id), in the registry's span
//! extensions, reached from a `tracing::Span` handle.

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

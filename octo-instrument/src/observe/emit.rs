//! Emits the observed log lines through the call site's static tracing callsites, with the same
//! enabled checks `tracing::event!` makes, so filtered-out lines cost a couple of loads.

use tracing::Span;
use tracing_core::callsite::{Callsite, DefaultCallsite};
use tracing_core::field::{Field, Value};
use tracing_core::{Event, LevelFilter, dispatcher};

use super::site::LOG_FIELDS;

/// Values of one log line, by position in [`LOG_FIELDS`].
#[derive(Default)]
pub(crate) struct Line<'a> {
    pub(crate) event: &'a str,
    pub(crate) duration_ms: Option<f64>,
    pub(crate) error: Option<&'a dyn Value>,
    pub(crate) error_type: Option<&'a str>,
    pub(crate) error_code: Option<&'a str>,
    pub(crate) panic: Option<&'a str>,
    pub(crate) threshold_ms: Option<u64>,
    pub(crate) ret: Option<&'a dyn Value>,
}

/// Whether a line at this callsite would be recorded by anyone.
#[inline]
pub(crate) fn enabled(callsite: &'static DefaultCallsite) -> bool {
    let metadata = callsite.metadata();
    if *metadata.level() > tracing::level_filters::STATIC_MAX_LEVEL
        || *metadata.level() > LevelFilter::current()
    {
        return false;
    }
    let interest = callsite.interest();
    if interest.is_never() {
        return false;
    }
    interest.is_always() || dispatcher::get_default(|dispatch| dispatch.enabled(metadata))
}

/// Whether a line at this callsite could be recorded, from the static checks alone. Unlike
/// [`enabled`] it never asks the subscriber: an `enabled` answer must be followed by the event
/// itself, or per-layer filters keep the answer and apply it to the next span.
#[inline]
pub(crate) fn maybe_enabled(callsite: &'static DefaultCallsite) -> bool {
    let metadata = callsite.metadata();
    *metadata.level() <= tracing::level_filters::STATIC_MAX_LEVEL
        && *metadata.level() <= LevelFilter::current()
        && !callsite.interest().is_never()
}

/// Emits `line` inside `span` (or the current span where `span` is disabled).
pub(crate) fn emit(callsite: &'static DefaultCallsite, span: &Span, line: &Line<'_>) {
    if !enabled(callsite) {
        return;
    }
    let metadata = callsite.metadata();
    let fields = metadata.fields();
    let mut names = fields.iter();
    let field: [Field; LOG_FIELDS.len()] =
        std::array::from_fn(|_| names.next().expect("call_site! builds all LOG_FIELDS"));
    let event: &dyn Value = &line.event;
    let values: [(&Field, Option<&dyn Value>); LOG_FIELDS.len()] = [
        (&field[0], Some(event)),
        (
            &field[1],
            line.duration_ms.as_ref().map(|v| v as &dyn Value),
        ),
        (&field[2], line.error),
        (&field[3], line.error_type.as_ref().map(|v| v as &dyn Value)),
        (&field[4], line.error_code.as_ref().map(|v| v as &dyn Value)),
        (&field[5], line.panic.as_ref().map(|v| v as &dyn Value)),
        (
            &field[6],
            line.threshold_ms.as_ref().map(|v| v as &dyn Value),
        ),
        (&field[7], line.ret),
    ];
    let value_set = fields.value_set(&values);
    // Inside the span rather than `Event::child_of` it: entering makes the span's trace
    // context current, which is where the log line's `trace_id` and `span_id` come from.
    span.in_scope(|| Event::dispatch(metadata, &value_set));
}

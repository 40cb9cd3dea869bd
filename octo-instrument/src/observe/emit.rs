//! Emits the observed log lines through the call site's static tracing callsites, with the same
//! enabled checks `tracing::event!` makes, so filtered-out lines cost a couple of loads.

use tracing::Span;
use tracing_core::callsite::{Callsite, DefaultCallsite};
use tracing_core::field::{Field, Value};
use tracing_core::{Event, LevelFilter, dispatcher};

/// Declares the fields of an observed log line once: their names, in the order of the tracing
/// field set `call_site!` builds ([`LOG_FIELDS`]), and the [`Line`] that holds one line's values.
macro_rules! log_fields {
    (
        $(#[$first_doc:meta])* $first:ident: $first_ty:ty => $first_name:literal;
        $($(#[$doc:meta])* $field:ident: $ty:ty => $name:literal,)*
    ) => {
        /// The names of the fields every observed log line may carry, in the order of the
        /// tracing field set built by `call_site!`.
        #[doc(hidden)]
        pub const LOG_FIELDS: &[&str] = &[$first_name, $($name),*];

        /// The values of one log line; `None` leaves a field out.
        #[derive(Default)]
        pub(crate) struct Line<'a> {
            $(#[$first_doc])*
            pub(crate) $first: $first_ty,
            $($(#[$doc])* pub(crate) $field: Option<$ty>,)*
        }

        impl Line<'_> {
            /// The values in [`LOG_FIELDS`] order.
            fn values(&self) -> [Option<&dyn Value>; LOG_FIELDS.len()] {
                [
                    Some(&self.$first as &dyn Value),
                    $(self.$field.as_ref().map(|value| value as &dyn Value),)*
                ]
            }
        }
    };
}

log_fields! {
    /// `<event>.started`, `.completed`, ...: always there.
    event: &'a str => "event";
    duration_ms: f64 => "duration_ms",
    error: &'a dyn Value => "error",
    error_type: &'a str => "error_type",
    error_code: &'a str => "error_code",
    panic: &'a str => "panic",
    threshold_ms: u64 => "threshold_ms",
    /// The return value, with `ret`.
    ret: &'a dyn Value => "return",
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

/// Emits the line `line` makes inside `span` (or the current span where `span` is disabled);
/// when nobody records lines at this callsite, only the check runs (the line is not even made).
#[inline]
pub(crate) fn emit<'a>(
    callsite: &'static DefaultCallsite,
    span: &Span,
    line: impl FnOnce() -> Line<'a>,
) {
    if enabled(callsite) {
        dispatch(callsite, span, &line());
    }
}

fn dispatch(callsite: &'static DefaultCallsite, span: &Span, line: &Line<'_>) {
    let metadata = callsite.metadata();
    let fields = metadata.fields();
    let mut names = fields.iter();
    let field: [Field; LOG_FIELDS.len()] =
        std::array::from_fn(|_| names.next().expect("call_site! builds all LOG_FIELDS"));
    let values = line.values();
    let pairs: [(&Field, Option<&dyn Value>); LOG_FIELDS.len()] =
        std::array::from_fn(|i| (&field[i], values[i]));
    let value_set = fields.value_set(&pairs);
    match span.id() {
        // The line names the span as its parent, which costs no enter and exit, wherever its
        // ids can be found that way.
        Some(id) if crate::span_data::known_without_entering(&id) => {
            Event::child_of(id, metadata, &value_set);
        }
        // Entered for the line: entering makes the span's trace context current, which is
        // where the OpenTelemetry SDK's layer keeps the ids the line carries.
        _ => span.in_scope(|| Event::dispatch(metadata, &value_set)),
    }
}

//! What the rest of the runtime does to spans beyond `tracing`'s own API: set attributes and an
//! error status, read a span's context to propagate it, and start a span under a remote parent.
//! Each works with the pipeline the span's subscriber has: the native layer, or (feature
//! `otel-sdk`) the OpenTelemetry SDK's layer; with neither, nothing happens.

use std::fmt::Display;

use tracing::Span;

#[cfg(any(feature = "axum", feature = "reqwest"))]
use super::context::TraceContext;
use super::native::{self, Shared};
use crate::prom::exemplars::Sampled;
use crate::span_data::CodeLocation;

/// An attribute value, typed as it goes on the wire.
pub(crate) use crate::encode::protobuf::AnyValue as Attr;

/// Runs `f` with the native pipeline behind `span`, if that is its pipeline.
fn native<R>(span: &Span, f: impl FnOnce(&Shared, &tracing::span::Id) -> R) -> Option<R> {
    span.with_subscriber(|(id, dispatch)| {
        dispatch
            .downcast_ref::<Shared>()
            .map(|shared| f(shared, id))
    })
    .flatten()
}

/// Sets an attribute of `span` (a string is cut at the span value limit).
#[cfg(any(feature = "axum", feature = "reqwest"))]
pub(crate) fn set_attribute(span: &Span, key: &'static str, value: Attr<'_>) {
    set_attributes(span, &[(key, value)]);
}

/// Sets attributes of `span` at once (one lookup of the span).
pub(crate) fn set_attributes(span: &Span, attributes: &[(&'static str, Attr<'_>)]) {
    let done = native(span, |shared, id| {
        shared.with_sampled(id, |record, limits| {
            for (key, value) in attributes {
                match *value {
                    Attr::Int(v) => record.attrs.set_int(limits, key, v),
                    Attr::Double(v) => record.attrs.set_double(limits, key, v),
                    Attr::Bool(v) => record.attrs.set_bool(limits, key, v),
                    Attr::Str(v) => record.attrs.set_str(limits, key, v),
                }
            }
        });
    });
    if done.is_none() {
        for (key, value) in attributes {
            sdk::set_attribute(span, key, *value);
        }
    }
}

/// Marks `span` failed: status `ERROR` with `message`.
#[cfg(any(feature = "axum", feature = "reqwest"))]
pub(crate) fn set_error(span: &Span, message: &dyn Display) {
    let done = native(span, |shared, id| {
        shared.with_sampled(id, |record, limits| {
            use std::fmt::Write as _;
            record.status = native::StatusCode::Error;
            record.status_message.clear();
            let mut budget =
                crate::limits::Budget::new(&mut record.status_message, limits.value_length);
            let _ = write!(budget, "{message}");
        });
    });
    if done.is_none() {
        sdk::set_error(span, message);
    }
}

/// What went wrong in a span, as the semantic conventions record it: status `ERROR` with the
/// message, `error.type`, and an `exception` event (`exception.type`, `exception.message`, and
/// the `source()` chain as `exception.stacktrace`).
pub(crate) struct Failure<'a> {
    pub(crate) message: &'a dyn Display,
    /// `error.type`: low-cardinality, the same value as the `error_type` label.
    pub(crate) error_type: &'a str,
    /// `exception.type`: the error's full type name (`panic` for a panic).
    pub(crate) exception_type: &'a str,
    pub(crate) source: Option<&'a (dyn std::error::Error + 'a)>,
}

/// Causes an `exception.stacktrace` lists at most.
const MAX_CAUSES: usize = 32;

impl Failure<'_> {
    /// `exception.message` and `exception.stacktrace`, each at most `max` characters: the message,
    /// and the causes below it (`Caused by:` and one numbered line each), empty without any.
    fn texts(&self, max: usize) -> (String, String) {
        use std::fmt::Write as _;
        let mut message = String::new();
        let _ = write!(
            crate::limits::Budget::new(&mut message, max),
            "{}",
            self.message
        );
        let mut chain = String::new();
        let mut budget = crate::limits::Budget::new(&mut chain, max);
        let mut cause = self.source.and_then(std::error::Error::source);
        let mut index = 0;
        // A cycle of causes, or a very deep chain, stops at the value limit or 32 causes.
        while let Some(error) = cause.filter(|_| index < MAX_CAUSES && !budget.exceeded) {
            if index == 0 {
                let _ = budget.write_str("Caused by:");
            }
            let _ = write!(budget, "\n    {index}: {error}");
            index += 1;
            cause = error.source();
        }
        (message, chain)
    }
}

/// Marks `span` failed by the conventions (see [`Failure`]).
pub(crate) fn record_failure(span: &Span, failure: &Failure<'_>) {
    if span.is_disabled() {
        return;
    }
    let done = native(span, |shared, id| {
        shared.with_sampled(id, |record, limits| {
            let (message, chain) = failure.texts(limits.value_length);
            record.status = native::StatusCode::Error;
            record.status_message.clear();
            record.status_message.push_str(&message);
            record
                .attrs
                .set_str(limits, "error.type", failure.error_type);
            let mut event = native::SpanEvent {
                name: "exception",
                unix_nanos: native::now_unix_nanos(),
                ..native::SpanEvent::default()
            };
            event
                .attrs
                .set_str(limits, "exception.type", failure.exception_type);
            event.attrs.set_str(limits, "exception.message", &message);
            if !chain.is_empty() {
                event.attrs.set_str(limits, "exception.stacktrace", &chain);
            }
            record.events.push(event);
        });
    });
    if done.is_none() {
        sdk::record_failure(span, failure);
    }
}

/// `span` as an exemplar of the series its operation (begun at `start`) ended in, `elapsed`
/// later, where its trace is sampled (exported): its ids from the thread's span ids (the native
/// pipeline), else the SDK's context. A disabled span (no trace layer) costs one check.
#[inline]
pub(crate) fn exemplar(
    span: &Span,
    start: std::time::Instant,
    elapsed: std::time::Duration,
) -> Option<Sampled> {
    let id = span.id()?;
    // The SDK is asked only about spans the native pipeline does not know: a native span that
    // is not sampled has no exemplar, and no SDK context either.
    let (trace_id, span_id) = match crate::span_data::known_anywhere(&id) {
        Some((trace_id, span_id, sampled)) => sampled.then_some((trace_id, span_id))?,
        None => sdk::sampled_ids(span)?,
    };
    Some(Sampled {
        trace_id,
        span_id,
        at: start + elapsed,
    })
}

/// The trace context of `span`, to propagate to the next service.
#[cfg(feature = "reqwest")]
pub(crate) fn context(span: &Span) -> Option<TraceContext> {
    match native(span, Shared::context) {
        Some(context) => context,
        None => sdk::context(span),
    }
}

/// Makes the span of an `#[observed]` call (in `make`) with its code location, which the native
/// pipeline keeps as a reference to the call site's statics (nothing copied per call).
pub(crate) fn with_code(code: &'static CodeLocation, make: impl FnOnce() -> Span) -> Span {
    let (span, native) = native::with_code(code, make);
    if !native && !span.is_disabled() {
        sdk::set_code(&span, code);
    }
    span
}

/// Makes a root span (in `make`) under `parent`, a context read from another service: the span
/// continues that trace, and its sampling follows the caller's decision.
#[cfg(feature = "axum")]
pub(crate) fn with_remote_parent(
    parent: Option<TraceContext>,
    make: impl FnOnce() -> Span,
) -> Span {
    match parent {
        None => make(),
        Some(parent) => {
            let span = native::with_remote_parent(parent.clone(), make);
            sdk::set_parent(&span, &parent);
            span
        }
    }
}

/// The same operations for the OpenTelemetry SDK's layer.
#[cfg(feature = "otel-sdk")]
mod sdk {
    #[cfg(any(feature = "axum", feature = "reqwest"))]
    use std::fmt::Display;

    use opentelemetry::trace::Status;
    use opentelemetry::trace::TraceContextExt;
    #[cfg(feature = "axum")]
    use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
    use tracing::Span;
    use tracing_opentelemetry::OpenTelemetrySpanExt;

    use super::Attr;
    #[cfg(any(feature = "axum", feature = "reqwest"))]
    use super::TraceContext;

    pub(super) fn set_attribute(span: &Span, key: &'static str, value: Attr<'_>) {
        if span.is_disabled() {
            return;
        }
        match value {
            Attr::Int(v) => span.set_attribute(key, v),
            Attr::Double(v) => span.set_attribute(key, v),
            Attr::Bool(v) => span.set_attribute(key, v),
            Attr::Str(v) => span.set_attribute(key, span_value(v).into_owned()),
        }
    }

    #[cfg(any(feature = "axum", feature = "reqwest"))]
    pub(super) fn set_error(span: &Span, message: &dyn Display) {
        if !span.is_disabled() {
            span.set_status(Status::error(message.to_string()));
        }
    }

    pub(super) fn record_failure(span: &Span, failure: &super::Failure<'_>) {
        let (message, chain) = failure.texts(crate::limits::span_value_length());
        span.set_status(Status::error(message.clone()));
        span.set_attribute("error.type", failure.error_type.to_owned());
        let mut attributes = vec![
            opentelemetry::KeyValue::new("exception.type", failure.exception_type.to_owned()),
            opentelemetry::KeyValue::new("exception.message", message),
        ];
        if !chain.is_empty() {
            attributes.push(opentelemetry::KeyValue::new("exception.stacktrace", chain));
        }
        span.add_event("exception", attributes);
    }

    pub(super) fn sampled_ids(span: &Span) -> Option<([u8; 16], [u8; 8])> {
        // Only where an SDK layer exists: asking a native span for its SDK context costs a
        // lookup that finds nothing.
        if !crate::span_data::sdk_layer_exists() {
            return None;
        }
        let context = span.context();
        let span = context.span();
        let context = span.span_context();
        (context.is_valid() && context.is_sampled())
            .then(|| (context.trace_id().to_bytes(), context.span_id().to_bytes()))
    }

    pub(super) fn set_code(span: &Span, code: &'static crate::span_data::CodeLocation) {
        // Only spans of the SDK's layer: `context()` is invalid elsewhere.
        if span.is_disabled() || !span.context().span().span_context().is_valid() {
            return;
        }
        span.set_attribute("code.function.name", code.function);
        span.set_attribute("code.file.path", code.file);
        span.set_attribute("code.line.number", i64::from(code.line));
    }

    /// A string attribute as the span keeps it: cut at the span value limit (and counted in
    /// `octo_telemetry_truncated_total{signal="spans"}`) when it is longer.
    fn span_value(value: &str) -> std::borrow::Cow<'_, str> {
        let cut = crate::limits::cut(value, crate::limits::span_value_length());
        if matches!(cut, std::borrow::Cow::Owned(_)) {
            crate::prom::truncated(octo_instrument_core::families::signals::SPANS).inc();
        }
        cut
    }

    #[cfg(feature = "reqwest")]
    pub(super) fn context(span: &Span) -> Option<TraceContext> {
        let context = span.context();
        let span = context.span();
        let context = span.span_context();
        context.is_valid().then(|| TraceContext {
            trace_id: context.trace_id().to_bytes(),
            span_id: context.span_id().to_bytes(),
            sampled: context.is_sampled(),
            trace_state: context.trace_state().header(),
        })
    }

    #[cfg(feature = "axum")]
    pub(super) fn set_parent(span: &Span, parent: &TraceContext) {
        if span.is_disabled() {
            return;
        }
        let state = parent.trace_state.parse::<TraceState>().unwrap_or_default();
        let flags = if parent.sampled {
            TraceFlags::SAMPLED
        } else {
            TraceFlags::default()
        };
        let remote = SpanContext::new(
            TraceId::from_bytes(parent.trace_id),
            SpanId::from_bytes(parent.span_id),
            flags,
            true,
            state,
        );
        let _ = span.set_parent(opentelemetry::Context::new().with_remote_span_context(remote));
    }
}

/// Without the SDK's layer there is nothing else to ask.
#[cfg(not(feature = "otel-sdk"))]
mod sdk {
    #[cfg(any(feature = "axum", feature = "reqwest"))]
    use std::fmt::Display;

    use tracing::Span;

    use super::Attr;
    #[cfg(any(feature = "axum", feature = "reqwest"))]
    use super::TraceContext;

    pub(super) fn set_attribute(_: &Span, _: &'static str, _: Attr<'_>) {}

    pub(super) fn set_code(_: &Span, _: &'static crate::span_data::CodeLocation) {}

    #[cfg(any(feature = "axum", feature = "reqwest"))]
    pub(super) fn set_error(_: &Span, _: &dyn Display) {}

    pub(super) fn record_failure(_: &Span, _: &super::Failure<'_>) {}

    pub(super) fn sampled_ids(_: &Span) -> Option<([u8; 16], [u8; 8])> {
        None
    }

    #[cfg(feature = "reqwest")]
    pub(super) fn context(_: &Span) -> Option<TraceContext> {
        None
    }

    #[cfg(feature = "axum")]
    pub(super) fn set_parent(_: &Span, _: &TraceContext) {}
}

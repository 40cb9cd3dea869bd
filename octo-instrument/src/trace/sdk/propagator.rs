//! The W3C propagators installed as the process-wide OpenTelemetry default with the SDK's
//! pipeline: our strict `traceparent` / `tracestate` reader (`w3c.rs`), then `baggage`.

use opentelemetry::Context;
use opentelemetry::propagation::text_map_propagator::FieldIter;
use opentelemetry::propagation::{
    Extractor, Injector, TextMapCompositePropagator, TextMapPropagator,
};
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use opentelemetry_sdk::propagation::BaggagePropagator;

use crate::trace::w3c::{fit_tracestate, parse_single_traceparent, parse_tracestate};

const TRACEPARENT: &str = "traceparent";
const TRACESTATE: &str = "tracestate";

/// `traceparent` / `tracestate` read strictly by the specification (see `w3c.rs`), where
/// OpenTelemetry's own propagator accepts ids of any length, left-padded; written without an
/// empty `tracestate`.
#[derive(Debug)]
pub(crate) struct StrictTraceContext {
    fields: [String; 2],
}

impl StrictTraceContext {
    pub(crate) fn new() -> Self {
        Self {
            fields: [TRACEPARENT.to_owned(), TRACESTATE.to_owned()],
        }
    }
}

impl TextMapPropagator for StrictTraceContext {
    fn inject_context(&self, cx: &Context, injector: &mut dyn Injector) {
        let span = cx.span();
        let context = span.span_context();
        if !context.is_valid() {
            return;
        }
        let flags = context.trace_flags() & TraceFlags::SAMPLED;
        injector.set(
            TRACEPARENT,
            format!(
                "00-{}-{}-{:02x}",
                context.trace_id(),
                context.span_id(),
                flags.to_u8()
            ),
        );
        let state = context.trace_state().header();
        if !state.is_empty() {
            injector.set(TRACESTATE, state);
        }
    }

    fn extract_with_context(&self, cx: &Context, extractor: &dyn Extractor) -> Context {
        let parent = extractor
            .get_all(TRACEPARENT)
            .and_then(|lines| parse_single_traceparent(lines.into_iter()));
        let Some(parent) = parent else {
            return cx.clone();
        };
        // Without a valid `traceparent` the state is not read at all; an invalid state is
        // dropped and the trace continued without it.
        let state = extractor
            .get_all(TRACESTATE)
            .and_then(|lines| parse_tracestate(&lines))
            .and_then(|mut members| {
                fit_tracestate(&mut members);
                TraceState::from_key_value(members).ok()
            })
            .unwrap_or_default();
        let context = SpanContext::new(
            TraceId::from_bytes(parent.trace_id),
            SpanId::from_bytes(parent.span_id),
            TraceFlags::new(parent.flags) & TraceFlags::SAMPLED,
            true,
            state,
        );
        cx.with_remote_span_context(context)
    }

    fn fields(&self) -> FieldIter<'_> {
        FieldIter::new(&self.fields)
    }
}

/// The propagators of the standard: `traceparent` / `tracestate`, then `baggage`.
pub(crate) fn propagator() -> TextMapCompositePropagator {
    TextMapCompositePropagator::new(vec![
        Box::new(StrictTraceContext::new()),
        Box::new(BaggagePropagator::new()),
    ])
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn round_trip_without_an_empty_tracestate() {
        let mut headers = HashMap::new();
        headers.insert(
            "traceparent".to_owned(),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned(),
        );
        let propagator = StrictTraceContext::new();
        let cx = propagator.extract_with_context(&Context::new(), &headers);
        assert!(cx.span().span_context().is_remote());
        let mut out = HashMap::new();
        propagator.inject_context(&cx, &mut out);
        assert_eq!(out["traceparent"], headers["traceparent"]);
        assert!(!out.contains_key("tracestate"));

        headers.insert("tracestate".to_owned(), "rojo=1".to_owned());
        let cx = propagator.extract_with_context(&Context::new(), &headers);
        let mut out = HashMap::new();
        propagator.inject_context(&cx, &mut out);
        assert_eq!(out["tracestate"], "rojo=1");
    }

    #[test]
    fn a_left_padded_id_is_not_continued() {
        let mut headers = HashMap::new();
        headers.insert(
            "traceparent".to_owned(),
            "00-bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned(),
        );
        let cx = StrictTraceContext::new().extract_with_context(&Context::new(), &headers);
        assert!(!cx.span().span_context().is_valid());
    }
}

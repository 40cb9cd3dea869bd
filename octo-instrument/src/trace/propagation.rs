//! W3C trace context and baggage on HTTP headers, in and out.

#[cfg(feature = "axum")]
use opentelemetry::propagation::Extractor;
#[cfg(feature = "reqwest")]
use opentelemetry::propagation::Injector;
use opentelemetry::propagation::TextMapCompositePropagator;
#[cfg(any(feature = "axum", feature = "reqwest"))]
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};

/// The propagators of the standard: `traceparent` / `tracestate`, then `baggage`.
pub(crate) fn propagator() -> TextMapCompositePropagator {
    TextMapCompositePropagator::new(vec![
        Box::new(TraceContextPropagator::new()),
        Box::new(BaggagePropagator::new()),
    ])
}

/// The HTTP layer and client use their own instance rather than the global one, so they work
/// the same whether or not `init()` ran.
#[cfg(any(feature = "axum", feature = "reqwest"))]
static PROPAGATOR: std::sync::LazyLock<TextMapCompositePropagator> =
    std::sync::LazyLock::new(propagator);

/// Reads the caller's trace context from request headers: an empty context when the headers
/// are missing or malformed, which starts a new trace.
#[cfg(feature = "axum")]
pub(crate) fn extract(headers: &http::HeaderMap) -> opentelemetry::Context {
    struct Headers<'a>(&'a http::HeaderMap);
    impl Extractor for Headers<'_> {
        fn get(&self, key: &str) -> Option<&str> {
            self.0.get(key).and_then(|v| v.to_str().ok())
        }
        fn keys(&self) -> Vec<&str> {
            self.0.keys().map(http::HeaderName::as_str).collect()
        }
    }
    PROPAGATOR.extract(&Headers(headers))
}

/// Writes `cx`'s trace context into outgoing request headers.
#[cfg(feature = "reqwest")]
pub(crate) fn inject(cx: &opentelemetry::Context, headers: &mut http::HeaderMap) {
    struct Headers<'a>(&'a mut http::HeaderMap);
    impl Injector for Headers<'_> {
        fn set(&mut self, key: &str, value: String) {
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(key.as_bytes()),
                http::HeaderValue::from_str(&value),
            ) {
                self.0.insert(name, value);
            }
        }
    }
    PROPAGATOR.inject_context(cx, &mut Headers(headers));
}

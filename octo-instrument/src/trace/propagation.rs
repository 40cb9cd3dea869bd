//! W3C trace context on HTTP headers, in and out: `traceparent` and `tracestate` read strictly
//! as the specification writes them (`w3c.rs`), written without an empty `tracestate`.

#[cfg(any(feature = "axum", feature = "reqwest"))]
use super::context::TraceContext;
#[cfg(feature = "axum")]
use super::w3c::{fit_tracestate, parse_single_traceparent, parse_tracestate};

/// The caller's trace context from request headers: `None` when the headers are missing or
/// malformed, which starts a new trace. A `tracestate` over the specification's limits is
/// dropped and the trace continued without it; one over 512 characters is shortened.
#[cfg(feature = "axum")]
pub(crate) fn extract(headers: &http::HeaderMap) -> Option<TraceContext> {
    let lines: Option<Vec<&str>> = headers
        .get_all("traceparent")
        .iter()
        .map(|v| v.to_str().ok())
        .collect();
    let parent = parse_single_traceparent(lines?.into_iter())?;
    let lines: Option<Vec<&str>> = headers
        .get_all("tracestate")
        .iter()
        .map(|v| v.to_str().ok())
        .collect();
    let trace_state = lines
        .and_then(|lines| parse_tracestate(&lines))
        .map(|mut members| {
            fit_tracestate(&mut members);
            members
                .iter()
                .map(|(key, value)| format!("{key}={value}"))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    Some(TraceContext {
        trace_id: parent.trace_id,
        span_id: parent.span_id,
        sampled: parent.flags & 1 == 1,
        trace_state,
    })
}

/// Writes `context` into outgoing request headers.
#[cfg(feature = "reqwest")]
pub(crate) fn inject(context: &TraceContext, headers: &mut http::HeaderMap) {
    if let Ok(value) = http::HeaderValue::from_str(&context.traceparent()) {
        headers.insert("traceparent", value);
    }
    if !context.trace_state.is_empty()
        && let Ok(value) = http::HeaderValue::from_str(&context.trace_state)
    {
        headers.insert("tracestate", value);
    }
}

#[cfg(all(test, feature = "axum", feature = "reqwest"))]
mod tests {
    use super::*;

    #[test]
    fn round_trip_without_an_empty_tracestate() {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
                .parse()
                .unwrap(),
        );
        let context = extract(&headers).expect("a valid parent");
        let mut out = http::HeaderMap::new();
        inject(&context, &mut out);
        assert_eq!(out["traceparent"], headers["traceparent"]);
        assert!(!out.contains_key("tracestate"));

        headers.insert("tracestate", "rojo=1".parse().unwrap());
        let mut out = http::HeaderMap::new();
        inject(&extract(&headers).unwrap(), &mut out);
        assert_eq!(out["tracestate"], "rojo=1");
    }

    #[test]
    fn a_left_padded_id_is_not_continued() {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "traceparent",
            "00-bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
                .parse()
                .unwrap(),
        );
        assert_eq!(extract(&headers), None);
    }
}

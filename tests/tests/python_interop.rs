//! W3C trace context with the Python OpenTelemetry SDK (PyPI): a `traceparent` it makes is
//! continued by our server, and one our client sends is accepted by its propagator.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::get;
use octo_instrument::http::{SendTraced, ServerLayer};
use octo_instrument_tests::require_tool;
use octo_instrument_tests::traced::{serve, traced};
use serde_json::Value;

const MAKE_TRACEPARENT: &str = r#"
import json
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
trace.set_tracer_provider(TracerProvider())
with trace.get_tracer("interop").start_as_current_span("python.caller") as span:
    carrier = {}
    TraceContextTextMapPropagator().inject(carrier)
    ctx = span.get_span_context()
    print(json.dumps({"traceparent": carrier["traceparent"],
                      "trace_id": format(ctx.trace_id, "032x"),
                      "span_id": format(ctx.span_id, "016x")}))
"#;

const READ_TRACEPARENT: &str = r#"
import json, sys
from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
ctx = TraceContextTextMapPropagator().extract({"traceparent": sys.argv[1]})
sc = trace.get_current_span(ctx).get_span_context()
print(json.dumps({"valid": sc.is_valid, "remote": sc.is_remote,
                  "trace_id": format(sc.trace_id, "032x"),
                  "span_id": format(sc.span_id, "016x"),
                  "sampled": sc.trace_flags.sampled}))
"#;

/// `python3 -c script args...`, its output read as one JSON object.
fn python(script: &str, args: &[&str]) -> Value {
    serde_json::from_str(&octo_instrument_tests::python(script, args)).expect("one JSON object")
}

#[test]
fn our_server_continues_a_trace_the_python_sdk_started() {
    if !require_tool(
        octo_instrument_tests::python_has("opentelemetry.sdk"),
        "the Python OpenTelemetry SDK (pip opentelemetry-sdk)",
    ) {
        return;
    }
    let caller = python(MAKE_TRACEPARENT, &[]);
    let traceparent = caller["traceparent"].as_str().unwrap().to_owned();
    let run = traced(1, async move {
        let app = Router::new()
            .route("/interop", get(|| async { "ok" }))
            .layer(ServerLayer::new());
        let base = serve(app).await;
        reqwest::Client::new()
            .get(format!("{base}/interop"))
            .header("traceparent", traceparent)
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(run.output, 200);
    let server = run.spans.iter().find(|s| s.name == "GET /interop").unwrap();
    assert_eq!(server.trace_id, caller["trace_id"].as_str().unwrap());
    assert_eq!(server.parent_span_id, caller["span_id"].as_str().unwrap());
    let logs = run.logs.lines();
    let request_lines: Vec<_> = logs
        .iter()
        .filter(|l| l.get("request_id").is_some())
        .collect();
    assert_eq!(
        request_lines.len(),
        2,
        "request.started and request.completed"
    );
    for line in request_lines {
        assert_eq!(line["trace_id"], caller["trace_id"], "{line}");
    }
}

#[test]
fn the_python_sdk_accepts_the_traceparent_our_client_sends() {
    if !require_tool(
        octo_instrument_tests::python_has("opentelemetry.sdk"),
        "the Python OpenTelemetry SDK (pip opentelemetry-sdk)",
    ) {
        return;
    }
    let seen: Arc<Mutex<Option<String>>> = Arc::default();
    let record = seen.clone();
    let run = traced(2, async move {
        let app = Router::new().route(
            "/capture",
            get(move |headers: HeaderMap| {
                let record = record.clone();
                async move {
                    *record.lock().unwrap() = headers
                        .get("traceparent")
                        .map(|v| v.to_str().unwrap().to_owned());
                    "ok"
                }
            }),
        );
        let base = serve(app).await;
        let caller = tracing::info_span!("rust.caller");
        let _ = tracing::Instrument::instrument(
            async {
                reqwest::Client::new()
                    .get(format!("{base}/capture"))
                    .send_traced()
                    .await
                    .unwrap()
            },
            caller,
        )
        .await;
    });
    let traceparent = seen
        .lock()
        .unwrap()
        .clone()
        .expect("a traceparent was sent");
    let client = run
        .spans
        .iter()
        .find(|s| s.kind == 3)
        .expect("the client span");
    let accepted = python(READ_TRACEPARENT, &[&traceparent]);
    assert_eq!(accepted["valid"], true, "{traceparent}");
    assert_eq!(accepted["remote"], true);
    assert_eq!(accepted["sampled"], true);
    assert_eq!(accepted["trace_id"], client.trace_id.as_str());
    assert_eq!(
        accepted["span_id"],
        client.span_id.as_str(),
        "the parent is our client span"
    );
}

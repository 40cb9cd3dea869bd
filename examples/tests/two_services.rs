//! One request across both example services, as a collector and a log store see it: the
//! orchestrator exports over OTLP/gRPC, the arm over OTLP/HTTP, to two receivers on 127.0.0.1.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::Service;

use octo_instrument_tests::otlp::{ReceivedSpan, Receiver};
use serde_json::Value;

fn by_name<'a>(spans: &'a [ReceivedSpan], service: &str, name: &str) -> Vec<&'a ReceivedSpan> {
    spans
        .iter()
        .filter(|s| s.service == service && s.name == name)
        .collect()
}

fn one<'a>(spans: &'a [ReceivedSpan], service: &str, name: &str) -> &'a ReceivedSpan {
    let found = by_name(spans, service, name);
    assert_eq!(found.len(), 1, "one {name} of {service} in {spans:#?}");
    found[0]
}

#[test]
fn one_request_is_one_trace_and_one_request_id_across_both_services() {
    let grpc = Receiver::grpc();
    let http = Receiver::http();
    let arm = Service::start(
        env!("CARGO_BIN_EXE_octollm-arm-coder"),
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &http.endpoint()),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ("ENVIRONMENT", "test"),
        ],
    );
    let arm_url = format!("http://{}", arm.addr);
    let orchestrator = Service::start(
        env!("CARGO_BIN_EXE_octollm-orchestrator"),
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &grpc.endpoint()),
            ("ARM_CODER_URL", &arm_url),
            ("ENVIRONMENT", "test"),
        ],
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (status, returned_id) = runtime.block_on(async {
        let response = reqwest::Client::new()
            .post(format!("http://{}/api/v1/tasks", orchestrator.addr))
            .header("content-type", "application/json")
            .header("x-request-id", "req_cross_service_1")
            .body(r#"{"prompt":"reverse a string","priority":5}"#)
            .send()
            .await
            .unwrap();
        (
            response.status().as_u16(),
            response.headers()["x-request-id"]
                .to_str()
                .unwrap()
                .to_owned(),
        )
    });
    assert_eq!((status, returned_id.as_str()), (201, "req_cross_service_1"));

    // Spans are exported within the batch delay; shutdown exports the rest.
    let orchestrator_lines = orchestrator.stop();
    let arm_lines = arm.stop();
    let wanted = |spans: &[ReceivedSpan]| spans.iter().any(|s| s.name == "task.dispatch");
    let mut spans = grpc.spans.wait_for(Duration::from_secs(10), wanted);
    spans.extend(http.spans.wait_for(Duration::from_secs(10), |s| {
        s.iter().any(|s| s.name == "llm.request")
    }));

    let trace_id = assert_one_trace(&spans);
    assert_logs(&orchestrator_lines, &arm_lines, &trace_id);
}

/// One trace id, the arm's server span a child of the orchestrator's client span, the observed
/// spans nested under them. Returns the trace id.
fn assert_one_trace(spans: &[ReceivedSpan]) -> String {
    // Traces: one trace id, the arm's server span a child of the orchestrator's client span.
    let o = "octollm-orchestrator";
    let a = "octollm-arm-coder";
    let o_server = one(spans, o, "POST /api/v1/tasks");
    let trace_id = o_server.trace_id.clone();
    let dispatch = one(spans, o, "task.dispatch");
    let client = one(spans, o, "POST");
    let a_server = one(spans, a, "POST /api/v1/execute");
    let execute = one(spans, a, "task.execute");
    let llm = one(spans, a, "llm.request");
    for span in [o_server, dispatch, client, a_server, execute, llm] {
        assert_eq!(span.trace_id, trace_id, "{span:#?}");
        assert_eq!(span.resource["deployment.environment.name"], "test");
        assert_eq!(span.resource["service.version"], env!("CARGO_PKG_VERSION"));
    }
    assert_eq!(o_server.parent_span_id, "", "the request started the trace");
    assert_eq!(dispatch.parent_span_id, o_server.span_id);
    assert_eq!(client.parent_span_id, dispatch.span_id);
    assert_eq!(client.kind, 3, "SPAN_KIND_CLIENT");
    assert_eq!(client.attributes["http.response.status_code"], "200");
    assert_eq!(client.attributes["server.address"], "127.0.0.1");
    assert_eq!(
        a_server.parent_span_id, client.span_id,
        "continued from the traceparent"
    );
    assert_eq!(a_server.kind, 2);
    assert_eq!(execute.parent_span_id, a_server.span_id);
    assert_eq!(llm.parent_span_id, execute.span_id);
    assert_eq!(
        execute.attributes["code.function.name"],
        "octo_instrument_examples::arm_coder::execute"
    );

    trace_id
}

/// Every line of the request, in both services, has its request id and the trace id.
fn assert_logs(orchestrator_lines: &[Value], arm_lines: &[Value], trace_id: &str) {
    let o = "octollm-orchestrator";
    let a = "octollm-arm-coder";
    let of_request = |lines: &[Value]| -> Vec<Value> {
        lines
            .iter()
            .filter(|l| l["request_id"] == "req_cross_service_1")
            .cloned()
            .collect()
    };
    let o_lines = of_request(orchestrator_lines);
    let a_lines = of_request(arm_lines);
    let events = |lines: &[Value]| -> BTreeSet<String> {
        lines
            .iter()
            .map(|l| l["event"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        events(&o_lines),
        [
            "request.started",
            "task.created",
            "task.dispatch.started",
            "task.dispatch.completed",
            "request.completed"
        ]
        .map(String::from)
        .into(),
    );
    assert_eq!(
        events(&a_lines),
        [
            "request.started",
            "task.execute.started",
            "llm.request.started",
            "llm.request.completed",
            "task.code.generated",
            "task.execute.completed",
            "request.completed"
        ]
        .map(String::from)
        .into(),
        "the arm's lines carry the id the orchestrator sent on"
    );
    for line in o_lines.iter().chain(&a_lines) {
        assert_eq!(line["trace_id"], trace_id, "{line}");
    }
    assert!(o_lines.iter().all(|l| l["service"] == o));
    assert!(
        a_lines
            .iter()
            .all(|l| l["service"] == a && l["environment"] == "test")
    );
}

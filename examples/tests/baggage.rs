//! Baggage across both example services: an entry the caller sends reaches the orchestrator's
//! lines and, through its call to the arm, the arm's lines, where its key is allow-listed
//! (`OCTO_BAGGAGE_LOG_KEYS`); entries off the list travel without being logged. And the same
//! through a Python service in between (FastAPI and `httpx` with OpenTelemetry's instrumentors),
//! which carries baggage and the trace with its own propagators.

mod common;

use common::Service;
use common::{free_port, wait_listening};

/// Sends one task to the orchestrator with `request_id` and a `baggage` header; its status.
fn send_task(orchestrator: &str, request_id: &str, baggage: &str) -> u16 {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            reqwest::Client::new()
                .post(format!("http://{orchestrator}/api/v1/tasks"))
                .header("content-type", "application/json")
                .header("x-request-id", request_id)
                .header("baggage", baggage)
                .body(r#"{"prompt":"reverse a string","priority":5}"#)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
}

#[test]
fn baggage_sent_to_one_service_reaches_the_next_one_s_lines() {
    let keys = ("OCTO_BAGGAGE_LOG_KEYS", "tenant,user_tier");
    let arm = Service::start(env!("CARGO_BIN_EXE_octollm-arm-coder"), &[keys]);
    let arm_url = format!("http://{}", arm.addr);
    let orchestrator = Service::start(
        env!("CARGO_BIN_EXE_octollm-orchestrator"),
        &[keys, ("ARM_CODER_URL", &arm_url)],
    );
    let status = send_task(
        &orchestrator.addr,
        "req_baggage_1",
        "tenant=acme%20corp,user_tier=gold;ttl=60,secret=do-not-log",
    );
    assert_eq!(status, 201);
    let orchestrator_lines = orchestrator.stop();
    let arm_lines = arm.stop();
    for (service, lines) in [("orchestrator", &orchestrator_lines), ("arm", &arm_lines)] {
        let request: Vec<_> = lines
            .iter()
            .filter(|l| l["request_id"] == "req_baggage_1")
            .collect();
        assert!(request.len() >= 2, "{service}: {lines:#?}");
        for line in request {
            assert_eq!(line["tenant"], "acme corp", "{service}: {line}");
            assert_eq!(line["user_tier"], "gold", "{service}: {line}");
            assert!(line.get("secret").is_none(), "{service}: {line}");
        }
    }
}

#[test]
fn baggage_and_the_trace_cross_a_python_service_in_between() {
    let has_stack = octo_instrument_tests::python_has(
        "fastapi, uvicorn, httpx, opentelemetry.instrumentation.fastapi, \
         opentelemetry.instrumentation.httpx",
    );
    if !octo_instrument_tests::require_tool(
        has_stack,
        "python3 with fastapi, uvicorn, httpx and their OpenTelemetry instrumentation",
    ) {
        return;
    }
    let keys = ("OCTO_BAGGAGE_LOG_KEYS", "tenant");
    let arm = Service::start(env!("CARGO_BIN_EXE_octollm-arm-coder"), &[keys]);
    // orchestrator → Python (FastAPI + httpx, instrumented) → arm
    let port = free_port();
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/python/fastapi_hop.py");
    let mut python = std::process::Command::new("python3")
        .arg(script)
        .arg(port.to_string())
        .arg(format!("http://{}", arm.addr))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .expect("python3 runs");
    let hop = format!("127.0.0.1:{port}");
    wait_listening(&hop);
    let orchestrator = Service::start(
        env!("CARGO_BIN_EXE_octollm-orchestrator"),
        &[keys, ("ARM_CODER_URL", &format!("http://{hop}"))],
    );
    let status = send_task(&orchestrator.addr, "req_baggage_py", "tenant=globex");
    let _ = python.kill();
    let _ = python.wait();
    assert_eq!(status, 201);
    let orchestrator_lines = orchestrator.stop();
    let arm_lines = arm.stop();
    let trace_id = orchestrator_lines
        .iter()
        .find(|l| l["request_id"] == "req_baggage_py")
        .and_then(|l| l["trace_id"].as_str())
        .expect("the orchestrator's lines of the request")
        .to_owned();
    let request: Vec<_> = arm_lines
        .iter()
        .filter(|l| l["request_id"] == "req_baggage_py")
        .collect();
    assert!(!request.is_empty(), "{arm_lines:#?}");
    for line in request {
        assert_eq!(line["tenant"], "globex", "through Python: {line}");
        assert_eq!(line["trace_id"], trace_id.as_str(), "one trace: {line}");
    }
}

//! Baggage across both example services: an entry the caller sends reaches the orchestrator's
//! lines and, through its call to the arm, the arm's lines, where its key is allow-listed
//! (`OCTO_BAGGAGE_LOG_KEYS`); entries off the list travel without being logged.

mod common;

use common::Service;

#[test]
fn baggage_sent_to_one_service_reaches_the_next_one_s_lines() {
    let keys = ("OCTO_BAGGAGE_LOG_KEYS", "tenant,user_tier");
    let arm = Service::start(env!("CARGO_BIN_EXE_octollm-arm-coder"), &[keys]);
    let arm_url = format!("http://{}", arm.addr);
    let orchestrator = Service::start(
        env!("CARGO_BIN_EXE_octollm-orchestrator"),
        &[keys, ("ARM_CODER_URL", &arm_url)],
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = runtime.block_on(async {
        reqwest::Client::new()
            .post(format!("http://{}/api/v1/tasks", orchestrator.addr))
            .header("content-type", "application/json")
            .header("x-request-id", "req_baggage_1")
            .header(
                "baggage",
                "tenant=acme%20corp,user_tier=gold;ttl=60,secret=do-not-log",
            )
            .body(r#"{"prompt":"reverse a string","priority":5}"#)
            .send()
            .await
            .unwrap()
            .status()
    });
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

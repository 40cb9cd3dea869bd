//! From a panel to a request, against the real thing: Debian's Prometheus, started with
//! `--enable-feature=exemplar-storage` and the generated scrape config, scrapes both example
//! services (exporting their spans to an OTLP receiver); `/api/v1/query_exemplars` then returns
//! trace ids that are also in the services' JSON lines and among the spans the receiver got.

mod common;

use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::Service;
use common::prometheus::{Prometheus, both_services, encode, wait_until};
use octo_instrument_tests::otlp::Receiver;
use octo_instrument_tests::require_tool;
use serde_json::Value;

fn send_tasks(orchestrator: &str, count: usize) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        for i in 0..count {
            let prompt = if i % 3 == 2 {
                "please fail"
            } else {
                "reverse a string"
            };
            let _ = client
                .post(format!("http://{orchestrator}/api/v1/tasks"))
                .header("content-type", "application/json")
                .body(format!(r#"{{"prompt":"{prompt}","priority":5}}"#))
                .send()
                .await
                .unwrap();
        }
    });
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

#[test]
fn prometheus_stores_exemplars_that_lead_to_the_traces_and_the_lines() {
    let available = Command::new("prometheus").arg("--version").output().is_ok();
    if !require_tool(available, "prometheus (Debian package prometheus)") {
        return;
    }
    let receiver = Receiver::grpc();
    let endpoint = receiver.endpoint();
    let work = std::env::temp_dir().join(format!("octo-exemplars-{}", std::process::id()));
    let export = [("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str())];
    let mut arm = Service::start(env!("CARGO_BIN_EXE_octollm-arm-coder"), &export);
    let arm_url = format!("http://{}", arm.addr);
    let mut orchestrator = Service::start(
        env!("CARGO_BIN_EXE_octollm-orchestrator"),
        &[export[0], ("ARM_CODER_URL", &arm_url)],
    );
    let (catalogs, options) = both_services(&orchestrator.addr, &arm.addr);
    let config_dir = work.join("config");
    octo_ops::generate(&catalogs, &options)
        .unwrap()
        .write_to(&config_dir)
        .unwrap();
    let start = now();
    let prometheus = Prometheus::start(&config_dir, &work, &["--enable-feature=exemplar-storage"]);
    let api = prometheus.api();
    wait_until("both targets up", Duration::from_secs(90), || {
        api.value("sum(up)") >= 2.0
    });

    send_tasks(&orchestrator.addr, 6);
    let query = |expr: &str| {
        let answer = api
            .get(&format!(
                "/api/v1/query_exemplars?query={}&start={start}&end={}",
                encode(expr),
                now() + 60.0
            ))
            .unwrap();
        assert_eq!(answer["status"], "success", "{answer}");
        answer["data"].as_array().cloned().unwrap_or_default()
    };
    let trace_ids = |series: &[Value]| -> BTreeSet<String> {
        series
            .iter()
            .flat_map(|s| s["exemplars"].as_array().cloned().unwrap_or_default())
            .filter_map(|e| e["labels"]["trace_id"].as_str().map(str::to_owned))
            .collect()
    };
    let mut durations = BTreeSet::new();
    let mut http = BTreeSet::new();
    let mut errors = BTreeSet::new();
    wait_until("exemplars to be stored", Duration::from_mins(1), || {
        durations = trace_ids(&query("event_duration_seconds_bucket"));
        http = trace_ids(&query("http_request_duration_seconds_bucket"));
        errors = trace_ids(&query("errors_total"));
        !durations.is_empty() && !http.is_empty() && !errors.is_empty()
    });
    // The scrape's other samples were kept too: exemplars did not cost the scrape.
    wait_until("every request scraped", Duration::from_secs(30), || {
        api.value(r#"sum(http_requests_total{service="octollm-orchestrator"})"#) >= 6.0
    });

    let mut lines = orchestrator.lines_so_far();
    lines.extend(arm.lines_so_far());
    let logged: BTreeSet<String> = lines
        .iter()
        .filter_map(|l| l["trace_id"].as_str().map(str::to_owned))
        .collect();
    let spans = receiver.spans.wait_for(Duration::from_secs(10), |spans| {
        let exported: BTreeSet<&str> = spans.iter().map(|s| s.trace_id.as_str()).collect();
        durations
            .iter()
            .chain(&http)
            .chain(&errors)
            .all(|t| exported.contains(t.as_str()))
    });
    let exported: BTreeSet<&str> = spans.iter().map(|s| s.trace_id.as_str()).collect();
    for trace_id in durations.iter().chain(&http).chain(&errors) {
        assert!(logged.contains(trace_id), "{trace_id} is in the JSON lines");
        assert!(
            exported.contains(trace_id.as_str()),
            "{trace_id} is among the exported spans"
        );
    }
    drop(prometheus);
    orchestrator.stop();
    arm.stop();
    let _ = std::fs::remove_dir_all(&work);
}

//! The exposition text: every observed event present at zero before its first call, the
//! `service` label everywhere, and output that Prometheus' own `promtool` and the Python
//! `prometheus_client` parser accept.

// Counters are whole numbers read back from the exposition: exact comparison is intended.
#![allow(clippy::float_cmp)]

use std::process::Command;

use octo_instrument::observed;
use octo_instrument_tests::{
    capture, metric, parse_samples, python_has, require_tool, run_with_input,
};

#[observed(event = "metrics.never_called")]
fn never_called() {}

#[observed(event = "metrics.called", fields(kind = "x"))]
fn called(fail: bool) -> Result<(), String> {
    if fail {
        Err("bad \"input\"\n".to_owned())
    } else {
        Ok(())
    }
}

#[test]
fn series_exist_at_zero_before_the_first_call() {
    // `never_called` is never called in this binary; its series are there anyway.
    let _ = never_called;
    for outcome in ["ok", "error", "panic", "cancelled"] {
        let labels = [("event", "metrics.never_called"), ("outcome", outcome)];
        assert_eq!(
            metric("event_duration_seconds_count", &labels),
            Some(0.0),
            "{outcome}"
        );
        assert_eq!(metric("event_duration_seconds_sum", &labels), Some(0.0));
        let mut bucket = labels.to_vec();
        bucket.push(("le", "+Inf"));
        assert_eq!(metric("event_duration_seconds_bucket", &bucket), Some(0.0));
    }
    assert_eq!(
        metric("events_in_progress", &[("event", "metrics.never_called")]),
        Some(0.0)
    );
    assert_eq!(
        metric("octo_telemetry_dropped_total", &[("signal", "logs")]),
        Some(0.0)
    );
}

#[test]
fn every_series_carries_the_service_label() {
    capture(|| called(false).unwrap());
    let text = octo_instrument::metrics::render();
    let samples = parse_samples(&text);
    assert!(samples.len() > 20);
    for sample in &samples {
        assert!(sample.labels.contains_key("service"), "{sample:?}");
    }
}

fn exposition_with_every_outcome() -> String {
    capture(|| {
        called(false).unwrap();
        let _ = called(true);
    });
    octo_instrument::metrics::render()
}

#[test]
fn promtool_accepts_the_exposition() {
    let text = exposition_with_every_outcome();
    if !require_tool(
        Command::new("promtool").arg("--version").output().is_ok(),
        "promtool",
    ) {
        return;
    }
    let output = run_with_input("promtool", &["check", "metrics"], &text);
    assert!(
        output.status.success(),
        "promtool check metrics: {}{}\n{text}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Reads the exposition with the Python client's parser, as a second implementation would.
const SCRIPT: &str = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = {}
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        if s.name == "event_duration_seconds_count" and s.labels.get("event") == "metrics.called":
            out[s.labels["outcome"]] = s.value
    out.setdefault("_types", {})[family.name] = family.type
print(json.dumps(out))
"#;

#[test]
fn prometheus_client_parses_the_exposition() {
    let text = exposition_with_every_outcome();
    if !require_tool(
        python_has("prometheus_client"),
        "python3 with prometheus_client",
    ) {
        return;
    }
    let output = run_with_input("python3", &["-c", SCRIPT], &text);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let parsed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(parsed["ok"].as_f64().unwrap() >= 1.0);
    assert!(parsed["error"].as_f64().unwrap() >= 1.0);
    assert_eq!(parsed["panic"], 0.0);
    assert_eq!(parsed["_types"]["event_duration_seconds"], "histogram");
    assert_eq!(parsed["_types"]["events_in_progress"], "gauge");
    // prometheus_client drops `_total` from counter family names.
    assert_eq!(parsed["_types"]["errors"], "counter");
    assert_eq!(parsed["_types"]["octo_build_info"], "gauge");
}

//! The Grafana provisioning files parse as YAML (Python's `yaml`) and link the signals: Prometheus
//! exemplars to Tempo by `trace_id`, Loki lines to Tempo by `trace_id` and to the request's other
//! lines by `request_id`, Tempo spans to their Loki lines; the dashboard uses the provisioned
//! Prometheus and asks for exemplars on its latency panels.

mod common;

use std::path::Path;

use octo_instrument_tests::{python, python_has, require_tool};
use octo_ops::grafana::{DASHBOARDS_FILE, DATASOURCES_FILE, LOKI_UID, PROMETHEUS_UID, TEMPO_UID};
use serde_json::Value;

/// A line as the runtime writes it (DESIGN.md's example).
const LINE: &str = r#"{"timestamp":"2025-11-10T10:30:45.123456Z","level":"info","event":"task.created","service":"octollm-orchestrator","request_id":"req_9f86d081884c7d65","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7"}"#;

/// The YAML file, parsed by Python's `yaml`, as JSON.
fn yaml(path: &Path) -> Value {
    let json = python(
        "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
        &[path.to_str().unwrap()],
    );
    serde_json::from_str(&json).unwrap()
}

/// The first group of `pattern` (Python's `re`, as Grafana's Go regexp reads these) in `text`.
fn first_group(pattern: &str, text: &str) -> String {
    python(
        "import re, sys; print(re.search(sys.argv[1], sys.argv[2]).group(1))",
        &[pattern, text],
    )
    .trim()
    .to_owned()
}

/// The datasource of type `kind`.
fn datasource<'a>(file: &'a Value, kind: &str) -> &'a Value {
    file["datasources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["type"] == kind)
        .unwrap_or_else(|| panic!("no {kind} datasource in {file}"))
}

#[test]
fn provisioning_links_exemplars_logs_and_traces() {
    if !require_tool(
        python_has("yaml"),
        "python3 with PyYAML (Debian package python3-yaml)",
    ) {
        return;
    }
    let dir = std::env::temp_dir().join(format!("octo-ops-grafana-{}", std::process::id()));
    let mut options = common::options();
    options.grafana.prometheus_url = "http://prom.example:9090".into();
    options.grafana.dashboards_dir = "/dashboards/octo".into();
    let artifacts = octo_ops::generate(&[common::catalog()], &options).unwrap();
    artifacts.write_to(&dir).unwrap();

    // Grafana expands `$VAR` and `${VAR}` from its environment in these files: every `$` meant
    // for Grafana's own placeholders is written `$$`.
    let text = std::fs::read_to_string(dir.join(DATASOURCES_FILE)).unwrap();
    assert!(!text.replace("$$", "").contains('$'), "{text}");

    let file = yaml(&dir.join(DATASOURCES_FILE));
    assert_eq!(file["apiVersion"], 1);
    let prometheus = datasource(&file, "prometheus");
    let loki = datasource(&file, "loki");
    let tempo = datasource(&file, "tempo");
    assert_eq!(prometheus["uid"], PROMETHEUS_UID);
    assert_eq!(prometheus["url"], "http://prom.example:9090");
    assert_eq!(loki["uid"], LOKI_UID);
    assert_eq!(loki["url"], "http://loki:3100");
    assert_eq!(tempo["uid"], TEMPO_UID);
    assert_eq!(tempo["url"], "http://tempo:3200");

    // An exemplar's `trace_id` label opens the trace.
    assert_eq!(
        prometheus["jsonData"]["exemplarTraceIdDestinations"],
        serde_json::json!([{"name": "trace_id", "datasourceUid": TEMPO_UID}])
    );

    // A log line's trace_id opens the trace; its request_id, every line of the request.
    let fields = loki["jsonData"]["derivedFields"].as_array().unwrap();
    let trace = fields.iter().find(|f| f["name"] == "TraceID").unwrap();
    assert_eq!(trace["datasourceUid"], TEMPO_UID);
    assert_eq!(trace["url"], "$${__value.raw}");
    assert_eq!(
        first_group(trace["matcherRegex"].as_str().unwrap(), LINE),
        "4bf92f3577b34da6a3ce929d0e0e4736"
    );
    let request = fields.iter().find(|f| f["name"] == "RequestID").unwrap();
    assert_eq!(request["datasourceUid"], LOKI_UID);
    assert_eq!(
        first_group(request["matcherRegex"].as_str().unwrap(), LINE),
        "req_9f86d081884c7d65"
    );
    assert!(
        request["url"]
            .as_str()
            .unwrap()
            .ends_with(r#"| json | request_id="$${__value.raw}""#),
        "{request}"
    );

    // A span opens its service's lines of the trace, by the `service` label promtail sets.
    let to_logs = &tempo["jsonData"]["tracesToLogsV2"];
    assert_eq!(to_logs["datasourceUid"], LOKI_UID);
    assert_eq!(to_logs["filterByTraceID"], true);
    assert_eq!(
        to_logs["tags"],
        serde_json::json!([{"key": "service.name", "value": "service"}])
    );
    assert_eq!(
        to_logs["query"],
        r#"{$${__tags}} | json | trace_id="$${__trace.traceId}""#
    );
    assert!(artifacts.promtail.contains("service: \"octollm-test\""));
    assert_eq!(
        tempo["jsonData"]["tracesToMetrics"]["datasourceUid"],
        PROMETHEUS_UID
    );

    // The provider loads the dashboard from where Grafana sees it.
    let provider = yaml(&dir.join(DASHBOARDS_FILE));
    assert_eq!(provider["providers"][0]["type"], "file");
    assert_eq!(
        provider["providers"][0]["options"]["path"],
        "/dashboards/octo"
    );

    // The dashboard defaults to the provisioned Prometheus; latency panels ask for exemplars.
    let dashboard: Value = serde_json::from_str(&artifacts.dashboard).unwrap();
    let variable = &dashboard["templating"]["list"][0];
    assert_eq!(variable["type"], "datasource");
    assert_eq!(variable["current"]["value"], PROMETHEUS_UID);
    let panels = dashboard["panels"].as_array().unwrap();
    let exemplars = |title: &str| -> Vec<bool> {
        let panel = panels.iter().find(|p| p["title"] == title).unwrap();
        panel["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["exemplar"].as_bool().unwrap())
            .collect()
    };
    assert_eq!(exemplars("Request Duration P95"), [true]);
    assert_eq!(exemplars("task.execute: P50 / P95 / P99"), [true; 3]);
    assert_eq!(exemplars("Request Rate"), [false]);
    assert_eq!(exemplars("task.execute: calls by outcome"), [false]);
    let _ = std::fs::remove_dir_all(dir);
}

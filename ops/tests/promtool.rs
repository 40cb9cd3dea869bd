//! The generated files pass `promtool check rules` / `check config`, and `promtool test rules`
//! with synthetic series proves each alert fires when it should and stays silent when it should
//! not.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use octo_instrument_tests::require_tool;
use octo_ops::{Options, ServiceCatalog, generate};

const SERVICE: &str = "octollm-test";

fn catalog() -> ServiceCatalog {
    serde_json::from_str(&format!(
        r#"{{"service":"{SERVICE}","version":"1.0.0","http":true,"events":[
            {{"name":"task.execute","description":"The arm executes one task",
              "slo_latency_p95_ms":2000,"slo_error_ratio":0.01,"families":["task_duration_seconds"]}},
            {{"name":"cache.lookup","description":null,"slo_latency_p95_ms":null,
              "slo_error_ratio":null,"families":[]}}]}}"#
    ))
    .unwrap()
}

fn promtool_available() -> bool {
    Command::new("promtool").arg("--version").output().is_ok()
}

fn promtool(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("promtool")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("promtool runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "promtool {args:?}:\n{text}");
    text
}

fn written(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("octo-ops-{test}-{}", std::process::id()));
    let options = Options::new().target(SERVICE, "127.0.0.1:9000");
    generate(&[catalog()], &options)
        .unwrap()
        .write_to(&dir)
        .unwrap();
    dir
}

#[test]
fn generated_rules_and_config_pass_promtool_check() {
    if !require_tool(promtool_available(), "promtool (Debian package prometheus)") {
        return;
    }
    let dir = written("check");
    let rules = promtool(&dir, &["check", "rules", "alerts.yml"]);
    // 4 service rules + 2 per event.
    assert!(rules.contains("SUCCESS: 8 rules found"), "{rules}");
    let config = promtool(&dir, &["check", "config", "prometheus.yml"]);
    assert!(config.contains("SUCCESS"), "{config}");
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("dashboard.json")).unwrap())
            .unwrap();
    let titles: Vec<&str> = dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    for title in [
        "Request Rate",
        "Request Duration P95",
        "Error Rate",
        "Tasks In Progress",
    ] {
        assert!(titles.contains(&title), "{titles:?}");
    }
    assert!(
        titles
            .iter()
            .any(|t| t.starts_with("task.execute: The arm executes one task"))
    );
    assert!(titles.iter().any(|t| t.starts_with("cache.lookup (")));
    assert_eq!(dashboard["templating"]["list"][1]["name"], "service");
    let _ = std::fs::remove_dir_all(dir);
}

/// One `promtool test rules` case: series, and at `at`, the alert expected (with its labels) or
/// none.
struct Case {
    alert: &'static str,
    series: Vec<(String, &'static str)>,
    at: &'static str,
    fires: Option<Vec<(&'static str, &'static str)>>,
}

fn s(name: &str, labels: &str) -> String {
    format!("{name}{{service=\"{SERVICE}\",{labels}}}")
}

#[allow(clippy::too_many_lines)] // one table: two cases per alert
fn cases() -> Vec<Case> {
    let http = |le: &str| {
        s(
            "http_request_duration_seconds_bucket",
            &format!(r#"method="GET",endpoint="/t",le="{le}""#),
        )
    };
    let event = |name: &str, extra: &str| s(name, &format!(r#"event="task.execute",{extra}"#));
    let cache = |name: &str, extra: &str| s(name, &format!(r#"event="cache.lookup",{extra}"#));
    vec![
        // 12 errors a minute = 0.2/s > 0.05/s for 5m.
        Case {
            alert: "HighErrorRate",
            series: vec![(
                s("errors_total", r#"component="x",error_type="y""#),
                "0+12x30",
            )],
            at: "10m",
            fires: Some(vec![]),
        },
        // 1 a minute = 0.017/s.
        Case {
            alert: "HighErrorRate",
            series: vec![(
                s("errors_total", r#"component="x",error_type="y""#),
                "0+1x30",
            )],
            at: "10m",
            fires: None,
        },
        // Above 5 s from the first minute on: pending at 8m (for: 10m), firing at 20m.
        Case {
            alert: "SlowRequests",
            series: vec![
                (http("5"), "0+1x30"),
                (http("10"), "0+10x30"),
                (http("+Inf"), "0+10x30"),
            ],
            at: "8m",
            fires: None,
        },
        Case {
            alert: "SlowRequests",
            series: vec![
                (http("5"), "0+1x30"),
                (http("10"), "0+10x30"),
                (http("+Inf"), "0+10x30"),
            ],
            at: "20m",
            fires: Some(vec![]),
        },
        Case {
            alert: "SlowRequests",
            series: vec![(http("0.5"), "0+10x30"), (http("+Inf"), "0+10x30")],
            at: "20m",
            fires: None,
        },
        Case {
            alert: "ServiceDown",
            series: vec![(
                format!("up{{job=\"{SERVICE}\",instance=\"127.0.0.1:9000\"}}"),
                "0x10",
            )],
            at: "2m",
            fires: Some(vec![("job", SERVICE), ("instance", "127.0.0.1:9000")]),
        },
        Case {
            alert: "ServiceDown",
            series: vec![(
                format!("up{{job=\"{SERVICE}\",instance=\"127.0.0.1:9000\"}}"),
                "0x10",
            )],
            at: "30s",
            fires: None,
        },
        Case {
            alert: "ServiceDown",
            series: vec![(
                format!("up{{job=\"{SERVICE}\",instance=\"127.0.0.1:9000\"}}"),
                "1x10",
            )],
            at: "5m",
            fires: None,
        },
        Case {
            alert: "TelemetryDropped",
            series: vec![(
                s("octo_telemetry_dropped_total", r#"signal="spans""#),
                "0+5x30",
            )],
            at: "10m",
            fires: Some(vec![("signal", "spans"), ("cause", "dropped")]),
        },
        Case {
            alert: "TelemetryDropped",
            series: vec![(
                s("octo_telemetry_dropped_total", r#"signal="spans""#),
                "0x30",
            )],
            at: "10m",
            fires: None,
        },
        Case {
            alert: "TelemetryDropped",
            series: vec![(
                s("octo_telemetry_truncated_total", r#"signal="logs""#),
                "0+3x30",
            )],
            at: "10m",
            fires: Some(vec![("signal", "logs"), ("cause", "truncated")]),
        },
        Case {
            alert: "TelemetryDropped",
            series: vec![(
                s(
                    "octo_telemetry_label_overflow_total",
                    r#"family="tasks_seconds""#,
                ),
                "0+1x30",
            )],
            at: "10m",
            fires: Some(vec![
                ("family", "tasks_seconds"),
                ("cause", "label_overflow"),
            ]),
        },
        Case {
            alert: "TelemetryDropped",
            series: vec![(
                s(
                    "octo_telemetry_registration_failures_total",
                    r#"family="tasks_seconds""#,
                ),
                "1x30",
            )],
            at: "10m",
            fires: Some(vec![
                ("family", "tasks_seconds"),
                ("cause", "registration_failed"),
            ]),
        },
        // task.execute's objective: 1 % errors; 10 % fail here, 0.5 % there.
        Case {
            alert: "TaskExecuteHighErrorRatio",
            series: vec![
                (
                    event("event_duration_seconds_count", r#"outcome="ok""#),
                    "0+90x30",
                ),
                (
                    event("event_duration_seconds_count", r#"outcome="error""#),
                    "0+10x30",
                ),
            ],
            at: "10m",
            fires: Some(vec![]),
        },
        Case {
            alert: "TaskExecuteHighErrorRatio",
            series: vec![
                (
                    event("event_duration_seconds_count", r#"outcome="ok""#),
                    "0+199x30",
                ),
                (
                    event("event_duration_seconds_count", r#"outcome="panic""#),
                    "0+1x30",
                ),
            ],
            at: "10m",
            fires: None,
        },
        // task.execute's objective: P95 under 2 s; here about 4.8 s.
        Case {
            alert: "TaskExecuteSlowP95",
            series: vec![
                (
                    event("event_duration_seconds_bucket", r#"outcome="ok",le="1""#),
                    "0+1x30",
                ),
                (
                    event("event_duration_seconds_bucket", r#"outcome="ok",le="5""#),
                    "0+10x30",
                ),
                (
                    event("event_duration_seconds_bucket", r#"outcome="ok",le="+Inf""#),
                    "0+10x30",
                ),
            ],
            at: "20m",
            fires: Some(vec![]),
        },
        Case {
            alert: "TaskExecuteSlowP95",
            series: vec![
                (
                    event("event_duration_seconds_bucket", r#"outcome="ok",le="1""#),
                    "0+10x30",
                ),
                (
                    event("event_duration_seconds_bucket", r#"outcome="ok",le="+Inf""#),
                    "0+10x30",
                ),
            ],
            at: "20m",
            fires: None,
        },
        // cache.lookup has no objectives: the defaults, 5 % errors and 5 s.
        Case {
            alert: "CacheLookupHighErrorRatio",
            series: vec![
                (
                    cache("event_duration_seconds_count", r#"outcome="ok""#),
                    "0+97x30",
                ),
                (
                    cache("event_duration_seconds_count", r#"outcome="error""#),
                    "0+3x30",
                ),
            ],
            at: "10m",
            fires: None,
        },
        Case {
            alert: "CacheLookupHighErrorRatio",
            series: vec![
                (
                    cache("event_duration_seconds_count", r#"outcome="ok""#),
                    "0+90x30",
                ),
                (
                    cache("event_duration_seconds_count", r#"outcome="error""#),
                    "0+10x30",
                ),
            ],
            at: "10m",
            fires: Some(vec![]),
        },
        Case {
            alert: "CacheLookupSlowP95",
            series: vec![
                (
                    cache("event_duration_seconds_bucket", r#"outcome="ok",le="2.5""#),
                    "0+10x30",
                ),
                (
                    cache("event_duration_seconds_bucket", r#"outcome="ok",le="+Inf""#),
                    "0+10x30",
                ),
            ],
            at: "20m",
            fires: None,
        },
        Case {
            alert: "CacheLookupSlowP95",
            series: vec![
                (
                    cache("event_duration_seconds_bucket", r#"outcome="ok",le="5""#),
                    "0+0x30",
                ),
                (
                    cache("event_duration_seconds_bucket", r#"outcome="ok",le="10""#),
                    "0+10x30",
                ),
                (
                    cache("event_duration_seconds_bucket", r#"outcome="ok",le="+Inf""#),
                    "0+10x30",
                ),
            ],
            at: "20m",
            fires: Some(vec![]),
        },
    ]
}

fn severity(alert: &str) -> &'static str {
    if alert == "ServiceDown" {
        "critical"
    } else {
        "warning"
    }
}

#[test]
fn each_alert_fires_when_it_should_and_stays_silent_otherwise() {
    if !require_tool(promtool_available(), "promtool (Debian package prometheus)") {
        return;
    }
    let dir = written("test");
    let options = Options::new().target(SERVICE, "127.0.0.1:9000");
    let rules = octo_ops::rules::rules(&[catalog()], &options);
    let mut tests = String::from("rule_files:\n  - alerts.yml\nevaluation_interval: 1m\ntests:\n");
    let cases = cases();
    for case in &cases {
        let _ = writeln!(tests, "  - interval: 1m\n    input_series:");
        for (series, values) in &case.series {
            let _ = writeln!(
                tests,
                "      - series: {}\n        values: \"{values}\"",
                serde_json::to_string(series).unwrap()
            );
        }
        let _ = writeln!(
            tests,
            "    alert_rule_test:\n      - eval_time: {}\n        alertname: {}",
            case.at, case.alert
        );
        match &case.fires {
            None => tests.push_str("        exp_alerts: []\n"),
            Some(labels) => {
                let _ = writeln!(
                    tests,
                    "        exp_alerts:\n          - exp_labels:\n              severity: {}\n              service: {SERVICE}",
                    severity(case.alert)
                );
                for (key, value) in labels {
                    let _ = writeln!(tests, "              {key}: \"{value}\"");
                }
                let (_, rule) = rules.iter().find(|(_, r)| r.alert == case.alert).unwrap();
                let _ = writeln!(
                    tests,
                    "            exp_annotations:\n              summary: {}\n              description: {}",
                    serde_json::to_string(&rule.summary).unwrap(),
                    serde_json::to_string(&rule.description).unwrap()
                );
            }
        }
    }
    std::fs::write(dir.join("alerts.test.yml"), &tests).unwrap();
    let output = promtool(&dir, &["test", "rules", "alerts.test.yml"]);
    assert!(output.contains("SUCCESS"), "{output}");

    // Every generated alert is covered, both ways.
    for (_, rule) in &rules {
        let of = |fires: bool| {
            cases
                .iter()
                .any(|c| c.alert == rule.alert && c.fires.is_some() == fires)
        };
        assert!(
            of(true) && of(false),
            "{} is tested firing and silent",
            rule.alert
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

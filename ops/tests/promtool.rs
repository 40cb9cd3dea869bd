//! The generated files pass `promtool check rules` / `check config`, and `promtool test rules`
//! with synthetic series proves each alert fires when it should and stays silent when it should
//! not. The objectives' burn-rate alerts are proven in `slo.rs`.

mod common;

use common::{Case, SERVICE, assert_covered, promtool, promtool_available, run_cases, s, written};
use octo_instrument_tests::require_tool;

#[test]
fn generated_rules_and_config_pass_promtool_check() {
    if !require_tool(promtool_available(), "promtool (Debian package prometheus)") {
        return;
    }
    let dir = written("check");
    let rules = promtool(&dir, &["check", "rules", "alerts.yml"]);
    // 4 service rules; 2 for cache.lookup (no objectives); task.execute's 2 objectives: 2
    // burn-rate alerts and 4 recorded windows each.
    assert!(rules.contains("SUCCESS: 18 rules found"), "{rules}");
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

#[allow(clippy::too_many_lines)] // one table: two cases per alert
fn cases() -> Vec<Case> {
    let http = |le: &str| {
        s(
            "http_request_duration_seconds_bucket",
            &format!(r#"method="GET",endpoint="/t",le="{le}""#),
        )
    };
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

#[test]
fn each_alert_fires_when_it_should_and_stays_silent_otherwise() {
    if !require_tool(promtool_available(), "promtool (Debian package prometheus)") {
        return;
    }
    let dir = written("test");
    let catalogs = [common::catalog()];
    let rules = octo_ops::rules::rules(&catalogs, &common::options());
    let cases = cases();
    run_cases(&dir, &rules, &cases);
    // Every generated alert but the objectives' is covered, both ways.
    let burn_rate: Vec<String> = octo_ops::slo::alerts(&catalogs)
        .into_iter()
        .map(|(_, rule)| rule.alert)
        .collect();
    assert_covered(
        rules
            .iter()
            .map(|(_, rule)| rule)
            .filter(|rule| !burn_rate.contains(&rule.alert)),
        &cases,
    );
    let _ = std::fs::remove_dir_all(dir);
}

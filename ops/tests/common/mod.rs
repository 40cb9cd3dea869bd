//! What the promtool tests share: the catalog, the generated files, and `promtool test rules`
//! cases written at test time.

// Each test binary uses part of this module.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use octo_ops::rules::Rule;
use octo_ops::{Options, ServiceCatalog, generate};

pub(crate) const SERVICE: &str = "octollm-test";

/// `task.execute` has both objectives (1 % errors, P95 under 2 s), `cache.lookup` none.
pub(crate) fn catalog() -> ServiceCatalog {
    serde_json::from_str(&format!(
        r#"{{"service":"{SERVICE}","version":"1.0.0","http":true,"events":[
            {{"name":"task.execute","description":"The arm executes one task",
              "slo_latency_p95_ms":2000,"slo_error_ratio":0.01,"families":["task_duration_seconds"]}},
            {{"name":"cache.lookup","description":null,"slo_latency_p95_ms":null,
              "slo_error_ratio":null,"families":[]}}]}}"#
    ))
    .unwrap()
}

pub(crate) fn options() -> Options {
    Options::new().target(SERVICE, "127.0.0.1:9000")
}

pub(crate) fn promtool_available() -> bool {
    Command::new("promtool").arg("--version").output().is_ok()
}

/// Runs promtool in `dir`; its output, which must report success.
pub(crate) fn promtool(dir: &Path, args: &[&str]) -> String {
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

/// The files generated from [`catalog`], in a directory of the test's own.
pub(crate) fn written(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("octo-ops-{test}-{}", std::process::id()));
    generate(&[catalog()], &options())
        .unwrap()
        .write_to(&dir)
        .unwrap();
    dir
}

/// One `promtool test rules` case: series (one sample a minute), and at `at`, the alert expected
/// (with its labels besides `severity` and `service`) or none.
pub(crate) struct Case {
    pub(crate) alert: &'static str,
    pub(crate) series: Vec<(String, &'static str)>,
    pub(crate) at: &'static str,
    pub(crate) fires: Option<Vec<(&'static str, &'static str)>>,
}

/// `name{service="octollm-test",labels}`.
pub(crate) fn s(name: &str, labels: &str) -> String {
    format!("{name}{{service=\"{SERVICE}\",{labels}}}")
}

/// Runs `cases` through `promtool test rules` against the generated `alerts.yml` in `dir`. An
/// alert expected to fire must carry exactly the rule's severity, the service, the case's labels
/// and the rule's annotations.
pub(crate) fn run_cases(dir: &Path, rules: &[(String, Rule)], cases: &[Case]) {
    let mut tests = String::from("rule_files:\n  - alerts.yml\nevaluation_interval: 1m\ntests:\n");
    for case in cases {
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
        let (_, rule) = rules
            .iter()
            .find(|(_, r)| r.alert == case.alert)
            .unwrap_or_else(|| panic!("no rule {}", case.alert));
        match &case.fires {
            None => tests.push_str("        exp_alerts: []\n"),
            Some(labels) => {
                let _ = writeln!(
                    tests,
                    "        exp_alerts:\n          - exp_labels:\n              severity: {}\n              service: {SERVICE}",
                    rule.severity
                );
                for (key, value) in labels {
                    let _ = writeln!(tests, "              {key}: \"{value}\"");
                }
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
    let output = promtool(dir, &["test", "rules", "alerts.test.yml"]);
    assert!(output.contains("SUCCESS"), "{output}");
}

/// Every rule of `rules` is tested firing and silent.
pub(crate) fn assert_covered<'a>(rules: impl IntoIterator<Item = &'a Rule>, cases: &[Case]) {
    for rule in rules {
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
}

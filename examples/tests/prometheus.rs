//! The generated ops artifacts against the real thing: Debian's Prometheus scrapes both example
//! services with the generated config; every dashboard query and every rule expression is
//! evaluated through its HTTP API, the counts agree with what was sent, the standard's own
//! queries return data; then the standard's LogQL filters, applied to the services' log files,
//! find exactly the lines expected.
#![allow(clippy::float_cmp)] // counters of a few requests, exact in f64

mod common;

use std::collections::BTreeSet;
use std::process::Command;
use std::time::Duration;

use common::Service;
use common::prometheus::{Api, Prometheus, both_services, wait_until};
use octo_instrument_tests::require_tool;
use octo_ops::{Options, ServiceCatalog};
use serde_json::Value;

const ORCHESTRATOR: &str = "octollm-orchestrator";
const ARM: &str = "octollm-arm-coder";
/// 9 tasks that succeed, 2 that fail at the LLM, 1 that is slow (over a second) and succeeds.
const OK: usize = 9;
const FAILING: [&str; 2] = ["req_prom_10", "req_prom_11"];
const SLOW: &str = "req_prom_12";
const SENT: usize = 12;

fn send_tasks(orchestrator: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        for i in 1..=SENT {
            let id = format!("req_prom_{i:02}");
            let prompt = if FAILING.contains(&id.as_str()) {
                "please fail"
            } else if id == SLOW {
                "a slow one"
            } else {
                "reverse a string"
            };
            let response = client
                .post(format!("http://{orchestrator}/api/v1/tasks"))
                .header("content-type", "application/json")
                .header("x-request-id", &id)
                .body(format!(
                    r#"{{"prompt":"{prompt}","priority":{}}}"#,
                    1 + i % 3
                ))
                .send()
                .await
                .unwrap();
            let expected = if FAILING.contains(&id.as_str()) {
                502
            } else {
                201
            };
            assert_eq!(response.status().as_u16(), expected, "{id}");
        }
    });
}

/// `expr > 5` → `expr`: the part of a rule that must return data while the alert is silent.
fn left_side(expr: &str) -> &str {
    [" > ", " == "]
        .iter()
        .filter_map(|op| expr.rfind(op))
        .max()
        .map_or(expr, |i| &expr[..i])
}

#[test]
fn the_generated_artifacts_work_against_a_running_prometheus() {
    let available = Command::new("prometheus").arg("--version").output().is_ok();
    if !require_tool(available, "prometheus (Debian package prometheus)") {
        return;
    }
    let work = std::env::temp_dir().join(format!("octo-prometheus-{}", std::process::id()));
    let log_dir = work.join("logs");
    std::fs::create_dir_all(&log_dir).unwrap();
    let log_dir_text = log_dir.to_str().unwrap();
    let arm = Service::start(
        env!("CARGO_BIN_EXE_octollm-arm-coder"),
        &[("LOG_DIR", log_dir_text)],
    );
    let arm_url = format!("http://{}", arm.addr);
    let orchestrator = Service::start(
        env!("CARGO_BIN_EXE_octollm-orchestrator"),
        &[("LOG_DIR", log_dir_text), ("ARM_CODER_URL", &arm_url)],
    );

    // Generate from what the binaries export, pointing at where they run.
    let (catalogs, mut options) = both_services(&orchestrator.addr, &arm.addr);
    options.log_dir = log_dir_text.into();
    let artifacts = octo_ops::generate(&catalogs, &options).unwrap();
    let config_dir = work.join("config");
    artifacts.write_to(&config_dir).unwrap();

    let prometheus = Prometheus::start(&config_dir, &work, &[]);
    let api = prometheus.api();
    // Both jobs up before the requests, so every counter is seen from zero.
    wait_until(
        "both targets to be scraped",
        Duration::from_secs(90),
        || api.value("sum(up)") >= 2.0,
    );

    send_tasks(&orchestrator.addr);
    let tasks =
        format!(r#"http_requests_total{{service="{ORCHESTRATOR}",endpoint="/api/v1/tasks"}}"#);
    wait_until(
        "the requests to be scraped",
        Duration::from_secs(90),
        || api.value(&format!("sum({tasks})")) >= SENT as f64,
    );
    // Two more scrapes, so every rate() has samples on both sides of the requests.
    std::thread::sleep(Duration::from_secs(3));

    assert_counts(&api, &tasks);

    assert_queries_return_data(&api, &catalogs, &options);
    drop(prometheus);

    orchestrator.stop();
    arm.stop();
    check_logql_equivalents(&log_dir);
    let _ = std::fs::remove_dir_all(&work);
}

/// The counts agree with what was sent.
fn assert_counts(api: &Api, tasks: &str) {
    // The counts agree with what was sent.
    assert_eq!(api.value(&format!("sum({tasks})")), SENT as f64);
    assert_eq!(
        api.value(&format!(r#"sum(http_requests_total{{service="{ORCHESTRATOR}",endpoint="/api/v1/tasks",status="502"}})"#)),
        FAILING.len() as f64
    );
    assert_eq!(
        api.value(&format!(
            r#"sum(tasks_created_total{{service="{ORCHESTRATOR}"}})"#
        )),
        SENT as f64
    );
    assert_eq!(
        api.value(&format!(
            r#"sum(errors_total{{service="{ARM}",component="llm.request"}})"#
        )),
        FAILING.len() as f64
    );
    assert_eq!(
        api.value(&format!(r#"sum(event_duration_seconds_count{{service="{ARM}",event="task.execute",outcome="ok"}})"#)),
        (OK + 1) as f64
    );
    assert_eq!(
        api.value(&format!(
            r#"sum(llm_api_latency_seconds_count{{service="{ARM}"}})"#
        )),
        SENT as f64
    );
    assert_eq!(
        api.value(&format!(
            r#"sum(tasks_in_progress{{service="{ORCHESTRATOR}"}})"#
        )),
        0.0
    );
    let increase = api.value(&format!("sum(increase({tasks}[5m]))"));
    assert!(increase > 0.0, "increase() sees the requests: {increase}");
}

/// Every dashboard query parses and returns data; every rule parses and its measured side returns
/// data; the standard's own queries return data.
fn assert_queries_return_data(api: &Api, catalogs: &[ServiceCatalog], options: &Options) {
    // Every dashboard query parses and returns data.
    for (title, exprs) in octo_ops::dashboard::queries(catalogs) {
        for expr in exprs {
            let expr = expr.replace("$service", &format!("{ORCHESTRATOR}|{ARM}"));
            assert!(
                !api.query(&expr).is_empty(),
                "panel {title:?}: no data for {expr}"
            );
        }
    }
    // Every rule parses; its measured side returns data (the alerts themselves stay silent).
    for (service, rule) in octo_ops::rules::rules(catalogs, options) {
        api.query(&rule.expr);
        let measured = left_side(&rule.expr);
        assert!(
            !api.query(measured).is_empty(),
            "{service} {}: no data for {measured}",
            rule.alert
        );
    }
    let firing = api.get("/api/v1/alerts").unwrap();
    assert_eq!(firing["status"], "success");
    // The standard's own queries, as written in it.
    for expr in [
        r#"rate(http_requests_total{service="octollm-orchestrator"}[5m])"#,
        "histogram_quantile(0.95, rate(http_request_duration_seconds_bucket[5m]))",
        r#"rate(errors_total{service="octollm-orchestrator"}[5m])"#,
        "tasks_in_progress",
    ] {
        assert!(!api.query(expr).is_empty(), "no data for {expr}");
    }
}

/// The standard's LogQL, as filters over the JSON lines of both services' log files.
fn check_logql_equivalents(log_dir: &std::path::Path) {
    let mut lines: Vec<(String, Value)> = Vec::new();
    for entry in std::fs::read_dir(log_dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in text.lines() {
            lines.push((
                line.to_owned(),
                serde_json::from_str(line).expect("a JSON line"),
            ));
        }
    }
    let events = |found: Vec<&(String, Value)>| -> BTreeSet<(String, String)> {
        found
            .iter()
            .map(|(_, l)| {
                (
                    l["service"].as_str().unwrap().to_owned(),
                    l["event"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let pairs = |list: &[(&str, &str)]| -> BTreeSet<(String, String)> {
        list.iter()
            .map(|(s, e)| ((*s).to_owned(), (*e).to_owned()))
            .collect()
    };

    // {service=~"octollm-.*"} |= "req_prom_05"
    let one: Vec<_> = lines
        .iter()
        .filter(|(raw, _)| raw.contains("req_prom_05"))
        .collect();
    assert_eq!(one.len(), 12, "5 orchestrator lines and 7 arm lines");
    assert_eq!(
        events(one),
        pairs(&[
            (ORCHESTRATOR, "request.started"),
            (ORCHESTRATOR, "task.created"),
            (ORCHESTRATOR, "task.dispatch.started"),
            (ORCHESTRATOR, "task.dispatch.completed"),
            (ORCHESTRATOR, "request.completed"),
            (ARM, "request.started"),
            (ARM, "task.execute.started"),
            (ARM, "llm.request.started"),
            (ARM, "llm.request.completed"),
            (ARM, "task.code.generated"),
            (ARM, "task.execute.completed"),
            (ARM, "request.completed"),
        ])
    );

    // | json | level="error"
    let errors: Vec<_> = lines
        .iter()
        .filter(|(_, l)| l["level"] == "error")
        .collect();
    assert_eq!(errors.len(), 5 * FAILING.len(), "{errors:#?}");
    assert!(
        errors
            .iter()
            .all(|(_, l)| FAILING.contains(&l["request_id"].as_str().unwrap()))
    );
    assert_eq!(
        events(errors),
        pairs(&[
            (ORCHESTRATOR, "task.dispatch.failed"),
            (ORCHESTRATOR, "request.completed"),
            (ARM, "llm.request.failed"),
            (ARM, "task.execute.failed"),
            (ARM, "request.completed"),
        ])
    );

    // | json | event=~"task\\..*"
    let tasks = lines
        .iter()
        .filter(|(_, l)| l["event"].as_str().unwrap().starts_with("task."))
        .count();
    assert_eq!(tasks, 6 * (OK + 1) + 5 * FAILING.len());

    // | json | duration_ms > 1000
    let slow: Vec<_> = lines
        .iter()
        .filter(|(_, l)| l["duration_ms"].as_f64().is_some_and(|ms| ms > 1000.0))
        .collect();
    assert!(
        slow.iter().all(|(_, l)| l["request_id"] == SLOW),
        "{slow:#?}"
    );
    assert_eq!(
        events(slow),
        pairs(&[
            (ORCHESTRATOR, "task.dispatch.completed"),
            (ORCHESTRATOR, "request.completed"),
            (ARM, "llm.request.completed"),
            (ARM, "task.execute.completed"),
            (ARM, "request.completed"),
        ])
    );

    // | json | error_code="LLM_API_ERROR"
    let llm: Vec<_> = lines
        .iter()
        .filter(|(_, l)| l["error_code"] == "LLM_API_ERROR")
        .collect();
    assert_eq!(llm.len(), 2 * FAILING.len());
    assert_eq!(
        events(llm),
        pairs(&[(ARM, "llm.request.failed"), (ARM, "task.execute.failed")])
    );
}

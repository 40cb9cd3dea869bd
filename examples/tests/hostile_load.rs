//! A hostile client against a service whose telemetry sinks are stuck (issue 9): requests with a
//! 60 KB path while nobody reads the service's stdout, and requests with a 300 KB `User-Agent`
//! while the collector hangs. Each queue is bounded in bytes and each value cut where it enters,
//! so the service's resident memory grows by less than 64 MiB more than over the same traffic
//! with a healthy sink and collector. Before the fix, the two attacks grew it by hundreds of MiB
//! (every queued line held the whole path; every queued span the whole header).
#![allow(clippy::float_cmp)] // counters of a few requests, exact in f64

mod common;

use std::time::Duration;

use common::{Service, Stalled, rss_kib};
use octo_instrument_tests::otlp::{Hanging, Receiver};

const ARM: &str = env!("CARGO_BIN_EXE_octollm-arm-coder");
/// Allowed growth, KiB: above the healthy run's, and at all.
const MARGIN_KIB: u64 = 64 * 1024;
const CONCURRENCY: usize = 8;

#[derive(Clone, Copy, Debug)]
enum Attack {
    /// `GET /ppp…` with a 60 KB path: every request line logs the path.
    LongPath,
    /// `GET /health` with a 300 KB `User-Agent`: every server span records it.
    LongUserAgent,
}

impl Attack {
    /// Enough to fill every queue many times over; `HOSTILE_PATH_REQUESTS` and
    /// `HOSTILE_AGENT_REQUESTS` scale it up to the issue's 5,000 and 3,000 for a measurement.
    fn requests(self) -> usize {
        let (variable, default) = match self {
            Self::LongPath => ("HOSTILE_PATH_REQUESTS", 2000),
            Self::LongUserAgent => ("HOSTILE_AGENT_REQUESTS", 1500),
        };
        std::env::var(variable)
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(default)
    }
}

/// Sends `attack` to `addr` from a few connections at once.
fn send(addr: &str, attack: Attack) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let path = format!("/{}", "p".repeat(60 * 1024));
        let agent = "a".repeat(300 * 1024);
        let mut workers = tokio::task::JoinSet::new();
        for worker in 0..CONCURRENCY {
            let (addr, path, agent) = (addr.to_owned(), path.clone(), agent.clone());
            workers.spawn(async move {
                let client = reqwest::Client::new();
                let count = attack.requests() / CONCURRENCY + usize::from(worker == 0);
                for _ in 0..count {
                    let request = match attack {
                        Attack::LongPath => client.get(format!("http://{addr}{path}")),
                        Attack::LongUserAgent => client
                            .get(format!("http://{addr}/health"))
                            .header("user-agent", &agent),
                    };
                    let response = request.send().await.expect("the service answers");
                    assert!(response.status().as_u16() < 500);
                }
            });
        }
        while let Some(done) = workers.join_next().await {
            done.unwrap();
        }
    });
}

/// Warms the service up, then returns its resident memory's growth over `attack`, KiB.
fn growth(pid: u32, addr: &str, attack: Attack) -> u64 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        for _ in 0..50 {
            client
                .get(format!("http://{addr}/health"))
                .send()
                .await
                .unwrap();
        }
    });
    std::thread::sleep(Duration::from_millis(300));
    let before = rss_kib(pid);
    send(addr, attack);
    std::thread::sleep(Duration::from_millis(500));
    rss_kib(pid).saturating_sub(before)
}

#[test]
fn a_stalled_stdout_under_long_paths_keeps_memory_bounded() {
    let attack = Attack::LongPath;
    let healthy = Service::start(ARM, &[]);
    let healthy_growth = growth(healthy.pid(), &healthy.addr, attack);
    let _ = healthy.stop();
    let stalled = Stalled::start(ARM, &[]);
    let stalled_growth = growth(stalled.child.id(), &stalled.addr, attack);
    eprintln!(
        "{attack:?}: healthy stdout +{healthy_growth} KiB, stalled stdout +{stalled_growth} KiB"
    );
    assert!(
        stalled_growth < healthy_growth + MARGIN_KIB && stalled_growth < MARGIN_KIB,
        "stalled +{stalled_growth} KiB against healthy +{healthy_growth} KiB"
    );
}

#[test]
fn a_hanging_collector_under_long_user_agents_keeps_memory_bounded() {
    let attack = Attack::LongUserAgent;
    let receiver = Receiver::grpc();
    let healthy = Service::start(
        ARM,
        &[("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.endpoint())],
    );
    let healthy_growth = growth(healthy.pid(), &healthy.addr, attack);
    let _ = healthy.stop();
    let hanging = Hanging::start();
    let endpoint = format!("http://{}", hanging.addr);
    let stuck = Service::start(ARM, &[("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint)]);
    let stuck_growth = growth(stuck.pid(), &stuck.addr, attack);
    eprintln!(
        "{attack:?}: healthy collector +{healthy_growth} KiB, hanging collector +{stuck_growth} KiB"
    );
    assert!(
        stuck_growth < healthy_growth + MARGIN_KIB && stuck_growth < MARGIN_KIB,
        "hanging +{stuck_growth} KiB against healthy +{healthy_growth} KiB"
    );
    drop(stuck);
}

/// The service's `/metrics` page.
async fn metrics_text(client: &reqwest::Client, addr: &str) -> String {
    client
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[test]
fn label_values_from_request_bodies_stay_a_closed_set() {
    let nowhere = octo_instrument_tests::otlp::closed_port();
    let orchestrator = Service::start(
        env!("CARGO_BIN_EXE_octollm-orchestrator"),
        &[("ARM_CODER_URL", &format!("http://{nowhere}"))],
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let metrics = runtime.block_on(async {
        let client = reqwest::Client::new();
        for i in 0..200 {
            let body = format!(
                r#"{{"prompt":"p","priority":{},"source":"client-{i}"}}"#,
                i % 300
            );
            client
                .post(format!("http://{}/api/v1/tasks", orchestrator.addr))
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
        }
        metrics_text(&client, &orchestrator.addr).await
    });
    let series: Vec<_> = octo_instrument_tests::parse_samples(&metrics)
        .into_iter()
        .filter(|s| s.name == "tasks_created_total")
        .collect();
    assert!(
        series.iter().all(|s| s.labels["source"] == "other"),
        "{series:#?}"
    );
    let priorities: std::collections::BTreeSet<_> = series
        .iter()
        .map(|s| s.labels["priority"].clone())
        .collect();
    assert!(priorities.len() <= 12, "0 to 10, and other: {priorities:?}");
    assert_eq!(series.iter().map(|s| s.value).sum::<f64>(), 200.0);
}

#[test]
fn the_arm_bounds_priorities_whoever_calls_it() {
    let arm = Service::start(ARM, &[]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let metrics = runtime.block_on(async {
        let client = reqwest::Client::new();
        for priority in [3, 11, 200, 255] {
            let status = client
                .post(format!("http://{}/api/v1/execute", arm.addr))
                .header("content-type", "application/json")
                .body(format!(
                    r#"{{"task_id":"t{priority}","prompt":"p","priority":{priority}}}"#
                ))
                .send()
                .await
                .unwrap()
                .status();
            assert!(status.is_success(), "{status}");
        }
        metrics_text(&client, &arm.addr).await
    });
    let priorities: std::collections::BTreeMap<_, _> =
        octo_instrument_tests::parse_samples(&metrics)
            .into_iter()
            .filter(|s| s.name == "task_duration_seconds_count")
            .map(|s| (s.labels["priority"].clone(), s.value))
            .collect();
    assert_eq!(
        priorities,
        [("3".to_owned(), 1.0), ("other".to_owned(), 3.0)].into(),
        "{metrics}"
    );
}

#[test]
fn a_hanging_arm_answers_the_caller_with_504_after_the_timeout() {
    // An arm that accepts the connection and the request, and never answers.
    let arm = Hanging::start();
    let orchestrator = Service::start(
        env!("CARGO_BIN_EXE_octollm-orchestrator"),
        &[
            ("ARM_CODER_URL", &format!("http://{}", arm.addr)),
            ("ARM_TIMEOUT_SECS", "1"),
        ],
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (status, body) = runtime.block_on(async {
        let response = reqwest::Client::new()
            .post(format!("http://{}/api/v1/tasks", orchestrator.addr))
            .timeout(Duration::from_secs(30))
            .header("content-type", "application/json")
            .body(r#"{"prompt":"p","priority":1}"#)
            .send()
            .await
            .expect("the orchestrator answers before the client's own 30 s");
        (response.status(), response.text().await.unwrap())
    });
    assert_eq!(status, 504, "{body}");
    assert!(body.contains("arm timed out"), "{body}");
    let failed = orchestrator
        .wait_for(|line| line["event"] == "task.dispatch.failed")
        .expect("the dispatch failed");
    assert_eq!(failed["error_type"], "ArmTimeout");
}

//! A collector that is down, unreachable or hanging: requests keep their latency, the export
//! queue stays bounded, dropped spans are counted, and the service's logs get one warning, not a
//! flood. Also: the guard flushes without hanging, from a plain `main` and from inside a Tokio
//! runtime.
#![allow(clippy::float_cmp)] // counters are small integers, exact in f64

use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use octo_instrument::http::ServerLayer;
use octo_instrument::logging::LogLayer;
use octo_instrument_tests::otlp::{Hanging, Receiver, closed_port};
use octo_instrument_tests::traced::serve;
use octo_instrument_tests::{Buffer, json_lines, metric, probe};
use tracing_subscriber::layer::SubscriberExt;

/// The export queue's capacity (set below) and the spans its requests in flight may carry (two
/// batches of 512, `trace/native/export.rs`).
const QUEUE: usize = 2048;
const IN_FLIGHT: usize = 1024;
const REQUESTS: usize = 100;
const BURST: usize = 6000;

fn dropped_spans() -> f64 {
    metric("octo_telemetry_dropped_total", &[("signal", "spans")]).unwrap_or(0.0)
}

/// Median request latency with spans exported to `endpoint` (`None`: no export), then a burst
/// of spans far larger than the queue; returns the median and the spans dropped meanwhile.
fn run(endpoint: Option<&str>) -> (Duration, f64) {
    let mut config = octo_instrument::Config::new()
        .service_name("octo-faults")
        .span_queue_spans(QUEUE);
    if let Some(endpoint) = endpoint {
        config = config.otlp_endpoint(endpoint);
    }
    let tracing = config.tracing().expect("a valid pipeline");
    let subscriber = tracing_subscriber::registry()
        .with(LogLayer::json(Buffer::default()))
        .with(tracing.layer());
    let before = dropped_spans();
    let median = tracing::subscriber::with_default(subscriber, || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let median = runtime.block_on(async {
            let app = Router::new()
                .route("/work", get(|| async { "done" }))
                .layer(ServerLayer::new());
            let base = serve(app).await;
            let client = reqwest::Client::new();
            let mut latencies = Vec::with_capacity(REQUESTS);
            for _ in 0..REQUESTS {
                let start = Instant::now();
                let response = client.get(format!("{base}/work")).send().await.unwrap();
                assert_eq!(response.status(), 200);
                latencies.push(start.elapsed());
            }
            latencies.sort();
            latencies[REQUESTS / 2]
        });
        for _ in 0..BURST {
            let _span = tracing::info_span!("burst").entered();
        }
        median
    });
    // A flush that cannot finish must still return.
    let flush_start = Instant::now();
    tracing.flush(Duration::from_millis(1500));
    assert!(
        flush_start.elapsed() < Duration::from_secs(5),
        "flush returned"
    );
    (median, dropped_spans() - before)
}

#[test]
fn requests_keep_their_latency_and_dropped_spans_are_counted_when_the_collector_fails() {
    let (baseline, dropped) = run(None);
    assert_eq!(dropped, 0.0, "nothing is exported, nothing is dropped");
    let hanging = Hanging::start();
    let hanging_url = format!("http://{}", hanging.addr);
    let down_url = format!("http://{}", closed_port());
    for (name, endpoint) in [
        ("down", down_url.as_str()),
        ("hanging", hanging_url.as_str()),
        // A non-routable address: connecting blocks until the exporter's timeout.
        ("unreachable", "http://10.255.255.1:4317"),
    ] {
        let (median, dropped) = run(Some(endpoint));
        assert!(
            median < baseline + Duration::from_millis(50),
            "{name}: median latency {median:?} against {baseline:?} without export"
        );
        // The queue holds at most QUEUE spans and the requests in flight IN_FLIGHT: all the
        // rest of the burst was dropped, and counted, rather than held in memory.
        let total = (REQUESTS + BURST) as f64;
        assert!(
            dropped >= total - (QUEUE + IN_FLIGHT) as f64,
            "{name}: {dropped} of {total} spans counted as dropped"
        );
        assert!(dropped <= total, "{name}: {dropped} > {total}");
    }
}

#[test]
fn a_failing_collector_is_one_warning_and_a_counter_not_a_flood() {
    let endpoint = format!("http://{}", closed_port());
    let output = probe(
        env!("CARGO_BIN_EXE_octo-probe"),
        &["spans", "1000"],
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            // After a refused connection the gRPC channel waits out the export timeout; a short
            // one lets both batches fail within the probe's 2.5 s.
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "300"),
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines = json_lines(&output.stdout);
    let warnings: Vec<_> = lines
        .iter()
        .filter(|l| l["event"] == "telemetry.export.failed")
        .collect();
    assert_eq!(
        warnings.len(),
        1,
        "one warning for a failing collector: {warnings:#?}"
    );
    assert_eq!(warnings[0]["level"], "warning");
    assert_eq!(warnings[0]["endpoint"], endpoint.as_str());
    assert!(
        lines.iter().all(|l| !l["logger"]
            .as_str()
            .unwrap_or_default()
            .starts_with("opentelemetry")
            && !l["logger"]
                .as_str()
                .unwrap_or_default()
                .starts_with("tonic")
            && !l["logger"].as_str().unwrap_or_default().starts_with("h2")),
        "the exporter's own crates stay out of the service's logs"
    );
    let metrics = String::from_utf8(output.stderr).unwrap();
    let dropped = metrics
        .lines()
        .find(|l| l.starts_with("octo_telemetry_dropped_total{") && l.contains(r#"signal="spans""#))
        .expect("the dropped counter");
    assert!(
        dropped.ends_with(" 1000"),
        "every span of the 1000 calls was counted: {dropped}"
    );
}

#[test]
fn the_guard_flushes_without_hanging_on_a_hanging_collector() {
    let hanging = Hanging::start();
    let start = Instant::now();
    let output = probe(
        env!("CARGO_BIN_EXE_octo-probe"),
        &["lines", "4"],
        &[(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            &format!("http://{}", hanging.addr),
        )],
    );
    assert!(output.status.success());
    assert_eq!(
        json_lines(&output.stdout).len(),
        9,
        "every log line was still written"
    );
    // The guard gives the export five seconds; a generous bound that is not "forever".
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn spans_reach_the_collector_when_the_guard_drops_inside_a_tokio_runtime() {
    let receiver = Receiver::grpc();
    let output = probe(
        env!("CARGO_BIN_EXE_octo-probe"),
        &["tokio-main", "4"],
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.endpoint()),
            ("SERVICE_NAME", "octo-probe-tokio"),
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Nothing waits here: the guard's drop exported them before the process exited.
    let spans = receiver.spans.all();
    assert_eq!(spans.len(), 4, "{spans:#?}");
    for span in &spans {
        assert_eq!(span.name, "probe.work");
        assert_eq!(span.service, "octo-probe-tokio");
        assert_eq!(span.resource["service.version"], "9.9.9");
        assert_eq!(span.resource["deployment.environment.name"], "development");
        assert_eq!(span.attributes["code.function.name"], "octo_probe::work");
        assert!(span.attributes["code.file.path"].ends_with("octo-probe.rs"));
        assert!(
            !span.attributes.contains_key("code.namespace"),
            "a removed convention"
        );
    }
    let mut failed: Vec<_> = spans
        .iter()
        .filter(|s| s.status_code == 2)
        .map(|s| s.status_message.as_str())
        .collect();
    failed.sort_unstable();
    assert_eq!(
        failed,
        ["odd 1", "odd 3"],
        "status ERROR with the message on failed calls"
    );
    let lines = json_lines(&output.stdout);
    let trace_ids: Vec<_> = lines
        .iter()
        .filter_map(|l| l["trace_id"].as_str())
        .collect();
    assert_eq!(trace_ids.len(), 8, "every observed line has a trace id");
    for span in &spans {
        assert!(trace_ids.contains(&span.trace_id.as_str()));
    }
}

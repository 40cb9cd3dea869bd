//! Runs one pipeline's calls in a loop as a service runs them, and says what they cost: wall
//! time and CPU time per call, on the calling thread and over the whole process (the log writer
//! and the export thread included), and what was dropped. Under `valgrind --tool=callgrind` the
//! difference between two runs of different lengths is the instructions a call costs on every
//! thread.
//!
//! `profile VARIANT CALLS [ENDPOINT]`, VARIANT one of
//! - `ideal`: a hand-written duration histogram and call counter around the same work;
//! - `metrics`: `#[observed]` with its log layer filtered to warnings and no trace layer: the
//!   metrics path;
//! - `traced`: `#[observed]` with the native trace layer, logs filtered out, nothing exported;
//! - `json`: the same with its two JSON lines through the background writer to `/dev/null`;
//! - `full`: what `init()` installs: the JSON lines to `/dev/null`, spans exported over OTLP/HTTP
//!   to ENDPOINT (an `otlp-sink`);
//! - `peer`: the peer's equivalent of `full`: `#[instrument]` with two `info!` lines,
//!   `tracing-subscriber`'s JSON formatter through `tracing-appender`'s non-blocking writer to
//!   `/dev/null`, `tracing-opentelemetry` over the OpenTelemetry SDK's batch processor and its
//!   OTLP/HTTP exporter to ENDPOINT.

use std::time::{Duration, Instant};

use octo_instrument_bench::cpu;
use octo_instrument_bench::subjects::{
    PeerPipeline, dev_null, ideal, instrumented, logs_filtered, observed_work,
};

#[inline(never)]
fn run(calls: u64, call: fn(u64) -> u64) {
    for i in 0..calls {
        std::hint::black_box(call(i));
    }
}

/// Runs `calls` calls under `dispatch`, then `flush`; prints what they cost.
fn measure(
    name: &str,
    calls: u64,
    dispatch: &tracing::Dispatch,
    call: fn(u64) -> u64,
    flush: impl FnOnce(),
) {
    let start = Instant::now();
    let thread_before = cpu::thread();
    let process_before = cpu::process();
    tracing::dispatcher::with_default(dispatch, || run(calls, call));
    let thread = cpu::thread().saturating_sub(thread_before);
    let calling = start.elapsed();
    flush();
    let process = cpu::process().saturating_sub(process_before);
    let per_call = |d: Duration| d.as_nanos() as f64 / calls as f64;
    println!(
        "{name}: {calls} calls; wall {:.0} ns/call; CPU {:.0} ns/call on the calling thread, \
         {:.0} ns/call in the process (background {:.0})",
        per_call(calling),
        per_call(thread),
        per_call(process),
        per_call(process.saturating_sub(thread)),
    );
}

fn ours(variant: &str, calls: u64, endpoint: Option<&str>) {
    let mut config = octo_instrument::Config::new()
        .service_name("octo-profile")
        .log_level(if variant == "traced" { "warn" } else { "info" })
        .log_writer(dev_null());
    if let Some(endpoint) = endpoint {
        config = config
            .otlp_endpoint(endpoint)
            .otlp_protocol(octo_instrument::trace::OtlpProtocol::HttpProtobuf);
    }
    let (dispatch, guard) = config.dispatch().expect("a valid configuration");
    measure(variant, calls, &dispatch, observed_work, || {
        assert!(guard.flush(Duration::from_mins(1)), "flushed");
    });
    let metrics = octo_instrument::metrics::render();
    for line in metrics.lines() {
        if line.starts_with("octo_telemetry_dropped_total") {
            println!("{line}");
        }
    }
}

fn peer(calls: u64, endpoint: &str) {
    let (dispatch, peer) = PeerPipeline::start(endpoint);
    measure("peer", calls, &dispatch, instrumented, || peer.flush());
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let variant = args.first().map_or("traced", String::as_str);
    let calls: u64 = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(100_000);
    let endpoint = args.get(2).map(String::as_str);
    match variant {
        "ideal" => measure("ideal", calls, &tracing::Dispatch::none(), ideal, || {}),
        "metrics" => measure("metrics", calls, &logs_filtered(), observed_work, || {}),
        "traced" | "json" => ours(variant, calls, None),
        "full" => ours(variant, calls, Some(endpoint.expect("an endpoint"))),
        "peer" => peer(calls, endpoint.expect("an endpoint")),
        other => panic!("unknown variant {other}"),
    }
    if let Some(endpoint) = endpoint {
        println!(
            "sink received (spans requests bytes): {}",
            cpu::sink_stats(endpoint)
        );
    }
}

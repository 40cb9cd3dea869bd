//! Per-call cost of `#[observed]`, beside the bare function, a hand-written ideal (one
//! pre-resolved histogram + one atomic add), `tracing`'s `#[instrument]` with two JSON lines,
//! autometrics and metered; sync and async; one thread, and two threads calling the same function.
//! The whole-pipeline rows run what `init()` installs (JSON lines through the background writer to
//! `/dev/null`, spans exported over OTLP/HTTP to an `otlp-sink` process on 127.0.0.1) and the
//! peer's equivalent (`#[instrument]`, `tracing-subscriber`'s JSON through `tracing-appender`'s
//! non-blocking writer, `tracing-opentelemetry` over the SDK's batch exporter to the same sink).
//!
//! `cargo bench -p octo-instrument-bench` prints, for each variant, the allocations per call (on
//! the calling thread and on every thread) and the CPU time per call (on the calling thread and
//! in the whole process, the writer and export threads included), then criterion's timings.

// Benchmark-only code: casts of small counts.
// The async variants are async on purpose, to measure the async path, and never await.
#![allow(clippy::cast_precision_loss, clippy::unused_async)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Barrier, LazyLock, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use metered::{HitCount, InFlight, ResponseTime};
use octo_instrument::observed;
use octo_instrument_bench::subjects::{
    PeerPipeline, dev_null, ideal, instrumented, logs_filtered, observed_work, work,
};
use octo_instrument_bench::{cpu, sink::Sink};
use tracing::Dispatch;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;

/// Counts every allocation, so the table can say how many a call makes, and on which thread.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static THREAD_ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        let _ = THREAD_ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn bare(x: u64) -> u64 {
    work(x)
}

#[autometrics::autometrics]
fn autometrics_work(x: u64) -> u64 {
    work(x)
}

#[derive(Default)]
struct Metered {
    metrics: MeteredMetrics,
}

#[metered::metered(registry = MeteredMetrics)]
impl Metered {
    #[measure([HitCount, InFlight, ResponseTime])]
    fn work(&self, x: u64) -> u64 {
        work(x)
    }

    #[measure([HitCount, InFlight, ResponseTime])]
    async fn work_async(&self, x: u64) -> u64 {
        work(x)
    }
}

static METERED: LazyLock<Metered> = LazyLock::new(Metered::default);

/// `prometheus-client`'s histogram with exemplars, as its documentation uses it: the exemplar a
/// label set of the trace id, made per observation.
static EXEMPLAR_HISTOGRAM: LazyLock<
    prometheus_client::metrics::exemplar::HistogramWithExemplars<Vec<(String, String)>>,
> = LazyLock::new(|| {
    prometheus_client::metrics::exemplar::HistogramWithExemplars::new(
        octo_instrument::metrics::buckets::DEFAULT.iter().copied(),
    )
});

/// The work, timed into `prometheus-client`'s histogram with the call's trace id as exemplar.
fn prometheus_client_exemplar(x: u64) -> u64 {
    let start = std::time::Instant::now();
    let out = work(x);
    EXEMPLAR_HISTOGRAM.observe(
        start.elapsed().as_secs_f64(),
        Some(vec![(
            "trace_id".to_owned(),
            "4bf92f3577b34da6a3ce929d0e0e4736".to_owned(),
        )]),
        None,
    );
    out
}

async fn bare_async(x: u64) -> u64 {
    work(x)
}

async fn ideal_async(x: u64) -> u64 {
    ideal(x)
}

#[observed(event = "bench.work_async")]
async fn observed_async(x: u64) -> u64 {
    work(x)
}

#[tracing::instrument(skip_all)]
async fn instrumented_async(x: u64) -> u64 {
    tracing::info!("started");
    let out = work(x);
    tracing::info!("completed");
    out
}

#[autometrics::autometrics]
async fn autometrics_async(x: u64) -> u64 {
    work(x)
}

/// Polls a future that never waits; the functions above complete on their first poll.
fn ready<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => unreachable!("benchmarked futures complete at once"),
    }
}

/// `#[observed]` under a subscriber that makes every `INFO` span and does nothing more with it
/// (one global filter, one layer that does nothing): what the registry's span bookkeeping costs
/// alone, the floor under any `tracing` layer that sees spans.
fn registry_floor() -> Dispatch {
    struct Noop;
    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Noop {}
    Dispatch::new(tracing_subscriber::registry().with(Noop).with(
        tracing_subscriber::filter::filter_fn(|metadata| {
            metadata.is_span() && *metadata.level() <= tracing::Level::INFO
        }),
    ))
}

/// What `init()` installs with `LOG_LEVEL=warn` and no OTLP endpoint: every `INFO` span gets
/// ids and attributes (so log lines could carry them), nothing is exported.
fn traced_logs_filtered() -> Dispatch {
    init_like(octo_instrument::Config::new().log_level("warn"))
}

/// The same with the OpenTelemetry SDK's span pipeline (`tracing-opentelemetry`).
fn sdk_traced_logs_filtered() -> Dispatch {
    init_like(
        octo_instrument::Config::new()
            .log_level("warn")
            .span_pipeline(octo_instrument::trace::SpanPipeline::OpenTelemetrySdk),
    )
}

/// What `Config::init()` builds (one global filter, the background writer), its lines to
/// `io::sink`; the guard is kept for the life of the benchmark.
fn init_like(config: octo_instrument::Config) -> Dispatch {
    let (dispatch, guard) = config
        .log_writer(std::io::sink())
        .dispatch()
        .expect("a valid configuration");
    Box::leak(Box::new(guard));
    dispatch
}

/// The OTLP sink the whole-pipeline rows export to: a process of its own, ended when this one
/// exits (its stdin closes).
static SINK: LazyLock<Sink> = LazyLock::new(|| Sink::start(env!("CARGO_BIN_EXE_otlp-sink")));

static OURS: Mutex<Option<octo_instrument::Guard>> = Mutex::new(None);

/// What `init()` installs with its defaults and an OTLP endpoint: JSON lines through the
/// background writer to `/dev/null`, spans exported over OTLP/HTTP to the sink.
fn full_pipeline() -> Dispatch {
    install_ours(|config| config)
}

/// The whole pipeline with every line also exported as an OTLP log record
/// (`OTEL_LOGS_EXPORTER=otlp`), to the same sink.
fn full_pipeline_otlp_logs() -> Dispatch {
    install_ours(|config| config.otlp_logs(true))
}

/// Our whole pipeline, as `configure` changes it, kept until the end of the run.
fn install_ours(
    configure: impl FnOnce(octo_instrument::Config) -> octo_instrument::Config,
) -> Dispatch {
    let config = octo_instrument::Config::new()
        .service_name("octo-bench")
        .log_level("info")
        .otlp_endpoint(&SINK.endpoint)
        .otlp_protocol(octo_instrument::trace::OtlpProtocol::HttpProtobuf)
        .log_writer(dev_null());
    let (dispatch, guard) = configure(config).dispatch().expect("a valid configuration");
    *OURS.lock().unwrap() = Some(guard);
    dispatch
}

fn flush_ours() {
    if let Some(guard) = &*OURS.lock().unwrap() {
        assert!(guard.flush(Duration::from_mins(1)), "flushed");
    }
}

/// The peer's pipeline being measured.
static PEER: Mutex<Option<PeerPipeline>> = Mutex::new(None);

/// The peer's equivalent of the whole pipeline, exporting to the sink.
fn peer_full_pipeline() -> Dispatch {
    let (dispatch, peer) = PeerPipeline::start(&SINK.endpoint);
    *PEER.lock().unwrap() = Some(peer);
    dispatch
}

fn flush_peer() {
    if let Some(peer) = &*PEER.lock().unwrap() {
        peer.flush();
    }
}

fn no_flush() {}

/// `#[instrument]` with the tracing-opentelemetry layer as its README sets it up (an SDK tracer,
/// nothing exported) and no log output.
fn otel_layer() -> Dispatch {
    use opentelemetry::trace::TracerProvider as _;
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
    Dispatch::new(
        tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("bench")))
            .with(LevelFilter::INFO),
    )
}

/// `#[observed]` writing its two JSON lines to `io::sink`.
fn octo_json() -> Dispatch {
    Dispatch::new(
        tracing_subscriber::registry()
            .with(octo_instrument::logging::LogLayer::json(std::io::sink())),
    )
}

/// `#[instrument]` with tracing-subscriber's JSON formatter writing to `io::sink`.
fn fmt_json() -> Dispatch {
    Dispatch::new(
        tracing_subscriber::fmt()
            .json()
            .with_writer(std::io::sink)
            .with_max_level(LevelFilter::INFO)
            .finish(),
    )
}

fn none() -> Dispatch {
    Dispatch::none()
}

struct Variant {
    name: &'static str,
    dispatch: fn() -> Dispatch,
    call: fn(u64) -> u64,
    /// Waits until the pipeline's background threads have done the work of the calls so far.
    flush: fn(),
}

/// A variant whose pipeline has no background work.
const fn variant(name: &'static str, dispatch: fn() -> Dispatch, call: fn(u64) -> u64) -> Variant {
    Variant {
        name,
        dispatch,
        call,
        flush: no_flush,
    }
}

fn sync_variants() -> Vec<Variant> {
    vec![
        variant("bare", none, bare),
        variant("ideal", none, ideal),
        variant("observed_logs_filtered", logs_filtered, observed_work),
        variant("observed_registry_floor", registry_floor, observed_work),
        variant(
            "observed_traced_logs_filtered",
            traced_logs_filtered,
            observed_work,
        ),
        variant(
            "observed_sdk_traced_logs_filtered",
            sdk_traced_logs_filtered,
            observed_work,
        ),
        variant("instrument_otel_layer", otel_layer, instrumented),
        variant("observed_json_sink", octo_json, observed_work),
        variant("instrument_json_sink", fmt_json, instrumented),
        Variant {
            name: "observed_full_pipeline",
            dispatch: full_pipeline,
            call: observed_work,
            flush: flush_ours,
        },
        Variant {
            name: "observed_full_pipeline_otlp_logs",
            dispatch: full_pipeline_otlp_logs,
            call: observed_work,
            flush: flush_ours,
        },
        Variant {
            name: "instrument_full_pipeline",
            dispatch: peer_full_pipeline,
            call: instrumented,
            flush: flush_peer,
        },
        variant("autometrics", none, autometrics_work),
        variant("metered", none, |x| METERED.work(x)),
        variant(
            "prometheus_client_exemplar",
            none,
            prometheus_client_exemplar,
        ),
    ]
}

fn async_variants() -> Vec<Variant> {
    vec![
        variant("bare", none, |x| ready(bare_async(x))),
        variant("ideal", none, |x| ready(ideal_async(x))),
        variant("observed_logs_filtered", logs_filtered, |x| {
            ready(observed_async(x))
        }),
        variant("observed_traced_logs_filtered", traced_logs_filtered, |x| {
            ready(observed_async(x))
        }),
        variant("instrument_otel_layer", otel_layer, |x| {
            ready(instrumented_async(x))
        }),
        variant("observed_json_sink", octo_json, |x| {
            ready(observed_async(x))
        }),
        variant("instrument_json_sink", fmt_json, |x| {
            ready(instrumented_async(x))
        }),
        Variant {
            name: "observed_full_pipeline",
            dispatch: full_pipeline,
            call: |x| ready(observed_async(x)),
            flush: flush_ours,
        },
        variant("autometrics", none, |x| ready(autometrics_async(x))),
        variant("metered", none, |x| ready(METERED.work_async(x))),
    ]
}

/// Allocations and CPU time per call, measured once outside criterion on a warmed-up call site:
/// on the calling thread, and over the whole process once the background threads have done
/// their part (the flush).
fn report_costs(kind: &str, variant: &Variant, dispatch: &Dispatch) {
    const CALLS: u64 = 100_000;
    tracing::dispatcher::with_default(dispatch, || {
        for i in 0..1000 {
            black_box((variant.call)(i));
        }
        (variant.flush)();
        let all_before = ALLOCATIONS.load(Relaxed);
        let thread_before = THREAD_ALLOCATIONS.with(Cell::get);
        let thread_cpu = cpu::thread();
        let process_cpu = cpu::process();
        for i in 0..CALLS {
            black_box((variant.call)(i));
        }
        let thread_cpu = cpu::thread().saturating_sub(thread_cpu);
        let thread_allocations = THREAD_ALLOCATIONS.with(Cell::get) - thread_before;
        (variant.flush)();
        let process_cpu = cpu::process().saturating_sub(process_cpu);
        let all_allocations = ALLOCATIONS.load(Relaxed) - all_before;
        let per_call = |n: f64| n / CALLS as f64;
        println!(
            "allocations/call {kind}/{}: {:.2} on the calling thread, {:.2} on every thread",
            variant.name,
            per_call(thread_allocations as f64),
            per_call(all_allocations as f64),
        );
        println!(
            "cpu/call {kind}/{}: {:.0} ns on the calling thread, {:.0} ns in the process \
             (background threads {:.0} ns)",
            variant.name,
            per_call(thread_cpu.as_nanos() as f64),
            per_call(process_cpu.as_nanos() as f64),
            per_call(process_cpu.saturating_sub(thread_cpu).as_nanos() as f64),
        );
    });
}

/// `iters` calls on each of `threads` threads (under the global subscriber), started together.
fn run_threads(threads: usize, iters: u64, call: fn(u64) -> u64) {
    let barrier = Arc::new(Barrier::new(threads + 1));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                for i in 0..iters {
                    black_box(call(black_box(i)));
                }
            })
        })
        .collect();
    barrier.wait();
    for handle in handles {
        handle.join().unwrap();
    }
}

fn benches(c: &mut Criterion) {
    for (kind, variants) in [("sync", sync_variants()), ("async", async_variants())] {
        for variant in &variants {
            // One subscriber at a time, as in a service: callsites cache what the one subscriber
            // says of them (with several alive, every call would ask).
            let dispatch = (variant.dispatch)();
            report_costs(kind, variant, &dispatch);
            let mut group = c.benchmark_group(kind);
            tracing::dispatcher::with_default(&dispatch, || {
                group.bench_function(variant.name, |b| b.iter(|| (variant.call)(black_box(7))));
            });
            group.finish();
            (variant.flush)();
            if kind == "sync" && !variant.name.ends_with("json_sink") {
                report_throughput(variant.name);
            }
        }
    }
}

/// Runs the two-thread measurement of `name` in a process of its own (this benchmark again, told
/// which variant by `OCTO_BENCH_THREADS`), where the variant's subscriber is the global default,
/// as `init()` installs it: spans of a scoped subscriber share its reference count across
/// threads, which the global one has not.
fn report_throughput(name: &str) {
    let output = std::process::Command::new(std::env::current_exe().expect("this benchmark"))
        .env("OCTO_BENCH_THREADS", name)
        .output()
        .expect("the throughput run");
    print!("{}", String::from_utf8_lossy(&output.stdout));
}

/// The child's side of [`report_throughput`]: calls per second with one thread and with two
/// calling the same function, each over 300,000 calls per thread (background work included: the
/// flush waits for it), best of five.
fn throughput(name: &str) {
    const CALLS: u64 = 300_000;
    let variant = sync_variants()
        .into_iter()
        .find(|v| v.name == name)
        .expect("a variant");
    tracing::dispatcher::set_global_default((variant.dispatch)()).expect("the first subscriber");
    let rate = |threads: usize| {
        (0..5)
            .map(|_| {
                let start = Instant::now();
                run_threads(threads, CALLS, variant.call);
                (variant.flush)();
                (threads as u64 * CALLS) as f64 / start.elapsed().as_secs_f64()
            })
            .fold(0.0, f64::max)
    };
    let one = rate(1);
    let two = rate(2);
    println!(
        "throughput sync/{name}: {:.2} M calls/s on one thread, {:.2} M on two: {:.2}x",
        one / 1e6,
        two / 1e6,
        two / one
    );
}

fn main() {
    if let Ok(name) = std::env::var("OCTO_BENCH_THREADS") {
        throughput(&name);
        return;
    }
    overhead();
    Criterion::default().configure_from_args().final_summary();
}

criterion_group! {
    name = overhead;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = benches
}

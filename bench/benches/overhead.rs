//! Per-call cost of `#[observed]`, beside the bare function, a hand-written ideal (one
//! pre-resolved histogram + one atomic add), `tracing`'s `#[instrument]` with two JSON lines,
//! autometrics and metered; sync and async; one thread, and two threads calling the same function.
//!
//! `cargo bench -p octo-instrument-bench` prints the allocations per call of each variant first,
//! then criterion's timings.

// Benchmark-only code: casts of small counts.
// The async variants are async on purpose, to measure the async path, and never await.
#![allow(clippy::cast_precision_loss, clippy::unused_async)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Barrier, LazyLock};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use metered::{HitCount, InFlight, ResponseTime};
use octo_instrument::observed;
use tracing::Dispatch;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{Layer, filter::LevelFilter};

/// Counts every allocation, so the table can say how many a call makes.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
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

#[inline(never)]
fn work(x: u64) -> u64 {
    black_box(x).wrapping_mul(31).rotate_left(7)
}

fn bare(x: u64) -> u64 {
    work(x)
}

static IDEAL_HISTOGRAM: LazyLock<prometheus::Histogram> = LazyLock::new(|| {
    prometheus::Histogram::with_opts(prometheus::HistogramOpts::new("ideal_seconds", "ideal"))
        .unwrap()
});
static IDEAL_CALLS: AtomicI64 = AtomicI64::new(0);

/// What a hand-written instrumentation costs at the least.
fn ideal(x: u64) -> u64 {
    let start = Instant::now();
    let out = work(x);
    IDEAL_HISTOGRAM.observe(start.elapsed().as_secs_f64());
    IDEAL_CALLS.fetch_add(1, Relaxed);
    out
}

#[observed(event = "bench.work")]
fn observed_work(x: u64) -> u64 {
    work(x)
}

#[tracing::instrument(skip_all)]
fn instrumented(x: u64) -> u64 {
    tracing::info!("started");
    let out = work(x);
    tracing::info!("completed");
    out
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

/// `#[observed]` with its own JSON layer present but filtered to warnings: the metrics path.
fn logs_filtered() -> Dispatch {
    Dispatch::new(tracing_subscriber::registry().with(
        octo_instrument::logging::LogLayer::json(std::io::sink()).with_filter(LevelFilter::WARN),
    ))
}

/// A layer that wants every `INFO` span and does nothing with it: what the registry alone costs.
fn registry_spans() -> Dispatch {
    struct Noop;
    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Noop {}
    Dispatch::new(
        tracing_subscriber::registry()
            .with(
                octo_instrument::logging::LogLayer::json(std::io::sink())
                    .with_filter(LevelFilter::WARN),
            )
            .with(
                Noop.with_filter(tracing_subscriber::filter::filter_fn(|metadata| {
                    metadata.is_span() && *metadata.level() <= tracing::Level::INFO
                })),
            ),
    )
}

/// The registry alone, with a global (not per-layer) filter that enables `INFO` spans only.
fn registry_global_filter() -> Dispatch {
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
}

fn sync_variants() -> Vec<Variant> {
    vec![
        Variant {
            name: "bare",
            dispatch: none,
            call: bare,
        },
        Variant {
            name: "ideal",
            dispatch: none,
            call: ideal,
        },
        Variant {
            name: "observed_logs_filtered",
            dispatch: logs_filtered,
            call: observed_work,
        },
        Variant {
            name: "observed_registry_spans",
            dispatch: registry_spans,
            call: observed_work,
        },
        Variant {
            name: "observed_registry_global_filter",
            dispatch: registry_global_filter,
            call: observed_work,
        },
        Variant {
            name: "observed_traced_logs_filtered",
            dispatch: traced_logs_filtered,
            call: observed_work,
        },
        Variant {
            name: "observed_sdk_traced_logs_filtered",
            dispatch: sdk_traced_logs_filtered,
            call: observed_work,
        },
        Variant {
            name: "instrument_otel_layer",
            dispatch: otel_layer,
            call: instrumented,
        },
        Variant {
            name: "observed_json_sink",
            dispatch: octo_json,
            call: observed_work,
        },
        Variant {
            name: "instrument_json_sink",
            dispatch: fmt_json,
            call: instrumented,
        },
        Variant {
            name: "autometrics",
            dispatch: none,
            call: autometrics_work,
        },
        Variant {
            name: "metered",
            dispatch: none,
            call: |x| METERED.work(x),
        },
    ]
}

fn async_variants() -> Vec<Variant> {
    vec![
        Variant {
            name: "bare",
            dispatch: none,
            call: |x| ready(bare_async(x)),
        },
        Variant {
            name: "ideal",
            dispatch: none,
            call: |x| ready(ideal_async(x)),
        },
        Variant {
            name: "observed_logs_filtered",
            dispatch: logs_filtered,
            call: |x| ready(observed_async(x)),
        },
        Variant {
            name: "observed_traced_logs_filtered",
            dispatch: traced_logs_filtered,
            call: |x| ready(observed_async(x)),
        },
        Variant {
            name: "instrument_otel_layer",
            dispatch: otel_layer,
            call: |x| ready(instrumented_async(x)),
        },
        Variant {
            name: "observed_json_sink",
            dispatch: octo_json,
            call: |x| ready(observed_async(x)),
        },
        Variant {
            name: "instrument_json_sink",
            dispatch: fmt_json,
            call: |x| ready(instrumented_async(x)),
        },
        Variant {
            name: "autometrics",
            dispatch: none,
            call: |x| ready(autometrics_async(x)),
        },
        Variant {
            name: "metered",
            dispatch: none,
            call: |x| ready(METERED.work_async(x)),
        },
    ]
}

/// Allocations per call, measured once outside criterion on a warmed-up call site.
fn report_allocations(kind: &str, variants: &[Variant]) {
    const CALLS: u64 = 10_000;
    for variant in variants {
        tracing::dispatcher::with_default(&(variant.dispatch)(), || {
            for i in 0..1000 {
                black_box((variant.call)(i));
            }
            let before = ALLOCATIONS.load(Relaxed);
            for i in 0..CALLS {
                black_box((variant.call)(i));
            }
            let per_call = (ALLOCATIONS.load(Relaxed) - before) as f64 / CALLS as f64;
            println!("allocations/call {kind}/{}: {per_call:.2}", variant.name);
        });
    }
}

/// `iters` calls on each of `threads` threads, started together; returns the wall time.
fn run_threads(threads: usize, iters: u64, variant: &Variant) -> Duration {
    let barrier = Arc::new(Barrier::new(threads + 1));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let barrier = barrier.clone();
            let dispatch = (variant.dispatch)();
            let call = variant.call;
            std::thread::spawn(move || {
                tracing::dispatcher::with_default(&dispatch, || {
                    barrier.wait();
                    for i in 0..iters {
                        black_box(call(black_box(i)));
                    }
                });
            })
        })
        .collect();
    barrier.wait();
    let start = Instant::now();
    for handle in handles {
        handle.join().unwrap();
    }
    start.elapsed()
}

fn benches(c: &mut Criterion) {
    let sync = sync_variants();
    let asynchronous = async_variants();
    report_allocations("sync", &sync);
    report_allocations("async", &asynchronous);

    for (kind, variants) in [("sync", &sync), ("async", &asynchronous)] {
        let mut group = c.benchmark_group(kind);
        for variant in variants {
            tracing::dispatcher::with_default(&(variant.dispatch)(), || {
                group.bench_function(variant.name, |b| b.iter(|| (variant.call)(black_box(7))));
            });
        }
        group.finish();
    }

    // Throughput with one and two threads calling the same function: wall time per call per
    // thread, so 2-thread throughput / 1-thread throughput = 2 * t(1) / t(2).
    let mut group = c.benchmark_group("threads");
    for variant in sync
        .iter()
        .filter(|v| v.name != "observed_json_sink" && v.name != "instrument_json_sink")
    {
        for threads in [1, 2] {
            group.bench_function(format!("{}/{threads}", variant.name), |b| {
                b.iter_custom(|iters| run_threads(threads, iters, variant));
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = overhead;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = benches
}
criterion_main!(overhead);

//! What the benchmark and the profiling runs measure: the work, its hand-written ideal, its
//! `#[observed]` and `#[instrument]` versions, and the subscribers they run under.

use std::hint::black_box;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

use octo_instrument::observed;
use tracing::Dispatch;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::{Layer as _, filter::LevelFilter};

/// The function under test: a multiply and a rotate.
///
/// ```
/// assert_eq!(octo_instrument_bench::subjects::work(1), 31 << 7);
/// ```
#[inline(never)]
pub fn work(x: u64) -> u64 {
    black_box(x).wrapping_mul(31).rotate_left(7)
}

static IDEAL_HISTOGRAM: LazyLock<prometheus::Histogram> = LazyLock::new(|| {
    prometheus::Histogram::with_opts(prometheus::HistogramOpts::new("ideal_seconds", "ideal"))
        .expect("a histogram")
});
static IDEAL_CALLS: AtomicU64 = AtomicU64::new(0);

/// What a hand-written instrumentation costs at the least: `Instant::now`, one pre-resolved
/// histogram observation, one atomic add.
///
/// ```
/// assert_eq!(octo_instrument_bench::subjects::ideal(1), 31 << 7);
/// ```
pub fn ideal(x: u64) -> u64 {
    let start = Instant::now();
    let out = work(x);
    IDEAL_HISTOGRAM.observe(start.elapsed().as_secs_f64());
    IDEAL_CALLS.fetch_add(1, Relaxed);
    out
}

/// The work, observed.
///
/// ```
/// assert_eq!(octo_instrument_bench::subjects::observed_work(1), 31 << 7);
/// ```
#[observed(event = "bench.work")]
pub fn observed_work(x: u64) -> u64 {
    work(x)
}

/// The work as `tracing` users instrument it: a span and two lines.
///
/// ```
/// assert_eq!(octo_instrument_bench::subjects::instrumented(1), 31 << 7);
/// ```
#[tracing::instrument(skip_all)]
pub fn instrumented(x: u64) -> u64 {
    tracing::info!("started");
    let out = work(x);
    tracing::info!("completed");
    out
}

/// `/dev/null`, written for real (a system call per write).
///
/// ```
/// use std::io::Write;
/// octo_instrument_bench::subjects::dev_null().write_all(b"gone").unwrap();
/// ```
pub fn dev_null() -> std::fs::File {
    std::fs::File::options()
        .write(true)
        .open("/dev/null")
        .expect("/dev/null")
}

/// `#[observed]` with its own JSON layer present but filtered to warnings and no trace layer:
/// the metrics path.
///
/// ```
/// let dispatch = octo_instrument_bench::subjects::logs_filtered();
/// tracing::dispatcher::with_default(&dispatch, || octo_instrument_bench::subjects::observed_work(1));
/// ```
pub fn logs_filtered() -> Dispatch {
    Dispatch::new(tracing_subscriber::registry().with(
        octo_instrument::logging::LogLayer::json(std::io::sink()).with_filter(LevelFilter::WARN),
    ))
}

/// The peer's equivalent of the whole `init()` pipeline: `tracing-subscriber`'s JSON through
/// `tracing-appender`'s non-blocking writer to `/dev/null`, `tracing-opentelemetry` over the
/// OpenTelemetry SDK's batch processor and its OTLP/HTTP exporter.
pub struct PeerPipeline {
    provider: opentelemetry_sdk::trace::SdkTracerProvider,
    _writer: tracing_appender::non_blocking::WorkerGuard,
}

impl PeerPipeline {
    /// The pipeline exporting to `endpoint` (`http://host:port`), and its subscriber.
    ///
    /// ```no_run
    /// let (dispatch, peer) = octo_instrument_bench::subjects::PeerPipeline::start("http://127.0.0.1:4318");
    /// tracing::dispatcher::with_default(&dispatch, || octo_instrument_bench::subjects::instrumented(1));
    /// peer.flush();
    /// ```
    pub fn start(endpoint: &str) -> (Dispatch, Self) {
        use opentelemetry::trace::TracerProvider as _;
        use opentelemetry_otlp::WithExportConfig as _;
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
            .with_endpoint(format!("{endpoint}/v1/traces"))
            .build()
            .expect("an exporter");
        let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .build();
        let (writer, writer_guard) = tracing_appender::non_blocking(dev_null());
        let dispatch = Dispatch::new(
            tracing_subscriber::registry()
                .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("peer")))
                .with(tracing_subscriber::fmt::layer().json().with_writer(writer))
                .with(LevelFilter::INFO),
        );
        (
            dispatch,
            Self {
                provider,
                _writer: writer_guard,
            },
        )
    }

    /// Exports the spans the batch processor holds.
    pub fn flush(&self) {
        let _ = self.provider.force_flush();
    }
}

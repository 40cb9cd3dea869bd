//! Prometheus metrics: the families of the OctoLLM standard in one registry, rendered in the text
//! exposition format with the `service` label on every series.
//!
//! ```
//! use octo_instrument::observed;
//!
//! #[observed(event = "docs.metrics_example")]
//! fn work() -> u32 { 7 }
//!
//! work();
//! let text = octo_instrument::metrics::render();
//! assert!(text.contains(r#"event_duration_seconds_count{service="#));
//! assert!(text.contains(r#"event="docs.metrics_example",outcome="ok"} 1"#));
//! ```

pub mod buckets;
pub(crate) mod events;
pub(crate) mod extra;
#[cfg(feature = "axum")]
pub(crate) mod http;
mod server;
pub(crate) mod sharded;

use std::sync::LazyLock;

use prometheus::core::Collector;
use prometheus::proto::LabelPair;
use prometheus::{Encoder, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder};

pub use server::MetricsServer;

/// The `Content-Type` of [`render`]'s output, for a `/metrics` handler of your own.
///
/// ```
/// assert!(octo_instrument::metrics::CONTENT_TYPE.starts_with("text/plain; version=0.0.4"));
/// ```
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

struct Families {
    registry: Registry,
    errors: IntCounterVec,
    dropped: IntCounterVec,
    sampled_out: IntCounterVec,
    build_info: IntGaugeVec,
}

static FAMILIES: LazyLock<Families> = LazyLock::new(|| {
    let registry = Registry::new();
    let errors = IntCounterVec::new(
        Opts::new(
            "errors_total",
            "Errors by component (event name, or http) and error type.",
        ),
        &["component", "error_type"],
    )
    .expect("valid family");
    let dropped = IntCounterVec::new(
        Opts::new(
            "octo_telemetry_dropped_total",
            "Log lines or spans the telemetry pipeline had to drop, by signal.",
        ),
        &["signal"],
    )
    .expect("valid family");
    let sampled_out = IntCounterVec::new(
        Opts::new(
            "octo_telemetry_sampled_out_total",
            "started/completed log lines left out by sampling, by event (metrics count every call).",
        ),
        &["event"],
    )
    .expect("valid family");
    let build_info = IntGaugeVec::new(
        Opts::new(
            "octo_build_info",
            "Always 1: the service's name, version and environment.",
        ),
        &["service", "version", "environment"],
    )
    .expect("valid family");
    for collector in [
        Box::new(errors.clone()) as Box<dyn Collector>,
        Box::new(dropped.clone()),
        Box::new(sampled_out.clone()),
        Box::new(build_info.clone()),
        Box::new(events::EventCollector::new()),
    ] {
        registry
            .register(collector)
            .expect("built-in families are distinct");
    }
    // The dropped counters exist at zero, so an alert on them has a series to read from the start.
    for signal in ["logs", "spans"] {
        dropped.with_label_values(&[signal]);
    }
    // Before `init()` the identity is the fallback one; `init()` replaces the series.
    let identity = crate::identity::current();
    build_info
        .with_label_values(&[&identity.service, &identity.version, &identity.environment])
        .set(1);
    Families {
        registry,
        errors,
        dropped,
        sampled_out,
        build_info,
    }
});

/// The registry behind [`render`]. Register your own collectors here to have them served beside
/// octo-instrument's families, with the `service` label added.
///
/// ```
/// let jobs = prometheus::IntCounter::new("jobs_total", "Jobs run.").unwrap();
/// octo_instrument::metrics::registry().register(Box::new(jobs.clone())).unwrap();
/// jobs.inc();
/// assert!(octo_instrument::metrics::render().contains("jobs_total{service="));
/// ```
pub fn registry() -> &'static Registry {
    &FAMILIES.registry
}

pub(crate) fn register(collector: Box<dyn Collector>) {
    if let Err(err) = FAMILIES.registry.register(collector) {
        tracing::warn!(
            target: "octo_instrument",
            event = "octo.metrics.register_failed",
            error = %err,
            "a metric family could not be registered"
        );
    }
}

/// Counts one failed call or request in `errors_total{component, error_type}`.
pub(crate) fn count_error(component: &str, error_type: &str) {
    FAMILIES
        .errors
        .with_label_values(&[component, error_type])
        .inc();
}

/// The `octo_telemetry_dropped_total` counter of one signal (`logs`, `spans`).
pub(crate) fn dropped(signal: &str) -> prometheus::IntCounter {
    FAMILIES.dropped.with_label_values(&[signal])
}

/// The `octo_telemetry_sampled_out_total` counter of one event.
pub(crate) fn sampled_out(event: &str) -> prometheus::IntCounter {
    FAMILIES.sampled_out.with_label_values(&[event])
}

/// Sets `octo_build_info{service, version, environment} 1`.
pub(crate) fn set_build_info(identity: &crate::identity::Identity) {
    FAMILIES.build_info.reset();
    FAMILIES
        .build_info
        .with_label_values(&[&identity.service, &identity.version, &identity.environment])
        .set(1);
}

/// The Prometheus text exposition of every family, each series labelled with `service`.
/// Every `#[observed]` event in the binary is present, at zero before its first call.
///
/// ```
/// #[octo_instrument::observed(event = "docs.render_example")]
/// fn never_called() {}
///
/// let text = octo_instrument::metrics::render();
/// assert!(text.contains("# TYPE event_duration_seconds histogram"));
/// assert!(text.contains(r#"event="docs.render_example",outcome="ok"} 0"#));
/// # let _ = never_called;
/// ```
pub fn render() -> String {
    crate::observe::site::register_all();
    let service = crate::identity::current().service.clone();
    let mut families = FAMILIES.registry.gather();
    for family in &mut families {
        for metric in family.mut_metric() {
            if metric
                .get_label()
                .iter()
                .any(|pair| pair.name() == "service")
            {
                continue;
            }
            let mut labels = metric.take_label();
            let mut pair = LabelPair::default();
            pair.set_name("service".to_owned());
            pair.set_value(service.clone());
            labels.insert(0, pair);
            metric.set_label(labels);
        }
    }
    let mut out = Vec::new();
    TextEncoder::new()
        .encode(&families, &mut out)
        .expect("the text encoder writes to memory");
    String::from_utf8(out).expect("the text format is UTF-8")
}

/// Serves [`render`] at `GET /metrics` on `addr` from a background thread, for services that have
/// no HTTP server of their own; the listener stops when the returned [`MetricsServer`] drops.
///
/// ```
/// let server = octo_instrument::metrics::serve("127.0.0.1:0").unwrap();
/// assert_ne!(server.local_addr().port(), 0);
/// ```
pub fn serve(addr: impl std::net::ToSocketAddrs) -> std::io::Result<MetricsServer> {
    MetricsServer::start(addr)
}

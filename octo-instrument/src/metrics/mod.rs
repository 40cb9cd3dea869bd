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

pub use extra::{DEFAULT_MAX_SERIES, MAX_LABEL_VALUE, OVERFLOW};
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
    truncated: IntCounterVec,
    label_overflow: IntCounterVec,
    registration_failures: IntCounterVec,
    sampled_out: IntCounterVec,
    build_info: IntGaugeVec,
}

/// A built-in counter family; its name and labels are constants of this crate.
fn counter_family(name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    IntCounterVec::new(Opts::new(name, help), labels).expect("a built-in family is valid")
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
    let dropped = counter_family(
        "octo_telemetry_dropped_total",
        "Log lines or spans the telemetry pipeline had to drop (queue full, write or export \
         failed), by signal.",
        &["signal"],
    );
    let truncated = counter_family(
        "octo_telemetry_truncated_total",
        "Log field values, span attribute values and metric label values cut at their length \
         limit, by signal.",
        &["signal"],
    );
    let label_overflow = counter_family(
        "octo_telemetry_label_overflow_total",
        "Observations recorded under the overflow series because their family had reached its \
         series limit, by family.",
        &["family"],
    );
    let registration_failures = counter_family(
        "octo_telemetry_registration_failures_total",
        "Metric families that could not be created or registered (so are not exported), by \
         family.",
        &["family"],
    );
    let sampled_out = counter_family(
        "octo_telemetry_sampled_out_total",
        "started/completed log lines left out by sampling, by event (metrics count every call).",
        &["event"],
    );
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
        Box::new(truncated.clone()),
        Box::new(label_overflow.clone()),
        Box::new(registration_failures.clone()),
        Box::new(sampled_out.clone()),
        Box::new(build_info.clone()),
        Box::new(events::EventCollector::new()),
    ] {
        if let Err(err) = registry.register(collector) {
            // Only a family of the user's own, registered first under one of these names, can
            // get here; the built-in one is then not exported.
            report_registration_failure("octo-instrument built-in", &err);
        }
    }
    // The dropped counters exist at zero, so an alert on them has a series to read from the start.
    for signal in SIGNALS {
        dropped.with_label_values(&[signal]);
        truncated.with_label_values(&[signal]);
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
        truncated,
        label_overflow,
        registration_failures,
        sampled_out,
        build_info,
    }
});

/// The signals the telemetry counters are labelled with, each exported at zero from the start.
const SIGNALS: [&str; 3] = ["logs", "spans", "metrics"];

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

/// Registers one of the runtime's families; a failure (a name taken by another family) is logged
/// and counted, and the family simply is not exported: metrics never take the service down.
pub(crate) fn register(family: &str, collector: Box<dyn Collector>) -> bool {
    match FAMILIES.registry.register(collector) {
        Ok(()) => true,
        Err(err) => {
            report_registration_failure(family, &err);
            count_registration_failure(family);
            false
        }
    }
}

/// Logs that `family` could not be created or registered; callers count it.
pub(crate) fn report_registration_failure(family: &str, err: &dyn std::fmt::Display) {
    tracing::error!(
        target: "octo_instrument",
        event = "telemetry.metrics.registration_failed",
        family,
        error = %err,
    );
}

/// Counts a family that could not be created.
pub(crate) fn count_registration_failure(family: &str) {
    FAMILIES
        .registration_failures
        .with_label_values(&[family])
        .inc();
}

/// The `octo_telemetry_truncated_total` counter of one signal (`logs`, `spans`, `metrics`).
pub(crate) fn truncated(signal: &str) -> prometheus::IntCounter {
    FAMILIES.truncated.with_label_values(&[signal])
}

/// The `octo_telemetry_label_overflow_total` counter of one family.
pub(crate) fn label_overflow(family: &str) -> prometheus::IntCounter {
    FAMILIES.label_overflow.with_label_values(&[family])
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
    let encoder = TextEncoder::new();
    if encoder.encode(&families, &mut out).is_err() {
        // One family the encoder refuses must not cost the scrape the others: encode them one
        // by one and leave out (and report) the ones that fail.
        out.clear();
        for family in &families {
            let mut one = Vec::new();
            match encoder.encode(std::slice::from_ref(family), &mut one) {
                Ok(()) => out.extend_from_slice(&one),
                Err(err) => {
                    report_registration_failure(family.name(), &err);
                    count_registration_failure(family.name());
                }
            }
        }
    }
    String::from_utf8(out)
        .unwrap_or_else(|err| String::from_utf8_lossy(err.as_bytes()).into_owned())
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

//! The Prometheus side, below the layers that observe: the families of the standard in one
//! registry (names, labels and help from `octo_instrument_core::families`), the per-event and
//! extra families fed from plain specs, the sharded cells behind them, and the exposition with
//! the `service` label on every series. Nothing here knows about call sites or spans; the public
//! facade is [`crate::metrics`].

pub(crate) mod events;
pub(crate) mod exemplars;
pub(crate) mod extra;
#[cfg(feature = "axum")]
pub(crate) mod http;
pub(crate) mod openmetrics;
pub(crate) mod server;
pub(crate) mod sharded;

use std::sync::LazyLock;

use octo_instrument_core::families::{self, Family};
use prometheus::core::Collector;
use prometheus::proto::LabelPair;
use prometheus::{Encoder, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder};

/// The `Content-Type` of the text exposition.
pub(crate) const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

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

/// Options of a built-in family.
pub(crate) fn opts(family: &Family) -> Opts {
    Opts::new(family.name, family.help)
}

/// A built-in counter family; its name and labels are constants of the vocabulary crate, whose
/// tests check them against Prometheus' grammar.
fn counter_family(family: &Family) -> IntCounterVec {
    IntCounterVec::new(opts(family), family.labels).expect("a built-in family is valid")
}

static FAMILIES: LazyLock<Families> = LazyLock::new(|| {
    let registry = Registry::new();
    let errors = counter_family(&families::ERRORS);
    let dropped = counter_family(&families::TELEMETRY_DROPPED);
    let truncated = counter_family(&families::TELEMETRY_TRUNCATED);
    let label_overflow = counter_family(&families::TELEMETRY_LABEL_OVERFLOW);
    let registration_failures = counter_family(&families::TELEMETRY_REGISTRATION_FAILURES);
    let sampled_out = counter_family(&families::TELEMETRY_SAMPLED_OUT);
    let build_info = IntGaugeVec::new(opts(&families::BUILD_INFO), families::BUILD_INFO.labels)
        .expect("a built-in family is valid");
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
    for signal in families::SIGNALS {
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

/// The registry every family is in.
pub(crate) fn registry() -> &'static Registry {
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

/// Counts one failed call or request in `errors_total{component, error_type}`; with the ids of
/// its sampled span, keeps them as the series' exemplar.
pub(crate) fn count_error(component: &str, error_type: &str, call: Option<exemplars::Sampled>) {
    FAMILIES
        .errors
        .with_label_values(&[component, error_type])
        .inc();
    if let Some(call) = call {
        let series = exemplars::series_key(
            families::ERRORS.name,
            &[
                (families::labels::COMPONENT, component),
                (families::labels::ERROR_TYPE, error_type),
            ],
        );
        exemplars::record(series, call, 1.0);
    }
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

/// Every registered family, each series labelled with `service`.
fn gather() -> Vec<prometheus::proto::MetricFamily> {
    let service = crate::identity::current().service.clone();
    let mut families = FAMILIES.registry.gather();
    for family in &mut families {
        for metric in family.mut_metric() {
            if metric
                .get_label()
                .iter()
                .any(|pair| pair.name() == families::labels::SERVICE)
            {
                continue;
            }
            let mut labels = metric.take_label();
            let mut pair = LabelPair::default();
            pair.set_name(families::labels::SERVICE.to_owned());
            pair.set_value(service.clone());
            labels.insert(0, pair);
            metric.set_label(labels);
        }
    }
    families
}

/// The exposition an `Accept` header asks for, with its `Content-Type`: OpenMetrics (with
/// exemplars) where it prefers `application/openmetrics-text`, else the classic text. The
/// families as registered so far: the callers above register the call sites first.
pub(crate) fn negotiate(accept: Option<&str>) -> (&'static str, String) {
    if accept.is_some_and(openmetrics::accepted) {
        (openmetrics::CONTENT_TYPE, render_openmetrics())
    } else {
        (CONTENT_TYPE, render())
    }
}

/// The OpenMetrics exposition of every registered family, with exemplars.
pub(crate) fn render_openmetrics() -> String {
    openmetrics::encode(&gather())
}

/// The text exposition of every registered family, each series labelled with `service`.
pub(crate) fn render() -> String {
    let families = gather();
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

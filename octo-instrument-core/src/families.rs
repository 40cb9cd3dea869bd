//! The metric families the runtime exports, their labels and help text, and the label values the
//! standard fixes. Dashboards and alert rules name series through these constants, so a family
//! renamed here is renamed everywhere.
//!
//! ```
//! use octo_instrument_core::families::{self, EVENT_DURATION};
//!
//! assert_eq!(EVENT_DURATION.name, "event_duration_seconds");
//! assert_eq!(EVENT_DURATION.labels, &["event", "outcome"]);
//! assert!(families::is_reserved("errors_total"));
//! assert!(!families::is_reserved("task_duration_seconds"));
//! ```

/// Label names the runtime sets.
pub mod labels {
    /// On every series: the service's name.
    pub const SERVICE: &str = "service";
    /// The event name of an `#[observed]` series.
    pub const EVENT: &str = "event";
    /// A call's outcome: one of [`OUTCOMES`](super::OUTCOMES).
    pub const OUTCOME: &str = "outcome";
    /// `errors_total`: the event, or `http`.
    pub const COMPONENT: &str = "component";
    /// `errors_total`: the error's type.
    pub const ERROR_TYPE: &str = "error_type";
    /// HTTP families: the request method (or `_OTHER`).
    pub const METHOD: &str = "method";
    /// HTTP families: the matched route template (or `unmatched`).
    pub const ENDPOINT: &str = "endpoint";
    /// `http_requests_total`: the status code.
    pub const STATUS: &str = "status";
    /// Telemetry counters: `logs`, `spans`, `metrics`.
    pub const SIGNAL: &str = "signal";
    /// Telemetry counters about one metric family.
    pub const FAMILY: &str = "family";
    /// `octo_build_info`.
    pub const VERSION: &str = "version";
    /// `octo_build_info`.
    pub const ENVIRONMENT: &str = "environment";
    /// Prometheus' histogram bucket bound.
    pub const LE: &str = "le";
    /// Prometheus' summary quantile.
    pub const QUANTILE: &str = "quantile";
}

use labels::{
    COMPONENT, ENDPOINT, ENVIRONMENT, ERROR_TYPE, EVENT, FAMILY, LE, METHOD, OUTCOME, QUANTILE,
    SERVICE, SIGNAL, STATUS, VERSION,
};

/// How a family is exposed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A counter (the name ends in `_total`).
    Counter,
    /// A gauge.
    Gauge,
    /// A histogram (`_bucket`, `_sum`, `_count` series).
    Histogram,
}

/// One family the runtime exports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Family {
    /// The family's name.
    pub name: &'static str,
    /// Its kind.
    pub kind: Kind,
    /// Its labels, besides `service` (which every series carries).
    pub labels: &'static [&'static str],
    /// Its help text.
    pub help: &'static str,
}

/// `event_duration_seconds{event, outcome}`: every `#[observed]` call.
pub const EVENT_DURATION: Family = Family {
    name: "event_duration_seconds",
    kind: Kind::Histogram,
    labels: &[EVENT, OUTCOME],
    help: "Duration of #[observed] calls, by event and outcome (ok, error, panic, cancelled).",
};

/// `events_in_progress{event}`.
pub const EVENTS_IN_PROGRESS: Family = Family {
    name: "events_in_progress",
    kind: Kind::Gauge,
    labels: &[EVENT],
    help: "#[observed] calls in progress, by event.",
};

/// `errors_total{component, error_type}`: failed and panicked calls, 5xx responses.
pub const ERRORS: Family = Family {
    name: "errors_total",
    kind: Kind::Counter,
    labels: &[COMPONENT, ERROR_TYPE],
    help: "Errors by component (event name, or http) and error type.",
};

/// `http_requests_total{method, endpoint, status}`.
pub const HTTP_REQUESTS: Family = Family {
    name: "http_requests_total",
    kind: Kind::Counter,
    labels: &[METHOD, ENDPOINT, STATUS],
    help: "HTTP requests served, by method, route template and status code.",
};

/// `http_request_duration_seconds{method, endpoint}`.
pub const HTTP_REQUEST_DURATION: Family = Family {
    name: "http_request_duration_seconds",
    kind: Kind::Histogram,
    labels: &[METHOD, ENDPOINT],
    help: "Time to produce the response (its head, or its whole body where the layer is set \
           to wait for it), by method and route template.",
};

/// `http_requests_in_flight{method, endpoint}`.
pub const HTTP_REQUESTS_IN_FLIGHT: Family = Family {
    name: "http_requests_in_flight",
    kind: Kind::Gauge,
    labels: &[METHOD, ENDPOINT],
    help: "HTTP requests being handled now, by method and route template.",
};

/// `octo_build_info{service, version, environment} 1`.
pub const BUILD_INFO: Family = Family {
    name: "octo_build_info",
    kind: Kind::Gauge,
    labels: &[SERVICE, VERSION, ENVIRONMENT],
    help: "Always 1: the service's name, version and environment.",
};

/// `octo_telemetry_dropped_total{signal}`.
pub const TELEMETRY_DROPPED: Family = Family {
    name: "octo_telemetry_dropped_total",
    kind: Kind::Counter,
    labels: &[SIGNAL],
    help: "Log lines or spans the telemetry pipeline had to drop (queue full, write or export \
           failed), by signal.",
};

/// `octo_telemetry_truncated_total{signal}`.
pub const TELEMETRY_TRUNCATED: Family = Family {
    name: "octo_telemetry_truncated_total",
    kind: Kind::Counter,
    labels: &[SIGNAL],
    help: "Log field values, span attribute values and metric label values cut at their length \
           limit, by signal.",
};

/// `octo_telemetry_label_overflow_total{family}`.
pub const TELEMETRY_LABEL_OVERFLOW: Family = Family {
    name: "octo_telemetry_label_overflow_total",
    kind: Kind::Counter,
    labels: &[FAMILY],
    help: "Observations recorded under the overflow series because their family had reached \
           its series limit, by family.",
};

/// `octo_telemetry_registration_failures_total{family}`.
pub const TELEMETRY_REGISTRATION_FAILURES: Family = Family {
    name: "octo_telemetry_registration_failures_total",
    kind: Kind::Counter,
    labels: &[FAMILY],
    help: "Metric families that could not be created or registered (so are not exported), by \
           family.",
};

/// `octo_telemetry_sampled_out_total{event}`.
pub const TELEMETRY_SAMPLED_OUT: Family = Family {
    name: "octo_telemetry_sampled_out_total",
    kind: Kind::Counter,
    labels: &[EVENT],
    help: "started/completed log lines left out by sampling, by event (metrics count every \
           call).",
};

/// Every family the runtime exports itself.
pub const ALL: &[Family] = &[
    EVENT_DURATION,
    EVENTS_IN_PROGRESS,
    ERRORS,
    HTTP_REQUESTS,
    HTTP_REQUEST_DURATION,
    HTTP_REQUESTS_IN_FLIGHT,
    BUILD_INFO,
    TELEMETRY_DROPPED,
    TELEMETRY_TRUNCATED,
    TELEMETRY_LABEL_OVERFLOW,
    TELEMETRY_REGISTRATION_FAILURES,
    TELEMETRY_SAMPLED_OUT,
];

/// The counters whose growth means telemetry is incomplete: what the `TelemetryDropped` alert
/// watches, with the `cause` it reports for each.
pub const INCOMPLETE_TELEMETRY: &[(&str, Family)] = &[
    ("dropped", TELEMETRY_DROPPED),
    ("truncated", TELEMETRY_TRUNCATED),
    ("label_overflow", TELEMETRY_LABEL_OVERFLOW),
    ("registration_failed", TELEMETRY_REGISTRATION_FAILURES),
];

/// The suffixes the exposition formats add to a family's name for its series, by name.
pub mod series {
    /// A histogram's cumulative count per bound (labelled `le`).
    pub const BUCKET: &str = "_bucket";
    /// A histogram's sum of observations.
    pub const SUM: &str = "_sum";
    /// A histogram's count of observations.
    pub const COUNT: &str = "_count";
    /// OpenMetrics: when a counter or histogram series began.
    pub const CREATED: &str = "_created";
}

/// The suffixes the exposition formats add to a family's name for its series: a histogram's
/// `_bucket`, `_sum` and `_count`, and the `_created` series of OpenMetrics.
pub const SERIES_SUFFIXES: [&str; 4] =
    [series::BUCKET, series::SUM, series::COUNT, series::CREATED];

/// The suffix of a counter's name, which OpenMetrics leaves out of the counter's family name
/// (`errors_total` is the family `errors` there).
pub const COUNTER_SUFFIX: &str = "_total";

/// Every name a family of `kind` called `name` occupies in an exposition, the Prometheus text
/// format's and OpenMetrics': a gauge its name; a histogram its name and its series (with the
/// [`SERIES_SUFFIXES`]); a counter its name, and in OpenMetrics its family name without
/// [`COUNTER_SUFFIX`] and that name's `_created` series.
fn exposed_names(name: &str, kind: Kind) -> Vec<String> {
    let mut names = vec![name.to_owned()];
    match kind {
        Kind::Gauge => {}
        Kind::Histogram => names.extend(SERIES_SUFFIXES.iter().map(|s| format!("{name}{s}"))),
        Kind::Counter => {
            let base = name.strip_suffix(COUNTER_SUFFIX).unwrap_or(name);
            names.push(base.to_owned());
            names.push(format!("{base}{}", series::CREATED));
        }
    }
    names
}

/// How an extra family's name collides with a family the runtime exports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clash {
    /// The runtime's family.
    pub family: &'static Family,
    /// A name both would expose: the family's own name where the two are equal, else a family or
    /// series name such as `errors` (OpenMetrics' name of `errors_total`) or
    /// `event_duration_seconds_bucket`.
    pub shared: String,
}

/// The runtime family a family of `kind` called `name` would collide with, in the Prometheus
/// text format or in OpenMetrics: a name both would expose (see each kind's names below).
///
/// ```
/// use octo_instrument_core::families::{self, ERRORS, EVENT_DURATION, Kind};
///
/// // OpenMetrics names the counter `errors_total`'s family `errors`.
/// assert_eq!(families::clash("errors", Kind::Gauge).unwrap().family, &ERRORS);
/// let clash = families::clash("event_duration_seconds_bucket", Kind::Histogram).unwrap();
/// assert_eq!(clash.family, &EVENT_DURATION);
/// assert_eq!(clash.shared, "event_duration_seconds_bucket");
/// assert_eq!(families::clash("task_duration_seconds", Kind::Histogram), None);
/// ```
pub fn clash(name: &str, kind: Kind) -> Option<Clash> {
    // The exact name first: the plainest thing to report.
    if let Some(family) = ALL.iter().find(|family| family.name == name) {
        return Some(Clash {
            family,
            shared: name.to_owned(),
        });
    }
    let mine = exposed_names(name, kind);
    ALL.iter().find_map(|family| {
        exposed_names(family.name, family.kind)
            .into_iter()
            .find(|exposed| mine.contains(exposed))
            .map(|shared| Clash { family, shared })
    })
}

/// Whether an extra family (a histogram or a gauge) may not be called `name`: it is one of the
/// runtime's own families or would [`clash`] with one. A histogram exposes every name a gauge
/// of its name does, and more, so the histogram's clashes are the ones to ask about.
pub fn is_reserved(name: &str) -> bool {
    clash(name, Kind::Histogram).is_some()
}

/// Label names an extra family may not use: the runtime sets them, or Prometheus reserves them.
pub const RESERVED_LABELS: &[&str] = &[SERVICE, LE, QUANTILE, EVENT, OUTCOME];

/// The values of the `outcome` label, by name.
pub mod outcomes {
    /// The call returned a value that is not an error.
    pub const OK: &str = "ok";
    /// The call returned an error.
    pub const ERROR: &str = "error";
    /// The call panicked.
    pub const PANIC: &str = "panic";
    /// The call was dropped before it finished (its caller went away).
    pub const CANCELLED: &str = "cancelled";
    /// The outcomes of a failed call, which error ratios count; a cancelled call is not one
    /// (its caller left).
    pub const FAILED: [&str; 2] = [ERROR, PANIC];
}

/// The outcomes of a call, as the `outcome` label writes them.
pub const OUTCOMES: [&str; 4] = [
    outcomes::OK,
    outcomes::ERROR,
    outcomes::PANIC,
    outcomes::CANCELLED,
];

/// The values of the telemetry counters' `signal` label, by name.
pub mod signals {
    /// Log lines (to stdout or files).
    pub const LOGS: &str = "logs";
    /// Spans.
    pub const SPANS: &str = "spans";
    /// Metric label values and families.
    pub const METRICS: &str = "metrics";
    /// Log records exported over OTLP (`OTEL_LOGS_EXPORTER=otlp`).
    pub const LOGS_OTLP: &str = "logs_otlp";
    /// Baggage entries (over their count or size limits).
    pub const BAGGAGE: &str = "baggage";
}

/// The signals of the telemetry counters, each exported at zero from the start.
pub const SIGNALS: [&str; 3] = [signals::LOGS, signals::SPANS, signals::METRICS];

/// `errors_total{component}` of the HTTP layer.
pub const HTTP_COMPONENT: &str = "http";

/// The `endpoint` of every request no route matched.
pub const UNMATCHED_ENDPOINT: &str = "unmatched";

/// The `method` of a non-standard HTTP method.
pub const OTHER_METHOD: &str = "_OTHER";

/// Every label of the series a family's label sets overflow into.
pub const OVERFLOW: &str = "_overflow";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_prometheus_conventions() {
        for family in ALL {
            assert!(
                crate::prometheus::is_metric_name(family.name),
                "{}",
                family.name
            );
            assert_eq!(
                family.kind == Kind::Counter,
                family.name.ends_with("_total"),
                "{}",
                family.name
            );
            for label in family.labels {
                assert!(crate::prometheus::is_label_name(label), "{label}");
            }
        }
        assert!(is_reserved("octo_telemetry_sampled_out_total"));
    }

    #[test]
    fn names_that_would_share_a_series_or_family_name_clash() {
        let clash_with = |name: &str, kind| clash(name, kind).map(|c| (c.family.name, c.shared));
        // The same name, and OpenMetrics' name of a counter's family.
        for kind in [Kind::Gauge, Kind::Histogram] {
            assert_eq!(
                clash_with("errors_total", kind),
                Some(("errors_total", "errors_total".into()))
            );
            assert_eq!(
                clash_with("errors", kind),
                Some(("errors_total", "errors".into()))
            );
            assert_eq!(
                clash_with("errors_created", kind),
                Some(("errors_total", "errors_created".into()))
            );
        }
        // A series of a runtime histogram.
        for suffix in SERIES_SUFFIXES {
            let name = format!("event_duration_seconds{suffix}");
            for kind in [Kind::Gauge, Kind::Histogram] {
                assert_eq!(
                    clash_with(&name, kind),
                    Some(("event_duration_seconds", name.clone()))
                );
            }
        }
        // A user histogram whose series is a runtime family.
        assert_eq!(
            clash_with("octo_telemetry_dropped", Kind::Histogram),
            Some((
                "octo_telemetry_dropped_total",
                "octo_telemetry_dropped".into()
            ))
        );
        // Names that share nothing: a gauge's only name, a counter's absent `_count`.
        for (free, kind) in [
            ("task_duration_seconds", Kind::Histogram),
            ("errors_by_tenant", Kind::Gauge),
            ("my_errors_total", Kind::Gauge),
            ("event_duration", Kind::Histogram),
            ("http_request_duration_seconds_p95", Kind::Gauge),
            ("event_duration_seconds_total", Kind::Gauge),
            ("http_requests_total_count", Kind::Gauge),
        ] {
            assert_eq!(clash(free, kind), None, "{free}");
        }
        assert!(is_reserved("errors"));
        assert!(!is_reserved("task_duration_seconds"));
    }

    #[test]
    fn outcomes_by_name() {
        assert_eq!(OUTCOMES, ["ok", "error", "panic", "cancelled"]);
        assert_eq!(outcomes::FAILED, ["error", "panic"]);
    }
}

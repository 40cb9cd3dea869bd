//! `alerts.yml`: the objectives' recording rules in a group of their own, then one rule group
//! per service.

use std::fmt::Write as _;

use octo_instrument_core::families::labels::{EVENT, LE, OUTCOME, SERVICE};
use octo_instrument_core::families::series::{BUCKET, COUNT};
use octo_instrument_core::families::{
    self, ERRORS, EVENT_DURATION, HTTP_REQUEST_DURATION, labels, outcomes,
};

pub use crate::rule::Rule;
use crate::{Event, Options, ServiceCatalog, camel, quoted, slo};

/// `TelemetryDropped`'s expression: every counter of incomplete telemetry, one `cause` each.
/// Lines and spans dropped, values cut at their limit, label sets sent to the overflow series:
/// each means the telemetry is incomplete. A family that could not be registered is never
/// exported, so one failure is enough.
fn telemetry_dropped(service: &str) -> String {
    let terms: Vec<String> = families::INCOMPLETE_TELEMETRY
        .iter()
        .map(|(cause, family)| {
            let name = family.name;
            let selector = format!(r#"{{{SERVICE}="{service}"}}"#);
            let series = if family == &families::TELEMETRY_REGISTRATION_FAILURES {
                format!("{name}{selector}")
            } else {
                format!("rate({name}{selector}[5m])")
            };
            format!(r#"label_replace({series}, "cause", "{cause}", "", "")"#)
        })
        .collect();
    format!(
        "sum by (cause, {}, {}) ({}) > 0",
        labels::SIGNAL,
        labels::FAMILY,
        terms.join(" or ")
    )
}

/// An event without an error-ratio objective: its share of failed calls (`error` and `panic`)
/// above `ratio` for 5 minutes.
fn high_error_ratio(s: &str, event: &Event, ratio: f64) -> Rule {
    let e = &event.name;
    let what = event.description.as_deref().unwrap_or(e);
    let selector = format!(r#"{SERVICE}="{s}",{EVENT}="{e}""#);
    let duration = EVENT_DURATION.name;
    let failed = outcomes::FAILED.join("|");
    Rule {
        alert: format!("{}HighErrorRatio", camel(e)),
        expr: format!(
            r#"sum(rate({duration}{COUNT}{{{selector},{OUTCOME}=~"{failed}"}}[5m])) / sum(rate({duration}{COUNT}{{{selector}}}[5m])) > {ratio}"#
        ),
        for_: "5m",
        severity: "warning",
        summary: format!("{s}: {e} fails more than {ratio} of calls"),
        description: format!(
            "{what} ({e}): the share of calls ending in error or panic has been above {ratio} \
             for 5 minutes."
        ),
    }
}

/// An event without a latency objective: its P95 above `p95` seconds for 10 minutes.
fn slow_p95(s: &str, event: &Event, p95: f64) -> Rule {
    let e = &event.name;
    let what = event.description.as_deref().unwrap_or(e);
    let selector = format!(r#"{SERVICE}="{s}",{EVENT}="{e}""#);
    let duration = EVENT_DURATION.name;
    Rule {
        alert: format!("{}SlowP95", camel(e)),
        expr: format!(
            "histogram_quantile(0.95, sum by ({LE}) (rate({duration}{BUCKET}{{{selector}}}[5m]))) > {p95}"
        ),
        for_: "10m",
        severity: "warning",
        summary: format!("{s}: {e} P95 above {p95} s"),
        description: format!(
            "{what} ({e}): the 95th percentile duration has been above {p95} seconds for 10 \
             minutes."
        ),
    }
}

/// The rules of one service.
fn service_rules(service: &ServiceCatalog, options: &Options) -> Vec<Rule> {
    let s = &service.service;
    let mut rules = vec![Rule {
        alert: "HighErrorRate".into(),
        expr: format!(
            r#"sum(rate({}{{{SERVICE}="{s}"}}[5m])) > 0.05"#,
            ERRORS.name
        ),
        for_: "5m",
        severity: "warning",
        summary: format!("{s}: more than 0.05 errors per second"),
        description: format!(
            "{s} has counted more than 0.05 errors per second ({}, every component) for 5 \
             minutes.",
            ERRORS.name
        ),
    }];
    if service.http {
        rules.push(Rule {
            alert: "SlowRequests".into(),
            expr: format!(
                r#"histogram_quantile(0.95, sum by ({LE}) (rate({}{BUCKET}{{{SERVICE}="{s}"}}[5m]))) > 5"#,
                HTTP_REQUEST_DURATION.name
            ),
            for_: "10m",
            severity: "warning",
            summary: format!("{s}: HTTP P95 latency above 5 s"),
            description: format!(
                "The 95th percentile of {s}'s HTTP request durations has been above 5 seconds \
                 for 10 minutes."
            ),
        });
    }
    rules.push(Rule {
        alert: "ServiceDown".into(),
        expr: format!(r#"up{{job="{s}"}} == 0"#),
        for_: "1m",
        severity: "critical",
        summary: format!("{s} is down"),
        description: format!("Prometheus has failed to scrape {s} for 1 minute."),
    });
    rules.push(Rule {
        alert: "TelemetryDropped".into(),
        expr: telemetry_dropped(s),
        for_: "5m",
        severity: "warning",
        summary: format!("{s} is dropping telemetry"),
        description: format!(
            "{s} has been dropping log lines or spans, cutting values at their length limit or \
             sending label sets to the overflow series for 5 minutes (a stalled log sink, a \
             failing trace collector, oversized or high-cardinality input), or has a metric \
             family it could not register: its logs, traces or metrics are incomplete."
        ),
    });
    for event in &service.events {
        let objectives = &event.objectives;
        if objectives.error_ratio.is_none() {
            rules.push(high_error_ratio(s, event, options.default_error_ratio));
        }
        if objectives.latency_p95_ms.is_none() {
            rules.push(slow_p95(s, event, options.default_p95_seconds));
        }
        // An event's objectives become burn-rate alerts instead.
        rules.extend(slo::event_alerts(s, event));
    }
    rules
}

/// Every alerting rule of every service, as `alerts.yml` writes them, with the service each
/// belongs to (the recording rules they read are [`slo::recording_rules`]).
pub fn rules(services: &[ServiceCatalog], options: &Options) -> Vec<(String, Rule)> {
    services
        .iter()
        .flat_map(|service| {
            service_rules(service, options)
                .into_iter()
                .map(|rule| (service.service.clone(), rule))
        })
        .collect()
}

pub(crate) fn alerts(services: &[ServiceCatalog], options: &Options) -> String {
    let mut out = String::from(
        "# Generated by octo-ops from the services' exported catalogs; regenerate, don't edit.\n\
         groups:\n",
    );
    let recordings = slo::recording_rules(services);
    if !recordings.is_empty() {
        let _ = writeln!(
            out,
            "  - name: {}\n    rules:",
            quoted(slo::RECORDING_GROUP)
        );
        for rule in recordings {
            let _ = writeln!(
                out,
                "      - record: {}\n        expr: {}",
                quoted(&rule.record),
                quoted(&rule.expr)
            );
        }
    }
    for service in services {
        let s = &service.service;
        let _ = writeln!(out, "  - name: {}\n    rules:", quoted(s));
        for rule in service_rules(service, options) {
            let _ = write!(
                out,
                "      - alert: {}\n        expr: {}\n        for: {}\n        labels:\n          \
                 severity: {}\n          service: {}\n        annotations:\n          summary: {}\n          \
                 description: {}\n",
                quoted(&rule.alert),
                quoted(&rule.expr),
                rule.for_,
                quoted(rule.severity),
                quoted(s),
                quoted(&rule.summary),
                quoted(&rule.description),
            );
        }
    }
    out
}

//! The catalog's objectives as multi-window, multi-burn-rate alerts (the Google SRE workbook,
//! "Alerting on SLOs", its recommended sixth iteration): recording rules for the share of bad
//! calls over 5m, 30m, 1h and 6h, and per objective a fast-burn alert (1h and 5m above 14.4 times
//! the budget: 2 % of a 30-day budget gone in an hour) and a slow-burn alert (6h and 30m above 6
//! times the budget: 5 % gone in six hours).
//!
//! A burn rate instead of a fixed threshold: an alert's urgency follows how fast the budget goes,
//! so a brief spike that spends little of it stays quiet and a small but steady excess is still
//! caught. The long window proves the burn is real; the short one that it is still going on, so
//! an alert resets within minutes of the burn stopping.

use octo_instrument_core::buckets;
use octo_instrument_core::families::labels::{EVENT, LE, OUTCOME, SERVICE};
use octo_instrument_core::families::series::{BUCKET, COUNT};
use octo_instrument_core::families::{EVENT_DURATION, outcomes};

use crate::rule::Rule;
use crate::{Event, ServiceCatalog, camel};

/// The windows recorded for every objective.
pub const WINDOWS: [&str; 4] = ["5m", "30m", "1h", "6h"];

/// The rule group holding the recording rules, ahead of the services' alert groups.
pub const RECORDING_GROUP: &str = "octo-slo-recording";

/// The share of calls a P95 objective allows above its threshold.
const P95_BUDGET: f64 = 0.05;

/// One generated recording rule.
#[derive(Clone, Debug)]
pub struct Recording {
    /// The recorded series' name.
    pub record: String,
    /// Its PromQL expression.
    pub expr: String,
}

/// One of the two alerts every objective gets.
struct Burn {
    /// The alert name's last part.
    name: &'static str,
    long: &'static str,
    short: &'static str,
    /// How many times faster than the budget allows.
    factor: f64,
    /// A short `for:` filters a single bad evaluation (a scrape gap, a restart) without adding
    /// much to the detection time the windows already impose.
    for_: &'static str,
    /// Fast burns page, slow burns make a ticket.
    severity: &'static str,
    /// What the factor means, for the description.
    spends: &'static str,
}

const BURNS: [Burn; 2] = [
    Burn {
        name: "FastBurn",
        long: "1h",
        short: "5m",
        factor: 14.4,
        for_: "2m",
        severity: "critical",
        spends: "2 % of a 30-day budget in one hour (all of it in about two days)",
    },
    Burn {
        name: "SlowBurn",
        long: "6h",
        short: "30m",
        factor: 6.0,
        for_: "15m",
        severity: "warning",
        spends: "5 % of a 30-day budget in six hours (all of it in five days)",
    },
];

/// What an objective counts as a bad call.
#[derive(Clone, Copy, Debug)]
enum Bad {
    /// Calls ending in error or panic (`cancelled` calls count as good: the caller left).
    Errors,
    /// Calls slower than the P95 objective, in seconds.
    Slower(f64),
}

/// One objective of one event: what a bad call is and the share of them it allows.
#[derive(Clone, Copy, Debug)]
struct Objective {
    bad: Bad,
    budget: f64,
}

/// The objectives `event`'s catalog declares, error ratio first.
fn objectives(event: &Event) -> Vec<Objective> {
    let errors = event.objectives.error_ratio.map(|ratio| Objective {
        bad: Bad::Errors,
        budget: ratio,
    });
    let latency = event.objectives.latency_p95_ms.map(|ms| Objective {
        bad: Bad::Slower(ms as f64 / 1000.0),
        budget: P95_BUDGET,
    });
    errors.into_iter().chain(latency).collect()
}

/// The bucket bounds at which calls slower than `threshold` seconds may be counted, smallest
/// first: the threshold itself and each standard list's smallest bound at or above it. The
/// catalog does not say which bucket list an event uses, so the recording rule takes the first
/// of these its histogram has: for a standard list, exactly its smallest bound at or above the
/// threshold. An event with a list of its own is measured where its list has one of these
/// bounds, best at the threshold itself, and not at all where it has none.
fn bounds_at_or_above(threshold: f64) -> Vec<f64> {
    let lists = buckets::PRESETS
        .iter()
        .map(|(_, bounds)| *bounds)
        .chain([buckets::DEFAULT]);
    let mut bounds: Vec<f64> = lists
        .filter_map(|list| list.iter().copied().find(|b| *b >= threshold))
        .chain([threshold])
        .collect();
    bounds.sort_by(f64::total_cmp);
    bounds.dedup();
    bounds
}

impl Objective {
    /// The recorded series' name, `level:metric:operations` as Prometheus names them.
    fn record(self, window: &str) -> String {
        let metric = match self.bad {
            Bad::Errors => "slo_errors",
            Bad::Slower(_) => "slo_slow_calls",
        };
        // The level names the labels the ratio keeps.
        format!("{SERVICE}_{EVENT}:{metric}:ratio_rate{window}")
    }

    /// The share of bad calls of `event` in `service` over `window`.
    fn ratio(self, service: &str, event: &str, window: &str) -> String {
        let duration = EVENT_DURATION.name;
        let selector = format!(r#"{SERVICE}="{service}",{EVENT}="{event}""#);
        let rate = |series: &str, matchers: &str| {
            format!(
                "sum by ({SERVICE}, {EVENT}) (rate({duration}{series}{{{matchers}}}[{window}]))"
            )
        };
        let calls = rate(COUNT, &selector);
        match self.bad {
            Bad::Errors => {
                let failed = format!(r#"{selector},{OUTCOME}=~"{}""#, outcomes::FAILED.join("|"));
                format!("{} / {calls}", rate(COUNT, &failed))
            }
            // `or` keeps the first term a (service, event) has: the smallest bound it exports.
            // The runtime writes `le` as Rust displays the bound (`2`); Prometheus 3 stores a
            // whole bound as `2.0`: the matcher takes both.
            Bad::Slower(threshold) => {
                let fast: Vec<String> = bounds_at_or_above(threshold)
                    .iter()
                    .map(|bound| {
                        let text = bound.to_string();
                        let le = if text.contains(['.', 'e', 'E']) {
                            format!(r#"{LE}="{text}""#)
                        } else {
                            format!(r#"{LE}=~"{text}(\\.0)?""#)
                        };
                        rate(BUCKET, &format!("{selector},{le}"))
                    })
                    .collect();
                format!("1 - ({}) / {calls}", fast.join(" or "))
            }
        }
    }

    /// The budget's name: `Error` or `Latency` in the alert's, lower case in its text.
    fn budget_name(self) -> &'static str {
        match self.bad {
            Bad::Errors => "Error",
            Bad::Slower(_) => "Latency",
        }
    }

    /// What makes a call bad, for the description.
    fn bad_calls(self) -> String {
        match self.bad {
            Bad::Errors => "ended in error or panic".into(),
            Bad::Slower(threshold) => format!(
                "took longer than {threshold} s (counted at the event histogram's smallest \
                 bucket bound at or above {threshold} s)"
            ),
        }
    }

    /// The fast- and slow-burn alerts of `event` in `service`.
    fn alerts(self, service: &str, event: &Event) -> impl Iterator<Item = Rule> {
        let e = &event.name;
        let what = event.description.as_deref().unwrap_or(e).to_owned();
        let selector = format!(r#"{{{SERVICE}="{service}",{EVENT}="{e}"}}"#);
        let budget = self.budget;
        BURNS.iter().map(move |burn| {
            let threshold = format!("({} * {budget})", burn.factor);
            let (long, short) = (self.record(burn.long), self.record(burn.short));
            Rule {
                alert: format!("{}{}Budget{}", camel(e), self.budget_name(), burn.name),
                // The workbook's `long > t and short > t`, the second comparison written
                // `t < short`: the alert's value is the long window's ratio and, as in every
                // rule here, what precedes the last ` > ` is the measurement alone (the examples'
                // Prometheus test queries it against the running services).
                expr: format!("{long}{selector} > {threshold} and {threshold} < {short}{selector}"),
                for_: burn.for_,
                severity: burn.severity,
                summary: format!(
                    "{service}: {e} burns its {} budget {} times too fast",
                    self.budget_name().to_lowercase(),
                    burn.factor
                ),
                description: format!(
                    "{what} ({e}): over the last {} and the last {} more than {} x {budget} of \
                     calls {}, where the objective allows {budget}. At that rate the service \
                     spends {}.",
                    burn.long,
                    burn.short,
                    burn.factor,
                    self.bad_calls(),
                    burn.spends
                ),
            }
        })
    }
}

/// The recording rules of every objective of every service, per window.
pub fn recording_rules(services: &[ServiceCatalog]) -> Vec<Recording> {
    let mut out = Vec::new();
    for service in services {
        for event in &service.events {
            for objective in objectives(event) {
                out.extend(WINDOWS.iter().map(|window| Recording {
                    record: objective.record(window),
                    expr: objective.ratio(&service.service, &event.name, window),
                }));
            }
        }
    }
    out
}

/// The burn-rate alerts of `event` in `service`: two per objective its catalog declares.
pub(crate) fn event_alerts(service: &str, event: &Event) -> Vec<Rule> {
    objectives(event)
        .into_iter()
        .flat_map(|objective| objective.alerts(service, event))
        .collect()
}

/// Every burn-rate alert of `services`, with the service each belongs to: the part of
/// [`rules`](crate::rules::rules) the objectives produce.
pub fn alerts(services: &[ServiceCatalog]) -> Vec<(String, Rule)> {
    services
        .iter()
        .flat_map(|service| {
            service.events.iter().flat_map(|event| {
                event_alerts(&service.service, event)
                    .into_iter()
                    .map(|rule| (service.service.clone(), rule))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_calls_are_counted_at_the_smallest_standard_bound_at_or_above_the_threshold() {
        assert_eq!(bounds_at_or_above(2.0), [2.0, 2.5]);
        assert_eq!(bounds_at_or_above(2.5), [2.5, 5.0]);
        assert_eq!(bounds_at_or_above(0.3), [0.3, 0.5]);
        assert_eq!(bounds_at_or_above(7.0), [7.0, 10.0]);
        assert_eq!(bounds_at_or_above(900.0), [900.0]);
    }

    #[test]
    fn ratios_name_the_runtime_series() {
        let errors = Objective {
            bad: Bad::Errors,
            budget: 0.01,
        };
        assert_eq!(
            errors.ratio("s", "a.b", "1h"),
            r#"sum by (service, event) (rate(event_duration_seconds_count{service="s",event="a.b",outcome=~"error|panic"}[1h])) / sum by (service, event) (rate(event_duration_seconds_count{service="s",event="a.b"}[1h]))"#
        );
        let slow = Objective {
            bad: Bad::Slower(2.0),
            budget: P95_BUDGET,
        };
        assert_eq!(
            slow.ratio("s", "a.b", "5m"),
            r#"1 - (sum by (service, event) (rate(event_duration_seconds_bucket{service="s",event="a.b",le=~"2(\\.0)?"}[5m])) or sum by (service, event) (rate(event_duration_seconds_bucket{service="s",event="a.b",le="2.5"}[5m]))) / sum by (service, event) (rate(event_duration_seconds_count{service="s",event="a.b"}[5m]))"#
        );
        assert_eq!(
            slow.record("30m"),
            "service_event:slo_slow_calls:ratio_rate30m"
        );
    }
}

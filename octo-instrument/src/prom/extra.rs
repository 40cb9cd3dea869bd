//! The extra families an attribute names with `histogram = ".."` / `gauge = ".."` and
//! `labels(..)`, such as the standard's `task_duration_seconds{arm, priority}`. Their label values
//! come from the call's arguments, so each call looks its series up; sites without `labels` pay
//! nothing for this.
//!
//! Label values come from data, so they are bounded twice: each value is cut at
//! [`MAX_LABEL_VALUE`] characters, and each family keeps at most its series limit (`max_series = N`,
//! else [`DEFAULT_MAX_SERIES`]) of distinct label sets. A call with a new label set past the limit
//! is recorded under the one overflow series (every label [`OVERFLOW`]) and counted in
//! `octo_telemetry_label_overflow_total{family}`, so a client that sends a thousand distinct
//! values cannot make a thousand series.

use std::collections::HashMap;
use std::fmt::{Display, Write as _};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use prometheus::core::Collector;
use prometheus::{Histogram, HistogramOpts, HistogramVec, IntGauge, IntGaugeVec, Opts};

use octo_instrument_core::families::{OVERFLOW, signals};

use super::events::EventSpec;
use super::exemplars;

/// Distinct label sets a family keeps when its attribute does not say `max_series`.
pub(crate) const DEFAULT_MAX_SERIES: usize = 500;

/// Longest label value kept, in characters; longer ones are cut (and counted as truncated).
pub(crate) const MAX_LABEL_VALUE: usize = 128;

/// What an attribute says about its extra families: plain data the macro writes into the call
/// site.
#[doc(hidden)]
#[derive(Debug)]
pub struct FamiliesSpec {
    /// `histogram = ".."`.
    pub histogram: Option<&'static str>,
    /// `gauge = ".."`.
    pub gauge: Option<&'static str>,
    /// `labels(..)`'s names, in order.
    pub labels: &'static [&'static str],
    /// `max_series = ..`; `None`: [`DEFAULT_MAX_SERIES`].
    pub max_series: Option<usize>,
}

impl FamiliesSpec {
    /// Whether the attribute named an extra family at all.
    pub(crate) fn any(&self) -> bool {
        self.histogram.is_some() || self.gauge.is_some()
    }
}

/// A labelled family: what [`Limited`] caps.
trait Labelled: Collector + Clone + 'static {
    type Series;
    fn with_values(&self, values: &[&str]) -> Self::Series;
}

impl Labelled for HistogramVec {
    type Series = Histogram;
    fn with_values(&self, values: &[&str]) -> Histogram {
        self.with_label_values(values)
    }
}

impl Labelled for IntGaugeVec {
    type Series = IntGauge;
    fn with_values(&self, values: &[&str]) -> IntGauge {
        self.with_label_values(values)
    }
}

/// A family whose label sets are capped.
struct Limited<T> {
    name: &'static str,
    vec: T,
    /// A histogram's bucket bounds (empty for a gauge), to find an exemplar's bucket.
    bounds: &'static [f64],
    labels: Vec<&'static str>,
    /// The label sets that have a series, each as its values joined by U+001F, with the
    /// series' exemplar key (computed once, when the set is admitted).
    known: RwLock<HashMap<Box<str>, u64>>,
    max_series: usize,
    /// The overflow series' exemplar key.
    overflow_key: u64,
}

impl<T: Labelled> Limited<T> {
    /// The exemplar key of the series `values` name.
    fn exemplar_key(name: &str, labels: &[&'static str], values: &[&str]) -> u64 {
        let mut pairs: Vec<(&str, &str)> =
            labels.iter().copied().zip(values.iter().copied()).collect();
        pairs.sort_unstable();
        exemplars::series_key(name, &pairs)
    }

    /// The series of `values`, or the overflow series when the family is full; and its
    /// exemplar key.
    fn series(&self, values: &[&str]) -> (T::Series, u64) {
        let mut key = String::new();
        for value in values {
            key.push_str(value);
            key.push('\u{1f}');
        }
        let read = self
            .known
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(exemplar_key) = read.get(key.as_str()) {
            return (self.vec.with_values(values), *exemplar_key);
        }
        drop(read);
        let mut known = self
            .known
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(exemplar_key) = known.get(key.as_str()) {
            return (self.vec.with_values(values), *exemplar_key);
        }
        if known.len() < self.max_series {
            let exemplar_key = Self::exemplar_key(self.name, &self.labels, values);
            known.insert(key.into_boxed_str(), exemplar_key);
            return (self.vec.with_values(values), exemplar_key);
        }
        drop(known);
        super::label_overflow(self.name).inc();
        let overflow = vec![OVERFLOW; values.len()];
        (self.vec.with_values(&overflow), self.overflow_key)
    }
}

/// The families of one call site.
pub(crate) struct ExtraFamilies {
    histogram: Option<Arc<Limited<HistogramVec>>>,
    gauge: Option<Arc<Limited<IntGaugeVec>>>,
}

/// The series one call moves: the histogram's with its exemplar key and bounds.
pub(crate) struct ExtraCall {
    histogram: Option<(Histogram, u64, &'static [f64])>,
    gauge: Option<IntGauge>,
}

enum Family {
    Histogram(Arc<Limited<HistogramVec>>),
    Gauge(Arc<Limited<IntGaugeVec>>),
    /// Could not be created or registered: reported once, fed by no one.
    Failed,
}

static FAMILIES: Mutex<Option<HashMap<&'static str, Family>>> = Mutex::new(None);

/// The families `spec` names, for the site observing `owner`'s event; `description` (the
/// catalog's) becomes their help text.
pub(crate) fn resolve(
    spec: &FamiliesSpec,
    owner: &EventSpec,
    description: Option<&str>,
) -> Option<&'static ExtraFamilies> {
    if !spec.any() {
        return None;
    }
    let mut guard = FAMILIES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let families = guard.get_or_insert_with(HashMap::new);
    let histogram = spec.histogram.and_then(|name| {
        let family = families.entry(name).or_insert_with(|| {
            let opts = HistogramOpts::new(
                name,
                help(owner, description, "duration of its calls, seconds"),
            )
            .buckets(owner.buckets.to_vec());
            limited(
                name,
                spec,
                owner.buckets,
                HistogramVec::new(opts, spec.labels),
            )
            .map_or(Family::Failed, Family::Histogram)
        });
        match family {
            Family::Histogram(limited) if limited.labels == spec.labels => Some(limited.clone()),
            Family::Failed => None,
            _ => conflict(name, owner),
        }
    });
    let gauge = spec.gauge.and_then(|name| {
        let family = families.entry(name).or_insert_with(|| {
            let opts = Opts::new(name, help(owner, description, "calls in progress"));
            limited(name, spec, &[], IntGaugeVec::new(opts, spec.labels))
                .map_or(Family::Failed, Family::Gauge)
        });
        match family {
            Family::Gauge(limited) if limited.labels == spec.labels => Some(limited.clone()),
            Family::Failed => None,
            _ => conflict(name, owner),
        }
    });
    Some(Box::leak(Box::new(ExtraFamilies { histogram, gauge })))
}

/// Registers a newly built family; `None` (reported and counted) when it could not be built or
/// registered, so a bad name costs its own series and nothing else.
fn limited<T: Labelled>(
    name: &'static str,
    spec: &FamiliesSpec,
    bounds: &'static [f64],
    vec: prometheus::Result<T>,
) -> Option<Arc<Limited<T>>> {
    let vec = match vec {
        Ok(vec) => vec,
        Err(err) => {
            super::report_registration_failure(name, &err);
            super::count_registration_failure(name);
            return None;
        }
    };
    super::register(name, Box::new(vec.clone())).then(|| {
        Arc::new(Limited {
            name,
            vec,
            bounds,
            labels: spec.labels.to_vec(),
            known: RwLock::new(HashMap::new()),
            overflow_key: Limited::<T>::exemplar_key(
                name,
                spec.labels,
                &vec![OVERFLOW; spec.labels.len()],
            ),
            max_series: spec.max_series.unwrap_or(DEFAULT_MAX_SERIES),
        })
    })
}

/// A family declared again with another kind or other labels: the later site does not feed
/// it, which is a registration failure like any other (logged and counted, so the
/// `TelemetryDropped` alert sees it).
fn conflict<T>(name: &'static str, owner: &EventSpec) -> Option<T> {
    let error = format!(
        "declared again by {} with a different kind or labels; this site does not feed it",
        owner.function
    );
    super::report_registration_failure(name, &error);
    super::count_registration_failure(name);
    None
}

impl ExtraFamilies {
    pub(crate) fn start(&self, values: &[&dyn Display]) -> ExtraCall {
        let values: Vec<String> = values.iter().map(|value| label_value(*value)).collect();
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        let gauge = self.gauge.as_ref().map(|family| family.series(&values).0);
        if let Some(gauge) = &gauge {
            gauge.inc();
        }
        let histogram = self.histogram.as_ref().map(|family| {
            let (series, exemplar_key) = family.series(&values);
            (series, exemplar_key, family.bounds)
        });
        ExtraCall { histogram, gauge }
    }
}

/// A label value as the series keeps it: at most [`MAX_LABEL_VALUE`] characters.
fn label_value(value: &dyn Display) -> String {
    let mut text = String::new();
    let mut budget = crate::limits::Budget::new(&mut text, MAX_LABEL_VALUE);
    let _ = write!(budget, "{value}");
    if budget.exceeded {
        super::truncated(signals::METRICS).inc();
    }
    text
}

impl ExtraCall {
    /// The call is over; with the ids of its sampled span, they become the exemplar of its
    /// histogram bucket.
    pub(crate) fn finish(self, elapsed: Duration, call: Option<exemplars::Sampled>) {
        if let Some((histogram, key, bounds)) = self.histogram {
            let seconds = elapsed.as_secs_f64();
            histogram.observe(seconds);
            if let Some(call) = call {
                exemplars::record_in_bucket(key, bounds, seconds, call);
            }
        }
        if let Some(gauge) = self.gauge {
            gauge.dec();
        }
    }
}

/// Help text of an extra family: the catalog's description of its event, where there is one.
fn help(owner: &EventSpec, description: Option<&str>, what: &str) -> String {
    match description {
        Some(description) => format!("{description} ({}: {what}).", owner.event),
        None => format!("{}: {what}.", owner.event),
    }
}

/// The metrics layer on its own: plain specs in, series out, no call site or macro involved.
#[cfg(test)]
mod tests {
    use super::*;

    const OWNER: EventSpec = EventSpec {
        event: "unit.extra",
        buckets: &[0.1, 1.0],
        function: "unit::extra",
    };

    /// The value of the series of `name` whose labels include `arm="{arm}"`.
    fn value(text: &str, name: &str, arm: &str) -> Option<f64> {
        let arm = format!("arm=\"{arm}\"");
        text.lines()
            .find(|line| line.starts_with(&format!("{name}{{")) && line.contains(&arm))
            .and_then(|line| line.rsplit(' ').next()?.parse().ok())
    }

    #[test]
    fn a_labelled_histogram_and_gauge_from_a_spec() {
        static SPEC: FamiliesSpec = FamiliesSpec {
            histogram: Some("unit_extra_seconds"),
            gauge: Some("unit_extra_in_progress"),
            labels: &["arm"],
            max_series: Some(2),
        };
        let families = resolve(&SPEC, &OWNER, Some("Unit work")).expect("families");
        let call = families.start(&[&"coder"]);
        let text = super::super::render();
        assert_eq!(
            value(&text, "unit_extra_in_progress", "coder"),
            Some(1.0),
            "{text}"
        );
        call.finish(Duration::from_millis(200), None);
        for arm in ["a", "b", "c"] {
            families
                .start(&[&arm])
                .finish(Duration::from_millis(5), None);
        }
        let text = super::super::render();
        assert!(
            text.contains(
                "# HELP unit_extra_seconds Unit work (unit.extra: duration of its calls, seconds)."
            ),
            "{text}"
        );
        assert_eq!(value(&text, "unit_extra_in_progress", "coder"), Some(0.0));
        // The cap is 2 label sets, `coder` and `a`: `b` and `c` went to the overflow series.
        assert_eq!(value(&text, "unit_extra_seconds_count", "coder"), Some(1.0));
        assert_eq!(value(&text, "unit_extra_seconds_count", "a"), Some(1.0));
        assert_eq!(value(&text, "unit_extra_seconds_count", "b"), None);
        assert_eq!(
            value(&text, "unit_extra_seconds_count", OVERFLOW),
            Some(2.0)
        );
        assert_eq!(value(&text, "unit_extra_seconds_sum", "coder"), Some(0.2));
    }

    #[test]
    fn a_second_declaration_with_other_labels_is_a_counted_failure() {
        static FIRST: FamiliesSpec = FamiliesSpec {
            histogram: Some("unit_conflict_seconds"),
            gauge: None,
            labels: &["arm"],
            max_series: None,
        };
        static SECOND: FamiliesSpec = FamiliesSpec {
            histogram: Some("unit_conflict_seconds"),
            gauge: None,
            labels: &[],
            max_series: None,
        };
        assert!(resolve(&FIRST, &OWNER, None).is_some_and(|f| f.histogram.is_some()));
        assert!(resolve(&SECOND, &OWNER, None).is_some_and(|f| f.histogram.is_none()));
        let text = super::super::render();
        assert!(
            text.lines().any(|line| line
                .starts_with("octo_telemetry_registration_failures_total{")
                && line.contains(r#"family="unit_conflict_seconds""#)
                && line.ends_with(" 1")),
            "{text}"
        );
    }
}

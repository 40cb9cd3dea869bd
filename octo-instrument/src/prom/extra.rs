//! The extra families an attribute names with `histogram = ".."` / `gauge = ".."` and
//! `labels(..)`, such as the standard's `task_duration_seconds{arm, priority}`. Their label values
//! come from the call's arguments, so each call looks its series up; sites without `labels` pay
//! nothing for this.
//!
//! Label values come from data, so they are bounded twice: each value is cut at
//! [`MAX_LABEL_VALUE`] bytes, and each family keeps at most its series limit (`max_series = N`,
//! else [`DEFAULT_MAX_SERIES`]) of distinct label sets. A call with a new label set past the limit
//! is recorded under the one overflow series (every label [`OVERFLOW`]) and counted in
//! `octo_telemetry_label_overflow_total{family}`, so a client that sends a thousand distinct
//! values cannot make a thousand series.

use std::collections::{HashMap, HashSet};
use std::fmt::{Display, Write as _};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use prometheus::core::Collector;
use prometheus::{Histogram, HistogramOpts, HistogramVec, IntGauge, IntGaugeVec, Opts};

use octo_instrument_core::families::OVERFLOW;

use super::events::EventSpec;
use super::exemplars;

/// Distinct label sets a family keeps when its attribute does not say `max_series`.
pub(crate) const DEFAULT_MAX_SERIES: usize = 500;

/// Longest label value kept, in bytes; longer ones are cut (and counted as truncated).
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
    /// The label sets that have a series, each as its values joined by U+001F.
    known: RwLock<HashSet<Box<str>>>,
    max_series: usize,
}

impl<T: Labelled> Limited<T> {
    /// The exemplar key of the series `values` name (the overflow series' when `overflow`).
    fn exemplar_key(&self, values: &[&str], overflow: bool) -> u64 {
        let mut pairs: Vec<(&str, &str)> = self
            .labels
            .iter()
            .zip(values)
            .map(|(label, value)| (*label, if overflow { OVERFLOW } else { *value }))
            .collect();
        pairs.sort_unstable();
        exemplars::series_key(self.name, &pairs)
    }

    /// The series of `values`, or the overflow series when the family is full; and whether it
    /// is the overflow series.
    fn series(&self, values: &[&str]) -> (T::Series, bool) {
        let mut key = String::new();
        for value in values {
            key.push_str(value);
            key.push('\u{1f}');
        }
        let read = self
            .known
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if read.contains(key.as_str()) {
            return (self.vec.with_values(values), false);
        }
        drop(read);
        let mut known = self
            .known
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if known.contains(key.as_str()) || known.len() < self.max_series {
            known.insert(key.into_boxed_str());
            return (self.vec.with_values(values), false);
        }
        drop(known);
        super::label_overflow(self.name).inc();
        let overflow = vec![OVERFLOW; values.len()];
        (self.vec.with_values(&overflow), true)
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
            known: RwLock::new(HashSet::new()),
            max_series: spec.max_series.unwrap_or(DEFAULT_MAX_SERIES),
        })
    })
}

fn conflict<T>(name: &str, owner: &EventSpec) -> Option<T> {
    tracing::warn!(
        target: "octo_instrument",
        event = "octo.metrics.family_conflict",
        family = name,
        function = owner.function,
        "a metric family is declared twice with different kinds or labels; this site does not feed it"
    );
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
            let (series, overflow) = family.series(&values);
            (
                series,
                family.exemplar_key(&values, overflow),
                family.bounds,
            )
        });
        ExtraCall { histogram, gauge }
    }
}

/// A label value as the series keeps it: at most [`MAX_LABEL_VALUE`] bytes.
fn label_value(value: &dyn Display) -> String {
    let mut text = String::new();
    let mut budget = crate::limits::Budget::new(&mut text, MAX_LABEL_VALUE);
    let _ = write!(budget, "{value}");
    if budget.exceeded {
        super::truncated("metrics").inc();
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

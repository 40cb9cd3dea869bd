//! The extra families an attribute names with `histogram = ".."` / `gauge = ".."` and
//! `labels(..)`, such as the standard's `task_duration_seconds{arm, priority}`. Their label values
//! come from the call's arguments, so each call looks its series up; sites without `labels` pay
//! nothing for this.

use std::collections::HashMap;
use std::fmt::Display;
use std::sync::Mutex;
use std::time::Duration;

use prometheus::{Histogram, HistogramOpts, HistogramVec, IntGauge, IntGaugeVec, Opts};

use super::buckets;
use crate::observe::site::SiteSpec;

/// The families of one call site.
pub(crate) struct ExtraFamilies {
    histogram: Option<HistogramVec>,
    gauge: Option<IntGaugeVec>,
}

/// The series one call moves.
pub(crate) struct ExtraCall {
    histogram: Option<Histogram>,
    gauge: Option<IntGauge>,
}

enum Family {
    Histogram(HistogramVec, Vec<&'static str>),
    Gauge(IntGaugeVec, Vec<&'static str>),
}

static FAMILIES: Mutex<Option<HashMap<&'static str, Family>>> = Mutex::new(None);

pub(crate) fn resolve(spec: &SiteSpec) -> Option<&'static ExtraFamilies> {
    if spec.histogram.is_none() && spec.gauge.is_none() {
        return None;
    }
    let mut guard = FAMILIES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let families = guard.get_or_insert_with(HashMap::new);
    let histogram = spec.histogram.and_then(|name| {
        let family = families.entry(name).or_insert_with(|| {
            let opts = HistogramOpts::new(name, help(spec, "duration of its calls, seconds"))
                .buckets(spec.buckets.unwrap_or(buckets::DEFAULT).to_vec());
            let vec = HistogramVec::new(opts, spec.labels).expect("names checked by the macro");
            super::register(Box::new(vec.clone()));
            Family::Histogram(vec, spec.labels.to_vec())
        });
        match family {
            Family::Histogram(vec, labels) if labels == spec.labels => Some(vec.clone()),
            _ => conflict(name, spec),
        }
    });
    let gauge = spec.gauge.and_then(|name| {
        let family = families.entry(name).or_insert_with(|| {
            let opts = Opts::new(name, help(spec, "calls in progress"));
            let vec = IntGaugeVec::new(opts, spec.labels).expect("names checked by the macro");
            super::register(Box::new(vec.clone()));
            Family::Gauge(vec, spec.labels.to_vec())
        });
        match family {
            Family::Gauge(vec, labels) if labels == spec.labels => Some(vec.clone()),
            _ => conflict(name, spec),
        }
    });
    Some(Box::leak(Box::new(ExtraFamilies { histogram, gauge })))
}

fn conflict<T>(name: &str, spec: &SiteSpec) -> Option<T> {
    tracing::warn!(
        target: "octo_instrument",
        event = "octo.metrics.family_conflict",
        family = name,
        function = spec.function,
        "a metric family is declared twice with different kinds or labels; this site does not feed it"
    );
    None
}

impl ExtraFamilies {
    pub(crate) fn start(&self, values: &[&dyn Display]) -> ExtraCall {
        let values: Vec<String> = values.iter().map(ToString::to_string).collect();
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        let gauge = self
            .gauge
            .as_ref()
            .map(|vec| vec.with_label_values(&values));
        if let Some(gauge) = &gauge {
            gauge.inc();
        }
        ExtraCall {
            histogram: self
                .histogram
                .as_ref()
                .map(|vec| vec.with_label_values(&values)),
            gauge,
        }
    }
}

impl ExtraCall {
    pub(crate) fn finish(self, elapsed: Duration) {
        if let Some(histogram) = self.histogram {
            histogram.observe(elapsed.as_secs_f64());
        }
        if let Some(gauge) = self.gauge {
            gauge.dec();
        }
    }
}

/// Help text of an extra family: the catalog's description of its event, where there is one.
fn help(spec: &SiteSpec, what: &str) -> String {
    match spec.description {
        Some(description) => format!("{description} ({}: {what}).", spec.event),
        None => format!("{}: {what}.", spec.event),
    }
}

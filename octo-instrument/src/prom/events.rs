//! `event_duration_seconds{event, outcome}` and `events_in_progress{event}`: one entry per event
//! name, shared by every call site of that event, exported by a collector of our own so that the
//! per-call path stays on sharded atomics.

use std::sync::Mutex;
use std::time::Duration;

use prometheus::core::{Collector, Desc};
use prometheus::proto::{self, MetricFamily, MetricType};

use octo_instrument_core::families::{self, Family, outcomes};

use super::exemplars::{self, Sampled};
use super::sharded::{ShardedCounter, ShardedHistogram};

/// The one outcome of a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Ok,
    Error,
    Panic,
    Cancelled,
}

impl Outcome {
    pub(crate) const ALL: [Outcome; 4] = [Self::Ok, Self::Error, Self::Panic, Self::Cancelled];

    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Ok => outcomes::OK,
            Self::Error => outcomes::ERROR,
            Self::Panic => outcomes::PANIC,
            Self::Cancelled => outcomes::CANCELLED,
        }
    }
}

/// The series of one event. There is no in-progress gauge to move twice per call: the gauge is
/// derived at scrape time as calls started minus calls finished (the histograms' counts), which
/// saves the per-call path one atomic read-modify-write.
pub(crate) struct EventMetrics {
    pub(crate) event: &'static str,
    durations: [ShardedHistogram; 4],
    started: ShardedCounter,
    /// Each outcome's series key, for its exemplars.
    keys: [u64; 4],
}

impl EventMetrics {
    #[inline]
    pub(crate) fn start(&self) {
        self.started.inc();
    }

    /// Counts a finished call; with the ids of its sampled span, keeps them as the exemplar of
    /// its bucket.
    #[inline]
    pub(crate) fn observe(&self, outcome: Outcome, elapsed: Duration, call: Option<Sampled>) {
        let bucket = self.durations[outcome as usize].observe(elapsed);
        if let Some(call) = call {
            exemplars::record(
                exemplars::bucket_key(self.keys[outcome as usize], bucket),
                call,
                elapsed.as_secs_f64(),
            );
        }
    }
}

static TABLE: Mutex<Vec<&'static EventMetrics>> = Mutex::new(Vec::new());

/// What one call site says about its event's series.
pub(crate) struct EventSpec {
    pub(crate) event: &'static str,
    pub(crate) buckets: &'static [f64],
    /// The function, for the warning when two sites disagree.
    pub(crate) function: &'static str,
}

/// The metrics of `spec.event`, created on first use and kept for the life of the process (the
/// set of events is fixed by the binary, so this is bounded).
pub(crate) fn resolve(spec: &EventSpec) -> &'static EventMetrics {
    let bounds = spec.buckets;
    let mut table = TABLE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(existing) = table.iter().find(|m| m.event == spec.event) {
        if existing.durations[0].bounds() != bounds {
            tracing::warn!(
                target: "octo_instrument",
                event = "octo.metrics.bucket_conflict",
                observed_event = spec.event,
                function = spec.function,
                "two call sites of one event ask for different buckets; the first one's are used"
            );
        }
        return existing;
    }
    let metrics: &'static EventMetrics = Box::leak(Box::new(EventMetrics {
        event: spec.event,
        durations: std::array::from_fn(|_| ShardedHistogram::new(bounds)),
        started: ShardedCounter::new(),
        keys: Outcome::ALL.map(|outcome| {
            exemplars::series_key(
                families::EVENT_DURATION.name,
                &[
                    (families::labels::EVENT, spec.event),
                    (families::labels::OUTCOME, outcome.label()),
                ],
            )
        }),
    }));
    table.push(metrics);
    metrics
}

/// Every event that has series, sorted by name.
pub(crate) fn events() -> Vec<&'static EventMetrics> {
    let mut events = TABLE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    events.sort_by_key(|m| m.event);
    events
}

/// Exports the event table to a `prometheus::Registry`.
pub(crate) struct EventCollector {
    descs: Vec<Desc>,
}

impl EventCollector {
    pub(crate) fn new() -> Self {
        let desc = |family: &Family| {
            Desc::new(
                family.name.to_owned(),
                family.help.to_owned(),
                family.labels.iter().map(|l| (*l).to_owned()).collect(),
                std::collections::HashMap::new(),
            )
            .expect("a built-in family is valid")
        };
        Self {
            descs: vec![
                desc(&families::EVENT_DURATION),
                desc(&families::EVENTS_IN_PROGRESS),
            ],
        }
    }
}

fn label(name: &str, value: &str) -> proto::LabelPair {
    let mut pair = proto::LabelPair::default();
    pair.set_name(name.to_owned());
    pair.set_value(value.to_owned());
    pair
}

impl Collector for EventCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let events = events();
        let mut durations = Vec::with_capacity(events.len() * 4);
        let mut in_progress = Vec::with_capacity(events.len());
        for metrics in &events {
            let mut finished = 0u64;
            for outcome in Outcome::ALL {
                let histogram = &metrics.durations[outcome as usize];
                let snapshot = histogram.snapshot();
                finished += snapshot.count;
                let mut h = proto::Histogram::default();
                h.set_sample_count(snapshot.count);
                h.set_sample_sum(snapshot.sum_seconds);
                h.set_bucket(
                    histogram
                        .bounds()
                        .iter()
                        .zip(&snapshot.cumulative)
                        .map(|(bound, count)| {
                            let mut bucket = proto::Bucket::default();
                            bucket.set_upper_bound(*bound);
                            bucket.set_cumulative_count(*count);
                            bucket
                        })
                        .collect(),
                );
                let mut metric = proto::Metric::from_label(vec![
                    label(families::labels::EVENT, metrics.event),
                    label(families::labels::OUTCOME, outcome.label()),
                ]);
                metric.set_histogram(h);
                durations.push(metric);
            }
            let mut gauge = proto::Gauge::default();
            // Read after the counts: every finished call had started, so this never goes below
            // zero; a call starting between the reads is counted as in progress, which it is.
            gauge.set_value(metrics.started.value().saturating_sub(finished) as f64);
            let mut metric = proto::Metric::from_gauge(gauge);
            metric.set_label(vec![label(families::labels::EVENT, metrics.event)]);
            in_progress.push(metric);
        }
        vec![
            family(&self.descs[0], MetricType::HISTOGRAM, durations),
            family(&self.descs[1], MetricType::GAUGE, in_progress),
        ]
    }
}

fn family(desc: &Desc, kind: MetricType, metrics: Vec<proto::Metric>) -> MetricFamily {
    let mut family = MetricFamily::default();
    family.set_name(desc.fq_name.clone());
    family.set_help(desc.help.clone());
    family.set_field_type(kind);
    family.set_metric(metrics);
    family
}

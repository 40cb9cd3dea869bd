//! The per-call-site static that `#[observed]` emits: names, tracing callsites and, resolved once
//! on first use, the metric handles. Every call after the first reads them with one atomic load.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use octo_instrument_core::buckets;
use octo_instrument_core::catalog::Objectives;
use tracing_core::callsite::DefaultCallsite;

use crate::prom::events::{self, EventMetrics, EventSpec};
use crate::prom::extra::{self, ExtraFamilies, FamiliesSpec};
use crate::span_data::CodeLocation;

/// The names of an event's log lines: `<event>.<suffix>` with the suffixes of
/// `octo_instrument_core::event_name::suffixes`, written out by the macro (a `concat!` here would
/// need the suffixes spelled as literals a second time).
#[doc(hidden)]
#[derive(Debug)]
pub struct LineNames {
    pub started: &'static str,
    pub completed: &'static str,
    pub failed: &'static str,
    pub panicked: &'static str,
    pub cancelled: &'static str,
    pub slow: &'static str,
}

/// What the crate's event catalog says about the event: read when its families are created and
/// when the catalog is exported, never per call.
#[doc(hidden)]
#[derive(Debug)]
pub struct CatalogSpec {
    pub description: Option<&'static str>,
    pub objectives: Objectives,
}

/// What the macro knows about one annotated function, all `'static`. The fields up to
/// `families` are what the per-call path reads; `catalog` is read once.
#[doc(hidden)]
pub struct SiteSpec {
    pub event: &'static str,
    pub lines: LineNames,
    pub function: &'static str,
    /// The span's code attributes.
    pub code: CodeLocation,
    pub module_path: &'static str,
    pub slow_ms: Option<u64>,
    /// The fraction of `started`/`completed` lines kept (`sample = ..`); `None` keeps all.
    pub sample: Option<f64>,
    pub buckets: Option<&'static [f64]>,
    pub families: FamiliesSpec,
    pub catalog: CatalogSpec,
    /// Log lines at the attribute's `level` (`started`, `completed`).
    pub log: &'static DefaultCallsite,
    /// Error-level lines (`failed`, `panicked`).
    pub error_log: &'static DefaultCallsite,
    /// Warning-level lines (`cancelled`, `slow`).
    pub warn_log: &'static DefaultCallsite,
}

impl SiteSpec {
    /// The event's series as the metrics see them.
    fn event_spec(&self) -> EventSpec {
        EventSpec {
            event: self.event,
            buckets: self.buckets.unwrap_or(buckets::DEFAULT),
            function: self.function,
        }
    }
}

/// One `#[observed]` function: its spec plus the handles resolved on first use.
#[doc(hidden)]
pub struct CallSite {
    pub(crate) spec: SiteSpec,
    metrics: OnceLock<&'static EventMetrics>,
    extra: OnceLock<Option<&'static ExtraFamilies>>,
    /// The sampling rate as `f64` bits: the attribute's, until changed at run time.
    sample: AtomicU64,
    sampled_out: OnceLock<prometheus::IntCounter>,
}

impl CallSite {
    pub const fn new(spec: SiteSpec) -> Self {
        let rate = match spec.sample {
            Some(rate) => rate,
            None => 1.0,
        };
        Self {
            spec,
            metrics: OnceLock::new(),
            extra: OnceLock::new(),
            sample: AtomicU64::new(rate.to_bits()),
            sampled_out: OnceLock::new(),
        }
    }

    /// The fraction of `started`/`completed` lines kept.
    #[inline]
    pub(crate) fn sample_rate(&self) -> f64 {
        f64::from_bits(self.sample.load(Ordering::Relaxed))
    }

    pub(crate) fn set_sample_rate(&self, rate: f64) {
        self.sample.store(rate.to_bits(), Ordering::Relaxed);
    }

    /// `octo_telemetry_sampled_out_total{event}` of this site's event.
    pub(crate) fn sampled_out(&self) -> &prometheus::IntCounter {
        self.sampled_out
            .get_or_init(|| crate::prom::sampled_out(self.spec.event))
    }

    /// The event's metric handles, shared by every call site of the same event.
    #[inline]
    pub(crate) fn metrics(&'static self) -> &'static EventMetrics {
        self.metrics
            .get_or_init(|| events::resolve(&self.spec.event_spec()))
    }

    /// The extra `histogram`/`gauge` families, if the attribute named any.
    pub(crate) fn extra(&'static self) -> Option<&'static ExtraFamilies> {
        *self.extra.get_or_init(|| {
            extra::resolve(
                &self.spec.families,
                &self.spec.event_spec(),
                self.spec.catalog.description,
            )
        })
    }

    /// The event name this site observes.
    pub fn event(&self) -> &'static str {
        self.spec.event
    }
}

/// Registration of a call site in the binary-wide list, so every event is known at start-up.
#[doc(hidden)]
pub struct SiteRef(pub &'static CallSite);

inventory::collect!(SiteRef);

/// Every `#[observed]` call site linked into the binary.
pub(crate) fn all_sites() -> impl Iterator<Item = &'static CallSite> {
    inventory::iter::<SiteRef>.into_iter().map(|site| site.0)
}

/// Resolves the metric handles of every call site, so that each event's series exist (at zero)
/// before its first call. Cheap after the first time: one atomic load per site.
pub(crate) fn register_all() {
    for site in all_sites() {
        site.metrics();
        site.extra();
    }
}

/// Builds the static [`CallSite`] of one `#[observed]` function. Used by generated code only; the
/// tracing callsites are statics of the user's module so that `LOG_LEVEL` directives naming the
/// module apply to its observed lines.
#[doc(hidden)]
#[macro_export]
macro_rules! __call_site {
    (
        event: $event:literal,
        lines: $lines:expr,
        function: $function:literal,
        level: $level:ident,
        slow_ms: $slow_ms:expr,
        buckets: $buckets:expr,
        histogram: $histogram:expr,
        gauge: $gauge:expr,
        labels: [$($label:literal),* $(,)?],
        max_series: $max_series:expr,
        sample: $sample:expr,
        description: $description:expr,
        slo_latency_p95_ms: $slo_latency:expr,
        slo_error_ratio: $slo_errors:expr $(,)?
    ) => {{
        use $crate::__private::tracing_core as __tc;
        static __LOG: __tc::callsite::DefaultCallsite =
            __tc::callsite::DefaultCallsite::new(&__LOG_META);
        static __LOG_META: __tc::Metadata<'static> =
            $crate::__call_site!(@meta $event, $level, __LOG);
        static __ERROR_LOG: __tc::callsite::DefaultCallsite =
            __tc::callsite::DefaultCallsite::new(&__ERROR_META);
        static __ERROR_META: __tc::Metadata<'static> =
            $crate::__call_site!(@meta $event, ERROR, __ERROR_LOG);
        static __WARN_LOG: __tc::callsite::DefaultCallsite =
            __tc::callsite::DefaultCallsite::new(&__WARN_META);
        static __WARN_META: __tc::Metadata<'static> =
            $crate::__call_site!(@meta $event, WARN, __WARN_LOG);
        $crate::__private::CallSite::new($crate::__private::SiteSpec {
            event: $event,
            lines: $lines,
            function: $function,
            code: $crate::__private::CodeLocation {
                function: $crate::__private::concat!(
                    $crate::__private::module_path!(),
                    "::",
                    $function
                ),
                file: $crate::__private::file!(),
                line: $crate::__private::line!(),
            },
            module_path: $crate::__private::module_path!(),
            slow_ms: $slow_ms,
            sample: $sample,
            buckets: $buckets,
            families: $crate::__private::FamiliesSpec {
                histogram: $histogram,
                gauge: $gauge,
                labels: &[$($label),*],
                max_series: $max_series,
            },
            catalog: $crate::__private::CatalogSpec {
                description: $description,
                objectives: $crate::__private::Objectives {
                    latency_p95_ms: $slo_latency,
                    error_ratio: $slo_errors,
                },
            },
            log: &__LOG,
            error_log: &__ERROR_LOG,
            warn_log: &__WARN_LOG,
        })
    }};
    (@meta $event:literal, $level:ident, $callsite:ident) => {
        __tc::Metadata::new(
            $event,
            $crate::__private::module_path!(),
            __tc::Level::$level,
            $crate::__private::Some($crate::__private::file!()),
            $crate::__private::Some($crate::__private::line!()),
            $crate::__private::Some($crate::__private::module_path!()),
            __tc::field::FieldSet::new(
                $crate::__private::LOG_FIELDS,
                __tc::callsite::Identifier(&$callsite),
            ),
            __tc::metadata::Kind::EVENT,
        )
    };
}

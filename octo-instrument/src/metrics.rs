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

use prometheus::Registry;

pub use crate::prom::server::MetricsServer;

/// Bucket lists of the OctoLLM standard, selectable with `#[observed(buckets = http)]`: every
/// preset of `octo_instrument_core::buckets`, as it has them.
///
/// ```
/// use octo_instrument::observed;
///
/// #[observed(event = "docs.bucket_example", buckets = llm)]
/// fn complete() {}
///
/// complete();
/// let text = octo_instrument::metrics::render();
/// for bound in octo_instrument::metrics::buckets::LLM {
///     assert!(text.contains(&format!(r#"event="docs.bucket_example",outcome="ok",le="{bound}"}}"#)));
/// }
/// ```
pub mod buckets {
    // All of core's, so a preset added there needs nothing added here.
    pub use octo_instrument_core::buckets::*;
}

/// The `Content-Type` of [`render`]'s output, for a `/metrics` handler of your own.
///
/// ```
/// assert!(octo_instrument::metrics::CONTENT_TYPE.starts_with("text/plain; version=0.0.4"));
/// ```
pub const CONTENT_TYPE: &str = crate::prom::CONTENT_TYPE;

/// Distinct label sets an extra family (`histogram`/`gauge` with `labels(...)`) keeps when its
/// attribute does not say `max_series`. A call with a new label set past the limit is recorded
/// under the one series whose every label is [`OVERFLOW`], and counted in
/// `octo_telemetry_label_overflow_total{family}`.
///
/// ```
/// #[octo_instrument::observed(
///     event = "docs.per_tenant",
///     histogram = "docs_tenant_seconds",
///     labels(tenant = tenant),
///     max_series = 2
/// )]
/// fn handle(tenant: &str) { let _ = tenant; }
///
/// for tenant in ["a", "b", "c", "d"] {
///     handle(tenant);
/// }
/// let text = octo_instrument::metrics::render();
/// assert!(text.contains(r#"docs_tenant_seconds_count{service="#));
/// assert!(text.contains(r#"tenant="_overflow"} 2"#));
/// assert!(octo_instrument::metrics::DEFAULT_MAX_SERIES >= 2);
/// ```
pub const DEFAULT_MAX_SERIES: usize = crate::prom::extra::DEFAULT_MAX_SERIES;

/// The value of every label of a family's overflow series.
///
/// ```
/// assert_eq!(octo_instrument::metrics::OVERFLOW, "_overflow");
/// ```
pub const OVERFLOW: &str = octo_instrument_core::families::OVERFLOW;

/// The longest label value an extra family keeps, in characters; longer values are cut and counted in
/// `octo_telemetry_truncated_total{signal="metrics"}`.
///
/// ```
/// assert_eq!(octo_instrument::metrics::MAX_LABEL_VALUE, 128);
/// ```
pub const MAX_LABEL_VALUE: usize = crate::prom::extra::MAX_LABEL_VALUE;

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
    crate::prom::registry()
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
    // The call sites are known to the observe layer, above the metrics: registering them here
    // (the facade) keeps the metrics free of any knowledge of call sites.
    crate::observe::site::register_all();
    crate::prom::render()
}

/// Serves [`render`] at `GET /metrics` on `addr` from a background thread, for services that have
/// no HTTP server of their own; the listener stops when the returned [`MetricsServer`] drops.
///
/// ```
/// let server = octo_instrument::metrics::serve("127.0.0.1:0").unwrap();
/// assert_ne!(server.local_addr().port(), 0);
/// ```
pub fn serve(addr: impl std::net::ToSocketAddrs) -> std::io::Result<MetricsServer> {
    MetricsServer::start(addr, negotiate)
}

/// The `Content-Type` of [`render_openmetrics`]'s output.
///
/// ```
/// assert!(octo_instrument::metrics::OPENMETRICS_CONTENT_TYPE.starts_with("application/openmetrics-text"));
/// ```
pub const OPENMETRICS_CONTENT_TYPE: &str = crate::prom::openmetrics::CONTENT_TYPE;

/// The same families in the OpenMetrics text format, ending in `# EOF`, with exemplars: the
/// trace and span id of a recent sampled call on each `event_duration_seconds`,
/// `http_request_duration_seconds` and extra-histogram bucket and each `errors_total` series
/// that has one (`# {trace_id="..",span_id=".."} value`). What a scraper gets from
/// [`serve`] (and [`http::metrics`](crate::http::metrics)) when its `Accept` header asks for
/// `application/openmetrics-text`, as Prometheus does.
///
/// ```
/// #[octo_instrument::observed(event = "docs.openmetrics_example")]
/// fn work() {}
///
/// work();
/// let text = octo_instrument::metrics::render_openmetrics();
/// assert!(text.contains("# TYPE event_duration_seconds histogram"));
/// assert!(text.contains(r#"event="docs.openmetrics_example",outcome="ok",le="+Inf"} 1"#));
/// assert!(text.ends_with("# EOF\n"));
/// ```
pub fn render_openmetrics() -> String {
    crate::observe::site::register_all();
    crate::prom::render_openmetrics()
}

/// The exposition an `Accept` header asks for, with its `Content-Type`: OpenMetrics (with
/// exemplars) where it prefers `application/openmetrics-text`, else the classic text.
///
/// ```
/// let (content_type, body) = octo_instrument::metrics::negotiate(Some("text/plain"));
/// assert_eq!(content_type, octo_instrument::metrics::CONTENT_TYPE);
/// assert!(!body.contains("# EOF"));
/// let (content_type, body) = octo_instrument::metrics::negotiate(Some(
///     "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
/// ));
/// assert_eq!(content_type, octo_instrument::metrics::OPENMETRICS_CONTENT_TYPE);
/// assert!(body.ends_with("# EOF\n"));
/// ```
pub fn negotiate(accept: Option<&str>) -> (&'static str, String) {
    crate::observe::site::register_all();
    crate::prom::negotiate(accept)
}

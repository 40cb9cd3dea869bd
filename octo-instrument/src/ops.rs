//! What ops tooling needs to know about this binary, exported as JSON: the service's name and
//! version, whether it serves HTTP through [`ServerLayer`](crate::http::ServerLayer), and every
//! `#[observed]` event with its catalog description, objectives and extra families. The
//! `octo-ops` tool turns one or more of these into Prometheus alert rules, a Grafana dashboard
//! and the Prometheus and promtail configs, so they name exactly the series the service exports.
//!
//! ```
//! #[octo_instrument::observed(event = "docs.exported_event", histogram = "docs_seconds")]
//! fn work() {}
//!
//! let json = octo_instrument::ops::catalog_json("octollm-docs");
//! assert!(json.starts_with(r#"{"service":"octollm-docs","#));
//! assert!(json.contains(r#"{"name":"docs.exported_event","description":null,"#));
//! # let _ = work;
//! ```

use octo_instrument_core::catalog::Objectives;
use octo_instrument_core::export::{EventExport, ServiceCatalog};

use crate::event::EventInfo;

/// The exported catalog of this binary, for `service`: every event it contains.
pub fn catalog_json(service: &str) -> String {
    catalog_json_where(service, |_| true)
}

/// As [`catalog_json`], with only the events `keep` accepts: for binaries that link code of
/// several services, select this service's events (by [`EventInfo::module_path`], say).
///
/// ```
/// #[octo_instrument::observed(event = "docs.kept_event")]
/// fn kept() {}
///
/// let json = octo_instrument::ops::catalog_json_where("octollm-docs", |event| {
///     event.name.starts_with("docs.kept")
/// });
/// assert!(json.contains(r#""name":"docs.kept_event""#));
/// let none = octo_instrument::ops::catalog_json_where("octollm-docs", |_| false);
/// assert!(none.ends_with(r#""events":[]}"#));
/// # let _ = kept;
/// ```
pub fn catalog_json_where(service: &str, keep: impl Fn(&EventInfo) -> bool) -> String {
    #[cfg(feature = "axum")]
    let http = crate::http::server_layer_in_use();
    #[cfg(not(feature = "axum"))]
    let http = false;
    ServiceCatalog {
        service: service.to_owned(),
        version: Some(crate::identity::current().version.clone()),
        http,
        events: crate::event::all()
            .iter()
            .filter(|event| keep(event))
            .map(|event| EventExport {
                name: event.name.to_owned(),
                description: event.description.map(str::to_owned),
                objectives: Objectives {
                    latency_p95_ms: event.slo_latency_p95_ms,
                    error_ratio: event.slo_error_ratio,
                },
                families: event.families.iter().map(|f| (*f).to_owned()).collect(),
            })
            .collect(),
    }
    .to_json()
}

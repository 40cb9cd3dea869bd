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

use std::fmt::Write as _;

use crate::event::EventInfo;
use crate::logging::json;

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
    let mut out = String::from("{\"service\":");
    json::write_str(&mut out, service);
    out.push_str(",\"version\":");
    json::write_str(&mut out, &crate::identity::current().version);
    #[cfg(feature = "axum")]
    let http = crate::http::server_layer_in_use();
    #[cfg(not(feature = "axum"))]
    let http = false;
    let _ = write!(out, ",\"http\":{http},\"events\":[");
    for (i, event) in crate::event::all().iter().filter(|e| keep(e)).enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"name\":");
        json::write_str(&mut out, event.name);
        out.push_str(",\"description\":");
        match event.description {
            Some(description) => json::write_str(&mut out, description),
            None => out.push_str("null"),
        }
        out.push_str(",\"slo_latency_p95_ms\":");
        match event.slo_latency_p95_ms {
            Some(ms) => json::write_u64(&mut out, ms),
            None => out.push_str("null"),
        }
        out.push_str(",\"slo_error_ratio\":");
        match event.slo_error_ratio {
            Some(ratio) => json::write_f64(&mut out, ratio),
            None => out.push_str("null"),
        }
        out.push_str(",\"families\":[");
        for (j, family) in event.families.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            json::write_str(&mut out, family);
        }
        out.push_str("]}");
    }
    out.push_str("]}");
    out
}

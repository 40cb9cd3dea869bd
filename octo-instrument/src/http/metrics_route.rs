//! `GET /metrics` for an axum router.

use axum::response::IntoResponse;

/// Serves [`metrics::render`](crate::metrics::render) with the exposition content type, or
/// [`metrics::render_openmetrics`](crate::metrics::render_openmetrics) (with exemplars) when the
/// request's `Accept` header prefers OpenMetrics, as Prometheus's does.
///
/// ```
/// use axum::{Router, routing::get};
///
/// let app: Router = Router::new().route("/metrics", get(octo_instrument::http::metrics));
/// # let _ = app;
/// ```
pub async fn metrics(headers: http::HeaderMap) -> impl IntoResponse {
    let accept = headers
        .get(http::header::ACCEPT)
        .and_then(|value| value.to_str().ok());
    // What `metrics::negotiate` does, from below it: every call site's families, then the
    // exposition asked for.
    crate::observe::site::register_all();
    let (content_type, body) = crate::prom::negotiate(accept);
    (
        [
            (http::header::CONTENT_TYPE, content_type),
            (http::header::VARY, "accept"),
        ],
        body,
    )
}

//! `GET /metrics` for an axum router.

use axum::response::IntoResponse;

/// Serves [`metrics::render`](crate::metrics::render) with the exposition content type.
///
/// ```
/// use axum::{Router, routing::get};
///
/// let app: Router = Router::new().route("/metrics", get(octo_instrument::http::metrics));
/// # let _ = app;
/// ```
pub async fn metrics() -> impl IntoResponse {
    (
        [(http::header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        crate::metrics::render(),
    )
}

//! HTTP: the tower layer for servers (feature `axum`) and the reqwest hook (feature `reqwest`).
//! Together they make one request followable through every service: by `request_id` in the
//! logs and by `trace_id` in the traces.

#[cfg(feature = "reqwest")]
mod client;
#[cfg(any(feature = "axum", feature = "reqwest"))]
mod method;
#[cfg(feature = "axum")]
mod metrics_route;
mod request_id;
#[cfg(feature = "axum")]
mod server;

#[cfg(feature = "reqwest")]
pub use client::SendTraced;
#[cfg(feature = "axum")]
pub use metrics_route::metrics;
pub use request_id::{HEADER as REQUEST_ID_HEADER, RequestId};
#[cfg(feature = "axum")]
pub use server::{
    LogRequest, LogResponse, OnRequest, OnResponse, RequestEnd, RequestInfo, RequestStart,
    ResponseBody, ResponseFuture, ServerLayer, ServerService, UNMATCHED,
};

/// Whether a router in this process has [`ServerLayer`]: what the exported catalog reports.
#[cfg(feature = "axum")]
pub(crate) fn server_layer_in_use() -> bool {
    server::LAYER_IN_USE.load(std::sync::atomic::Ordering::Relaxed)
}

//! What the server layer logs when a request starts and when it ends, as hooks in the manner of
//! tower-http's `OnRequest` / `OnResponse`: [`LogRequest`] and [`LogResponse`] write the
//! standard's `request.started` and `request.completed` lines; a hook of your own (a closure)
//! can write other lines, add fields, or write nothing.

use std::net::SocketAddr;
use std::time::Duration;

use http::StatusCode;

use super::super::request_id::RequestId;

/// The request a hook is called for.
#[non_exhaustive]
pub struct RequestInfo<'a> {
    /// The method, as the metrics label it (`_OTHER` for a non-standard one).
    pub method: &'a str,
    /// The path, as the client sent it.
    pub path: &'a str,
    /// The matched route template, where a route matched.
    pub route: Option<&'a str>,
    /// The client's address, where the server has connect info.
    pub client: Option<SocketAddr>,
    /// The request's id.
    pub request_id: &'a RequestId,
}

/// A request as it starts: what an [`OnRequest`] hook sees, inside the request's span.
#[non_exhaustive]
pub struct RequestStart<'a> {
    /// The request.
    pub request: RequestInfo<'a>,
    /// Its headers.
    pub headers: &'a http::HeaderMap,
}

/// A request as it ends (its response head sent, or its body too where the layer waits for
/// it): what an [`OnResponse`] hook sees, inside the request's span.
#[non_exhaustive]
pub struct RequestEnd<'a> {
    /// The request.
    pub request: RequestInfo<'a>,
    /// The response's status.
    pub status: StatusCode,
    /// From the request's start to its end.
    pub duration: Duration,
}

/// Called when a request starts, inside its span.
///
/// ```
/// use octo_instrument::http::{RequestStart, ServerLayer};
///
/// let layer = ServerLayer::new().on_request(|request: &RequestStart<'_>| {
///     tracing::debug!(event = "request.received", path = request.request.path);
/// });
/// # let _ = layer;
/// ```
pub trait OnRequest: Send + Sync + 'static {
    /// Logs (or not) the start of `request`.
    fn on_request(&self, request: &RequestStart<'_>);
}

impl<F: Fn(&RequestStart<'_>) + Send + Sync + 'static> OnRequest for F {
    fn on_request(&self, request: &RequestStart<'_>) {
        self(request);
    }
}

/// Called when a request ends, inside its span.
///
/// ```
/// use octo_instrument::http::{RequestEnd, ServerLayer};
///
/// // Only failures, at warning.
/// let layer = ServerLayer::new().on_response(|end: &RequestEnd<'_>| {
///     if end.status.is_client_error() || end.status.is_server_error() {
///         tracing::warn!(event = "request.failed", status_code = end.status.as_u16());
///     }
/// });
/// # let _ = layer;
/// ```
pub trait OnResponse: Send + Sync + 'static {
    /// Logs (or not) the end of `request`.
    fn on_response(&self, request: &RequestEnd<'_>);
}

impl<F: Fn(&RequestEnd<'_>) + Send + Sync + 'static> OnResponse for F {
    fn on_response(&self, request: &RequestEnd<'_>) {
        self(request);
    }
}

/// The standard's `request.started` line: `method`, `path`, and `client` where known.
///
/// ```
/// let layer = octo_instrument::http::ServerLayer::new()
///     .on_request(octo_instrument::http::LogRequest);
/// # let _ = layer;
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct LogRequest;

impl OnRequest for LogRequest {
    fn on_request(&self, start: &RequestStart<'_>) {
        let RequestInfo {
            method,
            path,
            client,
            ..
        } = start.request;
        match client {
            Some(client) => tracing::info!(
                target: "octo_instrument::http",
                event = "request.started",
                method,
                path,
                client = %client,
            ),
            None => tracing::info!(
                target: "octo_instrument::http",
                event = "request.started",
                method,
                path,
            ),
        }
    }
}

/// The standard's `request.completed` line: `method`, `path`, `status_code`, `duration_ms`; at
/// `error` for a 5xx (what LogQL's `level="error"` finds), `info` otherwise.
///
/// ```
/// let layer = octo_instrument::http::ServerLayer::new()
///     .on_response(octo_instrument::http::LogResponse);
/// # let _ = layer;
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct LogResponse;

impl OnResponse for LogResponse {
    fn on_response(&self, end: &RequestEnd<'_>) {
        let RequestInfo { method, path, .. } = end.request;
        let status_code = end.status.as_u16();
        let duration_ms = octo_instrument_core::json::millis(end.duration);
        // tracing's levels are static, hence one call per level.
        macro_rules! completed {
            ($level:ident) => {
                tracing::$level!(
                    target: "octo_instrument::http",
                    event = "request.completed",
                    method,
                    path,
                    status_code,
                    duration_ms,
                )
            };
        }
        if end.status.is_server_error() {
            completed!(error);
        } else {
            completed!(info);
        }
    }
}

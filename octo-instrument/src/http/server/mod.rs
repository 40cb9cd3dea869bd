//! The tower layer for servers (axum first): the standard bundle of request id, trace context,
//! server span, start and end lines, the HTTP metric families, and a panicking handler turned into
//! a counted 500; each part configurable on [`ServerLayer`].

mod body;
mod future;
mod hooks;
mod state;

use std::convert::Infallible;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use http::{Request, Response};
use tower_layer::Layer;
use tower_service::Service;

pub use body::ResponseBody;
pub use future::ResponseFuture;
pub use hooks::{
    LogRequest, LogResponse, OnRequest, OnResponse, RequestEnd, RequestInfo, RequestStart,
};

use super::request_id::{HEADER, RequestId};
use state::RequestState;

/// Set once a router has the layer: the exported catalog then says the service serves HTTP, so
/// generated dashboards and alerts include the HTTP families.
pub(crate) static LAYER_IN_USE: AtomicBool = AtomicBool::new(false);

/// The `endpoint` label of requests no route matched: one shared value, so a scanner probing
/// random paths cannot create a series per path.
pub const UNMATCHED: &str = octo_instrument_core::families::UNMATCHED_ENDPOINT;

/// Observes every request of an axum router. Add it with [`Router::layer`] after the routes (and
/// fallback), so the matched route template is known:
///
/// ```
/// use axum::{Router, routing::get};
/// use octo_instrument::http::{RequestId, ServerLayer};
///
/// async fn get_task(id: RequestId) -> String {
///     format!("handled as {id}")
/// }
///
/// let app: Router = Router::new()
///     .route("/api/v1/tasks/{id}", get(get_task))
///     .route("/health", get(|| async { "ok" }))
///     .layer(ServerLayer::new().skip_paths(["/health"]));
/// # let _ = app;
/// ```
///
/// Per request, [`ServerLayer::new`] (the standard bundle):
/// - keeps a well-formed `X-Request-ID` or replaces it with a fresh one (never echoing a bad
///   one), returns it on the response, records it on the request's span (so every log line of
///   the request has `request_id`) and in the request's extensions (the [`RequestId`] extractor);
/// - continues the caller's trace from `traceparent` / `tracestate`, or starts one;
/// - opens a server span with the OpenTelemetry HTTP attributes, status `ERROR` on 5xx;
/// - logs `request.started` and `request.completed` ([`LogRequest`], [`LogResponse`]);
/// - counts `http_requests_total`, `http_request_duration_seconds`, `http_requests_in_flight`
///   by `method` and the route template as `endpoint`, and 5xx responses in
///   `errors_total{component="http"}`;
/// - turns a panicking handler into a 500.
///
/// Each part can be changed: [`make_request_id`](Self::make_request_id),
/// [`skip_paths`](Self::skip_paths), [`on_request`](Self::on_request),
/// [`on_response`](Self::on_response), [`until_body_end`](Self::until_body_end).
///
/// [`Router::layer`]: axum::Router::layer
#[derive(Clone)]
#[must_use]
pub struct ServerLayer {
    parts: Arc<Parts>,
}

/// The configuration every request of a layer shares.
// Shared hooks, so a configured layer can be cloned and each clone configured further.
#[derive(Clone)]
pub(crate) struct Parts {
    make_request_id: Option<Arc<dyn Fn() -> String + Send + Sync>>,
    skip_paths: Vec<String>,
    on_request: Arc<dyn OnRequest>,
    on_response: Arc<dyn OnResponse>,
    until_body_end: bool,
}

impl Default for ServerLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for ServerLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerLayer")
            .field("skip_paths", &self.parts.skip_paths)
            .field("until_body_end", &self.parts.until_body_end)
            .finish_non_exhaustive()
    }
}

impl ServerLayer {
    /// The standard bundle: every part as the standard describes it.
    pub fn new() -> Self {
        Self {
            parts: Arc::new(Parts {
                make_request_id: None,
                skip_paths: Vec::new(),
                on_request: Arc::new(LogRequest),
                on_response: Arc::new(LogResponse),
                until_body_end: false,
            }),
        }
    }

    /// Changes this layer's parts; a clone made before keeps its own (copied on write).
    fn with(mut self, change: impl FnOnce(&mut Parts)) -> Self {
        change(Arc::make_mut(&mut self.parts));
        self
    }

    /// Makes the ids of requests that arrive without a well-formed `X-Request-ID`. An id the hook
    /// makes that is not itself well-formed (1–128 of `[A-Za-z0-9._:-]`) is replaced by the
    /// standard one, so a hook cannot put a bad header on a response.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU64, Ordering};
    ///
    /// static NEXT: AtomicU64 = AtomicU64::new(1);
    /// let layer = octo_instrument::http::ServerLayer::new()
    ///     .make_request_id(|| format!("orch-{}", NEXT.fetch_add(1, Ordering::Relaxed)));
    /// # let _ = layer;
    /// ```
    pub fn make_request_id(self, make: impl Fn() -> String + Send + Sync + 'static) -> Self {
        self.with(|parts| parts.make_request_id = Some(Arc::new(make)))
    }

    /// Paths left out of logs, traces and metrics (`/health`, `/metrics`: probes that would
    /// drown the real traffic). Matched exactly; such requests still get their `X-Request-ID`.
    ///
    /// ```
    /// let layer = octo_instrument::http::ServerLayer::new().skip_paths(["/health", "/metrics"]);
    /// # let _ = layer;
    /// ```
    pub fn skip_paths<I: IntoIterator<Item = P>, P: Into<String>>(self, paths: I) -> Self {
        let paths: Vec<String> = paths.into_iter().map(Into::into).collect();
        self.with(|parts| parts.skip_paths.extend(paths))
    }

    /// What is logged when a request starts (default [`LogRequest`]).
    pub fn on_request(self, hook: impl OnRequest) -> Self {
        self.with(|parts| parts.on_request = Arc::new(hook))
    }

    /// What is logged when a request ends (default [`LogResponse`]).
    pub fn on_response(self, hook: impl OnResponse) -> Self {
        self.with(|parts| parts.on_response = Arc::new(hook))
    }

    /// With `true`, a request ends when its response body ends rather than when its head is
    /// ready: the duration, the end line and the in-flight gauge then cover a streamed body.
    ///
    /// ```
    /// let layer = octo_instrument::http::ServerLayer::new().until_body_end(true);
    /// # let _ = layer;
    /// ```
    pub fn until_body_end(self, until_body_end: bool) -> Self {
        self.with(|parts| parts.until_body_end = until_body_end)
    }
}

impl Parts {
    fn request_id(&self, header: Option<&str>) -> RequestId {
        match (RequestId::well_formed(header), &self.make_request_id) {
            (Some(id), _) => id,
            (None, Some(make)) => RequestId::well_formed(Some(&make())).unwrap_or_default(),
            (None, None) => RequestId::new(),
        }
    }
}

impl<S> Layer<S> for ServerLayer {
    type Service = ServerService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        LAYER_IN_USE.store(true, Ordering::Relaxed);
        ServerService {
            inner,
            parts: self.parts.clone(),
        }
    }
}

/// The service [`ServerLayer`] wraps around each route.
#[derive(Clone)]
pub struct ServerService<S> {
    inner: S,
    parts: Arc<Parts>,
}

impl<S: std::fmt::Debug> std::fmt::Debug for ServerService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerService")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S, B, ResB> Service<Request<B>> for ServerService<S>
where
    S: Service<Request<B>, Response = Response<ResB>>,
{
    type Response = Response<ResponseBody<ResB>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let request_id = self
            .parts
            .request_id(request.headers().get(HEADER).and_then(|v| v.to_str().ok()));
        if self
            .parts
            .skip_paths
            .iter()
            .any(|path| path == request.uri().path())
        {
            request.extensions_mut().insert(request_id.clone());
            return ResponseFuture::skipped(self.inner.call(request), request_id);
        }
        let mut state = RequestState::start(&mut request, self.parts.clone(), request_id);
        let inner = &mut self.inner;
        let future = state
            .span
            .in_scope(|| catch_unwind(AssertUnwindSafe(|| inner.call(request))));
        match future {
            Ok(future) => ResponseFuture::observed(future, state),
            Err(payload) => {
                state.panicked(&*payload);
                ResponseFuture::panicked(state)
            }
        }
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for RequestId {
    type Rejection = Infallible;

    /// The id [`ServerLayer`] gave the request; a fresh one when the layer is not installed.
    async fn from_request_parts(
        parts: &mut http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Self>().cloned().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clone_is_configured_on_its_own() {
        let base = ServerLayer::new().skip_paths(["/health"]);
        let _in_use = base.layer(());
        let other = base.clone().skip_paths(["/metrics"]).until_body_end(true);
        assert_eq!(base.parts.skip_paths, ["/health"]);
        assert!(!base.parts.until_body_end);
        assert_eq!(other.parts.skip_paths, ["/health", "/metrics"]);
        assert!(other.parts.until_body_end);
    }
}

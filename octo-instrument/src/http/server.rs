//! The tower layer for servers (axum first): request id, trace context, server span, the
//! `request.started` / `request.completed` lines, the HTTP metric families, and a panicking
//! handler turned into a counted 500.

use std::future::Future;
use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath};
use http::{HeaderValue, Method, Request, Response, StatusCode, Version};
use opentelemetry::trace::{Status, TraceContextExt};
use tower_layer::Layer;
use tower_service::Service;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::request_id::{HEADER, RequestId};
use crate::prom::http::HTTP;
use crate::trace::propagation;
use crate::trace::span_value;

/// Set once a router has the layer: the exported catalog then says the service serves HTTP, so
/// generated dashboards and alerts include the HTTP families.
pub(crate) static LAYER_IN_USE: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// The `endpoint` label of requests no route matched: one shared value, so a scanner probing
/// random paths cannot create a series per path.
pub const UNMATCHED: &str = "unmatched";

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
///     .layer(ServerLayer::new());
/// # let _ = app;
/// ```
///
/// Per request it:
/// - keeps a well-formed `X-Request-ID` or replaces it with a fresh one (never echoing a bad
///   one), returns it on the response, records it on the request's span (so every log line of
///   the request has `request_id`) and in the request's extensions (the [`RequestId`] extractor);
/// - continues the caller's trace from `traceparent` / `tracestate`, or starts one;
/// - opens a server span with the OpenTelemetry HTTP attributes, status `ERROR` on 5xx;
/// - logs `request.started` and `request.completed` (`method`, `path`, `status_code`,
///   `duration_ms`; `client` where the server has connect info);
/// - counts `http_requests_total`, `http_request_duration_seconds`, `http_requests_in_flight`
///   by `method` and the route template as `endpoint`, and 5xx responses in
///   `errors_total{component="http"}`;
/// - turns a panicking handler into a 500.
///
/// [`Router::layer`]: axum::Router::layer
#[derive(Clone, Copy, Debug, Default)]
pub struct ServerLayer {
    _private: (),
}

impl ServerLayer {
    /// The layer; it has no settings.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<S> Layer<S> for ServerLayer {
    type Service = ServerService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        LAYER_IN_USE.store(true, std::sync::atomic::Ordering::Relaxed);
        ServerService { inner }
    }
}

/// The service [`ServerLayer`] wraps around each route.
#[derive(Clone, Debug)]
pub struct ServerService<S> {
    inner: S,
}

impl<S, B, ResB> Service<Request<B>> for ServerService<S>
where
    S: Service<Request<B>, Response = Response<ResB>>,
    ResB: Default,
{
    type Response = Response<ResB>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let state = RequestState::start(&mut request);
        let inner = &mut self.inner;
        let future = state
            .span
            .in_scope(|| catch_unwind(AssertUnwindSafe(|| inner.call(request))));
        match future {
            Ok(future) => ResponseFuture {
                inner: Some(future),
                state: Some(state),
            },
            Err(payload) => {
                let mut state = state;
                state.panicked(&*payload);
                ResponseFuture {
                    inner: None,
                    state: Some(state),
                }
            }
        }
    }
}

pin_project_lite::pin_project! {
    /// The response of a [`ServerService`].
    pub struct ResponseFuture<F> {
        #[pin]
        inner: Option<F>,
        state: Option<RequestState>,
    }
}

impl<F, ResB, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<ResB>, E>>,
    ResB: Default,
{
    type Output = Result<Response<ResB>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let Some(inner) = this.inner.as_mut().as_pin_mut() else {
            // The handler panicked in `call`, before it had a future.
            let mut state = this
                .state
                .take()
                .expect("ResponseFuture polled after completion");
            return Poll::Ready(Ok(state.internal_error()));
        };
        let result = {
            let state = this
                .state
                .as_ref()
                .expect("ResponseFuture polled after completion");
            let _entered = state.span.enter();
            catch_unwind(AssertUnwindSafe(|| inner.poll(cx)))
        };
        if let Ok(Poll::Pending) = result {
            return Poll::Pending;
        }
        let mut state = this.state.take().expect("checked above");
        Poll::Ready(match result {
            Ok(Poll::Pending) => unreachable!("returned above"),
            Ok(Poll::Ready(Ok(mut response))) => {
                state.finish(response.status());
                response
                    .headers_mut()
                    .insert(HEADER, state.request_id.header_value());
                Ok(response)
            }
            Ok(Poll::Ready(Err(err))) => {
                state.finish(StatusCode::INTERNAL_SERVER_ERROR);
                Err(err)
            }
            Err(payload) => {
                this.inner.set(None);
                state.panicked(&*payload);
                Ok(state.internal_error())
            }
        })
    }
}

/// One request from its start to its single outcome: completed, panicked, or cancelled (the
/// future dropped, as when the client goes away).
struct RequestState {
    span: Span,
    start: Instant,
    method: &'static str,
    endpoint: String,
    path: String,
    request_id: RequestId,
    in_flight: prometheus::IntGauge,
    panic: Option<String>,
    done: bool,
}

impl RequestState {
    fn start<B>(request: &mut Request<B>) -> Self {
        let start = Instant::now();
        let request_id =
            RequestId::from_header(request.headers().get(HEADER).and_then(|v| v.to_str().ok()));
        let method = method_label(request.method());
        let route = request
            .extensions()
            .get::<MatchedPath>()
            .map(|path| path.as_str().to_owned());
        let endpoint = route.clone().unwrap_or_else(|| UNMATCHED.to_owned());
        let path = request.uri().path().to_owned();
        let client = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0);

        // A server span starts its own trace unless the caller sent one: never a child of
        // whatever span happens to be current where the server runs.
        let span = tracing::info_span!(
            target: "octo_instrument::http",
            parent: None,
            "request",
            // `{method} {route}`, or the method alone where no route matched (the HTTP
            // conventions' rule: never the raw path, which is unbounded).
            otel.name = %SpanName(method, route.as_deref()),
            otel.kind = "server",
            request_id = %request_id,
        );
        let parent = propagation::extract(request.headers());
        if parent.span().span_context().is_valid() {
            let _ = span.set_parent(parent);
        }
        set_request_attributes(&span, request, method, route.as_deref(), client);
        attach_request_id(&span, &request_id);
        request.extensions_mut().insert(request_id.clone());

        let in_flight = HTTP.start(method, &endpoint);
        span.in_scope(|| match client {
            Some(client) => tracing::info!(
                target: "octo_instrument::http",
                event = "request.started",
                method,
                path = %path,
                client = %client,
            ),
            None => tracing::info!(
                target: "octo_instrument::http",
                event = "request.started",
                method,
                path = %path,
            ),
        });
        Self {
            span,
            start,
            method,
            endpoint,
            path,
            request_id,
            in_flight,
            panic: None,
            done: false,
        }
    }

    fn finish(&mut self, status: StatusCode) {
        self.done = true;
        let elapsed = self.start.elapsed();
        let code = status.as_u16();
        HTTP.finish(self.method, &self.endpoint, code, elapsed);
        self.span
            .set_attribute("http.response.status_code", i64::from(code));
        let duration_ms = elapsed.as_secs_f64() * 1000.0;
        let _entered = self.span.enter();
        // One line, at `error` for a 5xx (what LogQL's `level="error"` finds) and `info` else;
        // tracing's levels are static, hence the macro.
        macro_rules! completed {
            ($level:ident) => {
                tracing::$level!(
                    target: "octo_instrument::http",
                    event = "request.completed",
                    method = self.method,
                    path = %self.path,
                    status_code = code,
                    duration_ms,
                )
            };
        }
        if status.is_server_error() {
            if self.panic.is_none() {
                crate::prom::count_error("http", "server_error");
            }
            self.span
                .set_status(Status::error(self.panic.clone().unwrap_or_else(|| {
                    format!("{code} {}", status.canonical_reason().unwrap_or(""))
                })));
            completed!(error);
        } else {
            completed!(info);
        }
    }

    fn panicked(&mut self, payload: &(dyn std::any::Any + Send)) {
        let message = crate::panic::message(payload).to_owned();
        crate::prom::count_error("http", "panic");
        self.span.in_scope(|| {
            tracing::error!(
                target: "octo_instrument::http",
                event = "request.panicked",
                method = self.method,
                path = %self.path,
                panic = %message,
            );
        });
        self.panic = Some(message);
    }

    /// The 500 that replaces a panicked handler's response.
    fn internal_error<ResB: Default>(&mut self) -> Response<ResB> {
        self.finish(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = Response::new(ResB::default());
        *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        response
            .headers_mut()
            .insert(HEADER, self.request_id.header_value());
        response
    }
}

impl Drop for RequestState {
    fn drop(&mut self) {
        self.in_flight.dec();
        if self.done {
            return;
        }
        // Dropped unfinished: the connection closed or a timeout layer gave up. Counted under
        // nginx's 499 ("client closed request") so the request is not lost from the rates.
        let elapsed = self.start.elapsed();
        HTTP.finish(self.method, &self.endpoint, 499, elapsed);
        self.span.in_scope(|| {
            tracing::warn!(
                target: "octo_instrument::http",
                event = "request.cancelled",
                method = self.method,
                path = %self.path,
                duration_ms = elapsed.as_secs_f64() * 1000.0,
            );
        });
    }
}

/// The method as a bounded label: the standard methods by name, anything else `_OTHER` (as the
/// OpenTelemetry conventions say), so a client cannot invent series.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "_OTHER",
    }
}

/// The OpenTelemetry HTTP server attributes: set on the trace only, not as span fields, so log
/// lines inside the request stay short.
fn set_request_attributes<B>(
    span: &Span,
    request: &Request<B>,
    method: &'static str,
    route: Option<&str>,
    client: Option<SocketAddr>,
) {
    if span.is_disabled() {
        return;
    }
    span.set_attribute("http.request.method", method);
    span.set_attribute("url.path", span_value(request.uri().path()).into_owned());
    span.set_attribute(
        "url.scheme",
        request.uri().scheme_str().unwrap_or("http").to_owned(),
    );
    if let Some(route) = route {
        span.set_attribute("http.route", span_value(route).into_owned());
    }
    if let Some(host) = request
        .headers()
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
    {
        let (address, port) = split_host(host);
        span.set_attribute("server.address", span_value(address).into_owned());
        if let Some(port) = port {
            span.set_attribute("server.port", i64::from(port));
        }
    }
    if let Some(client) = client {
        span.set_attribute("client.address", client.ip().to_string());
        span.set_attribute("client.port", i64::from(client.port()));
    }
    span.set_attribute(
        "network.protocol.version",
        match request.version() {
            Version::HTTP_09 => "0.9",
            Version::HTTP_10 => "1.0",
            Version::HTTP_2 => "2",
            Version::HTTP_3 => "3",
            _ => "1.1",
        },
    );
    if let Some(agent) = request
        .headers()
        .get(http::header::USER_AGENT)
        .and_then(|v: &HeaderValue| v.to_str().ok())
    {
        span.set_attribute("user_agent.original", span_value(agent).into_owned());
    }
}

/// The server span's name: `GET /api/v1/tasks/{id}`, or `GET` for a request no route matched.
struct SpanName<'a>(&'static str, Option<&'a str>);

impl std::fmt::Display for SpanName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.1 {
            Some(route) => write!(f, "{} {route}", self.0),
            None => f.write_str(self.0),
        }
    }
}

fn split_host(host: &str) -> (&str, Option<u16>) {
    // `example.com:8080`, `[::1]:8080`, or either without a port.
    let colon = if host.starts_with('[') {
        host.find("]:").map(|i| i + 1)
    } else {
        host.rfind(':')
    };
    match colon.and_then(|i| Some((&host[..i], host[i + 1..].parse().ok()?))) {
        Some((address, port)) => (address, Some(port)),
        None => (host, None),
    }
}

/// Keeps the request id on the span itself, where [`RequestId::current`] finds it from any
/// span inside the request.
fn attach_request_id(span: &Span, request_id: &RequestId) {
    crate::span_data::with_span_ref(span, |span| {
        span.extensions_mut().insert(request_id.clone());
    });
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for RequestId {
    type Rejection = std::convert::Infallible;

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
    use super::{SpanName, split_host};

    #[test]
    fn span_names_follow_the_http_conventions() {
        assert_eq!(
            SpanName("GET", Some("/tasks/{id}")).to_string(),
            "GET /tasks/{id}"
        );
        assert_eq!(SpanName("GET", None).to_string(), "GET");
    }

    #[test]
    fn host_and_port() {
        assert_eq!(split_host("example.com:8080"), ("example.com", Some(8080)));
        assert_eq!(split_host("example.com"), ("example.com", None));
        assert_eq!(split_host("[::1]:8080"), ("[::1]", Some(8080)));
        assert_eq!(split_host("[::1]"), ("[::1]", None));
        assert_eq!(split_host("host:notaport"), ("host:notaport", None));
    }
}

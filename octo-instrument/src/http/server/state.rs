//! One request from its start to its single outcome: the server span with its attributes and
//! trace parent, the request id on it, the HTTP families, the start and end hooks, and the
//! `request.panicked` / `request.cancelled` lines.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath};
use http::{HeaderValue, Request, StatusCode, Version};
use octo_instrument_core::families::{HTTP_COMPONENT, UNMATCHED_ENDPOINT};
use tracing::Span;

use super::Parts;
use super::hooks::{RequestEnd, RequestInfo, RequestStart};
use crate::http::method;
use crate::http::request_id::RequestId;
use crate::prom::http::HTTP;
use crate::trace::api::{self, Attr};
use crate::trace::propagation;

/// One request from its start to its single outcome: completed (its head, or its whole body
/// where the layer waits for it), panicked, or cancelled (dropped before its response, as when
/// the client goes away).
pub(super) struct RequestState {
    pub(super) span: Span,
    parts: Arc<Parts>,
    start: Instant,
    method: &'static str,
    route: Option<String>,
    endpoint: String,
    path: String,
    client: Option<SocketAddr>,
    pub(super) request_id: RequestId,
    in_flight: prometheus::IntGauge,
    panic: Option<String>,
    /// The status of the response head, once it is known.
    status: Option<StatusCode>,
    done: bool,
}

impl RequestState {
    pub(super) fn start<B>(
        request: &mut Request<B>,
        parts: Arc<Parts>,
        request_id: RequestId,
    ) -> Self {
        let start = Instant::now();
        let method = method::label(request.method());
        let route = request
            .extensions()
            .get::<MatchedPath>()
            .map(|path| path.as_str().to_owned());
        let endpoint = route
            .clone()
            .unwrap_or_else(|| UNMATCHED_ENDPOINT.to_owned());
        let path = request.uri().path().to_owned();
        let client = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0);

        // A server span starts its own trace unless the caller sent one: never a child of
        // whatever span happens to be current where the server runs.
        let span = api::with_remote_parent(propagation::extract(request.headers()), || {
            tracing::info_span!(
                target: "octo_instrument::http",
                parent: None,
                "request",
                // `{method} {route}`, or the method alone where no route matched (the HTTP
                // conventions' rule: never the raw path, which is unbounded).
                otel.name = %SpanName(method, route.as_deref()),
                otel.kind = "server",
            )
        });
        set_request_attributes(&span, request, method, route.as_deref(), client);
        attach_request_id(&span, &request_id);
        let baggage = request
            .headers()
            .get_all("baggage")
            .iter()
            .filter_map(|value| value.to_str().ok());
        crate::baggage::attach(&span, crate::baggage::parse_header(baggage));
        request.extensions_mut().insert(request_id.clone());

        let in_flight = HTTP.start(method, &endpoint);
        span.in_scope(|| {
            parts.on_request.on_request(&RequestStart {
                request: RequestInfo {
                    method,
                    path: &path,
                    route: route.as_deref(),
                    client,
                    request_id: &request_id,
                },
                headers: request.headers(),
            });
        });
        Self {
            span,
            parts,
            start,
            method,
            route,
            endpoint,
            path,
            client,
            request_id,
            in_flight,
            panic: None,
            status: None,
            done: false,
        }
    }

    /// Whether the request ends with its response body.
    pub(super) fn until_body_end(&self) -> bool {
        self.parts.until_body_end
    }

    /// The response head is ready: its status goes on the span (`ERROR` for a 5xx).
    pub(super) fn head(&mut self, status: StatusCode) {
        self.status = Some(status);
        let code = status.as_u16();
        api::set_attribute(
            &self.span,
            "http.response.status_code",
            Attr::Int(i64::from(code)),
        );
        if status.is_server_error() {
            // `error.type` is the status code, as the HTTP conventions say; a panic adds its
            // `exception` event.
            match &self.panic {
                Some(panic) => api::record_failure(
                    &self.span,
                    &api::Failure {
                        message: panic,
                        error_type: status.as_str(),
                        exception_type: "panic",
                        source: None,
                    },
                ),
                None => {
                    api::set_error(
                        &self.span,
                        &format_args!("{code} {}", status.canonical_reason().unwrap_or("")),
                    );
                    api::set_attribute(&self.span, "error.type", Attr::Str(status.as_str()));
                }
            }
        }
    }

    /// The request is over: its duration and status in the HTTP families, its end hook.
    pub(super) fn finish(&mut self) {
        if self.done {
            return;
        }
        self.done = true;
        let status = self.status.unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let elapsed = self.start.elapsed();
        let ids = api::exemplar(&self.span, self.start, elapsed);
        HTTP.finish(self.method, &self.endpoint, status.as_u16(), elapsed, ids);
        if status.is_server_error() && self.panic.is_none() {
            crate::prom::count_error(HTTP_COMPONENT, "server_error", ids);
        }
        let _entered = self.span.enter();
        self.parts.on_response.on_response(&RequestEnd {
            request: RequestInfo {
                method: self.method,
                path: &self.path,
                route: self.route.as_deref(),
                client: self.client,
                request_id: &self.request_id,
            },
            status,
            duration: elapsed,
        });
    }

    pub(super) fn panicked(&mut self, payload: &(dyn std::any::Any + Send)) {
        let message = crate::panic::message(payload).to_owned();
        let ids = api::exemplar(&self.span, self.start, self.start.elapsed());
        crate::prom::count_error(HTTP_COMPONENT, "panic", ids);
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
}

impl Drop for RequestState {
    fn drop(&mut self) {
        self.in_flight.dec();
        if self.done {
            return;
        }
        if self.status.is_some() {
            // The head was sent and the body cut short (the client went away mid-body): the
            // request ends here, with the status it got.
            self.finish();
            return;
        }
        // Dropped before a response: the connection closed or a timeout layer gave up. Counted
        // under nginx's 499 ("client closed request") so the request is not lost from the rates.
        let elapsed = self.start.elapsed();
        HTTP.finish(self.method, &self.endpoint, 499, elapsed, None);
        self.span.in_scope(|| {
            tracing::warn!(
                target: "octo_instrument::http",
                event = "request.cancelled",
                method = self.method,
                path = %self.path,
                duration_ms = octo_instrument_core::json::millis(elapsed),
            );
        });
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
    let version = match request.version() {
        Version::HTTP_09 => "0.9",
        Version::HTTP_10 => "1.0",
        Version::HTTP_2 => "2",
        Version::HTTP_3 => "3",
        _ => "1.1",
    };
    let mut attributes = vec![
        ("http.request.method", Attr::Str(method)),
        ("url.path", Attr::Str(request.uri().path())),
        (
            "url.scheme",
            Attr::Str(request.uri().scheme_str().unwrap_or("http")),
        ),
        ("network.protocol.version", Attr::Str(version)),
    ];
    if let Some(original) = method::original(request.method(), method) {
        attributes.push(("http.request.method_original", Attr::Str(original)));
    }
    if let Some(route) = route {
        attributes.push(("http.route", Attr::Str(route)));
    }
    let host = request
        .headers()
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok());
    if let Some(host) = host {
        let (address, port) = split_host(host);
        attributes.push(("server.address", Attr::Str(address)));
        if let Some(port) = port {
            attributes.push(("server.port", Attr::Int(i64::from(port))));
        }
    }
    let client_ip = client.map(|client| client.ip().to_string());
    if let (Some(client), Some(ip)) = (client, &client_ip) {
        attributes.push(("client.address", Attr::Str(ip)));
        attributes.push(("client.port", Attr::Int(i64::from(client.port()))));
    }
    if let Some(agent) = request
        .headers()
        .get(http::header::USER_AGENT)
        .and_then(|v: &HeaderValue| v.to_str().ok())
    {
        attributes.push(("user_agent.original", Attr::Str(agent)));
    }
    api::set_attributes(span, &attributes);
}

/// The server span's name: `GET /api/v1/tasks/{id}`, or `GET` for a request no route matched
/// (`HTTP` in place of a method that is not a standard one).
struct SpanName<'a>(&'static str, Option<&'a str>);

impl std::fmt::Display for SpanName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let method = method::in_span_name(self.0);
        match self.1 {
            Some(route) => write!(f, "{method} {route}"),
            None => f.write_str(method),
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
/// span inside the request, and on every line inside it. Not a span attribute: the conventions
/// have none for it, and the trace id already ties the request's spans together.
fn attach_request_id(span: &Span, request_id: &RequestId) {
    crate::span_data::with_span_ref(span, |span| {
        span.extensions_mut().insert(request_id.clone());
    });
    crate::span_data::add_line_field(span, "request_id", request_id.as_str());
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
        assert_eq!(SpanName("_OTHER", None).to_string(), "HTTP");
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

//! Outbound requests with reqwest: a client span each, and the trace context and request id of
//! the request being handled carried on to the next service.

use std::future::Future;

use tracing::Instrument;

use super::request_id::{HEADER, RequestId};
use crate::trace::api::{self, Attr};
use crate::trace::propagation;

/// Sends a reqwest request with a client span and the propagation headers.
///
/// ```no_run
/// use octo_instrument::http::SendTraced;
///
/// # async fn call() -> Result<(), reqwest::Error> {
/// let client = reqwest::Client::new();
/// let response = client
///     .post("http://arm-coder:8081/api/v1/code")
///     .body("fn main() {}")
///     .send_traced()
///     .await?;
/// # let _ = response;
/// # Ok(())
/// # }
/// ```
///
/// The request carries `traceparent` (and `tracestate` / `baggage` where there is one) of a new
/// client span, a child of the current span, so the next service's server span is that client
/// span's child; and `X-Request-ID` of the request being handled, unless the request already
/// has one. The client span has the OpenTelemetry HTTP client attributes and status `ERROR`
/// when the request fails or the response is a 5xx.
pub trait SendTraced {
    /// As `RequestBuilder::send`, traced.
    fn send_traced(self) -> impl Future<Output = reqwest::Result<reqwest::Response>> + Send;
}

impl SendTraced for reqwest::RequestBuilder {
    fn send_traced(self) -> impl Future<Output = reqwest::Result<reqwest::Response>> + Send {
        let (client, request) = self.build_split();
        let prepared = request.map(|mut request| {
            let span = client_span(&request);
            if let Some(context) = api::context(&span) {
                propagation::inject(&context, request.headers_mut());
            }
            if !request.headers().contains_key("baggage")
                && let Some(baggage) = span.in_scope(crate::baggage::header)
                && let Ok(value) = http::HeaderValue::from_str(&baggage)
            {
                request.headers_mut().insert("baggage", value);
            }
            if !request.headers().contains_key(HEADER)
                && let Some(id) = span.in_scope(RequestId::current)
            {
                request.headers_mut().insert(HEADER, id.header_value());
            }
            (request, span)
        });
        async move {
            let (request, span) = prepared?;
            let result = client.execute(request).instrument(span.clone()).await;
            match &result {
                Ok(response) => {
                    let status = response.status();
                    api::set_attribute(
                        &span,
                        "http.response.status_code",
                        Attr::Int(i64::from(status.as_u16())),
                    );
                    if status.is_server_error() {
                        api::set_error(&span, &status);
                        api::set_attribute(&span, "error.type", Attr::Str(status.as_str()));
                    }
                }
                Err(err) => {
                    api::set_attribute(&span, "error.type", Attr::Str(error_type(err)));
                    api::set_error(&span, err);
                }
            }
            result
        }
    }
}

fn client_span(request: &reqwest::Request) -> tracing::Span {
    let method = super::method::label(request.method());
    let span = tracing::info_span!(
        target: "octo_instrument::http",
        "http.client",
        otel.name = super::method::in_span_name(method),
        otel.kind = "client",
    );
    if span.is_disabled() {
        return span;
    }
    let url = request.url();
    // Without credentials or query: those can hold secrets.
    let full = format!(
        "{}://{}{}{}",
        url.scheme(),
        url.host_str().unwrap_or_default(),
        url.port().map(|p| format!(":{p}")).unwrap_or_default(),
        url.path()
    );
    let mut attributes = vec![
        ("http.request.method", Attr::Str(method)),
        ("url.full", Attr::Str(&full)),
    ];
    if let Some(original) = super::method::original(request.method(), method) {
        attributes.push(("http.request.method_original", Attr::Str(original)));
    }
    if let Some(host) = url.host_str() {
        attributes.push(("server.address", Attr::Str(host)));
    }
    if let Some(port) = url.port_or_known_default() {
        attributes.push(("server.port", Attr::Int(i64::from(port))));
    }
    api::set_attributes(&span, &attributes);
    span
}

fn error_type(err: &reqwest::Error) -> &'static str {
    if err.is_timeout() {
        "timeout"
    } else if err.is_connect() {
        "connect"
    } else if err.is_body() || err.is_decode() {
        "body"
    } else if err.is_request() {
        "request"
    } else {
        "other"
    }
}

//! OTLP receivers on 127.0.0.1, built from the official `opentelemetry-proto` service
//! definitions: what a collector would receive, decoded into plain structs to assert on.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{AnyValue, any_value};
use prost::Message;

/// One received span, with ids as lowercase hex and attribute values as text.
#[derive(Clone, Debug)]
pub struct ReceivedSpan {
    pub service: String,
    pub resource: BTreeMap<String, String>,
    pub name: String,
    pub trace_id: String,
    pub span_id: String,
    /// Empty for a root span.
    pub parent_span_id: String,
    /// 1 internal, 2 server, 3 client (the OTLP enum).
    pub kind: i32,
    pub attributes: BTreeMap<String, String>,
    /// The same attributes with their wire types: strings, integers, doubles, booleans.
    pub values: BTreeMap<String, serde_json::Value>,
    /// 0 unset, 1 ok, 2 error.
    pub status_code: i32,
    pub status_message: String,
    pub start_unix_nanos: u64,
    pub end_unix_nanos: u64,
    /// The span's `flags` (W3C trace flags, and bits 8/9 for a remote parent).
    pub flags: u32,
    /// The span's events, by name, with their attributes as text.
    pub events: Vec<(String, BTreeMap<String, String>)>,
}

/// What a receiver has collected; shared with its server task.
#[derive(Clone, Default)]
pub struct Spans(Arc<Mutex<Vec<ReceivedSpan>>>);

impl Spans {
    pub fn all(&self) -> Vec<ReceivedSpan> {
        self.0.lock().unwrap().clone()
    }

    /// Waits until `done` holds for the spans received (or `timeout` passes) and returns them.
    pub fn wait_for(
        &self,
        timeout: Duration,
        done: impl Fn(&[ReceivedSpan]) -> bool,
    ) -> Vec<ReceivedSpan> {
        let deadline = Instant::now() + timeout;
        loop {
            let spans = self.all();
            if done(&spans) || Instant::now() > deadline {
                return spans;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn add(&self, request: &ExportTraceServiceRequest) {
        let mut spans = self.0.lock().unwrap();
        for resource_spans in &request.resource_spans {
            let resource: BTreeMap<String, String> = resource_spans
                .resource
                .iter()
                .flat_map(|r| &r.attributes)
                .map(|kv| (kv.key.clone(), text(kv.value.as_ref())))
                .collect();
            let service = resource.get("service.name").cloned().unwrap_or_default();
            for scope in &resource_spans.scope_spans {
                for span in &scope.spans {
                    spans.push(ReceivedSpan {
                        service: service.clone(),
                        resource: resource.clone(),
                        name: span.name.clone(),
                        trace_id: hex(&span.trace_id),
                        span_id: hex(&span.span_id),
                        parent_span_id: hex(&span.parent_span_id),
                        kind: span.kind,
                        attributes: span
                            .attributes
                            .iter()
                            .map(|kv| (kv.key.clone(), text(kv.value.as_ref())))
                            .collect(),
                        values: span
                            .attributes
                            .iter()
                            .map(|kv| (kv.key.clone(), typed(kv.value.as_ref())))
                            .collect(),
                        status_code: span.status.as_ref().map_or(0, |s| s.code),
                        status_message: span
                            .status
                            .as_ref()
                            .map(|s| s.message.clone())
                            .unwrap_or_default(),
                        start_unix_nanos: span.start_time_unix_nano,
                        end_unix_nanos: span.end_time_unix_nano,
                        flags: span.flags,
                        events: span
                            .events
                            .iter()
                            .map(|event| {
                                (
                                    event.name.clone(),
                                    event
                                        .attributes
                                        .iter()
                                        .map(|kv| (kv.key.clone(), text(kv.value.as_ref())))
                                        .collect(),
                                )
                            })
                            .collect(),
                    });
                }
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

fn text(value: Option<&AnyValue>) -> String {
    match value.and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::IntValue(i)) => i.to_string(),
        Some(any_value::Value::DoubleValue(d)) => d.to_string(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

fn typed(value: Option<&AnyValue>) -> serde_json::Value {
    match value.and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => serde_json::Value::from(s.clone()),
        Some(any_value::Value::IntValue(i)) => serde_json::Value::from(*i),
        Some(any_value::Value::DoubleValue(d)) => serde_json::Value::from(*d),
        Some(any_value::Value::BoolValue(b)) => serde_json::Value::from(*b),
        Some(other) => serde_json::Value::from(format!("{other:?}")),
        None => serde_json::Value::Null,
    }
}

struct Collector(Spans);

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.0.add(request.get_ref());
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

/// A receiver running on its own runtime thread; stops when dropped.
pub struct Receiver {
    pub addr: SocketAddr,
    pub spans: Spans,
    _runtime: tokio::runtime::Runtime,
}

impl Receiver {
    /// `http://127.0.0.1:PORT`: the base URL for `OTEL_EXPORTER_OTLP_ENDPOINT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// An OTLP/gRPC receiver (`TraceService/Export`).
    pub fn grpc() -> Self {
        let (runtime, listener, addr) = listening();
        let spans = Spans::default();
        let service = TraceServiceServer::new(Collector(spans.clone()));
        runtime.spawn(
            tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
        );
        Self {
            addr,
            spans,
            _runtime: runtime,
        }
    }

    /// An OTLP/HTTP receiver: `POST /v1/traces` with a protobuf body.
    pub fn http() -> Self {
        use axum::routing::post;
        let (runtime, listener, addr) = listening();
        let spans = Spans::default();
        let collected = spans.clone();
        let app = axum::Router::new().route(
            "/v1/traces",
            post(move |body: axum::body::Bytes| {
                let collected = collected.clone();
                async move {
                    match ExportTraceServiceRequest::decode(body) {
                        Ok(request) => {
                            collected.add(&request);
                            (
                                axum::http::StatusCode::OK,
                                [("content-type", "application/x-protobuf")],
                                ExportTraceServiceResponse::default().encode_to_vec(),
                            )
                        }
                        Err(_) => (
                            axum::http::StatusCode::BAD_REQUEST,
                            [("content-type", "text/plain")],
                            b"not an ExportTraceServiceRequest".to_vec(),
                        ),
                    }
                }
            }),
        );
        runtime.spawn(async move { axum::serve(listener, app).await });
        Self {
            addr,
            spans,
            _runtime: runtime,
        }
    }
}

/// A one-worker runtime for a receiver, and a listener on a free port of 127.0.0.1 in it.
fn listening() -> (tokio::runtime::Runtime, tokio::net::TcpListener, SocketAddr) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind a port");
    let addr = listener.local_addr().expect("a bound address");
    (runtime, listener, addr)
}

/// A collector that accepts connections and never answers: the export hangs until its timeout.
pub struct Hanging {
    pub addr: SocketAddr,
    _thread: std::thread::JoinHandle<()>,
}

impl Hanging {
    pub fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a port");
        let addr = listener.local_addr().unwrap();
        let thread = std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming().flatten() {
                held.push(stream);
            }
        });
        Self {
            addr,
            _thread: thread,
        }
    }
}

/// A port nothing listens on: bound, then closed.
pub fn closed_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a port");
    listener.local_addr().unwrap()
}

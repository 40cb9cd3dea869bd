//! In-process services for the HTTP tests: a thread-local subscriber with the JSON log layer and
//! the trace layer exporting to a receiver, and a current-thread runtime whose tasks (the server,
//! the client) all run on the subscriber's thread.

use std::future::Future;
use std::time::Duration;

use octo_instrument::logging::LogLayer;
use octo_instrument::trace::{OtlpProtocol, SpanPipeline};
use tracing_subscriber::layer::SubscriberExt;

use crate::Buffer;
use crate::otlp::{ReceivedSpan, Receiver};

/// What a traced run left behind: its log lines and the spans the receiver got.
pub struct Traced<R> {
    pub logs: Buffer,
    pub spans: Vec<ReceivedSpan>,
    pub output: R,
}

/// Runs `body` with JSON logs captured and spans exported over OTLP/gRPC to a fresh receiver;
/// waits until the receiver holds at least `min_spans` spans (or five seconds pass).
pub fn traced<F: Future>(min_spans: usize, body: F) -> Traced<F::Output> {
    traced_with(SpanPipeline::default(), min_spans, body)
}

/// As [`traced`], with the given span pipeline (unless `OCTO_SPAN_PIPELINE` chooses another).
pub fn traced_with<F: Future>(
    pipeline: SpanPipeline,
    min_spans: usize,
    body: F,
) -> Traced<F::Output> {
    let receiver = Receiver::grpc();
    let tracing = octo_instrument::Config::new()
        .service_name("octo-test")
        .otlp_endpoint(receiver.endpoint())
        .otlp_protocol(OtlpProtocol::Grpc)
        .span_pipeline(pipeline)
        .tracing()
        .expect("a valid trace pipeline");
    let logs = Buffer::default();
    let subscriber = tracing_subscriber::registry()
        .with(LogLayer::json(logs.clone()))
        .with(tracing.layer());
    let output = tracing::subscriber::with_default(subscriber, || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
            .block_on(body)
    });
    assert!(tracing.flush(Duration::from_secs(10)), "spans flushed");
    let spans = receiver
        .spans
        .wait_for(Duration::from_secs(5), |spans| spans.len() >= min_spans);
    Traced {
        logs,
        spans,
        output,
    }
}

/// Serves `app` on 127.0.0.1 (with connect info, as a production server would) from the
/// current runtime; returns its base URL.
pub async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a port");
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    format!("http://{addr}")
}

//! One request's span tree as a collector receives it, from both span pipelines (issue 11): the
//! server layer's span, an `#[observed]` call inside it, a plain `tracing` span of another crate
//! inside that, the reqwest hook's client span, and the next service's server span, with the right
//! parents, kinds, statuses, typed attributes and timestamps.

use std::time::Duration;

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::get;
use octo_instrument::http::{SendTraced, ServerLayer};
use octo_instrument::observed;
use octo_instrument::trace::SpanPipeline;
use octo_instrument_tests::otlp::ReceivedSpan;
use octo_instrument_tests::traced::{serve, traced_with};
use serde_json::json;

const CALLER_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

#[observed(event = "test.tree.work", fields(task_id = %task_id, priority = 5, urgent = true))]
async fn work(task_id: &str, host: &str) -> Result<String, std::io::Error> {
    let answer = {
        let span = tracing::info_span!(target: "other_crate::db", "db.query", table = "tasks", rows = 3u64);
        let entered = span.enter();
        std::thread::sleep(Duration::from_millis(20));
        drop(entered);
        // The client span starts where `send_traced` is called: inside the db span.
        let send = span.in_scope(|| {
            reqwest::Client::new()
                .get(format!("http://{host}/tree/downstream"))
                .send_traced()
        });
        send.instrument(span)
            .await
            .map_err(std::io::Error::other)?
            .text()
            .await
            .map_err(std::io::Error::other)?
    };
    Err(std::io::Error::other(format!(
        "{task_id} failed after {answer}"
    )))
}

use tracing::Instrument as _;

async fn upstream(headers: HeaderMap) -> String {
    let host = headers["host"].to_str().unwrap().to_owned();
    match work("task-7", &host).await {
        Ok(answer) => answer,
        Err(err) => err.to_string(),
    }
}

fn one<'a>(spans: &'a [ReceivedSpan], name: &str) -> &'a ReceivedSpan {
    let found: Vec<_> = spans.iter().filter(|s| s.name == name).collect();
    assert_eq!(found.len(), 1, "one {name:?} in {spans:#?}");
    found[0]
}

fn tree(pipeline: SpanPipeline) {
    let run = traced_with(pipeline, 5, async {
        let app = Router::new()
            .route("/tree/upstream", get(upstream))
            .route("/tree/downstream", get(|| async { "ok" }))
            .layer(ServerLayer::new());
        let base = serve(app).await;
        reqwest::Client::new()
            .get(format!("{base}/tree/upstream"))
            .header("traceparent", format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    });
    assert!(run.output.ends_with("failed after ok"), "{}", run.output);
    let spans = &run.spans;
    let server = one(spans, "GET /tree/upstream");
    let observed = one(spans, "test.tree.work");
    let db = one(spans, "db.query");
    let client = one(spans, "GET");
    let downstream = one(spans, "GET /tree/downstream");

    for span in [server, observed, db, client, downstream] {
        assert_eq!(
            span.trace_id, CALLER_TRACE,
            "{pipeline:?}: one trace: {span:#?}"
        );
        assert!(span.start_unix_nanos > 0 && span.start_unix_nanos <= span.end_unix_nanos);
        assert_eq!(span.flags & 1, 1, "sampled");
    }
    // Parents: caller → server → observed → db → client → downstream server.
    assert_eq!(server.parent_span_id, CALLER_SPAN);
    assert_eq!(
        server.flags & 0x300,
        0x300,
        "{pipeline:?}: the server span's parent is remote"
    );
    assert_eq!(observed.parent_span_id, server.span_id);
    assert_eq!(db.parent_span_id, observed.span_id);
    assert_eq!(client.parent_span_id, db.span_id);
    assert_eq!(downstream.parent_span_id, client.span_id);
    // Kinds: 1 internal, 2 server, 3 client.
    assert_eq!(
        [
            server.kind,
            observed.kind,
            db.kind,
            client.kind,
            downstream.kind
        ],
        [2, 1, 1, 3, 2]
    );
    // Statuses: the observed call failed; the rest did not.
    assert_eq!(observed.status_code, 2);
    assert!(observed.status_message.contains("task-7 failed"));
    for span in [db, client, downstream] {
        assert_eq!(span.status_code, 0, "{}", span.name);
    }
    // Attributes keep their types.
    assert_eq!(observed.values["priority"], json!(5), "{pipeline:?}");
    assert_eq!(observed.values["urgent"], json!(true), "{pipeline:?}");
    assert_eq!(observed.values["task_id"], json!("task-7"));
    assert_eq!(db.values["table"], json!("tasks"));
    if pipeline == SpanPipeline::Native {
        // `tracing-opentelemetry` sends unsigned integers as text; the native pipeline keeps
        // them numbers (issue 11).
        assert_eq!(db.values["rows"], json!(3));
    }
    assert_eq!(client.values["http.response.status_code"], json!(200));
    assert_eq!(downstream.values["http.route"], json!("/tree/downstream"));
    // Timestamps nest: each child within its parent, the db span at least its 20 ms.
    for (parent, child) in [
        (server, observed),
        (observed, db),
        (db, client),
        (client, downstream),
    ] {
        assert!(
            parent.start_unix_nanos <= child.start_unix_nanos
                && child.end_unix_nanos <= parent.end_unix_nanos,
            "{pipeline:?}: {} within {}",
            child.name,
            parent.name
        );
    }
    assert!(db.end_unix_nanos - db.start_unix_nanos >= 20_000_000);
}

#[test]
fn the_native_pipeline_exports_the_whole_tree() {
    tree(SpanPipeline::Native);
}

#[test]
fn the_sdk_pipeline_exports_the_same_tree() {
    tree(SpanPipeline::OpenTelemetrySdk);
}

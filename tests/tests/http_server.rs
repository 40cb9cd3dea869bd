//! The axum layer over real sockets: request ids, trace continuation, the server span and its
//! children as a collector receives them, the HTTP metric families, panics and failures.
#![allow(clippy::float_cmp)] // counters are small integers, exact in f64

use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::get;
use octo_instrument::http::{RequestId, ServerLayer};
use octo_instrument::observed;
use octo_instrument_tests::metric;
use octo_instrument_tests::otlp::ReceivedSpan;
use octo_instrument_tests::traced::{serve, traced};
use serde_json::Value;

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_ID: &str = "00f067aa0ba902b7";

#[observed(event = "test.http.lookup", fields(task_id = %id))]
async fn lookup(id: &str) -> Result<String, std::io::Error> {
    if id == "missing" {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no such task",
        ));
    }
    Ok(format!("task {id}"))
}

async fn get_task(Path(id): Path<String>, request_id: RequestId) -> (StatusCode, String) {
    tracing::info!(event = "test.http.handler", task_id = %id);
    match lookup(&id).await {
        Ok(task) => (StatusCode::OK, format!("{request_id} {task}")),
        Err(err) => (StatusCode::NOT_FOUND, err.to_string()),
    }
}

async fn boom() -> &'static str {
    panic!("handler exploded")
}

async fn unavailable() -> StatusCode {
    StatusCode::SERVICE_UNAVAILABLE
}

fn app(prefix: &str) -> Router {
    Router::new()
        .route(&format!("/{prefix}/tasks/{{id}}"), get(get_task))
        .route(&format!("/{prefix}/boom"), get(boom))
        .route(&format!("/{prefix}/unavailable"), get(unavailable))
        .layer(ServerLayer::new())
}

fn span<'a>(spans: &'a [ReceivedSpan], name: &str) -> &'a ReceivedSpan {
    let found: Vec<_> = spans.iter().filter(|s| s.name == name).collect();
    assert_eq!(found.len(), 1, "one span {name:?} in {spans:#?}");
    found[0]
}

fn lines_of<'a>(logs: &'a [Value], request_id: &str) -> Vec<&'a Value> {
    logs.iter()
        .filter(|line| line["request_id"] == request_id)
        .collect()
}

#[test]
fn a_request_continues_the_callers_trace_and_every_line_carries_its_ids() {
    let run = traced(2, async {
        let base = serve(app("t1")).await;
        let response = reqwest::Client::new()
            .get(format!("{base}/t1/tasks/42"))
            .header("x-request-id", "req_given.1")
            .header("traceparent", format!("00-{TRACE_ID}-{PARENT_ID}-01"))
            .header("user-agent", "octo-test/1")
            .send()
            .await
            .unwrap();
        let id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        (response.status(), id, response.text().await.unwrap())
    });
    let (status, returned_id, body) = run.output;
    assert_eq!(status, 200);
    assert_eq!(
        returned_id, "req_given.1",
        "a well-formed id is kept and returned"
    );
    assert_eq!(
        body, "req_given.1 task 42",
        "handlers read it with the extractor"
    );

    let logs = run.logs.lines();
    let lines = lines_of(&logs, "req_given.1");
    let names: Vec<&str> = lines.iter().map(|l| l["event"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "request.started",
            "test.http.handler",
            "test.http.lookup.started",
            "test.http.lookup.completed",
            "request.completed"
        ],
        "{logs:#?}"
    );
    for line in &lines {
        assert_eq!(line["trace_id"], TRACE_ID, "{line}");
    }
    let started = lines[0];
    assert_eq!(started["method"], "GET");
    assert_eq!(started["path"], "/t1/tasks/42");
    assert!(
        started["client"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:")
    );
    let completed = lines[4];
    assert_eq!(completed["status_code"], 200);
    assert!(completed["duration_ms"].as_f64().unwrap() >= 0.0);
    assert!(
        logs.iter()
            .all(|l| l.get("otel.kind").is_none() && l.get("code.function").is_none()),
        "trace-only fields stay out of log lines"
    );

    assert_request_spans(&run.spans, &lines);
}

/// The server span continues the caller's trace with the HTTP attributes; the observed span
/// nests under it with its code location; the log lines carry their span ids.
fn assert_request_spans(spans: &[ReceivedSpan], lines: &[&Value]) {
    let server = span(spans, "GET /t1/tasks/{id}");
    assert_eq!(server.trace_id, TRACE_ID);
    assert_eq!(
        server.parent_span_id, PARENT_ID,
        "a child of the caller's span"
    );
    assert_eq!(server.kind, 2, "SPAN_KIND_SERVER");
    assert_eq!(server.service, "octo-test");
    for (key, value) in [
        ("http.request.method", "GET"),
        ("http.route", "/t1/tasks/{id}"),
        ("url.path", "/t1/tasks/42"),
        ("url.scheme", "http"),
        ("http.response.status_code", "200"),
        ("client.address", "127.0.0.1"),
        ("server.address", "127.0.0.1"),
        ("network.protocol.version", "1.1"),
        ("user_agent.original", "octo-test/1"),
    ] {
        assert_eq!(
            server.attributes.get(key).map(String::as_str),
            Some(value),
            "{key} on {server:#?}"
        );
    }
    assert_eq!(lines[0]["span_id"], server.span_id.as_str());
    // The request id is on the lines, not a span attribute (the conventions have none for it).
    assert!(!server.attributes.contains_key("request_id"), "{server:#?}");
    assert_eq!(lines[0]["request_id"], "req_given.1");

    let observed = span(spans, "test.http.lookup");
    assert_eq!(observed.trace_id, TRACE_ID);
    assert_eq!(
        observed.parent_span_id, server.span_id,
        "nested under the server span"
    );
    assert_eq!(observed.kind, 1, "SPAN_KIND_INTERNAL");
    assert_eq!(
        observed.attributes["code.function.name"],
        "http_server::lookup"
    );
    assert!(observed.attributes["code.file.path"].ends_with("http_server.rs"));
    assert_eq!(observed.values["code.line.number"], serde_json::json!(19));
    assert_eq!(observed.attributes["task_id"], "42");
    assert_eq!(observed.status_code, 0);
    assert_eq!(lines[2]["span_id"], observed.span_id.as_str());
}

#[test]
fn a_bad_request_id_is_replaced_and_a_malformed_traceparent_starts_a_new_trace() {
    let run = traced(2, async {
        let base = serve(app("t2")).await;
        let client = reqwest::Client::new();
        let mut ids = Vec::new();
        for (request_id, traceparent) in [
            (None, None),
            (
                Some("has space"),
                Some(format!("00-{TRACE_ID}-{PARENT_ID}-zz")),
            ),
        ] {
            let mut request = client.get(format!("{base}/t2/tasks/7"));
            if let Some(id) = request_id {
                request = request.header("x-request-id", id);
            }
            if let Some(tp) = traceparent {
                request = request.header("traceparent", tp);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200);
            let id = response.headers()["x-request-id"]
                .to_str()
                .unwrap()
                .to_owned();
            let body = response.text().await.unwrap();
            assert!(!body.contains("has space"));
            ids.push(id);
        }
        ids
    });
    let logs = run.logs.lines();
    for id in &run.output {
        assert!(id.starts_with("req_") && id.len() == 20, "{id}");
        assert!(
            id[4..]
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        assert_eq!(
            lines_of(&logs, id).len(),
            5,
            "the fresh id is on every line"
        );
    }
    assert_ne!(run.output[0], run.output[1]);
    assert!(
        !run.logs.text().contains("has space"),
        "never echoed, not even in logs"
    );
    let servers: Vec<_> = run.spans.iter().filter(|s| s.kind == 2).collect();
    assert_eq!(servers.len(), 2);
    for server in servers {
        assert_eq!(server.parent_span_id, "", "a root: new trace");
        assert_ne!(server.trace_id, TRACE_ID);
    }
}

fn http_errors(error_type: &str) -> f64 {
    metric(
        "errors_total",
        &[("component", "http"), ("error_type", error_type)],
    )
    .unwrap_or(0.0)
}

#[test]
fn failures_panics_and_5xx_are_counted_logged_and_marked_on_the_span() {
    let panics_before = http_errors("panic");
    let server_errors_before = http_errors("server_error");
    let run = traced(5, async {
        let base = serve(app("t3")).await;
        let client = reqwest::Client::new();
        let mut statuses = Vec::new();
        for path in ["tasks/missing", "boom", "unavailable", "tasks/1"] {
            let response = client
                .get(format!("{base}/t3/{path}"))
                .header("x-request-id", format!("req_t3_{}", path.replace('/', "_")))
                .send()
                .await
                .unwrap();
            statuses.push((
                response.status().as_u16(),
                response.headers()["x-request-id"]
                    .to_str()
                    .unwrap()
                    .to_owned(),
            ));
        }
        statuses
    });
    assert_eq!(
        run.output,
        [
            (404, "req_t3_tasks_missing".to_owned()),
            (500, "req_t3_boom".to_owned()),
            (503, "req_t3_unavailable".to_owned()),
            (200, "req_t3_tasks_1".to_owned()),
        ],
        "the panic became a 500 with the request id, and the server kept serving"
    );
    let logs = run.logs.lines();
    let boom = lines_of(&logs, "req_t3_boom");
    let panicked = boom
        .iter()
        .find(|l| l["event"] == "request.panicked")
        .unwrap();
    assert_eq!(panicked["level"], "error");
    assert_eq!(panicked["panic"], "handler exploded");
    let completed = boom
        .iter()
        .find(|l| l["event"] == "request.completed")
        .unwrap();
    assert_eq!(
        (
            completed["level"].as_str(),
            completed["status_code"].as_u64()
        ),
        (Some("error"), Some(500))
    );
    assert_eq!(http_errors("panic"), panics_before + 1.0);
    assert_eq!(
        http_errors("server_error"),
        server_errors_before + 1.0,
        "the 503 (the panic is counted once, as a panic)"
    );

    let lookups: Vec<_> = run
        .spans
        .iter()
        .filter(|s| s.name == "test.http.lookup")
        .collect();
    let missing = lookups
        .iter()
        .find(|s| s.attributes["task_id"] == "missing")
        .unwrap();
    assert_eq!(
        (missing.status_code, missing.status_message.as_str()),
        (2, "no such task")
    );
    let boom_span = span(&run.spans, "GET /t3/boom");
    assert_eq!(
        (boom_span.status_code, boom_span.status_message.as_str()),
        (2, "handler exploded")
    );
    let unavailable = span(&run.spans, "GET /t3/unavailable");
    assert_eq!(unavailable.status_code, 2);
    let not_found: Vec<_> = run
        .spans
        .iter()
        .filter(|s| s.name == "GET /t3/tasks/{id}")
        .collect();
    assert!(
        not_found.iter().all(|s| s.status_code == 0),
        "a 4xx is the client's error, not the server's"
    );
}

#[test]
fn metrics_use_the_route_template_and_one_value_for_unmatched_paths() {
    let unmatched_before = metric(
        "http_requests_total",
        &[
            ("method", "GET"),
            ("endpoint", "unmatched"),
            ("status", "404"),
        ],
    )
    .unwrap_or(0.0);
    traced(0, async {
        let base = serve(app("t4")).await;
        let client = reqwest::Client::new();
        for id in ["1", "2", "3"] {
            client
                .get(format!("{base}/t4/tasks/{id}"))
                .send()
                .await
                .unwrap();
        }
        for path in ["/t4/nope", "/wp-admin/setup.php"] {
            let response = client.get(format!("{base}{path}")).send().await.unwrap();
            assert_eq!(response.status(), 404);
        }
        let response = client
            .request(
                reqwest::Method::from_bytes(b"BREW").unwrap(),
                format!("{base}/t4/tasks/9"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405);
    });
    let template = "/t4/tasks/{id}";
    assert_eq!(
        metric(
            "http_requests_total",
            &[("method", "GET"), ("endpoint", template), ("status", "200")]
        ),
        Some(3.0)
    );
    assert_eq!(
        metric(
            "http_request_duration_seconds_count",
            &[("method", "GET"), ("endpoint", template)]
        ),
        Some(3.0)
    );
    assert_eq!(
        metric(
            "http_request_duration_seconds_bucket",
            &[("method", "GET"), ("endpoint", template), ("le", "10")]
        ),
        Some(3.0)
    );
    assert_eq!(
        metric(
            "http_requests_in_flight",
            &[("method", "GET"), ("endpoint", template)]
        ),
        Some(0.0)
    );
    assert_eq!(
        metric(
            "http_requests_total",
            &[
                ("method", "_OTHER"),
                ("endpoint", template),
                ("status", "405")
            ]
        ),
        Some(1.0),
        "an invented method is one bounded label value"
    );
    assert!(
        metric(
            "http_requests_total",
            &[
                ("method", "GET"),
                ("endpoint", "unmatched"),
                ("status", "404")
            ]
        )
        .unwrap()
            >= unmatched_before + 2.0
    );
    let text = octo_instrument::metrics::render();
    assert!(
        !text.contains("wp-admin") && !text.contains("/t4/nope"),
        "raw paths never become labels"
    );
}

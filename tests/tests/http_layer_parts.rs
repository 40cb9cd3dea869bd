//! `ServerLayer` built from parts a service configures (issue 10): a hook that makes request ids,
//! paths left out of logs, traces and metrics, hooks for what is logged at the start and the end
//! of a request, and a request duration that ends with a streamed body.
#![allow(clippy::float_cmp)] // counters are small integers, exact in f64

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::routing::get;
use octo_instrument::http::{RequestEnd, RequestId, RequestStart, ServerLayer};
use octo_instrument_tests::metric;
use octo_instrument_tests::traced::{serve, traced};

async fn id(id: RequestId) -> String {
    id.to_string()
}

/// A body of three chunks, 300 ms apart.
async fn stream() -> Body {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::convert::Infallible>>(1);
    tokio::spawn(async move {
        for chunk in ["a", "b", "c"] {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let _ = tx.send(Ok(Bytes::from(chunk))).await;
        }
    });
    Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx))
}

#[test]
fn a_hook_makes_the_ids_of_requests_that_bring_none() {
    let run = traced(0, async {
        let counter = Arc::new(std::sync::atomic::AtomicU64::new(1));
        let app =
            Router::new()
                .route("/parts/id", get(id))
                .layer(ServerLayer::new().make_request_id(move || {
                    format!(
                        "orch-{}",
                        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                    )
                }));
        let bad = Router::new()
            .route("/parts/bad-id", get(id))
            .layer(ServerLayer::new().make_request_id(|| "not a valid id\r\n".to_owned()));
        let (base, bad_base) = (serve(app).await, serve(bad).await);
        let client = reqwest::Client::new();
        let mut answers = Vec::new();
        for url in [
            format!("{base}/parts/id"),
            format!("{base}/parts/id"),
            format!("{bad_base}/parts/bad-id"),
        ] {
            let response = client.get(url).send().await.unwrap();
            let header = response.headers()["x-request-id"]
                .to_str()
                .unwrap()
                .to_owned();
            answers.push((header, response.text().await.unwrap()));
        }
        let kept = client
            .get(format!("{base}/parts/id"))
            .header("x-request-id", "req_from_caller")
            .send()
            .await
            .unwrap();
        answers.push(("-".into(), kept.text().await.unwrap()));
        answers
    });
    let answers = run.output;
    assert_eq!(answers[0], ("orch-1".to_owned(), "orch-1".to_owned()));
    assert_eq!(answers[1].1, "orch-2");
    let replaced = &answers[2].1;
    assert!(
        replaced.starts_with("req_") && replaced.len() == 20,
        "a bad id from the hook is replaced by the standard one: {replaced}"
    );
    assert_eq!(answers[3].1, "req_from_caller", "a caller's id is kept");
}

#[test]
fn skipped_paths_are_left_out_of_logs_traces_and_metrics() {
    let run = traced(1, async {
        let app = Router::new()
            .route("/parts/health", get(|| async { "ok" }))
            .route("/parts/work", get(|| async { "done" }))
            .layer(ServerLayer::new().skip_paths(["/parts/health"]));
        let base = serve(app).await;
        let client = reqwest::Client::new();
        let health = client
            .get(format!("{base}/parts/health"))
            .send()
            .await
            .unwrap();
        assert!(health.headers().contains_key("x-request-id"));
        client
            .get(format!("{base}/parts/work"))
            .send()
            .await
            .unwrap();
    });
    let lines = run.logs.lines();
    let paths: Vec<&str> = lines
        .iter()
        .filter(|l| l["event"] == "request.started")
        .map(|l| l["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/parts/work"]);
    assert!(run.spans.iter().all(|s| !s.name.contains("/parts/health")));
    assert!(run.spans.iter().any(|s| s.name == "GET /parts/work"));
    let series = |endpoint| {
        metric(
            "http_requests_total",
            &[("endpoint", endpoint), ("status", "200")],
        )
    };
    assert_eq!(series("/parts/health"), None);
    assert_eq!(series("/parts/work"), Some(1.0));
}

#[test]
fn hooks_decide_what_is_logged_at_the_start_and_the_end() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let run = traced(0, {
        let seen = seen.clone();
        async move {
            let (on_start, on_end) = (seen.clone(), seen.clone());
            let app = Router::new()
                .route("/parts/hooked/{id}", get(|| async { "done" }))
                .layer(
                    ServerLayer::new()
                        .on_request(move |start: &RequestStart<'_>| {
                            let request = &start.request;
                            on_start.lock().unwrap().push(format!(
                                "start {} {} {:?}",
                                request.method, request.path, request.route
                            ));
                        })
                        .on_response(move |end: &RequestEnd<'_>| {
                            on_end.lock().unwrap().push(format!(
                                "end {} {}",
                                end.status.as_u16(),
                                end.request.request_id
                            ));
                            tracing::info!(
                                event = "custom.completed",
                                status = end.status.as_u16()
                            );
                        }),
                );
            let base = serve(app).await;
            reqwest::Client::new()
                .get(format!("{base}/parts/hooked/7"))
                .header("x-request-id", "req_hooked")
                .send()
                .await
                .unwrap();
        }
    });
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "start GET /parts/hooked/7 Some(\"/parts/hooked/{id}\")".to_owned(),
            "end 200 req_hooked".to_owned()
        ]
    );
    let lines = run.logs.lines();
    assert!(
        !lines
            .iter()
            .any(|l| l["event"] == "request.started" || l["event"] == "request.completed"),
        "the hooks replace the standard lines"
    );
    let custom = lines
        .iter()
        .find(|l| l["event"] == "custom.completed")
        .expect("the hook's own line");
    assert_eq!(
        custom["request_id"], "req_hooked",
        "the hook runs inside the request's span"
    );
}

#[test]
fn the_duration_can_end_with_a_streamed_body() {
    let run = traced(0, async {
        let head = Router::new()
            .route("/parts/stream-head", get(stream))
            .layer(ServerLayer::new());
        let body = Router::new()
            .route("/parts/stream-body", get(stream))
            .layer(ServerLayer::new().until_body_end(true));
        let (head, body) = (serve(head).await, serve(body).await);
        let client = reqwest::Client::new();
        for url in [
            format!("{head}/parts/stream-head"),
            format!("{body}/parts/stream-body"),
        ] {
            let text = client.get(url).send().await.unwrap().text().await.unwrap();
            assert_eq!(text, "abc");
        }
    });
    let lines = run.logs.lines();
    let duration = |path: &str| {
        lines
            .iter()
            .find(|l| l["event"] == "request.completed" && l["path"] == path)
            .unwrap_or_else(|| panic!("a completed line for {path}"))["duration_ms"]
            .as_f64()
            .unwrap()
    };
    assert!(
        duration("/parts/stream-body") >= 900.0,
        "three chunks 300 ms apart: {}",
        duration("/parts/stream-body")
    );
    assert!(
        duration("/parts/stream-head") < 900.0,
        "the head is ready before the body: {}",
        duration("/parts/stream-head")
    );
    assert_eq!(
        metric(
            "http_requests_in_flight",
            &[("endpoint", "/parts/stream-body")]
        ),
        Some(0.0)
    );
}

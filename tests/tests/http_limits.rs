//! What a client controls stays bounded on its way into logs and spans, and trace context goes
//! out as the specification writes it (issue 9):
//! - a 300 KB `User-Agent` and a 60 KB path are cut, with the marker, in the span and the lines;
//! - a request no route matched makes a span named after its method alone;
//! - a `tracestate` over the specification's limits is dropped, one over 512 characters is
//!   shortened, and an empty one is never sent.

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::get;
use octo_instrument::http::{SendTraced, ServerLayer};
use octo_instrument::limits::{DEFAULT_VALUE_LENGTH, TRUNCATED_MARKER};
use octo_instrument_tests::traced::{serve, traced};

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// Answers with the `tracestate` it received, or `<none>`.
async fn echo_tracestate(headers: HeaderMap) -> String {
    headers
        .get("tracestate")
        .map_or_else(|| "<none>".to_owned(), |v| v.to_str().unwrap().to_owned())
}

/// Calls the echo route with the reqwest hook and answers what it answered.
async fn forward(headers: HeaderMap) -> String {
    let host = headers["host"].to_str().unwrap().to_owned();
    reqwest::Client::new()
        .get(format!("http://{host}/echo"))
        .send_traced()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

fn app() -> Router {
    Router::new()
        .route("/echo", get(echo_tracestate))
        .route("/forward", get(forward))
        .route("/ok", get(|| async { "ok" }))
        .layer(ServerLayer::new())
}

#[test]
fn long_values_are_cut_with_the_marker_and_unmatched_spans_are_named_by_method() {
    let agent = "a".repeat(300 * 1024);
    let path = format!("/{}", "p".repeat(60 * 1024));
    let run = traced(2, {
        let (agent, path) = (agent.clone(), path.clone());
        async move {
            let base = serve(app()).await;
            let client = reqwest::Client::new();
            let ok = client
                .get(format!("{base}/ok"))
                .header("user-agent", agent)
                .send()
                .await
                .unwrap();
            assert_eq!(ok.status(), 200);
            let missing = client.get(format!("{base}{path}")).send().await.unwrap();
            assert_eq!(missing.status(), 404);
        }
    });
    let ok = run
        .spans
        .iter()
        .find(|s| s.name == "GET /ok")
        .expect("the matched request's span");
    // At most the limit in characters, the marker included, as OpenTelemetry requires.
    let keep = DEFAULT_VALUE_LENGTH - TRUNCATED_MARKER.chars().count();
    let kept = &ok.attributes["user_agent.original"];
    assert_eq!(kept, &format!("{}{TRUNCATED_MARKER}", &agent[..keep]));
    assert_eq!(kept.chars().count(), DEFAULT_VALUE_LENGTH);
    let unmatched: Vec<_> = run
        .spans
        .iter()
        .filter(|s| s.kind == 2 && s.name != "GET /ok")
        .collect();
    assert_eq!(unmatched.len(), 1, "{:#?}", run.spans);
    assert_eq!(
        unmatched[0].name, "GET",
        "the method alone, as the HTTP conventions name it"
    );
    assert!(unmatched[0].attributes["url.path"].ends_with(TRUNCATED_MARKER));
    assert_eq!(
        unmatched[0].attributes["url.path"].chars().count(),
        DEFAULT_VALUE_LENGTH
    );

    let lines = run.logs.lines();
    let started: Vec<_> = lines
        .iter()
        .filter(|l| l["event"] == "request.started" && l["path"] != "/ok")
        .collect();
    assert_eq!(started.len(), 1);
    let logged = started[0]["path"].as_str().unwrap();
    assert_eq!(logged, format!("{}{TRUNCATED_MARKER}", &path[..keep]));
    assert!(
        run.logs.text().len() < 8 * DEFAULT_VALUE_LENGTH,
        "no line holds the whole path"
    );
}

#[test]
fn tracestate_over_the_limits_is_dropped_and_an_empty_one_never_sent() {
    let within: Vec<String> = (0..32).map(|i| format!("k{i}=v{i}")).collect();
    let over: Vec<String> = (0..33).map(|i| format!("k{i}=v{i}")).collect();
    // Five members of 150 characters: 754 in all, over the 512 propagated.
    let long: Vec<String> = (0..5)
        .map(|i| format!("k{i}={}", "v".repeat(147)))
        .collect();
    let run = traced(0, {
        let (within, over, long) = (within.join(","), over.join(","), long.join(","));
        async move {
            let base = serve(app()).await;
            let client = reqwest::Client::new();
            let mut answers = Vec::new();
            for state in [
                None,
                Some(within),
                Some(over),
                Some("bad key=1".to_owned()),
                Some(long),
            ] {
                let mut request = client
                    .get(format!("{base}/forward"))
                    .header("traceparent", TRACEPARENT);
                if let Some(state) = state {
                    request = request.header("tracestate", state);
                }
                answers.push(request.send().await.unwrap().text().await.unwrap());
            }
            answers
        }
    });
    assert_eq!(
        run.output,
        [
            "<none>".to_owned(),
            within.join(","),
            "<none>".to_owned(),
            "<none>".to_owned(),
            long[..3].join(","),
        ],
        "continued within the limits; dropped over them; never a bare header; shortened to \
         512 characters from the end"
    );
}

//! Exemplars: a sampled call's trace and span id on its `event_duration_seconds` bucket, its
//! `errors_total` series and its request's `http_request_duration_seconds` bucket, served in the
//! OpenMetrics format when the scraper asks for it, and read back by a parser nobody here wrote
//! (Python `prometheus_client`'s strict OpenMetrics parser). The classic text stays without them.

use axum::Router;
use axum::routing::get;
use octo_instrument::http::{SendTraced, ServerLayer};
use octo_instrument::observed;
use octo_instrument_tests::otlp::ReceivedSpan;
use octo_instrument_tests::require_tool;
use octo_instrument_tests::traced::{serve, traced};
use serde_json::Value;

#[observed(event = "exemplar.plan")]
async fn plan(fail: bool) -> Result<u32, String> {
    if fail { Err("no plan".into()) } else { Ok(7) }
}

#[observed(event = "exemplar.route", histogram = "exemplar_route_seconds", labels(model = model))]
async fn route(model: &str) -> u32 {
    u32::try_from(model.len()).unwrap_or(0)
}

async fn handler() -> &'static str {
    let _ = route("m1").await;
    let _ = plan(false).await;
    let _ = plan(true).await;
    "ok"
}

/// Parses OpenMetrics text from stdin with `prometheus_client`'s OpenMetrics parser; prints every
/// sample that has an exemplar as JSON.
const PARSE: &str = r#"
import json, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
out = []
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        if s.exemplar is not None:
            out.append({"name": s.name, "labels": s.labels, "exemplar": s.exemplar.labels,
                        "value": s.exemplar.value})
print(json.dumps(out))
"#;

fn parse_openmetrics(text: &str) -> Vec<Value> {
    let output = octo_instrument_tests::run_with_input("python3", &["-c", PARSE], text);
    assert!(
        output.status.success(),
        "the OpenMetrics parser refused the exposition: {}\n{text}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn span<'a>(spans: &'a [ReceivedSpan], name: &str, failed: bool) -> &'a ReceivedSpan {
    spans
        .iter()
        .find(|s| s.name == name && (s.status_code == 2) == failed)
        .unwrap_or_else(|| panic!("{name} in {spans:#?}"))
}

#[test]
fn sampled_calls_leave_exemplars_in_the_openmetrics_exposition() {
    let run = traced(5, async {
        let app = Router::new()
            .route("/exemplar", get(handler))
            .layer(ServerLayer::new());
        let base = serve(app).await;
        reqwest::Client::new()
            .get(format!("{base}/exemplar"))
            .send_traced()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(run.output, 200);
    let (content_type, text) = octo_instrument::metrics::negotiate(Some(
        "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
    ));
    assert!(content_type.starts_with("application/openmetrics-text"));
    assert!(text.ends_with("# EOF\n"));

    // Only on `_bucket` and `_total` samples.
    for line in text.lines().filter(|l| l.contains(" # {")) {
        let name = line.split(['{', ' ']).next().unwrap();
        assert!(
            name.ends_with("_bucket") || name.ends_with("_total"),
            "an exemplar on {line}"
        );
    }
    let ok = span(&run.spans, "exemplar.plan", false);
    let failed = span(&run.spans, "exemplar.plan", true);
    let server = run
        .spans
        .iter()
        .find(|s| s.kind == 2)
        .expect("the server span");
    let exemplar_of = |needle: &str| {
        text.lines()
            .find(|l| l.contains(needle) && l.contains(" # {"))
            .unwrap_or_else(|| panic!("an exemplar on {needle} in\n{text}"))
            .to_owned()
    };
    let ok_line = exemplar_of(r#"event="exemplar.plan",outcome="ok""#);
    assert!(
        ok_line.contains(&format!(
            r#"# {{trace_id="{}",span_id="{}"}}"#,
            ok.trace_id, ok.span_id
        )),
        "{ok_line}"
    );
    let error_line = exemplar_of("errors_total{service=");
    assert!(error_line.contains(&failed.span_id), "{error_line}");
    let routed = span(&run.spans, "exemplar.route", false);
    let extra_line = exemplar_of("exemplar_route_seconds_bucket{service=");
    assert!(extra_line.contains(r#"model="m1""#), "{extra_line}");
    assert!(extra_line.contains(&routed.span_id), "{extra_line}");
    let http_line = exemplar_of("http_request_duration_seconds_bucket{");
    assert!(
        http_line.contains(&format!(r#"span_id="{}""#, server.span_id)),
        "{http_line}"
    );

    // The classic text has none, and stays as it was.
    let (content_type, classic) = octo_instrument::metrics::negotiate(Some("text/plain"));
    assert!(content_type.starts_with("text/plain; version=0.0.4"));
    assert!(!classic.contains(" # {") && !classic.contains("# EOF"));

    if !require_tool(
        octo_instrument_tests::python_has("prometheus_client.openmetrics.parser"),
        "python3 with prometheus_client",
    ) {
        return;
    }
    let parsed = parse_openmetrics(&text);
    let traces: Vec<&str> = parsed
        .iter()
        .map(|s| s["exemplar"]["trace_id"].as_str().unwrap())
        .collect();
    for trace_id in [&ok.trace_id, &failed.trace_id, &server.trace_id] {
        assert!(
            traces.contains(&trace_id.as_str()),
            "{trace_id} in {parsed:#?}"
        );
    }
    let errors = parsed
        .iter()
        .find(|s| s["name"] == "errors_total" && s["labels"]["component"] == "exemplar.plan")
        .expect("the errors_total exemplar");
    assert_eq!(errors["exemplar"]["span_id"], failed.span_id.as_str());
    assert_eq!(errors["value"], 1.0);
}

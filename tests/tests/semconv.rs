//! The attribute names the library puts on spans and span events are those of the stable
//! OpenTelemetry semantic conventions, as Python's `opentelemetry-semantic-conventions` package
//! lists them: no removed name (`code.function`, `code.namespace`), no name of our own. Checked
//! on what a collector receives from a server span, a client span, observed calls that succeed,
//! fail with a cause and panic, on both span pipelines.

use axum::Router;
use axum::routing::get;
use octo_instrument::http::{SendTraced, ServerLayer};
use octo_instrument::observed;
use octo_instrument::trace::SpanPipeline;
use octo_instrument_tests::otlp::ReceivedSpan;
use octo_instrument_tests::traced::{serve, traced_with};

/// Field names this test gives its own spans: the user's, not the library's.
const USER_FIELDS: &[&str] = &["task.id"];

#[derive(Debug)]
struct Unavailable(std::io::Error);

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the model is unavailable")
    }
}

impl std::error::Error for Unavailable {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[observed(event = "semconv.plan", fields(task.id = "t-1"))]
async fn plan() -> Result<(), Unavailable> {
    Err(Unavailable(std::io::Error::other("upstream timed out")))
}

#[observed(event = "semconv.explode")]
fn explode() {
    panic!("exploded");
}

async fn handler() -> &'static str {
    let _ = plan().await;
    let _ = std::panic::catch_unwind(explode);
    "ok"
}

async fn boom() -> &'static str {
    panic!("handler exploded")
}

fn stable_names() -> Option<Vec<String>> {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("python/stable_attributes.py");
    let output = std::process::Command::new("python3")
        .arg(script)
        .output()
        .ok()?;
    output.status.success().then(|| {
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    })
}

fn spans_of(pipeline: SpanPipeline) -> Vec<ReceivedSpan> {
    traced_with(pipeline, 6, async {
        let app = Router::new()
            .route("/plan", get(handler))
            .route("/boom", get(boom))
            .route(
                "/missing",
                get(|| async { (axum::http::StatusCode::BAD_GATEWAY, "") }),
            )
            .layer(ServerLayer::new());
        let base = serve(app).await;
        let client = reqwest::Client::new();
        for path in ["/plan", "/boom", "/missing"] {
            let _ = client
                .get(format!("{base}{path}"))
                .send_traced()
                .await
                .unwrap();
        }
    })
    .spans
}

#[test]
fn every_attribute_the_library_adds_is_a_stable_convention() {
    if !octo_instrument_tests::require_tool(
        octo_instrument_tests::python_has("opentelemetry.semconv.attributes"),
        "python3 with opentelemetry-semantic-conventions",
    ) {
        return;
    }
    let stable = stable_names().expect("the stable names");
    assert!(
        stable.iter().any(|n| n == "http.request.method"),
        "{stable:?}"
    );
    let is_stable = |name: &str| {
        stable.iter().any(|s| s == name)
            // Templates: `http.request.header.<key>`.
            || stable
                .iter()
                .any(|s| s.ends_with(".header") && name.starts_with(&format!("{s}.")))
    };
    for pipeline in [SpanPipeline::Native, SpanPipeline::OpenTelemetrySdk] {
        let spans = spans_of(pipeline);
        let mut names: Vec<String> = spans
            .iter()
            .flat_map(|span| {
                span.attributes.keys().cloned().chain(
                    span.events
                        .iter()
                        .flat_map(|(_, attributes)| attributes.keys().cloned()),
                )
            })
            .filter(|name| !USER_FIELDS.contains(&name.as_str()))
            .collect();
        names.sort();
        names.dedup();
        let unknown: Vec<&String> = names.iter().filter(|n| !is_stable(n)).collect();
        assert!(
            unknown.is_empty(),
            "{pipeline:?}: not stable conventions: {unknown:?} (of {names:?})"
        );
        // And what the conventions ask for is there.
        for expected in [
            "code.function.name",
            "code.file.path",
            "code.line.number",
            "error.type",
            "exception.type",
            "exception.message",
            "exception.stacktrace",
            "http.request.method",
            "http.response.status_code",
            "http.route",
            "url.full",
        ] {
            assert!(
                names.iter().any(|n| n == expected),
                "{pipeline:?}: {expected} missing from {names:?}"
            );
        }
        let plan = spans.iter().find(|s| s.name == "semconv.plan").unwrap();
        assert!(
            plan.attributes["code.function.name"].ends_with("semconv::plan"),
            "fully qualified: {plan:#?}"
        );
        assert_eq!(plan.attributes["error.type"], "Unavailable");
        let (event, attributes) = &plan.events[0];
        assert_eq!(event, "exception");
        assert_eq!(
            attributes["exception.stacktrace"],
            "Caused by:\n    0: upstream timed out"
        );
        let server_errors: Vec<&ReceivedSpan> = spans
            .iter()
            .filter(|s| s.kind == 2 && s.attributes["http.response.status_code"].as_str() >= "500")
            .collect();
        assert_eq!(server_errors.len(), 2, "{spans:#?}");
        for span in server_errors {
            assert_eq!(
                span.attributes["error.type"], span.attributes["http.response.status_code"],
                "the status code is the error type: {span:#?}"
            );
            assert_eq!(span.status_code, 2);
        }
    }
}

//! The span of an observed call: named after the event, carrying the `fields(...)` (`%` and `?`
//! as in tracing), parented to the caller's span, entered while the body runs and closed exactly
//! once whatever the outcome.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use octo_instrument::observed;
use tracing::span;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// One thing that happened to a span: `new` or `close`, its name, its parent's name.
type Record = (String, String, Option<String>);

/// Records what happens to spans.
#[derive(Clone, Default)]
struct Spans(Arc<Mutex<Vec<Record>>>);

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> tracing_subscriber::Layer<S> for Spans {
    fn on_new_span(&self, _: &span::Attributes<'_>, id: &span::Id, ctx: Context<'_, S>) {
        let span = ctx.span(id).unwrap();
        let parent = span.parent().map(|p| p.name().to_owned());
        self.0
            .lock()
            .unwrap()
            .push(("new".into(), span.name().into(), parent));
    }

    fn on_close(&self, id: span::Id, ctx: Context<'_, S>) {
        let name = ctx.span(&id).unwrap().name().to_owned();
        self.0.lock().unwrap().push(("close".into(), name, None));
    }
}

impl Spans {
    fn of(&self, name: &str) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, n, _)| n == name)
            .map(|(what, ..)| what.clone())
            .collect()
    }

    fn parent(&self, name: &str) -> Option<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .find(|(what, n, _)| what == "new" && n == name)
            .and_then(|(.., p)| p.clone())
    }
}

fn with_spans<R>(body: impl FnOnce() -> R) -> (Spans, Vec<serde_json::Value>, R) {
    let spans = Spans::default();
    let buffer = octo_instrument_tests::Buffer::default();
    let subscriber = tracing_subscriber::registry()
        .with(spans.clone())
        .with(octo_instrument::logging::LogLayer::json(buffer.clone()));
    let result = tracing::subscriber::with_default(subscriber, body);
    (spans, buffer.lines(), result)
}

#[derive(Debug)]
// Read only through `Debug`, which is what `?priority` records.
struct Priority(#[allow(dead_code)] u8);

#[observed(event = "span.ok", fields(task = %task, priority = ?priority))]
fn ok(task: &str, priority: &Priority) -> Result<(), String> {
    tracing::info!(event = "span.inside");
    Ok(())
}

#[observed(event = "span.err")]
fn err() -> Result<(), String> {
    Err("no".into())
}

#[observed(event = "span.panic")]
fn boom() {
    panic!("boom");
}

#[observed(event = "span.dropped")]
async fn forever() {
    tokio::time::sleep(Duration::from_hours(1)).await;
}

#[test]
fn named_after_the_event_with_fields_and_the_callers_parent() {
    let (spans, lines, _) = with_spans(|| {
        let request = tracing::info_span!("request", request_id = "req_1");
        let _entered = request.enter();
        ok("t-1", &Priority(5))
    });
    assert_eq!(spans.of("span.ok"), ["new", "close"]);
    assert_eq!(spans.parent("span.ok").as_deref(), Some("request"));
    let inside = lines.iter().find(|l| l["event"] == "span.inside").unwrap();
    assert_eq!(inside["task"], "t-1");
    assert_eq!(inside["priority"], "Priority(5)");
    assert_eq!(
        inside["request_id"], "req_1",
        "the caller's span fields too"
    );
}

#[test]
fn closed_exactly_once_for_every_outcome() {
    let (spans, ..) = with_spans(|| {
        let _ = err();
        let _ = std::panic::catch_unwind(boom);
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                let _ = tokio::time::timeout(Duration::from_millis(1), forever()).await;
            });
    });
    for event in ["span.err", "span.panic", "span.dropped"] {
        assert_eq!(spans.of(event), ["new", "close"], "{event}");
    }
}

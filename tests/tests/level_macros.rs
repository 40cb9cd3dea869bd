//! `octo_instrument::{debug, info, warn, error, critical}!`: the event name first, `tracing`
//! fields after, DESIGN.md's JSON out; `critical` is an error-level event written as "critical".

use octo_instrument_tests::{capture, one};
use serde_json::json;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;

#[test]
fn each_level_writes_the_schema() {
    let (lines, ()) = capture(|| {
        let id = "task-123";
        octo_instrument::debug!("test.level.debug", hit = true);
        octo_instrument::info!("test.level.info", task_id = %id, priority = 5);
        octo_instrument::warn!("test.level.warn", attempt = 2_u8, "retrying");
        octo_instrument::error!("test.level.error", error_code = "LLM_API_ERROR");
        octo_instrument::critical!("test.level.critical", shard = 3);
    });
    let level = |name: &str| one(&lines, name)["level"].clone();
    assert_eq!(level("test.level.debug"), "debug");
    assert_eq!(level("test.level.info"), "info");
    assert_eq!(level("test.level.warn"), "warning");
    assert_eq!(level("test.level.error"), "error");
    assert_eq!(level("test.level.critical"), "critical");
    let info = one(&lines, "test.level.info");
    assert_eq!(
        (&info["task_id"], &info["priority"]),
        (&json!("task-123"), &json!(5))
    );
    assert_eq!(one(&lines, "test.level.warn")["message"], "retrying");
    assert_eq!(
        one(&lines, "test.level.error")["error_code"],
        "LLM_API_ERROR"
    );
    let critical = one(&lines, "test.level.critical");
    assert_eq!(critical["shard"], 3);
    assert!(
        critical.get("octo.level").is_none(),
        "the marker is not a field"
    );
    assert_eq!(critical["logger"], "level_macros");
}

#[test]
fn critical_is_an_error_to_ordinary_filters() {
    let buffer = octo_instrument_tests::Buffer::default();
    let subscriber = tracing_subscriber::registry().with(
        octo_instrument::logging::LogLayer::json(buffer.clone())
            .with_filter(tracing_subscriber::filter::LevelFilter::ERROR),
    );
    tracing::subscriber::with_default(subscriber, || {
        octo_instrument::warn!("test.filter.warn");
        octo_instrument::critical!("test.filter.critical");
    });
    let lines = buffer.lines();
    assert_eq!(lines.len(), 1);
    assert_eq!(
        (&lines[0]["event"], &lines[0]["level"]),
        (&json!("test.filter.critical"), &json!("critical"))
    );
}

#[test]
fn critical_reads_as_critical_on_the_console_too() {
    let buffer = octo_instrument_tests::Buffer::default();
    let subscriber = tracing_subscriber::registry().with(
        octo_instrument::logging::LogLayer::console(buffer.clone(), false),
    );
    tracing::subscriber::with_default(subscriber, || {
        octo_instrument::critical!("test.console.critical", shard = 1);
    });
    let text = buffer.text();
    assert!(
        text.contains(" CRIT  test.console.critical shard=1 "),
        "{text}"
    );
}

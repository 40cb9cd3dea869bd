//! `#[derive(Observable)]`, `record(...)` and `octo_instrument::record`: contract fields on every
//! line inside the span, typed as JSON, renamed, skipped, flattened and redacted, and on the span
//! as attributes.
#![allow(clippy::float_cmp)] // exact values written by the test

use octo_instrument::contract::fields_of;
use octo_instrument::{Observable, Redacted, observed};
use octo_instrument_tests::traced::traced;
use octo_instrument_tests::{capture, events, one};
use serde_json::json;

#[derive(Observable)]
struct Owner {
    user_id: String,
    #[observe(redact)]
    #[allow(dead_code)] // a secret: written nowhere, read by the code that uses it
    email: String,
}

#[derive(Debug)]
enum Tier {
    Free,
}

#[derive(Observable)]
struct TaskContract {
    #[observe(name = "task.id")]
    task_id: String,
    #[observe(name = "task.priority")]
    priority: u8,
    #[observe(redact)]
    #[allow(dead_code)]
    api_key: String,
    #[observe(skip)]
    #[allow(dead_code)]
    payload: Vec<u8>,
    deadline_ms: Option<u64>,
    retry_after_ms: Option<u64>,
    urgent: bool,
    budget: f64,
    offset: i32,
    #[observe(display)]
    endpoint: std::net::SocketAddr,
    #[observe(debug)]
    tier: Tier,
    #[observe(flatten)]
    owner: Owner,
    token: Redacted<String>,
}

fn task() -> TaskContract {
    TaskContract {
        task_id: "task-123".into(),
        priority: 5,
        api_key: "sk-contract-secret".into(),
        payload: vec![1, 2, 3],
        deadline_ms: Some(30_000),
        retry_after_ms: None,
        urgent: true,
        budget: 1.5,
        offset: -3,
        endpoint: "127.0.0.1:8080".parse().unwrap(),
        tier: Tier::Free,
        owner: Owner {
            user_id: "user-456".into(),
            email: "someone@example.com".into(),
        },
        token: Redacted::new("tok-secret".into()),
    }
}

#[test]
fn fields_are_typed_renamed_skipped_flattened_and_redacted() {
    let fields: Vec<(&str, String)> = fields_of(&task());
    let names: Vec<&str> = fields.iter().map(|(name, _)| *name).collect();
    assert_eq!(
        names,
        [
            "task.id",
            "task.priority",
            "api_key",
            "deadline_ms",
            "urgent",
            "budget",
            "offset",
            "endpoint",
            "tier",
            "owner.user_id",
            "owner.email",
            "token"
        ],
        "skip leaves payload out; a None leaves retry_after_ms out"
    );
    let value = |name: &str| -> serde_json::Value {
        let (_, v) = fields.iter().find(|(n, _)| *n == name).unwrap();
        serde_json::from_str(v).unwrap()
    };
    assert_eq!(value("task.priority"), json!(5));
    assert_eq!(value("deadline_ms"), json!(30_000));
    assert_eq!(value("urgent"), json!(true));
    assert_eq!(value("budget"), json!(1.5));
    assert_eq!(value("offset"), json!(-3));
    assert_eq!(value("endpoint"), json!("127.0.0.1:8080"));
    assert_eq!(value("tier"), json!("Free"));
    for redacted in ["api_key", "owner.email", "token"] {
        assert_eq!(value(redacted), json!("[REDACTED]"), "{redacted}");
    }
}

#[derive(Observable)]
struct Pair(#[observe(name = "left")] u32, u32);

#[derive(Observable)]
enum Outcome {
    Done {
        lines: usize,
    },
    Failed(
        #[observe(name = "reason")] String,
        #[observe(redact)]
        #[allow(dead_code)]
        String,
    ),
    Skipped,
}

#[test]
fn tuple_structs_and_enums() {
    assert_eq!(
        fields_of(&Pair(1, 2)),
        [("left", "1".to_owned()), ("1", "2".to_owned())]
    );
    assert_eq!(
        fields_of(&Outcome::Done { lines: 3 }),
        [
            ("variant", "\"Done\"".to_owned()),
            ("lines", "3".to_owned())
        ]
    );
    assert_eq!(
        fields_of(&Outcome::Failed("quota".into(), "sk-x".into())),
        [
            ("variant", "\"Failed\"".to_owned()),
            ("reason", "\"quota\"".to_owned()),
            ("1", "\"[REDACTED]\"".to_owned())
        ]
    );
    assert_eq!(
        fields_of(&Outcome::Skipped),
        [("variant", "\"Skipped\"".to_owned())]
    );
}

/// `T` is recorded and gets a bound; `U` is only skipped and needs none.
#[derive(Observable)]
struct Envelope<T, U> {
    value: T,
    #[observe(skip)]
    #[allow(dead_code)]
    raw: U,
}

struct NotRecordable;

#[test]
fn generic_types_get_bounds_only_for_what_they_record() {
    let envelope = Envelope {
        value: 7_u16,
        raw: NotRecordable,
    };
    assert_eq!(fields_of(&envelope), [("value", "7".to_owned())]);
}

#[observed(event = "test.contract.process", record(task), fields(step = 1))]
fn process(task: &TaskContract, fail: bool) -> Result<u32, String> {
    tracing::info!(event = "test.contract.inner");
    if fail {
        return Err("quota exceeded".into());
    }
    Ok(u32::from(task.priority))
}

#[test]
fn recorded_fields_are_on_every_line_of_the_call() {
    let (lines, ()) = capture(|| {
        process(&task(), false).unwrap();
        process(&task(), true).unwrap_err();
    });
    assert_eq!(lines.len(), 6, "{lines:#?}");
    for line in &lines {
        assert_eq!(line["task.id"], "task-123", "{line}");
        assert_eq!(line["task.priority"], 5);
        assert_eq!(line["owner.user_id"], "user-456");
        assert_eq!(line["api_key"], "[REDACTED]");
        assert_eq!(line["step"], 1);
        assert!(line.get("payload").is_none());
    }
    assert_eq!(events(&lines, "test.contract.inner").len(), 2);
    assert_eq!(
        one(&lines, "test.contract.process.failed")["error"],
        "quota exceeded"
    );
}

#[test]
fn record_adds_to_the_current_span_anywhere() {
    let (lines, ()) = capture(|| {
        let span = tracing::info_span!("request", request_id = "req_1");
        let _entered = span.enter();
        tracing::info!(event = "test.contract.before");
        octo_instrument::record(&Pair(9, 10));
        tracing::info!(event = "test.contract.after");
    });
    assert!(lines[0].get("left").is_none());
    assert_eq!(
        (&lines[1]["left"], &lines[1]["request_id"]),
        (&json!(9), &json!("req_1"))
    );
}

#[test]
fn recorded_fields_are_span_attributes() {
    let run = traced(1, async {
        process(&task(), false).unwrap();
    });
    let span = run
        .spans
        .iter()
        .find(|s| s.name == "test.contract.process")
        .unwrap();
    for (key, value) in [
        ("task.id", "task-123"),
        ("task.priority", "5"),
        ("urgent", "true"),
        ("api_key", "[REDACTED]"),
        ("owner.email", "[REDACTED]"),
        ("token", "[REDACTED]"),
        ("owner.user_id", "user-456"),
    ] {
        assert_eq!(
            span.attributes.get(key).map(String::as_str),
            Some(value),
            "{key}"
        );
    }
}

#[derive(Observable)]
struct Quality {
    availability: f64,
    error_budget: f32,
}

/// Regression test for issue 10: the duration writer's three decimals were used for every
/// float, so `0.9995` was logged as `1` and `0.0015` as `0.002`.
#[test]
fn float_fields_keep_their_precision() {
    let quality = Quality {
        availability: 0.9995,
        error_budget: 0.0015,
    };
    let fields = fields_of(&quality);
    assert_eq!(
        fields,
        [
            ("availability", "0.9995".to_owned()),
            // As written, not the widened `0.001500000013038516`.
            ("error_budget", "0.0015".to_owned())
        ]
    );
    let (lines, ()) = capture(|| {
        let span = tracing::info_span!("request");
        let _entered = span.enter();
        octo_instrument::record(&quality);
        tracing::info!(event = "test.quality", ratio = 0.0015, "ok");
    });
    let line = one(&lines, "test.quality");
    assert_eq!(line["availability"], json!(0.9995));
    assert_eq!(line["error_budget"], json!(0.0015));
    assert_eq!(line["ratio"], json!(0.0015));
}

//! `#[observed]` on synchronous functions: each outcome once, with its log lines and series.

// Counters are whole numbers read back from the exposition: exact comparison is intended.
#![allow(clippy::float_cmp)]

use octo_instrument::observed;
use octo_instrument_tests::{capture, count, errors, in_progress, one};

#[derive(Debug)]
struct ArmError(&'static str);

impl std::fmt::Display for ArmError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "arm failed: {}", self.0)
    }
}

#[observed(event = "sync.ok", fields(task_id = %task_id, priority = priority))]
fn process(task_id: &str, priority: u8, secret: &str) -> Result<usize, ArmError> {
    tracing::info!(event = "sync.inner", step = 1);
    Ok(task_id.len() + usize::from(priority) + secret.len())
}

#[test]
fn ok_call_logs_started_and_completed_inside_its_span_and_counts_once() {
    let (lines, result) = capture(|| process("task-123", 5, "hunter2"));
    assert_eq!(result.unwrap(), 20);

    let names: Vec<&str> = lines.iter().map(|l| l["event"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["sync.ok.started", "sync.inner", "sync.ok.completed"]
    );
    for line in &lines {
        assert_eq!(
            line["task_id"], "task-123",
            "span field flattened into {line}"
        );
        assert_eq!(line["priority"], 5, "numbers stay numbers: {line}");
        assert_eq!(line["logger"], "observed_sync");
        assert!(line["timestamp"].as_str().unwrap().ends_with('Z'));
        for key in ["service", "environment", "version"] {
            assert!(line[key].is_string(), "{key} missing in {line}");
        }
    }
    assert_eq!(lines[0]["level"], "info");
    assert!(lines[2]["duration_ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(lines[1]["step"], 1);
    // Arguments are not recorded unless named.
    assert!(!lines.iter().any(|l| l.to_string().contains("hunter2")));

    assert_eq!(count("sync.ok", "ok"), 1.0);
    assert_eq!(count("sync.ok", "error"), 0.0);
    assert_eq!(in_progress("sync.ok"), 0.0);
}

#[observed(event = "sync.fail", level = "debug")]
fn fail(early: bool) -> Result<(), ArmError> {
    if early {
        return Err(ArmError("early"));
    }
    let parsed: Result<u8, ArmError> = Err(ArmError("late"));
    parsed?;
    Ok(())
}

#[test]
fn error_outcome_through_return_and_question_mark() {
    let (lines, ()) = capture(|| {
        assert!(fail(true).is_err());
        assert!(fail(false).is_err());
    });
    let failed: Vec<_> = lines
        .iter()
        .filter(|l| l["event"] == "sync.fail.failed")
        .collect();
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[0]["level"], "error");
    assert_eq!(failed[0]["error"], "arm failed: early");
    assert_eq!(failed[1]["error"], "arm failed: late");
    assert_eq!(failed[0]["error_type"], "ArmError");
    assert!(failed[0]["duration_ms"].is_number());
    assert_eq!(
        lines
            .iter()
            .filter(|l| l["event"] == "sync.fail.started")
            .count(),
        2
    );
    assert_eq!(
        lines[0]["level"], "debug",
        "started at the attribute's level"
    );
    assert!(!lines.iter().any(|l| l["event"] == "sync.fail.completed"));

    assert_eq!(count("sync.fail", "error"), 2.0);
    assert_eq!(count("sync.fail", "ok"), 0.0);
    assert_eq!(errors("sync.fail", "ArmError"), 2.0);
    assert_eq!(in_progress("sync.fail"), 0.0);
}

#[observed(event = "sync.boom")]
fn boom(n: u32) -> u32 {
    assert!(n == 0, "boom at {n}");
    n
}

#[test]
fn panic_is_recorded_once_and_propagates_unchanged() {
    let (lines, caught) = capture(|| std::panic::catch_unwind(|| boom(3)));
    let payload = caught.unwrap_err();
    assert_eq!(payload.downcast_ref::<String>().unwrap(), "boom at 3");
    let panicked = one(&lines, "sync.boom.panicked");
    assert_eq!(panicked["level"], "error");
    assert_eq!(panicked["panic"], "boom at 3");
    assert!(panicked["duration_ms"].is_number());
    assert_eq!(count("sync.boom", "panic"), 1.0);
    assert_eq!(
        count("sync.boom", "ok") + count("sync.boom", "cancelled"),
        0.0
    );
    assert_eq!(errors("sync.boom", "panic"), 1.0);
    assert_eq!(in_progress("sync.boom"), 0.0);
}

#[observed(event = "sync.ret", ret, slow_ms = 1)]
fn with_ret() -> Vec<u8> {
    std::thread::sleep(std::time::Duration::from_millis(3));
    vec![1, 2]
}

#[test]
fn ret_logs_the_return_value_and_slow_warns_past_the_threshold() {
    let (lines, _) = capture(with_ret);
    let completed = one(&lines, "sync.ret.completed");
    assert_eq!(completed["return"], "[1, 2]");
    let slow = one(&lines, "sync.ret.slow");
    assert_eq!(slow["level"], "warning");
    assert_eq!(slow["threshold_ms"], 1);
    assert!(slow["duration_ms"].as_f64().unwrap() >= 1.0);
}

#[observed(event = "sync.unit")]
fn unit() {}

#[test]
fn functions_returning_unit_are_ok() {
    let (lines, ()) = capture(unit);
    one(&lines, "sync.unit.completed");
    assert_eq!(count("sync.unit", "ok"), 1.0);
}

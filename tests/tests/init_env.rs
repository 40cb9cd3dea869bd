//! `init()` as a deployment sees it: a real process, its environment, its stdout and exit code.

// Counters are whole numbers read back from the exposition: exact comparison is intended.
#![allow(clippy::float_cmp)]

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use octo_instrument_tests::parse_samples;
use serde_json::Value;

fn probe(args: &[&str], env: &[(&str, &str)]) -> Output {
    octo_instrument_tests::probe(env!("CARGO_BIN_EXE_octo-probe"), args, env)
}

fn json_lines(text: &[u8]) -> Vec<Value> {
    octo_instrument_tests::json_lines(text)
}

#[test]
fn defaults_are_json_lines_with_the_identity_from_the_environment() {
    let output = probe(
        &["lines", "2"],
        &[
            ("SERVICE_NAME", "octollm-orchestrator"),
            ("ENVIRONMENT", "production"),
            ("APP_VERSION", "1.4.0"),
        ],
    );
    assert!(output.status.success(), "{output:?}");
    let lines = json_lines(&output.stdout);
    let events: Vec<&str> = lines.iter().map(|l| l["event"].as_str().unwrap()).collect();
    assert_eq!(
        events,
        [
            "plain tracing event",
            "probe.work.started",
            "probe.work.completed",
            "probe.work.started",
            "probe.work.failed"
        ]
    );
    for line in &lines {
        assert_eq!(line["service"], "octollm-orchestrator");
        assert_eq!(line["environment"], "production");
        assert_eq!(
            line["version"], "1.4.0",
            "the variable wins over the builder's 9.9.9"
        );
    }
    // Other crates' plain tracing events come out in the same shape.
    assert_eq!(lines[0]["logger"], "some_other_crate");
    assert_eq!(lines[0]["level"], "info");
    assert_eq!(lines[0]["answer"], 42);
    assert_eq!(lines[4]["error"], "odd 1");
    assert_eq!(lines[4]["n"], 1);
}

#[test]
fn builder_values_and_binary_name_are_the_fallbacks() {
    let output = probe(&["lines", "1"], &[]);
    let lines = json_lines(&output.stdout);
    assert_eq!(lines[0]["service"], "octo-probe");
    assert_eq!(lines[0]["environment"], "development");
    assert_eq!(lines[0]["version"], "9.9.9");
}

#[test]
fn bad_values_are_errors_naming_the_variable() {
    for (var, value, expected) in [
        (
            "JSON_LOGS",
            "maybe",
            r#"invalid JSON_LOGS="maybe": expected one of true, false"#,
        ),
        (
            "LOG_LEVEL",
            "loud",
            r#"invalid LOG_LEVEL="loud": expected a level (trace, debug, info"#,
        ),
        (
            "LOG_LEVEL",
            "my_crate=loud",
            r#"invalid LOG_LEVEL="my_crate=loud""#,
        ),
        (
            "SERVICE_NAME",
            "two words",
            r#"invalid SERVICE_NAME="two words""#,
        ),
        (
            "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT",
            "4k",
            r#"invalid OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT="4k": expected a whole number above 0"#,
        ),
        (
            "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT",
            "-1",
            r#"invalid OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT="-1""#,
        ),
        (
            "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT",
            "-1",
            r#"invalid OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT="-1": expected a whole number"#,
        ),
        (
            "OTEL_ATTRIBUTE_COUNT_LIMIT",
            "lots",
            r#"invalid OTEL_ATTRIBUTE_COUNT_LIMIT="lots""#,
        ),
        (
            "OCTO_LOG_QUEUE_BYTES",
            "lots",
            r#"invalid OCTO_LOG_QUEUE_BYTES="lots""#,
        ),
        (
            "OCTO_SPAN_QUEUE_BYTES",
            "1.5",
            r#"invalid OCTO_SPAN_QUEUE_BYTES="1.5""#,
        ),
        (
            "OTEL_BSP_MAX_QUEUE_SIZE",
            "many",
            r#"invalid OTEL_BSP_MAX_QUEUE_SIZE="many""#,
        ),
    ] {
        // A valid value of the other variable of a pair does not hide a bad one.
        let output = probe(
            &["lines"],
            &[("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "64"), (var, value)],
        );
        assert_eq!(output.status.code(), Some(2), "{var}={value}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{var}={value}: {stderr}");
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn log_level_filters_and_accepts_directives() {
    let output = probe(&["lines", "2"], &[("LOG_LEVEL", "warning")]);
    let events: Vec<Value> = json_lines(&output.stdout);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["event"], "probe.work.failed");

    let output = probe(&["lines", "2"], &[("LOG_LEVEL", "error,octo_probe=debug")]);
    let events = json_lines(&output.stdout);
    assert_eq!(
        events.len(),
        4,
        "the module directive lets probe.work through, not the other crate"
    );
}

#[test]
fn json_logs_false_is_a_readable_console_format() {
    let output = probe(&["lines", "2"], &[("JSON_LOGS", "false")]);
    let text = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(
        lines[1].contains(" INFO probe.work.started n=0 trace_id=")
            && lines[1].ends_with(" octo_probe"),
        "{text}"
    );
    assert!(
        lines[4].contains("ERROR probe.work.failed duration_ms="),
        "{text}"
    );
    assert!(lines[4].contains(r#"error="odd 1""#), "{text}");
    assert!(
        !text.contains('\x1b'),
        "no colour codes when stdout is not a terminal"
    );
    assert!(!text.starts_with('{'));
}

#[test]
fn log_dir_writes_daily_json_files() {
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("logs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let output = probe(
        &["lines", "2"],
        &[
            ("LOG_DIR", dir.to_str().unwrap()),
            ("SERVICE_NAME", "arm-coder"),
        ],
    );
    assert!(output.status.success());
    let files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().unwrap().to_str().unwrap().to_owned();
    assert!(
        name.starts_with("arm-coder.")
            && std::path::Path::new(&name)
                .extension()
                .is_some_and(|e| e == "log"),
        "{name}"
    );
    let lines = json_lines(&std::fs::read(&files[0]).unwrap());
    assert_eq!(lines.len(), 5);
    assert_eq!(
        lines,
        json_lines(&output.stdout),
        "the file holds the same lines as stdout"
    );
}

#[test]
fn a_second_init_is_an_error_not_a_panic() {
    let output = probe(&["double-init"], &[]);
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("init() was already called"));
}

#[test]
fn long_field_values_are_cut_at_the_limit_the_environment_sets() {
    for (env, limit) in [
        (vec![], octo_instrument::limits::DEFAULT_VALUE_LENGTH),
        (vec![("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "100")], 100),
    ] {
        let output = probe(&["long-field", "60000"], &env);
        assert!(output.status.success(), "{output:?}");
        let lines = json_lines(&output.stdout);
        let value = lines[0]["long"].as_str().unwrap();
        let marker = octo_instrument::limits::TRUNCATED_MARKER;
        // The limit counts characters, the marker's among them.
        assert_eq!(
            value,
            format!("{}{marker}", "x".repeat(limit - marker.chars().count())),
            "{env:?}"
        );
        assert_eq!(value.chars().count(), limit);
        let truncated = octo_instrument_tests::sample_value(
            &octo_instrument_tests::samples_among_lines(&output.stderr),
            "octo_telemetry_truncated_total",
            &[("signal", "logs")],
        );
        assert_eq!(truncated, Some(1.0));
    }
}

#[test]
fn a_stalled_log_sink_never_blocks_calls_and_drops_are_counted() {
    const CALLS: u64 = 60_000;
    // Nobody reads the probe's stdout: the pipe fills, the writer thread blocks on it.
    let child = Command::new(env!("CARGO_BIN_EXE_octo-probe"))
        .args(["stall", &CALLS.to_string()])
        .env_remove("LOG_LEVEL")
        .env("JSON_LOGS", "true")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = child;
    // Held open and unread until the probe has exited.
    let mut stdout = child.stdout.take().unwrap();
    let mut metrics = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut metrics).unwrap();
    assert!(child.wait().unwrap().success());
    let mut written = Vec::new();
    std::io::Read::read_to_end(&mut stdout, &mut written).unwrap();
    let samples = parse_samples(&metrics);
    let value = |name: &str, key: &str, want: &str| {
        samples
            .iter()
            .find(|s| {
                s.name == name
                    && s.labels.get(key).map(String::as_str) == Some(want)
                    && s.labels
                        .get("event")
                        .is_none_or(|event| event == "probe.work")
            })
            .map(|s| s.value)
    };
    assert_eq!(
        value("event_duration_seconds_count", "outcome", "ok"),
        Some(CALLS as f64),
        "every call counted"
    );
    let dropped = value("octo_telemetry_dropped_total", "signal", "logs").unwrap();
    assert!(dropped > 0.0, "lines were dropped and counted");
    let written = String::from_utf8_lossy(&written).lines().count() as f64;
    assert!(written + dropped <= 2.0 * CALLS as f64);
}

#[test]
fn log_lines_carry_trace_ids_unless_the_sdk_is_disabled() {
    let traced = json_lines(&probe(&["lines", "2"], &[]).stdout);
    let observed: Vec<_> = traced
        .iter()
        .filter(|l| l["event"].as_str().unwrap().starts_with("probe.work"))
        .collect();
    assert_eq!(observed.len(), 4);
    for line in &observed {
        let trace_id = line["trace_id"].as_str().expect("a trace id");
        assert_eq!(trace_id.len(), 32);
        assert_eq!(line["span_id"].as_str().expect("a span id").len(), 16);
    }
    assert_ne!(
        observed[0]["trace_id"], observed[2]["trace_id"],
        "each root call is its own trace"
    );
    assert_eq!(
        observed[0]["span_id"], observed[1]["span_id"],
        "started and completed: one span"
    );

    let untraced = json_lines(&probe(&["lines", "2"], &[("OTEL_SDK_DISABLED", "true")]).stdout);
    assert_eq!(untraced.len(), traced.len());
    assert!(untraced.iter().all(|l| l.get("trace_id").is_none()));

    let output = probe(&["lines", "2"], &[("OTEL_SDK_DISABLED", "maybe")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).starts_with("invalid OTEL_SDK_DISABLED=\"maybe\"")
    );
    let output = probe(
        &["lines", "2"],
        &[("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("OTEL_EXPORTER_OTLP_PROTOCOL"));
}

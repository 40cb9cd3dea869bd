//! A redacted value never leaves the process: a unique secret in every redacted position
//! (`#[observe(redact)]`, `Redacted<T>`, a flattened contract, an enum variant, the failed line's
//! error text) is searched for in every byte written: JSON lines, console lines, log files, and
//! the spans a collector receives.

use octo_instrument_tests::otlp::Receiver;
use octo_instrument_tests::{json_lines, probe};

const SECRET: &str = "sk-live-7f3a9c2e-unique-secret";

fn run(json: bool, dir: &std::path::Path, receiver: &Receiver) -> std::process::Output {
    let output = probe(
        env!("CARGO_BIN_EXE_octo-probe"),
        &["secrets"],
        &[
            ("PROBE_SECRET", SECRET),
            ("JSON_LOGS", if json { "true" } else { "false" }),
            ("LOG_DIR", dir.to_str().unwrap()),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.endpoint()),
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

#[test]
fn a_redacted_value_appears_in_no_output() {
    let dir = std::env::temp_dir().join(format!("octo-secrets-{}", std::process::id()));
    let receiver = Receiver::grpc();
    let json = run(true, &dir, &receiver);
    let console = run(false, &dir, &receiver);

    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        files.push(std::fs::read(entry.unwrap().path()).unwrap());
    }
    assert!(!files.is_empty(), "LOG_DIR got its files");
    let spans = receiver.spans.all();
    assert_eq!(spans.len(), 2, "one observed span per run: {spans:#?}");
    let spans_text = format!("{spans:?}");

    let outputs: Vec<(&str, &[u8])> = [
        ("JSON stdout", json.stdout.as_slice()),
        ("JSON stderr", json.stderr.as_slice()),
        ("console stdout", console.stdout.as_slice()),
        ("console stderr", console.stderr.as_slice()),
        ("span attributes", spans_text.as_bytes()),
    ]
    .into_iter()
    .chain(files.iter().map(|f| ("log file", f.as_slice())))
    .collect();
    for (what, bytes) in outputs {
        assert!(
            !bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
            "the secret leaked into the {what}"
        );
        // Not even a part of it.
        assert!(
            !String::from_utf8_lossy(bytes).contains("7f3a9c2e"),
            "{what}"
        );
    }

    // And the lines are really there, redacted rather than missing.
    let lines = json_lines(&json.stdout);
    let failed = lines
        .iter()
        .find(|l| l["event"] == "probe.secret_call.failed")
        .expect("the failed line");
    for key in ["api_key", "password", "session.session_token"] {
        assert_eq!(failed[key], "[REDACTED]", "{key}");
    }
    assert_eq!(failed["user"], "user-456");
    assert_eq!(failed["error"], "rejected [REDACTED] for user-456");
    let inner = lines
        .iter()
        .find(|l| l["event"] == "probe.secret_inner")
        .unwrap();
    assert_eq!(
        (&inner["variant"], &inner["key"]),
        (&"WithKey".into(), &"[REDACTED]".into())
    );
    let span = &spans[0];
    assert_eq!(span.attributes["api_key"], "[REDACTED]");
    assert_eq!(span.attributes["key"], "[REDACTED]");
    assert!(String::from_utf8_lossy(&console.stdout).contains("api_key=\"[REDACTED]\""));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_redacted_value_appears_in_no_otlp_log_record() {
    use octo_instrument_tests::python_receiver::{PythonReceiver, Security};
    if !octo_instrument_tests::require_tool(
        octo_instrument_tests::python_has("grpc, opentelemetry.proto"),
        "python3 with grpcio and opentelemetry-proto",
    ) {
        return;
    }
    let pki = octo_instrument_tests::tls::Pki::new("secrets");
    let receiver = PythonReceiver::start("grpc", Security::Plaintext, &pki);
    let endpoint = receiver.endpoint("http");
    let output = probe(
        env!("CARGO_BIN_EXE_octo-probe"),
        &["secrets"],
        &[
            ("PROBE_SECRET", SECRET),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_LOGS_EXPORTER", "otlp"),
        ],
    );
    assert!(output.status.success(), "{output:?}");
    let lines = json_lines(&output.stdout);
    let records = receiver.wait_for("logs", std::time::Duration::from_secs(10), |r| {
        r.len() >= lines.len()
    });
    assert_eq!(records.len(), lines.len(), "every line became a record");
    // Everything the collector was sent: the decoded requests, spans and records alike.
    let sent = serde_json::to_string(&receiver.requests()).unwrap();
    assert!(
        !sent.contains(SECRET),
        "the secret leaked into the OTLP export"
    );
    assert!(!sent.contains("7f3a9c2e"), "a part of it leaked");
    let failed = records
        .iter()
        .find(|r| r["event_name"] == "probe.secret_call.failed")
        .expect("the failed line's record");
    for key in ["api_key", "password", "session.session_token"] {
        assert_eq!(failed["attributes"][key], "[REDACTED]", "{key}");
    }
    assert_eq!(
        failed["attributes"]["error"],
        "rejected [REDACTED] for user-456"
    );
}

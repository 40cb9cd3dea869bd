//! Export to collectors as they are deployed, against a receiver nobody here wrote (Python's
//! `grpcio` and `ssl`, decoding with `opentelemetry-proto`): TLS and mutual TLS over gRPC and
//! HTTP with certificates made at test time, gzip, OTLP log records carrying what their lines
//! carry, and every failure (a wrong CA, a missing client certificate, a plaintext client)
//! counted, reported once, and never retried in plaintext. Each case is a real process
//! (`octo-probe export`) configured only by the specification's variables.

// Counters are whole numbers read back from the exposition: exact comparison is intended.
#![allow(clippy::float_cmp)]

use std::process::Output;
use std::time::Duration;

use octo_instrument_tests::python_receiver::{PythonReceiver, Security};
use octo_instrument_tests::tls::Pki;
use octo_instrument_tests::{json_lines, require_tool, sample_value, samples_among_lines};
use serde_json::Value;

/// Calls the probe makes: spans `probe.work` (odd ones fail), `probe.fetch`, `probe.explode`.
const CALLS: &str = "4";
const SPANS: usize = 6;

fn python_ready() -> bool {
    require_tool(
        octo_instrument_tests::python_has("grpc, opentelemetry.proto"),
        "python3 with grpcio and opentelemetry-proto",
    )
}

fn probe(env: &[(&str, &str)]) -> Output {
    octo_instrument_tests::probe(env!("CARGO_BIN_EXE_octo-probe"), &["export", CALLS], env)
}

fn path(path: &std::path::Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// The variables of mutual TLS with `pki`'s CA and client certificate.
fn mtls<'a>(pki: &'a Pki, endpoint: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
        ("OTEL_EXPORTER_OTLP_CERTIFICATE", path(&pki.ca)),
        (
            "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
            path(&pki.client_cert),
        ),
        ("OTEL_EXPORTER_OTLP_CLIENT_KEY", path(&pki.client_key)),
        ("OTEL_LOGS_EXPORTER", "otlp"),
        ("SERVICE_NAME", "octo-tls"),
    ]
}

fn dropped(output: &Output, signal: &str) -> f64 {
    sample_value(
        &samples_among_lines(&output.stderr),
        "octo_telemetry_dropped_total",
        &[("signal", signal)],
    )
    .unwrap_or(0.0)
}

fn attribute<'a>(item: &'a Value, key: &str) -> &'a Value {
    &item["attributes"][key]
}

/// What a collector must get from one probe run: every span with its conventions, and every line
/// as a log record with the same content.
fn assert_delivered(receiver: &PythonReceiver, output: &Output) {
    assert!(output.status.success(), "{output:?}");
    let lines = json_lines(&output.stdout);
    let spans = receiver.wait_for("traces", Duration::from_secs(10), |s| s.len() >= SPANS);
    let records = receiver.wait_for("logs", Duration::from_secs(10), |r| r.len() >= lines.len());
    assert_eq!(spans.len(), SPANS, "{spans:#?}");
    assert_eq!(
        records.len(),
        lines.len(),
        "one record per line: {records:#?}"
    );
    assert_eq!(dropped(output, "spans"), 0.0);
    assert_eq!(dropped(output, "logs_otlp"), 0.0);

    // A failed call: status, `error.type`, and an `exception` event.
    let failed = spans
        .iter()
        // An integer on the native pipeline, its text on the SDK's.
        .find(|s| {
            s["name"] == "probe.work" && attribute(s, "n").to_string().trim_matches('"') == "1"
        })
        .expect("the failed call's span");
    assert_eq!(failed["status_code"], 2, "{failed:#?}");
    assert_eq!(failed["status_message"], "odd 1");
    assert_eq!(attribute(failed, "error.type"), "String");
    assert_eq!(
        failed["events"].as_array().unwrap().len(),
        1,
        "lines are not span events"
    );
    let exception = &failed["events"][0];
    assert_eq!(exception["name"], "exception");
    assert_eq!(exception["attributes"]["exception.message"], "odd 1");
    assert_eq!(
        exception["attributes"]["exception.type"],
        "alloc::string::String"
    );
    // The cause chain of an error that has one.
    let fetch = spans.iter().find(|s| s["name"] == "probe.fetch").unwrap();
    let event = &fetch["events"][0]["attributes"];
    assert_eq!(event["exception.message"], "fetching the prompt failed");
    assert!(
        event["exception.type"]
            .as_str()
            .unwrap()
            .ends_with("FetchError"),
        "{event}"
    );
    assert_eq!(
        event["exception.stacktrace"],
        "Caused by:\n    0: connection reset by peer"
    );
    // A panic.
    let explode = spans.iter().find(|s| s["name"] == "probe.explode").unwrap();
    assert_eq!(attribute(explode, "error.type"), "panic");
    assert_eq!(
        explode["events"][0]["attributes"]["exception.message"],
        "the arm exploded"
    );

    // Each line, as a record: time, severity, event name, ids, fields as typed attributes.
    for line in &lines {
        let record = records
            .iter()
            .find(|r| {
                r["event_name"] == line["event"]
                    && r["attributes"]["n"] == line["n"]
                    && r["span_id"].as_str().unwrap_or("") == line["span_id"].as_str().unwrap_or("")
            })
            .unwrap_or_else(|| panic!("a record for {line} among {records:#?}"));
        assert_eq!(record["severity_text"], line["level"]);
        let number = match line["level"].as_str().unwrap() {
            "info" => 9,
            "warning" => 13,
            "error" => 17,
            other => panic!("level {other}"),
        };
        assert_eq!(record["severity_number"], number);
        assert_eq!(record["attributes"]["logger"], line["logger"]);
        assert_eq!(record["resource"]["service.name"], "octo-tls");
        if let Some(trace_id) = line["trace_id"].as_str() {
            assert_eq!(record["trace_id"], trace_id);
        }
        // The same instant as the line's timestamp, to its microsecond.
        let record_time = record["time_unix_nano"].as_u64().unwrap();
        assert_eq!(
            record_time / 1_000 % 86_400_000_000,
            micros_of_day(line["timestamp"].as_str().unwrap()),
            "{line}"
        );
    }
    let started = records
        .iter()
        .find(|r| r["event_name"] == "probe.export_started")
        .unwrap();
    assert_eq!(attribute(started, "calls"), 4, "integers stay integers");
    assert_eq!(
        attribute(started, "ratio"),
        0.0015,
        "doubles keep their digits"
    );
    assert_eq!(attribute(started, "urgent"), true);
    let failed_line = records
        .iter()
        .find(|r| r["event_name"] == "probe.work.failed")
        .unwrap();
    assert_eq!(attribute(failed_line, "error"), "odd 1");
    assert_eq!(failed_line["severity_text"], "error");
}

/// Microseconds into the day of an RFC 3339 UTC timestamp with microseconds, as lines have it.
fn micros_of_day(timestamp: &str) -> u64 {
    let time = timestamp.split_once('T').unwrap().1.trim_end_matches('Z');
    let (clock, fraction) = time.split_once('.').unwrap();
    let seconds = clock
        .split(':')
        .fold(0, |total, part| total * 60 + part.parse::<u64>().unwrap());
    seconds * 1_000_000 + format!("{fraction:0<6}")[..6].parse::<u64>().unwrap()
}

#[test]
fn grpc_with_mutual_tls_and_gzip_delivers_spans_and_log_records() {
    if !python_ready() {
        return;
    }
    let pki = Pki::new("grpc-mtls");
    let receiver = PythonReceiver::start("grpc", Security::MutualTls, &pki);
    let endpoint = receiver.endpoint("https");
    let mut env = mtls(&pki, &endpoint);
    env.push(("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"));
    let output = probe(&env);
    assert_delivered(&receiver, &output);
    let requests = receiver.requests();
    assert!(
        requests.iter().all(|r| r["compressed"] == true),
        "every request gzip-compressed: {requests:#?}"
    );
}

#[test]
fn http_with_mutual_tls_and_gzip_delivers_spans_and_log_records() {
    if !python_ready() {
        return;
    }
    let pki = Pki::new("http-mtls");
    let receiver = PythonReceiver::start("http", Security::MutualTls, &pki);
    let endpoint = receiver.endpoint("https");
    let mut env = mtls(&pki, &endpoint);
    env.push(("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"));
    env.push(("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"));
    let output = probe(&env);
    assert_delivered(&receiver, &output);
    for request in receiver.requests() {
        assert_eq!(request["headers"]["content-encoding"], "gzip", "{request}");
        assert_eq!(request["headers"]["content-type"], "application/x-protobuf");
    }
}

#[test]
fn signal_specific_variables_win_and_tls_without_client_certificates_works() {
    if !python_ready() {
        return;
    }
    let pki = Pki::new("signal-vars");
    let traces = PythonReceiver::start("grpc", Security::Tls, &pki);
    let logs = PythonReceiver::start("http", Security::Tls, &pki);
    let traces_endpoint = traces.endpoint("https");
    let logs_endpoint = format!("{}/v1/logs", logs.endpoint("https"));
    let output = probe(&[
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", &traces_endpoint),
        ("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", path(&pki.ca)),
        ("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", &logs_endpoint),
        ("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "http/protobuf"),
        ("OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE", path(&pki.ca)),
        ("OTEL_LOGS_EXPORTER", "otlp"),
    ]);
    assert!(output.status.success(), "{output:?}");
    let spans = traces.wait_for("traces", Duration::from_secs(10), |s| s.len() >= SPANS);
    let records = logs.wait_for("logs", Duration::from_secs(10), |r| !r.is_empty());
    assert_eq!(spans.len(), SPANS);
    assert_eq!(records.len(), json_lines(&output.stdout).len());
    assert!(traces.items("logs").is_empty() && logs.items("traces").is_empty());
    for request in logs.requests() {
        assert!(request["headers"].get("content-encoding").is_none());
    }
}

/// One failed-export warning per signal, and what was lost counted; the receiver got nothing.
fn assert_refused(receiver: &PythonReceiver, output: &Output) {
    assert!(output.status.success(), "{output:?}");
    let lines = json_lines(&output.stdout);
    let failures: Vec<&Value> = lines
        .iter()
        .filter(|l| l["event"] == "telemetry.export.failed")
        .collect();
    let signals: Vec<&str> = failures
        .iter()
        .map(|l| l["signal"].as_str().unwrap())
        .collect();
    assert!(
        signals.iter().filter(|s| **s == "spans").count() == 1
            && signals.iter().filter(|s| **s == "logs_otlp").count() <= 1,
        "one warning per signal: {failures:#?}"
    );
    assert_eq!(failures[0]["level"], "warning");
    assert!(dropped(output, "spans") >= SPANS as f64, "{output:?}");
    assert!(dropped(output, "logs_otlp") >= 1.0, "{output:?}");
    assert!(receiver.requests().is_empty(), "{:#?}", receiver.requests());
}

#[test]
fn a_server_certificate_from_another_ca_fails_is_counted_and_never_goes_plaintext() {
    if !python_ready() {
        return;
    }
    let pki = Pki::new("wrong-ca");
    for (receiver_protocol, protocol) in [("grpc", "grpc"), ("http", "http/protobuf")] {
        let receiver = PythonReceiver::start(receiver_protocol, Security::Tls, &pki);
        let endpoint = receiver.endpoint("https");
        let output = probe(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", path(&pki.other_ca)),
            ("OTEL_LOGS_EXPORTER", "otlp"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "3000"),
        ]);
        assert_refused(&receiver, &output);
        let warning = json_lines(&output.stdout)
            .into_iter()
            .find(|l| l["event"] == "telemetry.export.failed")
            .unwrap();
        let error = warning["error"].as_str().unwrap().to_lowercase();
        assert!(
            error.contains("certificate") || error.contains("issuer"),
            "the warning says why: {warning}"
        );
    }
}

#[test]
fn mutual_tls_refuses_a_client_without_its_certificate() {
    if !python_ready() {
        return;
    }
    let pki = Pki::new("no-client-cert");
    let receiver = PythonReceiver::start("grpc", Security::MutualTls, &pki);
    let endpoint = receiver.endpoint("https");
    let output = probe(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
        ("OTEL_EXPORTER_OTLP_CERTIFICATE", path(&pki.ca)),
        ("OTEL_LOGS_EXPORTER", "otlp"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "3000"),
    ]);
    assert_refused(&receiver, &output);
}

#[test]
fn a_tls_receiver_refuses_a_plaintext_client() {
    if !python_ready() {
        return;
    }
    let pki = Pki::new("plaintext-client");
    for (protocol, flag) in [("grpc", "grpc"), ("http", "http/protobuf")] {
        let receiver = PythonReceiver::start(protocol, Security::Tls, &pki);
        let endpoint = receiver.endpoint("http");
        let output = probe(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", flag),
            ("OTEL_LOGS_EXPORTER", "otlp"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "3000"),
        ]);
        assert_refused(&receiver, &output);
    }
}

#[test]
fn the_exporters_own_clients_never_log_into_the_service_lines_or_the_export() {
    if !python_ready() {
        return;
    }
    let pki = Pki::new("quiet-clients");
    for pipeline in ["native", "opentelemetry-sdk"] {
        for (protocol, flag) in [("http", "http/protobuf"), ("grpc", "grpc")] {
            let receiver = PythonReceiver::start(protocol, Security::Tls, &pki);
            let endpoint = receiver.endpoint("https");
            let output = probe(&[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", flag),
                ("OTEL_EXPORTER_OTLP_CERTIFICATE", path(&pki.ca)),
                ("OTEL_LOGS_EXPORTER", "otlp"),
                ("OCTO_SPAN_PIPELINE", pipeline),
                ("LOG_LEVEL", "debug"),
            ]);
            assert!(output.status.success(), "{output:?}");
            let lines = json_lines(&output.stdout);
            assert!(
                lines.iter().any(|l| l["event"] == "a debug line"),
                "debug lines are on"
            );
            let ours = |logger: &str| logger == "probe" || logger.starts_with("octo_");
            let foreign: Vec<&Value> = lines
                .iter()
                .filter(|l| !ours(l["logger"].as_str().unwrap_or("")))
                .collect();
            assert!(foreign.is_empty(), "{pipeline} {protocol}: {foreign:#?}");
            let records =
                receiver.wait_for("logs", Duration::from_secs(10), |r| r.len() >= lines.len());
            assert_eq!(records.len(), lines.len(), "{pipeline} {protocol}");
            let foreign: Vec<&Value> = records
                .iter()
                .filter(|r| !ours(r["attributes"]["logger"].as_str().unwrap_or("")))
                .collect();
            assert!(foreign.is_empty(), "{pipeline} {protocol}: {foreign:#?}");
            assert!(
                receiver.items("traces").len() >= SPANS,
                "{pipeline} {protocol}"
            );
        }
    }
}

/// `init()`'s answer to a configuration that cannot work: an error naming the variable.
fn init_error(env: &[(&str, &str)]) -> String {
    let output = probe(env);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn unusable_tls_and_export_settings_are_init_errors_naming_the_variable() {
    let pki = Pki::new("init-errors");
    let missing = pki.path("missing.pem");
    let not_pem = pki.path("not.pem");
    std::fs::write(&not_pem, "this is not a certificate\n").unwrap();
    let https = ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4317");
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![https, ("OTEL_EXPORTER_OTLP_CERTIFICATE", path(&missing))],
            "OTEL_EXPORTER_OTLP_CERTIFICATE",
        ),
        (
            vec![
                https,
                ("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", path(&not_pem)),
            ],
            "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
        ),
        (
            vec![
                https,
                (
                    "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
                    path(&pki.client_cert),
                ),
            ],
            "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
        ),
        (
            vec![
                https,
                (
                    "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
                    path(&pki.client_cert),
                ),
                ("OTEL_EXPORTER_OTLP_CLIENT_KEY", path(&pki.server_key)),
            ],
            "OTEL_EXPORTER_OTLP_CLIENT_KEY",
        ),
        (
            vec![https, ("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd")],
            "OTEL_EXPORTER_OTLP_COMPRESSION",
        ),
        (
            vec![https, ("OTEL_EXPORTER_OTLP_TRACES_INSECURE", "maybe")],
            "OTEL_EXPORTER_OTLP_TRACES_INSECURE",
        ),
        (
            vec![
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"),
                ("OTEL_EXPORTER_OTLP_CERTIFICATE", path(&pki.ca)),
            ],
            "OTEL_EXPORTER_OTLP_CERTIFICATE",
        ),
        (
            vec![("OTEL_LOGS_EXPORTER", "console")],
            "OTEL_LOGS_EXPORTER",
        ),
        (
            vec![
                ("OTEL_LOGS_EXPORTER", "otlp"),
                ("OTEL_EXPORTER_OTLP_LOGS_COMPRESSION", "brotli"),
            ],
            "OTEL_EXPORTER_OTLP_LOGS_COMPRESSION",
        ),
        (
            vec![
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ],
            "OTEL_EXPORTER_OTLP_ENDPOINT",
        ),
    ];
    for (env, variable) in cases {
        let error = init_error(&env);
        assert!(
            error.starts_with(&format!("invalid {variable}=")),
            "{env:?}: {error}"
        );
    }
}

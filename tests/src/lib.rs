//! Test support: capture the JSON lines of a thread-local subscriber, and read Prometheus samples
//! out of `octo_instrument::metrics::render()`.

pub mod otlp;
pub mod python_receiver;
pub mod tls;
pub mod traced;

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use octo_instrument::logging::LogLayer;
use serde_json::Value;
use tracing_subscriber::layer::SubscriberExt;

/// A writer that keeps what is written.
#[derive(Clone, Default)]
pub struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).expect("log output is UTF-8")
    }

    /// Every line parsed as JSON; panics on a line that is not one JSON object.
    pub fn lines(&self) -> Vec<Value> {
        self.text()
            .lines()
            .map(|line| {
                let value: Value = serde_json::from_str(line)
                    .unwrap_or_else(|err| panic!("not a JSON line ({err}): {line}"));
                assert!(value.is_object(), "not an object: {line}");
                value
            })
            .collect()
    }
}

/// Runs `body` with a thread-local subscriber writing JSON lines at `debug` and up, and returns
/// the lines with the body's result.
pub fn capture<R>(body: impl FnOnce() -> R) -> (Vec<Value>, R) {
    let buffer = Buffer::default();
    let subscriber = tracing_subscriber::registry().with(LogLayer::json(buffer.clone()));
    let result = tracing::subscriber::with_default(subscriber, body);
    (buffer.lines(), result)
}

/// As [`capture`], driving a future on a current-thread runtime inside the subscriber.
pub fn capture_async<F: std::future::Future>(future: F) -> (Vec<Value>, F::Output) {
    capture(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(future)
    })
}

/// The lines whose `event` is `name`.
pub fn events<'a>(lines: &'a [Value], name: &str) -> Vec<&'a Value> {
    lines.iter().filter(|line| line["event"] == name).collect()
}

/// The one line whose `event` is `name`; panics if there is not exactly one.
pub fn one<'a>(lines: &'a [Value], name: &str) -> &'a Value {
    let found = events(lines, name);
    assert_eq!(found.len(), 1, "expected one {name:?} line in {lines:#?}");
    found[0]
}

/// One sample of the exposition text: its name, labels and value.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// Parses the sample lines of the Prometheus text format.
pub fn parse_samples(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("sample has a value");
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, parse_labels(rest.trim_end_matches('}'))),
                None => (series, BTreeMap::new()),
            };
            let value = match value {
                "+Inf" => f64::INFINITY,
                "-Inf" => f64::NEG_INFINITY,
                other => other
                    .parse()
                    .unwrap_or_else(|_| panic!("bad value in {line}")),
            };
            Sample {
                name: name.to_owned(),
                labels,
                value,
            }
        })
        .collect()
}

fn parse_labels(text: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let mut rest = text;
    while let Some((name, after)) = rest.split_once("=\"") {
        let mut value = String::new();
        let mut chars = after.char_indices();
        let mut end = after.len();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, other)) => value.push(other),
                    None => {}
                },
                '"' => {
                    end = i + 1;
                    break;
                }
                other => value.push(other),
            }
        }
        labels.insert(name.trim_start_matches(',').to_owned(), value);
        rest = &after[end..];
    }
    labels
}

/// The value of the series `name{labels...}` in the current exposition, if it exists.
pub fn metric(name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    sample_value(
        &parse_samples(&octo_instrument::metrics::render()),
        name,
        labels,
    )
}

/// `event_duration_seconds_count{event, outcome}`, 0 when absent.
pub fn count(event: &str, outcome: &str) -> f64 {
    metric(
        "event_duration_seconds_count",
        &[("event", event), ("outcome", outcome)],
    )
    .unwrap_or(0.0)
}

/// `events_in_progress{event}`.
pub fn in_progress(event: &str) -> f64 {
    metric("events_in_progress", &[("event", event)]).expect("the event has a gauge")
}

/// `errors_total{component=event, error_type}`, 0 when absent.
pub fn errors(event: &str, error_type: &str) -> f64 {
    metric(
        "errors_total",
        &[("component", event), ("error_type", error_type)],
    )
    .unwrap_or(0.0)
}

/// Whether an outside tool may be missing: outside CI a test that needs one skips with a loud
/// message; under CI (`CI=true`) a missing tool is a failure.
pub fn require_tool(available: bool, what: &str) -> bool {
    if available {
        return true;
    }
    assert!(
        std::env::var("CI").map_or(true, |ci| ci != "true"),
        "{what} is required under CI; .ci/run installs it"
    );
    eprintln!("\n!!! SKIPPED: {what} is not installed; run scripts/test.sh to install it !!!\n");
    false
}

/// Whether `python3` can import every module of `modules` (comma-separated).
pub fn python_has(modules: &str) -> bool {
    std::process::Command::new("python3")
        .args(["-c", &format!("import {modules}")])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Runs `program` with `input` on its stdin and collects what it prints.
pub fn run_with_input(program: &str, args: &[&str], input: &str) -> std::process::Output {
    use std::io::Write as _;
    let mut child = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("{program} runs: {err}"));
    child
        .stdin
        .take()
        .expect("a piped stdin")
        .write_all(input.as_bytes())
        .expect("the input is written");
    child.wait_with_output().expect("the output is read")
}

/// Runs `python3 -c script args...`; its standard output (it must succeed).
pub fn python(script: &str, args: &[&str]) -> String {
    let output = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// Runs the `octo-probe` process (`binary` is `env!("CARGO_BIN_EXE_octo-probe")`) with only the
/// given configuration variables set, and returns what it wrote and how it exited.
pub fn probe(binary: &str, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    probe_command(binary, args, env)
        .output()
        .expect("probe runs")
}

/// The command [`probe`] runs, for a test that sets up the process's output itself.
pub fn probe_command(binary: &str, args: &[&str], env: &[(&str, &str)]) -> std::process::Command {
    let mut command = std::process::Command::new(binary);
    command.args(args);
    for (var, _) in std::env::vars() {
        if var.starts_with("OTEL_") {
            command.env_remove(var);
        }
    }
    for var in [
        "LOG_LEVEL",
        "JSON_LOGS",
        "SERVICE_NAME",
        "ENVIRONMENT",
        "APP_VERSION",
        "LOG_DIR",
        "NO_COLOR",
    ] {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    command
}

/// The Prometheus samples in a process's output that also holds JSON lines (the probe writes its
/// exposition to stderr, beside any report of its own).
pub fn samples_among_lines(text: &[u8]) -> Vec<Sample> {
    let text = String::from_utf8_lossy(text);
    let exposition: Vec<&str> = text.lines().filter(|line| !line.starts_with('{')).collect();
    parse_samples(&exposition.join("\n"))
}

/// The value of `name{labels}` among `samples`, if present.
pub fn sample_value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|sample| {
            sample.name == name
                && labels
                    .iter()
                    .all(|(k, v)| sample.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|sample| sample.value)
}

/// Every line of a process's output parsed as JSON.
pub fn json_lines(text: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(text)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

/// As [`capture`], with the trace layer (no export) so that spans have trace ids, as under
/// `init()`.
pub fn capture_traced<R>(body: impl FnOnce() -> R) -> (Vec<Value>, R) {
    let tracing = octo_instrument::Config::new()
        .tracing()
        .expect("a trace pipeline without export");
    let buffer = Buffer::default();
    let subscriber = tracing_subscriber::registry()
        .with(LogLayer::json(buffer.clone()))
        .with(tracing.layer());
    let result = tracing::subscriber::with_default(subscriber, body);
    (buffer.lines(), result)
}

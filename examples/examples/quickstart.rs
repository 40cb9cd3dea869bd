//! The demo: calls instrumented functions with every outcome (ok, error, panic, cancelled, slow)
//! and prints the JSON log lines they write, then the `/metrics` text, fetched over HTTP from the
//! standalone metrics listener.
//!
//! `cargo run -p octo-instrument-examples --example quickstart`

use std::io::{Read, Write};
use std::time::Duration;

use octo_instrument::{ObservedError, observed};

#[derive(Debug)]
enum ArmError {
    LlmApi(&'static str),
}

impl std::fmt::Display for ArmError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::LlmApi(message) => write!(f, "LLM API error: {message}"),
        }
    }
}

impl ObservedError for ArmError {
    fn error_code(&self) -> Option<&str> {
        match self {
            Self::LlmApi(_) => Some("LLM_API_ERROR"),
        }
    }
}

impl std::error::Error for ArmError {}

struct Task {
    id: String,
    priority: u8,
}

#[observed(
    event = "task.processing",
    fields(task_id = %task.id, priority = task.priority),
    buckets = task,
    histogram = "task_duration_seconds",
    labels(arm = "coder", priority = task.priority),
    slow_ms = 40
)]
async fn process_task(task: &Task, work_ms: u64) -> Result<String, ArmError> {
    tokio::time::sleep(Duration::from_millis(work_ms)).await;
    if task.id.ends_with("-bad") {
        return Err(ArmError::LlmApi("rate limited"));
    }
    octo_instrument::info!("task.step", step = "generate");
    Ok(format!("done {}", task.id))
}

#[observed(event = "task.validation")]
fn validate(task: &Task) -> u8 {
    assert!(
        task.priority <= 10,
        "priority {} out of range",
        task.priority
    );
    task.priority
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let guard = octo_instrument::Config::new()
        .service_name("octollm-demo")
        .version(env!("CARGO_PKG_VERSION"))
        .init()?;
    let metrics = octo_instrument::metrics::serve("127.0.0.1:0")?;

    let task = |id: &str, priority| Task {
        id: id.to_owned(),
        priority,
    };
    // ok, slow, error
    process_task(&task("task-1", 5), 1).await?;
    process_task(&task("task-2", 3), 50).await?;
    let _ = process_task(&task("task-3-bad", 5), 1).await;
    // cancelled: the timeout drops the future
    let _ = tokio::time::timeout(
        Duration::from_millis(5),
        process_task(&task("task-4", 1), 1_000),
    )
    .await;
    // ok, then a panic that is caught here and still observed
    validate(&task("task-5", 7));
    std::panic::set_hook(Box::new(|_| {}));
    let _ = std::panic::catch_unwind(|| validate(&task("task-6", 99)));
    let _ = std::panic::take_hook();

    // Let the JSON lines reach stdout before the metrics text.
    guard.flush(Duration::from_secs(5));
    println!(
        "\n---- GET /metrics (served on {}) ----",
        metrics.local_addr()
    );
    let mut stream = std::net::TcpStream::connect(metrics.local_addr())?;
    stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: demo\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let body = response.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    for line in body.lines().filter(|line| {
        !line.contains("_bucket{")
            && (line.contains("task")
                || line.starts_with("errors_total")
                || line.starts_with("octo_"))
    }) {
        println!("{line}");
    }
    Ok(())
}

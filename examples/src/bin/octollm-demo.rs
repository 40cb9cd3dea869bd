//! The demo: starts the coder arm and the orchestrator as two processes (this binary again, with
//! `--role`), sends them a few tasks (one fails at the simulated LLM), and prints both services'
//! JSON log lines as they come, then the request ids to follow and the standard's metrics.
//!
//! `cargo run -p octo-instrument-examples` (add `OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317`
//! to send the traces to Jaeger or any OTLP collector).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use octo_instrument_examples::contract::NewTask;
use octo_instrument_examples::service::{self, Role};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1..3) {
        Some([flag, role]) if flag == "--role" => {
            return service::main(match role.as_str() {
                "orchestrator" => Role::Orchestrator,
                "arm-coder" => Role::ArmCoder,
                other => return Err(format!("unknown role {other:?}").into()),
            });
        }
        _ => {}
    }

    let (arm, arm_addr) = start(Role::ArmCoder, "arm-coder", &[])?;
    let arm_url = format!("http://{arm_addr}");
    let (orchestrator, addr) = start(
        Role::Orchestrator,
        "orchestrator",
        &[("ARM_CODER_URL", arm_url.as_str())],
    )?;
    let base = format!("http://{addr}");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(async {
        let client = reqwest::Client::new();
        let tasks = [
            ("Write a function that reverses a string", 5, "api"),
            ("Refactor the retry loop", 3, "cli"),
            ("Please fail: the provider is overloaded", 8, "api"),
            ("Add a unit test for the parser", 5, "scheduler"),
        ];
        let mut report = Vec::new();
        for (i, (prompt, priority, source)) in tasks.into_iter().enumerate() {
            let request_id = format!("req_demo{:012x}", i + 1);
            let body = serde_json::to_vec(&NewTask {
                prompt: prompt.into(),
                priority,
                source: source.into(),
            })?;
            let response = client
                .post(format!("{base}/api/v1/tasks"))
                .header("content-type", "application/json")
                .header("x-request-id", &request_id)
                .body(body)
                .send()
                .await?;
            report.push(format!(
                "{request_id}  {}  {}",
                response.status(),
                response.text().await?
            ));
        }
        let metrics = client
            .get(format!("{base}/metrics"))
            .send()
            .await?
            .text()
            .await?;
        let arm_metrics = client
            .get(format!("{arm_url}/metrics"))
            .send()
            .await?
            .text()
            .await?;
        Ok::<_, Box<dyn std::error::Error>>((report, metrics, arm_metrics))
    });
    // Let the last lines through before the summary.
    std::thread::sleep(Duration::from_millis(300));
    stop(orchestrator);
    stop(arm);
    let (report, metrics, arm_metrics) = report?;

    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "\n== requests (follow one in Loki with {{service=~\"octollm-.*\"}} |= \"<request id>\")"
    )?;
    for line in report {
        writeln!(out, "{line}")?;
    }
    writeln!(
        out,
        "\n== the standard's families, from both services' /metrics"
    )?;
    for line in metrics.lines().chain(arm_metrics.lines()) {
        let wanted = [
            "tasks_created_total{",
            "tasks_in_progress{",
            "task_duration_seconds_count{",
            "llm_api_latency_seconds_count{",
            "http_requests_total{",
            "errors_total{",
        ];
        if wanted.iter().any(|w| line.starts_with(w)) {
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}

/// Starts this binary as `role`, passes its log lines through to stdout, and returns it with the
/// address it listens on (read from its `service.listening` line).
fn start(
    role: Role,
    flag: &str,
    env: &[(&str, &str)],
) -> Result<(Child, String), Box<dyn std::error::Error>> {
    let mut child = Command::new(std::env::current_exe()?)
        .args(["--role", flag])
        .env("PORT", "0")
        .env("SERVICE_NAME", role.service_name())
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .spawn()?;
    let stdout = child.stdout.take().expect("piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            println!("{line}");
            if let Some(addr) = listening_addr(&line)
                && let Some(tx) = tx.take()
            {
                let _ = tx.send(addr);
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(30))
        .map_err(|_| format!("{} did not start listening", role.service_name()))?;
    Ok((child, addr))
}

fn listening_addr(line: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(line).ok()?;
    (value["event"] == "service.listening").then(|| value["addr"].as_str().map(str::to_owned))?
}

/// SIGTERM, so the service drains, flushes its logs and exports its last spans.
fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

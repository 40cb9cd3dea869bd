//! The coder arm: executes a task with a (simulated) LLM call.

use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use octo_instrument::http::ServerLayer;
use octo_instrument::{ObservedError, observed};

use crate::contract::{Assignment, Outcome, priority_label};

/// Why a task failed at the arm.
#[derive(Debug)]
pub enum ArmError {
    /// The LLM provider answered with an error.
    LlmApi(String),
}

impl std::fmt::Display for ArmError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::LlmApi(message) => write!(f, "LLM API error: {message}"),
        }
    }
}

impl std::error::Error for ArmError {}

impl ObservedError for ArmError {
    fn error_type(&self) -> Option<&str> {
        Some("LlmApiError")
    }

    fn error_code(&self) -> Option<&str> {
        Some("LLM_API_ERROR")
    }
}

/// The arm's routes, observed by [`ServerLayer`].
pub fn router() -> Router {
    Router::new()
        .route("/api/v1/execute", post(execute_handler))
        .route("/health", get(|| async { "ok" }))
        .route("/metrics", get(octo_instrument::http::metrics))
        .layer(ServerLayer::new())
}

async fn execute_handler(Json(task): Json<Assignment>) -> (StatusCode, Json<Outcome>) {
    match execute(&task).await {
        Ok(output) => (
            StatusCode::OK,
            Json(Outcome {
                task_id: task.task_id,
                output: Some(output),
                error: None,
            }),
        ),
        Err(err) => (
            StatusCode::BAD_GATEWAY,
            Json(Outcome {
                task_id: task.task_id,
                output: None,
                error: Some(err.to_string()),
            }),
        ),
    }
}

/// One task at the arm: `task_duration_seconds{arm, priority}` with the standard's task buckets.
#[observed(
    event = "task.execute",
    fields(task_id = %task.task_id, priority = task.priority),
    histogram = "task_duration_seconds",
    // The priority comes from the request body: a closed set of labels, whoever calls.
    labels(arm = "coder", priority = priority_label(task.priority)),
    buckets = task,
    slow_ms = 2000
)]
pub async fn execute(task: &Assignment) -> Result<String, ArmError> {
    let code = complete(&task.prompt).await?;
    octo_instrument::info!("task.code.generated", lines = code.lines().count());
    Ok(code)
}

/// The simulated model call: a prompt containing `fail` gets an API error, as a rate-limited or
/// overloaded provider would answer; one containing `slow` takes over a second.
#[observed(
    event = "llm.request",
    fields(model = "octo-coder-1"),
    histogram = "llm_api_latency_seconds",
    labels(provider = "simulated", model = "octo-coder-1"),
    buckets = llm
)]
pub async fn complete(prompt: &str) -> Result<String, ArmError> {
    let extra_ms = if prompt.contains("slow") { 1100 } else { 0 };
    tokio::time::sleep(Duration::from_millis(
        20 + (prompt.len() as u64 % 30) + extra_ms,
    ))
    .await;
    if prompt.contains("fail") {
        return Err(ArmError::LlmApi("503 from provider: overloaded".into()));
    }
    Ok(format!(
        "// {prompt}\nfn main() {{\n    println!(\"done\");\n}}\n"
    ))
}

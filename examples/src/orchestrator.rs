//! The orchestrator: takes tasks, counts them, dispatches them to the coder arm.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use octo_instrument::http::{SendTraced, ServerLayer};
use octo_instrument::{ObservedError, observed};
use prometheus::IntCounterVec;

use crate::contract::{Assignment, NewTask, Outcome, priority_label};

/// `tasks_created_total{priority, source}`: a family of the standard that is not tied to a
/// function call, registered beside octo-instrument's own so it gets the `service` label.
static TASKS_CREATED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    let counter = IntCounterVec::new(
        prometheus::Opts::new(
            "tasks_created_total",
            "Tasks accepted, by priority and source.",
        ),
        &["priority", "source"],
    )
    .expect("valid family");
    octo_instrument::metrics::registry()
        .register(Box::new(counter.clone()))
        .expect("registered once");
    counter
});

/// How long the orchestrator waits for the arm's answer, unless `ARM_TIMEOUT_SECS` says
/// otherwise: a hung arm answers the caller with 504 after this, instead of holding the request
/// (and its memory) as long as the arm hangs.
pub const ARM_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the arm is, and the client that calls it.
#[derive(Clone)]
pub struct Orchestrator {
    arm_url: Arc<str>,
    client: reqwest::Client,
    next_id: Arc<AtomicU64>,
}

impl Orchestrator {
    /// An orchestrator dispatching to the coder arm at `arm_url` (`http://host:port`), waiting
    /// [`ARM_TIMEOUT`] for its answers.
    pub fn new(arm_url: &str) -> Self {
        Self::with_timeout(arm_url, ARM_TIMEOUT)
    }

    /// An orchestrator that waits at most `timeout` for each answer of the arm.
    pub fn with_timeout(arm_url: &str, timeout: Duration) -> Self {
        LazyLock::force(&TASKS_CREATED);
        // A hung arm must not hold the orchestrator's requests (and their memory) forever.
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2).min(timeout))
            .timeout(timeout)
            .build()
            .expect("a client with timeouts builds");
        Self {
            arm_url: arm_url.trim_end_matches('/').into(),
            client,
            next_id: Arc::new(AtomicU64::new(1)),
        }
    }

    /// The orchestrator's routes, observed by [`ServerLayer`].
    pub fn router(self) -> Router {
        Router::new()
            .route("/api/v1/tasks", post(create_task))
            .route("/health", get(|| async { "ok" }))
            .route("/metrics", get(octo_instrument::http::metrics))
            .layer(ServerLayer::new())
            .with_state(self)
    }
}

/// Why a dispatch failed.
#[derive(Debug)]
pub enum DispatchError {
    /// The arm could not be reached.
    Unreachable(reqwest::Error),
    /// The arm did not answer in time.
    TimedOut(reqwest::Error),
    /// The arm answered, with a failure.
    Failed(String),
}

impl std::fmt::Display for DispatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unreachable(err) => write!(f, "arm unreachable: {err}"),
            Self::TimedOut(err) => write!(f, "arm timed out: {err}"),
            Self::Failed(message) => write!(f, "arm failed: {message}"),
        }
    }
}

impl std::error::Error for DispatchError {}

impl DispatchError {
    /// The client's error as the dispatch reports it: a timeout apart from any other failure
    /// to reach the arm (the caller gets 504, not 502).
    fn from_client(err: reqwest::Error) -> Self {
        if err.is_timeout() {
            Self::TimedOut(err)
        } else {
            Self::Unreachable(err)
        }
    }
}

impl ObservedError for DispatchError {
    fn error_type(&self) -> Option<&str> {
        Some(match self {
            Self::Unreachable(_) => "ArmUnreachable",
            Self::TimedOut(_) => "ArmTimeout",
            Self::Failed(_) => "ArmFailed",
        })
    }

    fn error_code(&self) -> Option<&str> {
        Some(match self {
            Self::Unreachable(_) => "ARM_UNREACHABLE",
            Self::TimedOut(_) => "ARM_TIMEOUT",
            Self::Failed(_) => "ARM_FAILED",
        })
    }
}

async fn create_task(
    State(orchestrator): State<Orchestrator>,
    Json(task): Json<NewTask>,
) -> (StatusCode, Json<Outcome>) {
    let task_id = format!(
        "task-{}",
        orchestrator.next_id.fetch_add(1, Ordering::Relaxed)
    );
    // Label values come from the request body: only a closed set of them becomes series, so a
    // client cannot create a series per value it sends (the log line keeps the value itself).
    TASKS_CREATED
        .with_label_values(&[priority_label(task.priority), source_label(&task.source)])
        .inc();
    octo_instrument::info!(
        "task.created",
        task_id = %task_id,
        priority = task.priority,
        source = %task.source
    );
    let assignment = Assignment {
        task_id: task_id.clone(),
        prompt: task.prompt,
        priority: task.priority,
    };
    match dispatch(&orchestrator, &assignment).await {
        Ok(output) => (
            StatusCode::CREATED,
            Json(Outcome {
                task_id,
                output: Some(output),
                error: None,
            }),
        ),
        Err(err) => (
            match err {
                DispatchError::TimedOut(_) => StatusCode::GATEWAY_TIMEOUT,
                _ => StatusCode::BAD_GATEWAY,
            },
            Json(Outcome {
                task_id,
                output: None,
                error: Some(err.to_string()),
            }),
        ),
    }
}

/// The sources a task can come from; any other becomes `other`.
pub const SOURCES: &[&str] = &["api", "cli", "scheduler"];

/// The `source` label of a task: one of [`SOURCES`], else `other`.
pub fn source_label(source: &str) -> &'static str {
    SOURCES
        .iter()
        .find(|known| **known == source)
        .copied()
        .unwrap_or("other")
}

/// Sends a task to the coder arm: `tasks_in_progress{arm}` while it is out.
#[observed(
    event = "task.dispatch",
    fields(task_id = %task.task_id, arm = "coder"),
    gauge = "tasks_in_progress",
    labels(arm = "coder")
)]
pub async fn dispatch(
    orchestrator: &Orchestrator,
    task: &Assignment,
) -> Result<String, DispatchError> {
    let response = orchestrator
        .client
        .post(format!("{}/api/v1/execute", orchestrator.arm_url))
        .header("content-type", "application/json")
        .body(serde_json::to_vec(task).expect("serializable"))
        .send_traced()
        .await
        .map_err(DispatchError::from_client)?;
    let status = response.status();
    let body = response.bytes().await.map_err(DispatchError::from_client)?;
    let outcome: Outcome = serde_json::from_slice(&body)
        .map_err(|err| DispatchError::Failed(format!("{status}: unreadable answer: {err}")))?;
    match (status.is_success(), outcome.output, outcome.error) {
        (true, Some(output), _) => Ok(output),
        (_, _, Some(error)) => Err(DispatchError::Failed(error)),
        _ => Err(DispatchError::Failed(format!("{status} without an output"))),
    }
}

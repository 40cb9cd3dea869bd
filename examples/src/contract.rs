//! The JSON the services exchange.

use serde::{Deserialize, Serialize};

/// What a client sends the orchestrator.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct NewTask {
    pub prompt: String,
    pub priority: u8,
    /// Who submitted it (`api`, `cli`, `scheduler`): the `source` label.
    #[serde(default = "default_source")]
    pub source: String,
}

fn default_source() -> String {
    "api".to_owned()
}

/// The `priority` label of a task, in both services: the standard's priorities 0 to 10, else
/// `other`. The value comes from a request body, so only a closed set of it becomes series.
pub fn priority_label(priority: u8) -> &'static str {
    const PRIORITIES: [&str; 11] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"];
    PRIORITIES
        .get(usize::from(priority))
        .copied()
        .unwrap_or("other")
}

/// What the orchestrator sends an arm.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Assignment {
    pub task_id: String,
    pub prompt: String,
    pub priority: u8,
}

/// An arm's (and then the orchestrator's) answer.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct Outcome {
    pub task_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

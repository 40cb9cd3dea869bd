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

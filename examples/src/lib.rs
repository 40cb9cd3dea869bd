//! Two OctoLLM services instrumented with octo-instrument, and the demo that runs them together.
//!
//! - `octollm-orchestrator` takes tasks (`POST /api/v1/tasks`), counts them in
//!   `tasks_created_total{priority, source}`, and dispatches each to the coder arm over HTTP
//!   with [`SendTraced`](octo_instrument::http::SendTraced), which carries the trace context and
//!   the request id on to the arm.
//! - `octollm-arm-coder` executes a task (`POST /api/v1/execute`) with a simulated LLM call:
//!   `task_duration_seconds{arm, priority}` and `llm_api_latency_seconds{provider, model}`.
//!
//! Both serve `/metrics` and `/health`, log JSON lines, and export traces when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set. `cargo run -p octo-instrument-examples` runs the demo:
//! both services, a few tasks (one of which fails at the LLM), then their metrics.

pub mod arm_coder;
pub mod contract;
pub mod orchestrator;
pub mod service;

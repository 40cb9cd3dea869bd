//! The vocabulary of the OctoLLM observability standard, in one place: what the macros check when
//! a crate compiles, what the runtime exports, and what `octo-ops` generates rules and dashboards
//! from all come from here, so they cannot drift apart.
//!
//! - [`families`]: the metric families the runtime exports, with their labels and help text, and
//!   the names an extra family may not take;
//! - [`event_name`]: the grammar of event names (`task.processing`) and the outcome suffixes;
//! - [`prometheus`]: the grammars of Prometheus metric and label names;
//! - [`buckets`]: the standard's histogram bucket presets;
//! - [`request_id`]: the grammar of the request ids the HTTP layer keeps;
//! - [`logs`]: the names of the log schema the log macros and the log layer share;
//! - [`catalog`]: the event catalog file (`octo-events.toml`);
//! - [`export`]: the catalog a service exports for ops tooling;
//! - [`json`]: the JSON number and string encodings every output shares.
//!
//! No dependency beyond `std`; `serde` for the exported catalog behind the `serde` feature.
//!
//! ```
//! use octo_instrument_core::{event_name, families};
//!
//! assert!(event_name::check_observed("task.processing").is_ok());
//! assert!(families::is_reserved("octo_telemetry_sampled_out_total"));
//! ```

pub mod buckets;
pub mod catalog;
pub mod event_name;
pub mod export;
pub mod families;
pub mod json;
pub mod logs;
pub mod prometheus;
pub mod request_id;

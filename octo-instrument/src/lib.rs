#![doc = include_str!("../../README.md")]
#![warn(missing_docs)]

// The modules, top to bottom (ARCHITECTURE.md draws them): each uses only those below it.
//
// Set-up: the builder, `init()` and the shutdown helper, which wire everything below together.
mod setup;
// The public faces over the layers: metrics, the exported catalog, the event list.
pub mod event;
pub mod metrics;
pub mod ops;
// What observes: HTTP, the observed call, sampling, contracts, baggage, traces, logs.
pub mod baggage;
pub mod contract;
#[cfg(any(feature = "axum", feature = "reqwest"))]
pub mod http;
pub mod logging;
mod observe;
pub mod sampling;
#[cfg(feature = "tokio")]
mod spawn;
pub mod trace;
// OTLP export under traces and logs: settings, TLS, transport, export threads.
mod otlp;
// The metrics underneath, fed from plain specs.
mod prom;
// The ground floor: encoders, limits, environment parsing, identity, span data, errors.
mod encode;
mod env;
mod error;
mod filter;
mod handoff;
mod identity;
pub mod limits;
mod panic;
mod random;
mod span_data;
mod thread_number;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use contract::{Observable, Redacted, record};
pub use error::Error;
pub use observe::probe::ObservedError;
#[cfg(feature = "axum")]
pub use setup::shutdown;
pub use setup::{Config, Guard, flush};
#[cfg(feature = "tokio")]
pub use spawn::{in_current_span, spawn, spawn_blocking};

/// Instruments a function: a span named after the event, the duration histogram, the in-progress
/// gauge, the error counter and the `<event>.started/completed/failed` log lines. The arguments
/// and outcomes are described in the crate documentation.
///
/// ```
/// use octo_instrument::observed;
///
/// #[derive(Debug)]
/// struct Task { id: String, priority: u8 }
///
/// #[observed(event = "task.processing", fields(task_id = %task.id, priority = task.priority))]
/// fn process(task: &Task) -> Result<usize, std::io::Error> {
///     if task.id.is_empty() {
///         return Err(std::io::Error::other("no id"));
///     }
///     Ok(task.id.len())
/// }
///
/// assert_eq!(process(&Task { id: "t-1".into(), priority: 5 }).unwrap(), 3);
/// assert!(process(&Task { id: String::new(), priority: 1 }).is_err());
///
/// let metrics = octo_instrument::metrics::render();
/// assert!(metrics.contains(r#"event="task.processing",outcome="ok"} 1"#));
/// assert!(metrics.contains(r#"event="task.processing",outcome="error"} 1"#));
/// assert!(metrics.contains(r#"component="task.processing",error_type="io::Error"} 1"#));
/// ```
#[cfg(feature = "macros")]
pub use octo_instrument_macros::observed;

/// Logs an `info`-level event whose name is checked when the crate compiles (the grammar, and
/// the crate's event catalog where it has one); the fields follow `tracing`'s syntax.
///
/// ```
/// let id = "task-123";
/// octo_instrument::info!("task.created", task_id = %id, priority = 5);
/// octo_instrument::critical!("payment.ledger_mismatch", "balances differ");
/// ```
#[cfg(feature = "macros")]
pub use octo_instrument_macros::info;

/// As [`info!`], at `debug` level.
///
/// ```
/// octo_instrument::debug!("cache.lookup", hit = true);
/// ```
#[cfg(feature = "macros")]
pub use octo_instrument_macros::debug;

/// As [`info!`], at `warning` level.
///
/// ```
/// octo_instrument::warn!("llm.retry", attempt = 2);
/// ```
#[cfg(feature = "macros")]
pub use octo_instrument_macros::warn;

/// As [`info!`], at `error` level.
///
/// ```
/// octo_instrument::error!("llm.request_rejected", error_code = "LLM_API_ERROR");
/// ```
#[cfg(feature = "macros")]
pub use octo_instrument_macros::error;

/// As [`info!`], written with `"level":"critical"`; an error-level `tracing` event underneath,
/// so ordinary filters keep working.
///
/// ```
/// octo_instrument::critical!("storage.corrupted", shard = 3);
/// ```
#[cfg(feature = "macros")]
pub use octo_instrument_macros::critical;

/// Derives [`Observable`](trait@Observable) for a contract type; see [`contract`].
#[cfg(feature = "macros")]
pub use octo_instrument_macros::Observable;

/// Sets up logging and metrics from the environment (`LOG_LEVEL`, `JSON_LOGS`, `SERVICE_NAME`,
/// `ENVIRONMENT`, `APP_VERSION`, `LOG_DIR`); see [`Config`] for the builder behind it.
///
/// ```no_run
/// fn main() -> Result<(), octo_instrument::Error> {
///     let _guard = octo_instrument::init()?;
///     // ... the service runs; dropping the guard flushes the log lines still queued.
///     Ok(())
/// }
/// ```
pub fn init() -> Result<Guard, Error> {
    Config::new().init()
}

#![doc = include_str!("../../README.md")]
#![warn(missing_docs)]

mod error;
pub mod event;
mod filter;
#[cfg(any(feature = "axum", feature = "reqwest"))]
pub mod http;
mod identity;
pub mod logging;
pub mod metrics;
mod observe;
pub mod trace;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use error::Error;
pub use logging::{Config, Guard};
pub use observe::probe::ObservedError;

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

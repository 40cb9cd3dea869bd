#![doc = include_str!("../../README.md")]
#![warn(missing_docs)]

mod error;
pub mod event;
mod identity;
pub mod logging;
pub mod metrics;
mod observe;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use error::Error;
pub use logging::{Config, Guard};
pub use observe::probe::ObservedError;

/// Instruments a function: a span, the duration histogram, the in-progress gauge, the error
/// counter and `<event>.started/completed/failed` logs. See the crate documentation.
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

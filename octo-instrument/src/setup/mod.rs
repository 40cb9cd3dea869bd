//! Setting a service up and winding it down: [`Config`] (the builder, with the environment over
//! it), `init()` (which installs logs, traces, metrics and the identity at once), the [`Guard`]
//! that flushes them, and `shutdown` (serve until a signal, then flush). The layer on top: it
//! wires the modules below together and nothing below reaches up into it.

mod config;
mod install;
mod settings;
#[cfg(feature = "axum")]
pub mod shutdown;

pub use config::Config;
pub use install::{Guard, flush};

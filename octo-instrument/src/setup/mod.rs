//! Setting a service up: [`Config`] (the builder, with the environment over it), `init()` (which
//! installs logs, traces, metrics and the identity at once) and the [`Guard`] that flushes them.
//! The layer on top: it wires the modules below together and nothing below reaches up into it.

mod config;
mod install;
mod settings;

pub use config::Config;
pub use install::{Guard, flush};

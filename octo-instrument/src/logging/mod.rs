//! Logging in the OctoLLM schema: [`LogLayer`] writes flat JSON (or console) lines, with the
//! fields of every enclosing span flattened in, to sinks that never block the caller, and (with
//! `OTEL_LOGS_EXPORTER=otlp`) as OTLP log records with the same content.
//! [`init`](crate::init) installs one; add your own to a subscriber you assemble yourself.

mod layer;
#[cfg(feature = "otlp")]
mod otlp;
mod sink;

pub(crate) use layer::Format;
pub use layer::LogLayer;
#[cfg(feature = "otlp")]
pub(crate) use otlp::LogExport;
pub(crate) use sink::{Background, Sink};

//! Logging in the OctoLLM schema: [`LogLayer`] writes flat JSON (or console) lines, with the
//! fields of every enclosing span flattened in, to sinks that never block the caller.
//! [`init`](crate::init) installs one; add your own to a subscriber you assemble yourself.

mod layer;
mod sink;

pub(crate) use layer::Format;
pub use layer::LogLayer;
pub(crate) use sink::{Background, Sink};

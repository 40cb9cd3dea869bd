//! Logging in the OctoLLM schema: [`Config`] / [`init`](crate::init) for a
//! service, [`LogLayer`] to add the format to a subscriber of your own.

mod config;
pub(crate) mod env;
pub(crate) mod fields;
pub(crate) mod json;
mod layer;
mod sink;
mod timestamp;

pub use config::{Config, Guard, flush};
pub use layer::LogLayer;

//! What a panic says: its payload as text, for the `panic` field of a log line and a span's status.

use std::any::Any;

/// The message of a panic payload: the `&str` or `String` `panic!` was given, else a placeholder.
pub(crate) fn message(payload: &(dyn Any + Send)) -> &str {
    if let Some(message) = payload.downcast_ref::<&'static str>() {
        message
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message
    } else {
        "Box<dyn Any>"
    }
}

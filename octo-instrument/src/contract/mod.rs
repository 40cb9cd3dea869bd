//! Contract types: values whose fields go onto the current span, so every log line inside it
//! (`started`, `completed`, `failed`, your own) carries them, and so do the span's attributes.
//! Derive [`Observable`]; mark secrets `#[observe(redact)]`, or wrap them in [`Redacted`].
//!
//! ```
//! use octo_instrument::{Observable, Redacted};
//!
//! #[derive(Observable)]
//! struct TaskContract {
//!     #[observe(name = "task.id")]
//!     task_id: String,
//!     #[observe(name = "task.priority")]
//!     priority: u8,
//!     #[observe(redact)]
//!     api_key: String,
//!     #[observe(skip)]
//!     payload: Vec<u8>,
//!     deadline_ms: Option<u64>,
//! }
//!
//! let task = TaskContract {
//!     task_id: "task-123".into(),
//!     priority: 5,
//!     api_key: "sk-live-123".into(),
//!     payload: vec![0; 1024],
//!     deadline_ms: None,
//! };
//! let fields = octo_instrument::contract::fields_of(&task);
//! assert_eq!(
//!     fields,
//!     [("task.id", "\"task-123\"".to_owned()), ("task.priority", "5".to_owned()),
//!      ("api_key", "\"[REDACTED]\"".to_owned())]
//! );
//! ```

mod record;
mod redacted;
pub(crate) mod value;

#[doc(hidden)]
pub use record::record_in;
pub use record::{fields_of, record};
pub use redacted::{REDACTED, Redacted};
pub use value::FieldValue;

use std::fmt::{Debug, Display};

/// A type whose fields can be recorded on a span. `#[derive(Observable)]` writes the impl;
/// write one by hand for a type the derive cannot describe.
///
/// ```
/// use octo_instrument::contract::{Observable, Recorder};
///
/// struct Priority(u8);
///
/// impl Observable for Priority {
///     fn observe(&self, recorder: &mut dyn Recorder) {
///         recorder.record_u64("priority", u64::from(self.0));
///     }
/// }
///
/// let fields = octo_instrument::contract::fields_of(&Priority(5));
/// assert_eq!(fields, [("priority", "5".to_owned())]);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a contract type",
    label = "its fields cannot be recorded",
    note = "derive it: `#[derive(octo_instrument::Observable)]` on `{Self}`"
)]
pub trait Observable {
    /// Hands each recorded field to `recorder`.
    fn observe(&self, recorder: &mut dyn Recorder);
}

impl<T: Observable + ?Sized> Observable for &T {
    fn observe(&self, recorder: &mut dyn Recorder) {
        (**self).observe(recorder);
    }
}

impl<T: Observable + ?Sized> Observable for Box<T> {
    fn observe(&self, recorder: &mut dyn Recorder) {
        (**self).observe(recorder);
    }
}

impl<T: Observable + ?Sized> Observable for std::sync::Arc<T> {
    fn observe(&self, recorder: &mut dyn Recorder) {
        (**self).observe(recorder);
    }
}

/// Receives the fields of an [`Observable`] value, typed, so numbers and booleans stay JSON
/// numbers and booleans. Names are `'static`: field names are known when the crate compiles
/// (flattened names are interned once).
pub trait Recorder {
    /// A string field.
    fn record_str(&mut self, name: &'static str, value: &str);
    /// A signed integer field.
    fn record_i64(&mut self, name: &'static str, value: i64);
    /// An unsigned integer field.
    fn record_u64(&mut self, name: &'static str, value: u64);
    /// A floating-point field.
    fn record_f64(&mut self, name: &'static str, value: f64);
    /// A boolean field.
    fn record_bool(&mut self, name: &'static str, value: bool);
    /// A field rendered with `Display` (`#[observe(display)]`).
    fn record_display(&mut self, name: &'static str, value: &dyn Display) {
        self.record_str(name, &value.to_string());
    }
    /// A field rendered with `Debug` (`#[observe(debug)]`).
    fn record_debug(&mut self, name: &'static str, value: &dyn Debug) {
        self.record_str(name, &format!("{value:?}"));
    }
    /// A redacted field: recorded as [`REDACTED`], its value never read.
    fn record_redacted(&mut self, name: &'static str) {
        self.record_str(name, REDACTED);
    }
    /// The fields of a nested contract (`#[observe(flatten)]`), each named `prefix.field`.
    fn record_nested(&mut self, prefix: &'static str, value: &dyn Observable) {
        let mut prefixed = record::Prefixed {
            prefix,
            inner: self.as_dyn(),
        };
        value.observe(&mut prefixed);
    }
    /// `self` as a trait object, for [`record_nested`](Self::record_nested)'s default.
    fn as_dyn(&mut self) -> &mut dyn Recorder;
}

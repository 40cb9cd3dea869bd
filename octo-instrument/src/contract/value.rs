//! How a field's type records itself: strings as strings, numbers and booleans as themselves,
//! `Option` absent when `None`.

use std::borrow::Cow;
use std::rc::Rc;
use std::sync::Arc;

use super::Recorder;

/// A field type the derive records without `display` or `debug`. A field of another type is a
/// compile error on that field that names both attributes.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be recorded as a contract field as it is",
    label = "this field's type",
    note = "add `#[observe(display)]` or `#[observe(debug)]` to render it as text, \
            `#[observe(flatten)]` if it derives Observable, or `#[observe(skip)]`"
)]
pub trait FieldValue {
    /// Records `self` under `name`.
    fn record_to(&self, name: &'static str, recorder: &mut dyn Recorder);
}

impl FieldValue for str {
    fn record_to(&self, name: &'static str, recorder: &mut dyn Recorder) {
        recorder.record_str(name, self);
    }
}

impl FieldValue for String {
    fn record_to(&self, name: &'static str, recorder: &mut dyn Recorder) {
        recorder.record_str(name, self);
    }
}

impl FieldValue for Cow<'_, str> {
    fn record_to(&self, name: &'static str, recorder: &mut dyn Recorder) {
        recorder.record_str(name, self);
    }
}

impl FieldValue for char {
    fn record_to(&self, name: &'static str, recorder: &mut dyn Recorder) {
        recorder.record_str(name, self.encode_utf8(&mut [0; 4]));
    }
}

impl FieldValue for bool {
    fn record_to(&self, name: &'static str, recorder: &mut dyn Recorder) {
        recorder.record_bool(name, *self);
    }
}

macro_rules! numbers {
    ($method:ident as $wide:ty: $($t:ty),*) => {$(
        impl FieldValue for $t {
            fn record_to(&self, name: &'static str, recorder: &mut dyn Recorder) {
                recorder.$method(name, <$wide>::from(*self));
            }
        }
    )*};
}
numbers!(record_u64 as u64: u8, u16, u32, u64);
numbers!(record_i64 as i64: i8, i16, i32, i64);
numbers!(record_f64 as f64: f32, f64);

impl FieldValue for usize {
    fn record_to(&self, name: &'static str, recorder: &mut dyn Recorder) {
        recorder.record_u64(name, *self as u64);
    }
}

impl FieldValue for isize {
    fn record_to(&self, name: &'static str, recorder: &mut dyn Recorder) {
        recorder.record_i64(name, *self as i64);
    }
}

impl<T: FieldValue> FieldValue for Option<T> {
    fn record_to(&self, name: &'static str, recorder: &mut dyn Recorder) {
        if let Some(value) = self {
            value.record_to(name, recorder);
        }
    }
}

macro_rules! pointers {
    ($($p:ident),*) => {$(
        impl<T: FieldValue + ?Sized> FieldValue for $p<T> {
            fn record_to(&self, name: &'static str, recorder: &mut dyn Recorder) {
                (**self).record_to(name, recorder);
            }
        }
    )*};
}
pointers!(Box, Arc, Rc);

impl<T: FieldValue + ?Sized> FieldValue for &T {
    fn record_to(&self, name: &'static str, recorder: &mut dyn Recorder) {
        (**self).record_to(name, recorder);
    }
}

/// Records one field through [`FieldValue`]; generated code calls this with the field's own span
/// on the argument, so an unrecordable type is reported on the field.
#[doc(hidden)]
pub fn record_field<T: FieldValue + ?Sized>(
    value: &T,
    name: &'static str,
    recorder: &mut dyn Recorder,
) {
    value.record_to(name, recorder);
}

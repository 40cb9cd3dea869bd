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
numbers!(record_f64 as f64: f64);

impl FieldValue for f32 {
    fn record_to(&self, name: &'static str, recorder: &mut dyn Recorder) {
        recorder.record_f64(name, f32_as_written(*self));
    }
}

/// The `f64` of the decimal an `f32` is written as: `0.0015f32` is logged as `0.0015`, where
/// widening it (`0.0015f32 as f64`) would log `0.001500000013038516`, a number nobody wrote.
fn f32_as_written(value: f32) -> f64 {
    use std::fmt::Write as _;
    /// The longest shortest-form `f32` is about 50 bytes (`-1e-45` in positional form).
    struct Stack {
        bytes: [u8; 64],
        len: usize,
    }
    impl std::fmt::Write for Stack {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            let end = self.len + s.len();
            let room = self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?;
            room.copy_from_slice(s.as_bytes());
            self.len = end;
            Ok(())
        }
    }
    if !value.is_finite() {
        return f64::from(value);
    }
    let mut text = Stack {
        bytes: [0; 64],
        len: 0,
    };
    // `Display` writes the shortest decimal that reads back as the same `f32`; in the
    // exponent form, so that no value is too long for the buffer.
    if write!(text, "{value:e}").is_err() {
        return f64::from(value);
    }
    std::str::from_utf8(&text.bytes[..text.len])
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| f64::from(value))
}

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

#[cfg(test)]
mod tests {
    use super::f32_as_written;

    #[test]
    fn an_f32_keeps_the_decimal_it_is_written_as() {
        assert_eq!(f32_as_written(0.0015).to_string(), "0.0015");
        assert_eq!(f32_as_written(0.9995).to_string(), "0.9995");
        assert_eq!(f32_as_written(3.0).to_string(), "3");
        assert_eq!(f32_as_written(f32::MAX).to_string(), f32::MAX.to_string());
        assert_eq!(
            f32_as_written(-1e-45).to_string(),
            "-0.000000000000000000000000000000000000000000001"
        );
        assert!(f32_as_written(f32::NAN).is_nan());
        assert!(f32_as_written(f32::INFINITY).is_infinite());
    }
}

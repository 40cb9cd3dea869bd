//! Protobuf's wire format, as far as OTLP's messages need it: written straight into a reused
//! buffer from the records the runtime keeps (spans, log records), without building the
//! `opentelemetry-proto` types first. Each message's layout is in its encoder
//! (`trace/native/encode.rs`, `logging/otlp.rs`); the tests there decode what these write with
//! the official types.

/// An attribute's value as OTLP's `AnyValue` carries it, strings borrowed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum AnyValue<'a> {
    Int(i64),
    Double(f64),
    Bool(bool),
    Str(&'a str),
}

/// A `KeyValue` (`key = 1`, `value = 2` an `AnyValue`) as field `field` of its parent.
pub(crate) fn key_value(out: &mut Vec<u8>, field: u32, key: &str, value: AnyValue<'_>) {
    nested(out, field, |out| {
        string(out, 1, key);
        nested(out, 2, |out| any_value(out, value));
    });
}

/// The fields of an `AnyValue` holding `value`: `string_value = 1`, `bool_value = 2`,
/// `int_value = 3`, `double_value = 4`. Written even when empty or zero: the value is set, and
/// is that value.
pub(crate) fn any_value(out: &mut Vec<u8>, value: AnyValue<'_>) {
    match value {
        AnyValue::Str(text) => {
            tag(out, 1, LENGTH_DELIMITED);
            varint(out, text.len() as u64);
            out.extend_from_slice(text.as_bytes());
        }
        AnyValue::Bool(value) => {
            tag(out, 2, VARINT);
            varint(out, u64::from(value));
        }
        AnyValue::Int(value) => {
            tag(out, 3, VARINT);
            // int64: two's complement as a 64-bit varint.
            #[allow(clippy::cast_sign_loss)]
            varint(out, value as u64);
        }
        AnyValue::Double(value) => {
            tag(out, 4, FIXED64);
            out.extend_from_slice(&value.to_bits().to_le_bytes());
        }
    }
}

pub(crate) const VARINT: u8 = 0;
pub(crate) const FIXED64: u8 = 1;
pub(crate) const LENGTH_DELIMITED: u8 = 2;
pub(crate) const FIXED32: u8 = 5;

#[inline]
pub(crate) fn tag(out: &mut Vec<u8>, field: u32, wire_type: u8) {
    varint(out, u64::from(field << 3 | u32::from(wire_type)));
}

#[inline]
pub(crate) fn varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        // The low seven bits, with the continuation bit.
        #[allow(clippy::cast_possible_truncation)]
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    #[allow(clippy::cast_possible_truncation)]
    out.push(value as u8);
}

pub(crate) fn varint_field(out: &mut Vec<u8>, field: u32, value: u64) {
    if value != 0 {
        tag(out, field, VARINT);
        varint(out, value);
    }
}

pub(crate) fn fixed64(out: &mut Vec<u8>, field: u32, value: u64) {
    if value != 0 {
        tag(out, field, FIXED64);
        out.extend_from_slice(&value.to_le_bytes());
    }
}

pub(crate) fn fixed32(out: &mut Vec<u8>, field: u32, value: u32) {
    if value != 0 {
        tag(out, field, FIXED32);
        out.extend_from_slice(&value.to_le_bytes());
    }
}

pub(crate) fn bytes(out: &mut Vec<u8>, field: u32, value: &[u8]) {
    if !value.is_empty() {
        tag(out, field, LENGTH_DELIMITED);
        varint(out, value.len() as u64);
        out.extend_from_slice(value);
    }
}

pub(crate) fn string(out: &mut Vec<u8>, field: u32, value: &str) {
    bytes(out, field, value.as_bytes());
}

/// A length-delimited field whose content `write` appends: a one-byte length is reserved in
/// front of the content and filled in after; a content of 128 bytes or more (a span, a batch)
/// is moved up by the extra bytes its length needs.
pub(crate) fn nested(out: &mut Vec<u8>, field: u32, write: impl FnOnce(&mut Vec<u8>)) {
    tag(out, field, LENGTH_DELIMITED);
    let at = out.len();
    out.push(0);
    write(out);
    let len = out.len() - at - 1;
    if len < 0x80 {
        // Below 128, so the cast keeps it whole.
        #[allow(clippy::cast_possible_truncation)]
        let byte = len as u8;
        out[at] = byte;
        return;
    }
    let mut prefix = [0u8; 10];
    let mut used = 0;
    let mut value = len as u64;
    while value >= 0x80 {
        #[allow(clippy::cast_possible_truncation)]
        let byte = value as u8 | 0x80;
        prefix[used] = byte;
        used += 1;
        value >>= 7;
    }
    #[allow(clippy::cast_possible_truncation)]
    let last = value as u8;
    prefix[used] = last;
    used += 1;
    out.resize(out.len() + used - 1, 0);
    out.copy_within(at + 1..at + 1 + len, at + used);
    out[at..at + used].copy_from_slice(&prefix[..used]);
}

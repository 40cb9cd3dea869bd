//! Encoders every output shares, on the ground floor: JSON values (numbers and strings from
//! `octo_instrument_core::json`, plus the bounded variants for client-sized values), the
//! per-span store of encoded fields, RFC 3339 timestamps, lowercase hex ids, and
//! protobuf's wire format for OTLP.

pub(crate) mod fields;
pub(crate) mod hex;
pub(crate) mod json;
#[cfg(any(feature = "otlp", test))]
pub(crate) mod json_read;
pub(crate) mod percent;
// Without export only `AnyValue` is read (by the span attribute API).
#[cfg_attr(not(feature = "otlp"), allow(dead_code))]
pub(crate) mod protobuf;
pub(crate) mod timestamp;

//! Encoders every output shares, on the ground floor: JSON values (numbers and strings from
//! `octo_instrument_core::json`, plus the bounded variants for client-sized values), the
//! per-span store of encoded fields, RFC 3339 timestamps and lowercase hex ids.

pub(crate) mod fields;
pub(crate) mod hex;
pub(crate) mod json;
pub(crate) mod timestamp;

//! Names of the log schema that the log macros and the log layer share.
//!
//! ```
//! use octo_instrument_core::logs;
//!
//! assert_eq!(logs::CRITICAL_FIELD, "octo.level");
//! assert_eq!(logs::CRITICAL_LEVEL, "critical");
//! ```

/// The field `critical!` adds to its error-level event: the log layer writes the line's `level`
/// from it and leaves the field itself out. Under `octo.`, which the layer keeps for the runtime's
/// own fields.
pub const CRITICAL_FIELD: &str = "octo.level";

/// The value of [`CRITICAL_FIELD`]: the `level` a `critical!` line is written with.
pub const CRITICAL_LEVEL: &str = "critical";

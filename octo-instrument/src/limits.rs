//! How much telemetry may hold: the longest field value, the attributes per span, and the bytes
//! each queue may keep. A client controls the size of what it sends (a path, a `User-Agent`), so
//! every one of these is a bound in bytes, and whatever is cut is counted in
//! `octo_telemetry_truncated_total{signal}`.
//!
//! The values are process-wide: [`init`](crate::init) sets them from the environment
//! (`OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`, `OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT`,
//! `OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT`, `OCTO_LOG_QUEUE_BYTES`, `OCTO_SPAN_QUEUE_BYTES`,
//! `OTEL_BSP_MAX_QUEUE_SIZE`, `OTEL_BLRP_MAX_QUEUE_SIZE`) or the
//! builder; until then the defaults below apply.
//!
//! ```
//! use octo_instrument::limits;
//!
//! assert_eq!(limits::DEFAULT_VALUE_LENGTH, 8 * 1024);
//! let long = "a".repeat(10_000);
//! let cut = limits::cut(&long, 16);
//! assert_eq!(cut, format!("{}{}", "a".repeat(16), limits::TRUNCATED_MARKER));
//! ```

use std::borrow::Cow;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// Longest log field value and span attribute value kept, in bytes, unless configured.
pub const DEFAULT_VALUE_LENGTH: usize = 8 * 1024;
/// Attributes kept per span, unless configured (the OpenTelemetry default).
pub const DEFAULT_SPAN_ATTRIBUTE_COUNT: usize = 128;
/// Bytes of log lines queued for the writer thread, unless configured.
pub const DEFAULT_LOG_QUEUE_BYTES: usize = 8 * 1024 * 1024;
/// Bytes of finished spans queued for export, unless configured.
pub const DEFAULT_SPAN_QUEUE_BYTES: usize = 16 * 1024 * 1024;
/// Finished spans queued for export, unless configured: a few milliseconds of a caller calling
/// as fast as it can, so that a collector (or an export thread) scheduled late drops nothing.
pub const DEFAULT_SPAN_QUEUE_SPANS: usize = 8192;

/// Log records queued for OTLP export (with `OTEL_LOGS_EXPORTER=otlp`), unless configured by
/// `OTEL_BLRP_MAX_QUEUE_SIZE`; their bytes are bounded by the log queue's
/// ([`DEFAULT_LOG_QUEUE_BYTES`]).
pub const DEFAULT_LOG_EXPORT_QUEUE_RECORDS: usize = 8192;

/// Appended to a value that was cut, so a reader knows the rest is missing.
pub const TRUNCATED_MARKER: &str = "…[truncated]";

static LOG_VALUE_LENGTH: AtomicUsize = AtomicUsize::new(DEFAULT_VALUE_LENGTH);
#[cfg(feature = "otel-sdk")]
static SPAN_VALUE_LENGTH: AtomicUsize = AtomicUsize::new(DEFAULT_VALUE_LENGTH);

/// The limits in force, as `init()` resolved them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limits {
    pub(crate) log_value_length: usize,
    pub(crate) span_value_length: usize,
    pub(crate) span_attribute_count: usize,
    pub(crate) log_queue_bytes: usize,
    pub(crate) span_queue_bytes: usize,
    pub(crate) span_queue_spans: usize,
    pub(crate) log_export_queue_records: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            log_value_length: DEFAULT_VALUE_LENGTH,
            span_value_length: DEFAULT_VALUE_LENGTH,
            span_attribute_count: DEFAULT_SPAN_ATTRIBUTE_COUNT,
            log_queue_bytes: DEFAULT_LOG_QUEUE_BYTES,
            span_queue_bytes: DEFAULT_SPAN_QUEUE_BYTES,
            span_queue_spans: DEFAULT_SPAN_QUEUE_SPANS,
            log_export_queue_records: DEFAULT_LOG_EXPORT_QUEUE_RECORDS,
        }
    }
}

impl Limits {
    /// Makes the value limits the process-wide ones (the attribute count and the queue sizes go
    /// to the trace pipeline and the queues).
    pub(crate) fn install(&self) {
        LOG_VALUE_LENGTH.store(self.log_value_length, Relaxed);
        #[cfg(feature = "otel-sdk")]
        SPAN_VALUE_LENGTH.store(self.span_value_length, Relaxed);
    }
}

/// The longest log field value, in bytes.
#[inline]
pub(crate) fn log_value_length() -> usize {
    LOG_VALUE_LENGTH.load(Relaxed)
}

/// The longest span attribute value, in bytes (the SDK's pipeline reads it here; the native one
/// holds its own).
#[cfg(feature = "otel-sdk")]
#[inline]
pub(crate) fn span_value_length() -> usize {
    SPAN_VALUE_LENGTH.load(Relaxed)
}

/// The longest prefix of `value` of at most `max` bytes that ends on a character boundary.
pub(crate) fn prefix(value: &str, max: usize) -> &str {
    if value.len() <= max {
        return value;
    }
    let mut end = max;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    &value[..end]
}

/// `value`, or its first `max` bytes (at a character boundary) followed by
/// [`TRUNCATED_MARKER`] when it is longer.
pub fn cut(value: &str, max: usize) -> Cow<'_, str> {
    if value.len() <= max {
        Cow::Borrowed(value)
    } else {
        Cow::Owned(format!("{}{TRUNCATED_MARKER}", prefix(value, max)))
    }
}

/// A `fmt::Write` that lets through at most `remaining` bytes of text and then refuses more
/// (an error stops `write!` early, so a huge `Debug` value is not formatted in full).
pub(crate) struct Budget<W> {
    pub(crate) inner: W,
    pub(crate) remaining: usize,
    pub(crate) exceeded: bool,
}

impl<W: fmt::Write> Budget<W> {
    pub(crate) fn new(inner: W, remaining: usize) -> Self {
        Self {
            inner,
            remaining,
            exceeded: false,
        }
    }
}

impl<W: fmt::Write> fmt::Write for Budget<W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if s.len() <= self.remaining {
            self.remaining -= s.len();
            return self.inner.write_str(s);
        }
        let head = prefix(s, self.remaining);
        self.remaining = 0;
        self.exceeded = true;
        self.inner.write_str(head)?;
        Err(fmt::Error)
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write;

    use super::*;

    #[test]
    fn cuts_at_character_boundaries() {
        assert_eq!(prefix("héllo", 2), "h");
        assert_eq!(prefix("héllo", 3), "hé");
        assert_eq!(cut("short", 10), "short");
        assert_eq!(cut("ééé", 3), format!("é{TRUNCATED_MARKER}"));
    }

    #[test]
    fn budget_stops_formatting() {
        let mut out = String::new();
        let mut budget = Budget::new(&mut out, 5);
        assert!(write!(budget, "{}", "x".repeat(100)).is_err());
        assert!(budget.exceeded);
        assert_eq!(out, "xxxxx");
        let mut out = String::new();
        let mut budget = Budget::new(&mut out, 5);
        assert!(write!(budget, "abc").is_ok());
        assert!(!budget.exceeded);
    }
}

//! How much telemetry may hold: the longest field value, the attributes per span, and the bytes
//! each queue may keep. A client controls the size of what it sends (a path, a `User-Agent`), so
//! every one of these is bounded: values in characters, as OpenTelemetry counts them (a cut
//! value, its marker included, is at most the limit), queues in bytes; whatever is cut is
//! counted in `octo_telemetry_truncated_total{signal}`.
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
//! let cut = limits::cut(&long, 100);
//! // At most the limit in all, the marker included, counted in characters.
//! assert_eq!(cut, format!("{}{}", "a".repeat(88), limits::TRUNCATED_MARKER));
//! assert_eq!(cut.chars().count(), 100);
//! ```

use std::borrow::Cow;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// Longest log field value and span attribute value kept, in characters (the marker of a cut
/// value included), unless configured.
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

/// Ends a value that was cut, so a reader knows the rest is missing; it counts within the
/// limit.
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

/// The longest log field value, in characters.
#[inline]
pub(crate) fn log_value_length() -> usize {
    LOG_VALUE_LENGTH.load(Relaxed)
}

/// The longest span attribute value, in characters (the SDK's pipeline reads it here; the
/// native one holds its own).
#[cfg(feature = "otel-sdk")]
#[inline]
pub(crate) fn span_value_length() -> usize {
    SPAN_VALUE_LENGTH.load(Relaxed)
}

/// The characters [`TRUNCATED_MARKER`] takes of a limit.
const MARKER_CHARS: usize = 12;

/// How a value over `max` characters is cut: the characters of it kept, and the marker after
/// them. The marker fits within the limit, so a cut value is at most `max` characters, as the
/// OpenTelemetry specification requires; a limit too small to hold the marker keeps `max`
/// characters and no marker.
fn cut_shape(max: usize) -> (usize, &'static str) {
    if max > MARKER_CHARS {
        (max - MARKER_CHARS, TRUNCATED_MARKER)
    } else {
        (max, "")
    }
}

/// `value`'s first `max` characters (all of it when it is no longer), and how many characters
/// that is. Stops at `max`: a long value costs no more than its first `max` characters.
fn split_chars(value: &str, max: usize) -> (&str, usize) {
    if value.len() <= max {
        // At most `max` bytes: at most `max` characters, all kept.
        return (value, value.chars().count());
    }
    match value.char_indices().nth(max) {
        Some((end, _)) => (&value[..end], max),
        None => (value, value.chars().count()),
    }
}

/// The longest prefix of `value` of at most `max` characters.
pub(crate) fn prefix(value: &str, max: usize) -> &str {
    split_chars(value, max).0
}

/// Whether `value` is longer than `max` characters.
fn over(value: &str, max: usize) -> bool {
    value.len() > max && value.char_indices().nth(max).is_some()
}

/// `value` as kept under a limit of `max` characters: `None` when it fits, else the part kept
/// and the marker to write after it (together at most `max` characters).
pub(crate) fn cut_parts(value: &str, max: usize) -> Option<(&str, &'static str)> {
    if !over(value, max) {
        return None;
    }
    let (keep, marker) = cut_shape(max);
    Some((prefix(value, keep), marker))
}

/// `value`, or, when it is longer than `max` characters, its beginning followed by
/// [`TRUNCATED_MARKER`], at most `max` characters in all.
pub fn cut(value: &str, max: usize) -> Cow<'_, str> {
    match cut_parts(value, max) {
        None => Cow::Borrowed(value),
        Some((kept, marker)) => Cow::Owned(format!("{kept}{marker}")),
    }
}

/// A `fmt::Write` that lets through at most `remaining` characters of text and then refuses
/// more (an error stops `write!` early, so a huge `Debug` value is not formatted in full). A
/// plain cap, without the marker: for names, messages and label values.
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
        if self.exceeded {
            return Err(fmt::Error);
        }
        let (head, chars) = split_chars(s, self.remaining);
        self.remaining -= chars;
        self.inner.write_str(head)?;
        if head.len() < s.len() {
            self.exceeded = true;
            return Err(fmt::Error);
        }
        Ok(())
    }
}

/// A `fmt::Write` for a value that is cut with the marker: at most `max` characters reach
/// `inner` in all, the marker included. The text between the marker's place and the limit is
/// held back until the value turns out to end within the limit ([`finish`](Self::finish)), so
/// nothing has to be taken back out of `inner` (which may be escaping into a line).
pub(crate) struct Marked<W> {
    inner: W,
    /// Characters that go straight to `inner`.
    room: usize,
    marker: &'static str,
    /// What may follow them, up to the limit, if the value ends there.
    held: Budget<String>,
    exceeded: bool,
}

impl<W: fmt::Write> Marked<W> {
    pub(crate) fn new(inner: W, max: usize) -> Self {
        let (room, marker) = cut_shape(max);
        Self {
            inner,
            room,
            marker,
            held: Budget::new(String::new(), max - room),
            exceeded: false,
        }
    }

    /// Ends the value: the held-back text when it fit, else the marker. Returns whether it was
    /// cut.
    pub(crate) fn finish(mut self) -> bool {
        let tail = if self.exceeded {
            self.marker
        } else {
            self.held.inner.as_str()
        };
        let _ = self.inner.write_str(tail);
        self.exceeded
    }
}

impl<W: fmt::Write> fmt::Write for Marked<W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.exceeded {
            return Err(fmt::Error);
        }
        let (head, chars) = split_chars(s, self.room);
        self.room -= chars;
        self.inner.write_str(head)?;
        let rest = &s[head.len()..];
        if rest.is_empty() {
            return Ok(());
        }
        if self.held.write_str(rest).is_err() {
            self.exceeded = true;
            return Err(fmt::Error);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write;

    use super::*;

    #[test]
    fn cuts_count_characters_and_fit_the_marker_within_the_limit() {
        assert_eq!(TRUNCATED_MARKER.chars().count(), MARKER_CHARS);
        assert_eq!(prefix("héllo", 2), "hé");
        assert_eq!(prefix("héllo", 9), "héllo");
        assert_eq!(cut("short", 10), "short");
        assert_eq!(
            cut(&"é".repeat(20), 20),
            "é".repeat(20),
            "20 characters fit 20"
        );
        let long = "é".repeat(100);
        let cut_value = cut(&long, 20);
        assert_eq!(cut_value, format!("{}{TRUNCATED_MARKER}", "é".repeat(8)));
        assert_eq!(cut_value.chars().count(), 20);
        // Too small a limit for the marker: the characters alone.
        assert_eq!(cut("abcdefghijklmnop", 5), "abcde");
    }

    #[test]
    fn marked_holds_back_the_tail_until_the_value_ends() {
        let fits = "x".repeat(20);
        let mut out = String::new();
        let mut marked = Marked::new(&mut out, 20);
        assert!(write!(marked, "{fits}").is_ok());
        assert!(!marked.finish());
        assert_eq!(out, fits);

        let mut out = String::new();
        let mut marked = Marked::new(&mut out, 20);
        assert!(write!(marked, "{}", "y".repeat(1000)).is_err());
        assert!(marked.finish());
        assert_eq!(out, format!("{}{TRUNCATED_MARKER}", "y".repeat(8)));
        assert_eq!(out.chars().count(), 20);

        // Written in pieces across the marker's place.
        let mut out = String::new();
        let mut marked = Marked::new(&mut out, 20);
        for _ in 0..4 {
            let _ = write!(marked, "abcde");
        }
        assert!(!marked.finish());
        assert_eq!(out, "abcde".repeat(4));
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

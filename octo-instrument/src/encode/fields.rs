//! Fields as JSON fragments: the visitor that encodes a span's or an event's fields, and the
//! per-span store that flattening reads.

use std::fmt;
use std::ops::Range;

use tracing_core::field::{Field, Visit};

use crate::encode::json;
use crate::limits;

/// Encoded fields: one buffer of JSON values and the key and range of each.
#[derive(Default)]
pub(crate) struct Fields {
    pub(crate) buf: String,
    pub(crate) entries: Vec<(&'static str, Range<usize>)>,
    /// Values cut at the length limit since the last [`take_cut`](Self::take_cut): the layer
    /// that owns these fields counts them.
    cut: u64,
}

impl Fields {
    pub(crate) fn clear(&mut self) {
        self.buf.clear();
        self.entries.clear();
        self.cut = 0;
    }

    /// How many values were cut at the length limit since the last call.
    pub(crate) fn take_cut(&mut self) -> u64 {
        std::mem::take(&mut self.cut)
    }

    /// Appends `key` with a string value, cut at the log value limit.
    pub(crate) fn push_str(&mut self, key: &'static str, value: &str) {
        let mut cut = false;
        self.push_key(key, |out| {
            cut = json::write_str_within(out, value, limits::log_value_length());
        });
        self.cut += u64::from(cut);
    }

    /// Appends `key` with a `Display`/`Debug` value, formatted no further than the limit.
    fn push_fmt(&mut self, field: &Field, value: fmt::Arguments<'_>) {
        if is_trace_only(field.name()) {
            return;
        }
        let mut cut = false;
        self.push_key(field.name(), |out| {
            cut = json::write_fmt_str_within(out, value, limits::log_value_length());
        });
        self.cut += u64::from(cut);
    }

    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = (&'static str, &str)> + '_ {
        self.entries
            .iter()
            .map(|(key, range)| (*key, &self.buf[range.clone()]))
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.iter().rev().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    fn push(&mut self, field: &Field, write: impl FnOnce(&mut String)) {
        if is_trace_only(field.name()) {
            return;
        }
        self.push_key(field.name(), write);
    }

    /// Appends `key` with the JSON value `write` produces.
    pub(crate) fn push_key(&mut self, key: &'static str, write: impl FnOnce(&mut String)) {
        // A field recorded again (`Span::record`) replaces the earlier value, and its bytes go:
        // a span recorded in a loop must not grow with every record.
        let replaced = self.entries.iter().position(|(k, _)| *k == key);
        if let Some(index) = replaced {
            let old = self.entries[index].1.clone();
            self.buf.replace_range(old.clone(), "");
            for (_, range) in &mut self.entries {
                if range.start >= old.end {
                    *range = range.start - old.len()..range.end - old.len();
                }
            }
        }
        let start = self.buf.len();
        write(&mut self.buf);
        let range = start..self.buf.len();
        match replaced {
            // The field keeps its place on the line.
            Some(index) => self.entries[index].1 = range,
            None => self.entries.push((key, range)),
        }
    }
}

impl Visit for Fields {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.push(field, |out| json::write_f64(out, value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.push(field, |out| json::write_i64(out, value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.push(field, |out| json::write_u64(out, value));
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        self.push(field, |out| {
            let _ = fmt::Write::write_fmt(out, format_args!("{value}"));
        });
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        self.push(field, |out| {
            let _ = fmt::Write::write_fmt(out, format_args!("{value}"));
        });
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.push(field, |out| {
            out.push_str(if value { "true" } else { "false" });
        });
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if !is_trace_only(field.name()) {
            self.push_str(field.name(), value);
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.push_fmt(field, format_args!("{value}"));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.push_fmt(field, format_args!("{value:?}"));
    }
}

/// Fields meant for the trace alone: `tracing-opentelemetry`'s `otel.*` controls and the
/// `code.*` attributes `#[observed]` spans carry. Log lines leave them out.
fn is_trace_only(name: &str) -> bool {
    name.starts_with("otel.") || name.starts_with("code.")
}

/// A span's fields, kept in the span's extensions.
pub(crate) struct SpanFields(pub(crate) Fields);

#[cfg(test)]
mod tests {
    use super::Fields;

    /// Regression test for issue 10: a span recorded again and again kept every superseded
    /// value's bytes.
    #[test]
    fn a_value_recorded_again_replaces_the_old_bytes_and_keeps_its_place() {
        let mut fields = Fields::default();
        fields.push_str("first", "a");
        fields.push_str("progress", "0");
        fields.push_str("last", "z");
        for i in 0..1000 {
            fields.push_key("progress", |out| super::json::write_u64(out, i));
        }
        assert_eq!(
            fields.buf.len(),
            "\"a\"".len() + "999".len() + "\"z\"".len()
        );
        let keys: Vec<_> = fields.iter().collect();
        assert_eq!(
            keys,
            [("first", "\"a\""), ("progress", "999"), ("last", "\"z\"")]
        );
    }
}

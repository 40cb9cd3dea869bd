//! Fields as JSON fragments: the visitor that encodes a span's or an event's fields, and the
//! per-span store that flattening reads.

use std::fmt;
use std::ops::Range;

use tracing_core::field::{Field, Visit};

use super::json;

/// Encoded fields: one buffer of JSON values and the key and range of each.
#[derive(Default)]
pub(crate) struct Fields {
    pub(crate) buf: String,
    pub(crate) entries: Vec<(&'static str, Range<usize>)>,
}

impl Fields {
    pub(crate) fn clear(&mut self) {
        self.buf.clear();
        self.entries.clear();
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
        let start = self.buf.len();
        write(&mut self.buf);
        let range = start..self.buf.len();
        // A field recorded again (`Span::record`) replaces the earlier value.
        if let Some(entry) = self.entries.iter_mut().find(|(k, _)| *k == key) {
            entry.1 = range;
        } else {
            self.entries.push((key, range));
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
        self.push(field, |out| json::write_str(out, value));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.push(field, |out| {
            json::write_fmt_str(out, format_args!("{value}"));
        });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.push(field, |out| {
            json::write_fmt_str(out, format_args!("{value:?}"));
        });
    }
}

/// Fields meant for the trace alone: `tracing-opentelemetry`'s `otel.*` controls and the
/// `code.*` attributes `#[observed]` spans carry. Log lines leave them out.
fn is_trace_only(name: &str) -> bool {
    name.starts_with("otel.") || name.starts_with("code.")
}

/// A span's fields, kept in the span's extensions.
pub(crate) struct SpanFields(pub(crate) Fields);

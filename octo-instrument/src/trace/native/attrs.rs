//! A span's attributes, typed: integers stay integers and booleans booleans on the wire, as
//! they are on the log line. Strings share one buffer per span, so recording a field costs no
//! allocation once the span's buffers have grown (they are reused from span to span).

use std::fmt::{self, Write as _};
use std::ops::Range;

use tracing_core::field::{Field, Visit};

#[cfg(any(feature = "otlp", test))]
use crate::encode::protobuf::AnyValue;
use crate::limits::{Marked, cut_parts};

/// One attribute's value; strings are ranges of the span's text buffer.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Int(i64),
    Double(f64),
    Bool(bool),
    Str(Range<u32>),
}

/// The attributes of one span, within its limits.
#[derive(Debug, Default)]
pub(crate) struct Attrs {
    entries: Vec<(&'static str, Value)>,
    text: String,
    /// Attributes left out past the count limit.
    pub(crate) dropped: u32,
    /// Values cut at the length limit (counted by the layer).
    pub(crate) cut: u32,
}

/// The limits attributes are recorded within.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AttrLimits {
    pub(crate) count: usize,
    pub(crate) value_length: usize,
}

impl Attrs {
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.text.clear();
        self.dropped = 0;
        self.cut = 0;
    }

    /// Bytes the attributes hold, for the export queue's byte budget.
    pub(crate) fn bytes(&self) -> usize {
        self.text.len() + self.entries.len() * std::mem::size_of::<(&str, Value)>()
    }

    #[cfg(any(feature = "otlp", test))]
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&'static str, AnyValue<'_>)> + '_ {
        self.entries.iter().map(|(key, value)| {
            let value = match value {
                Value::Int(v) => AnyValue::Int(*v),
                Value::Double(v) => AnyValue::Double(*v),
                Value::Bool(v) => AnyValue::Bool(*v),
                Value::Str(range) => {
                    AnyValue::Str(&self.text[range.start as usize..range.end as usize])
                }
            };
            (*key, value)
        })
    }

    /// Sets `key`, replacing an earlier value of it (whose text is reclaimed); past the count
    /// limit a new key is dropped and counted.
    fn set(&mut self, limits: AttrLimits, key: &'static str, value: Value) {
        // Keys are `'static` names: the same key is nearly always the same pointer.
        let same = |k: &&'static str| std::ptr::eq(*k, key) || *k == key;
        if let Some(index) = self.entries.iter().position(|(k, _)| same(k)) {
            let old = std::mem::replace(&mut self.entries[index].1, value);
            if let Value::Str(range) = old {
                self.reclaim(range);
            }
        } else if self.entries.len() < limits.count {
            self.entries.push((key, value));
        } else {
            if let Value::Str(range) = value {
                self.reclaim(range);
            }
            self.dropped += 1;
        }
    }

    /// Removes `range` from the text buffer and moves the ranges after it.
    fn reclaim(&mut self, range: Range<u32>) {
        let len = range.end - range.start;
        self.text
            .replace_range(range.start as usize..range.end as usize, "");
        for (_, value) in &mut self.entries {
            if let Value::Str(other) = value
                && other.start >= range.end
            {
                *other = other.start - len..other.end - len;
            }
        }
    }

    pub(crate) fn set_int(&mut self, limits: AttrLimits, key: &'static str, value: i64) {
        self.set(limits, key, Value::Int(value));
    }

    pub(crate) fn set_u64(&mut self, limits: AttrLimits, key: &'static str, value: u64) {
        match i64::try_from(value) {
            Ok(value) => self.set(limits, key, Value::Int(value)),
            // OTLP integers are signed: a larger value keeps its digits as text.
            Err(_) => self.set_fmt(limits, key, format_args!("{value}")),
        }
    }

    pub(crate) fn set_double(&mut self, limits: AttrLimits, key: &'static str, value: f64) {
        self.set(limits, key, Value::Double(value));
    }

    pub(crate) fn set_bool(&mut self, limits: AttrLimits, key: &'static str, value: bool) {
        self.set(limits, key, Value::Bool(value));
    }

    /// A string value, cut at the value length limit with the marker.
    pub(crate) fn set_str(&mut self, limits: AttrLimits, key: &'static str, value: &str) {
        let start = self.text.len();
        if let Some((kept, marker)) = cut_parts(value, limits.value_length) {
            self.text.push_str(kept);
            self.text.push_str(marker);
            self.cut += 1;
        } else {
            self.text.push_str(value);
        }
        let range = to_range(start, self.text.len());
        self.set(limits, key, Value::Str(range));
    }

    /// A `Display`/`Debug` value, formatted no further than the value length limit.
    pub(crate) fn set_fmt(
        &mut self,
        limits: AttrLimits,
        key: &'static str,
        value: fmt::Arguments<'_>,
    ) {
        let start = self.text.len();
        let mut marked = Marked::new(&mut self.text, limits.value_length);
        let _ = marked.write_fmt(value);
        if marked.finish() {
            self.cut += 1;
        }
        let range = to_range(start, self.text.len());
        self.set(limits, key, Value::Str(range));
    }
}

fn to_range(start: usize, end: usize) -> Range<u32> {
    // A span's text stays far below 4 GiB: every value is cut at the length limit and the
    // count is limited.
    u32::try_from(start).unwrap_or(u32::MAX)..u32::try_from(end).unwrap_or(u32::MAX)
}

/// Records `tracing` fields as attributes; the fields the layer reads itself (`otel.*`) are
/// handled before this visitor sees them.
pub(crate) struct Recorder<'a> {
    pub(crate) attrs: &'a mut Attrs,
    pub(crate) limits: AttrLimits,
}

impl Visit for Recorder<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.attrs.set_double(self.limits, field.name(), value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.attrs.set_int(self.limits, field.name(), value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.attrs.set_u64(self.limits, field.name(), value);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.attrs.set_bool(self.limits, field.name(), value);
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.attrs.set_str(self.limits, field.name(), value);
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.attrs
            .set_fmt(self.limits, field.name(), format_args!("{value}"));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.attrs
            .set_fmt(self.limits, field.name(), format_args!("{value:?}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: AttrLimits = AttrLimits {
        count: 3,
        value_length: 19,
    };

    #[test]
    fn typed_values_replaced_in_place_within_the_limits() {
        let mut attrs = Attrs::default();
        attrs.set_int(LIMITS, "priority", 5);
        attrs.set_str(LIMITS, "task", "task-1");
        attrs.set_bool(LIMITS, "urgent", true);
        attrs.set_str(LIMITS, "extra", "x");
        assert_eq!(attrs.dropped, 1);
        attrs.set_str(LIMITS, "task", "a-much-longer-task-id");
        attrs.set_u64(LIMITS, "priority", u64::MAX);
        let all: Vec<_> = attrs.iter().collect();
        // 19 characters each, the marker included.
        assert_eq!(
            all,
            [
                ("priority", AnyValue::Str("1844674…[truncated]")),
                ("task", AnyValue::Str("a-much-…[truncated]")),
                ("urgent", AnyValue::Bool(true)),
            ]
        );
        assert_eq!(attrs.cut, 2);
        assert_eq!(
            attrs.text.len(),
            2 * (7 + crate::limits::TRUNCATED_MARKER.len()),
            "replaced text is reclaimed"
        );
        // A value of exactly the limit is kept whole.
        attrs.set_str(LIMITS, "task", &"é".repeat(19));
        assert_eq!(
            attrs.iter().nth(1),
            Some(("task", AnyValue::Str(&"é".repeat(19))))
        );
    }
}

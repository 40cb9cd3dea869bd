//! OTLP's `ExportTraceServiceRequest`, protobuf-encoded straight from the span records: the
//! message layout of `opentelemetry/proto/collector/trace/v1/trace_service.proto` (the
//! `opentelemetry-proto` types), written without building those types first, so encoding a
//! span is a walk over its record into one reused buffer. The tests decode what this writes with
//! `opentelemetry-proto`'s own types.

use super::attrs::{Attrs, ValueRef};
use super::record::SpanRecord;

/// What every span of a service shares: its resource and the instrumentation scope.
#[derive(Clone, Debug)]
pub(crate) struct Resource {
    /// `service.name`, `service.version`, `deployment.environment.name`, `telemetry.sdk.*`.
    pub(crate) attributes: Vec<(&'static str, String)>,
}

impl Resource {
    pub(crate) fn new(service: &str, version: &str, environment: &str) -> Self {
        Self {
            attributes: vec![
                ("service.name", service.to_owned()),
                ("service.version", version.to_owned()),
                ("deployment.environment.name", environment.to_owned()),
                ("telemetry.sdk.name", "octo-instrument".to_owned()),
                ("telemetry.sdk.language", "rust".to_owned()),
                (
                    "telemetry.sdk.version",
                    env!("CARGO_PKG_VERSION").to_owned(),
                ),
            ],
        }
    }
}

const SCOPE_NAME: &str = "octo-instrument";
const SCOPE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The span's `flags`: the W3C trace flags, and whether the parent is remote (bits 8 and 9).
fn flags(record: &SpanRecord) -> u32 {
    const HAS_IS_REMOTE: u32 = 0x100;
    const IS_REMOTE: u32 = 0x200;
    let sampled = u32::from(record.sampled);
    let remote = if record.parent_remote { IS_REMOTE } else { 0 };
    sampled | HAS_IS_REMOTE | remote
}

/// Encodes one request holding `spans` into `out` (cleared first).
pub(crate) fn request(out: &mut Vec<u8>, resource: &Resource, spans: &[Box<SpanRecord>]) {
    out.clear();
    // ExportTraceServiceRequest.resource_spans = 1
    nested(out, 1, |out| {
        // ResourceSpans.resource = 1
        nested(out, 1, |out| {
            for (key, value) in &resource.attributes {
                // Resource.attributes = 1
                key_value(out, 1, key, ValueRef::Str(value));
            }
        });
        // ResourceSpans.scope_spans = 2
        nested(out, 2, |out| {
            // ScopeSpans.scope = 1
            nested(out, 1, |out| {
                string(out, 1, SCOPE_NAME);
                string(out, 2, SCOPE_VERSION);
            });
            for record in spans {
                // ScopeSpans.spans = 2
                nested(out, 2, |out| span(out, record));
            }
        });
    });
}

fn span(out: &mut Vec<u8>, record: &SpanRecord) {
    bytes(out, 1, &record.trace_id);
    bytes(out, 2, &record.span_id);
    string(out, 3, &record.trace_state);
    if record.parent_span_id != [0; 8] {
        bytes(out, 4, &record.parent_span_id);
    }
    string(out, 5, record.name());
    varint_field(out, 6, record.kind as u64);
    fixed64(out, 7, record.start_unix_nanos);
    fixed64(out, 8, record.end_unix_nanos);
    if let Some(code) = record.code {
        key_value(out, 9, "code.function.name", ValueRef::Str(code.function));
        key_value(out, 9, "code.file.path", ValueRef::Str(code.file));
        key_value(
            out,
            9,
            "code.line.number",
            ValueRef::Int(i64::from(code.line)),
        );
    }
    attributes(out, 9, &record.attrs);
    if record.attrs.dropped > 0 {
        varint_field(out, 10, u64::from(record.attrs.dropped));
    }
    for event in &record.events {
        // Span.events = 11
        nested(out, 11, |out| {
            fixed64(out, 1, event.unix_nanos);
            string(out, 2, event.name);
            attributes(out, 3, &event.attrs);
            if event.attrs.dropped > 0 {
                varint_field(out, 4, u64::from(event.attrs.dropped));
            }
        });
    }
    if record.status as u8 != 0 || !record.status_message.is_empty() {
        // Span.status = 15: message = 2, code = 3
        nested(out, 15, |out| {
            string(out, 2, &record.status_message);
            varint_field(out, 3, record.status as u64);
        });
    }
    fixed32(out, 16, flags(record));
}

fn attributes(out: &mut Vec<u8>, field: u32, attrs: &Attrs) {
    for (key, value) in attrs.iter() {
        key_value(out, field, key, value);
    }
}

/// A `KeyValue` (`key = 1`, `value = 2` an `AnyValue`) as field `field` of its parent.
fn key_value(out: &mut Vec<u8>, field: u32, key: &str, value: ValueRef<'_>) {
    nested(out, field, |out| {
        string(out, 1, key);
        nested(out, 2, |out| match value {
            // AnyValue: string_value = 1, bool_value = 2, int_value = 3, double_value = 4.
            // Written even when empty or zero: the value is set, and is that value.
            ValueRef::Str(text) => {
                tag(out, 1, LENGTH_DELIMITED);
                varint(out, text.len() as u64);
                out.extend_from_slice(text.as_bytes());
            }
            ValueRef::Bool(value) => {
                tag(out, 2, VARINT);
                varint(out, u64::from(value));
            }
            ValueRef::Int(value) => {
                tag(out, 3, VARINT);
                // int64: two's complement as a 64-bit varint.
                #[allow(clippy::cast_sign_loss)]
                varint(out, value as u64);
            }
            ValueRef::Double(value) => {
                tag(out, 4, FIXED64);
                out.extend_from_slice(&value.to_bits().to_le_bytes());
            }
        });
    });
}

const VARINT: u8 = 0;
const FIXED64: u8 = 1;
const LENGTH_DELIMITED: u8 = 2;
const FIXED32: u8 = 5;

#[inline]
fn tag(out: &mut Vec<u8>, field: u32, wire_type: u8) {
    varint(out, u64::from(field << 3 | u32::from(wire_type)));
}

#[inline]
fn varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        // The low seven bits, with the continuation bit.
        #[allow(clippy::cast_possible_truncation)]
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    #[allow(clippy::cast_possible_truncation)]
    out.push(value as u8);
}

fn varint_field(out: &mut Vec<u8>, field: u32, value: u64) {
    if value != 0 {
        tag(out, field, VARINT);
        varint(out, value);
    }
}

fn fixed64(out: &mut Vec<u8>, field: u32, value: u64) {
    if value != 0 {
        tag(out, field, FIXED64);
        out.extend_from_slice(&value.to_le_bytes());
    }
}

fn fixed32(out: &mut Vec<u8>, field: u32, value: u32) {
    if value != 0 {
        tag(out, field, FIXED32);
        out.extend_from_slice(&value.to_le_bytes());
    }
}

fn bytes(out: &mut Vec<u8>, field: u32, value: &[u8]) {
    if !value.is_empty() {
        tag(out, field, LENGTH_DELIMITED);
        varint(out, value.len() as u64);
        out.extend_from_slice(value);
    }
}

fn string(out: &mut Vec<u8>, field: u32, value: &str) {
    bytes(out, field, value.as_bytes());
}

/// A length-delimited field whose content `write` appends: a one-byte length is reserved in
/// front of the content and filled in after; a content of 128 bytes or more (a span, a batch)
/// is moved up by the extra bytes its length needs.
fn nested(out: &mut Vec<u8>, field: u32, write: impl FnOnce(&mut Vec<u8>)) {
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

#[cfg(test)]
mod tests {
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::common::v1::any_value::Value;
    use prost::Message as _;

    use super::super::attrs::AttrLimits;
    use super::*;

    /// Batches, spans and values of every length class (one-byte, two-byte and three-byte
    /// lengths) decode with the official types to what was recorded.
    #[test]
    fn requests_decode_with_the_official_types() {
        let limits = AttrLimits {
            count: 128,
            value_length: 1 << 20,
        };
        let spans: Vec<Box<SpanRecord>> = (0..600u32)
            .map(|i| {
                let mut record = Box::<SpanRecord>::default();
                record.trace_id = [7; 16];
                record.span_id = (u64::from(i) + 1).to_be_bytes();
                record.name = "work";
                record.start_unix_nanos = 1_000 + u64::from(i);
                record.end_unix_nanos = 2_000 + u64::from(i);
                record.sampled = true;
                let text = "x".repeat([0, 100, 200, 20_000][i as usize % 4]);
                record.attrs.set_str(limits, "text", &text);
                record.attrs.set_int(limits, "index", i64::from(i));
                record.attrs.set_bool(limits, "even", i % 2 == 0);
                record
            })
            .collect();
        let mut out = Vec::new();
        request(&mut out, &Resource::new("svc", "1.0", "test"), &spans);
        let decoded = ExportTraceServiceRequest::decode(out.as_slice()).expect("decodes");
        let resource = &decoded.resource_spans[0];
        let service = &resource.resource.as_ref().unwrap().attributes[0];
        assert_eq!(service.key, "service.name");
        let received = &resource.scope_spans[0].spans;
        assert_eq!(received.len(), 600);
        for (i, span) in received.iter().enumerate() {
            assert_eq!(span.span_id, (i as u64 + 1).to_be_bytes());
            assert_eq!(span.name, "work");
            assert_eq!(span.end_time_unix_nano, 2_000 + i as u64);
            let value = |key: &str| {
                span.attributes
                    .iter()
                    .find(|kv| kv.key == key)
                    .and_then(|kv| kv.value.as_ref()?.value.clone())
            };
            assert_eq!(
                value("text"),
                Some(Value::StringValue("x".repeat([0, 100, 200, 20_000][i % 4])))
            );
            assert_eq!(
                value("index"),
                Some(Value::IntValue(i64::try_from(i).unwrap()))
            );
            assert_eq!(value("even"), Some(Value::BoolValue(i % 2 == 0)));
        }
    }
}

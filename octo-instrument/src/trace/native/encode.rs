//! OTLP's `ExportTraceServiceRequest`, protobuf-encoded straight from the span records: the
//! message layout of `opentelemetry/proto/collector/trace/v1/trace_service.proto` (the
//! `opentelemetry-proto` types), written without building those types first, so encoding a
//! span is a walk over its record into one reused buffer. The tests decode what this writes with
//! `opentelemetry-proto`'s own types.

use super::attrs::Attrs;
use super::record::SpanRecord;
use crate::encode::protobuf::{
    AnyValue, bytes, fixed32, fixed64, key_value, nested, string, varint_field,
};
use crate::otlp::Resource;

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
        nested(out, 1, |out| resource.encode(out));
        // ResourceSpans.scope_spans = 2
        nested(out, 2, |out| {
            // ScopeSpans.scope = 1
            nested(out, 1, Resource::encode_scope);
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
        key_value(out, 9, "code.function.name", AnyValue::Str(code.function));
        key_value(out, 9, "code.file.path", AnyValue::Str(code.file));
        key_value(
            out,
            9,
            "code.line.number",
            AnyValue::Int(i64::from(code.line)),
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

//! Log lines as OTLP log records (`OTEL_LOGS_EXPORTER=otlp`): each line the layer writes also
//! becomes a `LogRecord` with the same content (its time, severity number and text, event name,
//! its trace and span ids, and every field of the line, the flattened span and contract fields
//! included, as a typed attribute; redacted values stay redacted, since they are read from the
//! line's own encoded values). The record is protobuf-encoded on the calling thread into a
//! reused buffer and queued for an export thread of its own, bounded in records and bytes;
//! records it must drop are counted in `octo_telemetry_dropped_total{signal="logs_otlp"}`.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::encode::json_read::{self as json, Read};
use crate::encode::protobuf::{
    AnyValue, any_value, bytes, fixed64, key_value, nested, string, varint_field,
};
use crate::otlp::exporter::{Batcher, Exporter, Released, within_request};
use crate::otlp::{OtlpSettings, Resource};

/// What one line holds, besides its fields.
pub(crate) struct Record<'a> {
    pub(crate) time: SystemTime,
    /// `debug`, `info`, `warning`, `error` or `critical`.
    pub(crate) level: &'a str,
    /// The line's `event`, as JSON.
    pub(crate) event: &'a str,
    /// The line's `message` field where it has one besides its event, as JSON.
    pub(crate) message: Option<&'a str>,
    pub(crate) logger: &'a str,
    pub(crate) ids: Option<([u8; 16], [u8; 8])>,
}

/// The OTLP severity number of a level (the specification's first number of each range).
fn severity_number(level: &str) -> u64 {
    match level {
        "debug" => 5,
        "info" => 9,
        "warning" => 13,
        "error" => 17,
        "critical" => 21,
        _ => 0,
    }
}

/// Buffers reused from record to record on a calling thread.
#[derive(Default)]
pub(crate) struct Scratch {
    record: Vec<u8>,
    text: String,
}

/// Encodes `record` with its fields (visited by `fields`, each key with its JSON value) as a
/// `ScopeLogs.log_records` entry into `scratch`, and returns it.
pub(crate) fn encode<'s>(
    scratch: &'s mut Scratch,
    record: &Record<'_>,
    fields: impl FnOnce(&mut dyn FnMut(&str, &str)),
) -> &'s [u8] {
    let Scratch { record: out, text } = scratch;
    out.clear();
    let nanos = record
        .time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    // ScopeLogs.log_records = 2
    nested(out, 2, |out| {
        fixed64(out, 1, nanos);
        varint_field(out, 2, severity_number(record.level));
        string(out, 3, record.level);
        // LogRecord.body = 5: the message where the line has one, else its event.
        let body = record.message.unwrap_or(record.event);
        if let Some(body) = json::any(json::read(body, text)) {
            nested(out, 5, |out| any_value(out, body));
        }
        key_value(out, 6, "logger", AnyValue::Str(record.logger));
        fields(&mut |key, value| {
            if let Some(value) = json::any(json::read(value, text)) {
                key_value(out, 6, key, value);
            }
        });
        if let Some((trace_id, span_id)) = record.ids {
            bytes(out, 9, &trace_id);
            bytes(out, 10, &span_id);
        }
        fixed64(out, 11, nanos);
        if let Read::Str(event) = json::read(record.event, text) {
            string(out, 12, event);
        }
    });
    out
}

/// Encoded records waiting in a calling thread's batch.
#[derive(Default)]
pub(crate) struct Records {
    bytes: Vec<u8>,
    /// Each record's length and the batch it is counted in.
    frames: Vec<(u32, u8)>,
}

/// The queue in front of the log export thread.
pub(crate) struct LogExport {
    exporter: Exporter<Records>,
}

impl std::fmt::Debug for LogExport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogExport").finish_non_exhaustive()
    }
}

impl LogExport {
    /// Starts the export thread; at most `max_records` records and `max_bytes` wait for it.
    pub(crate) fn start(
        settings: &OtlpSettings,
        resource: Resource,
        max_records: usize,
        max_bytes: usize,
    ) -> Result<Self, String> {
        let batcher = LogBatcher {
            resource,
            bytes: Vec::new(),
            start: 0,
            frames: VecDeque::new(),
        };
        Ok(Self {
            exporter: Exporter::start(
                "octo-log-export",
                settings,
                batcher,
                max_records,
                max_bytes,
            )?,
        })
    }

    /// Queues an encoded record, or drops and counts it when the queue is full.
    pub(crate) fn send(&self, record: &[u8]) {
        let Ok(length) = u32::try_from(record.len()) else {
            return;
        };
        let _ = self
            .exporter
            .append(record, record.len(), |records, record, place| {
                records.bytes.extend_from_slice(record);
                #[allow(clippy::cast_possible_truncation)] // below `MAX_BATCHES`
                records.frames.push((length, place.index as u8));
            });
    }

    /// Exports everything queued so far; false when that took longer than `timeout`.
    pub(crate) fn flush(&self, timeout: Duration) -> bool {
        self.exporter.flush(timeout)
    }
}

/// The export thread's side: encoded records waiting for a request.
struct LogBatcher {
    resource: Resource,
    /// The waiting records, back to back from `start`.
    bytes: Vec<u8>,
    start: usize,
    frames: VecDeque<(u32, u8)>,
}

impl Batcher for LogBatcher {
    type Queued = Records;

    fn gather(&mut self, queued: &mut Records) {
        if self.frames.is_empty() {
            self.bytes.clear();
            self.start = 0;
        }
        self.bytes.extend_from_slice(&queued.bytes);
        self.frames.extend(queued.frames.drain(..));
        queued.bytes.clear();
    }

    fn waiting(&self) -> usize {
        self.frames.len()
    }

    fn encode(&mut self, out: &mut Vec<u8>, max: usize, released: &mut Released) -> usize {
        let count = within_request(self.frames.iter().map(|&(frame, _)| frame as usize), max);
        let mut length = 0;
        for &(frame, index) in self.frames.iter().take(count) {
            released.add(usize::from(index), frame as usize);
            length += frame as usize;
        }
        let records = &self.bytes[self.start..self.start + length];
        out.clear();
        // ExportLogsServiceRequest.resource_logs = 1
        nested(out, 1, |out| {
            // ResourceLogs.resource = 1
            nested(out, 1, |out| self.resource.encode(out));
            // ResourceLogs.scope_logs = 2
            nested(out, 2, |out| {
                // ScopeLogs.scope = 1; the records are already `log_records` (2) entries.
                nested(out, 1, Resource::encode_scope);
                out.extend_from_slice(records);
            });
        });
        self.frames.drain(..count);
        self.start += length;
        if self.frames.is_empty() {
            self.bytes.clear();
            self.start = 0;
        } else if self.start > self.bytes.len() / 2 {
            // Under steady load the buffer never empties: drop the part already sent.
            self.bytes.drain(..self.start);
            self.start = 0;
        }
        count
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
    use opentelemetry_proto::tonic::common::v1::any_value::Value;
    use prost::Message as _;

    use super::*;

    /// Records decode with the official types to what the line held, typed.
    #[test]
    fn records_decode_with_the_official_types() {
        let mut scratch = Scratch::default();
        let time = UNIX_EPOCH + Duration::from_nanos(1_700_000_000_123_456_789);
        let record = Record {
            time,
            level: "warning",
            event: "\"task.slow\"",
            message: None,
            logger: "octollm::orchestrator",
            ids: Some(([1; 16], [2; 8])),
        };
        let framed = encode(&mut scratch, &record, |visit| {
            visit("task.priority", "5");
            visit("ratio", "0.0015");
            visit("urgent", "true");
            visit("note", "\"a \\\"quoted\\\" note\"");
            visit("api_key", "\"[REDACTED]\"");
        })
        .to_vec();
        let mut batcher = LogBatcher {
            resource: Resource::new("svc", "1.0", "test"),
            bytes: Vec::new(),
            start: 0,
            frames: VecDeque::new(),
        };
        let mut queued = Records::default();
        for _ in 0..3 {
            queued.bytes.extend_from_slice(&framed);
            queued
                .frames
                .push((u32::try_from(framed.len()).unwrap(), 0));
        }
        batcher.gather(&mut queued);
        let mut out = Vec::new();
        let mut released = Released::default();
        assert_eq!(batcher.encode(&mut out, 2, &mut released), 2);
        assert_eq!(batcher.waiting(), 1);
        let decoded = ExportLogsServiceRequest::decode(out.as_slice()).expect("decodes");
        let records = &decoded.resource_logs[0].scope_logs[0].log_records;
        assert_eq!(records.len(), 2);
        let first = &records[0];
        assert_eq!(first.time_unix_nano, 1_700_000_000_123_456_789);
        assert_eq!(first.observed_time_unix_nano, first.time_unix_nano);
        assert_eq!(first.severity_number, 13);
        assert_eq!(first.severity_text, "warning");
        assert_eq!(first.event_name, "task.slow");
        assert_eq!(first.trace_id, vec![1; 16]);
        assert_eq!(first.span_id, vec![2; 8]);
        let attribute = |key: &str| {
            first
                .attributes
                .iter()
                .find(|kv| kv.key == key)
                .and_then(|kv| kv.value.as_ref()?.value.clone())
        };
        assert_eq!(attribute("task.priority"), Some(Value::IntValue(5)));
        assert_eq!(attribute("ratio"), Some(Value::DoubleValue(0.0015)));
        assert_eq!(attribute("urgent"), Some(Value::BoolValue(true)));
        assert_eq!(
            attribute("note"),
            Some(Value::StringValue("a \"quoted\" note".into()))
        );
        assert_eq!(
            attribute("api_key"),
            Some(Value::StringValue("[REDACTED]".into()))
        );
        assert_eq!(
            attribute("logger"),
            Some(Value::StringValue("octollm::orchestrator".into()))
        );
    }
}

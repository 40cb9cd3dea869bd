//! The SDK pipeline's side of span export: finished spans go to the same OTLP export thread as
//! the native pipeline's ([`Exporter`]: bounded in spans and bytes, one transport with TLS and
//! gzip, failures counted and reported once), converted to the OTLP messages with
//! `opentelemetry-proto`'s own conversion when they are encoded.
//!
//! Why not the SDK's `BatchSpanProcessor` and `opentelemetry-otlp`: the processor drops silently
//! when its queue is full (the count appears only in a log line at shutdown), the gRPC exporter
//! needs a Tokio runtime that outlives it, the HTTP exporter's client logs into the service's
//! subscriber, and neither reads the specification's certificate variables.

use std::sync::Arc;
use std::time::Duration;

use opentelemetry::Context as OtelContext;
use opentelemetry::{KeyValue, StringValue, Value};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
use opentelemetry_proto::transform::trace::tonic::group_spans_by_resource_and_scope;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{Span, SpanData, SpanProcessor};
use prost::Message as _;

use octo_instrument_core::families::signals;

use crate::otlp::OtlpSettings;
use crate::otlp::exporter::{Batcher, Exporter, Released, within_request};

/// Finished spans waiting in a calling thread's batch, each with its bytes and batch index.
#[derive(Default)]
pub(crate) struct Queued {
    spans: Vec<(SpanData, usize, usize)>,
}

/// The span processor in front of the export thread.
#[derive(Clone, Debug)]
pub(crate) struct ExportQueue {
    exporter: Arc<Exporter<Queued>>,
}

impl ExportQueue {
    /// Starts the export thread; at most `max_spans` spans and `max_bytes` wait for it.
    pub(crate) fn start(
        settings: &OtlpSettings,
        resource: &Resource,
        max_spans: usize,
        max_bytes: usize,
    ) -> Result<Self, String> {
        let batcher = SdkBatcher {
            resource: ResourceAttributesWithSchema::from(resource),
            waiting: Vec::new(),
        };
        Ok(Self {
            exporter: Arc::new(Exporter::start(
                "octo-span-export",
                settings,
                batcher,
                max_spans,
                max_bytes,
            )?),
        })
    }

    /// Exports everything queued so far; false when that took longer than `timeout`.
    pub(crate) fn flush(&self, timeout: Duration) -> bool {
        self.exporter.flush(timeout)
    }
}

impl SpanProcessor for ExportQueue {
    fn on_start(&self, _span: &mut Span, _cx: &OtelContext) {}

    fn on_end(&self, mut span: SpanData) {
        if !span.span_context.is_sampled() {
            return;
        }
        // Values recorded as `tracing` fields reach the span uncut; the queue keeps them cut.
        let cut = limit_values(&mut span, crate::limits::span_value_length());
        if cut > 0 {
            crate::prom::truncated(signals::SPANS).inc_by(cut);
        }
        let size = span_size(&span);
        // A span the queue has no room for is counted as dropped by the exporter.
        let _ = self.exporter.append(span, size, |queued, span, place| {
            queued.spans.push((span, size, place.index));
        });
    }

    fn force_flush(&self) -> OTelSdkResult {
        if self.flush(Duration::from_secs(5)) {
            Ok(())
        } else {
            Err(OTelSdkError::Timeout(Duration::from_secs(5)))
        }
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        if self.flush(timeout) {
            Ok(())
        } else {
            Err(OTelSdkError::Timeout(timeout))
        }
    }
}

/// The export thread's side: SDK spans waiting for a request.
struct SdkBatcher {
    resource: ResourceAttributesWithSchema,
    waiting: Vec<(SpanData, usize, usize)>,
}

impl Batcher for SdkBatcher {
    type Queued = Queued;

    fn gather(&mut self, queued: &mut Queued) {
        self.waiting.append(&mut queued.spans);
    }

    fn waiting(&self) -> usize {
        self.waiting.len()
    }

    fn encode(&mut self, out: &mut Vec<u8>, max: usize, released: &mut Released) -> usize {
        let count = within_request(self.waiting.iter().map(|(_, size, _)| *size), max);
        let spans = self
            .waiting
            .drain(..count)
            .map(|(span, size, index)| {
                released.add(index, size);
                span
            })
            .collect();
        let request = ExportTraceServiceRequest {
            resource_spans: group_spans_by_resource_and_scope(spans, &self.resource),
        };
        out.clear();
        // Encoding into a `Vec` cannot run out of room.
        let _ = request.encode(out);
        count
    }
}

/// Cuts every string value of the span (attributes, event attributes) longer than `max`
/// characters; returns how many were cut.
fn limit_values(span: &mut SpanData, max: usize) -> u64 {
    let mut cut = 0;
    let mut limit_one = |text: &mut StringValue| {
        if let std::borrow::Cow::Owned(shorter) = crate::limits::cut(text.as_str(), max) {
            *text = StringValue::from(shorter);
            cut += 1;
        }
    };
    let mut limit = |attributes: &mut Vec<KeyValue>| {
        for attribute in attributes {
            match &mut attribute.value {
                Value::String(text) => limit_one(text),
                Value::Array(opentelemetry::Array::String(texts)) => {
                    texts.iter_mut().for_each(&mut limit_one);
                }
                _ => {}
            }
        }
    };
    limit(&mut span.attributes);
    for event in &mut span.events.events {
        limit(&mut event.attributes);
    }
    cut
}

/// What a queued span holds, in bytes: its strings plus a fixed allowance for the rest.
fn span_size(span: &SpanData) -> usize {
    fn attributes(list: &[KeyValue]) -> usize {
        list.iter()
            .map(|kv| {
                let value = match &kv.value {
                    Value::String(text) => text.as_str().len(),
                    Value::Array(opentelemetry::Array::String(texts)) => {
                        texts.iter().map(|t| t.as_str().len() + 24).sum()
                    }
                    Value::Array(_) => 64,
                    _ => 8,
                };
                kv.key.as_str().len() + value + 48
            })
            .sum()
    }
    const FIXED: usize = 256;
    FIXED
        + span.name.len()
        + attributes(&span.attributes)
        + span
            .events
            .events
            .iter()
            .map(|e| e.name.len() + attributes(&e.attributes) + 64)
            .sum::<usize>()
        + span
            .links
            .links
            .iter()
            .map(|l| attributes(&l.attributes) + 64)
            .sum::<usize>()
}

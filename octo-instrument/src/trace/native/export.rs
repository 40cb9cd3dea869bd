//! The native pipeline's side of span export: finished sampled span records go to the OTLP
//! export thread ([`Exporter`]), which encodes them straight from the records. Records go back
//! to the pool once encoded, so the calling threads allocate none.

use std::time::Duration;

use super::encode;
use super::record::{Pool, SpanRecord};
use crate::otlp::exporter::{Batcher, Exporter, Released, within_request};
use crate::otlp::{OtlpSettings, Resource};

/// Finished spans waiting in a calling thread's batch.
#[derive(Default)]
pub(crate) struct Spans {
    /// Boxed so that a record moves between the caller, the queue, the batch and the pool as a
    /// pointer, never as a copy of its inline attribute arrays.
    #[allow(clippy::vec_box)]
    records: Vec<Box<SpanRecord>>,
}

/// The queue in front of the export thread.
pub(crate) struct ExportQueue {
    exporter: Exporter<Spans>,
    pool: Pool,
}

impl std::fmt::Debug for ExportQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportQueue").finish_non_exhaustive()
    }
}

impl ExportQueue {
    /// Starts the export thread; at most `max_spans` spans and `max_bytes` wait for it.
    pub(crate) fn start(
        settings: &OtlpSettings,
        resource: Resource,
        max_spans: usize,
        max_bytes: usize,
        pool: Pool,
    ) -> Result<Self, String> {
        let batcher = SpanBatcher {
            resource,
            pool: pool.clone(),
            waiting: Vec::new(),
        };
        Ok(Self {
            exporter: Exporter::start("octo-span-export", settings, batcher, max_spans, max_bytes)?,
            pool,
        })
    }

    /// Queues a finished span, or drops and counts it when the queue is full.
    #[inline]
    pub(crate) fn send(&self, record: Box<SpanRecord>) {
        let size = record.bytes();
        let queued = self
            .exporter
            .append(record, size, |spans, mut record, place| {
                record.queue_slot = place.index;
                spans.records.push(record);
            });
        if let Err(record) = queued {
            self.pool.give(record);
        }
    }

    /// Exports everything queued so far; false when that took longer than `timeout`.
    pub(crate) fn flush(&self, timeout: Duration) -> bool {
        self.exporter.flush(timeout)
    }
}

/// The export thread's side: span records waiting for a request.
struct SpanBatcher {
    resource: Resource,
    pool: Pool,
    #[allow(clippy::vec_box)]
    waiting: Vec<Box<SpanRecord>>,
}

impl Batcher for SpanBatcher {
    type Queued = Spans;

    fn gather(&mut self, queued: &mut Spans) {
        self.waiting.append(&mut queued.records);
    }

    fn waiting(&self) -> usize {
        self.waiting.len()
    }

    fn encode(&mut self, out: &mut Vec<u8>, max: usize, released: &mut Released) -> usize {
        let count = within_request(self.waiting.iter().map(|record| record.bytes()), max);
        encode::request(out, &self.resource, &self.waiting[..count]);
        for record in self.waiting.drain(..count) {
            released.add(record.queue_slot, record.bytes());
            self.pool.give(record);
        }
        count
    }
}

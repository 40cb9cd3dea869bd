//! The native export queue: finished sampled spans are handed to a thread of their own
//! ([`Handoff`]: no wake-up per span, no lock or counter that calling threads share), bounded in
//! bytes; that thread encodes them in batches and sends them. A collector that is down,
//! unreachable or hanging costs the service nothing but the spans it could not take, counted in
//! `octo_telemetry_dropped_total{signal="spans"}`, with one `telemetry.export.failed` warning (and
//! `telemetry.export.recovered` after). The thread owns its runtime and client, so it works from
//! a plain `main` as from `#[tokio::main]`, and a flush never waits on the caller's runtime.
//! Records go back to the pool once sent, so the calling threads allocate none.

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::encode::{self, Resource};
use super::record::{Pool, SpanRecord};
use super::transport::Transport;
use crate::handoff::Handoff;
use crate::trace::export_health::{ExportHealth, quiet};
use crate::trace::otlp::OtlpSettings;

/// Spans per export request.
const MAX_BATCH: usize = 512;
/// How long a span waits, at most, before its batch is sent.
const SCHEDULED_DELAY: Duration = Duration::from_secs(1);
/// Export requests in flight at once: the next batch is gathered and encoded while others
/// travel, and a collector that reads late does not stop the queue from draining.
const MAX_IN_FLIGHT: usize = 2;
/// The handoff's batches at most (`handoff::MAX_BATCHES`).
const MAX_QUEUE_SLOTS: usize = crate::handoff::MAX_BATCHES;
/// How long the thread waits between rounds while spans keep coming.
const ROUND_INTERVAL: Duration = Duration::from_millis(2);
/// Bytes a queue batch is given at least.
const MIN_QUEUE_BATCH_BYTES: usize = 1024 * 1024;

/// Finished spans waiting in the calling threads' batches, with their bytes.
#[derive(Default)]
struct Spans {
    /// Boxed so that a record moves between the caller, the queue, the batch and the pool as a
    /// pointer, never as a copy of its inline attribute arrays.
    #[allow(clippy::vec_box)]
    records: Vec<Box<SpanRecord>>,
}

/// The queue in front of the export thread.
pub(crate) struct ExportQueue {
    handoff: Arc<Handoff<Spans>>,
    dropped: prometheus::IntCounter,
    pool: Pool,
}

impl std::fmt::Debug for ExportQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportQueue").finish_non_exhaustive()
    }
}

impl ExportQueue {
    /// Starts the export thread, which builds its client; returns once it is built, with the
    /// error if it could not be. At most `max_spans` spans and `max_bytes` wait for the thread
    /// (the batch it gathers included); `MAX_IN_FLIGHT` requests more may be on their way.
    pub(crate) fn start(
        settings: &OtlpSettings,
        resource: Resource,
        max_spans: usize,
        max_bytes: usize,
        pool: Pool,
    ) -> Result<Self, String> {
        // Spans count against the queue until they are encoded: the queue's bounds cover the
        // batch the thread is gathering too.
        let handoff = Arc::new(
            Handoff::new(max_bytes, max_spans, MIN_QUEUE_BATCH_BYTES).held_until_released(),
        );
        let (ready_tx, ready_rx) = std::sync::mpsc::sync_channel(1);
        let dropped = crate::prom::dropped("spans");
        let worker = Worker {
            settings: settings.clone(),
            resource,
            handoff: handoff.clone(),
            pool: pool.clone(),
            spares: handoff.spares(),
            batch: Vec::with_capacity(MAX_BATCH),
            oldest: None,
            buffer: Vec::new(),
            health: ExportHealth::new(&settings.endpoint),
        };
        let handle = thread::Builder::new()
            .name("octo-span-export".into())
            .spawn(move || worker.run(&ready_tx))
            .map_err(|err| format!("cannot start the span export thread: {err}"))?;
        handoff.set_worker(handle.thread().clone());
        ready_rx
            .recv()
            .map_err(|_| "the span export thread stopped while starting".to_owned())??;
        Ok(Self {
            handoff,
            dropped,
            pool,
        })
    }

    /// Queues a finished span, or drops and counts it when the queue is full.
    #[inline]
    pub(crate) fn send(&self, record: Box<SpanRecord>) {
        let size = record.bytes();
        let queued = self
            .handoff
            .append(record, size, |spans, mut record, place| {
                record.queue_slot = place.index;
                spans.records.push(record);
            });
        if let Err(record) = queued {
            self.dropped.inc();
            self.pool.give(record);
        }
    }

    /// Exports everything queued so far; false when that took longer than `timeout`.
    pub(crate) fn flush(&self, timeout: Duration) -> bool {
        self.handoff.flush(timeout)
    }
}

impl Drop for ExportQueue {
    /// The thread exports what is left and stops; not waited for (the guard's flush waits).
    fn drop(&mut self) {
        self.handoff.close();
    }
}

/// The export thread's state.
struct Worker {
    settings: OtlpSettings,
    resource: Resource,
    handoff: Arc<Handoff<Spans>>,
    pool: Pool,
    /// Empty batches, swapped for the calling threads' full ones.
    spares: Vec<Spans>,
    /// Spans taken and not yet exported.
    #[allow(clippy::vec_box)]
    batch: Vec<Box<SpanRecord>>,
    /// When the oldest span in `batch` was taken.
    oldest: Option<Instant>,
    /// The encoded request, reused.
    buffer: Vec<u8>,
    health: ExportHealth,
}

/// An export request on its way, and the spans it carries.
type InFlight = tokio::task::JoinHandle<(Result<(), String>, u64)>;

impl Worker {
    /// The export thread: batches spans and hands requests to a runtime of its own, whose one
    /// thread (`octo-span-export-io`) carries them with `tracing` silenced.
    fn run(mut self, ready: &std::sync::mpsc::SyncSender<Result<(), String>>) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("octo-span-export-io")
            .on_thread_start(silence_this_thread)
            .enable_all()
            .build();
        let runtime = match runtime {
            Ok(runtime) => runtime,
            Err(err) => {
                let _ = ready.send(Err(format!("cannot start the export runtime: {err}")));
                return;
            }
        };
        let transport = quiet(|| {
            let _entered = runtime.enter();
            Transport::new(&self.settings)
        });
        match transport {
            Ok(transport) => {
                let _ = ready.send(Ok(()));
                self.serve(&runtime, &Arc::new(transport));
            }
            Err(err) => {
                let _ = ready.send(Err(err));
            }
        }
    }

    /// Takes spans as they come and exports them in batches, with up to `MAX_IN_FLIGHT`
    /// requests at once, until the queue closes.
    fn serve(&mut self, runtime: &tokio::runtime::Runtime, transport: &Arc<Transport>) {
        let mut in_flight: Vec<InFlight> = Vec::with_capacity(MAX_IN_FLIGHT);
        loop {
            let asked = self.handoff.flush_asked();
            let closed = self.handoff.closed();
            let taken = self.take();
            while self.batch.len() >= MAX_BATCH {
                self.export(runtime, transport, &mut in_flight);
            }
            let due = self
                .oldest
                .is_some_and(|oldest| oldest.elapsed() >= SCHEDULED_DELAY);
            if due || closed || self.handoff.flush_waiting() {
                while !self.batch.is_empty() {
                    self.export(runtime, transport, &mut in_flight);
                }
                for request in in_flight.drain(..) {
                    self.finished(runtime.block_on(request));
                }
                self.handoff.flushed(asked);
            }
            if closed {
                return;
            }
            self.collect(runtime, &mut in_flight);
            if taken > 0 {
                // Busy: back after a pause, or sooner when a batch passes half its share.
                Handoff::<Spans>::pause(ROUND_INTERVAL);
            } else {
                let wait = self
                    .oldest
                    .map(|oldest| SCHEDULED_DELAY.saturating_sub(oldest.elapsed()));
                self.handoff.sleep(wait);
            }
        }
    }

    /// Moves the queued spans into the batch; returns how many.
    fn take(&mut self) -> usize {
        let taken = self.handoff.take(&mut self.spares);
        for spans in &mut self.spares {
            if !spans.records.is_empty() && self.oldest.is_none() {
                self.oldest = Some(Instant::now());
            }
            self.batch.append(&mut spans.records);
        }
        taken
    }

    /// Encodes up to `MAX_BATCH` spans of the batch, the oldest first, and sends them, after
    /// waiting for the oldest request in flight to end if `MAX_IN_FLIGHT` are.
    fn export(
        &mut self,
        runtime: &tokio::runtime::Runtime,
        transport: &Arc<Transport>,
        in_flight: &mut Vec<InFlight>,
    ) {
        let count = self.batch.len().min(MAX_BATCH);
        if count == 0 {
            return;
        }
        self.collect(runtime, in_flight);
        if in_flight.len() >= MAX_IN_FLIGHT {
            let oldest = in_flight.remove(0);
            self.finished(runtime.block_on(oldest));
        }
        encode::request(&mut self.buffer, &self.resource, &self.batch[..count]);
        let body = Bytes::copy_from_slice(&self.buffer);
        // Encoded: the spans leave the queue's bounds (the request in flight is bounded by
        // `MAX_IN_FLIGHT` batches).
        let mut released = [(0usize, 0usize); MAX_QUEUE_SLOTS];
        for record in self.batch.drain(..count) {
            let slot = &mut released[record.queue_slot % MAX_QUEUE_SLOTS];
            slot.0 += record.bytes();
            slot.1 += 1;
            self.pool.give(record);
        }
        for (index, (bytes, items)) in released.into_iter().enumerate() {
            if items > 0 {
                self.handoff.release(index, bytes, items);
            }
        }
        self.oldest = (!self.batch.is_empty()).then(Instant::now);
        let transport = transport.clone();
        in_flight.push(runtime.spawn(async move { (transport.send(body).await, count as u64) }));
    }

    /// Reports the requests that have ended.
    fn collect(&mut self, runtime: &tokio::runtime::Runtime, in_flight: &mut Vec<InFlight>) {
        let mut index = 0;
        while index < in_flight.len() {
            if in_flight[index].is_finished() {
                let request = in_flight.remove(index);
                self.finished(runtime.block_on(request));
            } else {
                index += 1;
            }
        }
    }

    /// A request ended.
    fn finished(&mut self, done: Result<(Result<(), String>, u64), tokio::task::JoinError>) {
        match done {
            Ok((result, count)) => self.health.report(result, count),
            Err(err) => self
                .health
                .report(Err(format!("the export task failed: {err}")), 0),
        }
    }
}

/// Silences `tracing` for good on the export runtime's thread, where the client's crates run.
fn silence_this_thread() {
    std::mem::forget(tracing::subscriber::set_default(
        tracing::subscriber::NoSubscriber::new(),
    ));
}

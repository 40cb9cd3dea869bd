//! The export thread of one signal: calling threads append to a [`Handoff`] (no wake-up per
//! item, no lock or counter they share), bounded in items and bytes; the thread gathers what they
//! queued, encodes it in batches ([`Batcher`], one per kind of item) and sends the requests on a
//! runtime of its own. A collector that is down, unreachable, hanging or failing verification
//! costs the service nothing but what it could not take, counted in
//! `octo_telemetry_dropped_total{signal}`, with one `telemetry.export.failed` warning (and
//! `telemetry.export.recovered` after). The thread owns its runtime and client, so it works from
//! a plain `main` as from `#[tokio::main]`, and a flush never waits on the caller's runtime.

use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::OtlpSettings;
use super::health::{ExportHealth, quiet, silence_this_thread};
use super::transport::Transport;
use crate::handoff::{Handoff, MAX_BATCHES, Place};

/// Items per export request.
pub(crate) const MAX_BATCH: usize = 512;
/// Bytes of items in one export request at most (past its first item), well under the 4 MiB a
/// gRPC server takes by default: a batch of failed spans with long messages and cause chains
/// must not be refused whole.
pub(crate) const MAX_REQUEST_BYTES: usize = 2 * 1024 * 1024;
/// How long an item waits, at most, before its batch is sent.
const SCHEDULED_DELAY: Duration = Duration::from_secs(1);
/// Export requests in flight at once: the next batch is gathered and encoded while others
/// travel, and a collector that reads late does not stop the queue from draining.
const MAX_IN_FLIGHT: usize = 2;
/// How long the thread waits between rounds while items keep coming.
const ROUND_INTERVAL: Duration = Duration::from_millis(2);
/// Bytes a queue batch is given at least.
const MIN_QUEUE_BATCH_BYTES: usize = 1024 * 1024;

/// One kind of exported item: how the export thread takes it from the calling threads' batches
/// and makes requests of it.
pub(crate) trait Batcher: Send + 'static {
    /// A calling thread's batch in the handoff.
    type Queued: Default + Send + 'static;

    /// Moves the items of `queued` (a batch just taken from the handoff) to those waiting for a
    /// request, leaving it empty for reuse.
    fn gather(&mut self, queued: &mut Self::Queued);

    /// Items waiting for a request.
    fn waiting(&self) -> usize;

    /// Encodes the oldest waiting items, at most `max` of them and [`MAX_REQUEST_BYTES`] (at
    /// least one), as one export request into `out` (cleared first), telling `released` the
    /// batch and bytes each came from; returns how many it encoded.
    fn encode(&mut self, out: &mut Vec<u8>, max: usize, released: &mut Released) -> usize;
}

/// How many of the items whose sizes `sizes` gives (oldest first) go into one request: at most
/// `max`, and at most [`MAX_REQUEST_BYTES`] together, but at least one.
pub(crate) fn within_request(sizes: impl Iterator<Item = usize>, max: usize) -> usize {
    let mut count = 0;
    let mut bytes = 0;
    for size in sizes.take(max) {
        if count > 0 && bytes + size > MAX_REQUEST_BYTES {
            break;
        }
        count += 1;
        bytes += size;
    }
    count
}

/// The bytes and items encoded from each handoff batch, to give back to its budget.
#[derive(Default)]
pub(crate) struct Released([(usize, usize); MAX_BATCHES]);

impl Released {
    /// One item of `bytes` from batch `index` was encoded.
    pub(crate) fn add(&mut self, index: usize, bytes: usize) {
        let slot = &mut self.0[index % MAX_BATCHES];
        slot.0 += bytes;
        slot.1 += 1;
    }
}

/// The queue in front of one export thread.
pub(crate) struct Exporter<Q: Default + Send + 'static> {
    handoff: Arc<Handoff<Q>>,
    dropped: prometheus::IntCounter,
    /// When a flush last timed out with its collector (see [`flush`](Self::flush)).
    stuck_at: Mutex<Option<Instant>>,
}

/// How long a flush waits once an earlier one found the collector not answering: the shutdown
/// helper's flush and then the guard's would otherwise each wait their whole timeout for the
/// same hanging collector, and a container's stop would take twice as long.
const STUCK_GRACE: Duration = Duration::from_millis(250);
/// How long a stuck collector is remembered: one back later gets whole flushes again.
const STUCK_MEMORY: Duration = Duration::from_secs(30);
/// The least time a flush must have had for its timing out to mark the collector stuck (a flush
/// given no time says nothing about it).
const STUCK_MIN_TIMEOUT: Duration = Duration::from_secs(1);

impl<Q: Default + Send + 'static> std::fmt::Debug for Exporter<Q> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exporter").finish_non_exhaustive()
    }
}

impl<Q: Default + Send + 'static> Exporter<Q> {
    /// Starts the export thread `name`, which builds its client; returns once it is built, with
    /// the error if it could not be. At most `max_items` items and `max_bytes` wait for the
    /// thread, the batch it is gathering included (they count until encoded); `MAX_IN_FLIGHT`
    /// requests more may be on their way.
    pub(crate) fn start<B: Batcher<Queued = Q>>(
        name: &str,
        settings: &OtlpSettings,
        batcher: B,
        max_items: usize,
        max_bytes: usize,
    ) -> Result<Self, String> {
        let handoff = Arc::new(
            Handoff::new(max_bytes, max_items, MIN_QUEUE_BATCH_BYTES).held_until_released(),
        );
        let (ready_tx, ready_rx) = std::sync::mpsc::sync_channel(1);
        let worker = Worker {
            name: name.to_owned(),
            settings: settings.clone(),
            batcher,
            handoff: handoff.clone(),
            spares: handoff.spares(),
            oldest: None,
            buffer: Vec::new(),
            health: ExportHealth::new(&settings.endpoint, settings.signal),
        };
        let handle = thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || worker.run(&ready_tx))
            .map_err(|err| format!("cannot start the export thread {name}: {err}"))?;
        handoff.set_worker(handle.thread().clone());
        ready_rx
            .recv()
            .map_err(|_| format!("the export thread {name} stopped while starting"))??;
        Ok(Self {
            handoff,
            dropped: crate::prom::dropped(settings.signal.dropped_label()),
            stuck_at: Mutex::new(None),
        })
    }

    /// Queues `item`, `bytes` long, with `add`; when the queue is full it is counted as dropped
    /// and given back.
    #[inline]
    pub(crate) fn append<T>(
        &self,
        item: T,
        bytes: usize,
        add: impl FnOnce(&mut Q, T, Place),
    ) -> Result<(), T> {
        let queued = self.handoff.append(item, bytes, add);
        if queued.is_err() {
            self.dropped.inc();
        }
        queued
    }

    /// Exports everything queued so far; false when that took longer than `timeout`. Once a
    /// flush has timed out with the collector, the flushes of the next
    /// [`STUCK_MEMORY`] wait at most [`STUCK_GRACE`].
    pub(crate) fn flush(&self, timeout: Duration) -> bool {
        let recently_stuck = self
            .stuck_lock()
            .is_some_and(|at| at.elapsed() < STUCK_MEMORY);
        let timeout = if recently_stuck {
            timeout.min(STUCK_GRACE)
        } else {
            timeout
        };
        // No lock is held while waiting.
        let done = self.handoff.flush(timeout);
        let mut stuck_at = self.stuck_lock();
        if done {
            *stuck_at = None;
        } else if timeout >= STUCK_MIN_TIMEOUT {
            *stuck_at = Some(Instant::now());
        }
        done
    }

    fn stuck_lock(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.stuck_at.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<Q: Default + Send + 'static> Drop for Exporter<Q> {
    /// The thread exports what is left and stops; not waited for (the guard's flush waits).
    fn drop(&mut self) {
        self.handoff.close();
    }
}

/// The export thread's state.
struct Worker<B: Batcher> {
    name: String,
    settings: OtlpSettings,
    batcher: B,
    handoff: Arc<Handoff<B::Queued>>,
    /// Empty batches, swapped for the calling threads' full ones.
    spares: Vec<B::Queued>,
    /// When the oldest waiting item was taken.
    oldest: Option<Instant>,
    /// The encoded request, reused.
    buffer: Vec<u8>,
    health: ExportHealth,
}

/// An export request on its way, and the items it carries.
type InFlight = tokio::task::JoinHandle<(Result<(), String>, u64)>;

impl<B: Batcher> Worker<B> {
    /// The export thread: batches items and hands requests to a runtime of its own, whose one
    /// thread (`<name>-io`) carries them with `tracing` silenced.
    fn run(mut self, ready: &std::sync::mpsc::SyncSender<Result<(), String>>) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name(format!("{}-io", self.name))
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

    /// Takes items as they come and exports them in batches, with up to `MAX_IN_FLIGHT`
    /// requests at once, until the queue closes.
    fn serve(&mut self, runtime: &tokio::runtime::Runtime, transport: &Arc<Transport>) {
        let mut in_flight: Vec<InFlight> = Vec::with_capacity(MAX_IN_FLIGHT);
        loop {
            let asked = self.handoff.flush_asked();
            let closed = self.handoff.closed();
            let taken = self.take();
            while self.batcher.waiting() >= MAX_BATCH {
                self.export(runtime, transport, &mut in_flight);
            }
            let due = self
                .oldest
                .is_some_and(|oldest| oldest.elapsed() >= SCHEDULED_DELAY);
            if due || closed || self.handoff.flush_waiting() {
                while self.batcher.waiting() > 0 {
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
                Handoff::<B::Queued>::pause(ROUND_INTERVAL);
            } else {
                let wait = self
                    .oldest
                    .map(|oldest| SCHEDULED_DELAY.saturating_sub(oldest.elapsed()));
                self.handoff.sleep(wait);
            }
        }
    }

    /// Moves the queued items to the waiting ones; returns how many.
    fn take(&mut self) -> usize {
        let taken = self.handoff.take(&mut self.spares);
        for queued in &mut self.spares {
            self.batcher.gather(queued);
        }
        if self.oldest.is_none() && self.batcher.waiting() > 0 {
            self.oldest = Some(Instant::now());
        }
        taken
    }

    /// Encodes up to `MAX_BATCH` waiting items, the oldest first, and sends them, after waiting
    /// for the oldest request in flight to end if `MAX_IN_FLIGHT` are.
    fn export(
        &mut self,
        runtime: &tokio::runtime::Runtime,
        transport: &Arc<Transport>,
        in_flight: &mut Vec<InFlight>,
    ) {
        if self.batcher.waiting() == 0 {
            return;
        }
        self.collect(runtime, in_flight);
        if in_flight.len() >= MAX_IN_FLIGHT {
            let oldest = in_flight.remove(0);
            self.finished(runtime.block_on(oldest));
        }
        let mut released = Released::default();
        let count = self
            .batcher
            .encode(&mut self.buffer, MAX_BATCH, &mut released);
        let body = Bytes::copy_from_slice(&self.buffer);
        // Encoded: the items leave the queue's bounds (the request in flight is bounded by
        // `MAX_IN_FLIGHT` batches).
        for (index, (bytes, items)) in released.0.into_iter().enumerate() {
            if items > 0 {
                self.handoff.release(index, bytes, items);
            }
        }
        // Items left over keep the time of the oldest taken with them: they have waited that
        // long at most, and go out within `SCHEDULED_DELAY` of it.
        if self.batcher.waiting() == 0 {
            self.oldest = None;
        }
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

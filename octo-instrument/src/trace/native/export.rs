//! The native export queue: finished sampled spans go into a queue bounded in spans and bytes, and
//! a thread of its own encodes them in batches and sends them. A collector that is down,
//! unreachable or hanging costs the service nothing but the spans it could not take, counted in
//! `octo_telemetry_dropped_total{signal="spans"}`, with one `telemetry.export.failed` warning (and
//! `telemetry.export.recovered` after). The thread owns its runtime and client, so it works from
//! a plain `main` as from `#[tokio::main]`, and a flush never waits on the caller's runtime.
//! Records go back to the pool once sent, so the calling threads allocate none.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use bytes::Bytes;
use crossbeam_channel::{Receiver, Sender, TrySendError, bounded, select};

use super::encode::{self, Resource};
use super::record::{Pool, SpanRecord};
use super::transport::Transport;
use crate::trace::otlp::OtlpSettings;

/// Spans waiting for export; past this (or the byte budget), new spans are dropped and counted.
pub(crate) const QUEUE_CAPACITY: usize = 2048;
/// Spans per export request.
const MAX_BATCH: usize = 512;
/// How long a span waits, at most, before its batch is sent.
const SCHEDULED_DELAY: Duration = Duration::from_secs(1);

/// Asks of the export thread. It stops when the queue is dropped (its channels close).
enum Control {
    Flush(Sender<()>),
}

type Queued = (Box<SpanRecord>, usize);

/// The queue in front of the export thread.
pub(crate) struct ExportQueue {
    spans: Sender<Queued>,
    control: Sender<Control>,
    dropped: prometheus::IntCounter,
    /// Bytes of the spans queued or being exported.
    queued: Arc<AtomicUsize>,
    max_bytes: usize,
    pool: Pool,
}

impl std::fmt::Debug for ExportQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportQueue").finish_non_exhaustive()
    }
}

impl ExportQueue {
    /// Starts the export thread, which builds its client; returns once it is built, with the
    /// error if it could not be.
    pub(crate) fn start(
        settings: &OtlpSettings,
        resource: Resource,
        max_bytes: usize,
        pool: Pool,
    ) -> Result<Self, String> {
        let (spans, span_rx) = bounded(QUEUE_CAPACITY);
        let (control, control_rx) = bounded(16);
        let (ready_tx, ready_rx) = bounded(1);
        let dropped = crate::prom::dropped("spans");
        let queued = Arc::new(AtomicUsize::new(0));
        let worker = Worker {
            settings: settings.clone(),
            resource,
            dropped: dropped.clone(),
            queued: queued.clone(),
            pool: pool.clone(),
            batch: Vec::with_capacity(MAX_BATCH),
            batch_bytes: 0,
            buffer: Vec::new(),
            failing: false,
        };
        thread::Builder::new()
            .name("octo-span-export".into())
            .spawn(move || worker.run(&span_rx, &control_rx, &ready_tx))
            .map_err(|err| format!("cannot start the span export thread: {err}"))?;
        ready_rx
            .recv()
            .map_err(|_| "the span export thread stopped while starting".to_owned())??;
        Ok(Self {
            spans,
            control,
            dropped,
            queued,
            max_bytes,
            pool,
        })
    }

    /// Queues a finished span, or drops and counts it when the queue is full.
    #[inline]
    pub(crate) fn send(&self, record: Box<SpanRecord>) {
        let size = record.bytes();
        if self.queued.fetch_add(size, Ordering::Relaxed) + size > self.max_bytes {
            self.queued.fetch_sub(size, Ordering::Relaxed);
            self.dropped.inc();
            self.pool.give(record);
            return;
        }
        if let Err(TrySendError::Full((record, _)) | TrySendError::Disconnected((record, _))) =
            self.spans.try_send((record, size))
        {
            self.queued.fetch_sub(size, Ordering::Relaxed);
            self.dropped.inc();
            self.pool.give(record);
        }
    }

    fn ask(&self, message: impl FnOnce(Sender<()>) -> Control, timeout: Duration) -> bool {
        let (reply, done) = bounded(1);
        if self.control.send_timeout(message(reply), timeout).is_err() {
            return false;
        }
        done.recv_timeout(timeout).is_ok()
    }

    /// Exports everything queued so far; false when that took longer than `timeout`.
    pub(crate) fn flush(&self, timeout: Duration) -> bool {
        self.ask(Control::Flush, timeout)
    }
}

/// The export thread's state.
struct Worker {
    settings: OtlpSettings,
    resource: Resource,
    dropped: prometheus::IntCounter,
    queued: Arc<AtomicUsize>,
    pool: Pool,
    /// Boxed so that a record moves between the caller, the queue, the batch and the pool as a
    /// pointer, never as a copy of its inline attribute arrays.
    #[allow(clippy::vec_box)]
    batch: Vec<Box<SpanRecord>>,
    /// Bytes of the spans in `batch`.
    batch_bytes: usize,
    /// The encoded request, reused.
    buffer: Vec<u8>,
    failing: bool,
}

impl Worker {
    fn run(
        mut self,
        spans: &Receiver<Queued>,
        control: &Receiver<Control>,
        ready: &Sender<Result<(), String>>,
    ) {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
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
        let mut transport = match transport {
            Ok(transport) => {
                let _ = ready.send(Ok(()));
                transport
            }
            Err(err) => {
                let _ = ready.send(Err(err));
                return;
            }
        };
        let mut deadline = Instant::now() + SCHEDULED_DELAY;
        loop {
            let wait = deadline.saturating_duration_since(Instant::now());
            select! {
                recv(spans) -> span => {
                    let Ok((span, size)) = span else { break };
                    self.push(span, size);
                    if self.batch.len() >= MAX_BATCH {
                        self.export(&runtime, &mut transport);
                        deadline = Instant::now() + SCHEDULED_DELAY;
                    }
                }
                recv(control) -> message => {
                    self.drain(spans, &runtime, &mut transport);
                    match message {
                        Ok(Control::Flush(reply)) => {
                            let _ = reply.send(());
                        }
                        Err(_) => break,
                    }
                }
                default(wait) => {
                    self.export(&runtime, &mut transport);
                    deadline = Instant::now() + SCHEDULED_DELAY;
                }
            }
        }
    }

    fn push(&mut self, span: Box<SpanRecord>, size: usize) {
        self.batch.push(span);
        self.batch_bytes += size;
    }

    /// Exports every span queued now, in batches.
    fn drain(
        &mut self,
        spans: &Receiver<Queued>,
        runtime: &tokio::runtime::Runtime,
        transport: &mut Transport,
    ) {
        while let Ok((span, size)) = spans.try_recv() {
            self.push(span, size);
            if self.batch.len() >= MAX_BATCH {
                self.export(runtime, transport);
            }
        }
        self.export(runtime, transport);
    }

    fn export(&mut self, runtime: &tokio::runtime::Runtime, transport: &mut Transport) {
        if self.batch.is_empty() {
            return;
        }
        encode::request(&mut self.buffer, &self.resource, &self.batch);
        let count = self.batch.len() as u64;
        let body = Bytes::copy_from_slice(&self.buffer);
        let result = quiet(|| runtime.block_on(transport.send(body)));
        // The batch's bytes leave the budget once the export is over, whatever its result.
        self.queued.fetch_sub(self.batch_bytes, Ordering::Relaxed);
        self.batch_bytes = 0;
        for record in self.batch.drain(..) {
            self.pool.give(record);
        }
        self.report(result, count);
    }

    /// One line when exports start failing, one when they recover; never one per batch.
    fn report(&mut self, result: Result<(), String>, count: u64) {
        let endpoint = &self.settings.endpoint;
        match result {
            Ok(()) if self.failing => {
                self.failing = false;
                tracing::info!(
                    target: "octo_instrument::trace",
                    event = "telemetry.export.recovered",
                    endpoint = %endpoint,
                );
            }
            Ok(()) => {}
            Err(err) => {
                self.dropped.inc_by(count);
                if !self.failing {
                    self.failing = true;
                    tracing::warn!(
                        target: "octo_instrument::trace",
                        event = "telemetry.export.failed",
                        endpoint = %endpoint,
                        error = %err,
                        dropped_spans = count,
                    );
                }
            }
        }
    }
}

/// Runs `f` with `tracing` silenced on this thread: the client's own crates (tonic, hyper, h2)
/// log and open spans through `tracing`, and must not reach the service's subscriber, or
/// exporting spans would make spans (and a failing collector would flood the service's logs).
fn quiet<R>(f: impl FnOnce() -> R) -> R {
    tracing::subscriber::with_default(tracing::subscriber::NoSubscriber::new(), f)
}

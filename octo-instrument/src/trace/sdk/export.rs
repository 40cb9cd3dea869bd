//! The export queue: finished spans go into a bounded queue and a dedicated thread sends them
//! to the collector in batches. A collector that is down, unreachable or hanging costs the
//! service nothing but the spans it could not take, and those are counted in
//! `octo_telemetry_dropped_total{signal="spans"}`.
//!
//! Why not the SDK's `BatchSpanProcessor`: it drops silently when its queue is full (the count
//! appears only in a log line at shutdown), and the gRPC exporter needs a Tokio runtime that
//! outlives it. Here the thread owns its runtime and its exporter, so `init()` works from a
//! plain `main` as well as from `#[tokio::main]`, and flushing never waits on the caller's
//! runtime.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, JoinHandle, Thread};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TrySendError, bounded, select};
use opentelemetry::Context as OtelContext;
use opentelemetry::{KeyValue, StringValue, Value};
use opentelemetry_otlp::{Protocol, SpanExporter, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{Span, SpanData, SpanExporter as _, SpanProcessor};

use crate::trace::export_health::{ExportHealth, quiet};
use crate::trace::otlp::{OtlpProtocol, OtlpSettings};

/// Spans per export request.
const MAX_BATCH: usize = 512;
/// How long a span waits, at most, before its batch is sent.
const SCHEDULED_DELAY: Duration = Duration::from_secs(1);

enum Control {
    Flush(Sender<()>),
    Shutdown(Sender<()>),
}

/// A finished span and the bytes it holds, as the queue counts them.
type Queued = (SpanData, usize);

/// The span processor in front of the export thread.
#[derive(Clone, Debug)]
pub(crate) struct ExportQueue {
    spans: Sender<Queued>,
    control: Sender<Control>,
    dropped: prometheus::IntCounter,
    /// Bytes of the spans queued or being exported.
    queued: Arc<AtomicUsize>,
    max_bytes: usize,
    thread: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Flush(_) => "Flush",
            Self::Shutdown(_) => "Shutdown",
        })
    }
}

impl ExportQueue {
    /// Starts the export thread, which builds the exporter; returns once it is built, with the
    /// exporter's error if it could not be. At most `max_spans` spans and `max_bytes` wait.
    pub(crate) fn start(
        settings: &OtlpSettings,
        resource: Resource,
        max_spans: usize,
        max_bytes: usize,
    ) -> Result<Self, String> {
        let (spans, span_rx) = bounded(max_spans);
        let (control, control_rx) = bounded(16);
        let (ready_tx, ready_rx) = bounded(1);
        let settings = settings.clone();
        let dropped = crate::prom::dropped("spans");
        let queued = Arc::new(AtomicUsize::new(0));
        let worker_queued = queued.clone();
        let thread = thread::Builder::new()
            .name("octo-span-export".into())
            .spawn(move || {
                let worker = match Worker::build(&settings, &resource, worker_queued) {
                    Ok(worker) => {
                        let _ = ready_tx.send(Ok(()));
                        worker
                    }
                    Err(err) => {
                        let _ = ready_tx.send(Err(err));
                        return;
                    }
                };
                worker.run(&span_rx, &control_rx);
            })
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
            thread: Arc::new(Mutex::new(Some(thread))),
        })
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

impl SpanProcessor for ExportQueue {
    fn on_start(&self, _span: &mut Span, _cx: &OtelContext) {}

    fn on_end(&self, mut span: SpanData) {
        if !span.span_context.is_sampled() {
            return;
        }
        // Values recorded as `tracing` fields reach the span uncut; the queue keeps them cut.
        let cut = limit_values(&mut span, crate::limits::span_value_length());
        if cut > 0 {
            crate::prom::truncated("spans").inc_by(cut);
        }
        let size = span_size(&span);
        if self.queued.fetch_add(size, Ordering::Relaxed) + size > self.max_bytes {
            self.queued.fetch_sub(size, Ordering::Relaxed);
            self.dropped.inc();
            return;
        }
        match self.spans.try_send((span, size)) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.queued.fetch_sub(size, Ordering::Relaxed);
                self.dropped.inc();
            }
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        if self.flush(Duration::from_secs(5)) {
            Ok(())
        } else {
            Err(OTelSdkError::Timeout(Duration::from_secs(5)))
        }
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        let done = self.ask(Control::Shutdown, timeout);
        if done && let Some(thread) = self.thread.lock().ok().and_then(|mut t| t.take()) {
            let _ = thread.join();
        }
        if done {
            Ok(())
        } else {
            Err(OTelSdkError::Timeout(timeout))
        }
    }
}

/// The export thread's state.
struct Worker {
    exporter: SpanExporter,
    /// The gRPC channel's runtime; `None` for HTTP, whose blocking client must not run inside
    /// one.
    runtime: Option<tokio::runtime::Runtime>,
    queued: Arc<AtomicUsize>,
    /// Bytes of the spans in the batch being gathered.
    batch_bytes: usize,
    health: ExportHealth,
}

impl Worker {
    fn build(
        settings: &OtlpSettings,
        resource: &Resource,
        queued: Arc<AtomicUsize>,
    ) -> Result<Self, String> {
        let (exporter, runtime) = match settings.protocol {
            OtlpProtocol::Grpc => {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|err| format!("cannot start the export runtime: {err}"))?;
                let exporter = {
                    let _entered = runtime.enter();
                    SpanExporter::builder()
                        .with_tonic()
                        .with_endpoint(&settings.endpoint)
                        .build()
                };
                (exporter, Some(runtime))
            }
            OtlpProtocol::HttpProtobuf => {
                let exporter = SpanExporter::builder()
                    .with_http()
                    .with_protocol(Protocol::HttpBinary)
                    .with_endpoint(&settings.endpoint)
                    .build();
                (exporter, None)
            }
        };
        let mut exporter = exporter.map_err(|err| err.to_string())?;
        exporter.set_resource(resource);
        Ok(Self {
            exporter,
            runtime,
            queued,
            batch_bytes: 0,
            health: ExportHealth::new(&settings.endpoint),
        })
    }

    fn run(mut self, spans: &Receiver<Queued>, control: &Receiver<Control>) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        let mut deadline = Instant::now() + SCHEDULED_DELAY;
        loop {
            let wait = deadline.saturating_duration_since(Instant::now());
            select! {
                recv(spans) -> span => {
                    let Ok((span, size)) = span else { break };
                    batch.push(span);
                    self.batch_bytes += size;
                    if batch.len() >= MAX_BATCH {
                        self.export(&mut batch);
                        deadline = Instant::now() + SCHEDULED_DELAY;
                    }
                }
                recv(control) -> message => {
                    self.drain(spans, &mut batch);
                    match message {
                        Ok(Control::Flush(reply)) => {
                            let _ = reply.send(());
                        }
                        Ok(Control::Shutdown(reply)) => {
                            let _ = self.exporter.shutdown();
                            let _ = reply.send(());
                            break;
                        }
                        Err(_) => break,
                    }
                }
                default(wait) => {
                    self.export(&mut batch);
                    deadline = Instant::now() + SCHEDULED_DELAY;
                }
            }
        }
    }

    /// Exports every span queued now, in batches.
    fn drain(&mut self, spans: &Receiver<Queued>, batch: &mut Vec<SpanData>) {
        while let Ok((span, size)) = spans.try_recv() {
            batch.push(span);
            self.batch_bytes += size;
            if batch.len() >= MAX_BATCH {
                self.export(batch);
            }
        }
        self.export(batch);
    }

    fn export(&mut self, batch: &mut Vec<SpanData>) {
        if batch.is_empty() {
            return;
        }
        let count = batch.len() as u64;
        let spans = std::mem::replace(batch, Vec::with_capacity(MAX_BATCH));
        // The batch's bytes leave the budget once the export is over, whatever its result:
        // until then they are still held.
        let bytes = std::mem::take(&mut self.batch_bytes);
        let result = quiet(|| {
            let export = self.exporter.export(spans);
            match &self.runtime {
                Some(runtime) => runtime.block_on(export),
                None => block_on(export),
            }
        });
        self.queued.fetch_sub(bytes, Ordering::Relaxed);
        self.health
            .report(result.map_err(|err| err.to_string()), count);
    }
}

/// Cuts every string value of the span (attributes, event attributes) longer than `max` bytes;
/// returns how many were cut.
fn limit_values(span: &mut SpanData, max: usize) -> u64 {
    let mut cut = 0;
    let mut limit = |attributes: &mut Vec<KeyValue>| {
        for attribute in attributes {
            match &mut attribute.value {
                Value::String(text) if text.as_str().len() > max => {
                    *text = StringValue::from(crate::limits::cut(text.as_str(), max).into_owned());
                    cut += 1;
                }
                Value::Array(opentelemetry::Array::String(texts)) => {
                    for text in texts.iter_mut().filter(|t| t.as_str().len() > max) {
                        *text =
                            StringValue::from(crate::limits::cut(text.as_str(), max).into_owned());
                        cut += 1;
                    }
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

/// Polls a future on this thread until it completes. The HTTP exporter's future does its
/// blocking I/O inside one poll, so nothing more elaborate is needed.
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(output) => return output,
            Poll::Pending => thread::park(),
        }
    }
}

//! Where finished lines go. The background sink never blocks the caller: lines go into a bounded
//! queue that a worker thread drains; when the queue is full the line is dropped and counted in
//! `octo_telemetry_dropped_total{signal="logs"}`. Line buffers are recycled through a pool, so a
//! steady stream of lines allocates nothing.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError, bounded};
use crossbeam_queue::ArrayQueue;

/// Lines queued before new ones are dropped.
const QUEUE_LINES: usize = 16_384;
/// Buffers kept for reuse; larger lines' buffers are freed rather than pooled.
const POOL_BUFFERS: usize = 1024;
const POOLED_CAPACITY: usize = 16 * 1024;

pub(crate) enum Sink {
    /// Written on the caller's thread under a lock: for tests and embedding.
    Direct(Mutex<Box<dyn Write + Send>>),
    Background(Arc<Background>),
}

impl Sink {
    pub(crate) fn direct(writer: impl Write + Send + 'static) -> Self {
        Self::Direct(Mutex::new(Box::new(writer)))
    }

    pub(crate) fn write_line(&self, line: &[u8]) {
        match self {
            Self::Direct(writer) => {
                let mut writer = writer
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let _ = writer.write_all(line);
                let _ = writer.flush();
            }
            Self::Background(background) => background.send(line),
        }
    }
}

enum Message {
    Line(Vec<u8>),
    Flush(Sender<()>),
}

/// The queue and the worker thread draining it into a writer.
pub(crate) struct Background {
    sender: Sender<Message>,
    pool: Arc<ArrayQueue<Vec<u8>>>,
    dropped: prometheus::IntCounter,
    _worker: JoinHandle<()>,
}

impl Background {
    pub(crate) fn spawn(
        name: &str,
        writer: impl Write + Send + 'static,
    ) -> std::io::Result<Arc<Self>> {
        let (sender, receiver) = bounded(QUEUE_LINES);
        let pool = Arc::new(ArrayQueue::new(POOL_BUFFERS));
        let worker = std::thread::Builder::new()
            .name(format!("octo-log-{name}"))
            .spawn({
                let pool = pool.clone();
                move || drain(&receiver, &pool, writer)
            })?;
        Ok(Arc::new(Self {
            sender,
            pool,
            dropped: crate::metrics::dropped("logs"),
            _worker: worker,
        }))
    }

    fn send(&self, line: &[u8]) {
        let mut buffer = self.pool.pop().unwrap_or_default();
        buffer.extend_from_slice(line);
        match self.sender.try_send(Message::Line(buffer)) {
            Ok(()) => {}
            Err(
                TrySendError::Full(Message::Line(mut buffer))
                | TrySendError::Disconnected(Message::Line(mut buffer)),
            ) => {
                self.dropped.inc();
                buffer.clear();
                let _ = self.pool.push(buffer);
            }
            Err(_) => unreachable!("only lines are sent with try_send"),
        }
    }

    /// Waits until every line queued so far is written and flushed, or `timeout` passes.
    /// Returns whether the flush completed.
    pub(crate) fn flush(&self, timeout: Duration) -> bool {
        let (ack, done) = bounded(1);
        if self
            .sender
            .send_timeout(Message::Flush(ack), timeout)
            .is_err()
        {
            return false;
        }
        done.recv_timeout(timeout).is_ok()
    }
}

fn drain(receiver: &Receiver<Message>, pool: &ArrayQueue<Vec<u8>>, mut writer: impl Write) {
    loop {
        let message = match receiver.try_recv() {
            Ok(message) => message,
            Err(_) => {
                // Queue empty: push what was written to the OS before waiting.
                let _ = writer.flush();
                match receiver.recv_timeout(Duration::from_secs(1)) {
                    Ok(message) => message,
                    Err(RecvTimeoutError::Timeout) => continue,
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            }
        };
        match message {
            Message::Line(mut buffer) => {
                // A failing writer (closed stdout, full disk) loses the line but never the
                // service; there is nowhere better to report it than the counter.
                let _ = writer.write_all(&buffer);
                if buffer.capacity() <= POOLED_CAPACITY {
                    buffer.clear();
                    let _ = pool.push(buffer);
                }
            }
            Message::Flush(ack) => {
                let _ = writer.flush();
                let _ = ack.send(());
            }
        }
    }
}

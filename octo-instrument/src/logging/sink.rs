//! Where finished lines go. The background sink never blocks the caller: lines go into a queue
//! bounded in lines and in bytes that a worker thread drains; a line that does not fit is dropped
//! and counted in `octo_telemetry_dropped_total{signal="logs"}`, and so is a line whose write
//! fails (a closed stdout, a full disk). A write that would block (`EAGAIN` on a non-blocking
//! stdout) is retried, not dropped. Line buffers are recycled through a pool, so a steady stream
//! of lines allocates nothing.

use std::io::{ErrorKind, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError, bounded};
use crossbeam_queue::ArrayQueue;

use crate::encode::json;
use crate::encode::timestamp::write_rfc3339;

/// Lines queued before new ones are dropped (the byte bound usually comes first).
const QUEUE_LINES: usize = 16_384;
/// Buffers kept for reuse; larger lines' buffers are freed rather than pooled.
const POOL_BUFFERS: usize = 256;
const POOLED_CAPACITY: usize = 8 * 1024;
/// Lines are written in batches of about this many bytes: one system call for many lines.
const BATCH_BYTES: usize = 64 * 1024;
/// The longest pause between retries of a write that would block.
const MAX_RETRY_PAUSE: Duration = Duration::from_millis(50);

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
                if writer
                    .write_all(line)
                    .and_then(|()| writer.flush())
                    .is_err()
                {
                    crate::prom::dropped("logs").inc();
                }
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
    /// Bytes of the lines queued and not yet written.
    queued: Arc<AtomicUsize>,
    max_bytes: usize,
    dropped: prometheus::IntCounter,
    _worker: JoinHandle<()>,
}

impl Background {
    /// Starts the worker writing to `writer`; `name` says which sink it is (`stdout`, `file`)
    /// in the thread's name and in the failure report.
    pub(crate) fn spawn(
        name: &'static str,
        writer: impl Write + Send + 'static,
        max_bytes: usize,
    ) -> std::io::Result<Arc<Self>> {
        let (sender, receiver) = bounded(QUEUE_LINES);
        let pool = Arc::new(ArrayQueue::new(POOL_BUFFERS));
        let queued = Arc::new(AtomicUsize::new(0));
        let dropped = crate::prom::dropped("logs");
        let mut worker = Worker {
            name,
            writer,
            pool: pool.clone(),
            queued: queued.clone(),
            dropped: dropped.clone(),
            batch: Vec::with_capacity(BATCH_BYTES * 2),
            line_ends: Vec::new(),
            failing: false,
        };
        let handle = std::thread::Builder::new()
            .name(format!("octo-log-{name}"))
            .spawn(move || worker.run(&receiver))?;
        Ok(Arc::new(Self {
            sender,
            pool,
            queued,
            max_bytes,
            dropped,
            _worker: handle,
        }))
    }

    fn send(&self, line: &[u8]) {
        let before = self.queued.fetch_add(line.len(), Ordering::Relaxed);
        if before + line.len() > self.max_bytes {
            self.queued.fetch_sub(line.len(), Ordering::Relaxed);
            self.dropped.inc();
            return;
        }
        let mut buffer = self.pool.pop().unwrap_or_default();
        buffer.extend_from_slice(line);
        match self.sender.try_send(Message::Line(buffer)) {
            Ok(()) => {}
            Err(
                TrySendError::Full(Message::Line(mut buffer))
                | TrySendError::Disconnected(Message::Line(mut buffer)),
            ) => {
                self.queued.fetch_sub(line.len(), Ordering::Relaxed);
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

/// The writer thread's state: the batch being filled and whether writes are failing.
struct Worker<W> {
    name: &'static str,
    writer: W,
    pool: Arc<ArrayQueue<Vec<u8>>>,
    queued: Arc<AtomicUsize>,
    dropped: prometheus::IntCounter,
    batch: Vec<u8>,
    /// Where each line of the batch ends, to count the lines a failed write lost.
    line_ends: Vec<usize>,
    /// A failure was reported and no write has succeeded since.
    failing: bool,
}

impl<W: Write> Worker<W> {
    fn run(&mut self, receiver: &Receiver<Message>) {
        loop {
            let message = match receiver.try_recv() {
                Ok(message) => message,
                Err(_) => {
                    // Queue empty: hand what was gathered to the OS before waiting.
                    self.write_batch();
                    match receiver.recv_timeout(Duration::from_secs(1)) {
                        Ok(message) => message,
                        Err(RecvTimeoutError::Timeout) => continue,
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
            };
            match message {
                Message::Line(mut buffer) => {
                    self.batch.extend_from_slice(&buffer);
                    self.line_ends.push(self.batch.len());
                    self.queued.fetch_sub(buffer.len(), Ordering::Relaxed);
                    if buffer.capacity() <= POOLED_CAPACITY {
                        buffer.clear();
                        let _ = self.pool.push(buffer);
                    }
                    if self.batch.len() >= BATCH_BYTES {
                        self.write_batch();
                    }
                }
                Message::Flush(ack) => {
                    self.write_batch();
                    let _ = self.writer.flush();
                    let _ = ack.send(());
                }
            }
        }
    }

    /// Writes the batch: retried while the writer would block, counted as dropped (each line
    /// not written in full) when it fails.
    fn write_batch(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let mut written = 0;
        let mut pause = Duration::from_millis(1);
        let mut failure = None;
        while written < self.batch.len() {
            match self.writer.write(&self.batch[written..]) {
                Ok(0) => {
                    failure = Some(std::io::Error::from(ErrorKind::WriteZero));
                    break;
                }
                Ok(n) => {
                    written += n;
                    pause = Duration::from_millis(1);
                }
                Err(err) if err.kind() == ErrorKind::Interrupted => {}
                Err(err) if err.kind() == ErrorKind::WouldBlock => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(MAX_RETRY_PAUSE);
                }
                Err(err) => {
                    failure = Some(err);
                    break;
                }
            }
        }
        match failure {
            None if self.failing => {
                self.failing = false;
                report(self.name, "telemetry.write.recovered", None);
            }
            None => {}
            Some(err) => {
                let lost = self.line_ends.iter().filter(|end| **end > written).count();
                self.dropped.inc_by(lost as u64);
                // One report when writes start failing, not one per line.
                if !self.failing {
                    self.failing = true;
                    report(self.name, "telemetry.write.failed", Some((&err, lost)));
                }
            }
        }
        self.batch.clear();
        self.line_ends.clear();
        if self.batch.capacity() > BATCH_BYTES * 4 {
            self.batch.shrink_to(BATCH_BYTES * 2);
        }
    }
}

/// A line in the log schema on stderr about the sink itself: there is nowhere else to say that
/// the log output is failing. Errors writing it are ignored: stderr may be gone too.
fn report(sink: &str, event: &str, failure: Option<(&std::io::Error, usize)>) {
    let identity = crate::identity::current();
    let mut line = String::with_capacity(256);
    line.push_str("{\"timestamp\":\"");
    write_rfc3339(&mut line, SystemTime::now());
    line.push_str("\",\"level\":");
    line.push_str(if failure.is_some() {
        "\"error\""
    } else {
        "\"info\""
    });
    line.push_str(",\"event\":");
    json::write_str(&mut line, event);
    line.push_str(",\"logger\":\"octo_instrument::logging\",\"service\":");
    json::write_str(&mut line, &identity.service);
    line.push_str(",\"environment\":");
    json::write_str(&mut line, &identity.environment);
    line.push_str(",\"version\":");
    json::write_str(&mut line, &identity.version);
    line.push_str(",\"sink\":");
    json::write_str(&mut line, sink);
    if let Some((error, lost)) = failure {
        line.push_str(",\"error\":");
        json::write_str(&mut line, &error.to_string());
        line.push_str(",\"dropped_lines\":");
        json::write_u64(&mut line, lost as u64);
    }
    line.push_str("}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::atomic::AtomicUsize;

    use super::*;

    /// Fails with `kind` for the first `failures` writes, then accepts at most `chunk` bytes per
    /// write.
    struct Flaky {
        kind: ErrorKind,
        failures: usize,
        chunk: usize,
        written: Arc<Mutex<Vec<u8>>>,
    }

    impl Write for Flaky {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.failures > 0 {
                self.failures -= 1;
                return Err(io::Error::from(self.kind));
            }
            let n = buf.len().min(self.chunk);
            self.written.lock().unwrap().extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn worker(kind: ErrorKind, failures: usize) -> (Worker<Flaky>, Arc<Mutex<Vec<u8>>>) {
        let written = Arc::new(Mutex::new(Vec::new()));
        let worker = Worker {
            name: "test",
            writer: Flaky {
                kind,
                failures,
                chunk: 7,
                written: written.clone(),
            },
            pool: Arc::new(ArrayQueue::new(4)),
            queued: Arc::new(AtomicUsize::new(0)),
            dropped: prometheus::IntCounter::new("t", "t").unwrap(),
            batch: Vec::new(),
            line_ends: Vec::new(),
            failing: false,
        };
        (worker, written)
    }

    fn push(worker: &mut Worker<Flaky>, line: &str) {
        worker.batch.extend_from_slice(line.as_bytes());
        worker.line_ends.push(worker.batch.len());
    }

    #[test]
    fn would_block_is_retried_and_partial_writes_resumed() {
        let (mut worker, written) = worker(ErrorKind::WouldBlock, 3);
        push(&mut worker, "first line\n");
        push(&mut worker, "second line\n");
        worker.write_batch();
        assert_eq!(&*written.lock().unwrap(), b"first line\nsecond line\n");
        assert_eq!(worker.dropped.get(), 0);
        assert!(!worker.failing);
    }

    #[test]
    fn failed_writes_count_every_line_not_written() {
        let (mut worker, _) = worker(ErrorKind::BrokenPipe, usize::MAX);
        for _ in 0..3 {
            push(&mut worker, "a line\n");
        }
        worker.write_batch();
        assert_eq!(worker.dropped.get(), 3);
        assert!(worker.failing);
        push(&mut worker, "another\n");
        worker.write_batch();
        assert_eq!(worker.dropped.get(), 4);
    }
}

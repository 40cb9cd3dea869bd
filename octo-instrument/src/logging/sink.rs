//! Where finished lines go. The background sink never blocks the caller and never wakes a thread
//! per line: a line is appended to one of a few buffers (the calling thread's own, most of the
//! time), and a writer thread takes whole buffers and writes each with one system call. Woken
//! only when it sleeps with nothing to do, it then keeps taking buffers every millisecond while
//! lines arrive. The buffers together hold at most the configured bytes; a line that fits in none
//! is dropped and counted in `octo_telemetry_dropped_total{signal="logs"}`, and so is a line whose
//! write fails (a closed stdout, a full disk). A write that would block (`EAGAIN` on a
//! non-blocking stdout) is retried, not dropped. Buffers keep their capacity, so a steady stream
//! of lines allocates nothing.

use std::io::{ErrorKind, Write};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use octo_instrument_core::families::signals;

use crate::encode::json;
use crate::encode::timestamp::write_rfc3339;
use crate::handoff::{Handoff, Place};

/// Bytes a buffer is given at least, so that a small budget is one buffer rather than many
/// tiny ones.
const MIN_BUFFER_BYTES: usize = 256 * 1024;
/// How long the writer waits between rounds while lines keep arriving: lines reach the output
/// this late at most, and a round writes everything gathered meanwhile in one call per buffer.
const ROUND_INTERVAL: Duration = Duration::from_millis(1);
/// A round that took at least this many bytes starts the next at once.
const FULL_ROUND_BYTES: usize = 64 * 1024;
/// A buffer whose capacity grew past this is shrunk after it is written, so that one burst does
/// not keep its memory for good.
const KEPT_CAPACITY: usize = 1024 * 1024;
/// The longest pause between retries of a write that would block.
const MAX_RETRY_PAUSE: Duration = Duration::from_millis(50);

/// How long a direct sink retries a write that would block before the line counts as dropped:
/// that sink writes on the caller's thread, which must not wait on a stalled reader for long.
const DIRECT_RETRY_LIMIT: Duration = Duration::from_millis(100);

pub(crate) enum Sink {
    /// Written on the caller's thread under a lock: for tests and embedding.
    Direct(Mutex<Output<Box<dyn Write + Send>>>),
    Background(Arc<Background>),
}

impl Sink {
    pub(crate) fn direct(writer: impl Write + Send + 'static) -> Self {
        Self::Direct(Mutex::new(Output::new(
            "writer",
            Box::new(writer),
            Some(DIRECT_RETRY_LIMIT),
        )))
    }

    pub(crate) fn write_line(&self, line: &[u8]) {
        match self {
            Self::Direct(output) => {
                let mut output = lock(output);
                output.write(line);
                if output.writer.flush().is_err() {
                    // A buffering writer that cannot flush has lost what it held.
                    output.dropped.inc();
                }
            }
            Self::Background(background) => background.send(line),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Appends a line to a buffer whose budget is `budget` bytes: grown within it, so a buffer's
/// capacity never passes it.
fn add_line(buffer: &mut Vec<u8>, line: &[u8], place: Place) {
    let budget = place.budget;
    let needed = buffer.len() + line.len();
    if needed > buffer.capacity() {
        let wanted = (needed * 2).max(4096).min(budget).max(needed);
        buffer.reserve_exact(wanted - buffer.len());
    }
    buffer.extend_from_slice(line);
}

/// The line buffers and the writer thread draining them into a writer.
pub(crate) struct Background {
    handoff: Arc<Handoff<Vec<u8>>>,
    dropped: prometheus::IntCounter,
    _worker: JoinHandle<()>,
}

impl Background {
    /// Starts the writer thread writing to `writer`, with at most `max_bytes` of lines waiting;
    /// `name` says which sink it is (`stdout`, `file`) in the thread's name and in the failure
    /// report.
    pub(crate) fn spawn(
        name: &'static str,
        writer: impl Write + Send + 'static,
        max_bytes: usize,
    ) -> std::io::Result<Arc<Self>> {
        let handoff = Arc::new(Handoff::new(max_bytes, usize::MAX, MIN_BUFFER_BYTES));
        let dropped = crate::prom::dropped(signals::LOGS);
        // The writer thread retries a blocked write for as long as it takes: lines wait in the
        // bounded buffers meanwhile, and callers never wait.
        let mut worker = Worker {
            output: Output::new(name, writer, None),
            handoff: handoff.clone(),
            spares: handoff.spares(),
        };
        let handle = std::thread::Builder::new()
            .name(format!("octo-log-{name}"))
            .spawn(move || worker.run())?;
        handoff.set_worker(handle.thread().clone());
        Ok(Arc::new(Self {
            handoff,
            dropped,
            _worker: handle,
        }))
    }

    fn send(&self, line: &[u8]) {
        if self.handoff.append(line, line.len(), add_line).is_err() {
            self.dropped.inc();
        }
    }

    /// Waits until every line queued so far is written and flushed, or `timeout` passes.
    /// Returns whether the flush completed.
    pub(crate) fn flush(&self, timeout: Duration) -> bool {
        self.handoff.flush(timeout)
    }
}

impl Drop for Background {
    /// The writer writes what is left and stops. Not waited for: a stalled output must not
    /// hang the service's exit (the guard's flush is what waits, with a timeout).
    fn drop(&mut self) {
        self.handoff.close();
    }
}

/// The writer thread's state.
struct Worker<W> {
    output: Output<W>,
    handoff: Arc<Handoff<Vec<u8>>>,
    /// Empty buffers, swapped for the full ones.
    spares: Vec<Vec<u8>>,
}

impl<W: Write> Worker<W> {
    fn run(&mut self) {
        loop {
            let asked = self.handoff.flush_asked();
            let closed = self.handoff.closed();
            let taken = self.round();
            if self.handoff.flush_waiting() || closed {
                let _ = self.output.writer.flush();
                self.handoff.flushed(asked);
            }
            if closed {
                return;
            }
            if taken >= FULL_ROUND_BYTES {
                continue;
            }
            if taken > 0 {
                Handoff::<Vec<u8>>::pause(ROUND_INTERVAL);
            } else {
                self.handoff.sleep(None);
            }
        }
    }

    /// Takes every buffer's lines and writes them; returns the bytes taken.
    fn round(&mut self) -> usize {
        let mut spares = std::mem::take(&mut self.spares);
        self.handoff.take(&mut spares);
        let mut taken = 0;
        for lines in &mut spares {
            taken += lines.len();
            self.output.write(lines);
            lines.clear();
            if lines.capacity() > KEPT_CAPACITY {
                lines.shrink_to(KEPT_CAPACITY / 4);
            }
        }
        self.spares = spares;
        taken
    }
}

/// A log output with its loss accounting: lines are retried while the output would block,
/// counted in `octo_telemetry_dropped_total{signal="logs"}` when a write fails, and a failure
/// is reported once on stderr (and its end once), not per line.
pub(crate) struct Output<W> {
    /// Which output it is (`stdout`, `file`, `writer`), in the report.
    name: &'static str,
    writer: W,
    dropped: prometheus::IntCounter,
    /// How long a write that would block is retried; `None`: until it goes through.
    retry_limit: Option<Duration>,
    /// A failure was reported and no write has succeeded since.
    failing: bool,
    /// The last write stopped inside a line.
    torn: bool,
}

impl<W: Write> Output<W> {
    fn new(name: &'static str, writer: W, retry_limit: Option<Duration>) -> Self {
        Self {
            name,
            writer,
            dropped: crate::prom::dropped(signals::LOGS),
            retry_limit,
            failing: false,
            torn: false,
        }
    }

    /// Writes `lines`: retried while the writer would block (up to the retry limit), counted
    /// as dropped (each line not written in full) when it fails.
    fn write(&mut self, lines: &[u8]) {
        if lines.is_empty() {
            return;
        }
        // End the fragment a failed write left, so that these lines start on their own and
        // parse (the fragment itself was counted as lost).
        if self.torn && self.writer.write_all(b"\n").is_ok() {
            self.torn = false;
        }
        let mut written = 0;
        let mut pause = Duration::from_millis(1);
        let mut waited = Duration::ZERO;
        let mut failure = None;
        while written < lines.len() {
            match self.writer.write(&lines[written..]) {
                Ok(0) => {
                    failure = Some(std::io::Error::from(ErrorKind::WriteZero));
                    break;
                }
                Ok(n) => {
                    written += n;
                    pause = Duration::from_millis(1);
                }
                Err(err) if err.kind() == ErrorKind::Interrupted => {}
                Err(err)
                    if err.kind() == ErrorKind::WouldBlock
                        && self.retry_limit.is_none_or(|limit| waited < limit) =>
                {
                    std::thread::sleep(pause);
                    waited += pause;
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
                // Every line ends with its newline (values inside are escaped): a line not
                // written in full is one whose newline was not.
                #[allow(clippy::naive_bytecount)] // once per failed write
                let lost = lines[written..].iter().filter(|b| **b == b'\n').count();
                self.dropped.inc_by(lost as u64);
                self.torn = written > 0 && lines[written - 1] != b'\n';
                // One report when writes start failing, not one per line.
                if !self.failing {
                    self.failing = true;
                    report(self.name, "telemetry.write.failed", Some((&err, lost)));
                }
            }
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

    use super::*;

    /// Fails with `kind` for the first `failures` writes, then accepts at most `chunk` bytes per
    /// write.
    struct Flaky {
        kind: ErrorKind,
        failures: usize,
        chunk: usize,
        written: Arc<Mutex<Vec<u8>>>,
        /// Succeeds this many more writes, then fails with `kind` for good.
        fail_after: Option<usize>,
    }

    impl Write for Flaky {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.failures > 0 {
                self.failures -= 1;
                return Err(io::Error::from(self.kind));
            }
            match &mut self.fail_after {
                Some(0) => return Err(io::Error::from(self.kind)),
                Some(left) => *left -= 1,
                None => {}
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
        let handoff = Arc::new(Handoff::new(128, usize::MAX, 64));
        let mut output = Output::new(
            "test",
            Flaky {
                kind,
                failures,
                chunk: 7,
                written: written.clone(),
                fail_after: None,
            },
            None,
        );
        output.dropped = prometheus::IntCounter::new("t", "t").unwrap();
        let worker = Worker {
            output,
            spares: handoff.spares(),
            handoff,
        };
        (worker, written)
    }

    fn append(worker: &Worker<Flaky>, line: &[u8]) {
        worker.handoff.append(line, line.len(), add_line).unwrap();
    }

    #[test]
    fn would_block_is_retried_and_partial_writes_resumed() {
        let (mut worker, written) = worker(ErrorKind::WouldBlock, 3);
        append(&worker, b"first line\n");
        append(&worker, b"second line\n");
        assert_eq!(worker.round(), 23);
        assert_eq!(&*written.lock().unwrap(), b"first line\nsecond line\n");
        assert_eq!(worker.output.dropped.get(), 0);
        assert!(!worker.output.failing);
    }

    #[test]
    fn failed_writes_count_every_line_not_written() {
        let (mut worker, _) = worker(ErrorKind::BrokenPipe, usize::MAX);
        for _ in 0..3 {
            append(&worker, b"a line\n");
        }
        worker.round();
        assert_eq!(worker.output.dropped.get(), 3);
        assert!(worker.output.failing);
        append(&worker, b"another\n");
        worker.round();
        assert_eq!(worker.output.dropped.get(), 4);
    }

    #[test]
    fn a_direct_output_retries_a_blocked_write_for_a_while_then_counts_it() {
        let written = Arc::new(Mutex::new(Vec::new()));
        let flaky = |failures| Flaky {
            kind: ErrorKind::WouldBlock,
            failures,
            chunk: 4,
            written: written.clone(),
            fail_after: None,
        };
        let mut output = Output::new("writer", flaky(3), Some(DIRECT_RETRY_LIMIT));
        output.dropped = prometheus::IntCounter::new("t", "t").unwrap();
        output.write(b"one line\n");
        assert_eq!(&*written.lock().unwrap(), b"one line\n");
        assert_eq!(output.dropped.get(), 0);

        // A reader that never drains: the caller's thread gives up after the limit.
        let mut output = Output::new("writer", flaky(usize::MAX), Some(DIRECT_RETRY_LIMIT));
        output.dropped = prometheus::IntCounter::new("t", "t").unwrap();
        output.write(b"a\nb\n");
        assert_eq!(output.dropped.get(), 2);
        assert!(output.failing);

        // A write that stops inside a line: the next line starts on a line of its own.
        let written = Arc::new(Mutex::new(Vec::new()));
        let mut output = Output::new(
            "writer",
            Flaky {
                kind: ErrorKind::BrokenPipe,
                failures: 0,
                chunk: 4,
                written: written.clone(),
                // Accepts 4 bytes, then fails.
                fail_after: Some(1),
            },
            Some(DIRECT_RETRY_LIMIT),
        );
        output.dropped = prometheus::IntCounter::new("t", "t").unwrap();
        output.write(b"first line\n");
        assert_eq!(output.dropped.get(), 1);
        assert!(output.torn);
        output.writer.fail_after = None;
        output.write(b"second\n");
        assert_eq!(&*written.lock().unwrap(), b"firs\nsecond\n");
    }

    #[test]
    fn buffers_grow_within_their_budget() {
        let mut buffer = Vec::new();
        for _ in 0..10 {
            add_line(
                &mut buffer,
                &[b'x'; 5],
                Place {
                    index: 0,
                    budget: 64,
                },
            );
        }
        assert_eq!(buffer.len(), 50);
        assert!(buffer.capacity() <= 64, "{}", buffer.capacity());
    }

    #[test]
    fn lines_from_threads_are_written_and_flush_waits_for_them() {
        let written = Arc::new(Mutex::new(Vec::new()));
        let writer = Flaky {
            kind: ErrorKind::Other,
            failures: 0,
            chunk: usize::MAX,
            written: written.clone(),
            fail_after: None,
        };
        let background = Background::spawn("test", writer, 1 << 20).unwrap();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let background = background.clone();
                std::thread::spawn(move || {
                    for i in 0..1000 {
                        background.send(format!("{t} {i}\n").as_bytes());
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert!(background.flush(Duration::from_secs(10)));
        let text = String::from_utf8(written.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 4000);
        for t in 0..4 {
            let numbers: Vec<u32> = text
                .lines()
                .filter_map(|l| l.strip_prefix(&format!("{t} ")))
                .map(|n| n.parse().unwrap())
                .collect();
            assert_eq!(numbers, (0..1000).collect::<Vec<_>>(), "one thread's order");
        }
        // An idle writer is woken by the next line.
        std::thread::sleep(Duration::from_millis(20));
        background.send(b"late\n");
        assert!(background.flush(Duration::from_secs(10)));
        assert!(written.lock().unwrap().ends_with(b"late\n"));
    }
}

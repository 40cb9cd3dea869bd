//! A minimal `/metrics` listener for services without an HTTP stack. Each connection is served on
//! a thread of its own, within deadlines and with a cap on the request head, so neither idle
//! connections nor a slow client can make a scrape wait: Prometheus gets its answer in time and
//! `ServiceDown` stays quiet on a healthy service. When every slot is taken, the connection that
//! has waited longest for its request head gives its slot to the new one (or, when none is
//! waiting, the oldest answer running over two seconds), so a client holding connections open,
//! idle or not reading, cannot lock a scrape out either.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long one connection may take to send its request head.
const HEAD_DEADLINE: Duration = Duration::from_secs(5);
/// How long writing the answer may take, in all.
const WRITE_DEADLINE: Duration = Duration::from_secs(10);
/// How long the client's leftovers are read after the answer, in all.
const DRAIN_DEADLINE: Duration = Duration::from_secs(1);
/// The longest request head read; longer heads get `431`.
const MAX_HEAD_BYTES: usize = 8 * 1024;
/// Connections served at once (Prometheus opens one per target). Past it the oldest connection
/// still sending its head, or else the oldest slow answer, is closed for the new one; the new
/// one is answered `503` when there is neither.
const MAX_CONNECTIONS: usize = 64;

/// A running `/metrics` listener; dropping it stops the listener.
///
/// ```
/// use std::io::{Read, Write};
///
/// let server = octo_instrument::metrics::serve("127.0.0.1:0").unwrap();
/// let mut stream = std::net::TcpStream::connect(server.local_addr()).unwrap();
/// stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
/// let mut response = String::new();
/// stream.read_to_string(&mut response).unwrap();
/// assert!(response.starts_with("HTTP/1.1 200 OK"));
/// assert!(response.contains("# TYPE event_duration_seconds histogram"));
/// ```
pub struct MetricsServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl MetricsServer {
    /// Starts serving what `render` returns at `GET /metrics`.
    pub(crate) fn start(addr: impl ToSocketAddrs, render: Render) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::Builder::new()
            .name("octo-metrics".into())
            .spawn({
                let stop = stop.clone();
                move || accept(&listener, &stop, render)
            })?;
        Ok(Self {
            addr,
            stop,
            thread: Some(thread),
        })
    }

    /// The address the listener is bound to (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // Wake the blocking accept so the thread sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn accept(listener: &TcpListener, stop: &AtomicBool, render: Render) {
    let active = Arc::new(AtomicUsize::new(0));
    let open = Arc::new(OpenConnections::default());
    for stream in listener.incoming() {
        if stop.load(Ordering::Acquire) {
            break;
        }
        let Ok(stream) = stream else { continue };
        if active.load(Ordering::Acquire) >= MAX_CONNECTIONS && !open.evict() {
            // Every slot is answering a scrape in time: this one is told so and closed.
            refuse(stream);
            continue;
        }
        // Known before its thread runs, so a burst of connections can be evicted at once.
        let Some(ticket) = open.add(&stream) else {
            continue;
        };
        active.fetch_add(1, Ordering::AcqRel);
        let slot = active.clone();
        let connections = open.clone();
        let spawned = std::thread::Builder::new()
            .name("octo-metrics-conn".into())
            .spawn(move || {
                let _ = respond(stream, render, &connections, ticket);
                connections.remove(ticket);
                slot.fetch_sub(1, Ordering::AcqRel);
            });
        if spawned.is_err() {
            // The closure never ran: release its slot.
            open.remove(ticket);
            active.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// Answers `503` with `Retry-After` without waiting for the client: the socket is made
/// non-blocking, so the accept loop never stalls on it, and whatever does not fit is dropped.
fn refuse(mut stream: TcpStream) {
    if stream.set_nonblocking(true).is_ok() {
        let _ = stream.write_all(
            b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\n\
              Connection: close\r\n\r\n",
        );
    }
}

/// How long an answer may be in progress before a new connection may take its slot: a client
/// that sends a request and then reads nothing holds its connection no longer than this once
/// the slots run out.
const SLOW_ANSWER: Duration = Duration::from_secs(2);

/// The open connections, oldest first, for the accept loop to choose one to close when every
/// slot is taken.
#[derive(Default)]
struct OpenConnections {
    next: AtomicU64,
    list: Mutex<VecDeque<Connection>>,
}

struct Connection {
    ticket: u64,
    /// A handle on its socket, to close it from the accept loop.
    stream: TcpStream,
    /// When it connected, or when its answer started.
    since: Instant,
    answering: bool,
}

impl OpenConnections {
    /// Adds a connection and returns its ticket.
    fn add(&self, stream: &TcpStream) -> Option<u64> {
        let stream = stream.try_clone().ok()?;
        let ticket = self.next.fetch_add(1, Ordering::Relaxed);
        self.lock().push_back(Connection {
            ticket,
            stream,
            since: Instant::now(),
            answering: false,
        });
        Some(ticket)
    }

    /// The connection's head is in: from now on it is evicted only if its answer is slow.
    fn answering(&self, ticket: u64) {
        if let Some(connection) = self.lock().iter_mut().find(|c| c.ticket == ticket) {
            connection.answering = true;
            connection.since = Instant::now();
        }
    }

    fn remove(&self, ticket: u64) {
        self.lock().retain(|c| c.ticket != ticket);
    }

    /// Closes one connection for a newcomer: the one that has waited longest for its head, or
    /// else the oldest answer taking longer than [`SLOW_ANSWER`]; false when there is none.
    fn evict(&self) -> bool {
        let mut list = self.lock();
        if let Some(index) = list.iter().position(|c| !c.answering) {
            let waiting = list.remove(index).expect("found");
            // Only its reading side: a head read ends at once, while a connection whose head
            // arrived meanwhile still writes its answer.
            let _ = waiting.stream.shutdown(std::net::Shutdown::Read);
            return true;
        }
        if let Some(index) = list.iter().position(|c| c.since.elapsed() >= SLOW_ANSWER) {
            let slow = list.remove(index).expect("found");
            let _ = slow.stream.shutdown(std::net::Shutdown::Both);
            return true;
        }
        false
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Connection>> {
        self.list.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What answers a scrape: the `Accept` header in, the `Content-Type` and body out.
pub(crate) type Render = fn(Option<&str>) -> (&'static str, String);

/// What the request head says, as far as this server cares.
struct Head {
    method: String,
    path: String,
    accept: Option<String>,
}

enum HeadError {
    TooLarge,
    Unreadable,
}

/// Reads the request head within [`HEAD_DEADLINE`] (as a whole, not per read) and
/// [`MAX_HEAD_BYTES`].
fn read_head(stream: &mut TcpStream) -> Result<Head, HeadError> {
    let deadline = Instant::now() + HEAD_DEADLINE;
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let end = loop {
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        if head.len() > MAX_HEAD_BYTES {
            return Err(HeadError::TooLarge);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(HeadError::Unreadable);
        }
        stream
            .set_read_timeout(Some(left))
            .map_err(|_| HeadError::Unreadable)?;
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return Err(HeadError::Unreadable),
            Ok(n) => head.extend_from_slice(&chunk[..n]),
        }
    };
    let text = String::from_utf8_lossy(&head[..end]);
    let request_line = text.lines().next().unwrap_or_default();
    let mut parts = request_line.split_whitespace();
    let accept = text.lines().skip(1).find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("accept")
            .then(|| value.trim().to_owned())
    });
    Ok(Head {
        accept,
        method: parts.next().unwrap_or_default().to_owned(),
        path: parts
            .next()
            .unwrap_or_default()
            .split('?')
            .next()
            .unwrap_or_default()
            .to_owned(),
    })
}

fn respond(
    mut stream: TcpStream,
    render: Render,
    open: &OpenConnections,
    ticket: u64,
) -> std::io::Result<()> {
    let head = read_head(&mut stream);
    if head.is_ok() {
        open.answering(ticket);
    }
    let (status, content_type, body) = match head {
        Err(HeadError::Unreadable) => return Ok(()),
        Err(HeadError::TooLarge) => (
            "431 Request Header Fields Too Large",
            "text/plain",
            "request head too large\n".to_owned(),
        ),
        Ok(head) => match (head.method.as_str(), head.path.as_str()) {
            ("GET", "/metrics") => {
                let (content_type, body) = render(head.accept.as_deref());
                ("200 OK", content_type, body)
            }
            ("GET", _) => (
                "404 Not Found",
                "text/plain",
                "not found; metrics are at /metrics\n".to_owned(),
            ),
            _ => (
                "405 Method Not Allowed",
                "text/plain",
                "only GET is served\n".to_owned(),
            ),
        },
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nVary: Accept\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let deadline = Instant::now() + WRITE_DEADLINE;
    write_within(&mut stream, head.as_bytes(), deadline)?;
    write_within(&mut stream, body.as_bytes(), deadline)?;
    close_cleanly(stream);
    Ok(())
}

/// Writes all of `bytes` by `deadline`, however slowly the client reads: a timeout per write
/// alone would let a client taking one byte at a time hold the connection for hours.
fn write_within(
    stream: &mut TcpStream,
    mut bytes: &[u8],
    deadline: Instant,
) -> std::io::Result<()> {
    while !bytes.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(std::io::ErrorKind::TimedOut.into());
        }
        stream.set_write_timeout(Some(left))?;
        match stream.write(bytes) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => bytes = &bytes[n..],
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(())
}

/// Ends the answer, then reads (briefly, boundedly) what the client still sends: closing a
/// socket with unread bytes resets the connection, and the client could lose the answer.
fn close_cleanly(mut stream: TcpStream) {
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let deadline = Instant::now() + DRAIN_DEADLINE;
    let mut chunk = [0u8; 4096];
    let mut left: usize = 64 * 1024;
    while left > 0 {
        let wait = deadline.saturating_duration_since(Instant::now());
        if wait.is_zero() || stream.set_read_timeout(Some(wait)).is_err() {
            return;
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => left = left.saturating_sub(n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_connection_is_told_to_retry() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server_side, _) = listener.accept().unwrap();
        refuse(server_side);
        client
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut answer = String::new();
        client.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 503 "), "{answer}");
        assert!(answer.contains("Retry-After: 1\r\n"), "{answer}");
    }
}

//! A minimal `/metrics` listener for services without an HTTP stack. Each connection is served on
//! a thread of its own, within a deadline and with a cap on the request head, so neither idle
//! connections nor a slow client can make a scrape wait: Prometheus gets its answer in time and
//! `ServiceDown` stays quiet on a healthy service.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long one connection may take to send its request head.
const HEAD_DEADLINE: Duration = Duration::from_secs(5);
/// How long writing the answer may take.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest request head read; longer heads get `431`.
const MAX_HEAD_BYTES: usize = 8 * 1024;
/// Connections served at once; more are closed at once (Prometheus opens one per target).
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
    for stream in listener.incoming() {
        if stop.load(Ordering::Acquire) {
            break;
        }
        let Ok(stream) = stream else { continue };
        if active.fetch_add(1, Ordering::AcqRel) >= MAX_CONNECTIONS {
            active.fetch_sub(1, Ordering::AcqRel);
            continue; // dropped: closed at once
        }
        let slot = active.clone();
        let spawned = std::thread::Builder::new()
            .name("octo-metrics-conn".into())
            .spawn(move || {
                let _ = respond(stream, render);
                slot.fetch_sub(1, Ordering::AcqRel);
            });
        if spawned.is_err() {
            // The closure never ran: release its slot.
            active.fetch_sub(1, Ordering::AcqRel);
        }
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

fn respond(mut stream: TcpStream, render: Render) -> std::io::Result<()> {
    stream.set_write_timeout(Some(WRITE_TIMEOUT))?;
    let (status, content_type, body) = match read_head(&mut stream) {
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
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nVary: Accept\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()?;
    close_cleanly(stream);
    Ok(())
}

/// Ends the answer, then reads (briefly, boundedly) what the client still sends: closing a
/// socket with unread bytes resets the connection, and the client could lose the answer.
fn close_cleanly(mut stream: TcpStream) {
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let _ = std::io::copy(&mut (&mut stream).take(64 * 1024), &mut std::io::sink());
}

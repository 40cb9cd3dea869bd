//! Serving an axum router until the service is told to stop, then stopping within a deadline and
//! flushing: what every service needs in a container, where `SIGTERM` is followed by `SIGKILL`
//! after a grace period and only lines written before then are kept.
//!
//! [`serve`] accepts connections until [`signal`] (SIGTERM or Ctrl-C) fires, or the signal given
//! to [`Serve::with_signal`]. Then it stops accepting, lets requests in progress finish, and once
//! the [deadline](Serve::deadline) passes drops the ones still running (a client that stopped
//! half-way through its request holds its connection no longer: its request is logged as
//! `request.cancelled`). Last it flushes the log lines and spans queued so far. A client that
//! takes longer than the [header-read timeout](Serve::header_read_timeout) to send its request
//! head is disconnected at any time, so idle half-open connections cannot pile up.
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use octo_instrument::http::ServerLayer;
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let _guard = octo_instrument::init()?;
//!     let app = Router::new().route("/", get(|| async { "ok" })).layer(ServerLayer::new());
//!     let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
//!     octo_instrument::shutdown::serve(listener, app)
//!         .deadline(std::time::Duration::from_secs(20))
//!         .await?;
//!     Ok(())
//! }
//! ```

use std::convert::Infallible;
use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower_service::Service;

/// How long requests in progress may run on after the stop signal, unless set.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(10);
/// How long a client may take to send its request head, unless set.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the final flush may take.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

type Signal = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Serves `app` on `listener` until the stop signal; see the [module](self). Await it (it is an
/// [`IntoFuture`]), after setting what differs from the defaults.
///
/// ```
/// # async fn run() -> std::io::Result<()> {
/// use std::time::Duration;
///
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let app = axum::Router::new();
/// octo_instrument::shutdown::serve(listener, app)
///     .deadline(Duration::from_secs(5))
///     .header_read_timeout(Duration::from_secs(3))
///     .with_signal(async {}) // here: stop at once
///     .await?;
/// # Ok(())
/// # }
/// # tokio::runtime::Runtime::new().unwrap().block_on(run()).unwrap();
/// ```
pub fn serve(listener: TcpListener, app: Router) -> Serve {
    Serve {
        listener,
        app,
        deadline: DEFAULT_DEADLINE,
        header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
        signal: None,
    }
}

/// A server waiting to be awaited; built by [`serve`].
#[must_use = "a server does nothing until awaited"]
pub struct Serve {
    listener: TcpListener,
    app: Router,
    deadline: Duration,
    header_read_timeout: Duration,
    signal: Option<Signal>,
}

impl Serve {
    /// How long requests in progress may run on after the stop signal before they are dropped.
    /// Default [`DEFAULT_DEADLINE`].
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// How long a client may take to send a request head. Default
    /// [`DEFAULT_HEADER_READ_TIMEOUT`].
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// Stops when `signal` completes instead of on SIGTERM or Ctrl-C.
    pub fn with_signal(mut self, signal: impl Future<Output = ()> + Send + 'static) -> Self {
        self.signal = Some(Box::pin(signal));
        self
    }

    async fn run(self) -> std::io::Result<()> {
        let Self {
            listener,
            app,
            deadline,
            header_read_timeout,
            signal,
        } = self;
        let mut signal = signal.unwrap_or_else(|| Box::pin(self::signal()));
        let (stop, stopped) = watch::channel(false);
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                () = &mut signal => break,
                accepted = listener.accept() => {
                    // Out of descriptors, a connection reset before accept: the listener is
                    // still good; pause so a persistent error does not spin.
                    let Ok((stream, remote)) = accepted else {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    };
                    connections.spawn(connection(
                        stream,
                        remote,
                        app.clone(),
                        header_read_timeout,
                        stopped.clone(),
                    ));
                }
                // Reap finished connections as we go, so the set holds only open ones.
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
        drop(listener);
        tracing::info!(
            target: "octo_instrument::shutdown",
            event = "service.stopping",
            open_connections = connections.len(),
            deadline_ms = millis(deadline),
        );
        let _ = stop.send(true);
        let drained = tokio::time::timeout(deadline, async {
            while connections.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                target: "octo_instrument::shutdown",
                event = "service.stop_forced",
                open_connections = connections.len(),
                deadline_ms = millis(deadline),
            );
            // Dropping a connection drops its requests: each one in progress is logged as
            // cancelled by the server layer.
            connections.shutdown().await;
        }
        let flushed = tokio::task::spawn_blocking(|| super::flush(FLUSH_TIMEOUT))
            .await
            .unwrap_or(false);
        if !flushed {
            tracing::warn!(
                target: "octo_instrument::shutdown",
                event = "service.flush_incomplete",
                timeout_ms = millis(FLUSH_TIMEOUT),
            );
        }
        Ok(())
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl IntoFuture for Serve {
    type Output = std::io::Result<()>;
    type IntoFuture = Pin<Box<dyn Future<Output = std::io::Result<()>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

/// One connection: HTTP/1 with the header-read timeout, the client's address in each request's
/// extensions (`ConnectInfo`, which the server layer logs as `client`), and a graceful stop when
/// the server stops.
async fn connection(
    stream: tokio::net::TcpStream,
    remote: SocketAddr,
    app: Router,
    header_read_timeout: Duration,
    mut stopped: watch::Receiver<bool>,
) {
    let service = hyper::service::service_fn(move |mut request: http::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(remote));
        let mut app = app.clone();
        async move {
            let response: Result<_, Infallible> =
                app.call(request.map(axum::body::Body::new)).await;
            response
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let connection = builder
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => return,
        _ = stopped.wait_for(|stop| *stop) => {}
    }
    // Finish the request in progress (if any), then close; the deadline above bounds this.
    connection.as_mut().graceful_shutdown();
    let _ = connection.await;
}

/// Completes on SIGTERM (what a container runtime sends) or Ctrl-C. Called inside a Tokio
/// runtime, it listens from the call on, so a signal that arrives before the future is first
/// polled still stops the service instead of killing it: call it before the service says it is
/// ready, and hand it to [`Serve::with_signal`].
///
/// ```no_run
/// # async fn run() {
/// let stop = octo_instrument::shutdown::signal();
/// println!("ready");
/// stop.await;
/// println!("stopping");
/// # }
/// ```
pub fn signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let registered = tokio::runtime::Handle::try_current().ok().and_then(|_| {
        use tokio::signal::unix::{SignalKind, signal};
        Some((
            signal(SignalKind::terminate()).ok()?,
            signal(SignalKind::interrupt()).ok()?,
        ))
    });
    async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let signals = registered.or_else(|| {
                Some((
                    signal(SignalKind::terminate()).ok()?,
                    signal(SignalKind::interrupt()).ok()?,
                ))
            });
            if let Some((mut term, mut interrupt)) = signals {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = interrupt.recv() => {}
                }
                return;
            }
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}

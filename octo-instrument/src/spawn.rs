//! Tasks that keep the span they were spawned in. `tokio::spawn` starts its task outside every
//! span, so a line logged in it loses the request's `request_id`, `trace_id` and contract fields,
//! and its spans start new traces. [`spawn`] and [`spawn_blocking`] carry the current span (and
//! the current subscriber, for a service that sets its own with `Config::dispatch`) into the
//! task; [`in_current_span`] does the same for any future (a `JoinSet`'s, a `select!` arm).
//!
//! The task holds the span open until it ends (the span is closed and exported when its last
//! handle goes): a fire-and-forget job started in a handler lengthens the request's span to
//! its own end. For work that should outlive the request as its own operation, start a new span
//! in the task that `follows_from` the request's.
//!
//! To make the plain calls stand out in review, a service can forbid them in its `clippy.toml`:
//!
//! ```toml
//! disallowed-methods = [
//!     { path = "tokio::spawn", reason = "octo_instrument::spawn keeps the request's span: its lines keep request_id and trace_id" },
//!     { path = "tokio::task::spawn_blocking", reason = "use octo_instrument::spawn_blocking" },
//!     { path = "tokio::task::JoinSet::spawn", reason = "wrap the future in octo_instrument::in_current_span" },
//! ]
//! ```

use std::future::Future;

use tracing::instrument::{Instrumented, WithDispatch};
use tracing::{Instrument as _, instrument::WithSubscriber as _};

/// `tokio::spawn`, with the task running inside the current span.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let span = tracing::info_span!("request", request_id = "req_1");
/// let handle = span.in_scope(|| {
///     octo_instrument::spawn(async {
///         // Lines logged here carry the request's fields and ids.
///         tracing::Span::current().metadata().map(|m| m.name())
///     })
/// });
/// # let _ = handle.await;
/// # });
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    tokio::spawn(in_current_span(future))
}

/// `tokio::task::spawn_blocking`, with the closure running inside the current span.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let sum = octo_instrument::spawn_blocking(|| (1..=10).sum::<u32>()).await.unwrap();
/// assert_eq!(sum, 55);
/// # });
/// ```
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> tokio::task::JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let span = tracing::Span::current();
    let dispatch = tracing::dispatcher::get_default(Clone::clone);
    tokio::task::spawn_blocking(move || {
        tracing::dispatcher::with_default(&dispatch, || span.in_scope(f))
    })
}

/// `future`, polled inside the current span (and under the current subscriber) wherever it
/// runs: for a `JoinSet`, or any executor.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let mut set = tokio::task::JoinSet::new();
/// for n in 0..3u32 {
///     set.spawn(octo_instrument::in_current_span(async move { n * 2 }));
/// }
/// let mut total = 0;
/// while let Some(result) = set.join_next().await {
///     total += result.unwrap();
/// }
/// assert_eq!(total, 6);
/// # });
/// ```
pub fn in_current_span<F: Future>(future: F) -> WithDispatch<Instrumented<F>> {
    future.in_current_span().with_current_subscriber()
}

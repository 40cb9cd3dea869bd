//! `#[observed]` on async functions and future-returning functions: ok, error, panic and every
//! way a future can be cancelled.

// Counters are whole numbers read back from the exposition: exact comparison is intended.
#![allow(clippy::float_cmp)]

use std::future::Future;
use std::time::Duration;

use octo_instrument::observed;
use octo_instrument_tests::{capture_async, count, errors, in_progress, one};

#[observed(event = "async.ok", fields(n = n))]
async fn double(n: u64) -> u64 {
    tokio::task::yield_now().await;
    tracing::info!(event = "async.inner");
    n * 2
}

#[test]
fn async_ok_logs_inside_the_span_across_awaits() {
    let (lines, value) = capture_async(double(21));
    assert_eq!(value, 42);
    let names: Vec<&str> = lines.iter().map(|l| l["event"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["async.ok.started", "async.inner", "async.ok.completed"]
    );
    assert!(lines.iter().all(|l| l["n"] == 21));
    assert_eq!(count("async.ok", "ok"), 1.0);
    assert_eq!(in_progress("async.ok"), 0.0);
}

#[observed(event = "async.fail")]
async fn fail() -> std::io::Result<()> {
    tokio::task::yield_now().await;
    Err(std::io::Error::new(
        std::io::ErrorKind::NotFound,
        "no such task",
    ))
}

#[test]
fn async_error_through_io_result_alias() {
    let (lines, result) = capture_async(fail());
    assert!(result.is_err());
    let failed = one(&lines, "async.fail.failed");
    assert_eq!(failed["error"], "no such task");
    assert_eq!(failed["error_type"], "io::Error");
    assert_eq!(count("async.fail", "error"), 1.0);
    assert_eq!(errors("async.fail", "io::Error"), 1.0);
}

#[observed(event = "async.boom")]
async fn boom() -> u8 {
    tokio::task::yield_now().await;
    panic!("async boom")
}

#[test]
fn async_panic_is_recorded_and_propagates() {
    let (lines, joined) = capture_async(async { tokio::spawn(boom()).await });
    let err = joined.unwrap_err();
    assert!(err.is_panic());
    assert_eq!(err.into_panic().downcast_ref::<&str>(), Some(&"async boom"));
    assert_eq!(one(&lines, "async.boom.panicked")["panic"], "async boom");
    assert_eq!(count("async.boom", "panic"), 1.0);
    assert_eq!(count("async.boom", "cancelled"), 0.0);
    assert_eq!(in_progress("async.boom"), 0.0);
}

#[observed(event = "async.sleepy")]
async fn sleepy(ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

#[test]
fn timeout_select_and_abort_are_cancelled() {
    let (lines, ()) = capture_async(async {
        assert!(
            tokio::time::timeout(Duration::from_millis(5), sleepy(10_000))
                .await
                .is_err()
        );
        tokio::select! {
            _ = sleepy(10_000) => unreachable!(),
            () = tokio::time::sleep(Duration::from_millis(5)) => {}
        }
        let task = tokio::spawn(sleepy(10_000));
        tokio::time::sleep(Duration::from_millis(5)).await;
        task.abort();
        assert!(task.await.unwrap_err().is_cancelled());
    });
    let cancelled: Vec<_> = lines
        .iter()
        .filter(|l| l["event"] == "async.sleepy.cancelled")
        .collect();
    assert_eq!(cancelled.len(), 3);
    assert!(
        cancelled
            .iter()
            .all(|l| l["level"] == "warning" && l["duration_ms"].as_f64().unwrap() >= 4.0)
    );
    assert_eq!(count("async.sleepy", "cancelled"), 3.0);
    assert_eq!(count("async.sleepy", "ok"), 0.0);
    assert_eq!(in_progress("async.sleepy"), 0.0);
}

#[observed(event = "async.gauged")]
async fn gauged(release: tokio::sync::oneshot::Receiver<()>) {
    release.await.unwrap();
}

#[test]
fn in_progress_counts_calls_while_they_run() {
    capture_async(async {
        let (release, wait) = tokio::sync::oneshot::channel();
        let running = tokio::spawn(gauged(wait));
        tokio::task::yield_now().await;
        assert_eq!(in_progress("async.gauged"), 1.0);
        release.send(()).unwrap();
        running.await.unwrap();
        assert_eq!(in_progress("async.gauged"), 0.0);
        assert_eq!(count("async.gauged", "ok"), 1.0);
    });
}

#[observed(event = "async.fib")]
async fn fib(n: u32) -> u64 {
    if n < 2 {
        return u64::from(n);
    }
    Box::pin(fib(n - 1)).await + Box::pin(fib(n - 2)).await
}

#[test]
fn recursive_async_functions_nest_their_spans() {
    let (lines, value) = capture_async(fib(4));
    assert_eq!(value, 3);
    assert_eq!(
        lines
            .iter()
            .filter(|l| l["event"] == "async.fib.completed")
            .count(),
        9
    );
    assert_eq!(count("async.fib", "ok"), 9.0);
}

#[observed(event = "async.impl_future")]
fn returns_future(n: u8) -> impl Future<Output = Result<u8, String>> + Send {
    async move {
        tokio::task::yield_now().await;
        if n == 0 {
            Err("zero".to_owned())
        } else {
            Ok(n)
        }
    }
}

#[test]
fn the_returned_future_is_what_is_observed() {
    let (lines, results) =
        capture_async(async { (returns_future(1).await, returns_future(0).await) });
    assert_eq!(results, (Ok(1), Err("zero".to_owned())));
    one(&lines, "async.impl_future.completed");
    assert_eq!(one(&lines, "async.impl_future.failed")["error"], "zero");
    assert_eq!(count("async.impl_future", "ok"), 1.0);
    assert_eq!(count("async.impl_future", "error"), 1.0);
    // Dropped before it is polled: cancelled.
    drop(returns_future(3));
    assert_eq!(count("async.impl_future", "cancelled"), 1.0);
}

#[async_trait::async_trait]
trait Arm {
    async fn handle(&self, task: &str) -> anyhow::Result<String>;
}

struct Coder;

#[async_trait::async_trait]
impl Arm for Coder {
    #[observed(event = "async.trait_method", fields(task = task))]
    async fn handle(&self, task: &str) -> anyhow::Result<String> {
        tokio::task::yield_now().await;
        anyhow::ensure!(!task.is_empty(), "empty task");
        Ok(task.to_uppercase())
    }
}

struct Reviewer;

#[async_trait::async_trait]
impl Arm for Reviewer {
    // Outside the impl's #[async_trait] as well: the attribute order does not matter.
    #[observed(event = "async.trait_method_outer")]
    #[allow(clippy::unused_async)]
    async fn handle(&self, task: &str) -> anyhow::Result<String> {
        Ok(task.to_owned())
    }
}

#[test]
fn async_trait_methods_are_observed_through_the_boxed_future() {
    let (lines, results) = capture_async(async {
        let arm: &dyn Arm = &Coder;
        (
            arm.handle("fix").await.unwrap(),
            arm.handle("").await.unwrap_err().to_string(),
        )
    });
    assert_eq!(results, ("FIX".to_owned(), "empty task".to_owned()));
    assert_eq!(one(&lines, "async.trait_method.completed")["task"], "fix");
    let failed = one(&lines, "async.trait_method.failed");
    assert_eq!(failed["error"], "empty task");
    assert_eq!(failed["error_type"], "anyhow::Error");
    assert_eq!(count("async.trait_method", "ok"), 1.0);
    assert_eq!(count("async.trait_method", "error"), 1.0);

    let (lines, _) = capture_async(async { Reviewer.handle("x").await });
    one(&lines, "async.trait_method_outer.completed");
}

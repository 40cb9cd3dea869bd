//! One observed call, from `start` to its single outcome.

use std::any::Any;
use std::fmt::Display;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tracing::Span;
use tracing_core::field::Value;

use super::emit::{Line, emit};
use super::probe::ErrorReport;
use super::site::CallSite;
use crate::prom::exemplars::Sampled;
use crate::trace::api::{Failure, record_failure};
use octo_instrument_core::json::millis;

use crate::prom::events::Outcome;
use crate::prom::extra::ExtraCall;

/// A call in progress. Records exactly one outcome: `finish` (ok / error), a panic caught while
/// running the body, or, when dropped unfinished, `cancelled`.
#[doc(hidden)]
pub struct ObservedCall {
    site: &'static CallSite,
    span: Span,
    start: Instant,
    done: bool,
    /// Whether `started`/`completed` are written (sampling decided at the start).
    keep: bool,
    // Boxed: only sites with extra families have one, and an async call's future carries this
    // struct in its state, so every byte here is copied whenever the future moves.
    extra: Option<Box<ExtraCall>>,
}

impl ObservedCall {
    /// Starts a call: its span made (by `make_span`, told its code location), calls-started
    /// counter up, clock started, `<event>.started` logged in the span.
    #[inline]
    pub fn start(site: &'static CallSite, make_span: impl FnOnce() -> Span) -> Self {
        let span = crate::trace::api::with_code(&site.spec.code, make_span);
        site.metrics().start();
        let rate = site.sample_rate();
        let keep = rate >= 1.0 || keeps_lines(&span, rate);
        let call = Self {
            site,
            span,
            start: Instant::now(),
            done: false,
            keep,
            extra: None,
        };
        call.log_started();
        call
    }

    /// Counts a `started`/`completed` line sampling left out (where its level is enabled).
    fn sampled_out(&self) {
        if super::emit::maybe_enabled(self.site.spec.log) {
            self.site.sampled_out().inc();
        }
    }

    /// As [`start`](Self::start), for a site with `labels(...)` on its extra families.
    pub fn start_labelled(
        site: &'static CallSite,
        make_span: impl FnOnce() -> Span,
        label_values: &[&dyn Display],
    ) -> Self {
        let mut call = Self::start(site, make_span);
        call.extra = site
            .extra()
            .map(|families| Box::new(families.start(label_values)));
        call
    }

    fn log_started(&self) {
        if !self.keep {
            self.sampled_out();
            return;
        }
        let spec = &self.site.spec;
        emit(spec.log, &self.span, || Line {
            event: spec.lines.started,
            ..Line::default()
        });
    }

    /// Runs a synchronous body inside the span; a panic is recorded, then resumed unchanged.
    #[inline]
    pub fn run<R>(&mut self, body: impl FnOnce() -> R) -> R {
        let entered = self.span.enter();
        match catch_unwind(AssertUnwindSafe(body)) {
            Ok(output) => output,
            Err(payload) => {
                drop(entered);
                self.record_panic(&*payload);
                resume_unwind(payload)
            }
        }
    }

    /// Drives an async body inside the span on every poll; a panic is recorded, then resumed.
    pub fn run_async<F: Future>(&mut self, body: F) -> RunAsync<'_, F> {
        RunAsync { call: self, body }
    }

    /// Records `ok` or `error` (where the probe found an `Err`), with the return value for `ret`.
    #[inline]
    pub fn finish(&mut self, failure: Option<ErrorReport<'_>>, ret: Option<&dyn Value>) {
        let elapsed = self.start.elapsed();
        self.done = true;
        let spec = &self.site.spec;
        let duration_ms = millis(elapsed);
        match failure {
            None => {
                self.record(Outcome::Ok, elapsed, self.exemplar(elapsed));
                if self.keep {
                    emit(spec.log, &self.span, || Line {
                        event: spec.lines.completed,
                        duration_ms: Some(duration_ms),
                        ret,
                        ..Line::default()
                    });
                } else {
                    self.sampled_out();
                }
            }
            Some(report) => {
                let ids = self.exemplar(elapsed);
                self.record(Outcome::Error, elapsed, ids);
                crate::prom::count_error(spec.event, report.error_type, ids);
                record_failure(
                    &self.span,
                    &Failure {
                        message: &report.message,
                        error_type: report.error_type,
                        exception_type: report.type_name,
                        source: report.source,
                    },
                );
                let message = tracing::field::display(&report.message);
                emit(spec.error_log, &self.span, || Line {
                    event: spec.lines.failed,
                    duration_ms: Some(duration_ms),
                    error: Some(&message),
                    error_type: Some(report.error_type),
                    error_code: report.error_code,
                    ..Line::default()
                });
            }
        }
        self.check_slow(elapsed);
    }

    fn record_panic(&mut self, payload: &(dyn Any + Send)) {
        let elapsed = self.start.elapsed();
        self.done = true;
        let ids = self.exemplar(elapsed);
        self.record(Outcome::Panic, elapsed, ids);
        let spec = &self.site.spec;
        crate::prom::count_error(spec.event, "panic", ids);
        let message = crate::panic::message(payload);
        record_failure(
            &self.span,
            &Failure {
                message: &message,
                error_type: "panic",
                exception_type: "panic",
                source: None,
            },
        );
        emit(spec.error_log, &self.span, || Line {
            event: spec.lines.panicked,
            duration_ms: Some(millis(elapsed)),
            panic: Some(message),
            ..Line::default()
        });
    }

    /// The call as its series' exemplar (it ended `elapsed` after its start).
    #[inline]
    fn exemplar(&self, elapsed: Duration) -> Option<Sampled> {
        crate::trace::api::exemplar(&self.span, self.start, elapsed)
    }

    fn record(&mut self, outcome: Outcome, elapsed: Duration, call: Option<Sampled>) {
        self.site.metrics().observe(outcome, elapsed, call);
        if let Some(extra) = self.extra.take() {
            extra.finish(elapsed, call);
        }
    }

    fn check_slow(&self, elapsed: Duration) {
        let spec = &self.site.spec;
        if let Some(threshold_ms) = spec.slow_ms
            && elapsed >= Duration::from_millis(threshold_ms)
        {
            {
                emit(spec.warn_log, &self.span, || Line {
                    event: spec.lines.slow,
                    duration_ms: Some(millis(elapsed)),
                    threshold_ms: Some(threshold_ms),
                    ..Line::default()
                });
            }
        }
    }
}

impl Drop for ObservedCall {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        // Unfinished and not unwinding through `run`: the future was dropped before it
        // completed (timeout, `select!`, an aborted task).
        let elapsed = self.start.elapsed();
        self.done = true;
        self.record(Outcome::Cancelled, elapsed, self.exemplar(elapsed));
        let spec = &self.site.spec;
        emit(spec.warn_log, &self.span, || Line {
            event: spec.lines.cancelled,
            duration_ms: Some(millis(elapsed)),
            ..Line::default()
        });
    }
}

/// Whether a call in `span` keeps its `started`/`completed` lines at `rate`: decided by its trace
/// id where it has one (so one request's calls are kept or left out together), else at random.
fn keeps_lines(span: &Span, rate: f64) -> bool {
    let trace_id = span
        .id()
        .and_then(|id| crate::span_data::ids_of(&id))
        .map(|(trace_id, _)| trace_id)
        .or_else(|| span.in_scope(|| crate::span_data::with_current_ids(|trace_id, _| trace_id)));
    let draw = trace_id.map_or_else(crate::random::u64, |trace_id| {
        let mut low = [0; 8];
        low.copy_from_slice(&trace_id[8..]);
        u64::from_be_bytes(low)
    });
    (draw as f64) < rate * (u64::MAX as f64)
}

pin_project_lite::pin_project! {
    /// The async body of an observed call: polled inside the call's span, panics recorded.
    #[doc(hidden)]
    pub struct RunAsync<'a, F> {
        call: &'a mut ObservedCall,
        #[pin]
        body: F,
    }
}

impl<F: Future> Future for RunAsync<'_, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let entered = this.call.span.enter();
        match catch_unwind(AssertUnwindSafe(|| this.body.poll(cx))) {
            Ok(poll) => poll,
            Err(payload) => {
                drop(entered);
                this.call.record_panic(&*payload);
                resume_unwind(payload)
            }
        }
    }
}

//! What every export thread shares: saying once that exports fail and once that they recovered
//! (never a line per batch), counting what a failed export lost, and keeping the exporter's own
//! crates' `tracing` output away from the service's subscriber.

use octo_instrument_core::families::signals;

use super::Signal;

/// The state of one export thread's exports.
pub(crate) struct ExportHealth {
    endpoint: String,
    signal: Signal,
    dropped: prometheus::IntCounter,
    failing: bool,
}

impl ExportHealth {
    pub(crate) fn new(endpoint: &str, signal: Signal) -> Self {
        Self {
            endpoint: endpoint.to_owned(),
            signal,
            dropped: crate::prom::dropped(signal.dropped_label()),
            failing: false,
        }
    }

    /// An export of `count` spans or records ended with `result`: a failure counts them as
    /// dropped; the first failure after a success is a `telemetry.export.failed` warning, the
    /// first success after failures `telemetry.export.recovered`.
    pub(crate) fn report(&mut self, result: Result<(), String>, count: u64) {
        match result {
            Ok(()) if self.failing => {
                self.failing = false;
                tracing::info!(
                    target: "octo_instrument::export",
                    event = "telemetry.export.recovered",
                    signal = self.signal.dropped_label(),
                    endpoint = %self.endpoint,
                );
            }
            Ok(()) => {}
            Err(err) => {
                self.dropped.inc_by(count);
                if self.failing {
                    return;
                }
                self.failing = true;
                match self.signal {
                    Signal::Traces => tracing::warn!(
                        target: "octo_instrument::export",
                        event = "telemetry.export.failed",
                        signal = signals::SPANS,
                        endpoint = %self.endpoint,
                        error = %err,
                        dropped_spans = count,
                    ),
                    Signal::Logs => tracing::warn!(
                        target: "octo_instrument::export",
                        event = "telemetry.export.failed",
                        signal = signals::LOGS_OTLP,
                        endpoint = %self.endpoint,
                        error = %err,
                        dropped_records = count,
                    ),
                }
            }
        }
    }
}

/// Runs `f` with `tracing` silenced on this thread: the exporter's own crates (tonic, hyper, h2,
/// rustls) log and open spans through `tracing`, and must not reach the service's subscriber, or
/// exporting spans would make spans (and a failing collector would flood the service's logs).
pub(crate) fn quiet<R>(f: impl FnOnce() -> R) -> R {
    tracing::subscriber::with_default(tracing::subscriber::NoSubscriber::new(), f)
}

/// Silences `tracing` for good on the calling thread: the export runtime's threads, where the
/// clients' crates run.
pub(crate) fn silence_this_thread() {
    std::mem::forget(tracing::subscriber::set_default(
        tracing::subscriber::NoSubscriber::new(),
    ));
}

//! What both span pipelines' export threads share: saying once that exports fail and once that
//! they recovered (never a line per batch), counting the spans a failed export lost, and keeping
//! the exporter's own crates' `tracing` output away from the service's subscriber.

/// The state of one export thread's exports.
pub(crate) struct ExportHealth {
    endpoint: String,
    dropped: prometheus::IntCounter,
    failing: bool,
}

impl ExportHealth {
    pub(crate) fn new(endpoint: &str) -> Self {
        Self {
            endpoint: endpoint.to_owned(),
            dropped: crate::prom::dropped("spans"),
            failing: false,
        }
    }

    /// An export of `count` spans ended with `result`: a failure counts them as dropped; the
    /// first failure after a success is a `telemetry.export.failed` warning, the first success
    /// after failures `telemetry.export.recovered`.
    pub(crate) fn report(&mut self, result: Result<(), String>, count: u64) {
        match result {
            Ok(()) if self.failing => {
                self.failing = false;
                tracing::info!(
                    target: "octo_instrument::trace",
                    event = "telemetry.export.recovered",
                    endpoint = %self.endpoint,
                );
            }
            Ok(()) => {}
            Err(err) => {
                self.dropped.inc_by(count);
                if !self.failing {
                    self.failing = true;
                    tracing::warn!(
                        target: "octo_instrument::trace",
                        event = "telemetry.export.failed",
                        endpoint = %self.endpoint,
                        error = %err,
                        dropped_spans = count,
                    );
                }
            }
        }
    }
}

/// Runs `f` with `tracing` silenced on this thread: the exporter's own crates (tonic, hyper, h2,
/// reqwest) log and open spans through `tracing`, and must not reach the service's subscriber, or
/// exporting spans would make spans (and a failing collector would flood the service's logs).
pub(crate) fn quiet<R>(f: impl FnOnce() -> R) -> R {
    tracing::subscriber::with_default(tracing::subscriber::NoSubscriber::new(), f)
}

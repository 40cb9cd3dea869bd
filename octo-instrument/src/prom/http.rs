//! The HTTP families of the standard, fed by the server layer.

use std::sync::LazyLock;
use std::time::Duration;

use octo_instrument_core::buckets;
use octo_instrument_core::families::{
    HTTP_REQUEST_DURATION, HTTP_REQUESTS, HTTP_REQUESTS_IN_FLIGHT, labels,
};
use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec};

use super::{exemplars, opts};

pub(crate) struct HttpMetrics {
    requests: IntCounterVec,
    duration: HistogramVec,
    in_flight: IntGaugeVec,
}

pub(crate) static HTTP: LazyLock<HttpMetrics> = LazyLock::new(|| {
    let requests =
        IntCounterVec::new(opts(&HTTP_REQUESTS), HTTP_REQUESTS.labels).expect("a valid family");
    let duration = HistogramVec::new(
        HistogramOpts::from(opts(&HTTP_REQUEST_DURATION)).buckets(buckets::HTTP.to_vec()),
        HTTP_REQUEST_DURATION.labels,
    )
    .expect("a valid family");
    let in_flight = IntGaugeVec::new(
        opts(&HTTP_REQUESTS_IN_FLIGHT),
        HTTP_REQUESTS_IN_FLIGHT.labels,
    )
    .expect("a valid family");
    super::register(HTTP_REQUESTS.name, Box::new(requests.clone()));
    super::register(HTTP_REQUEST_DURATION.name, Box::new(duration.clone()));
    super::register(HTTP_REQUESTS_IN_FLIGHT.name, Box::new(in_flight.clone()));
    HttpMetrics {
        requests,
        duration,
        in_flight,
    }
});

impl HttpMetrics {
    /// One request more in flight; the returned gauge is decremented by the caller when done.
    pub(crate) fn start(&self, method: &str, endpoint: &str) -> prometheus::IntGauge {
        let gauge = self.in_flight.with_label_values(&[method, endpoint]);
        gauge.inc();
        gauge
    }

    /// Counts a finished request; with the ids of its sampled span, keeps them as the exemplar
    /// of its duration bucket.
    pub(crate) fn finish(
        &self,
        method: &str,
        endpoint: &str,
        status: u16,
        elapsed: Duration,
        call: Option<exemplars::Sampled>,
    ) {
        let digits = status_digits(status);
        let code = std::str::from_utf8(&digits).expect("ASCII digits");
        self.requests
            .with_label_values(&[method, endpoint, code])
            .inc();
        let seconds = elapsed.as_secs_f64();
        self.duration
            .with_label_values(&[method, endpoint])
            .observe(seconds);
        if let Some(call) = call {
            let series = exemplars::series_key(
                HTTP_REQUEST_DURATION.name,
                &[(labels::ENDPOINT, endpoint), (labels::METHOD, method)],
            );
            exemplars::record_in_bucket(series, buckets::HTTP, seconds, call);
        }
    }
}

/// A status code (100..=999, as `http::StatusCode` guarantees) as its three ASCII digits.
fn status_digits(status: u16) -> [u8; 3] {
    [100, 10, 1].map(|divisor| b'0' + u8::try_from(status / divisor % 10).unwrap_or(0))
}

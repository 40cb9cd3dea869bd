//! The HTTP families of the standard, fed by the server layer.

use std::sync::LazyLock;
use std::time::Duration;

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts};

use super::buckets;

pub(crate) struct HttpMetrics {
    requests: IntCounterVec,
    duration: HistogramVec,
    in_flight: IntGaugeVec,
}

pub(crate) static HTTP: LazyLock<HttpMetrics> = LazyLock::new(|| {
    let requests = IntCounterVec::new(
        Opts::new(
            "http_requests_total",
            "HTTP requests served, by method, route template and status code.",
        ),
        &["method", "endpoint", "status"],
    )
    .expect("valid family");
    let duration = HistogramVec::new(
        HistogramOpts::new(
            "http_request_duration_seconds",
            "Time to produce the response head, by method and route template.",
        )
        .buckets(buckets::HTTP.to_vec()),
        &["method", "endpoint"],
    )
    .expect("valid family");
    let in_flight = IntGaugeVec::new(
        Opts::new(
            "http_requests_in_flight",
            "HTTP requests being handled now, by method and route template.",
        ),
        &["method", "endpoint"],
    )
    .expect("valid family");
    super::register("http_requests_total", Box::new(requests.clone()));
    super::register("http_request_duration_seconds", Box::new(duration.clone()));
    super::register("http_requests_in_flight", Box::new(in_flight.clone()));
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

    pub(crate) fn finish(&self, method: &str, endpoint: &str, status: u16, elapsed: Duration) {
        let digits = status_digits(status);
        let code = std::str::from_utf8(&digits).expect("ASCII digits");
        self.requests
            .with_label_values(&[method, endpoint, code])
            .inc();
        self.duration
            .with_label_values(&[method, endpoint])
            .observe(elapsed.as_secs_f64());
    }
}

/// A status code (100..=999, as `http::StatusCode` guarantees) as its three ASCII digits.
fn status_digits(status: u16) -> [u8; 3] {
    [100, 10, 1].map(|divisor| b'0' + u8::try_from(status / divisor % 10).unwrap_or(0))
}

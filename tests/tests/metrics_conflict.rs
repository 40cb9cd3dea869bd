//! One family declared by two call sites with different labels: the first declaration is the
//! family, the second a registration failure, logged and counted so the `TelemetryDropped` alert
//! sees it. A binary of its own, like `metrics_registration`: its scrape registers every call
//! site of the binary.
#![allow(clippy::float_cmp)] // counters are small integers, exact in f64

use octo_instrument::observed;
use octo_instrument_tests::metric;

#[observed(
    event = "test.limits.shared_one",
    histogram = "test_limits_shared_seconds",
    labels(kind = "one")
)]
fn shared_one() {}

#[observed(
    event = "test.limits.shared_two",
    histogram = "test_limits_shared_seconds"
)]
fn shared_two() {}

#[test]
fn a_family_declared_twice_with_other_labels_is_counted_once_and_exported_once() {
    shared_one();
    shared_two();
    let text = octo_instrument::metrics::render();
    assert_eq!(
        text.matches("# TYPE test_limits_shared_seconds histogram")
            .count(),
        1,
        "{text}"
    );
    assert_eq!(
        metric(
            "octo_telemetry_registration_failures_total",
            &[("family", "test_limits_shared_seconds")]
        ),
        Some(1.0),
        "the second declaration is the failure, whichever registered first"
    );
}

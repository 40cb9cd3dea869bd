//! A family that cannot be registered (its name taken by a collector of the service's own) is
//! reported and counted, and `render()` still answers. A binary of its own: any other test's
//! scrape would register every call site's families first.
#![allow(clippy::float_cmp)] // counters are small integers, exact in f64

use octo_instrument::observed;
use octo_instrument_tests::metric;

#[observed(event = "test.limits.taken", histogram = "test_limits_taken_seconds")]
fn taken() {}

#[test]
fn a_family_that_cannot_be_registered_is_counted_and_render_still_answers() {
    // The user's own collector takes the name first.
    let mine = prometheus::IntCounter::new("test_limits_taken_seconds", "mine").unwrap();
    octo_instrument::metrics::registry()
        .register(Box::new(mine))
        .unwrap();
    taken();
    let text = octo_instrument::metrics::render();
    assert!(text.contains("# TYPE test_limits_taken_seconds counter"));
    assert_eq!(
        metric(
            "octo_telemetry_registration_failures_total",
            &[("family", "test_limits_taken_seconds")]
        ),
        Some(1.0)
    );
    assert_eq!(
        metric(
            "event_duration_seconds_count",
            &[("event", "test.limits.taken"), ("outcome", "ok")]
        ),
        Some(1.0),
        "the call itself is observed"
    );
}

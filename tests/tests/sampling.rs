//! `sample = ..`: a fraction of `started`/`completed` lines kept, decided per trace; failures
//! always written; metrics count every call; what is left out is counted.
#![allow(clippy::float_cmp)] // counters are small integers, exact in f64

use std::collections::HashSet;

use octo_instrument::observed;
use octo_instrument_tests::{capture_traced, count, events, metric};

#[observed(event = "test.sampling.work", sample = 0.25)]
fn work(i: u32) -> Result<u32, String> {
    if i.is_multiple_of(10) {
        return Err(format!("failed {i}"));
    }
    Ok(i)
}

fn sampled_out(event: &str) -> f64 {
    metric("octo_telemetry_sampled_out_total", &[("event", event)]).unwrap_or(0.0)
}

#[test]
fn a_fraction_of_calls_keep_both_lines_and_failures_are_always_written() {
    const CALLS: u32 = 2000;
    let (lines, ()) = capture_traced(|| {
        for i in 0..CALLS {
            let _ = work(i);
        }
    });
    let started = events(&lines, "test.sampling.work.started");
    let completed = events(&lines, "test.sampling.work.completed");
    let failed = events(&lines, "test.sampling.work.failed");
    assert_eq!(failed.len(), 200, "every failure is written");
    // 2000 independent traces at 0.25: 500 expected, sigma 19.4; 4 sigma either way.
    assert!(
        (420..=580).contains(&started.len()),
        "{} started lines",
        started.len()
    );

    let kept: HashSet<&str> = started
        .iter()
        .map(|l| l["span_id"].as_str().unwrap())
        .collect();
    for line in &completed {
        assert!(
            kept.contains(line["span_id"].as_str().unwrap()),
            "completed without started"
        );
    }
    let finished: HashSet<&str> = completed
        .iter()
        .chain(&failed)
        .map(|l| l["span_id"].as_str().unwrap())
        .collect();
    assert!(
        kept.is_subset(&finished),
        "a kept call keeps its second line too"
    );

    assert_eq!(
        count("test.sampling.work", "ok"),
        1800.0,
        "metrics count every call"
    );
    assert_eq!(count("test.sampling.work", "error"), 200.0);
    let left_out = (CALLS as usize - started.len()) + (1800 - completed.len());
    assert_eq!(sampled_out("test.sampling.work"), left_out as f64);

    octo_instrument::sampling::set_rate("test.sampling.work", 1.0).unwrap();
    let (lines, ()) = capture_traced(|| {
        for i in 1..=9 {
            let _ = work(i);
        }
    });
    assert_eq!(
        events(&lines, "test.sampling.work.started").len(),
        9,
        "changed at run time"
    );
}

#[observed(event = "test.sampling.nested", sample = 0.5)]
fn nested() {}

#[test]
fn the_decision_is_one_per_trace() {
    let mut outcomes = HashSet::new();
    for _ in 0..40 {
        let (lines, ()) = capture_traced(|| {
            let request = tracing::info_span!("request");
            let _entered = request.enter();
            for _ in 0..20 {
                nested();
            }
        });
        let started = events(&lines, "test.sampling.nested.started").len();
        assert!(
            started == 0 || started == 20,
            "all calls of one trace together: {started}"
        );
        outcomes.insert(started);
    }
    assert_eq!(
        outcomes.len(),
        2,
        "40 traces at 0.5 include kept and left-out ones"
    );
}

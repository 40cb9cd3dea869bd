//! `promtool test rules` proves each burn-rate alert fires on a fast and on a slow burn and stays
//! silent on a burn within budget, through the recording rules it reads.
//!
//! `task.execute`'s objectives: 1 % errors (fast burn above 14.4 %, slow burn above 6 %) and P95
//! under 2 s (5 % of calls may be slower: fast burn above 72 %, slow burn above 30 %).

mod common;

use common::{Case, assert_covered, promtool_available, run_cases, s, written};
use octo_instrument_tests::require_tool;

const ERRORS: [&str; 2] = [
    "TaskExecuteErrorBudgetFastBurn",
    "TaskExecuteErrorBudgetSlowBurn",
];
const LATENCY: [&str; 2] = [
    "TaskExecuteLatencyBudgetFastBurn",
    "TaskExecuteLatencyBudgetSlowBurn",
];

type Series = Vec<(String, &'static str)>;

/// `task.execute`'s call counts, by outcome.
fn calls(outcomes: &[(&str, &'static str)]) -> Series {
    outcomes
        .iter()
        .map(|(outcome, values)| {
            (
                s(
                    "event_duration_seconds_count",
                    &format!(r#"event="task.execute",outcome="{outcome}""#),
                ),
                *values,
            )
        })
        .collect()
}

/// `task.execute`'s histogram: `total` calls, and the calls at or under each bound.
fn durations(total: &'static str, bounds: &[(&str, &'static str)]) -> Series {
    let series = |suffix: &str, le: Option<&str>| {
        let le = le.map_or_else(String::new, |le| format!(r#",le="{le}""#));
        s(
            &format!("event_duration_seconds_{suffix}"),
            &format!(r#"event="task.execute",outcome="ok"{le}"#),
        )
    };
    bounds
        .iter()
        .map(|(le, values)| (series("bucket", Some(le)), *values))
        .chain([
            (series("bucket", Some("+Inf")), total),
            (series("count", None), total),
        ])
        .collect()
}

/// The fast- and slow-burn alerts of one objective, on the same series, at `at`.
fn burns(
    alerts: [&'static str; 2],
    series: &Series,
    at: &'static str,
    fires: [bool; 2],
) -> [Case; 2] {
    let case = |i: usize| Case {
        alert: alerts[i],
        series: series.clone(),
        at,
        fires: fires[i].then(|| vec![("event", "task.execute")]),
    };
    [case(0), case(1)]
}

fn cases() -> Vec<Case> {
    [
        // 20 % errors for an hour: both burn (the slow one's 15m `for` is long over).
        burns(
            ERRORS,
            &calls(&[("ok", "0+80x60"), ("error", "0+20x60")]),
            "1h",
            [true, true],
        ),
        // The same hour, then 15 error-free minutes: the 1h window alone still reads about
        // 16 %, but the 5m one is clean, so the fast burn has reset; the 30m window still holds
        // the burn (11 %), so the slow one has not.
        burns(
            ERRORS,
            &calls(&[("ok", "0+80x76"), ("error", "0+20x60 1200+0x15")]),
            "75m",
            [false, true],
        ),
        // 7 % of calls panic, for six hours: within 14.4 times the budget, not within 6 times.
        burns(
            ERRORS,
            &calls(&[("ok", "0+93x370"), ("panic", "0+7x370")]),
            "6h",
            [false, true],
        ),
        // 0.5 % errors: within budget. Cancelled calls do not count as errors (were they
        // counted, 10.5 % would be a slow burn).
        burns(
            ERRORS,
            &calls(&[
                ("ok", "0+179x370"),
                ("error", "0+1x370"),
                ("cancelled", "0+20x370"),
            ]),
            "6h",
            [false, false],
        ),
        // 80 % of calls over 2.5 s, the smallest bound at or above 2 s this histogram has (at
        // 5 s, none would be).
        burns(
            LATENCY,
            &durations(
                "0+100x60",
                &[("1", "0+10x60"), ("2.5", "0+20x60"), ("5", "0+100x60")],
            ),
            "1h",
            [true, true],
        ),
        // With a bound at 2 s itself, that one counts: 90 % over it, none over 2.5 s.
        burns(
            LATENCY,
            &durations("0+100x60", &[("2", "0+10x60"), ("2.5", "0+100x60")]),
            "1h",
            [true, true],
        ),
        // 40 % slower, for six hours.
        burns(
            LATENCY,
            &durations("0+100x370", &[("2.5", "0+60x370"), ("5", "0+100x370")]),
            "6h",
            [false, true],
        ),
        // 2 % slower: within the 5 % a P95 allows.
        burns(
            LATENCY,
            &durations("0+100x370", &[("2.5", "0+98x370"), ("5", "0+100x370")]),
            "6h",
            [false, false],
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[test]
fn burn_rate_alerts_fire_on_fast_and_slow_burns_and_stay_silent_within_budget() {
    if !require_tool(promtool_available(), "promtool (Debian package prometheus)") {
        return;
    }
    let dir = written("slo");
    let catalogs = [common::catalog()];
    let rules = octo_ops::rules::rules(&catalogs, &common::options());
    let cases = cases();
    run_cases(&dir, &rules, &cases);

    let burn_rate = octo_ops::slo::alerts(&catalogs);
    let names: Vec<&str> = burn_rate.iter().map(|(_, r)| r.alert.as_str()).collect();
    assert_eq!(names, [ERRORS, LATENCY].concat());
    assert_covered(burn_rate.iter().map(|(_, rule)| rule), &cases);
    // They are among the rules `alerts.yml` holds.
    for (_, rule) in &burn_rate {
        assert!(rules.iter().any(|(_, r)| r.alert == rule.alert));
    }
    // Objectives replace the fixed thresholds; an event without them keeps those.
    let alerts: Vec<&str> = rules.iter().map(|(_, r)| r.alert.as_str()).collect();
    assert!(!alerts.contains(&"TaskExecuteHighErrorRatio"), "{alerts:?}");
    assert!(!alerts.contains(&"TaskExecuteSlowP95"), "{alerts:?}");
    assert!(alerts.contains(&"CacheLookupHighErrorRatio"), "{alerts:?}");
    assert!(alerts.contains(&"CacheLookupSlowP95"), "{alerts:?}");
    let _ = std::fs::remove_dir_all(dir);
}

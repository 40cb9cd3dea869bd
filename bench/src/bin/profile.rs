//! Runs one variant's calls in a loop, for `valgrind --tool=callgrind`: the instructions a call
//! costs, on every thread, are the difference between two runs of different lengths.
//!
//! `profile traced|json|full N`

use octo_instrument::observed;

#[inline(never)]
fn work(x: u64) -> u64 {
    std::hint::black_box(x).wrapping_mul(31).rotate_left(7)
}

#[observed(event = "bench.profile")]
fn observed_work(x: u64) -> u64 {
    work(x)
}

#[inline(never)]
fn run(calls: u64) {
    for i in 0..calls {
        std::hint::black_box(observed_work(i));
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let variant = args.first().map_or("traced", String::as_str);
    let calls: u64 = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(100_000);
    let config = match variant {
        "traced" => octo_instrument::Config::new().log_level("warn"),
        "json" => octo_instrument::Config::new().log_level("info"),
        other => panic!("unknown variant {other}"),
    };
    let (dispatch, guard) = config
        .log_writer(std::io::sink())
        .dispatch()
        .expect("a valid configuration");
    tracing::dispatcher::with_default(&dispatch, || run(calls));
    guard.flush(std::time::Duration::from_secs(10));
}

//! Sampling of high-volume log lines: `#[observed(event = "..", sample = 0.01)]` keeps that
//! fraction of an event's `started` / `completed` lines, and [`set_rate`] changes it while the
//! service runs. The decision is made once per trace (from the trace id), so a kept call keeps
//! both lines and one request's calls are kept or left out together. `failed`, `panicked`,
//! `cancelled` and `slow` lines are always written, metrics count every call, and the lines left
//! out are counted in `octo_telemetry_sampled_out_total{event}`.
//!
//! ```
//! #[octo_instrument::observed(event = "docs.sampled_work", sample = 0.5)]
//! fn work() {}
//!
//! work(); // registers the call site
//! assert_eq!(octo_instrument::sampling::rate("docs.sampled_work"), Some(0.5));
//! assert_eq!(octo_instrument::sampling::set_rate("docs.sampled_work", 0.01), Ok(1));
//! assert_eq!(octo_instrument::sampling::rate("docs.sampled_work"), Some(0.01));
//! assert!(octo_instrument::sampling::set_rate("docs.sampled_work", 1.5).is_err());
//! ```

use crate::observe::site::all_sites;

/// Sets the fraction of `event`'s `started`/`completed` lines kept, in (0, 1]; returns how many
/// call sites observe the event. An error (nothing changed) for a rate outside (0, 1].
pub fn set_rate(event: &str, rate: f64) -> Result<usize, String> {
    if !(rate > 0.0 && rate <= 1.0) {
        return Err(format!(
            "invalid sample rate {rate} for {event:?}: expected a number above 0 and at most 1"
        ));
    }
    let mut sites = 0;
    for site in all_sites().filter(|site| site.event() == event) {
        site.set_sample_rate(rate);
        sites += 1;
    }
    Ok(sites)
}

/// The current rate of `event`, if the binary has a call site of it.
pub fn rate(event: &str) -> Option<f64> {
    all_sites()
        .find(|site| site.event() == event)
        .map(crate::observe::site::CallSite::sample_rate)
}

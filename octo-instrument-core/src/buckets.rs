//! The standard's histogram bucket lists, in seconds, by the preset names `#[observed(buckets =
//! ..)]` takes.
//!
//! ```
//! use octo_instrument_core::buckets;
//!
//! assert_eq!(buckets::preset("llm"), Some(buckets::LLM));
//! assert_eq!(buckets::preset("fast"), None);
//! ```

/// HTTP request durations: the standard's `http_request_duration_seconds` buckets.
pub const HTTP: &[f64] = &[0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Task durations: from a tenth of a second to ten minutes.
pub const TASK: &[f64] = &[
    0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0,
];

/// LLM API latencies: model calls take from a few hundred milliseconds to a minute.
pub const LLM: &[f64] = &[0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0];

/// Events without a `buckets` argument: Prometheus' default list, 5 ms to 10 s.
pub const DEFAULT: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The presets by name, in the order error messages list them.
pub const PRESETS: &[(&str, &[f64])] = &[("http", HTTP), ("task", TASK), ("llm", LLM)];

/// The bounds of the preset `name`.
pub fn preset(name: &str) -> Option<&'static [f64]> {
    PRESETS
        .iter()
        .find(|(preset, _)| *preset == name)
        .map(|(_, bounds)| *bounds)
}

/// The preset names as an error message lists them: `` `http`, `task`, `llm` ``.
pub fn preset_names() -> String {
    PRESETS
        .iter()
        .map(|(name, _)| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_increase() {
        for (name, bounds) in PRESETS.iter().chain([&("default", DEFAULT)]) {
            assert!(bounds.windows(2).all(|w| w[0] < w[1]), "{name}");
        }
        assert_eq!(preset_names(), "`http`, `task`, `llm`");
    }
}

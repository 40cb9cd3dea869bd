//! Bucket lists of the OctoLLM standard, selectable with `#[observed(buckets = http)]`.
//!
//! ```
//! use octo_instrument::observed;
//!
//! #[observed(event = "docs.bucket_example", buckets = llm)]
//! fn complete() {}
//!
//! complete();
//! let text = octo_instrument::metrics::render();
//! for bound in octo_instrument::metrics::buckets::LLM {
//!     assert!(text.contains(&format!(r#"event="docs.bucket_example",outcome="ok",le="{bound}"}}"#)));
//! }
//! ```

/// HTTP request durations, seconds: the standard's `http_request_duration_seconds` buckets.
pub const HTTP: &[f64] = &[0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Task durations, seconds: from a tenth of a second to ten minutes.
pub const TASK: &[f64] = &[
    0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0,
];

/// LLM API latencies, seconds: model calls take from a few hundred milliseconds to a minute.
pub const LLM: &[f64] = &[0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0];

/// Events without a `buckets` argument: Prometheus' default list, 5 ms to 10 s.
pub const DEFAULT: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

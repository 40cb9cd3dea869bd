//! The benchmark is `benches/overhead.rs`: `cargo bench -p octo-instrument-bench`.

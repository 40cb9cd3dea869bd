//! Runnable examples live in `examples/`: `cargo run -p octo-instrument-examples --example quickstart`.

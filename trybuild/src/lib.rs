//! Compile-pass and compile-fail cases live in `ui/`; `tests/ui.rs` runs them.

//! A broken catalog is one error, on the first event name checked.

#[test]
fn bad_catalog() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui");
    // SAFETY: as in catalog.rs: one test, set before trybuild starts.
    unsafe { std::env::set_var("OCTO_EVENT_CATALOG", dir.join("bad-catalog/octo-events.toml")) };
    trybuild::TestCases::new().compile_fail("ui/bad-catalog/fail/*.rs");
}

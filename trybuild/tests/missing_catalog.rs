//! A catalog named by `OCTO_EVENT_CATALOG` that does not exist is an error at each event name.

#[test]
fn missing_catalog() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui");
    // SAFETY: as in catalog.rs: one test, set before trybuild starts. The file is never created.
    unsafe {
        std::env::set_var(
            "OCTO_EVENT_CATALOG",
            dir.join("missing-catalog/octo-events.toml"),
        );
    };
    trybuild::TestCases::new().compile_fail("ui/missing-catalog/fail/*.rs");
}

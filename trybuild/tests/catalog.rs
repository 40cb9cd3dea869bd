//! UI cases against an event catalog: `OCTO_EVENT_CATALOG` points the macros at
//! `ui/catalog/octo-events.toml` (and, in its own process, at a broken one).

#[test]
fn catalog() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui");
    // SAFETY: set before any thread of this test binary reads the environment; trybuild's cargo
    // (and its rustc and proc-macros) inherit it. This binary has this one test only.
    unsafe { std::env::set_var("OCTO_EVENT_CATALOG", dir.join("catalog/octo-events.toml")) };
    let cases = trybuild::TestCases::new();
    cases.pass("ui/catalog/pass/*.rs");
    cases.compile_fail("ui/catalog/fail/*.rs");
}

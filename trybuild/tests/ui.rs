//! Runs the UI cases: every misuse is an error on the offending token that says what to write.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/**/*.rs");
    cases.compile_fail("ui/fail/**/*.rs");
}

//! `network!` diagnostics: each compile-fail case is one mistake, named after it, with the
//! caret under the offending layer or argument (tests/ui/macro); every block kind compiles
//! (tests/ui/macro/pass).
#[test]
fn macro_diagnostics() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/macro/*.rs");
    t.pass("tests/ui/macro/pass/*.rs");
}

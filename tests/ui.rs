//! Compile-time shape checking: networks that do not fit must fail with a message naming the
//! problem (`tests/ui/shape`), and well-formed ones must compile (`tests/ui/pass`).
#[test]
fn shape_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/shape/*.rs");
    t.pass("tests/ui/pass/*.rs");
}

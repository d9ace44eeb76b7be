//! Mistakes made *with* a network (typed API: forward, infer, forward_train, backward, losses,
//! dl-models sizes, hand-composed chains, budgets) fail with the error locked here
//! (tests/ui/typed); zero hyper-parameters are one-line `cargo check` errors (tests/ui/hyper);
//! the boxed network `new` returns and the prelude work everywhere (tests/ui/typed_pass).
#[test]
fn typed_api_diagnostics() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/typed/*.rs");
    t.compile_fail("tests/ui/hyper/*.rs");
    t.pass("tests/ui/typed_pass/*.rs");
}

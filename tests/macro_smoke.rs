use dl::network;

network! {
    /// A tiny chain.
    pub struct Tiny: [1, 8, 8] {
        Conv2d(1, 4, 3, pad = 1), ReLU,
        Conv2d(8, 3, stride = 2), Tanh,
        Flatten,
        Linear(72, 10),
    }
}

#[test]
fn tiny_builds() {
    println!("{}", Tiny::summary());
    assert_eq!(Tiny::PARAMS, 4 * 9 + 4 + 8 * 4 * 9 + 8 + 72 * 10 + 10);
}

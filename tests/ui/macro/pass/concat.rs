use dl::network;

network! {
    /// Inception (3a) in miniature.
    pub struct Inception: [16, 7, 7] {
        concat {
            { Conv2d(8, 1), ReLU },
            { Conv2d(6, 1), ReLU, Conv2d(8, 3, pad = 1), ReLU },
            { Conv2d(2, 1), ReLU, Conv2d(4, 5, pad = 2), ReLU },
            { Conv2d(4, 1) },
        },
        Conv2d(24, 10, 1),
        Conv2d(10, 7), Flatten, Softmax,
    }
}

fn main() {
    let _ = Inception::new(0);
}

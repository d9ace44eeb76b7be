use dl::network;

network! {
    pub struct Deep: [4, 6, 6] {
        repeat(5) { Conv2d(4, 4, 3, pad = 1), ReLU },
        repeat(2) {
            residual { Conv2d(4, 4, 3, pad = 1), ReLU, Dropout(0.25), Conv2d(4, 4, 1) },
            Tanh,
        },
        Flatten, Linear(144, 8), BatchNorm1d(8), Dropout,
    }
}

fn main() {
    let _ = Deep::new(0);
    let _ = Deep::summary();
}

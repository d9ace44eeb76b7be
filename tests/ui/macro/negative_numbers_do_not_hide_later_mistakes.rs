use dl::network;

network! {
    pub struct Net: [1, 28, 28] {
        Conv2d(1, 6, 5, pad = -1), LeakyReLU(-0.1),
        Dropout(p = -0.5),
        Flatten,
        Linear(10, 0),
    }
}

fn main() {}

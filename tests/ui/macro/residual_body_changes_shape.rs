use dl::network;

network! {
    pub struct Net: [8, 8, 8] {
        residual {
            Conv2d(8, 16, 3, pad = 1), ReLU,
        },
    }
}

fn main() {}

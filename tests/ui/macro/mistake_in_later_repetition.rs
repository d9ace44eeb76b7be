use dl::network;

network! {
    pub struct Net: [4, 8, 8] {
        repeat(3) {
            Conv2d(4, 8, 3, pad = 1), ReLU,
        },
    }
}

fn main() {}

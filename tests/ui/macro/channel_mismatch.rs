use dl::network;

network! {
    pub struct Net: [1, 28, 28] {
        Conv2d(1, 6, 5), ReLU,
        Conv2d(3, 16, 5),
    }
}

fn main() {}

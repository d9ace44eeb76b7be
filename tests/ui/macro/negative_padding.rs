use dl::network;

network! {
    pub struct Net: [1, 28, 28] {
        Conv2d(1, 6, 5, pad = -1),
    }
}

fn main() {}

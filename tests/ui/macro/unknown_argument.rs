use dl::network;

network! {
    pub struct Net: [1, 8, 8] {
        Conv2d(1, 4, 3, strides = 2),
    }
}

fn main() {}

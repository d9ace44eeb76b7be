use dl::network;

network! {
    pub struct Net: [3, 8, 8] {
        repeat(0) { Conv2d(3, 3, 3, pad = 1) },
    }
}

fn main() {}

// Padding takes 1, 2 (height, width) or 4 (top, bottom, left, right) numbers.
use dl::network;

network! {
    pub struct Net: [1, 8, 8] {
        Conv2d(1, 2, 3, pad = (1, 2, 3)),
    }
}

fn main() {}

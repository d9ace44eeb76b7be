// A 3×2 window padded by 2 on the left and right: more than half its width.
use dl::network;

network! {
    pub struct Net: [1, 8, 8] {
        MaxPool2d((3, 2), padding = (1, 2)),
    }
}

fn main() {}

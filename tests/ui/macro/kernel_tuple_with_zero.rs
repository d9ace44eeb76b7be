// A 3×0 kernel.
use dl::network;

network! {
    pub struct Net: [1, 8, 8] {
        Conv2d(1, 2, (3, 0)),
    }
}

fn main() {}

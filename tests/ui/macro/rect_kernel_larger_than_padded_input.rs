// A 10×4 kernel on an 8×10 map: taller than the input along the height.
use dl::network;

network! {
    pub struct Net: [1, 8, 10] {
        Conv2d(1, 4, (10, 4), stride = (2, 2)),
    }
}

fn main() {}

// TF 'same' with a 3×3 kernel at dilation 3 (7×7) on a 5×5 map.
use dl::network;

network! {
    pub struct Net: [1, 5, 5] {
        Conv2d(1, 2, 3, pad = "same", dilation = 3),
    }
}

fn main() {}

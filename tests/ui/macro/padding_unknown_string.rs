// "full" is not a padding mode.
use dl::network;

network! {
    pub struct Net: [1, 8, 8] {
        Conv2d(1, 2, 3, padding = "full"),
    }
}

fn main() {}

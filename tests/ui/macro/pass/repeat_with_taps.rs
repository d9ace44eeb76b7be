//! A tap and its skip inside `repeat(n)`: each repetition has its own tap.
use dl::network;

network! {
    pub struct Net: [4, 8, 8] {
        repeat(3) {
            tap t,
            Conv2d(4, 4, 3, pad = 1), ReLU,
            Conv2d(4, 4, 3, pad = 1),
            skip(t),
            ReLU,
        },
    }
}

fn main() {
    let _ = Net::new(0);
}

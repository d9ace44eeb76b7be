//! Empty lists are the identity: a DenseNet-style `{ }` concat branch, `residual { }`, an empty
//! shortcut, and a skip with nothing between its tap and itself.
use dl::network;

network! {
    pub struct Net: [3, 8, 8] {
        concat { { }, { Conv2d(3, 2, 3, pad = 1), ReLU } },
        residual { },
        residual { Conv2d(5, 5, 3, pad = 1) } shortcut { },
        tap a,
        skip(a),
        Flatten,
        Linear(320, 4),
    }
}

fn main() {
    let _ = Net::new(0);
}

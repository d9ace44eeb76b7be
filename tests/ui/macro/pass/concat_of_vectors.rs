//! Concat joins vectors end to end, as dl-core's `Concat` does.
use dl::network;

network! {
    pub struct Net: [6] {
        concat { { Linear(6, 4), ReLU }, { Linear(6, 3) }, { } },
        Linear(13, 2),
    }
}

fn main() {
    let _ = Net::new(0);
}

use dl::network;

network! {
    pub struct Net: [16, 5, 5] {
        Flatten,
        Linear(500, 120),
    }
}

fn main() {}

use dl::network;

network! {
    pub struct Net: [16, 5, 5] {
        Linear(400, 120),
    }
}

fn main() {}

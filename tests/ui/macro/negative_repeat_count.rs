use dl::network;

network! {
    pub struct Net: [8] {
        repeat(-2) { Linear(8, 8) },
    }
}

fn main() {}

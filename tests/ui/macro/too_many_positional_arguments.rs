use dl::network;

network! {
    pub struct Net: [10] {
        Linear(10, 5, 2),
    }
}

fn main() {}

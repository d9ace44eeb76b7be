use dl::network;

network! {
    pub struct Net: [1, 28] {
        Flatten,
    }
}

fn main() {}

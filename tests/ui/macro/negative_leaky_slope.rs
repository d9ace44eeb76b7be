use dl::network;

network! {
    pub struct Net: [8] {
        Linear(8, 4), LeakyReLU(-0.1),
    }
}

fn main() {}

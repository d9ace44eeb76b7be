use dl::network;

network! {
    pub struct Net: [8, 6, 6] {
        LocalResponseNorm(0),
    }
}

fn main() {}

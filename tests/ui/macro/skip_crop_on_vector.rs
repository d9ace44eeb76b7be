use dl::network;

network! {
    pub struct Net: [8] {
        tap a,
        Linear(8, 8),
        skip(a, crop = 1),
    }
}

fn main() {}

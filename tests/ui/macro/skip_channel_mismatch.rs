use dl::network;

network! {
    pub struct Net: [3, 8, 8] {
        tap t,
        Conv2d(3, 5, 3, pad = 1),
        skip(t),
    }
}

fn main() {}

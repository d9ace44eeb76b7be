use dl::network;

network! {
    pub struct Net: [3, 10, 10] {
        tap t,
        Conv2d(3, 3, 2),
        skip(t),
    }
}

fn main() {}

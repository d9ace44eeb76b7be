use dl::network;

network! {
    pub struct Net: [3, 8, 8] {
        tap a,
        Conv2d(3, 3, 3, pad = 1),
    }
}

fn main() {}

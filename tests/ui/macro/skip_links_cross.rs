use dl::network;

network! {
    pub struct Net: [3, 8, 8] {
        tap a,
        Conv2d(3, 3, 3, pad = 1),
        tap b,
        Conv2d(3, 3, 3, pad = 1),
        skip(a),
        skip(b),
    }
}

fn main() {}

use dl::network;

network! {
    pub struct Net: [4, 8, 8] {
        tap a,
        Conv2d(4, 4, 3, pad = 1),
        skip(a),
        Conv2d(4, 4, 3, pad = 1),
        skip(a),
    }
}

fn main() {}

use dl::network;

network! {
    pub struct Net: [3, 8, 8] {
        skip(a),
        Conv2d(3, 3, 3, pad = 1),
        tap a,
    }
}

fn main() {}

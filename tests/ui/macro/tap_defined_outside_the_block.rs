use dl::network;

network! {
    pub struct Net: [4, 8, 8] {
        tap a,
        residual {
            Conv2d(4, 4, 3, pad = 1),
            skip(a),
        },
    }
}

fn main() {}

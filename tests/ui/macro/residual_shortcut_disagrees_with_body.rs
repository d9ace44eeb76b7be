use dl::network;

network! {
    pub struct Net: [8, 8, 8] {
        residual {
            Conv2d(8, 16, 3, stride = 2, pad = 1),
        } shortcut {
            Conv2d(8, 16, 1),
        },
    }
}

fn main() {}

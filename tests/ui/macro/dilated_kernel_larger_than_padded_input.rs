use dl::network;

network! {
    pub struct Net: [1, 6, 6] {
        Conv2d(1, 4, 3, pad = 0, dilation = 3),
    }
}

fn main() {}

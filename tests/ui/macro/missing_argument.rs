use dl::network;

network! {
    pub struct Net: [1, 8, 8] {
        Conv2d(out_channels = 4),
    }
}

fn main() {}

use dl::network;

network! {
    pub struct Net: [3, 1, 1] {
        ConvTranspose2d(3, 3, 1, pad = 1),
    }
}

fn main() {}

use dl::network;

network! {
    pub struct Net: [3, 4, 4] {
        tap t,
        ConvTranspose2d(3, 3, 2, stride = 2),
        skip(t),
    }
}

fn main() {}

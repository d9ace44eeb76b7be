use dl::network;

network! {
    pub struct Net: [3, 8, 8] {
        BatchNorm2d(3, eps = -0.001),
    }
}

fn main() {}

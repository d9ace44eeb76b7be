use dl::network;

network! {
    pub struct Net: [3, 8, 8] {
        Conv2d(3, 8, 3),
        BatchNorm2d(6),
    }
}

fn main() {}

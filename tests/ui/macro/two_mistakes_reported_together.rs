use dl::network;

network! {
    pub struct Net: [1, 28, 28] {
        Conv2d(1, 6, 5, stride = 0),
        Conv2d(6, 16, 5),
        Flaten,
    }
}

fn main() {}

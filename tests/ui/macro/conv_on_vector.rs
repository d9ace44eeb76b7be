use dl::network;

network! {
    pub struct Net: [100] {
        Conv2d(1, 4, 3),
    }
}

fn main() {}

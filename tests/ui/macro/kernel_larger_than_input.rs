use dl::network;

network! {
    pub struct Net: [1, 4, 4] {
        Conv2d(1, 6, 5),
    }
}

fn main() {}

use dl::network;

network! {
    pub struct Net: [3, 8, 8] {
        Conv2d(3, 4, 0),
    }
}

fn main() {}

use dl::network;

network! {
    pub struct Net: [4, 8, 8] {
        Conv2d(4, 4, 3, groups = 0),
    }
}

fn main() {}

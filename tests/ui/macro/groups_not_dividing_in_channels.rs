use dl::network;

network! {
    pub struct Net: [6, 8, 8] {
        Conv2d(6, 8, 3, groups = 4),
    }
}

fn main() {}

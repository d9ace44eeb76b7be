use dl::network;

network! {
    pub struct Net: [8, 8, 8] {
        Conv2d(8, 12, 3, groups = 8),
    }
}

fn main() {}

use dl::network;

network! {
    pub struct Net: [1, 8, 8] {
        Conv3d(1, 4, 3),
    }
}

fn main() {}

use dl::network;

network! {
    pub struct Net: [1, 8, 8] {
        Conv2d(1, 4, 3, bias = 3),
    }
}

fn main() {}

use dl::network;

network! {
    pub struct Net: [3, 8, 8] {
        MaxPool2d(3, stride = 2, ceil_mode = 2),
    }
}

fn main() {}

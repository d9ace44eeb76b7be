use dl::network;

network! {
    pub struct Net: [3, 8, 8] {
        MaxPool2d(0, stride = 1),
    }
}

fn main() {}

use dl::network;

network! {
    pub struct Net: [4, 2, 2] {
        MaxPool2d(2),
        MaxPool2d(2),
    }
}

fn main() {}

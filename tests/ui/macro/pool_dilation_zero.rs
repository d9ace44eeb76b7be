use dl::network;

network! {
    pub struct Net: [3, 8, 8] {
        MaxPool2d(2, dilation = 0),
    }
}

fn main() {}

use dl::network;

network! {
    pub struct Net: [4, 6, 6] {
        concat {
            { Conv2d(4, 2, 1) },
            { Flatten, Linear(144, 8) },
        },
    }
}

fn main() {}

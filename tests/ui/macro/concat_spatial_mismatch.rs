use dl::network;

network! {
    pub struct Net: [3, 8, 8] {
        concat {
            { Conv2d(3, 4, 1) },
            { Conv2d(3, 4, 3) },
        },
    }
}

fn main() {}

use dl::network;

network! {
    pub struct Net: [8] {
        Dropout(-0.5), Linear(8, 4),
    }
}

fn main() {}

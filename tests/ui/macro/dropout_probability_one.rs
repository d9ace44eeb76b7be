use dl::network;

network! {
    pub struct Net: [10] {
        Dropout(1.0),
    }
}

fn main() {}

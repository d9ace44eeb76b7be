use dl::network;

network! {
    pub struct Net: [10] {
        Maxout(0),
    }
}

fn main() {}

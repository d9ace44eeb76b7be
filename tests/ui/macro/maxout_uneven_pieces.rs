use dl::network;

network! {
    pub struct Net: [10] {
        Maxout(3),
    }
}

fn main() {}

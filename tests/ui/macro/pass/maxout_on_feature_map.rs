//! Maxout on a feature map groups channels pixel by pixel, as dl-core's `Maxout` does.
use dl::network;

network! {
    pub struct Net: [6, 4, 4] {
        Conv2d(6, 6, 3, pad = 1),
        Maxout(3),
        Conv2d(2, 2, 1),
    }
}

fn main() {
    let _ = Net::new(0);
}

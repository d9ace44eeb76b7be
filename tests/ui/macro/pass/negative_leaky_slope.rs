// PyTorch accepts any LeakyReLU slope: negative, 0 and above 1.
use dl::network;

network! {
    pub struct Net: [8] {
        Linear(8, 4), LeakyReLU(-0.1),
        Linear(4, 4), LeakyReLU(0),
        Linear(4, 4), LeakyReLU(negative_slope = 2.5),
    }
}

fn main() {
    let _net = Net::new(0);
}

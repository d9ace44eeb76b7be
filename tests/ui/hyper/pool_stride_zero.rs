// A max-pool with stride 0.
use dl::consts::*;
use dl::*;

fn main() {
    let _net = Network::<Shape3<U1, U8, U8>, MaxPool2d<U2, U0>>::new(0);
}

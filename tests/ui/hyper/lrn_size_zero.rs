// Local response normalisation over a window of 0 channels.
use dl::consts::*;
use dl::*;

fn main() {
    let _net = Network::<Shape3<U4, U8, U8>, LocalResponseNorm<U0>>::new(0);
}

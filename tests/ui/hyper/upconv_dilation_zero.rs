// A transposed convolution with dilation 0.
use dl::consts::*;
use dl::*;

fn main() {
    let _net = Network::<Shape3<U2, U4, U4>, ConvTranspose2d<U2, U3, U3, U2, U1, U0>>::new(0);
}

// A convolution with dilation 0.
use dl::consts::*;
use dl::*;

fn main() {
    let _net = Network::<Shape3<U1, U8, U8>, Conv2d<U1, U4, U3, U1, U0, U0>>::new(0);
}

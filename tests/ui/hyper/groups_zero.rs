// A convolution of zero groups.
use dl::consts::*;
use dl::*;

fn main() {
    let _net = Network::<Shape3<U4, U8, U8>, Conv2d<U4, U4, U3, U1, U0, U1, Bias, U0>>::new(0);
}

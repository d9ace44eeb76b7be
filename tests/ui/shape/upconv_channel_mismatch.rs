// A transposed convolution taking 8 channels after a convolution that makes 4.
use dl::consts::*;
use dl::*;

fn main() {
    let _net = Network::<Shape3<U3, U8, U8>, Seq![Conv2d<U3, U4, U3>, ConvTranspose2d<U8, U2, U2, U2>]>::new(0);
}

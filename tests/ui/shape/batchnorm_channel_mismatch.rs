// BatchNorm2d<16> after a convolution that makes 8 channels.
use dl::consts::*;
use dl::*;

fn main() {
    let _net = Network::<Shape3<U3, U8, U8>, Seq![Conv2d<U3, U8, U3>, BatchNorm2d<U16>]>::new(0);
}

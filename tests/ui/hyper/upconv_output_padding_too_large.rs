// A transposed convolution with stride 2 and output_padding 2: PyTorch needs output_padding < max(stride, dilation).
use dl::consts::*;
use dl::*;

fn main() {
    let _net = Network::<Shape3<U2, U4, U4>, ConvTranspose2d<U2, U3, U3, U2, U1, U1, U2>>::new(0);
}

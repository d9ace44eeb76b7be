// A 1×1 transposed convolution with padding 1 on a 1×1 map: (1−1)·1 − 2 + 1 = −1 pixels.
use dl::consts::*;
use dl::*;

fn main() {
    let _net = Network::<Shape3<U2, U1, U1>, ConvTranspose2d<U2, U2, U1, U1, U1>>::new(0);
}

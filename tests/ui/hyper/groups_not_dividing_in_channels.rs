// Four groups cannot split six input channels.
use dl::consts::*;
use dl::*;

fn main() {
    let _net = Network::<Shape3<U6, U8, U8>, Conv2d<U6, U8, U3, U1, U0, U1, Bias, U4>>::new(0);
}

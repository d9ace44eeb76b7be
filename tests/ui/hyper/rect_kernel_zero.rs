// A 3×0 kernel.
use dl::consts::*;
use dl::*;

fn main() {
    let _net = Network::<Shape3<U1, U8, U8>, Conv2d<U1, U2, (U3, U0)>>::new(0);
}

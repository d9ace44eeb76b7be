// An average pool over a 0×0 window.
use dl::consts::*;
use dl::*;

fn main() {
    let _net = Network::<Shape3<U2, U8, U8>, AvgPool2d<U0>>::new(0);
}

// A 2×2 pool padded by 2 at the bottom: a whole window of padding.
use dl::consts::*;
use dl::*;

fn main() {
    let _net = Network::<Shape3<U1, U8, U8>, MaxPool2d<U2, U2, (U0, U2, U0, U0)>>::new(0);
}

// Maxout over groups of 0 features.
use dl::consts::*;
use dl::*;

fn main() {
    let _net = Network::<Shape1<U4>, Seq![Linear<U4, U8>, Maxout<U0>]>::new(0);
}

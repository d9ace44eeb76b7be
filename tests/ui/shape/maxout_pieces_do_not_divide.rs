// Maxout over groups of 3 features cannot split 10 features.
use dl::consts::*;
use dl::*;

fn main() {
    let _net = Network::<Shape1<U4>, Seq![Linear<U4, U10>, Maxout<U3>]>::new(0);
}

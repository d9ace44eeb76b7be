// A LeakyReLU slope NUM/DEN with DEN = 0 (1/0 = ∞): rejected by `cargo check`.
use dl::consts::*;
use dl::*;

fn main() {
    let _net = Network::<Shape1<U8>, Seq![Linear<U8, U4>, LeakyReLU<U1, U0>]>::new(0);
}

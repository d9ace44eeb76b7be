// BatchNorm with ε = 0 (Eps<M, E> is M·10⁻ᴱ; the mantissa is 0): rejected by `cargo check`.
use dl::consts::*;
use dl::*;

fn main() {
    let _net = Network::<Shape3<U3, U8, U8>, Seq![Conv2d<U3, U4, U3>, BatchNorm2d<U4, Eps<U0, U3>>]>::new(0);
}

// BatchNorm1d with ε = 1·10⁻⁴⁰, below f32's normal range.
use dl::consts::*;
use dl::*;

fn main() {
    let _net = Network::<Shape1<U8>, Seq![Linear<U8, U4>, BatchNorm1d<U4, Eps<U1, U40>>]>::new(0);
}

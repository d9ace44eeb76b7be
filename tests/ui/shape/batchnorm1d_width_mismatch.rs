// BatchNorm1d<32> after a Linear that makes 16 features.
use dl::consts::*;
use dl::*;

fn main() {
    let _net = Network::<Shape1<U8>, Seq![Linear<U8, U16>, BatchNorm1d<U32>]>::new(0);
}

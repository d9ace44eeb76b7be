// Hyper-parameter mistakes inside a hand-composed chain: the first line says which link (counted
// from 0), as the chain's shape mistakes do; the same layer alone keeps the plain message.
use dl::consts::*;
use dl::*;

type Maps = dl::layers::norm::Maps;

fn main() {
    let _kernel = Network::<Shape3<U1, U8, U8>, Seq![ReLU, Conv2d<U1, U4, (U3, U0)>]>::new(0);
    let _stride = Network::<Shape3<U4, U8, U8>, Seq![ReLU, ReLU, MaxPool2d<U2, U0>]>::new(0);
    let _groups =
        Network::<Shape3<U4, U8, U8>, Seq![ReLU, Conv2d<U4, U6, U3, U1, U1, U1, Bias, U4>]>::new(0);
    let _eps = Network::<Shape3<U4, U8, U8>, Seq![ReLU, BatchNorm<U4, Maps, Eps<U0, U5>>]>::new(0);
    let _lrn = Network::<Shape3<U4, U8, U8>, Seq![ReLU, ReLU, LocalResponseNorm<U0>]>::new(0);
    let _dropout = Network::<Shape1<U8>, Seq![Linear<U8, U8>, Dropout<U2, U2>]>::new(0);
    let _pool_pad = Network::<Shape3<U4, U8, U8>, Seq![ReLU, AvgPool2d<U2, U2, U2>]>::new(0);
}

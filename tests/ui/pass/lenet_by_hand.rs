// LeNet-5 composed by hand from dl-core layers: every intermediate shape is computed.
use dl::consts::*;
use dl::*;

type LeNet = Seq![
    Conv2d<U1, U6, U5, U1, U2>, ReLU,
    Conv2d<U6, U16, U5>, ReLU,
    Flatten,
    Linear<typenum::Prod<U16, U576>, U120>, ReLU,
    Linear<U120, U84>, ReLU,
    Linear<U84, U10>,
];

fn out<L: Layer<Shape3<U1, U28, U28>, Out = Shape1<U10>>>(_: &L) {}

fn main() {
    let net = Network::<Shape3<U1, U28, U28>, LeNet>::new(0);
    out(&net.layers);
}

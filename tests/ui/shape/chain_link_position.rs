// LeNet-5 written by hand with the first Linear sized for a 5×5 map of 6 channels: link 7 (counted
// from 0) is the one that does not fit, and the first line says so. Inside a residual block, the
// links count within the block's own chain.
use dl::consts::*;
use dl::*;

type LeNet = Seq![
    Conv2d<U1, U6, U5, U1, U2>, ReLU, MaxPool2d<U2>,
    Conv2d<U6, U16, U5>, ReLU, MaxPool2d<U2>,
    Flatten,
    Linear<U150, U120>, ReLU,
    Linear<U120, U84>, ReLU,
    Linear<U84, U10>,
];

type Block = Residual<Seq![Conv2d<U4, U4, U3, U1, U1>, ReLU, BatchNorm2d<U8>], Identity>;

fn main() {
    let _lenet = Network::<Shape3<U1, U28, U28>, LeNet>::new(0);
    let _block = Network::<Shape3<U4, U8, U8>, Seq![ReLU, Block]>::new(0);
}

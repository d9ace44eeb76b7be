// The residual body turns 4 channels into 8, so it cannot be added to the identity shortcut.
use dl::consts::*;
use dl::*;

type Block = Residual<Seq![Conv2d<U4, U8, U3, U1, U1>, ReLU], Identity>;

fn main() {
    let _net = Network::<Shape3<U4, U8, U8>, Seq![Block, ReLU]>::new(0);
}

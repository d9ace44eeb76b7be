// TF 'same' with a 3×3 kernel at dilation 3 (7×7) on a 5×5 input.
use dl::consts::*;
use dl::*;

fn main() {
    let _net = Network::<Shape3<U1, U5, U5>, Conv2d<U1, U2, U3, U1, Same, U3>>::new(0);
}

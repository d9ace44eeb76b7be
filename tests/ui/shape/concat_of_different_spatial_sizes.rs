// One branch pads (8×8 stays 8×8), the other does not (8×8 becomes 6×6): no channel concat.
use dl::consts::*;
use dl::*;

type Inception = Concat<Conv2d<U3, U4, U3, U1, U1>, Conv2d<U3, U4, U3>>;

fn main() {
    let _net = Network::<Shape3<U3, U8, U8>, Inception>::new(0);
}

// Dropout<NUM, DEN> drops with probability NUM/DEN; 2/2 would drop everything.
use dl::consts::*;
use dl::*;

fn main() {
    let _net = Network::<Shape1<U16>, Seq![Linear<U16, U8>, Dropout<U2, U2>]>::new(0);
}

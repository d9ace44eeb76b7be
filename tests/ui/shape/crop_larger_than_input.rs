// Cropping a 6×6 window at offset (1, 1) out of a 6×6 map.
use dl::consts::*;
use dl::*;

fn main() {
    let _net = Network::<Shape3<U2, U6, U6>, Crop<U6, U6, U1, U1>>::new(0);
}

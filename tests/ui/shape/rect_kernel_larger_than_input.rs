// A 10×4 kernel on an 8×10 input: 10 > 8 along the height.
use dl::consts::*;
use dl::*;

type Net = Seq![Conv2d<U1, U4, (U10, U4), U2>, ReLU];

fn main() {
    let _net = Network::<Shape3<U1, U8, U10>, Net>::new(0);
}

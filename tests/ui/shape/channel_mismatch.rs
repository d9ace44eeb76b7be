// The first convolution makes 6 channels; the second expects 3.
use dl::consts::*;
use dl::*;

type Net = Seq![Conv2d<U1, U6, U5>, ReLU, Conv2d<U3, U16, U5>];

fn main() {
    let _net = Network::<Shape3<U1, U28, U28>, Net>::new(0);
}

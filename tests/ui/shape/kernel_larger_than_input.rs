// A 7×7 kernel on a 5×5 input with padding 0: 7 > 5 + 2·0.
use dl::consts::*;
use dl::*;

type Net = Seq![Conv2d<U1, U4, U7>, ReLU];

fn main() {
    let _net = Network::<Shape3<U1, U5, U5>, Net>::new(0);
}

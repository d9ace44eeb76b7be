// A Conv2d after Flatten: a convolution on a vector.
use dl::consts::*;
use dl::*;

type Net = Network<Shape3<U1, U28, U28>, Seq![Flatten, Conv2d<U1, U4, U5>]>;

fn main() {
    let _net = Net::new(0);
}

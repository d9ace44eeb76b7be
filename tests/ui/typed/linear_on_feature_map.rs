// A Linear placed straight after a convolution, without Flatten.
use dl::consts::*;
use dl::*;

type Net = Network<Shape3<U1, U12, U12>, Seq![Conv2d<U1, U4, U5>, ReLU, Linear<U256, U10>]>;

fn main() {
    let _net = Net::new(0);
}

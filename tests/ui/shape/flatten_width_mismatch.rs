// Flatten of [16, 5, 5] gives 400 features; the Linear expects 256.
use dl::consts::*;
use dl::*;

type Net = Seq![Conv2d<U6, U16, U5>, Flatten, Linear<U256, U120>];

fn main() {
    let _net = Network::<Shape3<U6, U9, U9>, Net>::new(0);
}

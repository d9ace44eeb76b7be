// A 3×3 pooling window on a 2×2 map.
use dl::consts::*;
use dl::*;

type Net = Seq![Conv2d<U1, U4, U3>, MaxPool2d<U3>];

fn main() {
    let _net = Network::<Shape3<U1, U4, U4>, Net>::new(0);
}

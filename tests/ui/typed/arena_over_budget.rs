// A resource budget that the network exceeds: the failure shows the actual arena size.
use dl::consts::*;
use dl::*;

type Net = Network<Shape3<U1, U12, U12>, Seq![Conv2d<U1, U8, U3>, ReLU, Flatten, Linear<U800, U10>]>;

dl::assert_arena_le!(Net, 1024);

fn main() {}

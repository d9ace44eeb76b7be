// A [1, 12, 12] network given a batch of 16×16 images.
use dl::consts::*;
use dl::*;

type Net = Network<Shape3<U1, U12, U12>, Seq![Conv2d<U1, U4, U5>, ReLU, Flatten, Linear<U256, U10>]>;

fn main() {
    let net = Net::new(0);
    let x = Batch::<Shape3<U1, U16, U16>>::zeros(8);
    let _y = net.forward(&x);
}

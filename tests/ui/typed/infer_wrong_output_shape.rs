// Typed one-sample inference writing a 10-class network's output into a [5] tensor.
use dl::consts::*;
use dl::*;

type Net = Network<Shape3<U1, U12, U12>, Seq![Conv2d<U1, U4, U5>, ReLU, Flatten, Linear<U256, U10>]>;

fn main() {
    let net = Net::new(0);
    let x = Tensor::<Shape3<U1, U12, U12>>::zeros();
    let mut y = Tensor::<Shape1<U5>>::zeros();
    let mut scratch = vec![0.0; Net::scratch_len()];
    net.infer(&x, &mut y, &mut scratch);
}

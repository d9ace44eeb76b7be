// Typed one-sample inference given a [3, 12, 12] tensor for a [1, 12, 12] network.
use dl::consts::*;
use dl::*;

type Net = Network<Shape3<U1, U12, U12>, Seq![Conv2d<U1, U4, U5>, ReLU, Flatten, Linear<U256, U10>]>;

fn main() {
    let net = Net::new(0);
    let x = Tensor::<Shape3<U3, U12, U12>>::zeros();
    let mut y = Tensor::<Shape1<U10>>::zeros();
    let mut scratch = vec![0.0; Net::scratch_len()];
    net.infer(&x, &mut y, &mut scratch);
}

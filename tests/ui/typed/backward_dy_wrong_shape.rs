// Backward given a dy of 5 values per sample for a 10-output network.
use dl::consts::*;
use dl::*;

type Net = Network<Shape3<U1, U12, U12>, Seq![Conv2d<U1, U4, U5>, ReLU, Flatten, Linear<U256, U10>]>;

fn main() {
    let mut net = Net::new(0);
    let x = Batch::<Shape3<U1, U12, U12>>::zeros(8);
    let mut y = Batch::zeros(8);
    let mut cache = Default::default();
    net.forward_train(&x, &mut y, &mut cache);
    let dy = Batch::<Shape1<U5>>::zeros(8);
    let mut dx = Batch::zeros(8);
    let mut grad = net.zero_grad();
    net.backward(&x, &y, &dy, &mut dx, &mut cache, &mut grad);
}

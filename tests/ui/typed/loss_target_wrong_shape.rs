// MSE between a [10] output and a [1] target.
use dl::consts::*;
use dl::*;

type Net = Network<Shape1<U3>, Seq![Linear<U3, U16>, ReLU, Linear<U16, U10>]>;

fn main() {
    let net = Net::new(0);
    let x = Batch::<Shape1<U3>>::zeros(4);
    let y = net.forward(&x);
    let target = Batch::<Shape1<U1>>::zeros(4);
    let _ = loss::mse(&y, &target);
}

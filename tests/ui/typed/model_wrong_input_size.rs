// dl-models' LeNet-5 takes [1, 32, 32]; given 28×28 digits.
use dl::consts::*;
use dl_models::LeNet5;
use dl::*;

fn main() {
    let net = LeNet5::new(0);
    let x = Batch::<Shape3<U1, U28, U28>>::zeros(8);
    let _y = net.forward(&x);
}

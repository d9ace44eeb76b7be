// A network! struct for [1, 28, 28] given a batch of 32×32 images.
use dl::consts::*;
use dl::*;

network! {
    struct Cnn: [1, 28, 28] {
        Conv2d(1, 4, 5), ReLU, Flatten, Linear(2304, 10),
    }
}

fn main() {
    let net = Cnn::new(0);
    let x = Batch::<Shape3<U1, U32, U32>>::zeros(8);
    let _y = net.forward(&x);
}

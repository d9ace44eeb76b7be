// A network! struct with 10 outputs given a dy of 5 values per sample in backward.
use dl::consts::*;
use dl::*;

network! {
    struct Cnn: [1, 12, 12] {
        Conv2d(1, 4, 5), ReLU, Flatten, Linear(256, 10),
    }
}

fn main() {
    let mut net = Cnn::new(0);
    let x = Batch::<Shape3<U1, U12, U12>>::zeros(8);
    let mut y = Batch::zeros(8);
    let mut cache = Default::default();
    net.forward_train(&x, &mut y, &mut cache);
    let dy = Batch::<Shape1<U5>>::zeros(8);
    let mut dx = Batch::zeros(8);
    let mut grad = zeroed_box::<CnnGrad>();
    net.backward(&x, &y, &dy, &mut dx, &mut cache, &mut grad);
}

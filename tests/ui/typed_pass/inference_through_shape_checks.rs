// The typed entry points take their shapes as parameters bounded by "same shape" traits
// (`AcceptsInput`, `AcceptsOutput`, `AcceptsTarget`, `{Name}InputBatch`, …), which must not cost
// type inference: batches, tensors and targets built without a shape annotation are inferred
// from the call they are passed to.
use dl::consts::*;
use dl::*;

type Net = Network<Shape1<U3>, Seq![Linear<U3, U8>, ReLU, Linear<U8, U2>]>;

network! {
    struct Mlp: [3] {
        Linear(3, 8), ReLU, Linear(8, 2),
    }
}

fn main() {
    // the generic Network
    let mut net = Net::new(0);
    let y = net.forward(&Batch::zeros(4));
    assert_eq!(y.len(), 4);
    let x = Batch::from_vec(vec![0.5; 12]).unwrap();
    let mut y = Batch::zeros(4);
    let mut cache = Default::default();
    net.forward_train(&x, &mut y, &mut cache);
    let (l, dy) = loss::mse(&y, &Batch::zeros(4)).unwrap();
    assert!(l > 0.0);
    let mut dx = Batch::zeros(4);
    let mut grad = net.zero_grad();
    net.backward(&x, &y, &dy, &mut dx, &mut cache, &mut grad);
    assert_eq!(dx.as_slice().len(), 12);
    let mut out = Tensor::zeros();
    let mut scratch = vec![0.0; Net::scratch_len()];
    net.infer(&Tensor::zeros(), &mut out, &mut scratch);
    assert_eq!(out.as_slice().len(), 2);

    // a network! struct
    let mut mlp = Mlp::new(0);
    assert_eq!(mlp.forward(&Batch::zeros(2)).len(), 2);
    let mut y = Batch::zeros(4);
    let mut cache = Default::default();
    mlp.forward_train(&x, &mut y, &mut cache);
    let (_, dy) = loss::mse(&y, &Batch::zeros(4)).unwrap();
    let mut dx = Batch::zeros(4);
    let mut grad = zeroed_box::<MlpGrad>();
    mlp.backward(&x, &y, &dy, &mut dx, &mut cache, &mut grad);
    assert_eq!(dx.as_slice().len(), 12);
    // generic code over the traits still sees the one implementation
    assert_eq!(Layer::forward(&*mlp, &x).as_slice(), mlp.forward(&x).as_slice());
}

// One import: a network! struct trained with an optimiser, saved, and checked against budgets,
// with nothing but the prelude; the box `Net::new` returns is stepped and saved as it is (`&mut net`).
use dl::prelude::*;

network! {
    struct Mlp: [3] {
        Linear(3, 8), ReLU, Linear(8, 2),
    }
}

assert_arena_le!(Mlp, 1024);
assert_le!(Mlp::PARAMS, 50);

fn main() {
    let mut net = Mlp::new(0);
    let x = Batch::from_vec(vec![0.5; 12]).unwrap();
    let y0 = net.forward(&x);
    let mut y = Batch::zeros(4);
    let mut cache = Default::default();
    let mut opt = Adam::new(0.01);
    for _ in 0..3 {
        net.forward_train(&x, &mut y, &mut cache);
        let (_, dy) = softmax_cross_entropy(&y, &[0, 1, 0, 1]).unwrap();
        let mut grad = zeroed_box::<MlpGrad>();
        let mut dx = Batch::zeros(4);
        net.backward(&x, &y, &dy, &mut dx, &mut cache, &mut grad);
        opt.step(&mut net, &grad);
    }
    assert_ne!(net.forward(&x).as_slice(), y0.as_slice());
    assert_eq!(io::raw_len(&net), Mlp::PARAMS * 4);
}

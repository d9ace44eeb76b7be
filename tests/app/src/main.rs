//! A user's crate: a small MLP built with `network!`, a few Adam steps on y = x₀ − x₁ + x₂/2;
//! with `--features lenet`, also one LeNet-5 (from dl-models) inference.
use dl::consts::*;
use dl::optim::{Adam, Optimizer};
use dl::{network, zeroed_box, Batch, Layer, Module, Shape1, Train};

network! {
    struct Mlp: [3] { Linear(3, 16), Tanh, Linear(16, 1) }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let x: Vec<f32> = (0..96).map(|i| ((i * 37 % 23) as f32 - 11.0) / 11.0).collect();
    let t: Vec<f32> = x.chunks(3).map(|s| s[0] - s[1] + s[2] / 2.0).collect();
    let (x, t) = (Batch::<Shape1<U3>>::from_vec(x)?, Batch::<Shape1<U1>>::from_vec(t)?);
    let mut net = Mlp::new(1);
    let mut grad = zeroed_box::<MlpGrad>();
    let mut opt = Adam::new(1e-2);
    let (mut y, mut dx, mut cache) = (Batch::default(), Batch::default(), Default::default());
    let mut first = None;
    let mut loss = 0.0;
    for _ in 0..200 {
        net.forward_train(&x, &mut y, &mut cache);
        let (l, dy) = dl::loss::mse(&y, &t)?;
        first.get_or_insert(l);
        loss = l;
        grad.zero();
        net.backward(&x, &y, &dy, &mut dx, &mut cache, &mut grad);
        opt.step(&mut net, &grad);
    }
    println!("MSE {:.4} -> {loss:.4}", first.unwrap_or(loss));
    #[cfg(feature = "lenet")]
    {
        let lenet = dl::models::LeNet5::new(0);
        let out = lenet.forward(&Batch::from_vec(vec![0.5; 32 * 32])?);
        println!("LeNet-5 logits: {} values", out.as_slice().len());
    }
    Ok(())
}

//! Shared checks: parameter counts by visiting, a forward pass, training steps.
#![allow(dead_code)]
use dl_core::loss::{mse, pixel_cross_entropy, softmax_cross_entropy};
use dl_core::rng::Rng;
use dl_core::{zeroed_box, Batch, Layer, Module, Shape, Shape1, Shape3, Train};
use std::sync::Mutex;

/// Big models (hundreds of MB of weights and gradients) run one at a time.
pub static BIG: Mutex<()> = Mutex::new(());

/// A batch of `n` deterministic inputs in [-1, 1].
pub fn input<S: Shape>(n: usize, seed: u64) -> Batch<S> {
    let mut r = Rng::new(seed);
    Batch::from_fn(n, |_| r.uniform_in(-1.0, 1.0))
}

/// Counts the parameters by visiting them (independently of the `PARAMS` consts).
pub fn visited<M: Module>(m: &M) -> usize {
    let mut n = 0;
    m.visit(&mut |p| n += p.len());
    n
}

/// Eval-mode forward of `n` samples; every output finite; returns the outputs.
pub fn forward<In: Shape, N: Layer<In> + Sync>(net: &N, n: usize) -> Batch<N::Out> {
    let y = net.forward(&input::<In>(n, 7));
    assert_eq!(y.len(), n);
    assert!(
        y.as_slice().iter().all(|v| v.is_finite()),
        "non-finite output"
    );
    y
}

/// `steps` SGD steps at `lr` on one repeated mini-batch `x`; the training-mode losses.
pub fn train<In: Shape, N: Train<In>>(
    net: &mut N,
    x: &Batch<In>,
    lr: f32,
    steps: usize,
    loss: impl Fn(&Batch<N::Out>) -> (f32, Batch<N::Out>),
) -> Vec<f32>
where
    N::Grad: dl_core::Zeroable,
{
    let mut g = zeroed_box::<N::Grad>();
    let (mut y, mut dx, mut cache) = (Batch::zeros(0), Batch::zeros(0), N::Cache::default());
    let mut losses = Vec::new();
    for _ in 0..steps {
        net.forward_train(x, &mut y, &mut cache);
        let (l, dy) = loss(&y);
        assert!(l.is_finite(), "loss {l}");
        losses.push(l);
        g.zero();
        net.backward(x, &y, &dy, &mut dx, &mut cache, &mut g);
        net.visit_with_grad(&g, &mut |p, gr| {
            p.iter_mut().zip(gr).for_each(|(a, b)| *a -= lr * b)
        });
    }
    losses
}

/// Asserts the last loss is below the first (and every loss finite).
pub fn assert_decreases(name: &str, losses: &[f32]) {
    println!("{name}: losses {losses:?}");
    assert!(losses.iter().all(|l| l.is_finite()));
    assert!(
        losses.last() < losses.first(),
        "{name}: loss did not decrease: {losses:?}"
    );
}

/// Softmax cross-entropy against labels `i % classes`.
pub fn ce<N: dl_core::typenum::Unsigned>(y: &Batch<Shape1<N>>) -> (f32, Batch<Shape1<N>>)
where
    Shape1<N>: dl_core::ClassAxis,
{
    let labels: Vec<usize> = (0..y.len()).map(|i| (3 * i + 1) % N::USIZE).collect();
    softmax_cross_entropy(y, &labels).unwrap()
}

/// Per-pixel cross-entropy against a fixed label pattern.
pub fn pixel_ce<
    K: dl_core::typenum::Unsigned,
    H: dl_core::typenum::Unsigned,
    W: dl_core::typenum::Unsigned,
>(
    y: &Batch<Shape3<K, H, W>>,
) -> (f32, Batch<Shape3<K, H, W>>)
where
    Shape3<K, H, W>: dl_core::ClassAxis,
{
    let p = H::USIZE * W::USIZE;
    let labels: Vec<usize> = (0..y.len() * p)
        .map(|i| {
            ((i % W::USIZE) * 4 / W::USIZE + 2 * ((i / W::USIZE) % H::USIZE * 2 / H::USIZE))
                % K::USIZE
        })
        .collect();
    pixel_cross_entropy(y, &labels, None).unwrap()
}

/// MSE against a fixed target.
pub fn mse_to<S: Shape + dl_core::ShowShape>(
    t: &Batch<S>,
) -> impl Fn(&Batch<S>) -> (f32, Batch<S>) + '_ {
    move |y| mse(y, t).unwrap()
}

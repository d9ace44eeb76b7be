//! Macro-vs-hand equivalence helpers: run a network's inference on every sample, two training
//! steps (forward, backward) and collect every gradient (a third step with `backward_params` must
//! give the same bits), then compare two networks after copying the parameters of one into the
//! other. Included by `#[path]` from the equivalence tests.
#![allow(dead_code)]
use dl::rng::Rng;
use dl::*;

/// Values and the gradients of one training step, plus inference output.
pub struct Run {
    pub infer: Vec<f32>,
    pub y: Vec<f32>,
    pub dx: Vec<f32>,
    pub grads: Vec<f32>,
}

pub fn batch<S: Shape>(n: usize, seed: u64) -> Batch<S> {
    let mut r = Rng::new(seed);
    Batch::from_fn(n, |_| r.uniform_in(-1.0, 1.0))
}

pub fn run<In: Shape, L: Train<In> + Sync>(l: &mut L, n: usize) -> Run {
    let x = batch::<In>(n, 11);
    let dy = batch::<L::Out>(n, 12);
    let mut infer = vec![0.0; n * <L::Out as Shape>::NUMEL];
    let mut arena = vec![0.0; L::SCRATCH];
    for i in 0..n {
        let o = <L::Out as Shape>::NUMEL;
        l.infer(x.sample(i), &mut infer[i * o..(i + 1) * o], &mut arena);
    }
    let mut y = Batch::<L::Out>::zeros(0);
    let mut dx = Batch::<In>::zeros(0);
    let mut c = L::Cache::default();
    let mut g = zeroed_box::<L::Grad>();
    // Two steps: the second must not see state left by the first (gradients are added, so
    // zero them in between).
    for _ in 0..2 {
        g.zero();
        l.forward_train(&x, &mut y, &mut c);
        l.backward(&x, &y, &dy, &mut dx, &mut c, &mut g);
    }
    let mut grads = Vec::new();
    l.visit_with_grad(&g, &mut |_, gr| grads.extend_from_slice(gr));
    // a third step without the input gradient: the same parameter gradients, to the bit
    g.zero();
    l.forward_train(&x, &mut y, &mut c);
    l.backward_params(&x, &y, &dy, &mut c, &mut g);
    let mut again = Vec::new();
    l.visit_with_grad(&g, &mut |_, gr| again.extend_from_slice(gr));
    assert_eq!(grads.len(), again.len());
    for (i, (a, b)) in grads.iter().zip(&again).enumerate() {
        assert!(
            a.to_bits() == b.to_bits(),
            "parameter gradient {i}: backward {a} vs backward_params {b}"
        );
    }
    Run {
        infer,
        y: y.into_vec(),
        dx: dx.into_vec(),
        grads,
    }
}

/// Copies every parameter of `a` into `b` (same visiting order).
pub fn copy_params<A: Module, B: Module>(a: &A, b: &mut B) {
    let mut all = Vec::new();
    a.visit(&mut |p| all.push(p.to_vec()));
    let mut it = all.into_iter();
    b.visit_mut(&mut |p| p.copy_from_slice(&it.next().expect("same parameter count")));
    assert!(it.next().is_none());
}

pub fn close(what: &str, a: &[f32], b: &[f32]) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        let tol = 1e-6 * 1f32.max(x.abs()).max(y.abs());
        assert!(
            (x - y).abs() <= tol,
            "{what}[{i}]: macro {x} vs hand {y} (tolerance {tol})"
        );
    }
}

pub fn compare<In: Shape, M, H>(m: &mut M, h: &mut H, n: usize)
where
    M: Train<In> + Sync,
    H: Train<In, Out = M::Out> + Sync,
{
    compare_with::<In, M, H>(m, h, n, true)
}

/// `eval_is_train`: inference equals the training forward (no batch-norm / dropout).
pub fn compare_with<In: Shape, M, H>(m: &mut M, h: &mut H, n: usize, eval_is_train: bool)
where
    M: Train<In> + Sync,
    H: Train<In, Out = M::Out> + Sync,
{
    copy_params(m, h);
    let (a, b) = (run::<In, M>(m, n), run::<In, H>(h, n));
    close("inference", &a.infer, &b.infer);
    close("training output", &a.y, &b.y);
    if eval_is_train {
        close("training output vs inference", &a.y, &a.infer);
    }
    close("dx", &a.dx, &b.dx);
    close("parameter gradients", &a.grads, &b.grads);
    assert!(a.grads.iter().any(|g| *g != 0.0));
}

/// Inference only (before any training step changes the running statistics).
pub fn compare_infer<In: Shape, M: Train<In> + Sync, H: Train<In, Out = M::Out> + Sync>(
    m: &mut M,
    h: &mut H,
) {
    copy_params(m, h);
    let x = batch::<In>(1, 13);
    let o = <M::Out as Shape>::NUMEL;
    let (mut a, mut b) = (vec![0.0; o], vec![0.0; o]);
    m.infer(x.sample(0), &mut a, &mut vec![0.0; M::SCRATCH]);
    h.infer(x.sample(0), &mut b, &mut vec![0.0; H::SCRATCH]);
    close("folded inference", &a, &b);
}

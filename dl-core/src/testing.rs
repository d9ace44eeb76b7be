//! Test helpers (compiled for tests only): finite-difference gradient checks and PyTorch
//! fixtures written by `scripts/torch_fixtures.py`.
#![allow(dead_code)]
use crate::layer::{zeroed_box, Module, Train};
use crate::rng::Rng;
use crate::shape::Shape;
use crate::tensor::Batch;
use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use std::collections::BTreeMap;

/// Tensors from one fixture file: `name v0 v1 …` per line.
pub struct Fixture {
    pub name: String,
    pub tensors: BTreeMap<String, Vec<f32>>,
}

impl Fixture {
    pub fn get(&self, key: &str) -> &[f32] {
        self.tensors
            .get(key)
            .unwrap_or_else(|| panic!("fixture {} has no tensor {key}", self.name))
    }
}

/// Loads `dl-core/fixtures/<name>.txt`.
pub fn fixture(name: &str) -> Fixture {
    let path = std::format!("{}/fixtures/{name}.txt", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut tensors = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let mut it = line.split_whitespace();
        let key = it.next().unwrap().to_string();
        let vals = it
            .map(|v| {
                v.parse::<f32>()
                    .unwrap_or_else(|e| panic!("{path} {key}: {e}"))
            })
            .collect();
        tensors.insert(key, vals);
    }
    Fixture {
        name: name.to_string(),
        tensors,
    }
}

/// Copies fixture tensors, in `Module::visit` order, into the layer's parameters.
pub fn load_params<M: Module>(m: &mut M, fx: &Fixture, names: &[&str]) {
    let mut i = 0;
    m.visit_mut(&mut |p| {
        let src = fx.get(names[i]);
        assert_eq!(
            p.len(),
            src.len(),
            "fixture {} tensor {}",
            fx.name,
            names[i]
        );
        p.copy_from_slice(src);
        i += 1;
    });
    assert_eq!(i, names.len(), "layer has {i} parameter tensors");
}

/// Asserts `|got − want| ≤ tol·(1 + |want|)` elementwise.
pub fn assert_close(what: &str, got: &[f32], want: &[f32], tol: f32) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * (1.0 + w.abs()),
            "{what}[{i}]: got {g}, PyTorch {w} (tol {tol})"
        );
    }
}

/// [`assert_close`] where a NaN must meet a NaN and an infinity the same infinity.
pub fn assert_close_nonfinite(what: &str, got: &[f32], want: &[f32], tol: f32) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let ok = if w.is_nan() {
            g.is_nan()
        } else if w.is_infinite() {
            g == w
        } else {
            (g - w).abs() <= tol * (1.0 + w.abs())
        };
        assert!(ok, "{what}[{i}]: got {g}, PyTorch {w} (tol {tol})");
    }
}

/// One training forward and a backward with the given `dy`: returns `(y, dx, grad)`.
pub fn run_train<In: Shape, L: Train<In>>(
    l: &mut L,
    x: &[f32],
    dy: &[f32],
) -> (Vec<f32>, Vec<f32>, Box<L::Grad>) {
    let x = Batch::<In>::from_vec(x.to_vec()).expect("x length");
    let dy = Batch::<L::Out>::from_vec(dy.to_vec()).expect("dy length");
    let mut y = Batch::default();
    let mut c = L::Cache::default();
    l.forward_train(&x, &mut y, &mut c);
    let mut dx = Batch::default();
    let mut g = zeroed_box::<L::Grad>();
    l.backward(&x, &y, &dy, &mut dx, &mut c, &mut g);
    (y.into_vec(), dx.into_vec(), g)
}

/// [`Train::backward_params`] after a fresh training forward gives the parameter gradients
/// `g` of [`Train::backward`], to the bit.
fn same_params_grads<In: Shape, L: Train<In>>(l: &mut L, x: &Batch<In>, dy: &[f32], g: &L::Grad) {
    let dy = Batch::<L::Out>::from_vec(dy.to_vec()).expect("dy length");
    let (mut y, mut c) = (Batch::default(), L::Cache::default());
    l.forward_train(x, &mut y, &mut c);
    let mut g2 = zeroed_box::<L::Grad>();
    l.backward_params(x, &y, &dy, &mut c, &mut g2);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    g.visit(&mut |v| a.extend_from_slice(v));
    g2.visit(&mut |v| b.extend_from_slice(v));
    assert_eq!(a.len(), b.len());
    for (i, (p, q)) in a.iter().zip(&b).enumerate() {
        assert!(
            p.to_bits() == q.to_bits(),
            "gradient {i}: backward {p} vs backward_params {q}"
        );
    }
}

fn loss<In: Shape, L: Train<In>>(l: &mut L, x: &Batch<In>, r: &[f32]) -> f64 {
    let mut y = Batch::default();
    let mut c = L::Cache::default();
    l.forward_train(x, &mut y, &mut c);
    y.as_slice()
        .iter()
        .zip(r)
        .map(|(a, b)| *a as f64 * *b as f64)
        .sum()
}

fn close(a: f64, n: f64) -> bool {
    (a - n).abs() <= 1e-2 * a.abs().max(n.abs()) + 3e-3
}

/// Finite-difference check of `dx` and every parameter gradient of `l` on a batch of `n`
/// random samples, with the scalar loss `L = Σ r ⊙ y` for a random `r`.
pub fn check_layer_grads<In: Shape, L: Train<In>>(l: &mut L, n: usize, seed: u64) {
    check_layer_grads_with::<In, L>(l, n, seed, |r| r.normal());
}

/// [`check_layer_grads`] with a custom input distribution.
pub fn check_layer_grads_with<In: Shape, L: Train<In>>(
    l: &mut L,
    n: usize,
    seed: u64,
    mut sample: impl FnMut(&mut Rng) -> f32,
) {
    let mut rng = Rng::new(seed);
    let mut x = Batch::<In>::from_fn(n, |_| sample(&mut rng));
    let r: Vec<f32> = (0..n * L::Out::NUMEL).map(|_| rng.normal()).collect();
    let (_, dx, g) = run_train::<In, L>(l, x.as_slice(), &r);
    same_params_grads::<In, L>(l, &x, &r, &g);
    let eps = 3e-3f32;
    let stride = (x.as_slice().len() / 40).max(1);
    for i in (0..x.as_slice().len()).step_by(stride) {
        let v = x.as_slice()[i];
        x.as_mut_slice()[i] = v + eps;
        let lp = loss::<In, L>(l, &x, &r);
        x.as_mut_slice()[i] = v - eps;
        let lm = loss::<In, L>(l, &x, &r);
        x.as_mut_slice()[i] = v;
        let num = (lp - lm) / (2.0 * eps as f64);
        assert!(
            close(dx[i] as f64, num),
            "dx[{i}]: backward {} vs finite difference {num}",
            dx[i]
        );
    }
    let mut grads: Vec<Vec<f32>> = Vec::new();
    l.visit_with_grad(&g, &mut |_, gr| grads.push(gr.to_vec()));
    for (t, gt) in grads.iter().enumerate() {
        let stride = (gt.len() / 25).max(1);
        for i in (0..gt.len()).step_by(stride) {
            let nudge = |d: f32, l: &mut L| {
                let mut k = 0;
                l.visit_mut(&mut |p| {
                    if k == t {
                        p[i] += d;
                    }
                    k += 1;
                });
            };
            nudge(eps, l);
            let lp = loss::<In, L>(l, &x, &r);
            nudge(-2.0 * eps, l);
            let lm = loss::<In, L>(l, &x, &r);
            nudge(eps, l);
            let num = (lp - lm) / (2.0 * eps as f64);
            assert!(
                close(gt[i] as f64, num),
                "param {t}[{i}]: backward {} vs finite difference {num}",
                gt[i]
            );
        }
    }
}

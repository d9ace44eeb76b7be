//! BatchNorm's error against a float64 reference computed here, at large maps and on
//! low-variance channels with an offset mean (the cases where f32 sums lose digits).
use super::*;
use crate::layer::{new_boxed, Train};
use crate::testing::run_train;
use alloc::vec::Vec;
use typenum::consts::*;

/// `(y, dx, dγ, dβ)` of one training step, in f64, from the same f32 inputs.
fn reference(
    x: &[f32],
    dy: &[f32],
    c: usize,
    m: usize,
    gamma: &[f32],
    beta: &[f32],
    eps: f64,
) -> [Vec<f64>; 4] {
    let n = x.len() / (c * m);
    let (mut y, mut dx) = (vec![0.0; x.len()], vec![0.0; x.len()]);
    let (mut dg, mut db) = (vec![0.0; c], vec![0.0; c]);
    for ch in 0..c {
        let idx = || (0..n).flat_map(move |s| (0..m).map(move |j| (s * c + ch) * m + j));
        let cnt = (n * m) as f64;
        let mu = idx().map(|i| x[i] as f64).sum::<f64>() / cnt;
        let var = idx().map(|i| (x[i] as f64 - mu).powi(2)).sum::<f64>() / cnt;
        let is = 1.0 / (var + eps).sqrt();
        let xh = |i: usize| (x[i] as f64 - mu) * is;
        db[ch] = idx().map(|i| dy[i] as f64).sum();
        dg[ch] = idx().map(|i| dy[i] as f64 * xh(i)).sum();
        for i in idx() {
            y[i] = xh(i) * gamma[ch] as f64 + beta[ch] as f64;
            dx[i] = gamma[ch] as f64 * is * (dy[i] as f64 - db[ch] / cnt - xh(i) * dg[ch] / cnt);
        }
    }
    [y, dx, dg, db]
}

/// The largest `|got − want| / |want|` (each channel's parameter gradient on its own).
fn rel_each(got: &[f32], want: &[f64]) -> f64 {
    got.iter()
        .zip(want)
        .fold(0.0f64, |a, (&g, &w)| a.max((g as f64 - w).abs() / w.abs()))
}

/// The largest `|got − want|` over the largest `|want|`.
fn rel_err(got: &[f32], want: &[f64]) -> f64 {
    let scale = want.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    let err = got
        .iter()
        .zip(want)
        .fold(0.0f64, |a, (&g, &w)| a.max((g as f64 - w).abs()));
    err / scale
}

/// Relative errors `[y, dx, dγ, dβ]` of a `BatchNorm2d<C>` step on `[n, C, H, W]` whose channel
/// `ch` has mean `means[ch]` and standard deviation `stds[ch]`.
fn errors<S: Shape, C: ArrayLength>(n: usize, means: &[f32], stds: &[f32], seed: u64) -> [f64; 4]
where
    BatchNorm2d<C>: Train<S, Out = S, Grad = BatchNormGrad<C>>,
{
    let (c, m) = (C::USIZE, S::NUMEL / C::USIZE);
    let mut rng = Rng::new(seed);
    let x: Vec<f32> = (0..n * S::NUMEL)
        .map(|i| means[i / m % c] + stds[i / m % c] * rng.normal())
        .collect();
    let dy: Vec<f32> = (0..x.len()).map(|_| rng.normal()).collect();
    let mut l = new_boxed::<BatchNorm2d<C>>(0);
    for ch in 0..c {
        l.weight[ch] = rng.uniform_in(0.5, 1.5);
        l.bias[ch] = rng.uniform_in(-0.5, 0.5);
    }
    let (gamma, beta) = (l.weight.to_vec(), l.bias.to_vec());
    let (y, dx, g) = run_train::<S, BatchNorm2d<C>>(&mut *l, &x, &dy);
    let [ry, rdx, rdg, rdb] = reference(&x, &dy, c, m, &gamma, &beta, 1e-5);
    let e = [
        rel_err(&y, &ry),
        rel_err(&dx, &rdx),
        rel_each(&g.dweight, &rdg),
        rel_each(&g.dbias, &rdb),
    ];
    std::println!("BatchNorm2d [{n}, {c}, {m} values] means {means:?} stds {stds:?}: relative errors y {:.1e} dx {:.1e} dγ {:.1e} dβ {:.1e}", e[0], e[1], e[2], e[3]);
    e
}

/// At 96×96 with an offset low-variance channel (mean 3, σ 1e-3) and an ordinary one, every
/// output and gradient stays within a few f32 roundings of the float64 result.
#[test]
fn batchnorm2d_precision_at_96x96_and_offset_means() {
    let a = errors::<Shape3<U2, U96, U96>, U2>(4, &[3.0, 0.7], &[1e-3, 1.5], 1);
    // the low-variance channel alone, and a large ordinary map
    let b = errors::<Shape3<U1, U64, U64>, U1>(8, &[3.0], &[1e-3], 2);
    let c = errors::<Shape3<U3, U128, U128>, U3>(2, &[-20.0, 0.0, 5.0], &[0.5, 1.0, 1e-2], 3);
    for e in [a, b, c] {
        for (what, err) in ["y", "dx", "dγ", "dβ"].iter().zip(e) {
            assert!(err < 1e-6, "{what}: relative error {err:.2e} vs float64");
        }
    }
}

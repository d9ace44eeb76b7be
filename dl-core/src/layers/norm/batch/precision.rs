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

/// `2u − 1` for `u` = bits 8..32 of `(i + 1)·2654435761 + k·40503 (mod 2³²)` over 2²⁴: the
/// inputs `scripts/torch_fixtures_nonfinite.py` gave PyTorch, made here rather than stored.
fn hashed(n: usize, k: u64) -> Vec<f32> {
    (0..n as u64)
        .map(|i| {
            let h = ((i + 1) * 2_654_435_761 + k * 40_503) % (1 << 32);
            (h >> 8) as f32 * (1.0 / (1u32 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

/// The largest `|got − want|` over the largest `|want|`, and the same for PyTorch float32.
fn both(name: &str, ours: &[f32], torch32: &[f32], want: &[f32]) -> (f64, f64) {
    let w: Vec<f64> = want.iter().map(|&v| v as f64).collect();
    let (a, b) = if ours.len() == 3 {
        (rel_each(ours, &w), rel_each(torch32, &w))
    } else {
        (rel_err(ours, &w), rel_err(torch32, &w))
    };
    std::println!("{name}: dl {a:.1e}, PyTorch float32 {b:.1e} (vs PyTorch float64)");
    (a, b)
}

/// BatchNorm2d(3) on [2, 3, 64, 64] with channel means 3, −20, 0.5 and σ 1e-3, 0.5, 1 against
/// PyTorch in float64 (`bn2d_64x64_offset`): every output and gradient at least as close as
/// PyTorch's own float32 result (within 1e-6).
#[test]
fn batchnorm2d_64x64_offset_means_match_pytorch_float64() {
    type S = Shape3<U3, U64, U64>;
    let fx = crate::testing::fixture("bn2d_64x64_offset");
    let (n, m) = (2, 64 * 64);
    let (means, stds) = ([3.0f32, -20.0, 0.5], [1e-3f32, 0.5, 1.0]);
    let x: Vec<f32> = hashed(n * 3 * m, 0)
        .iter()
        .enumerate()
        .map(|(i, &t)| stds[i / m % 3] * t + means[i / m % 3])
        .collect();
    let dy = hashed(n * 3 * m, 1);
    let sum = |v: &[f32]| v.iter().map(|&a| a as f64).sum::<f64>();
    assert!(
        (sum(&x) - fx.get("x_sum")[0] as f64).abs() < 1e-2,
        "same x as PyTorch"
    );
    assert!(
        (sum(&dy) - fx.get("dy_sum")[0] as f64).abs() < 1e-3,
        "same dy as PyTorch"
    );
    let mut l = new_boxed::<BatchNorm2d<U3>>(0);
    l.weight.copy_from_slice(&[0.7, 1.3, 1.0]);
    l.bias.copy_from_slice(&[0.1, -0.2, 0.3]);
    let (y, dx, g) = run_train::<S, BatchNorm2d<U3>>(&mut *l, &x, &dy);
    let idx: Vec<usize> = fx.get("idx").iter().map(|&i| i as usize).collect();
    let at = |v: &[f32]| idx.iter().map(|&i| v[i]).collect::<Vec<f32>>();
    let checks = [
        ("y", at(&y), "y"),
        ("dx", at(&dx), "dx"),
        ("dγ", g.dweight.to_vec(), "dweight"),
        ("dβ", g.dbias.to_vec(), "dbias"),
        ("running_mean", l.running_mean.to_vec(), "running_mean"),
        ("running_var", l.running_var.to_vec(), "running_var"),
    ];
    for (name, ours, key) in checks {
        let (t32, t64) = (fx.get(&format!("{key}32")), fx.get(&format!("{key}64")));
        let (a, b) = both(name, &ours, t32, t64);
        assert!(
            a <= b + 1e-6,
            "{name}: dl {a:.2e} vs PyTorch float32 {b:.2e}"
        );
    }
}

use super::*;
use crate::fused::conv2d_infer;
use crate::fused::conv_scratch;
use crate::kernels::gemm::{force_path, paths};
use crate::rng::Rng;
use std::vec;
use std::vec::Vec;

/// The direct convolution in `f64`: `(y, Σ|w·x| + |b|)` per output.
fn direct(g: &Geom, o: usize, w: &[f32], b: &[f32], x: &[f32]) -> (Vec<f64>, Vec<f64>) {
    let (c, plane) = (g.c, g.cols());
    let mut y = vec![0.0f64; o * plane];
    let mut s = vec![0.0f64; o * plane];
    for oc in 0..o {
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                let bias = if b.is_empty() { 0.0 } else { b[oc] as f64 };
                let (mut acc, mut mag) = (bias, bias.abs());
                for ch in 0..c {
                    for ki in 0..3 {
                        for kj in 0..3 {
                            let iy = (oy + ki) as isize - g.pt as isize;
                            let ix = (ox + kj) as isize - g.pl as isize;
                            if iy < 0 || ix < 0 || iy as usize >= g.h || ix as usize >= g.w {
                                continue;
                            }
                            let xv = x[(ch * g.h + iy as usize) * g.w + ix as usize] as f64;
                            let wv = w[((oc * c + ch) * 3 + ki) * 3 + kj] as f64;
                            acc += xv * wv;
                            mag += (xv * wv).abs();
                        }
                    }
                }
                y[oc * plane + oy * g.ow + ox] = acc;
                s[oc * plane + oy * g.ow + ox] = mag;
            }
        }
    }
    (y, s)
}

fn random(rng: &mut Rng, len: usize) -> Vec<f32> {
    (0..len).map(|_| rng.uniform_in(-1.0, 1.0)).collect()
}

/// The largest `|y − exact| / (Σ|w·x| + |b|)` over `n` samples.
fn rel_err(g: &Geom, o: usize, w: &[f32], b: &[f32], n: usize, x: &[f32], y: &[f32]) -> f64 {
    let (xn, yn) = (g.c * g.h * g.w, o * g.cols());
    let mut worst = 0.0f64;
    for s in 0..n {
        let (e, m) = direct(g, o, w, b, &x[s * xn..][..xn]);
        for ((&yv, ev), mv) in y[s * yn..][..yn].iter().zip(&e).zip(&m) {
            worst = worst.max((yv as f64 - ev).abs() / mv.max(1e-30));
        }
    }
    worst
}

fn run<const M: usize, const N: usize, V: Variant<M, N>>(
    tf: V,
    g: &Geom,
    w: &[f32],
    b: &[f32],
    n: usize,
    x: &[f32],
) -> Vec<f32> {
    let o = w.len() / (9 * g.c);
    let mut y = vec![f32::NAN; n * o * g.cols()];
    let mut s = vec![f32::NAN; scratch_with::<M, N>(g, o, n)];
    forward_with(tf, w, b, g, n, x, &mut y, &mut s, |_, _| {});
    y
}

/// Odd sizes: maps not multiples of the tile, 1×1 maps, padding 0, 1, 2 and asymmetric,
/// channel counts not multiples of the gemm tile (6×16).
const CASES: [(usize, usize, usize, usize, [usize; 4]); 11] = [
    // (C, O, H, W, [top, bottom, left, right])
    (3, 5, 7, 9, [1, 1, 1, 1]),
    (1, 1, 1, 1, [1, 1, 1, 1]),
    (2, 3, 3, 3, [0, 0, 0, 0]),
    (7, 17, 13, 6, [1, 1, 1, 1]),
    (16, 13, 10, 11, [0, 0, 0, 0]),
    (5, 7, 5, 8, [2, 2, 2, 2]),
    (4, 6, 9, 4, [0, 2, 1, 0]),
    (33, 20, 17, 19, [1, 1, 1, 1]),
    (64, 64, 8, 8, [1, 1, 1, 1]),
    // rows of more than 16 tiles: full 16-tile segments and a short one after them
    (5, 7, 9, 70, [1, 1, 1, 1]),
    // 8 tiles to a row (two rows to a segment on AVX-512), 3 rows to a sample (segments
    // across two samples), rows of 30 columns
    (3, 5, 10, 30, [1, 1, 1, 1]),
];

/// Largest error allowed relative to `Σ|w·x| + |b|`: `F4`'s transforms scale by up to 8
/// (`Aᵀ`) and 5 (`Bᵀ`), so its rounding is a few ulps above the direct sum's; measured
/// 1.8e-6 at 64 channels (see `f4_error_against_f2_and_direct`).
const TOL: f64 = 4e-6;
/// The same for the weight gradient (`Σ|dy·x|`): its sums run over every tile of the batch.
const GRAD_TOL: f64 = 1e-5;

#[test]
fn matches_the_direct_convolution_on_every_path() {
    let mut rng = Rng::new(11);
    for path in paths() {
        for &(c, o, h, wd, p) in &CASES {
            let g = Geom::new(c, h, wd, [3, 3], [1, 1], p, [1, 1]);
            let n = 3;
            let (w, b) = (random(&mut rng, o * c * 9), random(&mut rng, o));
            let x = random(&mut rng, n * c * h * wd);
            force_path(Some(path));
            let y4 = run(F4, &g, &w, &b, n, &x);
            let y2 = run(F2, &g, &w, &b, n, &x);
            // the existing path (shifted windows or im2col), one sample at a time
            let yn = o * g.cols();
            let mut yd = vec![0.0; n * yn];
            let mut sc = vec![0.0; conv_scratch(g, o)];
            for s in 0..n {
                let xi = &x[s * c * h * wd..][..c * h * wd];
                conv2d_infer(&w, &b, &g, xi, &mut yd[s * yn..][..yn], &mut sc, |_, _| {});
            }
            force_path(None);
            let what = format!("{path:?} C={c} O={o} {h}×{wd} pad {p:?}");
            for (name, y) in [("F4", &y4), ("F2", &y2), ("direct f32", &yd)] {
                let e = rel_err(&g, o, &w, &b, n, &x, y);
                assert!(e <= TOL, "{name}, {what}: relative error {e:e}");
            }
        }
    }
}

#[test]
fn a_batch_gives_each_sample_what_it_gives_alone_and_posts_each_plane_once() {
    let mut rng = Rng::new(5);
    // enough tiles for several blocks, the blocks cutting samples in two
    let g = Geom::square(48, 30, 29, 3, 1, 1, 1);
    let (c, o, n) = (48, 40, 5);
    let (w, b) = (random(&mut rng, o * c * 9), random(&mut rng, o));
    let x = random(&mut rng, n * c * g.h * g.w);
    let (xn, yn) = (c * g.h * g.w, o * g.cols());
    assert!(
        block::<6>(c, o, n * 64) < n * 64,
        "one block only: the test needs several"
    );
    let mut y = vec![0.0; n * yn];
    let mut s = vec![0.0; scratch(&g, o, n)];
    let mut seen = vec![0usize; n * o];
    let base = y.as_ptr() as usize;
    forward(&w, &b, &g, n, &x, &mut y, &mut s, |oc, p| {
        assert_eq!(p.len(), g.cols());
        let at = (p.as_ptr() as usize - base) / 4;
        assert_eq!(at % yn / g.cols(), oc, "post's channel is the plane's");
        seen[at / g.cols()] += 1;
        p[0] += 1000.0;
    });
    assert!(
        seen.iter().all(|&k| k == 1),
        "each plane posted once: {seen:?}"
    );
    for i in 0..n {
        let mut yi = vec![0.0; yn];
        let mut s1 = vec![0.0; scratch(&g, o, 1)];
        forward(
            &w,
            &b,
            &g,
            1,
            &x[i * xn..][..xn],
            &mut yi,
            &mut s1,
            |_, p| p[0] += 1000.0,
        );
        assert!(
            yi.iter()
                .zip(&y[i * yn..][..yn])
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "sample {i}"
        );
    }
}

#[test]
fn f4_error_against_f2_and_direct() {
    // The measurement behind the choice of F4 (module doc): 64 channels in and out.
    let mut rng = Rng::new(3);
    let g = Geom::square(64, 16, 16, 3, 1, 1, 1);
    let o = 64;
    let (w, b) = (random(&mut rng, o * 64 * 9), random(&mut rng, o));
    let x = random(&mut rng, 2 * 64 * 256);
    let e4 = rel_err(&g, o, &w, &b, 2, &x, &run(F4, &g, &w, &b, 2, &x));
    let e2 = rel_err(&g, o, &w, &b, 2, &x, &run(F2, &g, &w, &b, 2, &x));
    let mut yd = vec![0.0; 2 * o * 256];
    let mut sc = vec![0.0; conv_scratch(g, o)];
    for s in 0..2 {
        let xi = &x[s * 64 * 256..][..64 * 256];
        conv2d_infer(
            &w,
            &b,
            &g,
            xi,
            &mut yd[s * o * 256..][..o * 256],
            &mut sc,
            |_, _| {},
        );
    }
    let ed = rel_err(&g, o, &w, &b, 2, &x, &yd);
    std::println!("relative error: F4 {e4:.2e}, F2 {e2:.2e}, direct f32 {ed:.2e}");
    assert!(e4 <= TOL && e2 <= TOL && ed <= TOL);
    assert!(
        e4 < 20.0 * ed.max(1e-9),
        "F4's error {e4:e} is far above the direct sum's {ed:e}"
    );
}

#[test]
fn applies_to_3x3_stride_1_only() {
    let g = Geom::square(64, 32, 32, 3, 1, 1, 1);
    assert!(applies(&g, 64));
    assert!(!applies(&Geom::square(64, 32, 32, 3, 2, 1, 1), 64));
    assert!(!applies(&Geom::square(64, 32, 32, 3, 1, 1, 2), 64));
    assert!(!applies(&Geom::square(64, 32, 32, 5, 1, 2, 1), 64));
    assert!(!applies(&Geom::square(64, 32, 32, 3, 1, 3, 1), 64));
    assert!(
        !applies(&Geom::square(64, 3, 3, 3, 1, 0, 1), 64),
        "1×1 output"
    );
    assert!(
        !applies(&Geom::square(2, 32, 32, 3, 1, 1, 1), 4),
        "too few channels"
    );
}

/// The weight gradient in `f64`: `(gw, Σ|dy·x|)` per weight.
fn direct_dw(g: &Geom, o: usize, n: usize, x: &[f32], dy: &[f32]) -> (Vec<f64>, Vec<f64>) {
    let c = g.c;
    let (xn, yn) = (c * g.h * g.w, o * g.cols());
    let mut gw = vec![0.0f64; o * c * 9];
    let mut mag = vec![0.0f64; o * c * 9];
    for s in 0..n {
        for oc in 0..o {
            for ch in 0..c {
                for k in 0..9 {
                    let (ki, kj) = (k / 3, k % 3);
                    for oy in 0..g.oh {
                        for ox in 0..g.ow {
                            let iy = (oy + ki) as isize - g.pt as isize;
                            let ix = (ox + kj) as isize - g.pl as isize;
                            if iy < 0 || ix < 0 || iy as usize >= g.h || ix as usize >= g.w {
                                continue;
                            }
                            let xv = x[s * xn + (ch * g.h + iy as usize) * g.w + ix as usize];
                            let p = xv as f64 * dy[s * yn + (oc * g.oh + oy) * g.ow + ox] as f64;
                            gw[(oc * c + ch) * 9 + k] += p;
                            mag[(oc * c + ch) * 9 + k] += p.abs();
                        }
                    }
                }
            }
        }
    }
    (gw, mag)
}

#[test]
fn weight_gradient_matches_the_direct_sum_on_every_path() {
    let mut rng = Rng::new(17);
    for path in paths() {
        for &(c, o, h, wd, p) in &CASES {
            let g = Geom::new(c, h, wd, [3, 3], [1, 1], p, [1, 1]);
            let n = 3;
            let x = random(&mut rng, n * c * h * wd);
            let dy = random(&mut rng, n * o * g.cols());
            let (exact, mag) = direct_dw(&g, o, n, &x, &dy);
            force_path(Some(path));
            let mut gw = vec![0.0f32; o * c * 9];
            let mut s = vec![f32::NAN; grad_scratch(&g, o, n)];
            weight_grad(&g, o, n, &x, &dy, &mut gw, &mut s);
            let mut gw2 = vec![0.0f32; o * c * 9];
            let mut s2 = vec![f32::NAN; grad::grad_scratch_with::<2, 4>(&g, o, n)];
            grad::weight_grad_with(F2, &g, o, n, &x, &dy, &mut gw2, &mut s2);
            // a second call adds the same again
            let mut twice = gw.clone();
            weight_grad(&g, o, n, &x, &dy, &mut twice, &mut s);
            assert!(
                twice.iter().zip(&gw).all(|(t, v)| *t == 2.0 * v),
                "{path:?}: not added"
            );
            force_path(None);
            for (name, gv) in [("F4", &gw), ("F2", &gw2)] {
                let mut worst = 0.0f64;
                for ((&a, e), m) in gv.iter().zip(&exact).zip(&mag) {
                    worst = worst.max((a as f64 - e).abs() / m.max(1e-30));
                }
                let what = format!("{name} {path:?} C={c} O={o} {h}×{wd} pad {p:?}");
                assert!(worst <= GRAD_TOL, "{what}: relative error {worst:e}");
            }
        }
    }
}

#[test]
fn fused_training_passes_take_winograd_and_match_the_direct_sums() {
    use crate::fused::{conv2d_backward, conv2d_forward, Work};
    let mut rng = Rng::new(23);
    let (c, o, n) = (16, 17, 3);
    let g = Geom::new(c, 9, 7, [3, 3], [1, 1], [1, 1, 0, 2], [1, 1]);
    assert!(applies(&g, o), "the case must take the Winograd path");
    let (w, b) = (random(&mut rng, o * c * 9), random(&mut rng, o));
    let (xn, yn) = (c * g.h * g.w, o * g.cols());
    let x = random(&mut rng, n * xn);
    let dy = random(&mut rng, n * yn);
    let mut work = Work::default();
    let mut y = vec![0.0; n * yn];
    conv2d_forward(&w, &b, &g, n, &x, &mut y, &mut work, |_, _| {});
    assert!(rel_err(&g, o, &w, &b, n, &x, &y) <= TOL, "forward");
    let (mut dx, mut gw, mut gb) = (vec![0.0; n * xn], vec![0.0; o * c * 9], vec![0.0; o]);
    conv2d_backward(
        &w,
        &g,
        n,
        &x,
        &dy,
        Some(&mut dx),
        &mut work,
        &mut gw,
        &mut gb,
    );
    // asked for no dx: the same parameter gradients, to the bit
    let (mut gw0, mut gb0) = (vec![0.0; o * c * 9], vec![0.0; o]);
    conv2d_backward(&w, &g, n, &x, &dy, None, &mut work, &mut gw0, &mut gb0);
    assert!(gw0.iter().zip(&gw).all(|(a, b)| a.to_bits() == b.to_bits()));
    assert!(gb0.iter().zip(&gb).all(|(a, b)| a.to_bits() == b.to_bits()));
    let (exact, mag) = direct_dw(&g, o, n, &x, &dy);
    for ((&a, e), m) in gw.iter().zip(&exact).zip(&mag) {
        assert!((a as f64 - e).abs() <= GRAD_TOL * m, "gw {a} vs {e}");
    }
    for (oc, &v) in gb.iter().enumerate() {
        let e: f64 = (0..n)
            .flat_map(|s| dy[s * yn + oc * g.cols()..][..g.cols()].iter())
            .map(|&d| d as f64)
            .sum();
        assert!(
            (v as f64 - e).abs() <= 1e-5 * (n * g.cols()) as f64,
            "gb {v} vs {e}"
        );
    }
    // dx[c, iy, ix] = Σ dy[o, iy + pt − ki, ix + pl − kj]·w[o, c, ki, kj]
    for s in 0..n {
        for ch in 0..c {
            for iy in 0..g.h {
                for ix in 0..g.w {
                    let (mut e, mut m) = (0.0f64, 0.0f64);
                    for oc in 0..o {
                        for k in 0..9 {
                            let oy = (iy + g.pt) as isize - (k / 3) as isize;
                            let ox = (ix + g.pl) as isize - (k % 3) as isize;
                            if oy < 0 || ox < 0 || oy as usize >= g.oh || ox as usize >= g.ow {
                                continue;
                            }
                            let d = dy[s * yn + (oc * g.oh + oy as usize) * g.ow + ox as usize];
                            let p = d as f64 * w[(oc * c + ch) * 9 + k] as f64;
                            e += p;
                            m += p.abs();
                        }
                    }
                    let a = dx[s * xn + (ch * g.h + iy) * g.w + ix] as f64;
                    assert!((a - e).abs() <= TOL * m.max(1e-30), "dx {a} vs {e}");
                }
            }
        }
    }
}

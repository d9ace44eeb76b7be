//! Direct convolution of one sample with no workspace: every tap of the kernel multiplies a
//! row of the *unpadded* input into a row of the output, over just the output rows and columns
//! whose input lies inside the image (the zero padding contributes nothing and is never
//! written down). No im2col matrix, no padded copy, no wide output: the only memory is the
//! input and the output. Slower than the packed matrix product of `fused::conv2d_infer` (one
//! multiply-add per weight and pixel, vectorised along output rows only), so `network!`'s
//! in-place plan uses it only for a layer whose faster kernel's scratch does not fit.
use super::im2col::Geom;

/// One sample of a convolution with `groups` groups: `w` is `[O, I/G, Kh, Kw]`, `b` is `[O]`
/// (empty: no bias), `g` is the window over all `I` input channels, `x` is `[I, H, W]` and `y`
/// `[O, H', W']`. Each output plane starts at its bias and receives `w · x` for every tap of
/// every input channel of its group; `post(o, plane)` then runs on it while it is in cache.
/// The sum over channels and taps runs in the order `(c, ki, kj)` for every output, but
/// per tap across the plane (not the gemm kernels' order, so results differ in rounding).
#[allow(clippy::too_many_arguments)]
pub fn conv<F: FnMut(usize, &mut [f32])>(
    w: &[f32],
    b: &[f32],
    g: &Geom,
    groups: usize,
    x: &[f32],
    y: &mut [f32],
    mut post: F,
) {
    let groups = groups.max(1);
    let (ig, taps) = (g.c / groups, g.kh * g.kw);
    if ig == 0 || taps == 0 {
        return;
    }
    let o = if b.is_empty() {
        w.len() / (ig * taps)
    } else {
        b.len()
    };
    let og = (o / groups).max(1);
    let (pin, pout) = (g.h * g.w, g.oh * g.ow);
    for (oc, yo) in y.chunks_exact_mut(pout).take(o).enumerate() {
        yo.fill(if b.is_empty() { 0.0 } else { b[oc] });
        let first = (oc / og) * ig;
        for ci in 0..ig {
            let xc = &x[(first + ci) * pin..][..pin];
            let wc = &w[(oc * ig + ci) * taps..][..taps];
            for ki in 0..g.kh {
                let (ylo, yhi) = g.valid_y(ki);
                for kj in 0..g.kw {
                    let (xlo, xhi) = g.valid_x(kj);
                    if xlo >= xhi {
                        continue;
                    }
                    let wv = wc[ki * g.kw + kj];
                    let ix0 = xlo * g.sw + kj * g.dw - g.pl;
                    for oy in ylo..yhi {
                        let iy = oy * g.sh + ki * g.dh - g.pt;
                        let xr = &xc[iy * g.w + ix0..(iy + 1) * g.w];
                        let yr = &mut yo[oy * g.ow + xlo..oy * g.ow + xhi];
                        if g.sw == 1 {
                            for (d, s) in yr.iter_mut().zip(xr) {
                                *d += wv * s;
                            }
                        } else {
                            for (d, s) in yr.iter_mut().zip(xr.iter().step_by(g.sw)) {
                                *d += wv * s;
                            }
                        }
                    }
                }
            }
        }
        post(oc, yo);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testing::vals;
    use alloc::{vec, vec::Vec};

    /// The definition, one output at a time.
    fn naive(w: &[f32], b: &[f32], g: &Geom, groups: usize, x: &[f32], o: usize) -> Vec<f32> {
        let ig = g.c / groups;
        let og = o / groups;
        let mut y = vec![0.0f32; o * g.oh * g.ow];
        for oc in 0..o {
            for oy in 0..g.oh {
                for ox in 0..g.ow {
                    let mut s = b.get(oc).copied().unwrap_or(0.0);
                    for ci in 0..ig {
                        let c = (oc / og) * ig + ci;
                        for ki in 0..g.kh {
                            for kj in 0..g.kw {
                                let iy = (oy * g.sh + ki * g.dh) as isize - g.pt as isize;
                                let ix = (ox * g.sw + kj * g.dw) as isize - g.pl as isize;
                                if iy < 0 || ix < 0 || iy >= g.h as isize || ix >= g.w as isize {
                                    continue;
                                }
                                let xv = x[(c * g.h + iy as usize) * g.w + ix as usize];
                                s += w[((oc * ig + ci) * g.kh + ki) * g.kw + kj] * xv;
                            }
                        }
                    }
                    y[(oc * g.oh + oy) * g.ow + ox] = s;
                }
            }
        }
        y
    }

    /// `(c, h, w, k, s, pad t/b/l/r, dilation, groups, o, bias)`.
    type Case = (
        usize,
        usize,
        usize,
        [usize; 2],
        [usize; 2],
        [usize; 4],
        [usize; 2],
        usize,
        usize,
        bool,
    );

    #[test]
    fn matches_the_definition() {
        let cases: &[Case] = &[
            (3, 9, 7, [3, 3], [1, 1], [1, 1, 1, 1], [1, 1], 1, 4, true),
            (4, 10, 10, [3, 3], [2, 2], [0, 1, 0, 1], [1, 1], 1, 5, true),
            (2, 11, 6, [10, 4], [2, 2], [4, 5, 1, 2], [1, 1], 1, 3, false),
            (6, 8, 9, [1, 1], [2, 2], [0, 0, 0, 0], [1, 1], 1, 4, true),
            (6, 8, 9, [3, 3], [1, 2], [2, 2, 2, 2], [2, 2], 3, 6, true),
            (5, 7, 7, [3, 3], [2, 2], [1, 1, 1, 1], [1, 1], 5, 10, true),
            (4, 3, 3, [5, 5], [1, 1], [2, 2, 2, 2], [1, 1], 4, 4, false),
        ];
        for (i, &(c, h, w, k, s, p, d, groups, o, bias)) in cases.iter().enumerate() {
            let g = Geom::new(c, h, w, k, s, p, d);
            let wt = vals(o * (c / groups) * k[0] * k[1], 7 + i as u32);
            let b = if bias { vals(o, 99) } else { Vec::new() };
            let x = vals(c * h * w, 3);
            let want = naive(&wt, &b, &g, groups, &x, o);
            let mut y = vec![f32::NAN; o * g.oh * g.ow];
            let mut seen = Vec::new();
            conv(&wt, &b, &g, groups, &x, &mut y, |oc, p| {
                seen.push(oc);
                for v in p {
                    *v = v.max(-0.1); // a post runs on the finished plane
                }
            });
            assert_eq!(seen, (0..o).collect::<Vec<_>>(), "case {i}");
            for (j, (a, e)) in y.iter().zip(&want).enumerate() {
                let e = e.max(-0.1);
                assert!((a - e).abs() <= 1e-5, "case {i}, output {j}: {a} vs {e}");
            }
        }
    }
}

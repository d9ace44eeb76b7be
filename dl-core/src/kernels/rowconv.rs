//! Direct convolution vectorised across the output pixels of a row, for a few filters over a
//! few input channels (LeNet-5's first convolution: 1 → 6 channels, 5×5, padding 2, on
//! 28×28). The shifted-window matrix product of [`crate::fused::conv2d_infer`] packs its
//! `C·Kh·Kw × H'·Wp` right-hand side (90 KB for that layer) to multiply it by six rows; here
//! two output rows of up to six filters stay in registers (a row of up to 32 pixels is two
//! AVX-512 registers), each tap loads the rows' input once from the padded image and meets
//! each filter's weight broadcast from the weights as stored — nothing packed.
//!
//! Each output is summed in the order `(c, ki, kj)`, from zero, one fused multiply-add per tap
//! (the padding's zeros included), then the bias is added: the arithmetic of the AVX2 and
//! AVX-512 matrix-product tiles, so the same bits. AVX-512 only; other CPUs keep the product.
use super::im2col::Geom;

/// Filters kept in registers at once.
#[cfg(target_arch = "x86_64")]
const FILTERS: usize = 6;

/// Whether the kernel can run the geometry: stride 1, dilation 1, a kernel of more than one
/// tap, fewer than sixteen filters and output rows of at most 32 pixels (any number of input
/// channels: [`forward_fitting`]).
pub const fn fits(g: &Geom, o: usize) -> bool {
    g.sh == 1
        && g.sw == 1
        && g.dh == 1
        && g.dw == 1
        && g.kh * g.kw > 1
        && g.c > 0
        && o > 0
        && o < 16
        && g.ow > 0
        && g.ow <= 32
}

/// Whether the geometry suits this kernel for a forward pass: it [`fits`] and has at most
/// four input channels (sixteen filters and more go to [`super::chanconv`] or the matrix
/// product, more channels to the product).
pub const fn applies(g: &Geom, o: usize) -> bool {
    fits(g, o) && g.c <= 4
}

/// Whether [`forward`] runs here: [`applies`] and the CPU has AVX-512.
#[inline]
pub fn usable(g: &Geom, o: usize) -> bool {
    #[cfg(target_arch = "x86_64")]
    return applies(g, o) && super::gemm::use_avx512();
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (g, o);
        false
    }
}

/// One sample: `y[O, H', W'] = b + W ∗ x` from the zero-padded image `xp` (`[C, Hp, Wp]`,
/// rows `Wp` apart) and the weights as stored (`[O, C·Kh·Kw]`), then `post(o, plane)` on each
/// output plane. Requires [`usable`]`(g, o)`; returns `false` (and does nothing) otherwise,
/// or when a slice is too short.
pub fn forward<F: FnMut(usize, &mut [f32])>(
    w: &[f32],
    b: &[f32],
    g: &Geom,
    o: usize,
    xp: &[f32],
    y: &mut [f32],
    post: F,
) -> bool {
    // SAFETY: `usable` only where the CPU has AVX-512, what `avx512::forward` needs besides
    // the lengths `direct_frame` checks.
    let body = avx512::forward::<false>;
    unsafe { super::direct_frame(usable(g, o), body, g, o, (w, b, xp), y, post) }
}

/// [`forward`] for any geometry the kernel [`fits`] (the CPU has AVX-512), whatever its
/// input channels: a convolution's input gradient, the convolution of its padded `dY` with
/// the flipped weights, has the layer's filters as channels (16 for LeNet-5's second layer).
/// Taps whose rows all fall in the top or bottom padding are skipped (for `dx` that padding
/// is `K − 1` rows deep): a sum that starts at `+0` is not changed by adding `±0`, so the
/// bits are [`forward`]'s for finite weights (an infinite weight times the padding's zero
/// is NaN there, skipped here).
pub fn forward_fitting<F: FnMut(usize, &mut [f32])>(
    w: &[f32],
    b: &[f32],
    g: &Geom,
    o: usize,
    xp: &[f32],
    y: &mut [f32],
    post: F,
) -> bool {
    let ok = fits(g, o) && super::gemm::use_avx512() && cfg!(target_arch = "x86_64");
    // SAFETY: `ok` only where the CPU has AVX-512, what `avx512::forward` needs besides the
    // lengths `direct_frame` checks.
    unsafe { super::direct_frame(ok, avx512::forward::<true>, g, o, (w, b, xp), y, post) }
}

#[cfg(not(target_arch = "x86_64"))]
mod avx512 {
    /// Does nothing (never run: the kernel is not usable without AVX-512).
    pub unsafe fn forward<const SKIP: bool>(
        _: &[f32],
        _: &[f32],
        _: &super::Geom,
        _: usize,
        _: &[f32],
        _: &mut [f32],
    ) {
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{Geom, FILTERS};
    use core::arch::x86_64::*;

    /// Blocks of up to [`FILTERS`] filters, output rows two at a time.
    ///
    /// # Safety
    /// AVX-512F; `w` holds `O·C·Kh·Kw`, `xp` `C·Hp·Wp`, `y` `O·H'·W'` floats, `b` is empty or
    /// holds `O`; the geometry is one [`super::fits`] accepts.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn forward<const SKIP: bool>(
        w: &[f32],
        b: &[f32],
        g: &Geom,
        o: usize,
        xp: &[f32],
        y: &mut [f32],
    ) {
        let lanes = |n: usize| -> __mmask16 { ((1u32 << n.min(16)) - 1) as __mmask16 };
        let m = [lanes(g.ow), lanes(g.ow.saturating_sub(16))];
        for f0 in (0..o).step_by(FILTERS) {
            let nf = (o - f0).min(FILTERS);
            for oy in (0..g.oh).step_by(2) {
                let rows = (g.oh - oy).min(2);
                macro_rules! run {
                    ($($f:literal)*) => {
                        match (nf, rows, g.ow > 16) {
                            // SAFETY: as this function's; f0 + F ≤ O, oy + R ≤ H'.
                            $(($f, 2, true) => unsafe { block::<$f, 2, 2, SKIP>(w, b, g, f0, xp, oy, m, y) },
                              ($f, 2, false) => unsafe { block::<$f, 2, 1, SKIP>(w, b, g, f0, xp, oy, m, y) },
                              ($f, _, true) => unsafe { block::<$f, 1, 2, SKIP>(w, b, g, f0, xp, oy, m, y) },
                              ($f, _, false) => unsafe { block::<$f, 1, 1, SKIP>(w, b, g, f0, xp, oy, m, y) },)*
                            _ => {}
                        }
                    };
                }
                run!(1 2 3 4 5 6);
            }
        }
    }

    /// Filters `f0..f0 + F`, output rows `oy..oy + R`, each row `V` registers of sixteen
    /// pixels (`m[v]` the valid lanes):
    /// `y[f, oy + r, j] = bias + Σ w[f, c, ki, kj] · xp[c, oy + r + ki, j + kj]`, the taps
    /// summed in order with one fused multiply-add each.
    ///
    /// # Safety
    /// AVX-512F; as [`forward`]'s, `f0 + F ≤ O`, `oy + R ≤ H'`, `16·(V − 1) < W' ≤ 16·V`.
    #[target_feature(enable = "avx512f")]
    #[inline]
    #[allow(clippy::too_many_arguments)]
    unsafe fn block<const F: usize, const R: usize, const V: usize, const SKIP: bool>(
        w: &[f32],
        b: &[f32],
        g: &Geom,
        f0: usize,
        xp: &[f32],
        oy: usize,
        m: [__mmask16; 2],
        y: &mut [f32],
    ) {
        let (ckk, wp, hp, hw) = (g.rows(), g.wp(), g.hp(), g.oh * g.ow);
        let mut acc = [[[_mm512_setzero_ps(); V]; R]; F];
        // SAFETY: a row of the padded image read from column kj holds W' + Kw − 1 − kj ≥ W'
        // floats, and lanes at or past W' are masked off; rows oy + r + ki < Hp. Filter
        // f0 + f's C·Kh·Kw weights are inside w.
        unsafe {
            let wf = w.as_ptr().add(f0 * ckk);
            let mut t = 0;
            for c in 0..g.c {
                for ki in 0..g.kh {
                    // all R rows in the zero padding (`SKIP`)
                    if SKIP && (oy + ki + R <= g.pt || oy + ki >= g.pt + g.h) {
                        t += g.kw;
                        continue;
                    }
                    let xr = xp.as_ptr().add((c * hp + oy + ki) * wp);
                    for kj in 0..g.kw {
                        let mut xv = [[_mm512_setzero_ps(); V]; R];
                        for (r, xr_) in xv.iter_mut().enumerate() {
                            for (v, x) in xr_.iter_mut().enumerate() {
                                *x = _mm512_maskz_loadu_ps(m[v], xr.add(r * wp + kj + 16 * v));
                            }
                        }
                        for (f, af) in acc.iter_mut().enumerate() {
                            let wv = _mm512_set1_ps(*wf.add(f * ckk + t));
                            for (ar, xr_) in af.iter_mut().zip(&xv) {
                                for (a, x) in ar.iter_mut().zip(xr_) {
                                    *a = _mm512_fmadd_ps(wv, *x, *a);
                                }
                            }
                        }
                        t += 1;
                    }
                }
            }
            for (f, af) in acc.iter().enumerate() {
                // no bias: the sums as they are (−0 stays −0, as in the product's rows)
                let bias = b.get(f0 + f).map(|&v| _mm512_set1_ps(v));
                for (r, ar) in af.iter().enumerate() {
                    let yr = y.as_mut_ptr().add((f0 + f) * hw + (oy + r) * g.ow);
                    for (v, a) in ar.iter().enumerate() {
                        let a = bias.map_or(*a, |bv| _mm512_add_ps(*a, bv));
                        _mm512_mask_storeu_ps(yr.add(16 * v), m[v], a);
                    }
                }
            }
        }
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::kernels::testing::{same_bits_as_the_product, vals};
    use std::vec;

    /// `(c, h, w, [kh, kw], [top, bottom, left, right], o, bias)`.
    type Case = (usize, usize, usize, [usize; 2], [usize; 4], usize, bool);

    /// Against the shifted-window matrix product on the AVX2 path: the same bits, for LeNet-5's
    /// first layer, an odd number of rows and filters past one block, rows of at most sixteen
    /// pixels, rectangular kernels, asymmetric padding and no bias.
    #[test]
    fn matches_the_matrix_product_bit_for_bit() {
        let cases: &[Case] = &[
            (1, 28, 28, [5, 5], [2; 4], 6, true),
            (3, 9, 30, [3, 3], [0; 4], 8, true),
            (2, 7, 10, [2, 4], [1, 0, 2, 1], 13, false),
            (4, 5, 5, [3, 3], [1; 4], 1, true),
            (1, 6, 33, [3, 3], [0; 4], 3, true),
        ];
        for (i, &(c, h, w, k, p, o, bias)) in cases.iter().enumerate() {
            let g = Geom::new(c, h, w, k, [1, 1], p, [1, 1]);
            assert!(applies(&g, o), "case {i}");
            same_bits_as_the_product(&g, o, bias, 11 + i as u32, |wt, b, x, y, post| {
                let mut xp = vec![0.0; crate::fused::xpad_len(&g)];
                crate::fused::pad_image(&g, x, &mut xp);
                forward(wt, b, &g, o, &xp, y, post)
            });
        }
    }

    /// Geometries it must refuse, and short slices refused rather than read past.
    #[test]
    fn refuses_what_it_does_not_take() {
        let g = |c: usize, k: usize, s: usize, d: usize| {
            Geom::new(c, 12, 12, [k, k], [s, s], [1; 4], [d, d])
        };
        assert!(applies(&g(1, 3, 1, 1), 6));
        assert!(!applies(&g(1, 3, 2, 1), 6), "stride 2");
        assert!(!applies(&g(1, 3, 1, 2), 6), "dilation");
        assert!(!applies(&g(1, 1, 1, 1), 6), "1×1");
        assert!(!applies(&g(5, 3, 1, 1), 6), "five channels");
        assert!(!applies(&g(1, 3, 1, 1), 16), "sixteen filters");
        let wide = Geom::new(1, 3, 40, [3, 3], [1, 1], [0; 4], [1, 1]);
        assert!(!applies(&wide, 6), "38-pixel rows");
        let gg = g(1, 3, 1, 1);
        let (xp, wt) = (vals(14 * 14, 1), vals(6 * 9, 3));
        let mut y = vec![0.0; 6 * 144 - 1];
        assert!(!forward(&wt, &[], &gg, 6, &xp, &mut y, |_, _| {}));
        assert!(y.iter().all(|&v| v == 0.0));
    }
}

//! Direct convolution vectorised across output channels, for small feature maps with at least
//! sixteen filters (LeNet-5's second convolution: 6 → 16 channels, 5×5, on 14×14, which
//! inference and training run on [`wino5`](super::wino5) instead, the same layout). The
//! shifted-window product of [`crate::fused::conv2d_infer`] computes `Wp − W'` extra columns per
//! output row (40 % of a 10-wide row of a 14-wide input) and rounds the filters up to its
//! six-row tile; here a register holds one output pixel's sixteen channels, a row of up to
//! sixteen pixels stays in registers over every tap, and each tap is one load of sixteen
//! weights and one multiply-add per pixel with the input value broadcast — no padded copy, no
//! column matrix, no wasted columns. The weights are packed once per call (per batch in
//! [`crate::fused::conv2d_infer_batch`]) as `[O/16, C·Kh·Kw, 16]`, sixteen taps of sixteen
//! filters at a time transposed in registers; for 3×3 and 5×5 kernels a row's pixels go back
//! to the channel planes the same way (a 16×16 transpose, sixteen masked stores).
//!
//! Each output is summed in the order `(c, ki, kj)`, from zero, one fused multiply-add per tap,
//! then the bias is added: the arithmetic of the AVX2 and AVX-512 matrix-product tiles, so the
//! result is the same to the bit as the shifted-window product on those paths. AVX-512 only
//! (sixteen lanes are one register); other CPUs keep the matrix product.
use super::im2col::Geom;

/// Output channels per block (one AVX-512 register).
const LANES: usize = 16;
/// Most output pixels of a row kept in registers at once.
const PIXELS: usize = 16;

/// Whether the geometry suits this kernel: stride 1, dilation 1, no padding, a kernel of more
/// than one tap, a multiple of sixteen filters, output rows of at most 32 pixels and planes
/// of at most 1,024.
pub const fn applies(g: &Geom, o: usize) -> bool {
    g.sh == 1
        && g.sw == 1
        && g.dh == 1
        && g.dw == 1
        && g.pt == 0
        && g.pb == 0
        && g.pl == 0
        && g.pr == 0
        && g.kh * g.kw > 1
        && g.c > 0
        && o >= LANES
        && o.is_multiple_of(LANES)
        && g.ow <= 2 * PIXELS
        && g.oh * g.ow <= 1024
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

/// Packs `w` (`[O, C·Kh·Kw]`) as `[⌈O/16⌉, C·Kh·Kw, 16]` into `wp` (`16·⌈O/16⌉·C·Kh·Kw`
/// floats, the lanes of filters past `O` zero): the transpose of each block of sixteen rows.
/// Sixteen taps at a time transposed in registers under AVX-512. ([`super::wgrad`] packs a
/// sample's `dY` the same way.)
pub fn pack(w: &[f32], o: usize, ckk: usize, wp: &mut [f32]) {
    let len = o.div_ceil(LANES) * LANES * ckk;
    let (w, wp) = (&w[..o * ckk], &mut wp[..len]);
    #[cfg(target_arch = "x86_64")]
    if super::gemm::use_avx512() {
        // SAFETY: the CPU has AVX-512; w holds O·C·Kh·Kw floats, wp 16·⌈O/16⌉·C·Kh·Kw.
        return unsafe { avx512::pack(w, o, ckk, wp) };
    }
    pack_rows(w, o, ckk, wp);
}

/// [`pack`], one float at a time.
fn pack_rows(w: &[f32], o: usize, ckk: usize, wp: &mut [f32]) {
    for (ob, blk) in wp.chunks_exact_mut(ckk * LANES).enumerate() {
        for (k, v) in blk.chunks_exact_mut(LANES).enumerate() {
            for (j, d) in v.iter_mut().enumerate() {
                let f = ob * LANES + j;
                *d = if f < o { w[f * ckk + k] } else { 0.0 };
            }
        }
    }
}

/// One sample: `y[O, H', W'] = b + W ∗ x` with the weights packed by [`pack`] in `wp`, then
/// `post(o, plane)` on each output plane. Requires [`usable`]`(g, o)`; returns `false` (and
/// does nothing) otherwise, or when a slice is too short.
pub fn forward<F: FnMut(usize, &mut [f32])>(
    wp: &[f32],
    b: &[f32],
    g: &Geom,
    o: usize,
    x: &[f32],
    y: &mut [f32],
    post: F,
) -> bool {
    // SAFETY: `usable` only where the CPU has AVX-512, what `avx512::forward` needs besides
    // the lengths `direct_frame` checks.
    unsafe { super::direct_frame(usable(g, o), avx512::forward, g, o, (wp, b, x), y, post) }
}

#[cfg(not(target_arch = "x86_64"))]
use super::no_avx512 as avx512;
#[cfg(target_arch = "x86_64")]
pub(crate) use avx512::transpose16;

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{Geom, LANES, PIXELS};
    use core::arch::x86_64::*;

    /// All blocks of sixteen filters, all output rows, in chunks of up to [`PIXELS`] pixels.
    ///
    /// # Safety
    /// AVX-512F; `wp` holds `O·C·Kh·Kw`, `x` `C·H·W`, `y` `O·H'·W'` floats, `b` is empty or
    /// holds `O`; the geometry is one [`super::applies`] accepts.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn forward(wp: &[f32], b: &[f32], g: &Geom, o: usize, x: &[f32], y: &mut [f32]) {
        let (ckk, hw) = (g.rows(), g.oh * g.ow);
        let mut tile = [[[0.0f32; LANES]; PIXELS]; 2];
        let y0 = y.as_mut_ptr();
        for ob in 0..o / LANES {
            let bias = if b.is_empty() {
                _mm512_setzero_ps()
            } else {
                // SAFETY: b holds O ≥ (ob + 1)·16 floats.
                unsafe { _mm512_loadu_ps(b.as_ptr().add(ob * LANES)) }
            };
            let w = &wp[ob * ckk * LANES..][..ckk * LANES];
            let t = Taps { w, g, x, bias };
            for oy in (0..g.oh).step_by(2) {
                let rows = (g.oh - oy).min(2);
                for px0 in (0..g.ow).step_by(PIXELS) {
                    let p = (g.ow - px0).min(PIXELS);
                    let base = ob * LANES * hw + oy * g.ow + px0;
                    // SAFETY: output (ob·16 + l, oy + r, px0 + j) for l < 16, r < rows,
                    // j < p lies inside y's O·H'·W' floats.
                    let yp = |r: usize| unsafe { y0.add(base + r * g.ow) };
                    macro_rules! run {
                        ($($n:literal)*) => {
                            match (rows, p) {
                                // SAFETY: as this function's; px0 + p ≤ W', oy + rows ≤ H'.
                                $((_, $n) if g.kw == 5 => for r in 0..rows {
                                    unsafe { row_kw::<$n, 5>(&t, oy + r, px0, yp(r), hw) }
                                },
                                  (_, $n) if g.kw == 3 => for r in 0..rows {
                                    unsafe { row_kw::<$n, 3>(&t, oy + r, px0, yp(r), hw) }
                                },
                                  (2, $n) => unsafe { row::<$n, 2>(&t, oy, px0, &mut tile) },
                                  (_, $n) => unsafe { row::<$n, 1>(&t, oy, px0, &mut tile) },)*
                                _ => {}
                            }
                        };
                    }
                    run!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);
                    if g.kw == 5 || g.kw == 3 {
                        continue; // stored by row_kw
                    }
                    // the pixels' channel vectors into the planes
                    for (r, tr) in tile[..rows].iter().enumerate() {
                        let base = base + r * g.ow;
                        for l in 0..LANES {
                            // SAFETY: output (ob·16 + l, oy + r, px0 + j) for j < p ≤ W' − px0
                            // lies inside y's O·H'·W' floats.
                            unsafe {
                                let yr = y0.add(base + l * hw);
                                for (j, t) in tr[..p].iter().enumerate() {
                                    *yr.add(j) = t[l];
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// [`super::pack`]: sixteen filters' rows of sixteen taps loaded (the last ones masked,
    /// filters past `O` zero), transposed, stored as the taps' vectors.
    ///
    /// # Safety
    /// AVX-512F; `w` holds `O·C·Kh·Kw` floats, `wp` `16·⌈O/16⌉·C·Kh·Kw`.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn pack(w: &[f32], o: usize, ckk: usize, wp: &mut [f32]) {
        for ob in 0..o.div_ceil(LANES) {
            let rows = (o - ob * LANES).min(LANES);
            for k0 in (0..ckk).step_by(16) {
                let kn = (ckk - k0).min(16);
                let m = ((1u32 << kn) - 1) as __mmask16;
                let mut r = [_mm512_setzero_ps(); 16];
                // SAFETY: taps k0..k0 + kn of filter ob·16 + j < O are inside w; vectors
                // ob·C·Kh·Kw + k0 + i, i < kn, of wp are inside wp.
                unsafe {
                    for (j, v) in r.iter_mut().enumerate().take(rows) {
                        *v = _mm512_maskz_loadu_ps(m, w.as_ptr().add((ob * LANES + j) * ckk + k0));
                    }
                    let d = wp.as_mut_ptr().add((ob * ckk + k0) * LANES);
                    for (i, v) in transpose16(r).into_iter().take(kn).enumerate() {
                        _mm512_storeu_ps(d.add(i * LANES), v);
                    }
                }
            }
        }
    }

    /// The 16×16 transpose of `r` (row `i`, lane `j` → row `j`, lane `i`).
    #[target_feature(enable = "avx512f")]
    #[inline]
    pub(crate) fn transpose16(r: [__m512; 16]) -> [__m512; 16] {
        let mut t = [_mm512_setzero_ps(); 16];
        for i in 0..8 {
            t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
            t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
        }
        // u[4i + m], 128-bit lane l: column 4l + m of rows 4i..4i + 4
        let mut u = [_mm512_setzero_ps(); 16];
        let pd = _mm512_castps_pd;
        for i in 0..4 {
            let (a, b, c, d) = (t[4 * i], t[4 * i + 1], t[4 * i + 2], t[4 * i + 3]);
            u[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(pd(a), pd(c)));
            u[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(pd(a), pd(c)));
            u[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(pd(b), pd(d)));
            u[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(pd(b), pd(d)));
        }
        let mut o = [_mm512_setzero_ps(); 16];
        for m in 0..4 {
            let (a, b, c, d) = (u[m], u[4 + m], u[8 + m], u[12 + m]);
            let v0 = _mm512_shuffle_f32x4::<0x44>(a, b);
            let v1 = _mm512_shuffle_f32x4::<0xEE>(a, b);
            let v2 = _mm512_shuffle_f32x4::<0x44>(c, d);
            let v3 = _mm512_shuffle_f32x4::<0xEE>(c, d);
            o[m] = _mm512_shuffle_f32x4::<0x88>(v0, v2);
            o[4 + m] = _mm512_shuffle_f32x4::<0xDD>(v0, v2);
            o[8 + m] = _mm512_shuffle_f32x4::<0x88>(v1, v3);
            o[12 + m] = _mm512_shuffle_f32x4::<0xDD>(v1, v3);
        }
        o
    }

    /// What the row kernels read: a block of sixteen filters' packed weights (`[C·Kh·Kw, 16]`),
    /// the geometry, the sample's input and the block's biases.
    #[derive(Clone, Copy)]
    struct Taps<'a> {
        w: &'a [f32],
        g: &'a Geom,
        x: &'a [f32],
        bias: __m512,
    }

    /// [`row`] for one output row and a kernel `KW` wide: the `P + KW − 1` input values of a
    /// kernel row are broadcast once into registers and each meets the `KW` weight vectors
    /// loaded for that row (an output still receives its taps in the order `(c, ki, kj)`).
    /// The `P` pixels' channel vectors are transposed in registers and stored as sixteen rows
    /// of `P` pixels, `hw` apart from `yp` (output channel `l` of the block at `yp + l·hw`).
    ///
    /// # Safety
    /// As [`row`]'s, with `g.kw == KW`; `yp + l·hw + j` for `l < 16`, `j < P` are inside `y`.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn row_kw<const P: usize, const KW: usize>(
        t: &Taps,
        oy: usize,
        px0: usize,
        yp: *mut f32,
        hw: usize,
    ) {
        let Taps { w, g, x, bias } = *t;
        let mut acc = [_mm512_setzero_ps(); P];
        let mut wk = w.as_ptr();
        // SAFETY: as in `row`: rows oy + ki < H, columns px0 + i < px0 + P + KW − 1 ≤ W.
        unsafe {
            for c in 0..g.c {
                for ki in 0..g.kh {
                    let xr = x.as_ptr().add((c * g.h + oy + ki) * g.w + px0);
                    let mut xb = [_mm512_setzero_ps(); PIXELS + 8];
                    for (i, v) in xb.iter_mut().enumerate().take(P + KW - 1) {
                        *v = _mm512_set1_ps(*xr.add(i));
                    }
                    for kj in 0..KW {
                        let wv = _mm512_loadu_ps(wk);
                        wk = wk.add(LANES);
                        for (j, a) in acc.iter_mut().enumerate() {
                            *a = _mm512_fmadd_ps(wv, xb[j + kj], *a);
                        }
                    }
                }
            }
            let mut r = [_mm512_setzero_ps(); 16];
            for (t, a) in r.iter_mut().zip(acc) {
                *t = _mm512_add_ps(a, bias);
            }
            let m = ((1u32 << P) - 1) as __mmask16;
            for (l, v) in transpose16(r).into_iter().enumerate() {
                _mm512_mask_storeu_ps(yp.add(l * hw), m, v);
            }
        }
    }

    /// Output rows `oy..oy + R`, pixels `px0..px0 + P`, of the sixteen filters in `t.w`: `tile[r][j] = bias + Σ w[c, ki, kj] · x[c, oy + r + ki, px0 + j + kj]`,
    /// summed over the taps in order with one fused multiply-add each.
    ///
    /// # Safety
    /// AVX-512F; stride 1, no padding, `px0 + P ≤ W'`, `oy + R ≤ H'`, `w` holds `C·Kh·Kw·16`
    /// and `x` `C·H·W` floats.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn row<const P: usize, const R: usize>(
        t: &Taps,
        oy: usize,
        px0: usize,
        tile: &mut [[[f32; LANES]; PIXELS]; 2],
    ) {
        let Taps { w, g, x, bias } = *t;
        let mut acc = [[_mm512_setzero_ps(); P]; R];
        let mut wk = w.as_ptr();
        // SAFETY: rows oy + r + ki < H and columns px0 + j + kj < W' + Kw − 1 = W of every
        // channel are inside x; C·Kh·Kw steps of 16 weights are inside w.
        unsafe {
            for c in 0..g.c {
                for ki in 0..g.kh {
                    let xr = x.as_ptr().add((c * g.h + oy + ki) * g.w + px0);
                    for kj in 0..g.kw {
                        let wv = _mm512_loadu_ps(wk);
                        wk = wk.add(LANES);
                        for (r, ar) in acc.iter_mut().enumerate() {
                            let xk = xr.add(r * g.w + kj);
                            for (j, a) in ar.iter_mut().enumerate() {
                                *a = _mm512_fmadd_ps(wv, _mm512_set1_ps(*xk.add(j)), *a);
                            }
                        }
                    }
                }
            }
            for (tr, ar) in tile.iter_mut().zip(acc) {
                for (t, a) in tr.iter_mut().zip(ar) {
                    _mm512_storeu_ps(t.as_mut_ptr(), _mm512_add_ps(a, bias));
                }
            }
        }
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::kernels::testing::{bits, same_bits_as_the_product, vals};
    use std::vec;

    /// `(c, h, w, [kh, kw], o, bias)`.
    type Case = (usize, usize, usize, [usize; 2], usize, bool);

    /// Against the shifted-window matrix product on the AVX2 path: the same bits (and a
    /// finite, bias-carrying result), for LeNet-5's second layer, wide rows split in two
    /// chunks, rectangular kernels and no bias.
    #[test]
    fn matches_the_matrix_product_bit_for_bit() {
        let cases: &[Case] = &[
            (6, 14, 14, [5, 5], 16, true),
            (3, 9, 30, [3, 3], 32, true),
            (2, 8, 21, [2, 4], 16, false),
            (1, 5, 5, [5, 5], 16, true),
        ];
        for (i, &(c, h, w, k, o, bias)) in cases.iter().enumerate() {
            let g = Geom::new(c, h, w, k, [1, 1], [0; 4], [1, 1]);
            assert!(applies(&g, o), "case {i}");
            same_bits_as_the_product(&g, o, bias, 11 + i as u32, |wt, b, x, y, post| {
                let mut wp = vec![0.0; wt.len()];
                pack(wt, o, g.rows(), &mut wp);
                forward(&wp, b, &g, o, x, y, post)
            });
        }
    }

    /// The packing transposed in registers (AVX-512) moves the same floats as one at a time,
    /// filters past a multiple of sixteen as zeros (and nothing past the packed length).
    #[test]
    fn pack_matches_the_scalar_packing() {
        for (o, ckk) in [
            (16, 150),
            (32, 7),
            (16, 16),
            (48, 33),
            (16, 1),
            (6, 784),
            (21, 17),
        ] {
            let w = vals(o * ckk, ckk as u32);
            let len = o.div_ceil(16) * 16 * ckk;
            let (mut a, mut b) = (vec![f32::NAN; len + 1], vec![f32::NAN; len + 1]);
            pack(&w, o, ckk, &mut a);
            pack_rows(&w, o, ckk, &mut b[..len]);
            assert_eq!(bits(&a), bits(&b), "{o}×{ckk}");
            assert!(a[len].is_nan(), "{o}×{ckk}: wrote past the packing");
            for (k, v) in a[(o / 16) * 16 * ckk..len].chunks_exact(16).enumerate() {
                assert!(v[o % 16..].iter().all(|&x| x == 0.0), "{o}×{ckk}, tap {k}");
            }
        }
    }

    /// Geometries it must refuse, and short slices refused rather than read past.
    #[test]
    fn refuses_what_it_does_not_take() {
        let g = |k: usize, s: usize, p: usize, d: usize| {
            Geom::new(2, 12, 12, [k, k], [s, s], [p; 4], [d, d])
        };
        assert!(applies(&g(3, 1, 0, 1), 16));
        assert!(!applies(&g(3, 2, 0, 1), 16), "stride 2");
        assert!(!applies(&g(3, 1, 1, 1), 16), "padding");
        assert!(!applies(&g(3, 1, 0, 2), 16), "dilation");
        assert!(!applies(&g(1, 1, 0, 1), 16), "1×1");
        assert!(!applies(&g(3, 1, 0, 1), 6), "six filters");
        assert!(!applies(&g(3, 1, 0, 1), 24), "not a multiple of 16");
        let wide = Geom::new(1, 3, 40, [3, 3], [1, 1], [0; 4], [1, 1]);
        assert!(!applies(&wide, 16), "38-pixel rows");
        let gg = g(3, 1, 0, 1);
        let (x, wp) = (vals(2 * 144, 1), vals(16 * gg.rows(), 3));
        let mut y = vec![0.0; 16 * 100 - 1];
        assert!(!forward(&wp, &[], &gg, 16, &x, &mut y, |_, _| {}));
        assert!(y.iter().all(|&v| v == 0.0));
    }
}

//! The weight gradient of a stride-1 3×3 or 5×5 convolution with at most sixteen filters
//! (LeNet-5's layers: 6 and 16), direct on AVX-512. The matrix product
//! `dWᵀ += windows · dYᵀ` of the convolution layers' backward packs the `C·Kh·Kw × H'·Wp`
//! window matrix (transposing it for six filters) for a product only `O` columns wide, and
//! runs over the `Wp − W'` extra columns of each row. Two ways here, nothing packed but `dY`:
//!
//! * [`Form::Filters`]: a register holds one output pixel's `dY` for up to sixteen filters
//!   (`dY` packed as `[H'·W', 16]`), the `Kh·Kw` gradients of one input channel stay in
//!   registers over every pixel, and each tap is one multiply-add with the input value
//!   broadcast from the padded image. For sixteen filters on short rows (the second layer).
//! * [`Form::Pixels`]: a register holds sixteen pixels of an output row (up to two registers
//!   per row), a few filters' gradients of one kernel row stay in registers over every output
//!   row, and each tap is one multiply-add of a shifted input row by the row of `dY`; the
//!   lanes are added up when the gradients are read. For few filters on rows of up to 32
//!   pixels (the first layer: 6 filters, rows of 28).
//!
//! The gradients are accumulated in `acc` sample after sample, pixels in order: a fixed
//! order, so the same bits on any number of threads when the batch is cut into the same
//! pieces. The order differs from the product's, so the bits differ from the AVX2 path's in
//! the last places. AVX-512 only; other CPUs keep the product.
use super::im2col::Geom;

/// Floats per register.
pub const LANES: usize = 16;

/// How the gradient is vectorised (module docs).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Form {
    /// Across filters: `acc` is `[C·Kh·Kw, 16]`, lane `f` of row `r` tap `r`'s gradient for
    /// filter `f`.
    Filters,
    /// Across output pixels: `acc` is `[C·Kh·Kw, O, 16]`, the sixteen lanes of vector
    /// `(r, f)` add up to tap `r`'s gradient for filter `f`.
    Pixels,
}

/// How the geometry's weight gradient runs here, if at all: stride 1, dilation 1, a 3×3 or
/// 5×5 kernel, 1 to 16 filters and the CPU has AVX-512; across pixels when rows of at most 32
/// pixels fill more of their registers than the filters would, otherwise across filters from
/// four filters up (fewer leave most lanes idle).
#[inline]
pub fn form(g: &Geom, o: usize) -> Option<Form> {
    if runs(Form::Pixels, g, o) && g.ow > o * g.ow.div_ceil(LANES) {
        Some(Form::Pixels)
    } else {
        (o >= 4 && runs(Form::Filters, g, o)).then_some(Form::Filters)
    }
}

/// Whether `form` can run the geometry here (whether or not [`form`] picks it).
#[inline]
fn runs(form: Form, g: &Geom, o: usize) -> bool {
    g.sh == 1
        && g.sw == 1
        && g.dh == 1
        && g.dw == 1
        && ((g.kh == 3 && g.kw == 3) || (g.kh == 5 && g.kw == 5))
        && g.c > 0
        && g.oh > 0
        && g.ow > 0
        && o > 0
        && o <= LANES
        && (form == Form::Filters || g.ow <= 2 * LANES)
        && super::gemm::use_avx512()
        && cfg!(target_arch = "x86_64")
}

/// Floats of `acc` for `form`.
pub const fn acc_len(g: &Geom, o: usize, form: Form) -> usize {
    match form {
        Form::Filters => g.rows() * LANES,
        Form::Pixels => g.rows() * o * LANES,
    }
}

/// Floats of [`accumulate`]'s `dyt` scratch: one sample's `dY` packed as `[H'·W', 16]`
/// ([`Form::Filters`]; none for [`Form::Pixels`]).
pub const fn scratch_len(g: &Geom, form: Form) -> usize {
    match form {
        Form::Filters => g.oh * g.ow * LANES,
        Form::Pixels => 0,
    }
}

/// One sample: adds `Σ_pixels xp[window r at the pixel] · dy[f, pixel]` for every tap
/// `r = (c, ki, kj)` and filter `f < O` into `acc` (laid out as `form` says; [`fold`] reads
/// it), from the zero-padded image `xp` (`[C, Hp, Wp]`, rows `Wp` apart) and `dy`
/// (`[O, H'·W']`); `dyt` is scratch of [`scratch_len`] floats and `acc` holds [`acc_len`]
/// (lanes past `O` of [`Form::Filters`] stay as they are, zero when they start so). Returns
/// `false` (and does nothing) unless `form` can run the geometry here (the one [`form`]
/// picks can) and the slices are long enough.
pub fn accumulate(
    form: Form,
    g: &Geom,
    o: usize,
    xp: &[f32],
    dy: &[f32],
    dyt: &mut [f32],
    acc: &mut [f32],
) -> bool {
    if !runs(form, g, o)
        || xp.len() < g.c * g.hp() * g.wp()
        || dy.len() < o * g.oh * g.ow
        || dyt.len() < scratch_len(g, form)
        || acc.len() < acc_len(g, o, form)
    {
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    match form {
        Form::Filters => {
            // dY as [H'·W', 16]: pixel p's sixteen lanes are its filters' dY (zero past O)
            super::chanconv::pack(dy, o, g.oh * g.ow, dyt);
            // SAFETY: `form` checked AVX-512F (and the geometry), the lengths are checked
            // above.
            unsafe {
                if g.kh == 5 {
                    avx512::filters::<5, 5>(g, xp, dyt, acc);
                } else {
                    avx512::filters::<3, 3>(g, xp, dyt, acc);
                }
            }
        }
        // SAFETY: as above; F·KW·V ≤ 20 accumulators.
        Form::Pixels => unsafe {
            match (g.kw, g.ow > LANES) {
                (5, true) => avx512::pixels::<2, 5, 2>(g, o, xp, dy, acc),
                (5, false) => avx512::pixels::<4, 5, 1>(g, o, xp, dy, acc),
                (_, true) => avx512::pixels::<3, 3, 2>(g, o, xp, dy, acc),
                (_, false) => avx512::pixels::<6, 3, 1>(g, o, xp, dy, acc),
            }
        },
    }
    true
}

/// Adds the gradients accumulated in `acc` (as `form` lays them out) into `gw`
/// (`[O, C·Kh·Kw]`).
pub fn fold(form: Form, g: &Geom, o: usize, acc: &[f32], gw: &mut [f32]) {
    let ckk = g.rows();
    match form {
        Form::Filters => {
            for (r, row) in acc.chunks_exact(LANES).take(ckk).enumerate() {
                for (f, v) in row[..o].iter().enumerate() {
                    gw[f * ckk + r] += v;
                }
            }
        }
        Form::Pixels => {
            for (i, v) in acc.chunks_exact(LANES).take(ckk * o).enumerate() {
                gw[(i % o) * ckk + i / o] += v.iter().sum::<f32>();
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{Geom, LANES};
    use core::arch::x86_64::*;

    /// [`super::accumulate`], [`super::Form::Filters`], for a `KH×KW` kernel, `dY` packed.
    ///
    /// # Safety
    /// AVX-512F; `g` is a stride-1, dilation-1 geometry with a `KH×KW` kernel; `xp` holds
    /// `C·Hp·Wp` floats, `dyt` (`dY` packed) `H'·W'·16`, `acc` `C·KH·KW·16`.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn filters<const KH: usize, const KW: usize>(
        g: &Geom,
        xp: &[f32],
        dyt: &[f32],
        acc: &mut [f32],
    ) {
        let (wp, plane) = (g.wp(), g.hp() * g.wp());
        // SAFETY (the whole body): dyt holds H'W' rows of 16. Tap (ki, kj) of output pixel
        // (oy, ox) reads xp[c·Hp·Wp + (oy + ki)·Wp + ox + kj] with oy + ki < Hp and ox + kj < Wp (stride 1,
        // dilation 1), inside channel c's plane. acc holds C·KH·KW rows of 16.
        unsafe {
            for c in 0..g.c {
                let a = acc.as_mut_ptr().add(c * KH * KW * LANES);
                let mut s = [[_mm512_setzero_ps(); KW]; KH];
                for (ki, row) in s.iter_mut().enumerate() {
                    for (kj, v) in row.iter_mut().enumerate() {
                        *v = _mm512_loadu_ps(a.add((ki * KW + kj) * LANES));
                    }
                }
                let xc = xp.as_ptr().add(c * plane);
                for oy in 0..g.oh {
                    let (xr, dr) = (xc.add(oy * wp), dyt.as_ptr().add(oy * g.ow * LANES));
                    for ox in 0..g.ow {
                        let d = _mm512_loadu_ps(dr.add(ox * LANES));
                        let x0 = xr.add(ox);
                        for (ki, row) in s.iter_mut().enumerate() {
                            for (kj, v) in row.iter_mut().enumerate() {
                                let xv = _mm512_set1_ps(*x0.add(ki * wp + kj));
                                *v = _mm512_fmadd_ps(xv, d, *v);
                            }
                        }
                    }
                }
                for (ki, row) in s.iter().enumerate() {
                    for (kj, v) in row.iter().enumerate() {
                        _mm512_storeu_ps(a.add((ki * KW + kj) * LANES), *v);
                    }
                }
            }
        }
    }

    /// [`super::accumulate`], [`super::Form::Pixels`]: blocks of `F` filters of one kernel
    /// row `(c, ki)`, each output row `V` registers of sixteen pixels (`m[v]` the valid lanes;
    /// the lanes past `W'` load zeros of `dY` and of the input).
    ///
    /// # Safety
    /// AVX-512F; `g` is a stride-1, dilation-1 geometry with a kernel `KW` wide,
    /// `16·(V − 1) < W' ≤ 16·V`; `xp` holds `C·Hp·Wp` floats, `dy` `O·H'·W'`, `acc`
    /// `C·Kh·KW·O·16`.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn pixels<const F: usize, const KW: usize, const V: usize>(
        g: &Geom,
        o: usize,
        xp: &[f32],
        dy: &[f32],
        acc: &mut [f32],
    ) {
        let lanes = |n: usize| -> __mmask16 { ((1u32 << n.min(16)) - 1) as __mmask16 };
        let m = [lanes(g.ow), lanes(g.ow.saturating_sub(LANES))];
        let (wp, plane, hw) = (g.wp(), g.hp() * g.wp(), g.oh * g.ow);
        // SAFETY (the whole body): filter f < O's row oy of dY is dy[f·H'W' + oy·W'..][..W'],
        // row oy + ki < Hp of channel c's padded plane holds Wp ≥ W' + kj floats from column
        // kj; lanes at or past W' are masked off. Vector (r·O + f) of acc is inside acc.
        unsafe {
            for c in 0..g.c {
                for ki in 0..g.kh {
                    for f0 in (0..o).step_by(F) {
                        let nf = (o - f0).min(F);
                        let mut a = [[[_mm512_setzero_ps(); V]; KW]; F];
                        for oy in 0..g.oh {
                            let mut d = [[_mm512_setzero_ps(); V]; F];
                            for (f, df) in d.iter_mut().enumerate().take(nf) {
                                let dr = dy.as_ptr().add((f0 + f) * hw + oy * g.ow);
                                for (v, dv) in df.iter_mut().enumerate() {
                                    *dv = _mm512_maskz_loadu_ps(m[v], dr.add(LANES * v));
                                }
                            }
                            let xr = xp.as_ptr().add(c * plane + (oy + ki) * wp);
                            for kj in 0..KW {
                                for v in 0..V {
                                    let x = _mm512_maskz_loadu_ps(m[v], xr.add(kj + LANES * v));
                                    for (af, df) in a.iter_mut().zip(&d) {
                                        af[kj][v] = _mm512_fmadd_ps(x, df[v], af[kj][v]);
                                    }
                                }
                            }
                        }
                        for (f, af) in a.iter().enumerate().take(nf) {
                            for (kj, ak) in af.iter().enumerate() {
                                let mut s = ak[0];
                                for v in &ak[1..] {
                                    s = _mm512_add_ps(s, *v);
                                }
                                let r = (c * g.kh + ki) * KW + kj;
                                let p = acc.as_mut_ptr().add((r * o + f0 + f) * LANES);
                                _mm512_storeu_ps(p, _mm512_add_ps(_mm512_loadu_ps(p), s));
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::kernels::testing::vals;
    use std::vec;

    /// `(c, h, w, k, [top, bottom, left, right], o, the form picked)`.
    type Case = (usize, usize, usize, usize, [usize; 4], usize, Form);

    /// Both forms against the gradient summed in f64, over two samples (the accumulators carry
    /// over), for LeNet-5's two layers, padding on some sides only, 3×3, rows past sixteen
    /// pixels and filter counts that leave lanes idle; off the AVX-512 path they must refuse.
    #[test]
    fn matches_the_sum_over_pixels() {
        let cases: &[Case] = &[
            (1, 28, 28, 5, [2; 4], 6, Form::Pixels),
            (6, 14, 14, 5, [0; 4], 16, Form::Filters),
            (3, 9, 21, 3, [1, 0, 2, 1], 5, Form::Pixels),
            (2, 7, 7, 3, [1; 4], 4, Form::Pixels),
            (2, 6, 12, 5, [2; 4], 13, Form::Filters),
            (1, 8, 33, 3, [0; 4], 1, Form::Pixels),
        ];
        for (i, &(c, h, w, k, p, o, picked)) in cases.iter().enumerate() {
            let g = Geom::new(c, h, w, [k, k], [1, 1], p, [1, 1]);
            let avx512 = crate::kernels::gemm::use_avx512();
            assert_eq!(form(&g, o), avx512.then_some(picked), "case {i}");
            let (hp, wp, hw) = (g.hp(), g.wp(), g.oh * g.ow);
            let (xs, dys) = (vals(2 * c * h * w, 7 + i as u32), vals(2 * o * hw, 3));
            let mut want = vec![0f64; g.rows() * o];
            for s in 0..2 {
                let (x, dy) = (
                    &xs[s * c * h * w..][..c * h * w],
                    &dys[s * o * hw..][..o * hw],
                );
                for f in 0..o {
                    for r in 0..g.rows() {
                        let (ch, ki, kj) = (r / (k * k), r / k % k, r % k);
                        for oy in 0..g.oh {
                            for ox in 0..g.ow {
                                let (iy, ix) =
                                    ((oy + ki).wrapping_sub(g.pt), (ox + kj).wrapping_sub(g.pl));
                                if iy < h && ix < w {
                                    let d = dy[f * hw + oy * g.ow + ox] as f64;
                                    want[f * g.rows() + r] += x[(ch * h + iy) * w + ix] as f64 * d;
                                }
                            }
                        }
                    }
                }
            }
            for fm in [Form::Filters, Form::Pixels] {
                if fm == Form::Pixels && g.ow > 32 {
                    continue;
                }
                let mut acc = vec![0.0; acc_len(&g, o, fm)];
                let mut dyt = vec![f32::NAN; scratch_len(&g, fm)];
                for s in 0..2 {
                    let (x, dy) = (
                        &xs[s * c * h * w..][..c * h * w],
                        &dys[s * o * hw..][..o * hw],
                    );
                    let mut xp = vec![0.0; c * hp * wp];
                    for ch in 0..c {
                        for y in 0..h {
                            for xx in 0..w {
                                xp[(ch * hp + y + g.pt) * wp + xx + g.pl] =
                                    x[(ch * h + y) * w + xx];
                            }
                        }
                    }
                    let ran = accumulate(fm, &g, o, &xp, dy, &mut dyt, &mut acc);
                    assert_eq!(ran, avx512, "case {i}, {fm:?}");
                }
                if !avx512 {
                    continue;
                }
                if fm == Form::Filters {
                    for (j, v) in acc.chunks_exact(LANES).flat_map(|r| &r[o..]).enumerate() {
                        assert_eq!(v.to_bits(), 0, "case {i}: idle lane {j}");
                    }
                }
                let mut gw = vec![0.5; g.rows() * o];
                fold(fm, &g, o, &acc, &mut gw);
                for (j, (a, e)) in gw.iter().zip(&want).enumerate() {
                    let e = e + 0.5;
                    assert!(
                        (*a as f64 - e).abs() <= 1e-4 * (1.0 + e.abs()),
                        "case {i}, {fm:?}, weight {j}: {a} vs {e}"
                    );
                }
            }
        }
    }

    /// Geometries it must refuse, and short slices refused rather than read past.
    #[test]
    fn refuses_what_it_does_not_take() {
        let g = |k: usize, s: usize, d: usize| Geom::new(2, 12, 12, [k, k], [s, s], [1; 4], [d, d]);
        if !crate::kernels::gemm::use_avx512() {
            assert_eq!(form(&g(5, 1, 1), 16), None);
            return;
        }
        assert_eq!(form(&g(5, 1, 1), 16), Some(Form::Filters));
        assert_eq!(form(&g(5, 2, 1), 16), None, "stride 2");
        assert_eq!(form(&g(3, 1, 2), 16), None, "dilation");
        assert_eq!(form(&g(7, 1, 1), 16), None, "7×7");
        assert_eq!(form(&g(3, 1, 1), 17), None, "seventeen filters");
        assert_eq!(
            form(&g(3, 1, 1), 3),
            Some(Form::Pixels),
            "three filters, rows of 12"
        );
        let wide = Geom::new(1, 3, 40, [3, 3], [1, 1], [0; 4], [1, 1]);
        assert_eq!(form(&wide, 3), None, "three filters, rows of 38");
        assert_eq!(form(&wide, 4), Some(Form::Filters));
        let gg = g(3, 1, 1);
        let (xp, dy) = (vals(2 * 14 * 14, 1), vals(8 * 144, 2));
        for fm in [Form::Filters, Form::Pixels] {
            let mut dyt = vec![0.0; scratch_len(&gg, fm)];
            let mut acc = vec![0.0; acc_len(&gg, 8, fm)];
            assert!(!accumulate(fm, &gg, 8, &xp[1..], &dy, &mut dyt, &mut acc));
            assert!(!accumulate(fm, &gg, 8, &xp, &dy[1..], &mut dyt, &mut acc));
            assert!(!accumulate(fm, &gg, 8, &xp, &dy, &mut dyt, &mut acc[1..]));
            assert!(!accumulate(
                fm,
                &g(5, 2, 1),
                8,
                &xp,
                &dy,
                &mut dyt,
                &mut acc
            ));
            assert!(acc.iter().all(|&v| v == 0.0));
        }
    }
}

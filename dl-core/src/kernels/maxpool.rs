//! Max pooling over non-overlapping `k×k` windows (stride `k`, no padding, no dilation: the
//! common `MaxPool2d<K>`): for `k = 2` under AVX2, eight windows at a time (sixteen under AVX-512
//! when no argmax is asked for, as in inference), deinterleaving the
//! left and right taps of two input rows; otherwise one window at a time.
//!
//! The rules are `MaxPool2d`'s: taps are visited row by row, a tap replaces the running
//! maximum when it is greater or is NaN, so ties go to the first tap and a NaN wins.

/// One sample `[c, h, w]`: `y[c, oy, ox]` is the maximum of the window at `(k·oy, k·ox)` and,
/// when `arg` is not empty, `arg` receives its flat index into `x`. `y` (and `arg`) hold
/// `c·oh·ow` values, `oh ≤ h / k`, `ow ≤ w / k`.
pub fn max_pool_k(
    x: &[f32],
    [c, h, w]: [usize; 3],
    k: usize,
    [oh, ow]: [usize; 2],
    y: &mut [f32],
    arg: &mut [u32],
) {
    assert!(k >= 1 && oh * k <= h && ow * k <= w && x.len() >= c * h * w);
    assert!(y.len() >= c * oh * ow && (arg.is_empty() || arg.len() >= c * oh * ow));
    assert!(c * h * w <= u32::MAX as usize);
    #[cfg(target_arch = "x86_64")]
    if k == 2 && super::gemm::use_avx512() {
        // SAFETY: the CPU has AVX-512F; the lengths are checked above.
        return unsafe { avx512::k2(x, [c, h, w], [oh, ow], y, arg) };
    }
    for ch in 0..c {
        for oy in 0..oh {
            let o = (ch * oh + oy) * ow;
            let row0 = (ch * h + oy * k) * w;
            #[cfg(target_arch = "x86_64")]
            let ox = if k == 2 && super::gemm::use_avx2() {
                // SAFETY: the CPU has AVX2; row0 and row0 + w hold 2·ow floats, y/arg ow values
                // from o (checked above).
                unsafe { avx2::rows_k2(x, row0, w, ow, &mut y[o..o + ow], arg, o) }
            } else {
                0
            };
            #[cfg(not(target_arch = "x86_64"))]
            let ox = 0;
            for ox in ox..ow {
                let (mut best, mut at) = (f32::NEG_INFINITY, row0 + ox * k);
                for r in 0..k {
                    for t in 0..k {
                        let i = row0 + r * w + ox * k + t;
                        let v = x[i];
                        let take = (v > best) | v.is_nan();
                        best = if take { v } else { best };
                        at = if take { i } else { at };
                    }
                }
                y[o + ox] = best;
                if let Some(a) = arg.get_mut(o + ox) {
                    *a = at as u32;
                }
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use core::arch::x86_64::*;

    /// One row of 2×2 windows, eight at a time (the last block masked only in rows of fewer
    /// than eight); returns `ow`.
    ///
    /// # Safety
    /// The CPU supports AVX2; `x[row0..row0 + 2·ow]` and `x[row0 + w..row0 + w + 2·ow]` exist,
    /// `y` holds `ow` values and `arg` is empty or holds `o + ow`.
    #[target_feature(enable = "avx2")]
    pub unsafe fn rows_k2(
        x: &[f32],
        row0: usize,
        w: usize,
        ow: usize,
        y: &mut [f32],
        arg: &mut [u32],
        o: usize,
    ) -> usize {
        let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        // lanes i < n all ones
        let mask = |n: usize| _mm256_cmpgt_epi32(_mm256_set1_epi32(n as i32), lanes);
        // SAFETY: loads read the 2·m floats of the m ≤ 8 windows of a block (masked past the
        // row's 2·ow), stores write m values.
        unsafe {
            let lanes2 = _mm256_add_epi32(lanes, lanes);
            for ox in (0..ow).step_by(8) {
                // from eight windows on, the last block is the last eight (overlapping the one
                // before, whose values it writes again unchanged): plain stores, as AMD's cores
                // microcode the masked ones (`vmaskmovps` to memory)
                let ox = if ow >= 8 { ox.min(ow - 8) } else { ox };
                let m = (ow - ox).min(8);
                let (ma, mb, mo) = (mask(2 * m), mask((2 * m).saturating_sub(8)), mask(m));
                let mut best = _mm256_set1_ps(f32::NEG_INFINITY);
                let first = _mm256_add_epi32(_mm256_set1_epi32((row0 + 2 * ox) as i32), lanes2);
                let mut at = first;
                for r in 0..2 {
                    let p = x.as_ptr().add(row0 + r * w + 2 * ox);
                    let (a, b) = if m == 8 {
                        (_mm256_loadu_ps(p), _mm256_loadu_ps(p.add(8)))
                    } else {
                        (_mm256_maskload_ps(p, ma), _mm256_maskload_ps(p.add(8), mb))
                    };
                    // even and odd columns: the left and right taps of eight windows
                    let even = _mm256_castpd_ps(_mm256_permute4x64_pd::<0xD8>(_mm256_castps_pd(
                        _mm256_shuffle_ps::<0x88>(a, b),
                    )));
                    let odd = _mm256_castpd_ps(_mm256_permute4x64_pd::<0xD8>(_mm256_castps_pd(
                        _mm256_shuffle_ps::<0xDD>(a, b),
                    )));
                    let base = _mm256_add_epi32(first, _mm256_set1_epi32((r * w) as i32));
                    for (v, idx) in [
                        (even, base),
                        (odd, _mm256_add_epi32(base, _mm256_set1_epi32(1))),
                    ] {
                        let take = _mm256_or_ps(
                            _mm256_cmp_ps::<_CMP_GT_OQ>(v, best),
                            _mm256_cmp_ps::<_CMP_UNORD_Q>(v, v),
                        );
                        best = _mm256_blendv_ps(best, v, take);
                        at = _mm256_castps_si256(_mm256_blendv_ps(
                            _mm256_castsi256_ps(at),
                            _mm256_castsi256_ps(idx),
                            take,
                        ));
                    }
                }
                if m == 8 {
                    _mm256_storeu_ps(y.as_mut_ptr().add(ox), best);
                    if !arg.is_empty() {
                        _mm256_storeu_si256(arg.as_mut_ptr().add(o + ox).cast(), at);
                    }
                } else {
                    _mm256_maskstore_ps(y.as_mut_ptr().add(ox), mo, best);
                    if !arg.is_empty() {
                        _mm256_maskstore_epi32(arg.as_mut_ptr().add(o + ox).cast(), mo, at);
                    }
                }
            }
        }
        ow
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::k2_short;
    use core::arch::x86_64::*;

    /// Every row of 2×2 windows of every channel, sixteen windows at a time (both input rows'
    /// 32 floats deinterleaved into the left and right taps), the last block of a row masked;
    /// the taps in the order of the scalar loop, so the same maxima to the bit. With the
    /// argmax (`arg` not empty: the flat index into `x` of the tap kept), each tap's indices
    /// go beside its values through the same selects.
    ///
    /// # Safety
    /// The CPU supports AVX-512F; `x` holds `c·h·w` floats, `y` `c·oh·ow`, `arg` none or
    /// `c·oh·ow`, `2·oh ≤ h`, `2·ow ≤ w`.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn k2(
        x: &[f32],
        [c, h, w]: [usize; 3],
        [oh, ow]: [usize; 2],
        y: &mut [f32],
        arg: &mut [u32],
    ) {
        if arg.is_empty() && h == 2 * oh && w == 2 * ow && ow <= 8 {
            // SAFETY: as this function's, with the windows tiling the planes exactly.
            return unsafe { k2_short(x, c * oh, ow, y) };
        }
        let lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        let even = _mm512_add_epi32(lanes, lanes);
        let odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
        // the index of tap k of a window, from its first: (k / 2)·w + k % 2 (wrapping 32-bit
        // lanes hold the u32 indices, all below c·h·w ≤ u32::MAX)
        let tap = [0, 1, w, w + 1].map(|d| _mm512_set1_epi32(d as i32));
        let mask = |n: usize| -> __mmask16 {
            if n >= 16 {
                0xFFFF
            } else {
                ((1u32 << n) - 1) as __mmask16
            }
        };
        for ox in (0..ow).step_by(16) {
            let m = (ow - ox).min(16);
            let (ma, mb, mo) = (mask(2 * m), mask((2 * m).saturating_sub(16)), mask(m));
            for ch in 0..c {
                for oy in 0..oh {
                    let (row0, row) = ((ch * h + 2 * oy) * w + 2 * ox, ch * oh + oy);
                    // SAFETY: masked loads read the 2·m floats of the m ≤ 16 windows of the
                    // block in each of the two input rows, the masked stores write m values
                    // of the row (of y, and of arg when it is not empty).
                    unsafe {
                        let t: [__m512; 4] = core::array::from_fn(|k| {
                            let p = x.as_ptr().add(row0 + (k / 2) * w);
                            let a = _mm512_maskz_loadu_ps(ma, p);
                            let b = _mm512_maskz_loadu_ps(mb, p.add(16));
                            _mm512_permutex2var_ps(a, if k % 2 == 0 { even } else { odd }, b)
                        });
                        let yr = y.as_mut_ptr().add(row * ow + ox);
                        if arg.is_empty() {
                            _mm512_mask_storeu_ps(yr, mo, max4(t));
                            continue;
                        }
                        let first = _mm512_add_epi32(_mm512_set1_epi32(row0 as i32), even);
                        let i = tap.map(|d| _mm512_add_epi32(first, d));
                        let (a, ia) = take_arg(t[0], i[0], t[1], i[1]);
                        let (b, ib) = take_arg(t[2], i[2], t[3], i[3]);
                        let (v, iv) = take_arg(a, ia, b, ib);
                        _mm512_mask_storeu_ps(yr, mo, v);
                        let at = arg.as_mut_ptr().add(row * ow + ox).cast::<i32>();
                        _mm512_mask_storeu_epi32(at, mo, iv);
                    }
                }
            }
        }
    }

    /// [`take`] with each value's index: the pair from `b` where `b > a` or `b` is NaN. Paired
    /// as in [`max4`], so the index of the tap the scalar loop keeps.
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn take_arg(a: __m512, ia: __m512i, b: __m512, ib: __m512i) -> (__m512, __m512i) {
        let m = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(b, a) | _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(b, b);
        (
            _mm512_mask_mov_ps(a, m, b),
            _mm512_mask_mov_epi32(ia, m, ib),
        )
    }

    /// The taps `t[0..4]` of sixteen windows (in the scalar loop's order) to their maxima by
    /// [`MaxPool2d`'s rule](super): `take(take(t0, t1), take(t2, t3))`, where `take(a, b)` is
    /// `b` when `b > a` or `b` is NaN, else `a`. That rule is associative (a NaN on the right
    /// is the last NaN; without NaNs the left side keeps ties, so the first maximum wins), so
    /// the pairs give the bits of the tap-by-tap fold from −∞ with half its chain of
    /// dependent selects.
    #[target_feature(enable = "avx512f")]
    #[inline]
    pub(super) fn max4(t: [__m512; 4]) -> __m512 {
        take(take(t[0], t[1]), take(t[2], t[3]))
    }

    /// `b` where `b > a` or `b` is NaN, `a` elsewhere.
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn take(a: __m512, b: __m512) -> __m512 {
        let m = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(b, a) | _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(b, b);
        _mm512_mask_mov_ps(a, m, b)
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512_short {
    use super::avx512::max4;
    use core::arch::x86_64::*;

    /// [`super::avx512::k2`] for short rows tiling the planes exactly (`h = 2·oh`, `w = 2·ow`,
    /// `ow ≤ 8`, LeNet-5's 10×10 → 5×5): the `q = c·oh` pairs of input rows lie `2·w` apart,
    /// so `⌊16/ow⌋` rows of windows fill one register, their taps picked from the 64 floats
    /// that follow by two-source permutes; the taps in the order of the scalar loop.
    ///
    /// # Safety
    /// The CPU supports AVX-512F; `x` holds `4·q·ow` floats, `y` `q·ow`, `1 ≤ ow ≤ 8`.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn k2_short(x: &[f32], q: usize, ow: usize, y: &mut [f32]) {
        let (w, g) = (2 * ow, 16 / ow);
        let mask = |n: usize| -> __mmask16 { ((1u32 << n.min(16)) - 1) as __mmask16 };
        // tap (r, t) of window j of row i of a block: float i·2w + r·w + 2j + t of the block
        let mut idx = [[0i32; 16]; 4];
        for l in 0..g * ow {
            let (i, j) = (l / ow, l % ow);
            for (k, ix) in idx.iter_mut().enumerate() {
                ix[l] = (i * 2 * w + (k / 2) * w + 2 * j + k % 2) as i32;
            }
        }
        let idx = idx.map(|v| {
            // SAFETY: sixteen i32 from an array of sixteen.
            unsafe { _mm512_loadu_si512(v.as_ptr().cast()) }
        });
        let hi = idx.map(|v| _mm512_cmpge_epi32_mask(v, _mm512_set1_epi32(32)));
        for q0 in (0..q).step_by(g) {
            let rows = (q - q0).min(g);
            let span = rows * 2 * w;
            // SAFETY: the loads read the span's floats of rows q0..q0 + rows (masked past
            // it), the store writes rows·ow values from q0·ow.
            unsafe {
                let p = x.as_ptr().add(q0 * 2 * w);
                let v: [__m512; 4] = core::array::from_fn(|k| {
                    _mm512_maskz_loadu_ps(mask(span.saturating_sub(16 * k)), p.add(16 * k))
                });
                let t: [__m512; 4] = core::array::from_fn(|k| {
                    let lo = _mm512_permutex2var_ps(v[0], idx[k], v[1]);
                    let up = _mm512_permutex2var_ps(v[2], idx[k], v[3]);
                    _mm512_mask_mov_ps(lo, hi[k], up)
                });
                _mm512_mask_storeu_ps(y.as_mut_ptr().add(q0 * ow), mask(rows * ow), max4(t));
            }
        }
    }
}
#[cfg(target_arch = "x86_64")]
use avx512_short::k2_short;

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// The definition, tap by tap.
    fn naive(
        x: &[f32],
        [c, h, w]: [usize; 3],
        k: usize,
        [oh, ow]: [usize; 2],
    ) -> (Vec<f32>, Vec<u32>) {
        let (mut y, mut a) = (vec![0.0; c * oh * ow], vec![0; c * oh * ow]);
        for ch in 0..c {
            for oy in 0..oh {
                for ox in 0..ow {
                    let (mut best, mut at) = (f32::NEG_INFINITY, (ch * h + oy * k) * w + ox * k);
                    for r in 0..k {
                        for t in 0..k {
                            let i = (ch * h + oy * k + r) * w + ox * k + t;
                            if x[i] > best || x[i].is_nan() {
                                (best, at) = (x[i], i);
                            }
                        }
                    }
                    let o = (ch * oh + oy) * ow + ox;
                    (y[o], a[o]) = (best, at as u32);
                }
            }
        }
        (y, a)
    }

    #[test]
    fn every_window_its_maximum_and_argmax_with_ties_and_nans() {
        let mut r = crate::rng::Rng::new(11);
        use crate::kernels::gemm::{force_path, Path};
        for (portable, path) in [(false, None), (false, Some(Path::Avx2)), (true, None)] {
            crate::kernels::gemm::force_portable(portable);
            if path.is_some() {
                force_path(path);
            }
            for &(c, h, w, k) in &[
                (2, 28, 28, 2),
                (3, 5, 37, 2),
                (1, 9, 9, 3),
                (2, 4, 16, 1),
                (1, 10, 34, 2),
                (2, 6, 7, 2),
                (16, 10, 10, 2),
                (3, 2, 2, 2),
                (5, 6, 14, 2),
                (7, 8, 16, 2),
                (4, 4, 6, 2),
            ] {
                let (oh, ow) = (h / k, w / k);
                // few distinct values (ties), some NaNs
                let x: Vec<f32> = (0..c * h * w)
                    .map(|i| {
                        if i % 17 == 5 {
                            f32::NAN
                        } else {
                            (r.below(7) as f32) - 3.0
                        }
                    })
                    .collect();
                let (want_y, want_a) = naive(&x, [c, h, w], k, [oh, ow]);
                let (mut y, mut a) = (vec![0.0; c * oh * ow], vec![0; c * oh * ow]);
                max_pool_k(&x, [c, h, w], k, [oh, ow], &mut y, &mut a);
                assert_eq!(a, want_a, "argmax, portable {portable}, {c}×{h}×{w} k{k}");
                let same = |p: f32, q: f32| p == q || (p.is_nan() && q.is_nan());
                assert!(
                    y.iter().zip(&want_y).all(|(p, q)| same(*p, *q)),
                    "values, portable {portable}"
                );
                let mut y2 = vec![0.0; c * oh * ow];
                max_pool_k(&x, [c, h, w], k, [oh, ow], &mut y2, &mut []);
                // without the argmax (the AVX-512 rows): the same bits as the definition
                let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&y2), bits(&want_y), "without argmax, {path:?}");
            }
        }
        crate::kernels::gemm::force_portable(false);
    }
}

//! The register tile `C[mr×nr] = A·B + beta·C` (at most `MR × NR`): AVX2+FMA intrinsics when the
//! CPU has them, portable Rust otherwise.
use super::{MR, NR};

/// One tile over `kc` steps. Row `r` of `A` at step `p` is `*a[r].add(p·a_step)` (a packed
/// panel: `a[r] = panel + r`, `a_step = MR`; rows read in place: `a_step = 1`); rows `≥ mr` may
/// point anywhere readable (they are computed and dropped). Row `p` of `B` starts at
/// `b + boffs[p]` when `boffs` is not null and at `b + p·ldb` otherwise; its first `nr` columns
/// are read. `C` has rows `ldc` apart.
#[derive(Clone, Copy)]
pub(super) struct Tile {
    pub kc: usize,
    pub a: [*const f32; MR],
    pub a_step: usize,
    pub b: *const f32,
    pub ldb: usize,
    pub boffs: *const usize,
    pub c: *mut f32,
    pub ldc: usize,
    pub mr: usize,
    pub nr: usize,
}

/// # Safety
/// Every element a [`Tile`] describes is in bounds, `1 ≤ mr ≤ MR`, `1 ≤ nr ≤ NR`.
pub(super) type Kernel = unsafe fn(Tile, f32);

/// The kernel for this CPU.
pub(super) fn kernel() -> Kernel {
    #[cfg(target_arch = "x86_64")]
    if super::use_avx2() {
        return avx2::tile;
    }
    portable
}

/// The portable tile: plain arrays the compiler vectorises for the target.
///
/// # Safety
/// As [`Kernel`].
unsafe fn portable(t: Tile, beta: f32) {
    let mut acc = [[0.0f32; NR]; MR];
    let mut brow = [0.0f32; NR];
    let mut acol = [0.0f32; MR];
    for p in 0..t.kc {
        // SAFETY: rows < mr of A at step p < kc, and nr columns of row p of B, are in bounds.
        unsafe {
            for (v, a) in acol.iter_mut().zip(&t.a).take(t.mr) {
                *v = *a.add(p * t.a_step);
            }
            let off = if t.boffs.is_null() {
                p * t.ldb
            } else {
                *t.boffs.add(p)
            };
            brow[..t.nr].copy_from_slice(core::slice::from_raw_parts(t.b.add(off), t.nr));
        }
        for (row, &av) in acc.iter_mut().zip(&acol) {
            for (x, &bv) in row.iter_mut().zip(&brow) {
                *x += av * bv;
            }
        }
    }
    for (r, row) in acc.iter().enumerate().take(t.mr) {
        // SAFETY: row r < mr of C holds nr writable floats.
        let cr = unsafe { core::slice::from_raw_parts_mut(t.c.add(r * t.ldc), t.nr) };
        for (o, &v) in cr.iter_mut().zip(row) {
            *o = if beta == 0.0 { v } else { v + beta * *o };
        }
    }
}

#[cfg(target_arch = "x86_64")]
pub(super) mod avx2 {
    use super::{Tile, MR, NR};
    use core::arch::x86_64::*;

    /// The AVX2+FMA tile: 12 accumulators, two loads of `B` and six broadcasts of `A` per step.
    ///
    /// # Safety
    /// As [`super::Kernel`]; the CPU supports AVX2 and FMA.
    pub unsafe fn tile(t: Tile, beta: f32) {
        // SAFETY: forwarded contract; the features were detected by the caller.
        unsafe {
            match (t.nr == NR, t.a_step == 1, t.boffs.is_null()) {
                (true, false, true) => tile_impl::<false, false, false>(t, beta),
                (true, true, true) => tile_impl::<false, true, false>(t, beta),
                (true, false, false) => tile_impl::<false, false, true>(t, beta),
                (true, true, false) => tile_impl::<false, true, true>(t, beta),
                (false, false, true) => tile_impl::<true, false, false>(t, beta),
                (false, true, true) => tile_impl::<true, true, false>(t, beta),
                (false, false, false) => tile_impl::<true, false, true>(t, beta),
                (false, true, false) => tile_impl::<true, true, true>(t, beta),
            }
        }
    }

    /// Lanes `i < n` all ones.
    #[inline(always)]
    unsafe fn mask(n: usize) -> __m256i {
        unsafe {
            _mm256_cmpgt_epi32(
                _mm256_set1_epi32(n as i32),
                _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
            )
        }
    }

    #[target_feature(enable = "avx2,fma")]
    unsafe fn tile_impl<const MASK: bool, const ROWS: bool, const BOFF: bool>(t: Tile, beta: f32) {
        // SAFETY: every pointer stays inside the tile the caller vouched for (see `Tile`).
        unsafe {
            let (m0, m1) = (mask(t.nr), mask(t.nr.saturating_sub(8)));
            let mut acc = [_mm256_setzero_ps(); 12];
            let step = if ROWS { 1 } else { MR };
            for p in 0..t.kc {
                let b = if BOFF {
                    t.b.add(*t.boffs.add(p))
                } else {
                    t.b.add(p * t.ldb)
                };
                let (b0, b1) = if MASK {
                    (_mm256_maskload_ps(b, m0), _mm256_maskload_ps(b.add(8), m1))
                } else {
                    (_mm256_loadu_ps(b), _mm256_loadu_ps(b.add(8)))
                };
                for r in 0..MR {
                    let av = _mm256_broadcast_ss(&*t.a[r].add(p * step));
                    acc[2 * r] = _mm256_fmadd_ps(av, b0, acc[2 * r]);
                    acc[2 * r + 1] = _mm256_fmadd_ps(av, b1, acc[2 * r + 1]);
                }
            }
            let bv = _mm256_set1_ps(beta);
            for r in 0..MR {
                if r >= t.mr {
                    break;
                }
                let cr = t.c.add(r * t.ldc);
                let (mut v0, mut v1) = (acc[2 * r], acc[2 * r + 1]);
                if MASK {
                    if beta != 0.0 {
                        v0 = _mm256_fmadd_ps(bv, _mm256_maskload_ps(cr, m0), v0);
                        v1 = _mm256_fmadd_ps(bv, _mm256_maskload_ps(cr.add(8), m1), v1);
                    }
                    _mm256_maskstore_ps(cr, m0, v0);
                    _mm256_maskstore_ps(cr.add(8), m1, v1);
                } else {
                    if beta != 0.0 {
                        v0 = _mm256_fmadd_ps(bv, _mm256_loadu_ps(cr), v0);
                        v1 = _mm256_fmadd_ps(bv, _mm256_loadu_ps(cr.add(8)), v1);
                    }
                    _mm256_storeu_ps(cr, v0);
                    _mm256_storeu_ps(cr.add(8), v1);
                }
            }
        }
    }

    /// `out[p·NR + j] = src[j·cs + p]` for `j < 16`, `p < kc` (`kc` a multiple of 8).
    ///
    /// # Safety
    /// The reads and writes are in bounds; the CPU supports AVX2.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn transpose_panel(src: *const f32, cs: usize, kc: usize, out: *mut f32) {
        // SAFETY: caller's contract.
        unsafe {
            for half in 0..2 {
                let s = src.add(half * 8 * cs);
                for p in (0..kc).step_by(8) {
                    let r: [__m256; 8] =
                        core::array::from_fn(|j| _mm256_loadu_ps(s.add(j * cs + p)));
                    let t0 = _mm256_unpacklo_ps(r[0], r[1]);
                    let t1 = _mm256_unpackhi_ps(r[0], r[1]);
                    let t2 = _mm256_unpacklo_ps(r[2], r[3]);
                    let t3 = _mm256_unpackhi_ps(r[2], r[3]);
                    let t4 = _mm256_unpacklo_ps(r[4], r[5]);
                    let t5 = _mm256_unpackhi_ps(r[4], r[5]);
                    let t6 = _mm256_unpacklo_ps(r[6], r[7]);
                    let t7 = _mm256_unpackhi_ps(r[6], r[7]);
                    let u0 = _mm256_shuffle_ps::<0x44>(t0, t2);
                    let u1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
                    let u2 = _mm256_shuffle_ps::<0x44>(t1, t3);
                    let u3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
                    let u4 = _mm256_shuffle_ps::<0x44>(t4, t6);
                    let u5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
                    let u6 = _mm256_shuffle_ps::<0x44>(t5, t7);
                    let u7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
                    let o = [
                        _mm256_permute2f128_ps::<0x20>(u0, u4),
                        _mm256_permute2f128_ps::<0x20>(u1, u5),
                        _mm256_permute2f128_ps::<0x20>(u2, u6),
                        _mm256_permute2f128_ps::<0x20>(u3, u7),
                        _mm256_permute2f128_ps::<0x31>(u0, u4),
                        _mm256_permute2f128_ps::<0x31>(u1, u5),
                        _mm256_permute2f128_ps::<0x31>(u2, u6),
                        _mm256_permute2f128_ps::<0x31>(u3, u7),
                    ];
                    for (i, v) in o.into_iter().enumerate() {
                        _mm256_storeu_ps(out.add((p + i) * NR + half * 8), v);
                    }
                }
            }
        }
    }
}

//! The register tile `C[mr×nr] = A·B + beta·C` (at most `MR × NR`) and the loops over the tiles
//! of a block, in one call so the small products of small layers do not pay a call per tile:
//! AVX-512 (`avx512.rs`) or AVX2+FMA intrinsics when the CPU has them, an `asm!` tile on Arm with an FPU (`arm.rs`),
//! portable Rust otherwise.
use super::{MR, NR};

/// A block of tiles: `C[mc×nc] = A·B + beta·C` over `kc` steps.
///
/// Row `i < mc` of `A` at step `p` is `*a[i].add(p·a_step)` (packed panels: `a_step = MR`;
/// rows read in place: `a_step = 1`); `a` holds `mc` rounded up to `MR` pointers, those past
/// `mc` repeating a readable row (computed and dropped). The `NR`-column panel `q` of `B` starts
/// at `b + q·b_panel`; its row `p` is `boffs[p]` further when `boffs` is not null and `p·ldb`
/// otherwise; only the `nc` columns of the block are read. Row `i` of `C` starts at
/// `c + crow[i]`.
#[derive(Clone, Copy)]
pub(super) struct Block<'a> {
    pub kc: usize,
    pub mc: usize,
    pub nc: usize,
    pub a: &'a [*const f32],
    pub a_step: usize,
    pub b: *const f32,
    pub b_panel: usize,
    pub ldb: usize,
    pub boffs: *const usize,
    pub c: *mut f32,
    pub crow: &'a [usize],
}

/// # Safety
/// Every element a [`Block`] describes is in bounds.
pub(super) type Kernel = unsafe fn(&Block, f32);

/// The kernel for this CPU.
pub(super) fn kernel() -> Kernel {
    #[cfg(target_arch = "x86_64")]
    if super::use_avx512() {
        return super::avx512::block;
    }
    #[cfg(target_arch = "x86_64")]
    if super::use_avx2() {
        return avx2::block;
    }
    #[cfg(all(target_arch = "arm", target_abi = "eabihf", target_os = "none"))]
    return super::arm::block;
    #[allow(unreachable_code)]
    portable
}

/// The portable block: plain arrays the compiler vectorises for the target.
///
/// # Safety
/// As [`Kernel`].
pub(super) unsafe fn portable(k: &Block, beta: f32) {
    for jp in (0..k.nc).step_by(NR) {
        let nr = NR.min(k.nc - jp);
        for ip in (0..k.mc).step_by(MR) {
            let mr = MR.min(k.mc - ip);
            let mut acc = [[0.0f32; NR]; MR];
            let mut brow = [0.0f32; NR];
            let mut acol = [0.0f32; MR];
            for p in 0..k.kc {
                // SAFETY: rows < mc of A at step p < kc, and the block's columns of row p of
                // B, are in bounds.
                unsafe {
                    for (v, a) in acol.iter_mut().zip(&k.a[ip..]).take(mr) {
                        *v = *a.add(p * k.a_step);
                    }
                    let off = if k.boffs.is_null() {
                        p * k.ldb
                    } else {
                        *k.boffs.add(p)
                    };
                    let b = k.b.add(jp / NR * k.b_panel + off);
                    brow[..nr].copy_from_slice(core::slice::from_raw_parts(b, nr));
                }
                for (row, &av) in acc.iter_mut().zip(&acol) {
                    for (x, &bv) in row.iter_mut().zip(&brow) {
                        *x += av * bv;
                    }
                }
            }
            for (r, row) in acc.iter().enumerate().take(mr) {
                // SAFETY: row ip + r < mc of C holds the block's columns.
                let cr =
                    unsafe { core::slice::from_raw_parts_mut(k.c.add(k.crow[ip + r] + jp), nr) };
                for (o, &v) in cr.iter_mut().zip(row) {
                    *o = if beta == 0.0 { v } else { v + beta * *o };
                }
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
pub(super) mod avx2 {
    use super::{Block, MR, NR};
    use core::arch::x86_64::*;

    /// The AVX2+FMA block.
    ///
    /// # Safety
    /// As [`super::Kernel`]; the CPU supports AVX2 and FMA.
    pub unsafe fn block(k: &Block, beta: f32) {
        // SAFETY: forwarded contract; the features were detected by the caller.
        unsafe {
            match (k.a_step == 1, k.boffs.is_null()) {
                (false, true) => block_impl::<false, false>(k, beta),
                (true, true) => block_impl::<true, false>(k, beta),
                (false, false) => block_impl::<false, true>(k, beta),
                (true, false) => block_impl::<true, true>(k, beta),
            }
        }
    }

    #[target_feature(enable = "avx2,fma")]
    unsafe fn block_impl<const ROWS: bool, const BOFF: bool>(k: &Block, beta: f32) {
        // SAFETY: the caller vouches for the block (see `Block`).
        unsafe {
            for jp in (0..k.nc).step_by(NR) {
                let nr = NR.min(k.nc - jp);
                let b = k.b.add(jp / NR * k.b_panel);
                for ip in (0..k.mc).step_by(MR) {
                    let mr = MR.min(k.mc - ip);
                    let a: [*const f32; MR] = core::array::from_fn(|r| k.a[ip + r]);
                    let c = &k.crow[ip..ip + mr];
                    if nr == NR {
                        tile::<false, ROWS, BOFF>(k, a, b, c, jp, nr, beta);
                    } else {
                        tile::<true, ROWS, BOFF>(k, a, b, c, jp, nr, beta);
                    }
                }
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

    /// One tile: 12 accumulators, two loads of `B` and six broadcasts of `A` per step.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn tile<const MASK: bool, const ROWS: bool, const BOFF: bool>(
        k: &Block,
        a: [*const f32; MR],
        b: *const f32,
        crow: &[usize],
        jp: usize,
        nr: usize,
        beta: f32,
    ) {
        // SAFETY: inside the block the caller vouched for.
        unsafe {
            let (m0, m1) = (mask(nr), mask(nr.saturating_sub(8)));
            let mut acc = [_mm256_setzero_ps(); 12];
            let step = if ROWS { 1 } else { MR };
            for p in 0..k.kc {
                let bp = if BOFF {
                    b.add(*k.boffs.add(p))
                } else {
                    b.add(p * k.ldb)
                };
                let (b0, b1) = if MASK {
                    (
                        _mm256_maskload_ps(bp, m0),
                        _mm256_maskload_ps(bp.add(8), m1),
                    )
                } else {
                    (_mm256_loadu_ps(bp), _mm256_loadu_ps(bp.add(8)))
                };
                for r in 0..MR {
                    let av = _mm256_broadcast_ss(&*a[r].add(p * step));
                    acc[2 * r] = _mm256_fmadd_ps(av, b0, acc[2 * r]);
                    acc[2 * r + 1] = _mm256_fmadd_ps(av, b1, acc[2 * r + 1]);
                }
            }
            let bv = _mm256_set1_ps(beta);
            for (r, &off) in crow.iter().enumerate() {
                let cr = k.c.add(off + jp);
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

    /// `out[p·NR + j] = rows[j][p]` for `j < 16`, `p < kc` (`kc` a multiple of 8).
    ///
    /// # Safety
    /// Each row holds `kc` readable floats, `out` `kc·NR` writable ones; the CPU supports AVX2.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn transpose_panel(rows: &[*const f32; NR], kc: usize, out: *mut f32) {
        // SAFETY: caller's contract.
        unsafe {
            for half in 0..2 {
                let s = &rows[half * 8..half * 8 + 8];
                for p in (0..kc).step_by(8) {
                    let r: [__m256; 8] = core::array::from_fn(|j| _mm256_loadu_ps(s[j].add(p)));
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

//! The AVX-512 block: tiles of `MR` rows by two `NR`-column panels of `B` side by side (`MR × 2·NR`,
//! 12 zmm accumulators, two loads of `B` and `MR` broadcasts of `A` per step, each broadcast
//! feeding two FMAs). Same [`Block`] contract and packed layouts as the AVX2 and portable
//! kernels; a last odd panel or a partial one runs through masked loads and stores.
use super::tile::Block;
use super::{MR, NR};
use core::arch::x86_64::*;

/// The AVX-512 block.
///
/// # Safety
/// As [`super::tile::Kernel`]; the CPU supports AVX-512F.
pub(super) unsafe fn block(k: &Block, beta: f32) {
    // SAFETY: forwarded contract; the feature was detected by the caller.
    unsafe {
        match (k.a_step == 1, k.boffs.is_null()) {
            (false, true) => block_impl::<false, false>(k, beta),
            (true, true) => block_impl::<true, false>(k, beta),
            (false, false) => block_impl::<false, true>(k, beta),
            (true, false) => block_impl::<true, true>(k, beta),
        }
    }
}

#[target_feature(enable = "avx512f")]
unsafe fn block_impl<const ROWS: bool, const BOFF: bool>(k: &Block, beta: f32) {
    // SAFETY: the caller vouches for the block (see `Block`); the second panel's pointer is
    // only dereferenced when the block has columns there.
    unsafe {
        // rows outer: the tile's `MR` rows of `A` (kc·MR floats) stay in L1 while the strips of
        // `B` stream from L2 (a 2·NR strip, kc·2·NR floats, would fill L1 by itself)
        for ip in (0..k.mc).step_by(MR) {
            let mr = MR.min(k.mc - ip);
            let a: [*const f32; MR] = core::array::from_fn(|r| k.a[ip + r]);
            let c = &k.crow[ip..ip + mr];
            for jp in (0..k.nc).step_by(2 * NR) {
                let nr = (2 * NR).min(k.nc - jp);
                let b0 = k.b.add(jp / NR * k.b_panel);
                let bs = (b0, b0.wrapping_add(k.b_panel));
                let m0: __mmask16 = if nr >= NR { 0xFFFF } else { (1u16 << nr) - 1 };
                let m1: __mmask16 = if nr >= 2 * NR {
                    0xFFFF
                } else if nr > NR {
                    (1u16 << (nr - NR)) - 1
                } else {
                    0
                };
                if nr == 2 * NR {
                    tile::<true, false, ROWS, BOFF>(k, a, bs, c, jp, (m0, m1), beta);
                } else if nr > NR {
                    tile::<true, true, ROWS, BOFF>(k, a, bs, c, jp, (m0, m1), beta);
                } else {
                    tile::<false, true, ROWS, BOFF>(k, a, bs, c, jp, (m0, m1), beta);
                }
            }
        }
    }
}

/// One tile: `MR` rows by one (`TWO = false`) or two `NR`-column panels; `MASK` loads and
/// stores through the masks `m` (lanes past the block's columns are neither read nor written).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn tile<const TWO: bool, const MASK: bool, const ROWS: bool, const BOFF: bool>(
    k: &Block,
    a: [*const f32; MR],
    b: (*const f32, *const f32),
    crow: &[usize],
    jp: usize,
    m: (__mmask16, __mmask16),
    beta: f32,
) {
    // SAFETY: inside the block the caller vouched for.
    unsafe {
        let mut acc = [_mm512_setzero_ps(); 2 * MR];
        let step = if ROWS { 1 } else { MR };
        for p in 0..k.kc {
            let off = if BOFF { *k.boffs.add(p) } else { p * k.ldb };
            let (p0, p1) = (b.0.add(off), b.1.wrapping_add(off));
            let v0 = if MASK {
                _mm512_maskz_loadu_ps(m.0, p0)
            } else {
                _mm512_loadu_ps(p0)
            };
            let v1 = if !TWO {
                _mm512_setzero_ps()
            } else if MASK {
                _mm512_maskz_loadu_ps(m.1, p1)
            } else {
                _mm512_loadu_ps(p1)
            };
            for r in 0..MR {
                let av = _mm512_set1_ps(*a[r].add(p * step));
                acc[2 * r] = _mm512_fmadd_ps(av, v0, acc[2 * r]);
                if TWO {
                    acc[2 * r + 1] = _mm512_fmadd_ps(av, v1, acc[2 * r + 1]);
                }
            }
        }
        let bv = _mm512_set1_ps(beta);
        for (r, &off) in crow.iter().enumerate() {
            let c0 = k.c.add(off + jp);
            let c1 = c0.wrapping_add(NR);
            let (mut v0, mut v1) = (acc[2 * r], acc[2 * r + 1]);
            if MASK {
                if beta != 0.0 {
                    v0 = _mm512_fmadd_ps(bv, _mm512_maskz_loadu_ps(m.0, c0), v0);
                    if TWO {
                        v1 = _mm512_fmadd_ps(bv, _mm512_maskz_loadu_ps(m.1, c1), v1);
                    }
                }
                _mm512_mask_storeu_ps(c0, m.0, v0);
                if TWO {
                    _mm512_mask_storeu_ps(c1, m.1, v1);
                }
            } else {
                if beta != 0.0 {
                    v0 = _mm512_fmadd_ps(bv, _mm512_loadu_ps(c0), v0);
                    v1 = _mm512_fmadd_ps(bv, _mm512_loadu_ps(c1), v1);
                }
                _mm512_storeu_ps(c0, v0);
                _mm512_storeu_ps(c1, v1);
            }
        }
    }
}

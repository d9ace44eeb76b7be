//! Packing operands into the layouts the tile kernel reads: `A` into `MR`-row panels
//! (`kc × MR`, column after column), `B` into `NR`-column panels (`kc × NR`, row after row).
#[cfg(target_arch = "x86_64")]
use super::KC;
use super::{min, Mat, Rows, MR, NR};
#[cfg(target_arch = "x86_64")]
use super::{tile::avx2, use_avx2};

/// Packs rows `i0..i0+mc`, columns `k0..k0+kc` of `A` into `MR`-row panels, each `kc × MR`
/// (column `p` of a panel is `MR` consecutive floats), zero-padding the last panel.
pub(super) fn pack_a_block(a: Mat, i0: usize, mc: usize, k0: usize, kc: usize, out: &mut [f32]) {
    for (t, panel) in out
        .chunks_exact_mut(kc * MR)
        .take(mc.div_ceil(MR))
        .enumerate()
    {
        let r0 = i0 + t * MR;
        let rows = min(MR, i0 + mc - r0);
        if rows < MR {
            panel.fill(0.0);
        }
        if a.cs == 1 && rows == MR {
            let src: [&[f32]; MR] = core::array::from_fn(|r| &a.data[(r0 + r) * a.rs + k0..][..kc]);
            for (p, d) in panel.chunks_exact_mut(MR).enumerate() {
                for (v, s) in d.iter_mut().zip(&src) {
                    *v = s[p];
                }
            }
        } else if a.rs == 1 && rows == MR {
            for (p, d) in panel.chunks_exact_mut(MR).enumerate() {
                d.copy_from_slice(&a.data[(k0 + p) * a.cs + r0..][..MR]);
            }
        } else {
            for (p, d) in panel.chunks_exact_mut(MR).enumerate() {
                for (r, v) in d[..rows].iter_mut().enumerate() {
                    *v = a.data[(r0 + r) * a.rs + (k0 + p) * a.cs];
                }
            }
        }
    }
}

/// Packs rows `k0..k0+kc`, columns `j0..j0+nc` of `B` into `NR`-column panels, each `kc × NR`
/// row-major, zero-padding the last panel.
pub(super) fn pack_b_block(b: Mat, k0: usize, kc: usize, j0: usize, nc: usize, out: &mut [f32]) {
    if b.cs == 1 {
        // row by row, so each source row is read once and in order
        let panels = nc.div_ceil(NR);
        if !nc.is_multiple_of(NR) {
            out[(panels - 1) * kc * NR..panels * kc * NR].fill(0.0);
        }
        for p in 0..kc {
            let src = &b.data[(k0 + p) * b.rs + j0..][..nc];
            for (q, s) in src.chunks(NR).enumerate() {
                out[(q * kc + p) * NR..][..s.len()].copy_from_slice(s);
            }
        }
        return;
    }
    for (q, panel) in out
        .chunks_exact_mut(kc * NR)
        .take(nc.div_ceil(NR))
        .enumerate()
    {
        let c0 = j0 + q * NR;
        let cols = min(NR, j0 + nc - c0);
        if cols < NR {
            panel.fill(0.0);
        }
        if b.rs == 1 {
            #[cfg(target_arch = "x86_64")]
            let p0 = if kc >= 8 && use_avx2() {
                // whole 8×8 blocks by register transposes; missing columns read zeros
                static ZEROS: [f32; KC] = [0.0; KC];
                let p0 = kc / 8 * 8;
                let rows: [*const f32; NR] = core::array::from_fn(|j| {
                    if j < cols {
                        b.data[(c0 + j) * b.cs + k0..][..p0].as_ptr()
                    } else {
                        ZEROS.as_ptr()
                    }
                });
                // SAFETY: each row holds p0 floats (sliced above; kc ≤ KC for the zeros), the
                // panel kc·NR ≥ p0·NR; the CPU has AVX2.
                unsafe { avx2::transpose_panel(&rows, p0, panel.as_mut_ptr()) };
                p0
            } else {
                0
            };
            #[cfg(not(target_arch = "x86_64"))]
            let p0 = 0;
            for jj in (0..cols).filter(|_| p0 < kc) {
                let src = &b.data[(c0 + jj) * b.cs + k0 + p0..][..kc - p0];
                let panel = &mut panel[p0 * NR..];
                for (d, &s) in panel[jj..].iter_mut().step_by(NR).zip(src) {
                    *d = s;
                }
            }
        } else {
            for (p, d) in panel.chunks_exact_mut(NR).enumerate() {
                for (jj, v) in d[..cols].iter_mut().enumerate() {
                    *v = b.data[(k0 + p) * b.rs + (c0 + jj) * b.cs];
                }
            }
        }
    }
}

/// Packs rows `k0..k0+kc`, columns `j0..j0+nc` of `B = Rᵀ` (column `j` of `B` is row `j` of
/// `r`) into `NR`-column panels, like [`pack_b_block`] for a transposed matrix.
pub(super) fn pack_bt_rows(r: &Rows, k0: usize, kc: usize, j0: usize, nc: usize, out: &mut [f32]) {
    let mut offs = [0usize; NR];
    for (q, panel) in out
        .chunks_exact_mut(kc * NR)
        .take(nc.div_ceil(NR))
        .enumerate()
    {
        let c0 = j0 + q * NR;
        let cols = min(NR, j0 + nc - c0);
        r.offs.fill(c0, &mut offs[..cols]);
        if cols < NR {
            panel.fill(0.0);
        }
        #[cfg(target_arch = "x86_64")]
        let p0 = if kc >= 8 && use_avx2() {
            static ZEROS: [f32; KC] = [0.0; KC];
            let p0 = kc / 8 * 8;
            let rows: [*const f32; NR] = core::array::from_fn(|j| {
                if j < cols {
                    r.data[offs[j] + k0..][..p0].as_ptr()
                } else {
                    ZEROS.as_ptr()
                }
            });
            // SAFETY: each row holds p0 floats (sliced above; kc ≤ KC for the zeros), the
            // panel kc·NR ≥ p0·NR; the CPU has AVX2.
            unsafe { avx2::transpose_panel(&rows, p0, panel.as_mut_ptr()) };
            p0
        } else {
            0
        };
        #[cfg(not(target_arch = "x86_64"))]
        let p0 = 0;
        for (jj, &o) in offs[..cols].iter().enumerate().filter(|_| p0 < kc) {
            let src = &r.data[o + k0 + p0..][..kc - p0];
            for (d, &s) in panel[p0 * NR + jj..].iter_mut().step_by(NR).zip(src) {
                *d = s;
            }
        }
    }
}

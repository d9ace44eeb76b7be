//! Matrix products `C = A·B + beta·C` on a 6×16 register tile.
//!
//! [`gemm`] takes each operand as a strided view ([`Mat`]) and a caller-provided workspace
//! (sized by [`ws_len`], so inference can keep it in its static scratch): `A` is packed into
//! 6-row panels, `B` is read in place when its rows are contiguous and packed into 16-column
//! panels otherwise, and `K` is blocked so a panel of `B` stays in L1. The tile kernel uses
//! AVX2+FMA when the CPU has them (detected at run time under `std`) and portable Rust otherwise.
//! [`nn`], [`nt`] and [`tn`] are row-major shorthands that bring their own workspace.

/// Rows of the register tile.
pub const MR: usize = 6;
/// Columns of the register tile.
pub const NR: usize = 16;
/// Depth of a `K` block.
const KC: usize = 256;
/// Rows of `A` packed at once.
const MC: usize = 96;
/// Columns of `B` packed at once (when `B` is packed).
const NC: usize = 256;

/// A read-only matrix view: element `(i, j)` is `data[i·rs + j·cs]`.
#[derive(Clone, Copy, Debug)]
pub struct Mat<'a> {
    pub data: &'a [f32],
    /// Row stride.
    pub rs: usize,
    /// Column stride.
    pub cs: usize,
}

impl<'a> Mat<'a> {
    /// A row-major matrix with leading dimension `ld`.
    pub fn rows(data: &'a [f32], ld: usize) -> Self {
        Mat { data, rs: ld, cs: 1 }
    }
    /// The transpose of a row-major matrix with leading dimension `ld`.
    pub fn t(data: &'a [f32], ld: usize) -> Self {
        Mat { data, rs: 1, cs: ld }
    }
}

const fn min(a: usize, b: usize) -> usize {
    if a < b {
        a
    } else {
        b
    }
}

/// Whether [`gemm`] packs `B` (rows not contiguous, or a row stride that would make the rows
/// of a panel collide in the L1 cache).
pub const fn packs_b(rs: usize, cs: usize) -> bool {
    cs != 1 || (rs >= 512 && rs.is_multiple_of(256))
}

/// Workspace floats [`gemm`] needs for `A: m×k` times `B: k×n` (`pack_b` from [`packs_b`]).
pub const fn ws_len(m: usize, n: usize, k: usize, pack_b: bool) -> usize {
    min(m.div_ceil(MR) * MR, MC) * min(k, KC) + ws_len_packed(n, k, pack_b)
}

/// Workspace floats [`gemm_packed`] needs.
pub const fn ws_len_packed(n: usize, k: usize, pack_b: bool) -> usize {
    if pack_b {
        min(n.div_ceil(NR) * NR, NC) * min(k, KC)
    } else {
        0
    }
}

/// Floats of `A: m×k` packed by [`pack_a`].
pub const fn packed_len(m: usize, k: usize) -> usize {
    m.div_ceil(MR) * MR * k
}

/// Packs all of `A: m×k` once, for several [`gemm_packed`] calls with the same left operand.
pub fn pack_a(m: usize, k: usize, a: Mat, out: &mut [f32]) {
    if m == 0 || k == 0 {
        return;
    }
    assert!(a.data.len() > (m - 1) * a.rs + (k - 1) * a.cs, "pack_a: A too small");
    let mp = m.div_ceil(MR) * MR;
    for k0 in (0..k).step_by(KC) {
        let kc = min(KC, k - k0);
        pack_a_block(a, 0, m, k0, kc, &mut out[k0 * mp..k0 * mp + mp * kc]);
    }
}

/// The left operand of the driver: a view packed block by block, or packed whole.
#[derive(Clone, Copy)]
enum Lhs<'a> {
    View(Mat<'a>),
    Packed(&'a [f32]),
}

/// `C = A·B + beta·C`, `A: m×k`, `B: k×n`, `C: m×n` row-major with leading dimension `ldc`.
/// `beta = 0` overwrites `C` without reading it. `ws` holds at least
/// `ws_len(m, n, k, packs_b(b.rs, b.cs))` floats.
#[allow(clippy::too_many_arguments)]
pub fn gemm(m: usize, n: usize, k: usize, a: Mat, b: Mat, beta: f32, c: &mut [f32], ldc: usize, ws: &mut [f32]) {
    if m > 0 && k > 0 {
        assert!(a.data.len() > (m - 1) * a.rs + (k - 1) * a.cs, "gemm: A too small");
    }
    drive(m, n, k, Lhs::View(a), b, beta, c, ldc, ws);
}

/// [`gemm`] with `A` packed by [`pack_a`]; `ws` holds `ws_len_packed(n, k, packs_b(..))`.
#[allow(clippy::too_many_arguments)]
pub fn gemm_packed(m: usize, n: usize, k: usize, a: &[f32], b: Mat, beta: f32, c: &mut [f32], ldc: usize, ws: &mut [f32]) {
    assert!(a.len() >= packed_len(m, k), "gemm: packed A too small");
    drive(m, n, k, Lhs::Packed(a), b, beta, c, ldc, ws);
}

#[allow(clippy::too_many_arguments)]
fn drive(m: usize, n: usize, k: usize, a: Lhs, b: Mat, beta: f32, c: &mut [f32], ldc: usize, ws: &mut [f32]) {
    if m == 0 || n == 0 {
        return;
    }
    assert!(ldc >= n && c.len() >= (m - 1) * ldc + n, "gemm: C too small");
    if k == 0 {
        for row in c.chunks_mut(ldc).take(m) {
            row[..n].iter_mut().for_each(|v| *v = if beta == 0.0 { 0.0 } else { *v * beta });
        }
        return;
    }
    assert!(b.data.len() > (k - 1) * b.rs + (n - 1) * b.cs, "gemm: B too small");
    let pack_b = packs_b(b.rs, b.cs);
    let wa_len = if let Lhs::View(_) = a { min(m.div_ceil(MR) * MR, MC) * min(k, KC) } else { 0 };
    assert!(ws.len() >= wa_len + ws_len_packed(n, k, pack_b), "gemm: workspace too small");
    let (wa, wb) = ws.split_at_mut(wa_len);
    let mp = m.div_ceil(MR) * MR;
    let kern = kernel();
    let mut k0 = 0;
    while k0 < k {
        let kc = min(KC, k - k0);
        let beta_k = if k0 == 0 { beta } else { 1.0 };
        let nc_step = if pack_b { NC } else { n };
        let mut j0 = 0;
        while j0 < n {
            let nc = min(nc_step, n - j0);
            if pack_b {
                pack_b_block(b, k0, kc, j0, nc, wb);
            }
            let mut i0 = 0;
            while i0 < m {
                let mc = min(MC, m - i0);
                let ablock: &[f32] = match a {
                    Lhs::View(v) => {
                        pack_a_block(v, i0, mc, k0, kc, wa);
                        wa
                    }
                    Lhs::Packed(p) => &p[k0 * mp + i0 * kc..k0 * mp + mp * kc],
                };
                let mut jp = 0;
                while jp < nc {
                    let nr = min(NR, nc - jp);
                    // SAFETY: B is in bounds: packed panels hold kc·NR floats; in place, rows
                    // k0..k0+kc and columns j0+jp..+nr were checked against b.data above and the
                    // kernel reads only the first nr columns of each row.
                    let (bp, ldb) = unsafe {
                        if pack_b {
                            (wb.as_ptr().add(jp / NR * kc * NR), NR)
                        } else {
                            (b.data.as_ptr().add(k0 * b.rs + j0 + jp), b.rs)
                        }
                    };
                    let mut ip = 0;
                    while ip < mc {
                        let mr = min(MR, mc - ip);
                        assert!(ablock.len() >= (ip / MR + 1) * kc * MR);
                        // SAFETY: the packed A panel holds kc·MR floats (checked); the C tile's
                        // rows i0+ip..+mr and columns j0+jp..+nr lie inside c (checked above).
                        unsafe {
                            let ap = ablock.as_ptr().add(ip / MR * kc * MR);
                            let cp = c.as_mut_ptr().add((i0 + ip) * ldc + j0 + jp);
                            kern(kc, ap, bp, ldb, cp, ldc, mr, nr, beta_k);
                        }
                        ip += MR;
                    }
                    jp += NR;
                }
                i0 += MC;
            }
            j0 += nc_step;
        }
        k0 += KC;
    }
}

/// Packs rows `i0..i0+mc`, columns `k0..k0+kc` of `A` into `MR`-row panels, each `kc × MR`
/// (column `p` of a panel is `MR` consecutive floats), zero-padding the last panel.
fn pack_a_block(a: Mat, i0: usize, mc: usize, k0: usize, kc: usize, out: &mut [f32]) {
    for (t, panel) in out.chunks_exact_mut(kc * MR).take(mc.div_ceil(MR)).enumerate() {
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
fn pack_b_block(b: Mat, k0: usize, kc: usize, j0: usize, nc: usize, out: &mut [f32]) {
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
    for (q, panel) in out.chunks_exact_mut(kc * NR).take(nc.div_ceil(NR)).enumerate() {
        let c0 = j0 + q * NR;
        let cols = min(NR, j0 + nc - c0);
        if cols < NR {
            panel.fill(0.0);
        }
        if b.rs == 1 {
            for jj in 0..cols {
                let src = &b.data[(c0 + jj) * b.cs + k0..][..kc];
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

/// `C[mr×nr] = A·B + beta·C` for one tile: `a` is a packed `kc × MR` panel, `b` has `kc` rows
/// `ldb` apart of which the first `nr` columns are read, `c` has rows `ldc` apart.
type Kernel = unsafe fn(usize, *const f32, *const f32, usize, *mut f32, usize, usize, usize, f32);

fn kernel() -> Kernel {
    #[cfg(all(test, feature = "std"))]
    if tests::FORCE_PORTABLE.with(|f| f.get()) {
        return tile_portable;
    }
    #[cfg(target_arch = "x86_64")]
    {
        #[cfg(feature = "std")]
        let fast = std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma");
        #[cfg(not(feature = "std"))]
        let fast = cfg!(all(target_feature = "avx2", target_feature = "fma"));
        if fast {
            return avx2::tile;
        }
    }
    tile_portable
}

/// The portable tile: plain arrays the compiler vectorises for the target.
///
/// # Safety
/// `a` holds `kc·MR` floats; `b` rows `0..kc` (stride `ldb`) hold `nr` readable floats each;
/// `c` rows `0..mr` (stride `ldc`) hold `nr` writable floats each.
#[allow(clippy::too_many_arguments)]
unsafe fn tile_portable(kc: usize, a: *const f32, b: *const f32, ldb: usize, c: *mut f32, ldc: usize, mr: usize, nr: usize, beta: f32) {
    let mut acc = [[0.0f32; NR]; MR];
    let mut brow = [0.0f32; NR];
    for p in 0..kc {
        // SAFETY: caller's contract.
        let (ap, bp) = unsafe { (core::slice::from_raw_parts(a.add(p * MR), MR), core::slice::from_raw_parts(b.add(p * ldb), nr)) };
        brow[..nr].copy_from_slice(bp);
        for (row, &av) in acc.iter_mut().zip(ap) {
            for (x, &bv) in row.iter_mut().zip(&brow) {
                *x += av * bv;
            }
        }
    }
    for (r, row) in acc.iter().enumerate().take(mr) {
        // SAFETY: caller's contract.
        let cr = unsafe { core::slice::from_raw_parts_mut(c.add(r * ldc), nr) };
        for (o, &v) in cr.iter_mut().zip(row) {
            *o = if beta == 0.0 { v } else { v + beta * *o };
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{MR, NR};
    use core::arch::x86_64::*;

    /// The AVX2+FMA tile: 12 accumulators, two loads of `B` and six broadcasts of `A` per step.
    ///
    /// # Safety
    /// As [`super::tile_portable`]; the CPU supports AVX2 and FMA.
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn tile(kc: usize, a: *const f32, b: *const f32, ldb: usize, c: *mut f32, ldc: usize, mr: usize, nr: usize, beta: f32) {
        // SAFETY: forwarded contract; the features were detected by the caller.
        unsafe {
            if nr == NR {
                tile_impl::<false>(kc, a, b, ldb, c, ldc, mr, nr, beta)
            } else {
                tile_impl::<true>(kc, a, b, ldb, c, ldc, mr, nr, beta)
            }
        }
    }

    #[inline(always)]
    unsafe fn mask(n: usize) -> __m256i {
        // lanes i < n are all ones
        unsafe { _mm256_cmpgt_epi32(_mm256_set1_epi32(n as i32), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)) }
    }

    #[target_feature(enable = "avx2,fma")]
    #[allow(clippy::too_many_arguments)]
    unsafe fn tile_impl<const MASK: bool>(kc: usize, a: *const f32, b: *const f32, ldb: usize, c: *mut f32, ldc: usize, mr: usize, nr: usize, beta: f32) {
        // SAFETY: pointers stay inside the caller's ranges: kc steps of MR floats of `a` and of
        // one `ldb` row of `b`, reading only `nr` columns when masked.
        unsafe {
            let (m0, m1) = (mask(nr), mask(nr.saturating_sub(8)));
            let mut acc = [_mm256_setzero_ps(); 12];
            let (mut a, mut b) = (a, b);
            for _ in 0..kc {
                let (b0, b1) = if MASK {
                    (_mm256_maskload_ps(b, m0), _mm256_maskload_ps(b.add(8), m1))
                } else {
                    (_mm256_loadu_ps(b), _mm256_loadu_ps(b.add(8)))
                };
                for r in 0..MR {
                    let av = _mm256_broadcast_ss(&*a.add(r));
                    acc[2 * r] = _mm256_fmadd_ps(av, b0, acc[2 * r]);
                    acc[2 * r + 1] = _mm256_fmadd_ps(av, b1, acc[2 * r + 1]);
                }
                a = a.add(MR);
                b = b.add(ldb);
            }
            let bv = _mm256_set1_ps(beta);
            for r in 0..MR {
                if r >= mr {
                    break;
                }
                let cr = c.add(r * ldc);
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
}

/// Runs `f` with a scratch buffer of at least `len` floats (per thread under `std`).
#[cfg(feature = "alloc")]
fn with_ws<R>(len: usize, f: impl FnOnce(&mut [f32]) -> R) -> R {
    #[cfg(feature = "std")]
    {
        std::thread_local!(static WS: core::cell::RefCell<alloc::vec::Vec<f32>> = const { core::cell::RefCell::new(alloc::vec::Vec::new()) });
        let mut f = Some(f);
        let r = WS.with(|ws| {
            let mut ws = ws.try_borrow_mut().ok()?;
            if ws.len() < len {
                ws.resize(len, 0.0);
            }
            Some((f.take()?)(&mut ws[..len]))
        });
        if let Some(r) = r {
            return r;
        }
        let f = f.take().expect("workspace closure already ran");
        f(&mut alloc::vec![0.0; len])
    }
    #[cfg(not(feature = "std"))]
    f(&mut alloc::vec![0.0; len])
}

/// Without an allocator the shorthands below cannot hold a workspace: a plain loop.
#[cfg(not(feature = "alloc"))]
fn plain(m: usize, n: usize, k: usize, a: Mat, b: Mat, beta: f32, c: &mut [f32]) {
    for i in 0..m {
        let row = &mut c[i * n..(i + 1) * n];
        row.iter_mut().for_each(|v| *v = if beta == 0.0 { 0.0 } else { *v * beta });
        for p in 0..k {
            let av = a.data[i * a.rs + p * a.cs];
            for (j, v) in row.iter_mut().enumerate() {
                *v += av * b.data[p * b.rs + j * b.cs];
            }
        }
    }
}

fn run(m: usize, n: usize, k: usize, a: Mat, b: Mat, beta: f32, c: &mut [f32]) {
    #[cfg(feature = "alloc")]
    with_ws(ws_len(m, n, k, packs_b(b.rs, b.cs)), |ws| gemm(m, n, k, a, b, beta, c, n, ws));
    #[cfg(not(feature = "alloc"))]
    plain(m, n, k, a, b, beta, c);
}

/// `C = A·B + beta·C` with `A: m×k`, `B: k×n`, `C: m×n`, all row-major.
#[inline]
pub fn nn(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], beta: f32, c: &mut [f32]) {
    run(m, n, k, Mat::rows(a, k), Mat::rows(b, n), beta, c);
}

/// `C = A·Bᵀ + beta·C` with `A: m×k`, `B: n×k`, `C: m×n`.
#[inline]
pub fn nt(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], beta: f32, c: &mut [f32]) {
    run(m, n, k, Mat::rows(a, k), Mat::t(b, k), beta, c);
}

/// `C = Aᵀ·B + beta·C` with `A: k×m`, `B: k×n`, `C: m×n`.
#[inline]
pub fn tn(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], beta: f32, c: &mut [f32]) {
    run(m, n, k, Mat::t(a, m), Mat::rows(b, n), beta, c);
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(feature = "std")]
    use std::vec::Vec;

    #[allow(clippy::too_many_arguments)]
    fn reference(m: usize, n: usize, k: usize, a: Mat, b: Mat, beta: f32, c: &mut [f32], ldc: usize) {
        for i in 0..m {
            for j in 0..n {
                let s: f64 = (0..k).map(|p| a.data[i * a.rs + p * a.cs] as f64 * b.data[p * b.rs + j * b.cs] as f64).sum();
                let o = &mut c[i * ldc + j];
                *o = s as f32 + if beta == 0.0 { 0.0 } else { beta * *o };
            }
        }
    }

    #[test]
    fn products_agree_with_the_definition() {
        let (m, k, n) = (3, 4, 5);
        let a: [f32; 12] = core::array::from_fn(|i| i as f32 * 0.5 - 2.0);
        let b: [f32; 20] = core::array::from_fn(|i| (i as f32 * 0.3).sin());
        let mut want = [0.0f32; 15];
        for i in 0..m {
            for j in 0..n {
                want[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
            }
        }
        let mut c = [1.0f32; 15];
        super::nn(m, k, n, &a, &b, 0.0, &mut c);
        assert!(c.iter().zip(&want).all(|(x, y)| (x - y).abs() < 1e-5));
        // Bᵀ stored n×k
        let mut bt = [0.0f32; 20];
        for p in 0..k {
            for j in 0..n {
                bt[j * k + p] = b[p * n + j];
            }
        }
        let mut c2 = [0.0f32; 15];
        super::nt(m, k, n, &a, &bt, 0.0, &mut c2);
        assert!(c2.iter().zip(&want).all(|(x, y)| (x - y).abs() < 1e-5));
        let mut at = [0.0f32; 12];
        for i in 0..m {
            for p in 0..k {
                at[p * m + i] = a[i * k + p];
            }
        }
        let mut c3 = [1.0f32; 15];
        super::tn(m, k, n, &at, &b, 1.0, &mut c3);
        assert!(c3.iter().zip(&want).all(|(x, y)| (x - 1.0 - y).abs() < 1e-5));
    }

    /// Every edge (partial tiles, several K/M/N blocks, packed and in-place B, strided views,
    /// beta 0/1/other, NaN in C with beta 0) against a float64 reference, on both kernels.
    #[cfg(feature = "std")]
    #[test]
    fn blocked_products_on_every_edge() {
        let mut rng = crate::rng::Rng::new(7);
        let sizes = [(1, 1, 1), (6, 16, 3), (7, 17, 5), (13, 40, 300), (100, 33, 9), (5, 300, 260), (97, 257, 513)];
        for &(m, n, k) in &sizes {
            for layout in 0..4 {
                let (ta, tb) = (layout & 1 == 1, layout & 2 == 2);
                let av: Vec<f32> = (0..m * k).map(|_| rng.normal()).collect();
                let bv: Vec<f32> = (0..k * n).map(|_| rng.normal()).collect();
                let a = if ta { Mat::t(&av, m) } else { Mat::rows(&av, k) };
                let b = if tb { Mat::t(&bv, k) } else { Mat::rows(&bv, n) };
                for beta in [0.0f32, 1.0, -0.5] {
                    let ldc = n + 3;
                    let c0: Vec<f32> = (0..m * ldc).map(|i| if beta == 0.0 { f32::NAN } else { (i % 7) as f32 }).collect();
                    let mut want = c0.clone();
                    reference(m, n, k, a, b, beta, &mut want, ldc);
                    let mut ws = vec![0.0; ws_len(m, n, k, packs_b(b.rs, b.cs))];
                    let mut got = c0.clone();
                    gemm(m, n, k, a, b, beta, &mut got, ldc, &mut ws);
                    let mut port = c0.clone();
                    // the portable kernel on the same blocks
                    port_gemm(m, n, k, a, b, beta, &mut port, ldc, &mut ws);
                    let mut packed = vec![0.0; packed_len(m, k)];
                    pack_a(m, k, a, &mut packed);
                    let mut pre = c0.clone();
                    gemm_packed(m, n, k, &packed, b, beta, &mut pre, ldc, &mut ws[..ws_len_packed(n, k, packs_b(b.rs, b.cs))]);
                    for (what, out) in [("kernel", &got), ("portable", &port), ("packed", &pre)] {
                        for i in 0..m {
                            for j in 0..ldc {
                                let (g, w) = (out[i * ldc + j], want[i * ldc + j]);
                                if j >= n {
                                    assert!(g.to_bits() == c0[i * ldc + j].to_bits(), "{what} wrote outside C");
                                } else {
                                    let tol = 1e-4 * (k as f32).sqrt() * (1.0 + w.abs());
                                    assert!((g - w).abs() <= tol, "{what} m{m} n{n} k{k} ta{ta} tb{tb} beta{beta} [{i},{j}]: {g} vs {w}");
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `gemm` with the portable kernel forced (test only).
    #[cfg(feature = "std")]
    #[allow(clippy::too_many_arguments)]
    fn port_gemm(m: usize, n: usize, k: usize, a: Mat, b: Mat, beta: f32, c: &mut [f32], ldc: usize, ws: &mut [f32]) {
        FORCE_PORTABLE.with(|f| f.set(true));
        gemm(m, n, k, a, b, beta, c, ldc, ws);
        FORCE_PORTABLE.with(|f| f.set(false));
    }
    #[cfg(feature = "std")]
    std::thread_local!(pub(super) static FORCE_PORTABLE: core::cell::Cell<bool> = const { core::cell::Cell::new(false) });
}

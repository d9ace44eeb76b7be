//! Matrix products `C = A·B + beta·C` on a 6×16 register tile.
//!
//! [`gemm`] takes `A` as a [`Lhs`] (a strided [`Mat`] packed block by block into the workspace,
//! a whole matrix packed once by [`pack_a`], or [`Rows`] read in place) and `B` as a [`Rhs`] (a
//! [`Mat`], read in place when its rows are contiguous and packed otherwise, or [`Rows`]). Rows
//! at arbitrary offsets let a stride-1 convolution read its shifted input windows straight from
//! the padded image, without an im2col copy. The workspace comes from the caller (sized by
//! [`ws_a`] and [`ws_b`], so inference can keep it in its static scratch). `K` is blocked so a
//! panel of `B` stays in L1 while the rows of `A` pass over it. The tile kernel uses AVX-512F
//! (6×32 tiles) or else AVX2+FMA when the CPU has them (detected at run time under `std`), a
//! Cortex-M `vmla` tile on bare-metal Arm with a hard-float FPU, and portable Rust otherwise.
//! [`nn`], [`nt`] and [`tn`] are row-major shorthands that bring their own workspace.
#[cfg(all(target_arch = "arm", target_abi = "eabihf", target_os = "none"))]
mod arm;
#[cfg(target_arch = "x86_64")]
mod avx512;
mod pack;
#[cfg(test)]
mod tests;
mod tile;

use pack::{pack_a_block, pack_b_block, pack_bt_rows};
use tile::Block;

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
        Mat {
            data,
            rs: ld,
            cs: 1,
        }
    }
    /// The transpose of a row-major matrix with leading dimension `ld`.
    pub fn t(data: &'a [f32], ld: usize) -> Self {
        Mat {
            data,
            rs: 1,
            cs: ld,
        }
    }
}

/// A matrix with contiguous rows starting anywhere in `data`: row `i` is `data[offs.at(i)..]`.
/// Overlapping rows are fine (the shifted windows of a convolution overlap).
#[derive(Clone, Copy, Debug)]
pub struct Rows<'a> {
    pub data: &'a [f32],
    pub offs: Offsets<'a>,
}

/// Where the rows of [`Rows`] start.
#[derive(Clone, Copy, Debug)]
pub enum Offsets<'a> {
    /// Listed.
    Table(&'a [usize]),
    /// The windows of a `kh×kw` kernel over `[C, H, W]` planes: row `(c·kh + ki)·kw + kj`
    /// starts at `c·plane + ki·row + kj·col` (`plane = H·W`, `row = Dh·W`, `col = Dw` for
    /// dilations `Dh`, `Dw`).
    Window {
        kh: usize,
        kw: usize,
        plane: usize,
        row: usize,
        col: usize,
    },
}

impl Offsets<'_> {
    /// Start of row `i`.
    #[inline]
    pub fn at(&self, i: usize) -> usize {
        match *self {
            Offsets::Table(t) => t[i],
            Offsets::Window {
                kh,
                kw,
                plane,
                row,
                col,
            } => i / (kh * kw) * plane + i / kw % kh * row + i % kw * col,
        }
    }
    /// Writes the starts of rows `first..first + out.len()` into `out` (no division per row).
    pub fn fill(&self, first: usize, out: &mut [usize]) {
        match *self {
            Offsets::Table(t) => out.copy_from_slice(&t[first..first + out.len()]),
            Offsets::Window {
                kh,
                kw,
                plane,
                row,
                col,
            } => {
                let (mut c, mut ki, mut kj) = (first / (kh * kw), first / kw % kh, first % kw);
                for o in out {
                    *o = c * plane + ki * row + kj * col;
                    kj += 1;
                    if kj == kw {
                        kj = 0;
                        ki += 1;
                        if ki == kh {
                            ki = 0;
                            c += 1;
                        }
                    }
                }
            }
        }
    }
    /// The largest start among rows `0..rows`.
    fn max(&self, rows: usize) -> usize {
        let mut buf = [0usize; 64];
        let mut m = 0;
        for i0 in (0..rows).step_by(64) {
            let b = &mut buf[..min(64, rows - i0)];
            self.fill(i0, b);
            m = b.iter().fold(m, |a, &v| a.max(v));
        }
        m
    }
}

/// The left operand.
#[derive(Clone, Copy, Debug)]
pub enum Lhs<'a> {
    /// Packed block by block into the workspace ([`ws_a`] floats).
    Mat(Mat<'a>),
    /// Packed whole by [`pack_a`] (for several products with the same `A`).
    Packed(&'a [f32]),
    /// Row-major rows (`cs = 1`) read in place: pays when `A` is used once.
    InPlace(Mat<'a>),
    /// Rows at offsets, read in place.
    Rows(Rows<'a>),
}

/// The right operand.
#[derive(Clone, Copy, Debug)]
pub enum Rhs<'a> {
    /// Read in place when [`packs_b`] says so, otherwise packed into the workspace ([`ws_b`]).
    Mat(Mat<'a>),
    /// Rows at offsets, read in place.
    Rows(Rows<'a>),
    /// The transpose of rows at offsets (column `j` of `B` is row `j`, contiguous along `k`),
    /// packed into the workspace ([`ws_b`]).
    RowsT(Rows<'a>),
}

pub(crate) const fn min(a: usize, b: usize) -> usize {
    if a < b {
        a
    } else {
        b
    }
}

/// Whether a `B` with these strides is packed (rows not contiguous, or a row stride that would
/// make the rows of a panel collide in the L1 cache).
pub const fn packs_b(rs: usize, cs: usize) -> bool {
    cs != 1 || (rs >= 512 && rs.is_multiple_of(256))
}

/// Workspace floats for packing `A: m×k` given as [`Lhs::Mat`].
pub const fn ws_a(m: usize, k: usize) -> usize {
    min(m.div_ceil(MR) * MR, MC) * min(k, KC)
}

/// Workspace floats for packing `B: k×n` given as a [`Rhs::Mat`] that [`packs_b`].
pub const fn ws_b(n: usize, k: usize) -> usize {
    min(n.div_ceil(NR) * NR, NC) * min(k, KC)
}

/// Workspace floats for `Lhs::Mat` times `Rhs::Mat` (`pack_b` from [`packs_b`]).
pub const fn ws_len(m: usize, n: usize, k: usize, pack_b: bool) -> usize {
    ws_a(m, k) + if pack_b { ws_b(n, k) } else { 0 }
}

/// Floats of `A: m×k` packed by [`pack_a`].
pub const fn packed_len(m: usize, k: usize) -> usize {
    m.div_ceil(MR) * MR * k
}

/// Packs all of `A: m×k` once, for several products with the same left operand.
pub fn pack_a(m: usize, k: usize, a: Mat, out: &mut [f32]) {
    if m == 0 || k == 0 {
        return;
    }
    assert!(
        a.data.len() > (m - 1) * a.rs + (k - 1) * a.cs,
        "pack_a: A too small"
    );
    let mp = m.div_ceil(MR) * MR;
    for k0 in (0..k).step_by(KC) {
        let kc = min(KC, k - k0);
        pack_a_block(a, 0, m, k0, kc, &mut out[k0 * mp..k0 * mp + mp * kc]);
    }
}

/// A kernel path, for tests that run each one the CPU allows.
#[cfg(all(test, feature = "std"))]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Path {
    Portable,
    Avx2,
    Avx512,
}

/// Tests: caps the paths used on this thread at `p` (the portable path, AVX2 without AVX-512,
/// or all), or lifts the cap (`None`).
#[cfg(all(test, feature = "std"))]
pub(crate) fn force_path(p: Option<Path>) {
    tests::FORCE_PATH.with(|f| f.set(p));
}

/// Tests: makes [`use_avx2`] and [`use_avx512`] answer `false` on this thread (`on`), or stop
/// doing so.
#[cfg(all(test, feature = "std"))]
pub(crate) fn force_portable(on: bool) {
    force_path(on.then_some(Path::Portable));
}

/// Tests: every path this CPU can run, the portable one always.
#[cfg(all(test, feature = "std"))]
pub(crate) fn paths() -> std::vec::Vec<Path> {
    force_path(None);
    let mut v = std::vec![Path::Portable];
    if use_avx2() {
        v.push(Path::Avx2);
    }
    if use_avx512() {
        v.push(Path::Avx512);
    }
    v
}

/// Whether the AVX2+FMA code paths may run (detected at run time under `std`).
#[inline]
pub fn use_avx2() -> bool {
    #[cfg(all(test, feature = "std"))]
    if tests::FORCE_PATH.with(|f| f.get()) == Some(Path::Portable) {
        return false;
    }
    #[cfg(all(target_arch = "x86_64", feature = "std"))]
    return std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma");
    #[cfg(all(target_arch = "x86_64", not(feature = "std")))]
    return cfg!(all(target_feature = "avx2", target_feature = "fma"));
    #[allow(unreachable_code)]
    false
}

/// Off after [`allow_avx512`]`(false)`.
static AVX512_ALLOWED: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(true);

/// Lets the AVX-512 tile run where the CPU has it (the default), or not: benchmarks use it to
/// time the AVX2 path on the same machine. Affects all threads.
pub fn allow_avx512(on: bool) {
    AVX512_ALLOWED.store(on, core::sync::atomic::Ordering::Relaxed);
}

/// Whether the AVX-512F tile may run (detected at run time under `std`; it also needs
/// [`use_avx2`], whose packing routines it shares, and [`allow_avx512`]).
#[inline]
pub fn use_avx512() -> bool {
    if !AVX512_ALLOWED.load(core::sync::atomic::Ordering::Relaxed) {
        return false;
    }
    #[cfg(all(test, feature = "std"))]
    if matches!(
        tests::FORCE_PATH.with(|f| f.get()),
        Some(Path::Portable | Path::Avx2)
    ) {
        return false;
    }
    #[cfg(all(target_arch = "x86_64", feature = "std"))]
    return use_avx2() && std::is_x86_feature_detected!("avx512f");
    #[cfg(all(target_arch = "x86_64", not(feature = "std")))]
    return use_avx2() && cfg!(target_feature = "avx512f");
    #[allow(unreachable_code)]
    false
}

/// Checks that every row `i < rows` of `r` holds `len` floats.
fn check_rows(r: &Rows, rows: usize, len: usize, what: &str) {
    if let Offsets::Table(t) = r.offs {
        assert!(t.len() >= rows, "gemm: {what} has too few row offsets");
    }
    assert!(
        rows == 0 || r.offs.max(rows) + len <= r.data.len(),
        "gemm: a row of {what} is too short"
    );
}

/// `C = A·B + beta·C`, `A: m×k`, `B: k×n`, `C: m×n` row-major with leading dimension `ldc`.
/// `beta = 0` overwrites `C` without reading it. `ws` holds the packing space the operands
/// need ([`ws_a`] for [`Lhs::Mat`], then [`ws_b`] for a [`Rhs::Mat`] that [`packs_b`]).
#[allow(clippy::too_many_arguments)]
pub fn gemm(
    m: usize,
    n: usize,
    k: usize,
    a: Lhs,
    b: Rhs,
    beta: f32,
    c: &mut [f32],
    ldc: usize,
    ws: &mut [f32],
) {
    if m == 0 || n == 0 {
        return;
    }
    assert!(
        ldc >= n && c.len() >= (m - 1) * ldc + n,
        "gemm: C too small"
    );
    drive(m, n, k, a, b, beta, c, ldc, ws);
}

/// The blocked product; `C` was checked by the caller.
#[allow(clippy::too_many_arguments)]
fn drive(
    m: usize,
    n: usize,
    k: usize,
    a: Lhs,
    b: Rhs,
    beta: f32,
    c: &mut [f32],
    ldc: usize,
    ws: &mut [f32],
) {
    if k == 0 {
        for i in 0..m {
            c[i * ldc..i * ldc + n]
                .iter_mut()
                .for_each(|v| *v = if beta == 0.0 { 0.0 } else { *v * beta });
        }
        return;
    }
    let wa_len = match a {
        Lhs::Mat(v) => {
            assert!(
                v.data.len() > (m - 1) * v.rs + (k - 1) * v.cs,
                "gemm: A too small"
            );
            ws_a(m, k)
        }
        Lhs::Packed(p) => {
            assert!(p.len() >= packed_len(m, k), "gemm: packed A too small");
            0
        }
        Lhs::InPlace(v) => {
            assert!(
                v.cs == 1 && v.data.len() >= (m - 1) * v.rs + k,
                "gemm: A too small"
            );
            0
        }
        Lhs::Rows(r) => {
            check_rows(&r, m, k, "A");
            0
        }
    };
    let pack_b = match b {
        Rhs::Mat(v) => {
            assert!(
                v.data.len() > (k - 1) * v.rs + (n - 1) * v.cs,
                "gemm: B too small"
            );
            packs_b(v.rs, v.cs)
        }
        Rhs::Rows(r) => {
            check_rows(&r, k, n, "B");
            false
        }
        Rhs::RowsT(r) => {
            check_rows(&r, n, k, "B");
            true
        }
    };
    assert!(
        ws.len() >= wa_len + if pack_b { ws_b(n, k) } else { 0 },
        "gemm: workspace too small"
    );
    let (wa, wb) = ws.split_at_mut(wa_len);
    let mp = m.div_ceil(MR) * MR;
    let kern = tile::kernel();
    let nc_step = if pack_b { NC } else { n };
    let mut btab = [0usize; KC];
    let mut offs = [0usize; MC];
    let mut crow = [0usize; MC];
    for k0 in (0..k).step_by(KC) {
        let kc = min(KC, k - k0);
        let beta_k = if k0 == 0 { beta } else { 1.0 };
        if let Rhs::Rows(r) = b {
            r.offs.fill(k0, &mut btab[..kc]);
        }
        for j0 in (0..n).step_by(nc_step) {
            let nc = min(nc_step, n - j0);
            match b {
                Rhs::Mat(v) if pack_b => pack_b_block(v, k0, kc, j0, nc, wb),
                Rhs::RowsT(r) => pack_bt_rows(&r, k0, kc, j0, nc, wb),
                _ => {}
            }
            for i0 in (0..m).step_by(MC) {
                let mc = min(MC, m - i0);
                let mr_all = mc.div_ceil(MR) * MR;
                let ablock: &[f32] = match a {
                    Lhs::Mat(v) => {
                        pack_a_block(v, i0, mc, k0, kc, wa);
                        wa
                    }
                    Lhs::Packed(p) => &p[k0 * mp + i0 * kc..k0 * mp + mp * kc],
                    Lhs::InPlace(_) | Lhs::Rows(_) => &[],
                };
                // SAFETY (all `add`s below): in bounds by the checks above — packed panels
                // hold kc·MR (A) or kc·NR (B) floats; in place, rows i0..i0+mc of A hold
                // columns k0..k0+kc, rows k0..k0+kc of B columns j0..j0+nc; rows past mc
                // repeat row mc − 1.
                let mut arows = [core::ptr::null::<f32>(); MC];
                let a_step = match a {
                    Lhs::Mat(_) | Lhs::Packed(_) => {
                        for (i, r) in arows[..mr_all].iter_mut().enumerate() {
                            *r = unsafe { ablock.as_ptr().add(i / MR * kc * MR + i % MR) };
                        }
                        MR
                    }
                    Lhs::InPlace(v) => {
                        for (i, r) in arows[..mr_all].iter_mut().enumerate() {
                            *r = unsafe { v.data.as_ptr().add((i0 + min(i, mc - 1)) * v.rs + k0) };
                        }
                        1
                    }
                    Lhs::Rows(v) => {
                        v.offs.fill(i0, &mut offs[..mc]);
                        for (i, r) in arows[..mr_all].iter_mut().enumerate() {
                            *r = unsafe { v.data.as_ptr().add(offs[min(i, mc - 1)] + k0) };
                        }
                        1
                    }
                };
                let (bp, b_panel, ldb, boffs) = unsafe {
                    match b {
                        Rhs::Mat(_) | Rhs::RowsT(_) if pack_b => {
                            (wb.as_ptr(), kc * NR, NR, core::ptr::null())
                        }
                        Rhs::Mat(v) => (
                            v.data.as_ptr().add(k0 * v.rs + j0),
                            NR,
                            v.rs,
                            core::ptr::null(),
                        ),
                        Rhs::Rows(r) => (r.data.as_ptr().add(j0), NR, 0, btab.as_ptr()),
                        Rhs::RowsT(_) => unreachable!("RowsT is always packed"),
                    }
                };
                for (i, o) in crow[..mc].iter_mut().enumerate() {
                    *o = (i0 + i) * ldc + j0;
                }
                let blk = Block {
                    kc,
                    mc,
                    nc,
                    a: &arows[..mr_all],
                    a_step,
                    b: bp,
                    b_panel,
                    ldb,
                    boffs,
                    c: c.as_mut_ptr(),
                    crow: &crow[..mc],
                };
                // SAFETY: every element the block describes is in bounds (see above; the
                // rows of C, columns j0..j0+nc, were checked by the caller).
                unsafe { kern(&blk, beta_k) };
            }
        }
    }
}

/// Runs `f` with a scratch buffer of `len` floats (kept per thread under `std`).
#[cfg(feature = "alloc")]
pub fn with_ws<R>(len: usize, f: impl FnOnce(&mut [f32]) -> R) -> R {
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
        row.iter_mut()
            .for_each(|v| *v = if beta == 0.0 { 0.0 } else { *v * beta });
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
    with_ws(ws_len(m, n, k, packs_b(b.rs, b.cs)), |ws| {
        gemm(m, n, k, Lhs::Mat(a), Rhs::Mat(b), beta, c, n, ws)
    });
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

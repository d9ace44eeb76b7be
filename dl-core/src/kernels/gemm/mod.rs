//! Matrix products `C = A·B + beta·C` on a 6×16 register tile.
//!
//! [`gemm`] takes `A` as a [`Lhs`] (a strided [`Mat`] packed block by block into the workspace,
//! a whole matrix packed once by [`pack_a`], or [`Rows`] read in place) and `B` as a [`Rhs`] (a
//! [`Mat`], read in place when its rows are contiguous and packed otherwise, or [`Rows`]). Rows
//! at arbitrary offsets let a stride-1 convolution read its shifted input windows straight from
//! the padded image, without an im2col copy. The workspace comes from the caller (sized by
//! [`ws_a`] and [`ws_b`], so inference can keep it in its static scratch). `K` is blocked so a
//! panel of `B` stays in L1 while the rows of `A` pass over it. The tile kernel uses AVX2+FMA
//! when the CPU has them (detected at run time under `std`) and portable Rust otherwise.
//! [`nn`], [`nt`] and [`tn`] are row-major shorthands that bring their own workspace.
mod pack;
#[cfg(test)]
mod tests;
mod tile;

use pack::{pack_a_block, pack_b_block};
use tile::Tile;

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
    /// The windows of a `k×k` kernel over `[C, H, W]` planes: row `(c·k + ki)·k + kj` starts at
    /// `c·plane + ki·row + kj·col` (`plane = H·W`, `row = D·W`, `col = D` for dilation `D`).
    Window {
        k: usize,
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
            Offsets::Window { k, plane, row, col } => {
                i / (k * k) * plane + i / k % k * row + i % k * col
            }
        }
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

/// Whether the AVX2+FMA code paths may run (detected at run time under `std`).
#[inline]
pub fn use_avx2() -> bool {
    #[cfg(all(test, feature = "std"))]
    if tests::FORCE_PORTABLE.with(|f| f.get()) {
        return false;
    }
    #[cfg(all(target_arch = "x86_64", feature = "std"))]
    return std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma");
    #[cfg(all(target_arch = "x86_64", not(feature = "std")))]
    return cfg!(all(target_feature = "avx2", target_feature = "fma"));
    #[allow(unreachable_code)]
    false
}

/// Checks that every row `i < rows` of `r` holds `len` floats.
fn check_rows(r: &Rows, rows: usize, len: usize, what: &str) {
    if let Offsets::Table(t) = r.offs {
        assert!(t.len() >= rows, "gemm: {what} has too few row offsets");
    }
    assert!(
        (0..rows).all(|i| r.offs.at(i) + len <= r.data.len()),
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
    if k == 0 {
        for row in c.chunks_mut(ldc).take(m) {
            row[..n]
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
    for k0 in (0..k).step_by(KC) {
        let kc = min(KC, k - k0);
        let beta_k = if k0 == 0 { beta } else { 1.0 };
        if let Rhs::Rows(r) = b {
            for (p, t) in btab[..kc].iter_mut().enumerate() {
                *t = r.offs.at(k0 + p);
            }
        }
        for j0 in (0..n).step_by(nc_step) {
            let nc = min(nc_step, n - j0);
            if let (true, Rhs::Mat(v)) = (pack_b, b) {
                pack_b_block(v, k0, kc, j0, nc, wb);
            }
            for i0 in (0..m).step_by(MC) {
                let mc = min(MC, m - i0);
                let ablock: &[f32] = match a {
                    Lhs::Mat(v) => {
                        pack_a_block(v, i0, mc, k0, kc, wa);
                        wa
                    }
                    Lhs::Packed(p) => &p[k0 * mp + i0 * kc..k0 * mp + mp * kc],
                    Lhs::InPlace(_) | Lhs::Rows(_) => &[],
                };
                for jp in (0..nc).step_by(NR) {
                    let nr = min(NR, nc - jp);
                    // Where row k0 of this panel of B starts, its row step or row offsets.
                    // SAFETY (all `add`s below): in bounds by the checks above — packed panels
                    // hold kc·NR floats; in place, rows k0..k0+kc hold columns j0+jp..+nr.
                    let (bp, ldb, boffs) = unsafe {
                        match b {
                            Rhs::Mat(_) if pack_b => {
                                (wb.as_ptr().add(jp / NR * kc * NR), NR, core::ptr::null())
                            }
                            Rhs::Mat(v) => (
                                v.data.as_ptr().add(k0 * v.rs + j0 + jp),
                                v.rs,
                                core::ptr::null(),
                            ),
                            Rhs::Rows(r) => (r.data.as_ptr().add(j0 + jp), 0, btab.as_ptr()),
                        }
                    };
                    for ip in (0..mc).step_by(MR) {
                        let mr = min(MR, mc - ip);
                        let row = |r: usize| i0 + ip + min(r, mr - 1);
                        // SAFETY: as above; rows past mr repeat row mr − 1.
                        let (ap, a_step) = unsafe {
                            match a {
                                Lhs::Mat(_) | Lhs::Packed(_) => {
                                    let panel = &ablock[ip / MR * kc * MR..][..kc * MR];
                                    (core::array::from_fn(|r| panel.as_ptr().add(r)), MR)
                                }
                                Lhs::InPlace(v) => (
                                    core::array::from_fn(|r| {
                                        v.data.as_ptr().add(row(r) * v.rs + k0)
                                    }),
                                    1,
                                ),
                                Lhs::Rows(v) => (
                                    core::array::from_fn(|r| {
                                        v.data.as_ptr().add(v.offs.at(row(r)) + k0)
                                    }),
                                    1,
                                ),
                            }
                        };
                        let t = Tile {
                            kc,
                            a: ap,
                            a_step,
                            b: bp,
                            ldb,
                            boffs,
                            // SAFETY: rows i0+ip..+mr, columns j0+jp..+nr lie in C (checked).
                            c: unsafe { c.as_mut_ptr().add((i0 + ip) * ldc + j0 + jp) },
                            ldc,
                            mr,
                            nr,
                        };
                        // SAFETY: every element the tile describes is in bounds (see above).
                        unsafe { kern(t, beta_k) };
                    }
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

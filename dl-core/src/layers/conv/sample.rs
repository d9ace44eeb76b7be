//! One sample of a convolution, forward and backward, as products on the tiles of
//! [`crate::kernels::gemm`]. Two ways to form the column matrix `cols[C·Kh·Kw, H'·W']`:
//!
//! * **Stride 1, shifted windows.** The input is copied once into a zero-padded image `xpad`
//!   (`[C, Hp, Wp]`, `Hp = H + top + bottom`, `Wp = W + left + right`, plus a short tail). Row
//!   `(c, ki, kj)` of the column matrix is then `xpad` itself, shifted by
//!   `c·Hp·Wp + ki·Dh·Wp + kj·Dw`, as long as the
//!   output rows are laid out `Wp` apart ("wide": each row carries `Wp − W'` extra columns that
//!   are computed and dropped). The products read those windows in place, so there is no
//!   im2col copy and no col2im scatter of short rows — which dominate small images.
//!   Backward spreads `dY` into the same wide layout (zeros in the extra columns), then
//!   `dWᵀ += windows · dYᵀ` and `dcols = Wᵀ · dY`, whose rows are added back into a padded `dx`
//!   along the same shifts: one long vector add per row.
//! * **Other strides.** Bands of output rows: im2col of the band, the same products, col2im.
//!
//! Work is cut into bands of output rows so the per-band buffers stay in L2.
use crate::kernels::copy_short;
#[cfg(feature = "alloc")]
use crate::kernels::gemm::ws_b;
use crate::kernels::gemm::{gemm, Lhs, Mat, Offsets, Rhs, Rows, MR, NR};
#[cfg(feature = "alloc")]
use crate::kernels::im2col::col2im_rows;
use crate::kernels::im2col::{im2col_rows, Geom};
#[cfg(feature = "alloc")]
use crate::kernels::{add_to, simd, sum, zero_short};
use crate::kernels::{chanconv, rowconv};
#[cfg(feature = "alloc")]
use crate::kernels::{gemm::use_avx512, wgrad};

/// Floats of one band's column matrix, at most (unless one output row needs more).
const BAND_FLOATS: usize = 128 * 1024;

/// A convolution's geometry and how one sample is cut into bands.
#[derive(Clone, Copy)]
pub(crate) struct Plan {
    pub g: Geom,
    /// Output channels.
    pub o: usize,
    /// Stride 1: the shifted-window path.
    pub shifted: bool,
    /// Distance between output rows in a band's buffers (`Wp` shifted, `W'` otherwise).
    pub wide: usize,
    /// Output rows per band.
    pub rows: usize,
    /// Leading dimension of a band's buffers: at least `rows·wide`, a multiple of 16 floats,
    /// odd in cache lines so the rows of a panel do not collide in L1.
    pub ld: usize,
    /// The weight gradient is formed transposed (`dWᵀ = cols · dYᵀ`, the column matrix read in
    /// place) rather than as `dW = dY · colsᵀ` (the column matrix packed): whichever needs
    /// fewer tiles, counting a packed panel as two thirds of a tile. Few filters (LeNet's
    /// first layer has 6) favour `dW`.
    #[cfg_attr(not(feature = "alloc"), allow(dead_code))]
    pub dw_t: bool,
}

impl Plan {
    pub const fn new(g: Geom, o: usize) -> Plan {
        let shifted = g.sh == 1 && g.sw == 1;
        let wide = if shifted { g.wp() } else { g.ow };
        let mut rows = BAND_FLOATS / (g.rows() * wide);
        if rows < 1 {
            rows = 1;
        }
        if rows > g.oh {
            rows = g.oh;
        }
        let mut ld = (rows * wide).div_ceil(16) * 16;
        if (ld / 16).is_multiple_of(2) {
            ld += 16;
        }
        let (ckk, mr, nr) = (g.rows(), MR, NR);
        let t_form = 3 * ckk.div_ceil(mr) * o.div_ceil(nr);
        let n_form = 3 * o.div_ceil(mr) * ckk.div_ceil(nr) + 2 * ckk.div_ceil(nr);
        Plan {
            g,
            o,
            shifted,
            wide,
            rows,
            ld,
            dw_t: t_form <= n_form,
        }
    }
    /// Floats of the padded image (with the tail the last windows read).
    pub const fn xpad_len(&self) -> usize {
        let g = &self.g;
        g.c * g.hp() * self.wide + (g.kw - 1) * g.dw
    }
    /// Scratch of [`forward`]: the padded image and a band of output (shifted), or a band's
    /// columns (otherwise).
    /// The same on every target: [`chanconv`] runs only where this scratch also holds its
    /// packed weights.
    pub const fn forward_scratch(&self) -> usize {
        if self.shifted {
            self.xpad_len() + self.o * self.ld
        } else {
            self.g.rows() * self.ld
        }
    }
    /// Row offsets of the windows in the padded image.
    fn windows(&self) -> Offsets<'static> {
        let (g, wp) = (&self.g, self.wide);
        Offsets::Window {
            kh: g.kh,
            kw: g.kw,
            plane: g.hp() * wp,
            row: g.dh * wp,
            col: g.dw,
        }
    }
    /// Copies `x` into the zero-padded image `xpad`.
    fn pad(&self, x: &[f32], xpad: &mut [f32]) {
        let (g, wp) = (&self.g, self.wide);
        let hp = g.hp();
        xpad[..self.xpad_len()].fill(0.0);
        for c in 0..g.c {
            for iy in 0..g.h {
                let d = &mut xpad[(c * hp + iy + g.pt) * wp + g.pl..][..g.w];
                copy_short(d, &x[(c * g.h + iy) * g.w..]);
            }
        }
    }
    /// The input gradient as a forward convolution: `dx` = `dY`, padded by `K − 1 − padding`
    /// on each side, convolved with the flipped weights (`[C, O, Kh, Kw]`), on
    /// [`rowconv::forward_fitting`] — where the CPU has AVX-512 and that kernel fits it
    /// (stride 1, dilation 1, fewer than sixteen input channels, rows of at most 32 pixels).
    #[cfg(feature = "alloc")]
    fn dx_plan(&self) -> Option<Plan> {
        let g = &self.g;
        if !self.shifted
            || g.dh != 1
            || g.dw != 1
            || g.pt >= g.kh
            || g.pb >= g.kh
            || g.pl >= g.kw
            || g.pr >= g.kw
        {
            return None;
        }
        let (kh, kw) = (g.kh - 1, g.kw - 1);
        let pads = [kh - g.pt, kh - g.pb, kw - g.pl, kw - g.pr];
        let d = Geom::new(self.o, g.oh, g.ow, [g.kh, g.kw], [1, 1], pads, [1, 1]);
        let ok = d.oh == g.h && d.ow == g.w && rowconv::fits(&d, g.c) && use_avx512();
        ok.then(|| Plan::new(d, g.c))
    }
    /// The output rows of each band.
    fn bands(&self) -> impl Iterator<Item = core::ops::Range<usize>> {
        let (oh, rows) = (self.g.oh, self.rows);
        (0..oh).step_by(rows).map(move |a| a..(a + rows).min(oh))
    }
}

/// One sample: `y[O, H'W'] = bias + W · cols` (`W` is `[O, C·Kh·Kw]` row-major, read in place;
/// an empty `bias` adds nothing), or [`chanconv::forward`] where it is
/// [usable](chanconv::usable). `scratch` holds [`Plan::forward_scratch`] floats.
pub(super) fn forward(
    pl: &Plan,
    x: &[f32],
    bias: &[f32],
    w: &[f32],
    y: &mut [f32],
    scratch: &mut [f32],
) {
    let (g, o, ld) = (&pl.g, pl.o, pl.ld);
    let (ckk, hw) = (g.rows(), g.cols());
    // a scratch shorter than `forward_scratch` fails below, whichever kernel would run
    if pl.shifted && rowconv::usable(g, o) && scratch.len() >= pl.forward_scratch() {
        // the kernel `network!`'s convolutions run too (`fused::conv2d_infer`); unpadded, it
        // reads the input itself
        let xp: &[f32] = if g.pt + g.pb + g.pl + g.pr == 0 {
            x
        } else {
            let xpad = &mut scratch[..pl.xpad_len()];
            pl.pad(x, xpad);
            xpad
        };
        if rowconv::forward(w, bias, g, o, xp, y, |_, _| {}) {
            return;
        }
    }
    #[cfg(feature = "std")]
    if let Some(true) = crate::kernels::wino5::with_filters(g, w, o, |u| {
        crate::kernels::wino5::forward(u, bias, g, o, x, y, |_, _| {})
    }) {
        return; // as `fused::conv2d_infer`
    }
    if chanconv::usable(g, o) && scratch.len() >= (o * ckk).max(pl.forward_scratch()) {
        // the kernel `network!`'s convolutions run too (`fused::conv2d_infer`)
        chanconv::pack(w, o, ckk, scratch);
        if chanconv::forward(&scratch[..o * ckk], bias, g, o, x, y, |_, _| {}) {
            return;
        }
    }
    let w = Lhs::InPlace(Mat::rows(w, ckk));
    if pl.shifted {
        let (xpad, band) = scratch.split_at_mut(pl.xpad_len());
        pl.pad(x, xpad);
        for r in pl.bands() {
            // band[O, rows·Wp] = W · windows, then the first W' columns of each row + bias
            let n = r.len() * pl.wide;
            let b = Rows {
                data: &xpad[r.start * pl.wide..],
                offs: pl.windows(),
            };
            gemm(o, n, ckk, w, Rhs::Rows(b), 0.0, band, ld, &mut []);
            for oc in 0..o {
                let bv = bias.get(oc).copied().unwrap_or(0.0);
                for oy in r.clone() {
                    let src = &band[oc * ld + (oy - r.start) * pl.wide..][..g.ow];
                    for (d, s) in y[oc * hw + oy * g.ow..][..g.ow].iter_mut().zip(src) {
                        *d = s + bv;
                    }
                }
            }
        }
        return;
    }
    for (oc, yo) in y[..o * hw].chunks_exact_mut(hw).enumerate() {
        yo.fill(bias.get(oc).copied().unwrap_or(0.0));
    }
    for r in pl.bands() {
        im2col_rows(g, x, r.clone(), scratch, ld);
        let b = Mat::rows(scratch, ld);
        gemm(
            o,
            r.len() * g.ow,
            ckk,
            w,
            Rhs::Mat(b),
            1.0,
            &mut y[r.start * g.ow..],
            hw,
            &mut [],
        );
    }
}

/// One thread's backward buffers, kept across steps, and its partial parameter gradients.
#[cfg(feature = "alloc")]
#[derive(Default)]
pub struct Work {
    /// The padded image (shifted) or a band's columns.
    a: alloc::vec::Vec<f32>,
    /// A band of `dY`, wide (shifted); `dY` transposed for [`wgrad`].
    dyw: alloc::vec::Vec<f32>,
    /// A band of `dcols`.
    dcols: alloc::vec::Vec<f32>,
    /// The padded `dx` (shifted), or the padded `dY` of [`Plan::dx_plan`].
    dxpad: alloc::vec::Vec<f32>,
    /// Packing space for `dYᵀ`.
    ws: alloc::vec::Vec<f32>,
    /// `dW` (`[O, C·Kh·Kw]`, transposed when [`Plan::dw_t`], or `[C·Kh·Kw, 16]` for
    /// [`wgrad`]) and `db`, summed over this piece's samples.
    pub dw: alloc::vec::Vec<f32>,
    pub db: alloc::vec::Vec<f32>,
    /// `dw` folded into `[O, C·Kh·Kw]` (for [`wgrad`]), by the piece itself.
    gw: alloc::vec::Vec<f32>,
}

/// The direct kernels a batch's backward runs instead of products (AVX-512), decided once per
/// batch: `dW` on [`wgrad`] (`dw`, its form), `dx` on [`rowconv`] (`dx`, its plan).
#[cfg(feature = "alloc")]
#[derive(Clone, Copy)]
struct Direct {
    dw: Option<wgrad::Form>,
    dx: Option<Plan>,
}

#[cfg(feature = "alloc")]
impl Work {
    /// Sizes the buffers for `pl` and `dk` (the gradients are zeroed by [`Work::zero`]); `nb`
    /// is the bias length (`O`, or 0 for none: then `db` stays empty and backward sums nothing
    /// into it).
    fn prepare(&mut self, pl: &Plan, dk: Direct, nb: usize) {
        let (g, o, ld) = (&pl.g, pl.o, pl.ld);
        let band = pl.rows * pl.wide;
        self.a.resize(
            if pl.shifted {
                pl.xpad_len()
            } else {
                g.rows() * ld
            },
            0.0,
        );
        let dyw = if pl.shifted { o * ld } else { 0 };
        let dyt = dk.dw.map_or(0, |f| wgrad::scratch_len(g, f));
        self.dyw.resize(dyw.max(dyt), 0.0);
        self.dcols.resize(g.rows() * ld, 0.0);
        let dxpad = if pl.shifted { pl.xpad_len() } else { 0 };
        let dyp = dk.dx.map_or(0, |d| d.xpad_len());
        self.dxpad.resize(dxpad.max(dyp), 0.0);
        let ws = ws_b(o, band).max(ws_b(band, o)).max(ws_b(g.rows(), band));
        self.ws.resize(ws, 0.0);
        let dw = dk.dw.map_or(g.rows() * o, |f| wgrad::acc_len(g, o, f));
        self.dw.resize(dw, 0.0);
        self.db.resize(nb, 0.0);
        self.gw
            .resize(if dk.dw.is_some() { g.rows() * o } else { 0 }, 0.0);
    }

    /// Zeroes the gradients (each piece its own, on its own thread: 600 KB of accumulators
    /// for LeNet-5's conv2 at batch 64).
    fn zero(&mut self) {
        self.dw.fill(0.0);
        self.db.fill(0.0);
        self.gw.fill(0.0);
    }
}

/// One sample's backward with `Wᵀ` packed in `wt` (the flipped weights when `dk.dx`): writes
/// `dx` (none: `dx` is formed elsewhere, and `wt` is not read), adds into `wk.dw` and `wk.db`
/// (when it is not empty).
#[cfg(feature = "alloc")]
fn backward(
    pl: &Plan,
    dk: Direct,
    x: &[f32],
    dy: &[f32],
    dx: Option<&mut [f32]>,
    wt: &[f32],
    wk: &mut Work,
) {
    let (g, o, ld) = (&pl.g, pl.o, pl.ld);
    let (ckk, hw) = (g.rows(), g.cols());
    for (b, row) in wk.db.iter_mut().zip(dy.chunks_exact(hw)) {
        *b += sum(row);
    }
    if pl.shifted {
        pl.pad(x, &mut wk.a);
        let mut dx = dx;
        if let (Some(dp), Some(d)) = (dk.dx, dx.as_deref_mut()) {
            dp.pad(dy, &mut wk.dxpad);
            let ran = rowconv::forward_fitting(wt, &[], &dp.g, g.c, &wk.dxpad, d, |_, _| {});
            assert!(ran, "dx_plan vouched for the direct input gradient");
            dx = None;
        }
        if let Some(f) = dk.dw {
            let ran = wgrad::accumulate(f, g, o, &wk.a, dy, &mut wk.dyw, &mut wk.dw);
            assert!(ran, "wgrad::form vouched for the direct weight gradient");
            if dx.is_none() {
                return;
            }
        }
        if dx.is_some() {
            wk.dxpad.fill(0.0);
        }
        let offs = pl.windows();
        for r in pl.bands() {
            let (n, base) = (r.len() * pl.wide, r.start * pl.wide);
            // dY of the band, wide, zero in the extra columns
            for oc in 0..o {
                for oy in r.clone() {
                    let d = &mut wk.dyw[oc * ld + (oy - r.start) * pl.wide..][..pl.wide];
                    copy_short(&mut d[..g.ow], &dy[oc * hw + oy * g.ow..]);
                    zero_short(&mut d[g.ow..]);
                }
            }
            let win = Rows {
                data: &wk.a[base..],
                offs,
            };
            if dk.dw.is_some() {
                // dW is done
            } else if pl.dw_t {
                // dWᵀ[CKK, O] += windows · dYᵀ
                let dyt = Rhs::Mat(Mat::t(&wk.dyw, ld));
                gemm(
                    ckk,
                    o,
                    n,
                    Lhs::Rows(win),
                    dyt,
                    1.0,
                    &mut wk.dw,
                    o,
                    &mut wk.ws,
                );
            } else {
                // dW[O, CKK] += dY · windowsᵀ
                let dyw = Lhs::InPlace(Mat::rows(&wk.dyw, ld));
                gemm(
                    o,
                    ckk,
                    n,
                    dyw,
                    Rhs::RowsT(win),
                    1.0,
                    &mut wk.dw,
                    ckk,
                    &mut wk.ws,
                );
            }
            if dx.is_none() {
                continue;
            }
            // dcols[CKK, n] = Wᵀ · dY, each row added back along its shift
            gemm(
                ckk,
                n,
                o,
                Lhs::Packed(wt),
                Rhs::Mat(Mat::rows(&wk.dyw, ld)),
                0.0,
                &mut wk.dcols,
                ld,
                &mut [],
            );
            let (dxpad, dcols) = (&mut wk.dxpad[base..], &wk.dcols);
            simd(|| {
                let mut o = [0usize; 64];
                for r0 in (0..ckk).step_by(64) {
                    let o = &mut o[..(ckk - r0).min(64)];
                    offs.fill(r0, o);
                    for (i, &off) in o.iter().enumerate() {
                        add_to(&mut dxpad[off..][..n], &dcols[(r0 + i) * ld..][..n]);
                    }
                }
            });
        }
        let Some(dx) = dx else { return };
        let (hp, wp) = (g.hp(), pl.wide);
        for c in 0..g.c {
            for iy in 0..g.h {
                let s = &wk.dxpad[(c * hp + iy + g.pt) * wp + g.pl..][..g.w];
                copy_short(&mut dx[(c * g.h + iy) * g.w..][..g.w], s);
            }
        }
        return;
    }
    let mut dx = dx;
    if let Some(dx) = dx.as_deref_mut() {
        dx.fill(0.0);
    }
    for r in pl.bands() {
        let n = r.len() * g.ow;
        im2col_rows(g, x, r.clone(), &mut wk.a, ld);
        let dyb = &dy[r.start * g.ow..];
        if pl.dw_t {
            // dWᵀ[CKK, O] += cols · dYᵀ (the columns read in place, once)
            let cols = Lhs::InPlace(Mat::rows(&wk.a, ld));
            let dyt = Rhs::Mat(Mat::t(dyb, hw));
            gemm(ckk, o, n, cols, dyt, 1.0, &mut wk.dw, o, &mut wk.ws);
        } else {
            // dW[O, CKK] += dY · colsᵀ
            let dyr = Lhs::InPlace(Mat::rows(dyb, hw));
            let colst = Rhs::Mat(Mat::t(&wk.a, ld));
            gemm(o, ckk, n, dyr, colst, 1.0, &mut wk.dw, ckk, &mut wk.ws);
        }
        let Some(dx) = dx.as_deref_mut() else {
            continue;
        };
        // dcols = Wᵀ · dY, added back into dx
        gemm(
            ckk,
            n,
            o,
            Lhs::Packed(wt),
            Rhs::Mat(Mat::rows(dyb, hw)),
            0.0,
            &mut wk.dcols,
            ld,
            &mut wk.ws,
        );
        col2im_rows(g, &wk.dcols, r, ld, dx);
    }
}

/// The buffers of [`backward_batch`], kept across steps: `Wᵀ` packed and each piece's
/// [`Work`].
#[cfg(feature = "alloc")]
#[derive(Default)]
pub struct BatchWork {
    wt: alloc::vec::Vec<f32>,
    pieces: alloc::vec::Vec<Work>,
}

/// Where a group's slices sit in a batch: sample `s` of `x` (and `dx`) starts at `s·xn + xo`,
/// of `dy` at `s·yn + yo`.
#[cfg(feature = "alloc")]
#[derive(Clone, Copy)]
pub struct Strides {
    pub xn: usize,
    pub xo: usize,
    pub yn: usize,
    pub yo: usize,
}

/// One group's backward over `n` samples (the weights `w[O, C·Kh·Kw]` of the group): `dx` from
/// `Wᵀ·dY`, or on [`rowconv`] as a forward convolution of `dY` ([`Plan::dx_plan`]; no `dx`:
/// it is formed elsewhere and left alone), `gw += dY · colsᵀ` (on [`wgrad`] where it has a
/// form), `gb += Σ dY` (nothing for an empty `gb`). The batch is split into pieces fixed by
/// the batch (`par::partials`), not the thread count, and their partial gradients are added
/// in piece order: the gradients are the same to the bit with any number of threads. The one
/// implementation behind `Conv2d`'s backward and the fused one `network!` calls.
#[cfg(feature = "alloc")]
#[allow(clippy::too_many_arguments)]
pub fn backward_batch(
    pl: &Plan,
    w: &[f32],
    n: usize,
    st: Strides,
    x: &[f32],
    dy: &[f32],
    dx: Option<&mut [f32]>,
    bw: &mut BatchWork,
    gw: &mut [f32],
    gb: &mut [f32],
) {
    use crate::kernels::gemm::{pack_a, packed_len};
    use crate::kernels::par;
    let (g, o) = (&pl.g, pl.o);
    let ckk = g.rows();
    let (xg, yg) = (g.c * g.h * g.w, o * g.cols());
    let pieces = par::partials(n, 2 * yg * ckk, o * ckk);
    if bw.pieces.len() < pieces {
        bw.pieces.resize_with(pieces, Default::default);
    }
    let dk = Direct {
        dw: wgrad::form(g, o).filter(|_| pl.shifted),
        dx: dx.as_ref().and_then(|_| pl.dx_plan()),
    };
    if dk.dx.is_some() {
        // the flipped weights [C, O, Kh, Kw] of the input gradient's convolution
        let kk = g.kh * g.kw;
        bw.wt.resize(o * ckk, 0.0);
        // (no divisions per element: for LeNet-5's conv2 they took longer than the copy)
        for (c, wc) in bw.wt.chunks_exact_mut(o * kk).enumerate() {
            for (f, wf) in wc.chunks_exact_mut(kk).enumerate() {
                let src = &w[(f * g.c + c) * kk..][..kk];
                wf.iter_mut()
                    .zip(src.iter().rev())
                    .for_each(|(v, s)| *v = *s);
            }
        }
    } else if dx.is_some() {
        bw.wt.resize(packed_len(ckk, o), 0.0);
        pack_a(ckk, o, Mat::t(w, ckk), &mut bw.wt);
    }
    let work = &mut bw.pieces[..pieces];
    for wk in work.iter_mut() {
        wk.prepare(pl, dk, gb.len());
    }
    let wt = &bw.wt[..];
    par::for_chunks_parts_opt(work, n, dx, st.xn, |wk, r, mut dxs| {
        wk.zero();
        for (i, s) in r.enumerate() {
            let xs = &x[s * st.xn + st.xo..][..xg];
            let dys = &dy[s * st.yn + st.yo..][..yg];
            let dxi = dxs
                .as_deref_mut()
                .map(|d| &mut d[i * st.xn + st.xo..][..xg]);
            backward(pl, dk, xs, dys, dxi, wt, wk);
        }
        if let Some(f) = dk.dw {
            // folded here, in parallel: each sum of lanes is added to zero, then to `gw`
            // below, the same bits as folding into `gw` directly
            wgrad::fold(f, g, o, &wk.dw, &mut wk.gw);
        }
    });
    // only the pieces that ran hold this batch's gradients
    for wk in work[..par::parts_used(n, pieces)].iter() {
        if dk.dw.is_some() {
            add_to(gw, &wk.gw);
        } else if pl.dw_t {
            for (r, row) in wk.dw.chunks_exact(o).enumerate() {
                for (oo, v) in row.iter().enumerate() {
                    gw[oo * ckk + r] += v;
                }
            }
        } else {
            add_to(gw, &wk.dw);
        }
        add_to(gb, &wk.db);
    }
}

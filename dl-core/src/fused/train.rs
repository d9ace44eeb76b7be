//! Training entry points of the fused code: forward passes that keep what backward needs, and
//! backward passes that add parameter gradients, over batches split across the thread pool.
use super::*;
use crate::kernels::gemm::{gemm, ws_a, ws_b, Lhs, Mat, Rhs};
use crate::kernels::im2col::Geom;
use crate::kernels::{dense, par, sum, winograd};
use crate::layers::conv::sample::{backward_batch, BatchWork, Plan, Strides};
use alloc::vec::Vec;

/// Grows `v` to at least `n` elements (allocates on the first step only).
pub fn reserve(v: &mut Vec<f32>, n: usize) {
    if v.len() < n {
        v.resize(n, 0.0);
    }
}

/// Per-piece buffers of the fused kernels (one piece per thread of a batch split) and those of
/// a convolution's backward; shared by every layer of a network, grown on the first step only.
#[derive(Default)]
pub struct Work {
    pieces: Vec<Piece>,
    /// The packed `Wᵀ` and per-piece buffers of a convolution's backward products.
    conv: BatchWork,
    /// The flipped, transposed weights of a Winograd `dx`; a tiny `Linear` asked for no `dx`
    /// writes the one its kernel computes anyway here.
    wf: Vec<f32>,
}
/// One piece's buffers and its partial parameter gradients.
#[derive(Default)]
pub struct Piece {
    cols: Vec<f32>,
    ws: Vec<f32>,
    gw: Vec<f32>,
    gb: Vec<f32>,
}
impl Work {
    /// The first `p` pieces, with `ws` floats of packing space and (when `grads`) zeroed
    /// partial gradients of `gw`, `gb` floats.
    fn pieces(&mut self, p: usize, ws: usize, cols: usize, gw: usize, gb: usize) -> &mut [Piece] {
        if self.pieces.len() < p {
            self.pieces.resize_with(p, Default::default);
        }
        for pc in &mut self.pieces[..p] {
            reserve(&mut pc.ws, ws);
            reserve(&mut pc.cols, cols);
            pc.gw.clear();
            pc.gw.resize(gw, 0.0);
            pc.gb.clear();
            pc.gb.resize(gb, 0.0);
        }
        &mut self.pieces[..p]
    }
}
/// Floats of `gw` per span [`sum_grads`] hands a thread.
const SPAN: usize = 2048;

/// Adds each piece's partial gradients into `gw`, `gb`, in piece order for every element (so
/// the sums do not depend on the split), spans of `gw` split across the thread pool: a wide
/// layer's partial gradients (4 × 48,000 floats for LeNet-5's `Linear(400, 120)`) would
/// otherwise be added up by one thread while the others wait.
fn sum_grads(pieces: &[Piece], gw: &mut [f32], gb: &mut [f32]) {
    let spans = gw.len() / SPAN;
    let (head, tail) = gw.split_at_mut(spans * SPAN);
    let work = 64 * SPAN * pieces.len();
    par::for_chunks_work(spans, head, SPAN, work, |s, part| {
        simd(|| {
            for pc in pieces {
                add(part, &pc.gw[s * SPAN..][..part.len()]);
            }
        })
    });
    for pc in pieces {
        add(tail, &pc.gw[spans * SPAN..]);
        add(gb, &pc.gb);
    }
}

/// `Conv2d` over `n` samples, the batch split over the thread pool; `post(o, row)` runs on
/// each output row or plane (bias added; an empty `b` is none) while it is in cache. Where
/// [`chanconv`](crate::kernels::chanconv) is usable each thread's range runs as batched
/// inference does ([`conv2d_infer_batch`]: the weights packed once per range, not per sample).
#[allow(clippy::too_many_arguments)]
pub fn conv2d_forward<F: Fn(usize, &mut [f32]) + Sync>(
    w: &[f32],
    b: &[f32],
    g: &Geom,
    n: usize,
    x: &[f32],
    y: &mut [f32],
    work: &mut Work,
    post: F,
) {
    let (r, m) = (g.rows(), g.cols());
    let o = w.len() / r;
    let (xn, yn) = (g.c * g.h * g.w, o * m);
    let p = par::pieces(n, yn * r);
    if winograd::applies(g, o) {
        // one range per thread (each call transforms and packs all the weights)
        let ps = work.pieces(p, 0, winograd::scratch(g, o, n), 0, 0);
        par::for_chunks_parts(ps, n, &mut y[..n * yn], yn, |pc, start, ys| {
            let k = ys.len() / yn;
            let xs = &x[start * xn..][..k * xn];
            winograd::forward(w, b, g, k, xs, ys, &mut pc.cols, &post);
        });
        return;
    }
    if crate::kernels::chanconv::usable(g, o) {
        // one range per thread, the weights packed once per range (as batched inference)
        let ps = work.pieces(p, 0, 0, 0, 0);
        par::for_chunks_parts(ps, n, &mut y[..n * yn], yn, |pc, start, ys| {
            let k = ys.len() / yn;
            let xs = &x[start * xn..][..k * xn];
            conv2d_infer_batch(w, b, g, k, xs, ys, &mut pc.cols, &post);
        });
        return;
    }
    let ps = work.pieces(p, 0, conv_scratch(*g, o), 0, 0);
    par::for_chunks_with(ps, n, &mut y[..n * yn], yn, |pc, start, ys| {
        for (i, yi) in ys.chunks_exact_mut(yn).enumerate() {
            let xi = &x[(start + i) * xn..][..xn];
            conv2d_infer(w, b, g, xi, yi, &mut pc.cols, &post);
        }
    });
}

/// The geometry of `dx` as a convolution of `dY` when `g` (with `o` filters) is a 3×3 stride-1
/// convolution whose `dx` [`winograd`] should run: `dY[O, H', W']` padded by `2 − p` on each
/// side with the flipped, transposed weights gives `dx[C, H, W]`.
fn dx_winograd(g: &Geom, o: usize) -> Option<Geom> {
    if !winograd::fits(g) {
        return None;
    }
    let p = [2 - g.pt, 2 - g.pb, 2 - g.pl, 2 - g.pr];
    let d = Geom::new(o, g.oh, g.ow, [3, 3], [1, 1], p, [1, 1]);
    (d.oh == g.h && d.ow == g.w && winograd::applies(&d, g.c)).then_some(d)
}

/// `dx` of a 3×3 stride-1 convolution over `n` samples with [`winograd`]: the convolution of
/// `dY` (geometry `d` from [`dx_winograd`]) with `wf[C, O, 3, 3]`, `wf[c, o, i, j] =
/// w[o, c, 2 − i, 2 − j]`; the batch split over the thread pool (each sample's `dx` does not
/// depend on the split).
fn conv2d_dx_winograd(
    w: &[f32],
    d: &Geom,
    c: usize,
    n: usize,
    dy: &[f32],
    dx: &mut [f32],
    work: &mut Work,
) {
    let o = d.c;
    let (xn, yn) = (c * d.oh * d.ow, o * d.h * d.w);
    reserve(&mut work.wf, w.len());
    for ci in 0..c {
        for oc in 0..o {
            let src = &w[(oc * c + ci) * 9..][..9];
            let dst = &mut work.wf[(ci * o + oc) * 9..][..9];
            for (k, v) in dst.iter_mut().enumerate() {
                *v = src[8 - k];
            }
        }
    }
    let wf = core::mem::take(&mut work.wf);
    let p = par::pieces(n, xn * o * 9);
    let ps = work.pieces(p, 0, winograd::scratch(d, c, n), 0, 0);
    par::for_chunks_parts(ps, n, &mut dx[..n * xn], xn, |pc, start, dxs| {
        let k = dxs.len() / xn;
        let dys = &dy[start * yn..][..k * yn];
        winograd::forward(&wf[..w.len()], &[], d, k, dys, dxs, &mut pc.cols, |_, _| {});
    });
    work.wf = wf;
}

/// `Conv2d` backward over `n` samples, split over the thread pool: a 3×3 stride-1 convolution
/// with enough channels takes `dx` (and `gw` when its own channels allow) from [`winograd`];
/// everything else runs the products of the `Conv2d` layer's own backward (`dx` from `Wᵀ·dY`,
/// `gw += dY·colsᵀ`), one implementation for both. `gb += Σ dY` (nothing for an empty `gb`:
/// no bias). No `dx` (`None`): the parameter gradients only, the same bits. Partial gradients
/// per piece, pieces fixed by the batch (`par::partials`), not the thread count: the gradients
/// are the same to the bit with any number of threads.
#[allow(clippy::too_many_arguments)]
pub fn conv2d_backward(
    w: &[f32],
    g: &Geom,
    n: usize,
    x: &[f32],
    dy: &[f32],
    mut dx: Option<&mut [f32]>,
    work: &mut Work,
    gw: &mut [f32],
    gb: &mut [f32],
) {
    let (r, m) = (g.rows(), g.cols());
    let (o, nb) = (w.len() / r, gb.len());
    let (xn, yn) = (g.c * g.h * g.w, o * m);
    let wino = dx_winograd(g, o);
    if let (Some(d), Some(dx)) = (&wino, dx.as_deref_mut()) {
        conv2d_dx_winograd(w, d, g.c, n, dy, dx, work);
    }
    let wino = wino.is_some();
    if wino && winograd::applies(g, o) {
        // gw and gb by pieces fixed by the batch (dx is done)
        let p = par::partials(n, 2 * yn * r, o * r);
        let ps = work.pieces(p, 0, winograd::grad_scratch(g, o, n), o * r, nb);
        par::for_ranges_parts(ps, n, |pc, range| {
            let (start, k) = (range.start, range.len());
            let (xs, dys) = (&x[start * xn..][..k * xn], &dy[start * yn..][..k * yn]);
            winograd::weight_grad(g, o, k, xs, dys, &mut pc.gw, &mut pc.cols);
            for dyi in dys.chunks_exact(yn) {
                for (bb, dyc) in pc.gb.iter_mut().zip(dyi.chunks_exact(m)) {
                    *bb += sum(dyc);
                }
            }
        });
        sum_grads(ps, gw, gb);
        return;
    }
    // everything else: the products of `Conv2d`'s own backward (dx too unless Winograd did it)
    let pl = Plan::new(*g, o);
    let st = Strides {
        xn,
        xo: 0,
        yn,
        yo: 0,
    };
    let dx = dx.filter(|_| !wino).map(|d| &mut d[..n * xn]);
    backward_batch(&pl, w, n, st, x, dy, dx, &mut work.conv, gw, gb);
}

/// [`max_pool`] over `n` samples, the batch split over the thread pool.
#[allow(clippy::too_many_arguments)]
pub fn max_pool_forward(
    c: usize,
    h: usize,
    w: usize,
    k: [usize; 2],
    s: [usize; 2],
    oh: usize,
    ow: usize,
    n: usize,
    x: &[f32],
    y: &mut [f32],
) {
    let (xn, yn) = (c * h * w, c * oh * ow);
    par::for_chunks(n, &mut y[..n * yn], yn, |start, ys| {
        for (i, yi) in ys.chunks_exact_mut(yn).enumerate() {
            max_pool(c, h, w, k, s, oh, ow, &x[(start + i) * xn..][..xn], yi);
        }
    });
}

/// The backward of [`max_pool_forward`] from `x` and `y` (no argmax kept): each window's
/// `dy` goes to the input `MaxPool2d` picks — the first equal to the maximum, or the last
/// NaN when the maximum is NaN.
#[allow(clippy::too_many_arguments)]
pub fn max_pool_backward(
    c: usize,
    h: usize,
    w: usize,
    k: [usize; 2],
    s: [usize; 2],
    oh: usize,
    ow: usize,
    n: usize,
    x: &[f32],
    y: &[f32],
    dy: &[f32],
    dx: &mut [f32],
) {
    let (xn, yn) = (c * h * w, c * oh * ow);
    let ([kh, kw], [sh, sw]) = (k, s);
    par::for_chunks(n, &mut dx[..n * xn], xn, |start, dxs| {
        for (i, dxi) in dxs.chunks_exact_mut(xn).enumerate() {
            let si = start + i;
            let (xi, yi, dyi) = (
                &x[si * xn..][..xn],
                &y[si * yn..][..yn],
                &dy[si * yn..][..yn],
            );
            dxi.fill(0.0);
            for ch in 0..c {
                for oy in 0..oh {
                    let o0 = (ch * oh + oy) * ow;
                    let row0 = ch * h * w + oy * sh * w;
                    for ox in 0..ow {
                        let (m, base) = (yi[o0 + ox], row0 + ox * sw);
                        let mut at = base;
                        if m.is_nan() {
                            for ki in 0..kh {
                                for kj in 0..kw {
                                    let j = base + ki * w + kj;
                                    if xi[j].is_nan() {
                                        at = j;
                                    }
                                }
                            }
                        } else {
                            // backwards with selects: the first equal one is kept
                            for ki in (0..kh).rev() {
                                for kj in (0..kw).rev() {
                                    let j = base + ki * w + kj;
                                    at = if xi[j] == m { j } else { at };
                                }
                            }
                        }
                        dxi[at] += dyi[o0 + ox];
                    }
                }
            }
        }
    });
}

/// Max pooling over non-overlapping `k×k` windows (stride `k`, no padding) of `n` samples
/// with the branch-free [`max_pool_k`](crate::kernels::maxpool::max_pool_k), keeping each
/// output's argmax (an index into its sample) in `arg` for [`max_pool_backward_arg`]; the
/// batch split over the thread pool. The same maximum and argmax as `MaxPool2d` (ties to the
/// first tap, the last NaN wins).
#[allow(clippy::too_many_arguments)]
pub fn max_pool_forward_arg(
    c: usize,
    h: usize,
    w: usize,
    k: usize,
    oh: usize,
    ow: usize,
    n: usize,
    x: &[f32],
    y: &mut [f32],
    arg: &mut Vec<u32>,
) {
    let (xn, yn) = (c * h * w, c * oh * ow);
    arg.resize(n * yn, 0);
    par::for_chunks_zip(
        n,
        &mut y[..n * yn],
        yn,
        &mut arg[..],
        yn,
        |start, ys, args| {
            for (i, (yi, ai)) in ys
                .chunks_exact_mut(yn)
                .zip(args.chunks_exact_mut(yn))
                .enumerate()
            {
                let xi = &x[(start + i) * xn..][..xn];
                crate::kernels::maxpool::max_pool_k(xi, [c, h, w], k, [oh, ow], yi, ai);
            }
        },
    );
}

/// The backward of [`max_pool_forward_arg`]: each sample's `dx` (`xn` floats) is zero but
/// for `dy` at the kept argmax of each window.
pub fn max_pool_backward_arg(
    xn: usize,
    yn: usize,
    n: usize,
    arg: &[u32],
    dy: &[f32],
    dx: &mut [f32],
) {
    scatter_args(xn, yn, n, arg, dy, dx, |_| 1.0);
}

/// [`max_pool_backward_arg`] followed by the backward of the activation `A` that produced the
/// pool's input `x` ([`act_backward`] on `dx`), in one pass: `network!` runs it for a max-pool
/// after a convolution or `Linear` with a fused activation, whose own backward then skips
/// that step. The same arithmetic, `(0 + dy)·A'(x)` at each argmax, except that every other
/// element is `+0` (the separate pass gives `0·A'(x)`: `−0` or NaN where `A'` is negative or
/// NaN).
pub fn max_pool_backward_arg_act<A: Activation>(
    xn: usize,
    yn: usize,
    n: usize,
    arg: &[u32],
    x: &[f32],
    dy: &[f32],
    dx: &mut [f32],
) {
    scatter_args(xn, yn, n, arg, dy, dx, |i| A::df(x[i], x[i]));
}

/// Each sample's `dx` zero but for `(0 + dy)·factor(i)` at each window's argmax (`i` the
/// index into the batch's `dx`); the batch split over the thread pool.
fn scatter_args<F: Fn(usize) -> f32 + Sync>(
    xn: usize,
    yn: usize,
    n: usize,
    arg: &[u32],
    dy: &[f32],
    dx: &mut [f32],
    factor: F,
) {
    par::for_chunks(n, &mut dx[..n * xn], xn, |start, dxs| {
        for (i, dxi) in dxs.chunks_exact_mut(xn).enumerate() {
            let s = start + i;
            dxi.fill(0.0);
            for (&a, &d) in arg[s * yn..][..yn].iter().zip(&dy[s * yn..][..yn]) {
                let a = a as usize;
                dxi[a] = (dxi[a] + d) * factor(s * xn + a);
            }
        }
    });
}

/// `Linear` over `n` samples: `Y = X·Wᵀ` on the gemm tiles plus the bias, then `post(0, rows)`
/// on the rows of each piece of the batch at once (`post` is elementwise: an activation, which
/// then runs as one loop over many rows, not one short loop per row); the batch split over the
/// thread pool.
pub fn linear_forward<F: Fn(usize, &mut [f32]) + Sync>(
    w: &[f32],
    b: &[f32],
    n: usize,
    x: &[f32],
    y: &mut [f32],
    work: &mut Work,
    post: F,
) {
    let no = b.len();
    let ni = w.len() / no.max(1);
    if dense::tiny(n, ni, no) {
        dense::forward(w, b, n, x, y);
        post(0, &mut y[..n * no]);
        return;
    }
    // one range per thread: each gemm call packs all of `W`, so finer ranges pack it again
    // for every range (LeNet-5's `Linear(400, 120)` over 64 samples cut into 8 ranges took
    // longer on 2 threads than on 1)
    let p = par::pieces(n, no * ni);
    let ps = work.pieces(p, ws_b(no, ni), 0, 0, 0);
    par::for_chunks_parts(ps, n, &mut y[..n * no], no, |pc, start, ys| {
        let rows = ys.len() / no.max(1);
        let xl = Lhs::InPlace(Mat::rows(&x[start * ni..], ni));
        gemm(
            rows,
            no,
            ni,
            xl,
            Rhs::RowsT(rows_of(w, ni)),
            0.0,
            ys,
            no,
            &mut pc.ws,
        );
        for row in ys.chunks_exact_mut(no) {
            add(row, b);
        }
        post(0, ys);
    });
}

/// Most ranges of each product [`linear_backward`] runs.
const UNITS: usize = 8;

/// A range of [`linear_backward`]'s work: rows of `dx` from a first sample, or rows of `gw`
/// from a first output.
enum Part<'a> {
    Dx(usize, &'a mut [f32]),
    Dw(usize, &'a mut [f32]),
}

/// `Linear` backward over `n` samples, for both the `Linear` layer and `network!`: `dx = dY·W`
/// (the batch split over the thread pool), `gw += dYᵀ·X` (the rows of `gw` split over the
/// thread pool, each row summed over the whole batch by one thread, so the bits do not depend
/// on the split), `gb += Σ dY`. No `dx` (`None`): the parameter gradients only, the same bits.
/// (Partial `gw`s per piece of the batch, added afterwards, took 79 µs against 56 µs for
/// LeNet-5's `Linear(400, 120)` at batch 64 on one thread: four 48,000-float partials written
/// and read back, and products only 16 samples deep.)
#[allow(clippy::too_many_arguments)]
pub fn linear_backward(
    w: &[f32],
    n: usize,
    x: &[f32],
    dy: &[f32],
    dx: Option<&mut [f32]>,
    work: &mut Work,
    gw: &mut [f32],
    gb: &mut [f32],
) {
    let no = gb.len();
    let ni = w.len() / no.max(1);
    if dense::tiny(n, ni, no) {
        let dx = match dx {
            Some(d) => d,
            None => {
                // the tiny kernel writes `dx` as it goes: into a buffer kept for the next step
                reserve(&mut work.wf, n * ni);
                &mut work.wf[..]
            }
        };
        return dense::backward(w, n, x, dy, dx, gw, gb);
    }
    // every product's packing space, owned by the pieces (one per range) and kept across
    // steps: a thread-local workspace would grow on whichever thread first ran the larger
    // product, some steps later
    let ws = ws_b(ni, no).max(ws_a(no, n) + ws_b(ni, n));
    // dX[n, I] = dY[n, O] · W[O, I] over ranges of the batch, and dW[O, I] += dYᵀ · X over
    // ranges of the rows of dW (each row summed over the whole batch by one product, so the
    // bits do not depend on the split), all in one parallel loop: no join between the two
    // products, and a thread done with its share of one takes a share of the other. One range
    // of each per thread: every range packs all of `W` (dx) or `X` (dW), so finer ranges pack
    // them again (8 finer ranges of LeNet-5's `Linear(400, 120)` ran 1.2× faster on 2 threads
    // than on 1).
    let pd = dx
        .as_ref()
        .map_or(0, |_| par::pieces(n, ni * no).min(UNITS));
    let pw = par::pieces(no, n * ni).min(UNITS);
    let (per_d, per_w) = (n.div_ceil(pd.max(1)).max(1), no.div_ceil(pw).max(1));
    let ps = work.pieces(pd + pw, ws, 0, 0, 0);
    let mut units: [Option<(&mut Piece, Part)>; 2 * UNITS] = Default::default();
    let dws = gw[..no * ni]
        .chunks_mut(per_w * ni)
        .enumerate()
        .map(|(i, c)| Part::Dw(i * per_w, c));
    let dxs = dx
        .into_iter()
        .flat_map(|d| d[..n * ni].chunks_mut(per_d * ni).enumerate())
        .map(|(i, c)| Part::Dx(i * per_d, c));
    let mut k = 0;
    for (slot, (pc, part)) in units.iter_mut().zip(ps.iter_mut().zip(dws.chain(dxs))) {
        *slot = Some((pc, part));
        k += 1;
    }
    let run = |unit: &mut Option<(&mut Piece, Part)>| {
        let Some((pc, part)) = unit else { return };
        match part {
            Part::Dx(start, xs) => {
                let dys = Lhs::InPlace(Mat::rows(&dy[*start * no..], no));
                let rows = xs.len() / ni;
                let wm = Rhs::Mat(Mat::rows(w, ni));
                gemm(rows, ni, no, dys, wm, 0.0, xs, ni, &mut pc.ws);
            }
            Part::Dw(o0, gws) => {
                let dyt = Lhs::Mat(Mat::t(&dy[*o0..], no));
                let rows = gws.len() / ni;
                let xm = Rhs::Mat(Mat::rows(x, ni));
                gemm(rows, ni, n, dyt, xm, 1.0, gws, ni, &mut pc.ws);
            }
        }
    };
    if pd.max(pw) > 1 {
        par::for_ranges_parts(&mut units[..k], k, |unit, _| run(unit));
    } else {
        // too little work to split: one thread, as `par::pieces` said
        units[..k].iter_mut().for_each(run);
    }
    for r in dy[..n * no].chunks_exact(no) {
        add(gb, r);
    }
}

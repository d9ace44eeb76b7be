//! Entry points for the code `network!` generates: fused kernels over plain slices (conv/linear
//! + bias + activation in one pass over each output row, in-place activation backward, crop-add,
//! channel concat) and the const checks the expansion uses. Not a stable public API.
//!
//! Nothing here allocates: inference writes into a caller-provided arena; training reuses the
//! buffers it is handed (`Vec`s grow on the first step only).
use crate::kernels::dot;
use crate::kernels::gemm::{gemm, Lhs, Mat, Offsets, Rhs, Rows};
use crate::kernels::im2col::{im2col, Geom};
use crate::layer::{Layer, Module, Zeroable};
use crate::layers::activation::Activation;
use crate::shape::Shape;

/// Requires `L: Layer<I, Out = O>`: the type system's check of a shape the macro computed.
pub const fn check<I: Shape, O: Shape, L: Layer<I, Out = O>>() {}
/// Requires `A` and `B` to be the same type (a residual add, a concat's spatial size).
pub const fn same<A: typenum::Same<B>, B>() {}
/// Requires `T: Zeroable + Module`.
pub const fn module<T: Zeroable + Module>() {}
/// `<L as Layer<I>>::SCRATCH`.
pub const fn scratch<I: Shape, L: Layer<I>>() -> usize {
    L::SCRATCH
}
/// `<T as Module>::PARAMS`.
pub const fn params<T: Module>() -> usize {
    T::PARAMS
}
/// The largest element of `xs` (0 for none).
pub const fn max_of(xs: &[usize]) -> usize {
    let mut m = 0;
    let mut i = 0;
    while i < xs.len() {
        if xs[i] > m {
            m = xs[i];
        }
        i += 1;
    }
    m
}
/// The geometry of a convolution window.
#[allow(clippy::too_many_arguments)]
pub const fn geom(c: usize, h: usize, w: usize, k: usize, s: usize, p: usize, d: usize) -> Geom {
    let oh = (h + 2 * p - d * (k - 1) - 1) / s + 1;
    let ow = (w + 2 * p - d * (k - 1) - 1) / s + 1;
    Geom {
        c,
        h,
        w,
        k,
        s,
        p,
        d,
        oh,
        ow,
    }
}

/// `c[m×n] += a[m×k] · b[k×n]` (row-major), as axpys over rows of `b`: vectorises, no allocation.
pub fn mm_nn(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
    for (ci, ai) in c[..m * n].chunks_exact_mut(n).zip(a.chunks_exact(k)) {
        for (&s, bp) in ai.iter().zip(b.chunks_exact(n)) {
            if s != 0.0 {
                for (o, v) in ci.iter_mut().zip(bp) {
                    *o += s * v;
                }
            }
        }
    }
}
/// `c[m×n] += a[m×k] · b[n×k]ᵀ`, as dot products.
pub fn mm_nt(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
    for (ci, ai) in c[..m * n].chunks_exact_mut(n).zip(a.chunks_exact(k)) {
        for (o, bj) in ci.iter_mut().zip(b.chunks_exact(k)) {
            *o += dot(ai, bj);
        }
    }
}
/// `c[m×n] += a[k×m]ᵀ · b[k×n]`.
pub fn mm_tn(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
    for (ap, bp) in a[..k * m].chunks_exact(m).zip(b.chunks_exact(n)) {
        for (ci, &s) in c[..m * n].chunks_exact_mut(n).zip(ap) {
            if s != 0.0 {
                for (o, v) in ci.iter_mut().zip(bp) {
                    *o += s * v;
                }
            }
        }
    }
}

/// `y = A(y)` in place.
#[inline]
pub fn act<A: Activation>(y: &mut [f32]) {
    for v in y {
        *v = A::f(*v);
    }
}
/// `y = A(x)`.
#[inline]
pub fn act_copy<A: Activation>(x: &[f32], y: &mut [f32]) {
    for (o, &v) in y.iter_mut().zip(x) {
        *o = A::f(v);
    }
}
/// `d = d · A'(y)` in place, from the activation's output alone (valid for ReLU, Sigmoid, Tanh
/// and LeakyReLU with a positive slope, whose input and output have the same sign).
#[inline]
pub fn act_backward<A: Activation>(y: &[f32], d: &mut [f32]) {
    for (o, &v) in d.iter_mut().zip(y) {
        *o *= A::df(v, v);
    }
}
/// Batch-norm (eval) folded into the preceding convolution's output row of channel `o`:
/// `row = (row − μ)·γ/√(σ² + ε) + β`, applied while the row is in cache.
#[inline]
#[allow(clippy::too_many_arguments)]
pub fn bn_fold(
    row: &mut [f32],
    o: usize,
    weight: &[f32],
    bias: &[f32],
    mean: &[f32],
    var: &[f32],
    eps: f32,
) {
    let a = weight[o] / crate::math::sqrt(var[o] + eps);
    let b = bias[o] - mean[o] * a;
    for v in row {
        *v = *v * a + b;
    }
}
/// `y += x`.
#[inline]
pub fn add(y: &mut [f32], x: &[f32]) {
    for (o, v) in y.iter_mut().zip(x) {
        *o += v;
    }
}

/// The rows of a row-major `rows×len` matrix as gemm [`Rows`] (read in place, never packed).
#[inline]
pub fn rows_of(data: &[f32], len: usize) -> Rows<'_> {
    Rows {
        data,
        offs: Offsets::Window {
            k: 1,
            plane: len,
            row: 0,
            col: 0,
        },
    }
}

/// Floats of the zero-padded image of a stride-1 convolution (`[C, H+2P, W+2P]` and the tail
/// the last shifted window reads).
pub const fn xpad_len(g: &Geom) -> usize {
    g.c * (g.h + 2 * g.p) * (g.w + 2 * g.p) + (g.k - 1) * g.d
}
/// Whether a convolution runs on shifted windows of its padded input (stride 1, not 1×1
/// unpadded, and the padded image plus the wide output take less than the column matrix).
pub const fn conv_shifted(g: &Geom, o: usize) -> bool {
    g.s == 1 && !g.is_identity() && xpad_len(g) + o * g.oh * (g.w + 2 * g.p) <= g.rows() * g.cols()
}
/// The scratch of one sample of [`conv2d_infer`]: nothing (1×1 stride-1 unpadded), the padded
/// image and the wide output ([`conv_shifted`]), or the column matrix.
pub const fn conv_scratch(g: Geom, o: usize) -> usize {
    if g.is_identity() {
        0
    } else if conv_shifted(&g, o) {
        xpad_len(&g) + o * g.oh * (g.w + 2 * g.p)
    } else {
        g.rows() * g.cols()
    }
}
/// Copies `x` (`[C, H, W]`) into the zero-padded image `xpad` (rows `W + 2P` apart).
fn pad_image(g: &Geom, x: &[f32], xpad: &mut [f32]) {
    let (hp, wp) = (g.h + 2 * g.p, g.w + 2 * g.p);
    xpad[..xpad_len(g)].fill(0.0);
    for (c, xc) in x[..g.c * g.h * g.w].chunks_exact(g.h * g.w).enumerate() {
        for (iy, xr) in xc.chunks_exact(g.w).enumerate() {
            xpad[(c * hp + iy + g.p) * wp + g.p..][..g.w].copy_from_slice(xr);
        }
    }
}
/// The shifted windows of `xpad`: row `(c, ki, kj)` of the column matrix, `W + 2P` wide.
fn windows<'a>(g: &Geom, xpad: &'a [f32]) -> Rows<'a> {
    let wp = g.w + 2 * g.p;
    Rows {
        data: xpad,
        offs: Offsets::Window {
            k: g.k,
            plane: (g.h + 2 * g.p) * wp,
            row: g.d * wp,
            col: g.d,
        },
    }
}

/// One sample of `Conv2d` on the packed gemm tiles (the weights read in place), then
/// `post(o, bias[o] + Y[o])` on each output row while it is in cache. Stride 1 reads shifted
/// windows of the padded input (no im2col; the product is `W + 2P` wide and the extra columns
/// are dropped by the bias pass); other strides multiply the column matrix. An empty `b` is a
/// convolution without bias (`O` then comes from the weight's length). `scratch` holds
/// [`conv_scratch`] floats.
pub fn conv2d_infer<F: FnMut(usize, &mut [f32])>(
    w: &[f32],
    b: &[f32],
    g: &Geom,
    x: &[f32],
    y: &mut [f32],
    scratch: &mut [f32],
    mut post: F,
) {
    let (r, m) = (g.rows(), g.cols());
    let o = w.len() / r;
    let bias = |oc: usize| if b.is_empty() { 0.0 } else { b[oc] };
    let wl = Lhs::InPlace(Mat::rows(w, r));
    if conv_shifted(g, o) {
        let wp = g.w + 2 * g.p;
        let ld = g.oh * wp;
        let (xpad, wide) = scratch.split_at_mut(xpad_len(g));
        pad_image(g, x, xpad);
        let wide = &mut wide[..o * ld];
        gemm(
            o,
            ld,
            r,
            wl,
            Rhs::Rows(windows(g, xpad)),
            0.0,
            wide,
            ld,
            &mut [],
        );
        for (oc, (yo, wo)) in y[..o * m]
            .chunks_exact_mut(m)
            .zip(wide.chunks_exact(ld))
            .enumerate()
        {
            let bo = bias(oc);
            for (yr, wr) in yo.chunks_exact_mut(g.ow).zip(wo.chunks_exact(wp)) {
                for (d, s) in yr.iter_mut().zip(wr) {
                    *d = s + bo;
                }
            }
            post(oc, yo);
        }
        return;
    }
    let cols: &[f32] = if g.is_identity() {
        x
    } else {
        im2col(g, x, &mut scratch[..r * m]);
        &scratch[..r * m]
    };
    gemm(o, m, r, wl, Rhs::Rows(rows_of(cols, m)), 0.0, y, m, &mut []);
    for (oc, yo) in y[..o * m].chunks_exact_mut(m).enumerate() {
        if !b.is_empty() {
            let bo = b[oc];
            for v in yo.iter_mut() {
                *v += bo;
            }
        }
        post(oc, yo);
    }
}

/// `max(a, b)` as `MaxPool2d` takes it (a NaN wins), without a branch.
#[inline(always)]
fn pool_max(a: f32, b: f32) -> f32 {
    if b > a || b.is_nan() {
        b
    } else {
        a
    }
}
/// `MaxPool2d` inference (no padding, no dilation) on one sample `[C, H, W]` → `[C, H', W']`,
/// row by row of the window with selects instead of the layer's data-dependent branches (the
/// same maximum, NaN included).
#[allow(clippy::too_many_arguments)]
pub fn max_pool(
    c: usize,
    h: usize,
    w: usize,
    k: usize,
    s: usize,
    oh: usize,
    ow: usize,
    x: &[f32],
    y: &mut [f32],
) {
    for (xc, yc) in x
        .chunks_exact(h * w)
        .zip(y.chunks_exact_mut(oh * ow))
        .take(c)
    {
        for (oy, yr) in yc.chunks_exact_mut(ow).enumerate() {
            yr.fill(f32::NEG_INFINITY);
            for ki in 0..k {
                let xr = &xc[(oy * s + ki) * w..][..w];
                if k == 2 && s == 2 {
                    for (o, p) in yr.iter_mut().zip(xr.chunks_exact(2)) {
                        *o = pool_max(pool_max(*o, p[0]), p[1]);
                    }
                } else {
                    for (ox, o) in yr.iter_mut().enumerate() {
                        for &v in &xr[ox * s..ox * s + k] {
                            *o = pool_max(*o, v);
                        }
                    }
                }
            }
        }
    }
}

/// One sample of `Linear`: `y = post(b + W·x)`.
pub fn linear_infer<F: FnMut(usize, &mut [f32])>(
    w: &[f32],
    b: &[f32],
    x: &[f32],
    y: &mut [f32],
    mut post: F,
) {
    let ni = x.len();
    for ((yo, &bo), wo) in y.iter_mut().zip(b).zip(w.chunks_exact(ni)) {
        *yo = bo + dot(wo, x);
    }
    post(0, y);
}

/// Adds `t` (`[C, TH, TW]`, `n` samples) cropped at `(top, left)` into `y` (`[C, H, W]`).
#[allow(clippy::too_many_arguments)]
pub fn crop_add(
    y: &mut [f32],
    t: &[f32],
    c: usize,
    th: usize,
    tw: usize,
    h: usize,
    w: usize,
    top: usize,
    left: usize,
) {
    for (ys, ts) in y
        .chunks_exact_mut(c * h * w)
        .zip(t.chunks_exact(c * th * tw))
    {
        for (yc, tc) in ys.chunks_exact_mut(h * w).zip(ts.chunks_exact(th * tw)) {
            for (i, yr) in yc.chunks_exact_mut(w).enumerate() {
                let src = &tc[(top + i) * tw + left..(top + i) * tw + left + w];
                add(yr, src);
            }
        }
    }
}
/// The adjoint of [`crop_add`]'s `t` argument: `dt` = `d` placed at `(top, left)`, zero elsewhere.
#[allow(clippy::too_many_arguments)]
pub fn crop_backward(
    d: &[f32],
    dt: &mut [f32],
    c: usize,
    th: usize,
    tw: usize,
    h: usize,
    w: usize,
    top: usize,
    left: usize,
) {
    dt.fill(0.0);
    for (ds, ts) in d
        .chunks_exact(c * h * w)
        .zip(dt.chunks_exact_mut(c * th * tw))
    {
        for (dc, tc) in ds.chunks_exact(h * w).zip(ts.chunks_exact_mut(th * tw)) {
            for (i, dr) in dc.chunks_exact(w).enumerate() {
                tc[(top + i) * tw + left..(top + i) * tw + left + w].copy_from_slice(dr);
            }
        }
    }
}

/// Copies part `src` (`per` floats a sample, `n` samples) into its place `off..off+per` of each
/// `total`-float sample of `y` (channel concat of a batch).
pub fn concat_part(y: &mut [f32], src: &[f32], total: usize, off: usize, per: usize) {
    for (ys, ss) in y.chunks_exact_mut(total).zip(src.chunks_exact(per)) {
        ys[off..off + per].copy_from_slice(ss);
    }
}
/// The adjoint of [`concat_part`]: copies each sample's `off..off+per` of `d` into `dst`.
pub fn split_part(d: &[f32], dst: &mut [f32], total: usize, off: usize, per: usize) {
    for (ds, ss) in d.chunks_exact(total).zip(dst.chunks_exact_mut(per)) {
        ss.copy_from_slice(&ds[off..off + per]);
    }
}

/// `d_in = d_out · A'(x, y)` for a standalone activation layer.
#[inline]
pub fn act_grad<A: Activation>(x: &[f32], y: &[f32], dy: &[f32], dx: &mut [f32]) {
    for (((o, &a), &b), &g) in dx.iter_mut().zip(x).zip(y).zip(dy) {
        *o = g * A::df(a, b);
    }
}

/// One row of a network summary.
pub struct Row {
    /// The layer as written (indented inside blocks), its field, output shape, counts.
    pub layer: &'static str,
    pub field: &'static str,
    pub shape: &'static str,
    pub params: usize,
    pub macs: usize,
}
/// A Keras-style table of a network: layer, output shape, parameters, MACs.
pub struct Summary {
    pub name: &'static str,
    pub input: &'static str,
    pub rows: &'static [Row],
    pub params: usize,
    pub macs: usize,
    pub weight_bytes: usize,
    pub arena_bytes: usize,
}
/// `1234567` as `1,234,567`.
struct Thousands(usize);
impl core::fmt::Display for Thousands {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut buf = [0u8; 40];
        let mut n = self.0;
        let mut i = buf.len();
        let mut k = 0;
        loop {
            if k == 3 {
                i -= 1;
                buf[i] = b',';
                k = 0;
            }
            i -= 1;
            buf[i] = b'0' + (n % 10) as u8;
            n /= 10;
            k += 1;
            if n == 0 {
                break;
            }
        }
        let s = core::str::from_utf8(&buf[i..]).map_err(|_| core::fmt::Error)?;
        f.pad(s)
    }
}
impl core::fmt::Display for Summary {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let w = self
            .rows
            .iter()
            .map(|r| r.layer.chars().count())
            .max()
            .unwrap_or(5)
            .max(5)
            + 2;
        let line = "-".repeat_fmt(w + 46);
        writeln!(f, "{}: input {}", self.name, self.input)?;
        writeln!(f, "{line}")?;
        writeln!(
            f,
            "{:<w$}{:<16}{:>14}{:>16}",
            "Layer", "Output shape", "Params", "MACs"
        )?;
        writeln!(f, "{line}")?;
        for r in self.rows {
            writeln!(
                f,
                "{:<w$}{:<16}{:>14}{:>16}",
                r.layer,
                r.shape,
                Thousands(r.params),
                Thousands(r.macs)
            )?;
        }
        writeln!(f, "{line}")?;
        writeln!(
            f,
            "Total params: {} ({} weight bytes)",
            Thousands(self.params),
            Thousands(self.weight_bytes)
        )?;
        writeln!(f, "MACs per sample: {}", Thousands(self.macs))?;
        write!(f, "Inference arena: {} bytes", Thousands(self.arena_bytes))
    }
}
/// A run of a character, printed without allocating.
struct Repeat(char, usize);
impl core::fmt::Display for Repeat {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for _ in 0..self.1 {
            core::fmt::Write::write_char(f, self.0)?;
        }
        Ok(())
    }
}
trait RepeatFmt {
    fn repeat_fmt(&self, n: usize) -> Repeat;
}
impl RepeatFmt for str {
    fn repeat_fmt(&self, n: usize) -> Repeat {
        Repeat(self.chars().next().unwrap_or('-'), n)
    }
}

#[cfg(feature = "alloc")]
pub use alloc::{boxed::Box, vec::Vec};
#[cfg(feature = "alloc")]
pub use train::*;
#[cfg(feature = "alloc")]
mod train {
    use super::*;
    use crate::kernels::gemm::{pack_a, packed_len, ws_a, ws_b};
    use crate::kernels::im2col::col2im;
    use crate::kernels::{par, sum};
    use alloc::vec::Vec;

    /// Grows `v` to at least `n` elements (allocates on the first step only).
    pub fn reserve(v: &mut Vec<f32>, n: usize) {
        if v.len() < n {
            v.resize(n, 0.0);
        }
    }

    /// Per-piece buffers of the fused kernels (one piece per thread of a batch split) and the
    /// packed `Wᵀ` of a convolution's backward; shared by every layer of a network, grown on
    /// the first step only.
    #[derive(Default)]
    pub struct Work {
        pieces: Vec<Piece>,
        wt: Vec<f32>,
    }
    /// One piece's buffers and its partial parameter gradients.
    #[derive(Default)]
    pub struct Piece {
        cols: Vec<f32>,
        dcols: Vec<f32>,
        dyw: Vec<f32>,
        dxpad: Vec<f32>,
        ws: Vec<f32>,
        gw: Vec<f32>,
        gb: Vec<f32>,
    }
    impl Work {
        /// The first `p` pieces, with `ws` floats of packing space and (when `grads`) zeroed
        /// partial gradients of `gw`, `gb` floats.
        fn pieces(
            &mut self,
            p: usize,
            ws: usize,
            cols: usize,
            gw: usize,
            gb: usize,
        ) -> &mut [Piece] {
            if self.pieces.len() < p {
                self.pieces.resize_with(p, Default::default);
            }
            for pc in &mut self.pieces[..p] {
                reserve(&mut pc.ws, ws);
                reserve(&mut pc.cols, cols);
                reserve(&mut pc.dcols, cols);
                pc.gw.clear();
                pc.gw.resize(gw, 0.0);
                pc.gb.clear();
                pc.gb.resize(gb, 0.0);
            }
            &mut self.pieces[..p]
        }
    }
    /// Adds each piece's partial gradients into `gw`, `gb`.
    fn sum_grads(pieces: &[Piece], gw: &mut [f32], gb: &mut [f32]) {
        for pc in pieces {
            add(gw, &pc.gw);
            add(gb, &pc.gb);
        }
    }

    /// `Conv2d` over `n` samples, the batch split over the thread pool; `post(o, row)` runs on
    /// each output row (bias added; an empty `b` is none) while it is in cache.
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
        let ps = work.pieces(p, 0, conv_scratch(*g, o), 0, 0);
        par::for_chunks_with(ps, n, &mut y[..n * yn], yn, |pc, start, ys| {
            for (i, yi) in ys.chunks_exact_mut(yn).enumerate() {
                let xi = &x[(start + i) * xn..][..xn];
                conv2d_infer(w, b, g, xi, yi, &mut pc.cols, &post);
            }
        });
    }

    /// `Conv2d` backward over `n` samples, split over the thread pool: `dx = col2im(Wᵀ·dY)`
    /// (`Wᵀ` packed once), `gw += dY·colsᵀ`, `gb += Σ dY` (nothing for an empty `gb`: no
    /// bias), partial gradients per piece.
    #[allow(clippy::too_many_arguments)]
    pub fn conv2d_backward(
        w: &[f32],
        g: &Geom,
        n: usize,
        x: &[f32],
        dy: &[f32],
        dx: &mut [f32],
        work: &mut Work,
        gw: &mut [f32],
        gb: &mut [f32],
    ) {
        let (r, m) = (g.rows(), g.cols());
        let (o, nb) = (w.len() / r, gb.len());
        let (xn, yn) = (g.c * g.h * g.w, o * m);
        reserve(&mut work.wt, packed_len(r, o));
        pack_a(r, o, Mat::t(w, r), &mut work.wt);
        let p = par::pieces(n, 2 * yn * r);
        let wt = core::mem::take(&mut work.wt);
        if conv_shifted(g, o) {
            let (wp, ld, xl) = (g.w + 2 * g.p, g.oh * (g.w + 2 * g.p), xpad_len(g));
            let ps = work.pieces(p, ws_b(r, ld), r * ld, o * r, nb);
            for pc in ps.iter_mut() {
                reserve(&mut pc.cols, xl);
                reserve(&mut pc.dyw, o * ld);
                reserve(&mut pc.dxpad, xl);
            }
            par::for_chunks_with(ps, n, &mut dx[..n * xn], xn, |pc, start, dxs| {
                let Piece {
                    cols,
                    dcols,
                    dyw,
                    dxpad,
                    ws,
                    gw,
                    gb,
                } = pc;
                let (xpad, dyw, dcols, dxpad) = (
                    &mut cols[..xl],
                    &mut dyw[..o * ld],
                    &mut dcols[..r * ld],
                    &mut dxpad[..xl],
                );
                for (i, dxi) in dxs.chunks_exact_mut(xn).enumerate() {
                    let s = start + i;
                    let dyi = &dy[s * yn..][..yn];
                    pad_image(g, &x[s * xn..][..xn], xpad);
                    // dY wide (rows W + 2P apart, zero in the extra columns)
                    for (dwc, dyc) in dyw.chunks_exact_mut(ld).zip(dyi.chunks_exact(m)) {
                        for (dwr, dyr) in dwc.chunks_exact_mut(wp).zip(dyc.chunks_exact(g.ow)) {
                            dwr[..g.ow].copy_from_slice(dyr);
                            dwr[g.ow..].fill(0.0);
                        }
                    }
                    for (bb, dyc) in gb.iter_mut().zip(dyi.chunks_exact(m)) {
                        *bb += sum(dyc);
                    }
                    // gw[O, CKK] += dY · windowsᵀ
                    let win = windows(g, xpad);
                    let dyl = Lhs::InPlace(Mat::rows(dyw, ld));
                    gemm(o, r, ld, dyl, Rhs::RowsT(win), 1.0, gw, r, ws);
                    // dcols = Wᵀ · dY, each row added back into the padded dx along its shift
                    let dyr = Rhs::Rows(rows_of(dyw, ld));
                    gemm(r, ld, o, Lhs::Packed(&wt), dyr, 0.0, dcols, ld, &mut []);
                    dxpad.fill(0.0);
                    for (rr, dc) in dcols.chunks_exact(ld).enumerate() {
                        add(&mut dxpad[win.offs.at(rr)..][..ld], dc);
                    }
                    let hp = g.h + 2 * g.p;
                    for (c, dxc) in dxi.chunks_exact_mut(g.h * g.w).enumerate() {
                        for (iy, dxr) in dxc.chunks_exact_mut(g.w).enumerate() {
                            dxr.copy_from_slice(&dxpad[(c * hp + iy + g.p) * wp + g.p..][..g.w]);
                        }
                    }
                }
            });
            sum_grads(ps, gw, gb);
            work.wt = wt;
            return;
        }
        let id = g.is_identity();
        let cols = if id { 0 } else { r * m };
        let ps = work.pieces(p, ws_b(r, m), cols, o * r, nb);
        par::for_chunks_with(ps, n, &mut dx[..n * xn], xn, |pc, start, dxs| {
            let Piece {
                cols,
                dcols,
                ws,
                gw,
                gb,
                ..
            } = pc;
            for (i, dxi) in dxs.chunks_exact_mut(xn).enumerate() {
                let (s, dyi) = (start + i, &dy[(start + i) * yn..][..yn]);
                let xi = &x[s * xn..][..xn];
                let c: &[f32] = if id {
                    xi
                } else {
                    im2col(g, xi, &mut cols[..r * m]);
                    &cols[..r * m]
                };
                // gw[O, CKK] += dY · colsᵀ
                let dyl = Lhs::InPlace(Mat::rows(dyi, m));
                gemm(o, r, m, dyl, Rhs::RowsT(rows_of(c, m)), 1.0, gw, r, ws);
                for (bb, row) in gb.iter_mut().zip(dyi.chunks_exact(m)) {
                    *bb += sum(row);
                }
                // dcols[CKK, H'W'] = Wᵀ · dY
                let dyr = Rhs::Rows(rows_of(dyi, m));
                if id {
                    gemm(r, m, o, Lhs::Packed(&wt), dyr, 0.0, dxi, m, &mut []);
                } else {
                    let dc = &mut dcols[..r * m];
                    gemm(r, m, o, Lhs::Packed(&wt), dyr, 0.0, dc, m, &mut []);
                    dxi.fill(0.0);
                    col2im(g, dc, dxi);
                }
            }
        });
        sum_grads(ps, gw, gb);
        work.wt = wt;
    }

    /// [`max_pool`] over `n` samples, the batch split over the thread pool.
    #[allow(clippy::too_many_arguments)]
    pub fn max_pool_forward(
        c: usize,
        h: usize,
        w: usize,
        k: usize,
        s: usize,
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
        k: usize,
        s: usize,
        oh: usize,
        ow: usize,
        n: usize,
        x: &[f32],
        y: &[f32],
        dy: &[f32],
        dx: &mut [f32],
    ) {
        let (xn, yn) = (c * h * w, c * oh * ow);
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
                        let row0 = ch * h * w + oy * s * w;
                        for ox in 0..ow {
                            let (m, base) = (yi[o0 + ox], row0 + ox * s);
                            let mut at = base;
                            if m.is_nan() {
                                for ki in 0..k {
                                    for kj in 0..k {
                                        let j = base + ki * w + kj;
                                        if xi[j].is_nan() {
                                            at = j;
                                        }
                                    }
                                }
                            } else {
                                // backwards with selects: the first equal one is kept
                                for ki in (0..k).rev() {
                                    for kj in (0..k).rev() {
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

    /// `Linear` over `n` samples: `Y = X·Wᵀ` on the gemm tiles, then `post(0, b + row)` on
    /// each sample's row; the batch split over the thread pool.
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
        let p = par::pieces(n, no * ni);
        let ps = work.pieces(p, ws_b(no, ni), 0, 0, 0);
        par::for_chunks_with(ps, n, &mut y[..n * no], no, |pc, start, ys| {
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
                post(0, row);
            }
        });
    }

    /// `Linear` backward over `n` samples: `dx = dY·W`, `gw += dYᵀ·X`, `gb += Σ dY`, the batch
    /// split over the thread pool with partial gradients per piece.
    #[allow(clippy::too_many_arguments)]
    pub fn linear_backward(
        w: &[f32],
        n: usize,
        x: &[f32],
        dy: &[f32],
        dx: &mut [f32],
        work: &mut Work,
        gw: &mut [f32],
        gb: &mut [f32],
    ) {
        let no = gb.len();
        let ni = w.len() / no.max(1);
        let p = par::pieces(n, 2 * no * ni);
        let per = n.div_ceil(p.max(1)).max(1);
        let ps = work.pieces(p, ws_a(no, per), 0, no * ni, no);
        par::for_chunks_with(ps, n, &mut dx[..n * ni], ni, |pc, start, dxs| {
            let rows = dxs.len() / ni.max(1);
            let dyp = &dy[start * no..][..rows * no];
            let dyl = Lhs::InPlace(Mat::rows(dyp, no));
            gemm(
                rows,
                ni,
                no,
                dyl,
                Rhs::Rows(rows_of(w, ni)),
                0.0,
                dxs,
                ni,
                &mut [],
            );
            let xr = Rhs::Rows(rows_of(&x[start * ni..][..rows * ni], ni));
            gemm(
                no,
                ni,
                rows,
                Lhs::Mat(Mat::t(dyp, no)),
                xr,
                1.0,
                &mut pc.gw,
                ni,
                &mut pc.ws,
            );
            for r in dyp.chunks_exact(no) {
                add(&mut pc.gb, r);
            }
        });
        sum_grads(ps, gw, gb);
    }
}

/// Expands its input only when `dl-core` has the `alloc` feature (training code).
#[cfg(feature = "alloc")]
#[macro_export]
#[doc(hidden)]
macro_rules! __dl_if_alloc {
    ($($t:tt)*) => { $($t)* };
}
/// Expands its input only when `dl-core` has the `alloc` feature (training code).
#[cfg(not(feature = "alloc"))]
#[macro_export]
#[doc(hidden)]
macro_rules! __dl_if_alloc {
    ($($t:tt)*) => {};
}
#[doc(hidden)]
pub use crate::__dl_if_alloc as if_alloc;

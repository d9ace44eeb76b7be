//! Inference entry points of the fused code: convolution (stride 1 on shifted windows of the
//! padded input, other strides on im2col columns), linear, branch-free max-pooling, and the
//! per-row epilogues (bias, batch-norm folding, activation) they call while a row is in cache.
use crate::kernels::gemm::{gemm, Lhs, Mat, Offsets, Rhs, Rows};
use crate::kernels::im2col::{im2col, Geom};
use crate::kernels::{chanconv, rowconv};

/// The geometry of a convolution window: kernel `[kh, kw]`, stride `[sh, sw]`, padding
/// `[top, bottom, left, right]`, dilation `[dh, dw]`.
pub const fn geom(
    c: usize,
    h: usize,
    w: usize,
    k: [usize; 2],
    s: [usize; 2],
    p: [usize; 4],
    d: [usize; 2],
) -> Geom {
    Geom::new(c, h, w, k, s, p, d)
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
/// The rows of a row-major `rows×len` matrix as gemm [`Rows`] (read in place, never packed).
#[inline]
pub fn rows_of(data: &[f32], len: usize) -> Rows<'_> {
    Rows {
        data,
        offs: Offsets::Window {
            kh: 1,
            kw: 1,
            plane: len,
            row: 0,
            col: 0,
        },
    }
}

/// Floats of the zero-padded image of a stride-1 convolution (`[C, Hp, Wp]`, `Hp = H + top +
/// bottom`, `Wp = W + left + right`, and the tail the last shifted window reads).
pub const fn xpad_len(g: &Geom) -> usize {
    g.c * g.hp() * g.wp() + (g.kw - 1) * g.dw
}
/// Whether a convolution runs on shifted windows of its padded input (stride 1, not 1×1
/// unpadded, and the padded image plus the wide output take less than the column matrix).
pub const fn conv_shifted(g: &Geom, o: usize) -> bool {
    g.sh == 1
        && g.sw == 1
        && !g.is_identity()
        && xpad_len(g) + o * g.oh * g.wp() <= g.rows() * g.cols()
}
/// Whether the geometry pads the image.
const fn padded(g: &Geom) -> bool {
    g.pt + g.pb + g.pl + g.pr > 0
}
/// The scratch of one sample of [`conv2d_infer`]: nothing (1×1 stride-1 unpadded), the padded
/// image and the wide output ([`conv_shifted`]), or the column matrix.
/// The same on every target and CPU, so arenas do not depend on them: the direct kernels
/// ([`chanconv`], [`rowconv`]: AVX-512) write straight into `y` and run only where this scratch
/// also holds what they need (the packed weights; the padded image when the input is padded).
pub const fn conv_scratch(g: Geom, o: usize) -> usize {
    if g.is_identity() {
        0
    } else if conv_shifted(&g, o) {
        xpad_len(&g) + o * g.oh * g.wp()
    } else {
        g.rows() * g.cols()
    }
}
/// Copies `x` (`[C, H, W]`) into the zero-padded image `xpad` (rows `Wp` apart).
pub(crate) fn pad_image(g: &Geom, x: &[f32], xpad: &mut [f32]) {
    let (hp, wp) = (g.hp(), g.wp());
    xpad[..xpad_len(g)].fill(0.0);
    for (c, xc) in x[..g.c * g.h * g.w].chunks_exact(g.h * g.w).enumerate() {
        for (iy, xr) in xc.chunks_exact(g.w).enumerate() {
            xpad[(c * hp + iy + g.pt) * wp + g.pl..][..g.w].copy_from_slice(xr);
        }
    }
}
/// The shifted windows of `xpad`: row `(c, ki, kj)` of the column matrix, `Wp` wide.
pub(super) fn windows<'a>(g: &Geom, xpad: &'a [f32]) -> Rows<'a> {
    let wp = g.wp();
    Rows {
        data: xpad,
        offs: Offsets::Window {
            kh: g.kh,
            kw: g.kw,
            plane: g.hp() * wp,
            row: g.dh * wp,
            col: g.dw,
        },
    }
}

/// One sample of `Conv2d` on the packed gemm tiles (the weights read in place), then
/// `post(o, bias[o] + Y[o])` on each output row while it is in cache. Stride 1 reads shifted
/// windows of the padded input (no im2col; the product is `Wp` wide and the extra columns
/// are dropped by the bias pass; under AVX-512 the shapes of the direct kernels, [`rowconv`]
/// and [`chanconv`], go straight into `y` instead); other strides multiply the column matrix.
/// An empty `b` is a convolution without bias (`O` then comes from the weight's length).
/// `scratch` holds [`conv_scratch`] floats.
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
    // a scratch shorter than `conv_scratch` fails here, whichever kernel would run
    let scratch = &mut scratch[..conv_scratch(*g, o)];
    // the direct kernels (AVX-512; bias and post their own), straight into y: LeNet-5's
    // second convolution on Winograd, its filters transformed once for unchanged weights
    #[cfg(feature = "std")]
    if let Some(true) = crate::kernels::wino5::with_filters(g, w, o, |u| {
        crate::kernels::wino5::forward(u, b, g, o, x, y, &mut post)
    }) {
        return;
    }
    if chanconv::usable(g, o) && scratch.len() >= o * r {
        chanconv::pack(w, o, r, scratch);
        if chanconv::forward(&scratch[..o * r], b, g, o, x, y, &mut post) {
            return;
        }
    }
    if rowconv::usable(g, o) && (!padded(g) || scratch.len() >= xpad_len(g)) {
        // unpadded, the windows are read from the input itself
        let xp: &[f32] = if padded(g) {
            pad_image(g, x, scratch);
            &scratch[..xpad_len(g)]
        } else {
            x
        };
        if rowconv::forward(w, b, g, o, xp, y, &mut post) {
            return;
        }
    }
    let wl = Lhs::InPlace(Mat::rows(w, r));
    if conv_shifted(g, o) {
        let wp = g.wp();
        let ld = g.oh * wp;
        let (xpad, wide) = scratch.split_at_mut(xpad_len(g));
        pad_image(g, x, xpad);
        let wide = &mut wide[..o * ld];
        let xw = Rhs::Rows(windows(g, xpad));
        gemm(o, ld, r, wl, xw, 0.0, wide, ld, &mut []);
        for (oc, (yo, wo)) in y[..o * m]
            .chunks_exact_mut(m)
            .zip(wide.chunks_exact(ld))
            .enumerate()
        {
            let bo = b.get(oc).copied().unwrap_or(0.0);
            for (yr, wr) in yo.chunks_exact_mut(g.ow).zip(wo.chunks_exact(wp)) {
                for (d, s) in yr.iter_mut().zip(wr) {
                    *d = s + bo;
                }
            }
            post(oc, yo);
        }
        return;
    } else {
        let cols: &[f32] = if g.is_identity() {
            x
        } else {
            im2col(g, x, &mut scratch[..r * m]);
            &scratch[..r * m]
        };
        gemm(o, m, r, wl, Rhs::Rows(rows_of(cols, m)), 0.0, y, m, &mut []);
    }
    for (oc, yo) in y[..o * m].chunks_exact_mut(m).enumerate() {
        if let Some(&bo) = b.get(oc) {
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
/// `MaxPool2d` inference (no padding, no dilation; kernel `[kh, kw]`, stride `[sh, sw]`) on one
/// sample `[C, H, W]` → `[C, H', W']`: non-overlapping square windows on the layer's kernel
/// ([`max_pool_k`](crate::kernels::maxpool::max_pool_k)), others row by row of the window with
/// selects (the same maximum, NaN included).
#[allow(clippy::too_many_arguments)]
pub fn max_pool(
    c: usize,
    h: usize,
    w: usize,
    k: [usize; 2],
    s: [usize; 2],
    oh: usize,
    ow: usize,
    x: &[f32],
    y: &mut [f32],
) {
    let ([kh, kw], [sh, sw]) = (k, s);
    if kh == kw && sh == kh && sw == kw && oh * kh <= h && ow * kw <= w {
        // non-overlapping windows inside the input: the layer's kernel (eight windows a step
        // for 2×2 under AVX2), the same maxima
        return crate::kernels::maxpool::max_pool_k(x, [c, h, w], kh, [oh, ow], y, &mut []);
    }
    for (xc, yc) in x
        .chunks_exact(h * w)
        .zip(y.chunks_exact_mut(oh * ow))
        .take(c)
    {
        for (oy, yr) in yc.chunks_exact_mut(ow).enumerate() {
            yr.fill(f32::NEG_INFINITY);
            for ki in 0..kh {
                let xr = &xc[(oy * sh + ki) * w..][..w];
                if kw == 2 && sw == 2 {
                    for (o, p) in yr.iter_mut().zip(xr.chunks_exact(2)) {
                        *o = pool_max(pool_max(*o, p[0]), p[1]);
                    }
                } else {
                    for (ox, o) in yr.iter_mut().enumerate() {
                        for &v in &xr[ox * sw..ox * sw + kw] {
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
    crate::kernels::gemv(w, x, b, y);
    post(0, y);
}

/// Buffers of whole-batch inference ([`Layer::infer_batch`](crate::Layer::infer_batch)): two
/// batch-sized intermediates and a kernel's scratch, taken from a per-thread pool (under `std`)
/// and given back, so repeated `forward` calls reuse them (nested takes get other buffers).
#[cfg(feature = "alloc")]
#[derive(Default)]
pub struct BatchBufs {
    /// An intermediate.
    pub a: alloc::vec::Vec<f32>,
    /// The other intermediate.
    pub b: alloc::vec::Vec<f32>,
    /// Scratch.
    pub s: alloc::vec::Vec<f32>,
}
#[cfg(feature = "std")]
std::thread_local!(static POOL: core::cell::RefCell<alloc::vec::Vec<BatchBufs>> =
    const { core::cell::RefCell::new(alloc::vec::Vec::new()) });
#[cfg(feature = "alloc")]
impl BatchBufs {
    /// Buffers from this thread's pool (empty ones when it has none).
    pub fn take() -> Self {
        #[cfg(feature = "std")]
        if let Some(b) = POOL.with(|p| p.try_borrow_mut().ok().and_then(|mut p| p.pop())) {
            return b;
        }
        Self::default()
    }
    /// Back to this thread's pool (dropped without `std`).
    pub fn give(self) {
        #[cfg(feature = "std")]
        POOL.with(|p| {
            if let Ok(mut p) = p.try_borrow_mut() {
                p.push(self);
            }
        });
    }
}

/// `Conv2d` (one group) on `n` samples `x[n, C, H, W]` → `y[n, O, H', W']` on the calling
/// thread: the whole batch on [`winograd::forward`](crate::kernels::winograd::forward) when it
/// [applies](crate::kernels::winograd::applies), the weights packed once and each sample on
/// [`chanconv::forward`] when [usable](chanconv::usable), otherwise [`conv2d_infer`] sample by
/// sample.
/// `post(o, plane)` runs on each output channel's plane of each sample (bias added; an empty
/// `b` is none); `scratch` grows to what the kernel needs.
#[cfg(feature = "alloc")]
#[allow(clippy::too_many_arguments)]
pub fn conv2d_infer_batch<F: FnMut(usize, &mut [f32])>(
    w: &[f32],
    b: &[f32],
    g: &Geom,
    n: usize,
    x: &[f32],
    y: &mut [f32],
    scratch: &mut alloc::vec::Vec<f32>,
    mut post: F,
) {
    use crate::kernels::{wino5, winograd};
    let o = w.len() / g.rows().max(1);
    if winograd::applies(g, o) {
        super::reserve(scratch, winograd::scratch(g, o, n));
        winograd::forward(w, b, g, n, x, y, scratch, post);
        return;
    }
    let (xn, yn) = (g.c * g.h * g.w, o * g.cols());
    super::reserve(scratch, conv_scratch(*g, o));
    if wino5::usable(g, o) {
        // the filters transformed once for the whole batch, beside the fallback's scratch
        let ul = wino5::filters_len(g, o);
        super::reserve(scratch, ul + conv_scratch(*g, o));
        let (u, rest) = scratch.split_at_mut(ul);
        wino5::transform(g, w, o, u);
        for (xi, yi) in x.chunks_exact(xn).zip(y[..n * yn].chunks_exact_mut(yn)) {
            if !wino5::forward(u, b, g, o, xi, yi, &mut post) {
                conv2d_infer(w, b, g, xi, yi, rest, &mut post);
            }
        }
        return;
    }
    if chanconv::usable(g, o) {
        // the weights packed once for the whole batch, beside the scratch of the fallback
        let r = g.rows();
        super::reserve(scratch, o * r + conv_scratch(*g, o));
        let (wp, rest) = scratch.split_at_mut(o * r);
        chanconv::pack(w, o, r, wp);
        for (xi, yi) in x.chunks_exact(xn).zip(y[..n * yn].chunks_exact_mut(yn)) {
            if !chanconv::forward(wp, b, g, o, xi, yi, &mut post) {
                conv2d_infer(w, b, g, xi, yi, rest, &mut post);
            }
        }
        return;
    }
    for (xi, yi) in x.chunks_exact(xn).zip(y[..n * yn].chunks_exact_mut(yn)) {
        conv2d_infer(w, b, g, xi, yi, scratch, &mut post);
    }
}

/// `Linear` on `n` samples `x[n, I]` → `y[n, O]` as one product over the batch (`W` read in
/// place), then `post(0, row)` on each sample's row after its bias; `scratch` grows to the
/// product's packing space.
#[cfg(feature = "alloc")]
pub fn linear_infer_batch<F: FnMut(usize, &mut [f32])>(
    w: &[f32],
    b: &[f32],
    n: usize,
    x: &[f32],
    y: &mut [f32],
    scratch: &mut alloc::vec::Vec<f32>,
    mut post: F,
) {
    let no = b.len();
    let ni = w.len() / no.max(1);
    super::reserve(scratch, crate::kernels::gemm::ws_b(no, ni));
    let xl = Lhs::InPlace(Mat::rows(&x[..n * ni], ni));
    let wr = Rhs::RowsT(rows_of(w, ni));
    gemm(n, no, ni, xl, wr, 0.0, &mut y[..n * no], no, scratch);
    for row in y[..n * no].chunks_exact_mut(no.max(1)) {
        for (v, bv) in row.iter_mut().zip(b) {
            *v += bv;
        }
        post(0, row);
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::kernels::direct;
    use crate::kernels::gemm::{force_path, Path};
    use crate::kernels::testing::{bits, vals};
    use std::vec;
    use std::vec::Vec;

    /// The shapes of the direct kernels ([`rowconv`], [`chanconv`]) on every path — the
    /// shifted-window product (portable, AVX2) and the direct kernels straight into `y`
    /// (AVX-512) — the definition's values within rounding, the AVX2 product and AVX-512 to the
    /// bit (but where AVX-512 runs `wino5`), `post` on each plane after the bias, nothing
    /// written past [`conv_scratch`], and a
    /// scratch one float shorter refused.
    #[test]
    fn direct_kernel_shapes_on_every_path() {
        // (c, h, w, k, pad, o, bias): LeNet-5's two convolutions, no bias, no padding (the
        // windows read from the input), a chanconv shape on a map larger than its weights
        let cases = [
            (1, 28, 28, 5, 2, 6, true),
            (6, 14, 14, 5, 0, 16, true),
            (2, 7, 10, 3, 1, 5, false),
            (3, 9, 30, 3, 0, 8, true),
            (1, 30, 30, 3, 0, 16, true),
        ];
        for (i, &(c, h, w, k, p, o, bias)) in cases.iter().enumerate() {
            let g = Geom::new(c, h, w, [k, k], [1, 1], [p; 4], [1, 1]);
            assert!(
                rowconv::applies(&g, o) || chanconv::applies(&g, o),
                "case {i}"
            );
            let r = g.rows();
            let sl = conv_scratch(g, o);
            let wt = vals(o * r, 3 + i as u32);
            let b = if bias { vals(o, 7) } else { Vec::new() };
            let x = vals(c * h * w, 1);
            let n = o * g.oh * g.ow;
            let mut want = vec![0.0; n];
            direct::conv(&wt, &b, &g, 1, &x, &mut want, |_, _| {});
            let mut outs = Vec::new();
            for path in [Some(Path::Portable), Some(Path::Avx2), None] {
                force_path(path);
                let (mut y, mut s) = (vec![f32::NAN; n + 1], vec![f32::NAN; sl + 1]);
                let mut seen = Vec::new();
                conv2d_infer(&wt, &b, &g, &x, &mut y[..n], &mut s[..sl], |oc, pl| {
                    seen.push(oc);
                    pl.iter_mut().for_each(|v| *v = v.max(-0.25));
                });
                force_path(None);
                assert_eq!(seen, (0..o).collect::<Vec<_>>(), "case {i}, {path:?}");
                assert!(y[n].is_nan() && s[sl].is_nan(), "case {i}, {path:?}");
                // a scratch one float short is refused on every path, whatever it would use
                if sl > 0 {
                    let short = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        let mut y = vec![0.0; n];
                        conv2d_infer(&wt, &b, &g, &x, &mut y, &mut s[..sl - 1], |_, _| {})
                    }));
                    assert!(short.is_err(), "case {i}, {path:?}: short scratch accepted");
                }
                for (j, (a, e)) in y[..n].iter().zip(&want).enumerate() {
                    let e = e.max(-0.25);
                    assert!((a - e).abs() <= 1e-5, "case {i}, {path:?}, {j}: {a} vs {e}");
                }
                outs.push(y);
            }
            // LeNet-5's second layer runs on Winograd under AVX-512 (`wino5`): its own
            // rounding, within the tolerance above (its error is `wino5`'s test)
            if !crate::kernels::wino5::applies(&g, o) {
                assert_eq!(
                    bits(&outs[1]),
                    bits(&outs[2]),
                    "case {i}: AVX2 product vs AVX-512"
                );
            }
        }
    }
}

//! Entry points for the code `network!` generates: fused kernels over plain slices (conv/linear
//! + bias + activation in one pass over each output row, in-place activation backward, crop-add,
//! channel concat) and the const checks the expansion uses. Not a stable public API.
//!
//! Nothing here allocates: inference writes into a caller-provided arena; training reuses the
//! buffers it is handed (`Vec`s grow on the first step only).
//!
//! Split by use: inference kernels in `infer.rs`, training in `train.rs`, the
//! summary table in `summary.rs`; the shape checks and small slice helpers are here.
use crate::layer::{Layer, Module, Zeroable};
use crate::layers::activation::Activation;
use crate::shape::Shape;

mod grouped;
mod infer;
mod place;
mod summary;
#[cfg(feature = "alloc")]
mod train;
#[cfg(feature = "alloc")]
pub use alloc::{boxed::Box, vec::Vec};
pub use grouped::*;
pub use infer::*;
pub use place::*;
pub use summary::*;
#[cfg(feature = "alloc")]
pub use train::*;

/// Requires `L: Layer<I, Out = O>`: the type system's check of a shape the macro computed.
pub const fn check<I: Shape, O: Shape, L: Layer<I, Out = O>>() {}
/// Requires `A` and `B` to be the same type (a residual add, a concat's spatial size).
pub const fn same<A: typenum::Same<B>, B>() {}
/// Requires `T: Zeroable + Module`.
pub const fn module<T: Zeroable + Module>() {}
/// Requires `T: Pod` (its bytes usable in place).
pub const fn pod<T: crate::layer::Pod>() {}
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
/// `y = A(y)` in place.
#[inline]
pub fn act<A: Activation>(y: &mut [f32]) {
    crate::kernels::simd(|| {
        for v in y {
            *v = A::f(*v);
        }
    })
}
/// `y = A(x)`.
#[inline]
pub fn act_copy<A: Activation>(x: &[f32], y: &mut [f32]) {
    crate::kernels::simd(|| {
        for (o, &v) in y.iter_mut().zip(x) {
            *o = A::f(v);
        }
    })
}
/// `d = d · A'(y)` in place, from the activation's output alone (valid for ReLU, Sigmoid, Tanh
/// and LeakyReLU with a positive slope, whose input and output have the same sign).
#[inline]
pub fn act_backward<A: Activation>(y: &[f32], d: &mut [f32]) {
    crate::kernels::simd(|| {
        for (o, &v) in d.iter_mut().zip(y) {
            *o *= A::df(v, v);
        }
    })
}
/// `y += x`.
#[inline]
pub fn add(y: &mut [f32], x: &[f32]) {
    for (o, v) in y.iter_mut().zip(x) {
        *o += v;
    }
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
    crate::kernels::simd(|| {
        for (((o, &a), &b), &g) in dx.iter_mut().zip(x).zip(y).zip(dy) {
            *o = g * A::df(a, b);
        }
    })
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

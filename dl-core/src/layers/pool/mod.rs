//! Pooling: `nn.MaxPool2d`, `nn.AvgPool2d` and global average pooling (`nn.AdaptiveAvgPool2d(1)`).
//!
//! Windows with stride, padding and (max pooling) dilation, each one number or per axis
//! (`(height, width)`, [`PerAxis`]; padding also `(top, bottom, left, right)` or TF's
//! [`Same`](crate::shape::Same), [`Padding`]), in PyTorch's floor mode ([`Floor`], the default)
//! or `ceil_mode=True` ([`Ceil`](crate::shape::Ceil), symmetric padding only), so the output
//! size is [`WindowOut`].
//! Max pooling treats padding as `−∞` and keeps each window's argmax for backward; average
//! pooling divides by `K·K`, padding counting as zeros (PyTorch's default
//! `count_include_pad=True`); a ceil-mode window running past the padded input's end is divided
//! by the part of it inside the padded input, as PyTorch does. With [`Same`](crate::shape::Same)
//! padding average pooling follows TF instead: each window is divided by its taps inside the
//! input (the padding not counted).
use crate::check::{
    DilationNonZero, KernelSizeNonZero, PoolPaddingAtMostHalfKernel, SameKernelFitsInput,
    StrideNonZero, WindowFitsInput,
};
use crate::kernels::im2col::Geom;
use crate::layer::Layer;
use crate::shape::{pads, Floor, Padding, PerAxis, Shape, Shape3, Window2, WindowOut};
use crate::shown::{
    Dec, DecHyper, Decimal, DecimalHyper, Dim, IfZero, Show, ShowShape, ShownBit, Verdict,
    ZeroShown,
};
use core::marker::PhantomData;
use typenum::{U0, U1};

/// Hyper-parameters carried as types only.
type Marker<T> = PhantomData<fn() -> T>;

/// `MaxPool2d<K, S = K, P = 0, D = 1, M = Floor>`: PyTorch's `nn.MaxPool2d(K, stride=S,
/// padding=P, dilation=D)`. The stride defaults to the kernel size, so `MaxPool2d<U2>` halves H
/// and W. `M = Ceil` is `ceil_mode=True`: `MaxPool2d<U3, U2, U0, U1, Ceil>` is GoogLeNet's
/// `nn.MaxPool2d(3, stride=2, ceil_mode=True)` (112 → 56); taps past the input's end are ignored.
pub struct MaxPool2d<K, S = K, P = U0, D = U1, M = Floor>(Marker<(K, S, P, D, M)>);

/// `AvgPool2d<K, S = K, P = 0, M = Floor>`: PyTorch's `nn.AvgPool2d(K, stride=S, padding=P)`;
/// every window is divided by `K·K`, padded zeros included (`count_include_pad=True`). With
/// `M = Ceil` (`ceil_mode=True`) a last window running past the padded input's end is divided by
/// the size of its part inside the padded input instead.
pub struct AvgPool2d<K, S = K, P = U0, M = Floor>(Marker<(K, S, P, M)>);

/// `[C, H, W] → [C, 1, 1]`, the mean of each channel: PyTorch's `nn.AdaptiveAvgPool2d(1)`.
#[derive(Clone, Copy, Debug, Default)]
pub struct GlobalAvgPool2d;

macro_rules! marker_impls {
    ($name:ident<$($p:ident),*>) => {
        impl<$($p),*> Default for $name<$($p),*> {
            fn default() -> Self {
                $name(PhantomData)
            }
        }
        impl<$($p),*> Clone for $name<$($p),*> {
            fn clone(&self) -> Self {
                *self
            }
        }
        impl<$($p),*> Copy for $name<$($p),*> {}
        crate::__stateless_module!($name<$($p),*> $(, $p)*);
    };
}
marker_impls!(MaxPool2d<K, S, P, D, M>);
marker_impls!(AvgPool2d<K, S, P, M>);
crate::__stateless_module!(GlobalAvgPool2d);

/// Output shape of a pooling layer on `[C, H, W]` in rounding mode `M`.
pub type Pool2dOut<C, H, W, K, S, P, D, M = Floor> = WindowOut<C, H, W, K, S, P, D, M>;

/// The geometry of a pool with padding `P` on `In` giving `Out`, from per-axis `[h, w]`
/// kernel, stride and dilation.
fn geom<In: Shape, Out: Shape, P: Padding>(k: [usize; 2], s: [usize; 2], d: [usize; 2]) -> Geom {
    let ([c, h, w], [_, oh, ow]) = (In::DIMS, Out::DIMS);
    Geom {
        oh,
        ow,
        ..Geom::new(c, h, w, k, s, pads::<P>(h, w, k, s, d), d)
    }
}

/// The taps of output `o`'s window along an axis of length `n` (kernel `k`, stride `s`,
/// dilation `d`, padding `p` before) that land inside the input: `(first input index, count)`,
/// the others following every `d`.
#[inline]
fn taps(o: usize, k: usize, s: usize, d: usize, p: usize, n: usize) -> (usize, usize) {
    let start = o * s; // tap 0, in padded coordinates
    if start >= p && start + (k - 1) * d < n + p {
        return (start - p, k); // the whole window is inside
    }
    let lo = if start >= p {
        0
    } else {
        (p - start).div_ceil(d)
    };
    let hi = if n + p > start {
        ((n + p - start - 1) / d + 1).min(k)
    } else {
        0
    };
    if lo < hi {
        (start + lo * d - p, hi - lo)
    } else {
        (0, 0)
    }
}

/// Calls `f(out_index, rows, cols)` for each output of one `[C, H, W]` sample with its window's
/// rows and columns inside the input as `(first, count)`; row indices already include the channel.
#[inline]
fn windows(g: &Geom, mut f: impl FnMut(usize, (usize, usize), (usize, usize))) {
    let mut o = 0;
    for c in 0..g.c {
        for oy in 0..g.oh {
            let (r0, nr) = taps(oy, g.kh, g.sh, g.dh, g.pt, g.h);
            for ox in 0..g.ow {
                f(o, (c * g.h + r0, nr), taps(ox, g.kw, g.sw, g.dw, g.pl, g.w));
                o += 1;
            }
        }
    }
}

/// One sample, `[C, H, W] → [C, H', W']`: each window's maximum (`−∞` for a window lying wholly in
/// the padding). When `arg` is not empty it receives each argmax as an index into the sample
/// (`u32::MAX` for such an empty window). Ties go to the first tap and NaN wins, as in PyTorch.
fn max_pool(g: &Geom, x: &[f32], y: &mut [f32], arg: &mut [u32]) {
    let unpadded = g.pt + g.pb + g.pl + g.pr == 0 && g.dh == 1 && g.dw == 1;
    if unpadded
        && g.kh == g.kw
        && g.sh == g.kh
        && g.sw == g.kw
        && g.oh * g.kh <= g.h
        && g.ow * g.kw <= g.w
    {
        // Non-overlapping windows inside the input (not a ceil-mode window running past the
        // end): the branch-free kernel.
        let (shape, out) = ([g.c, g.h, g.w], [g.oh, g.ow]);
        return crate::kernels::maxpool::max_pool_k(x, shape, g.kh, out, y, arg);
    }
    windows(g, |o, (r0, nr), (c0, nc)| {
        let mut best = f32::NEG_INFINITY;
        let mut at = if nr * nc > 0 {
            r0 * g.w + c0
        } else {
            u32::MAX as usize
        };
        for r in 0..nr {
            let row = (r0 + r * g.dh) * g.w + c0;
            for t in 0..nc {
                let v = x[row + t * g.dw];
                if v > best || v.is_nan() {
                    best = v;
                    at = row + t * g.dw;
                }
            }
        }
        y[o] = best;
        if let Some(a) = arg.get_mut(o) {
            *a = at as u32;
        }
    });
}

/// The divisor of output `o`'s window with `taps` of it inside the input: with `same` (TF's
/// `'same'`) the taps; otherwise (`count_include_pad=True`) `Kh·Kw`, or for a ceil-mode window
/// running past the padded input, the size of its part inside it,
/// `(min(start + K, N + before + after) − start)` per axis with `start = o·S` in padded
/// coordinates.
#[inline]
fn avg_divisor(g: &Geom, o: usize, taps: usize, same: bool) -> f32 {
    if same {
        return taps.max(1) as f32;
    }
    let ext = |o: usize, k: usize, s: usize, np: usize| (o * s + k).min(np) - o * s;
    if (g.oh - 1) * g.sh + g.kh <= g.hp() && (g.ow - 1) * g.sw + g.kw <= g.wp() {
        return (g.kh * g.kw) as f32; // every window lies inside the padded input
    }
    (ext((o / g.ow) % g.oh, g.kh, g.sh, g.hp()) * ext(o % g.ow, g.kw, g.sw, g.wp())) as f32
}

/// One sample: each window's sum divided by [`avg_divisor`] (`Kh·Kw` in floor mode).
fn avg_pool(g: &Geom, same: bool, x: &[f32], y: &mut [f32]) {
    windows(g, |o, (r0, nr), (c0, nc)| {
        let mut s = 0.0f32;
        for r in r0..r0 + nr {
            s += x[r * g.w + c0..r * g.w + c0 + nc].iter().sum::<f32>();
        }
        y[o] = s / avg_divisor(g, o, nr * nc, same);
    });
}

/// One sample's backward of [`avg_pool`]: `dx` (zeroed here) gets `dy / divisor` over each
/// window.
#[cfg(feature = "alloc")]
fn avg_pool_backward(g: &Geom, same: bool, dy: &[f32], dx: &mut [f32]) {
    dx.fill(0.0);
    windows(g, |o, (r0, nr), (c0, nc)| {
        let v = dy[o] / avg_divisor(g, o, nr * nc, same);
        for r in r0..r0 + nr {
            dx[r * g.w + c0..r * g.w + c0 + nc]
                .iter_mut()
                .for_each(|d| *d += v);
        }
    });
}

impl<C, H, W, K, S, P, D, M> Layer<Shape3<C, H, W>> for MaxPool2d<K, S, P, D, M>
where
    Shape3<C, H, W>: Shape,
    (H, W): Window2<K, S, P, D, M>,
    Shape3<C, H, W>: ShowShape,
    K::H: Decimal,
    K::W: Decimal,
    <(H, W) as Window2<K, S, P, D, M>>::Fits: ShownBit,
    Verdict<<(H, W) as Window2<K, S, P, D, M>>::Fits>:
        WindowFitsInput<Dec<K::H>, Dec<K::W>, Show<Shape3<C, H, W>>>,
    <(H, W) as Window2<K, S, P, D, M>>::SameFits: ShownBit,
    Verdict<<(H, W) as Window2<K, S, P, D, M>>::SameFits>:
        SameKernelFitsInput<Dec<K::H>, Dec<K::W>, DecHyper<D>, Show<Shape3<C, H, W>>>,
    <(H, W) as Window2<K, S, P, D, M>>::HalfKernel: ShownBit,
    Verdict<<(H, W) as Window2<K, S, P, D, M>>::HalfKernel>: PoolPaddingAtMostHalfKernel,
    Pool2dOut<C, H, W, K, S, P, D, M>: Shape,
    K: PerAxis + ZeroShown,
    IfZero<K>: KernelSizeNonZero,
    S: PerAxis + ZeroShown,
    IfZero<S>: StrideNonZero,
    P: Padding,
    D: PerAxis + DecimalHyper + ZeroShown,
    IfZero<D>: DilationNonZero,
{
    type Out = Pool2dOut<C, H, W, K, S, P, D, M>;
    fn infer(&self, x: &[f32], y: &mut [f32], _scratch: &mut [f32]) {
        max_pool(&Self::geom::<Shape3<C, H, W>>(), x, y, &mut []);
    }
}

impl<C, H, W, K, S, P, M> Layer<Shape3<C, H, W>> for AvgPool2d<K, S, P, M>
where
    Shape3<C, H, W>: Shape,
    (H, W): Window2<K, S, P, U1, M>,
    Shape3<C, H, W>: ShowShape,
    K::H: Decimal,
    K::W: Decimal,
    <(H, W) as Window2<K, S, P, U1, M>>::Fits: ShownBit,
    Verdict<<(H, W) as Window2<K, S, P, U1, M>>::Fits>:
        WindowFitsInput<Dec<K::H>, Dec<K::W>, Show<Shape3<C, H, W>>>,
    <(H, W) as Window2<K, S, P, U1, M>>::SameFits: ShownBit,
    Verdict<<(H, W) as Window2<K, S, P, U1, M>>::SameFits>:
        SameKernelFitsInput<Dec<K::H>, Dec<K::W>, Dim<1>, Show<Shape3<C, H, W>>>,
    <(H, W) as Window2<K, S, P, U1, M>>::HalfKernel: ShownBit,
    Verdict<<(H, W) as Window2<K, S, P, U1, M>>::HalfKernel>: PoolPaddingAtMostHalfKernel,
    Pool2dOut<C, H, W, K, S, P, U1, M>: Shape,
    K: PerAxis + ZeroShown,
    IfZero<K>: KernelSizeNonZero,
    S: PerAxis + ZeroShown,
    IfZero<S>: StrideNonZero,
    P: Padding,
{
    type Out = Pool2dOut<C, H, W, K, S, P, U1, M>;
    fn infer(&self, x: &[f32], y: &mut [f32], _scratch: &mut [f32]) {
        avg_pool(&Self::geom::<Shape3<C, H, W>>(), P::SAME, x, y);
    }
}

impl<K: PerAxis, S: PerAxis, P: Padding, D: PerAxis, M> MaxPool2d<K, S, P, D, M> {
    fn geom<In: Shape>() -> Geom
    where
        Self: Layer<In>,
    {
        geom::<In, <Self as Layer<In>>::Out, P>(K::HW, S::HW, D::HW)
    }
}
impl<K: PerAxis, S: PerAxis, P: Padding, M> AvgPool2d<K, S, P, M> {
    fn geom<In: Shape>() -> Geom
    where
        Self: Layer<In>,
    {
        geom::<In, <Self as Layer<In>>::Out, P>(K::HW, S::HW, [1, 1])
    }
}

impl<C, H, W> Layer<Shape3<C, H, W>> for GlobalAvgPool2d
where
    Shape3<C, H, W>: Shape,
    Shape3<C, U1, U1>: Shape,
{
    type Out = Shape3<C, U1, U1>;
    fn infer(&self, x: &[f32], y: &mut [f32], _scratch: &mut [f32]) {
        let [c, h, w] = <Shape3<C, H, W>>::DIMS;
        global_avg(&x[..c * h * w], h * w, &mut y[..c]);
    }
}

/// Means of consecutive planes of `m` values (any number of samples' channels at once).
fn global_avg(x: &[f32], m: usize, y: &mut [f32]) {
    for (yc, xc) in y.iter_mut().zip(x.chunks(m.max(1))) {
        *yc = xc.iter().sum::<f32>() / m as f32;
    }
}

/// What max pooling's backward needs: each output's argmax, an index into its sample.
#[cfg(feature = "alloc")]
#[derive(Default)]
pub struct MaxPoolCache {
    argmax: alloc::vec::Vec<u32>,
}

#[cfg(feature = "alloc")]
mod train {
    use super::*;
    use crate::kernels::par;
    use crate::layer::Train;
    use crate::Batch;

    impl<C, H, W, K, S, P, D, M> Train<Shape3<C, H, W>> for MaxPool2d<K, S, P, D, M>
    where
        Self: Layer<Shape3<C, H, W>> + Send + Sync,
        Shape3<C, H, W>: Shape,
        K: PerAxis,
        S: PerAxis,
        P: Padding,
        D: PerAxis,
    {
        type Grad = ();
        type Cache = MaxPoolCache;
        fn forward_train(
            &mut self,
            x: &Batch<Shape3<C, H, W>>,
            y: &mut Batch<Self::Out>,
            c: &mut MaxPoolCache,
        ) {
            let (n, yn) = (x.len(), <Self::Out as Shape>::NUMEL);
            debug_assert!(<Shape3<C, H, W>>::NUMEL < u32::MAX as usize);
            let g = Self::geom::<Shape3<C, H, W>>();
            y.resize(n);
            c.argmax.resize(n * yn, 0);
            par::for_chunks_zip(
                n,
                y.as_mut_slice(),
                yn,
                &mut c.argmax,
                yn,
                |start, ys, args| {
                    for (i, (yi, ai)) in ys
                        .chunks_exact_mut(yn)
                        .zip(args.chunks_exact_mut(yn))
                        .enumerate()
                    {
                        max_pool(&g, x.sample(start + i), yi, ai);
                    }
                },
            );
        }
        /// Routes each `dy` to its window's argmax (summing where windows overlap).
        fn backward(
            &self,
            x: &Batch<Shape3<C, H, W>>,
            _y: &Batch<Self::Out>,
            dy: &Batch<Self::Out>,
            dx: &mut Batch<Shape3<C, H, W>>,
            c: &mut MaxPoolCache,
            _g: &mut (),
        ) {
            let (n, xn, yn) = (
                x.len(),
                <Shape3<C, H, W>>::NUMEL,
                <Self::Out as Shape>::NUMEL,
            );
            if c.argmax.len() != n * yn {
                // Not the cache of a forward_train on this batch: recompute the argmax from x.
                let mut y = Batch::default();
                Train::forward_train(&mut Self::default(), x, &mut y, c);
            }
            dx.resize(n);
            let argmax = &c.argmax;
            par::for_chunks(n, dx.as_mut_slice(), xn, |start, dxs| {
                for (i, dxi) in dxs.chunks_exact_mut(xn).enumerate() {
                    let s = start + i;
                    dxi.fill(0.0);
                    for (&a, &d) in argmax[s * yn..(s + 1) * yn].iter().zip(dy.sample(s)) {
                        if let Some(v) = dxi.get_mut(a as usize) {
                            *v += d;
                        }
                    }
                }
            });
        }
        fn visit_with_grad(&mut self, _g: &(), _f: &mut dyn FnMut(&mut [f32], &[f32])) {}
    }

    impl<C, H, W, K, S, P, M> Train<Shape3<C, H, W>> for AvgPool2d<K, S, P, M>
    where
        Self: Layer<Shape3<C, H, W>> + Send + Sync,
        Shape3<C, H, W>: Shape,
        K: PerAxis,
        S: PerAxis,
        P: Padding,
    {
        type Grad = ();
        type Cache = ();
        fn forward_train(
            &mut self,
            x: &Batch<Shape3<C, H, W>>,
            y: &mut Batch<Self::Out>,
            _c: &mut (),
        ) {
            let (n, yn) = (x.len(), <Self::Out as Shape>::NUMEL);
            let g = Self::geom::<Shape3<C, H, W>>();
            y.resize(n);
            par::for_chunks(n, y.as_mut_slice(), yn, |start, ys| {
                for (i, yi) in ys.chunks_exact_mut(yn).enumerate() {
                    avg_pool(&g, P::SAME, x.sample(start + i), yi);
                }
            });
        }
        fn backward(
            &self,
            x: &Batch<Shape3<C, H, W>>,
            _y: &Batch<Self::Out>,
            dy: &Batch<Self::Out>,
            dx: &mut Batch<Shape3<C, H, W>>,
            _c: &mut (),
            _g: &mut (),
        ) {
            let (n, xn) = (x.len(), <Shape3<C, H, W>>::NUMEL);
            let g = Self::geom::<Shape3<C, H, W>>();
            dx.resize(n);
            par::for_chunks(n, dx.as_mut_slice(), xn, |start, dxs| {
                for (i, dxi) in dxs.chunks_exact_mut(xn).enumerate() {
                    avg_pool_backward(&g, P::SAME, dy.sample(start + i), dxi);
                }
            });
        }
        fn visit_with_grad(&mut self, _g: &(), _f: &mut dyn FnMut(&mut [f32], &[f32])) {}
    }

    impl<C, H, W> Train<Shape3<C, H, W>> for GlobalAvgPool2d
    where
        Shape3<C, H, W>: Shape,
        Shape3<C, U1, U1>: Shape,
    {
        type Grad = ();
        type Cache = ();
        fn forward_train(
            &mut self,
            x: &Batch<Shape3<C, H, W>>,
            y: &mut Batch<Shape3<C, U1, U1>>,
            _c: &mut (),
        ) {
            let [_, h, w] = <Shape3<C, H, W>>::DIMS;
            y.resize(x.len());
            global_avg(x.as_slice(), h * w, y.as_mut_slice());
        }
        /// Spreads each channel's `dy` evenly over its `H·W` inputs.
        fn backward(
            &self,
            x: &Batch<Shape3<C, H, W>>,
            _y: &Batch<Shape3<C, U1, U1>>,
            dy: &Batch<Shape3<C, U1, U1>>,
            dx: &mut Batch<Shape3<C, H, W>>,
            _c: &mut (),
            _g: &mut (),
        ) {
            let [_, h, w] = <Shape3<C, H, W>>::DIMS;
            let m = h * w;
            dx.resize(x.len());
            for (dxc, &d) in dx.as_mut_slice().chunks_mut(m.max(1)).zip(dy.as_slice()) {
                dxc.fill(d / m as f32);
            }
        }
        fn visit_with_grad(&mut self, _g: &(), _f: &mut dyn FnMut(&mut [f32], &[f32])) {}
    }
}

#[cfg(all(test, feature = "std"))]
mod tests;

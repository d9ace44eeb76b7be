//! Up-sampling by an integer factor (`nn.Upsample`, nearest or bilinear) and `Crop`, the two
//! halves of a fully convolutional net's skip link: up-sample a coarse map, crop it to the fine one.
use crate::check::{CropFits, ScaleFactorPositive};
#[cfg(feature = "alloc")]
use crate::kernels::par;
use crate::layer::Layer;
use crate::shape::{Shape, Shape3};
use crate::shown::{Dec, Decimal, IfZero, ZeroShown};
use crate::shown::{ShownBit, Verdict};
use core::marker::PhantomData;
use core::ops::{Add, Mul};
use typenum::{IsLessOrEqual, LeEq, Prod, Sum, Unsigned, U0};

/// An interpolation rule of [`Upsample`]: forward and its exact adjoint on one sample.
pub trait UpsampleMode: Send + Sync + 'static {
    /// `y[C, H·F, W·F]` from `x[C, H, W]`.
    fn forward(f: usize, chw: [usize; 3], x: &[f32], y: &mut [f32]);
    /// Overwrites `dx[C, H, W]` with the adjoint of [`UpsampleMode::forward`] applied to `dy`.
    fn backward(f: usize, chw: [usize; 3], dy: &[f32], dx: &mut [f32]);
}

/// `mode='nearest'`: each pixel becomes an `F×F` block.
#[derive(Clone, Copy, Debug, Default)]
pub struct Nearest;
/// `mode='bilinear', align_corners=False`: PyTorch's half-pixel source positions
/// `(o + ½)/F − ½`, clamped to the image.
#[derive(Clone, Copy, Debug, Default)]
pub struct Bilinear;

impl UpsampleMode for Nearest {
    fn forward(f: usize, [c, h, w]: [usize; 3], x: &[f32], y: &mut [f32]) {
        let wf = w * f;
        for (src, block) in x[..c * h * w]
            .chunks_exact(w)
            .zip(y.chunks_exact_mut(f * wf))
        {
            let (first, rest) = block.split_at_mut(wf);
            for (o, &v) in first.chunks_exact_mut(f).zip(src) {
                o.fill(v);
            }
            rest.chunks_exact_mut(wf)
                .for_each(|r| r.copy_from_slice(first));
        }
    }
    fn backward(f: usize, [c, h, w]: [usize; 3], dy: &[f32], dx: &mut [f32]) {
        let wf = w * f;
        for (dst, block) in dx[..c * h * w]
            .chunks_exact_mut(w)
            .zip(dy.chunks_exact(f * wf))
        {
            dst.fill(0.0);
            for row in block.chunks_exact(wf) {
                for (d, g) in dst.iter_mut().zip(row.chunks_exact(f)) {
                    *d += g.iter().sum::<f32>();
                }
            }
        }
    }
}

/// Source taps of output index `o` along an axis of `n` inputs, PyTorch's rule for
/// `align_corners=False`: `src = max(scale·(o + ½) − ½, 0)`, `i0 = ⌊src⌋`, `i1 = min(i0 + 1, n − 1)`,
/// weights `(1 − λ, λ)` with `λ = src − i0`.
#[inline]
fn taps(o: usize, scale: f32, n: usize) -> (usize, usize, f32, f32) {
    let src = (scale * (o as f32 + 0.5) - 0.5).max(0.0);
    let i0 = (src as usize).min(n - 1);
    let i1 = if i0 + 1 < n { i0 + 1 } else { i0 };
    let l = (src - i0 as f32).clamp(0.0, 1.0);
    (i0, i1, 1.0 - l, l)
}

impl UpsampleMode for Bilinear {
    fn forward(f: usize, [c, h, w]: [usize; 3], x: &[f32], y: &mut [f32]) {
        let scale = 1.0 / f as f32;
        let wf = w * f;
        for (xc, yc) in x[..c * h * w]
            .chunks_exact(h * w)
            .zip(y.chunks_exact_mut(h * f * wf))
        {
            for (oy, yrow) in yc.chunks_exact_mut(wf).enumerate() {
                let (y0, y1, a0, a1) = taps(oy, scale, h);
                let (r0, r1) = (&xc[y0 * w..(y0 + 1) * w], &xc[y1 * w..(y1 + 1) * w]);
                for (ox, o) in yrow.iter_mut().enumerate() {
                    let (x0, x1, b0, b1) = taps(ox, scale, w);
                    *o = a0 * (b0 * r0[x0] + b1 * r0[x1]) + a1 * (b0 * r1[x0] + b1 * r1[x1]);
                }
            }
        }
    }
    fn backward(f: usize, [c, h, w]: [usize; 3], dy: &[f32], dx: &mut [f32]) {
        let scale = 1.0 / f as f32;
        let wf = w * f;
        dx[..c * h * w].fill(0.0);
        for (dxc, dyc) in dx[..c * h * w]
            .chunks_exact_mut(h * w)
            .zip(dy.chunks_exact(h * f * wf))
        {
            for (oy, grow) in dyc.chunks_exact(wf).enumerate() {
                let (y0, y1, a0, a1) = taps(oy, scale, h);
                for (ox, &g) in grow.iter().enumerate() {
                    let (x0, x1, b0, b1) = taps(ox, scale, w);
                    dxc[y0 * w + x0] += a0 * b0 * g;
                    dxc[y0 * w + x1] += a0 * b1 * g;
                    dxc[y1 * w + x0] += a1 * b0 * g;
                    dxc[y1 * w + x1] += a1 * b1 * g;
                }
            }
        }
    }
}

/// `Upsample<F, Mode = Nearest>`: PyTorch's `nn.Upsample(scale_factor=F, mode=…)`
/// (`align_corners=False` for bilinear), `[C, H, W] → [C, H·F, W·F]`.
pub struct Upsample<F, Mode = Nearest>(PhantomData<fn() -> (F, Mode)>);

/// `Crop<OH, OW, TOP = 0, LEFT = 0>`: `[C, H, W] → [C, OH, OW]`, rows `TOP..TOP+OH` and columns
/// `LEFT..LEFT+OW` (`x[:, :, TOP:TOP+OH, LEFT:LEFT+OW]` in PyTorch), as FCN's skip links crop.
pub struct Crop<OH, OW, TOP = U0, LEFT = U0>(Hyper<(OH, OW, TOP, LEFT)>);

type Hyper<T> = PhantomData<fn() -> T>;

macro_rules! marker_layer {
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
        impl<$($p),*> core::fmt::Debug for $name<$($p),*> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(stringify!($name))
            }
        }
        crate::__stateless_module!($name<$($p),*> $(, $p)*);
    };
}
marker_layer!(Upsample<F, M>);
marker_layer!(Crop<A, B, T, L>);

/// Output shape of `Upsample<F, _>` on `[C, H, W]`.
pub type UpsampleOut<C, H, W, F> = Shape3<C, Prod<H, F>, Prod<W, F>>;

impl<C, H, W, F, M> Layer<Shape3<C, H, W>> for Upsample<F, M>
where
    Shape3<C, H, W>: Shape,
    H: Mul<F>,
    W: Mul<F>,
    UpsampleOut<C, H, W, F>: Shape,
    F: Unsigned + ZeroShown,
    IfZero<F>: ScaleFactorPositive,
    M: UpsampleMode,
{
    type Out = UpsampleOut<C, H, W, F>;
    fn infer(&self, x: &[f32], y: &mut [f32], _scratch: &mut [f32]) {
        M::forward(F::USIZE, <Shape3<C, H, W>>::DIMS, x, y);
    }
}

#[cfg(feature = "alloc")]
impl<C, H, W, F, M> crate::layer::Train<Shape3<C, H, W>> for Upsample<F, M>
where
    Self: Layer<Shape3<C, H, W>>,
    Shape3<C, H, W>: Shape,
    F: Unsigned,
    M: UpsampleMode,
{
    type Grad = ();
    type Cache = ();
    fn forward_train(
        &mut self,
        x: &crate::Batch<Shape3<C, H, W>>,
        y: &mut crate::Batch<Self::Out>,
        _c: &mut (),
    ) {
        y.resize(x.len());
        let yn = <Self::Out as Shape>::NUMEL;
        par::for_chunks(x.len(), y.as_mut_slice(), yn, |start, ys| {
            for (i, yi) in ys.chunks_exact_mut(yn).enumerate() {
                M::forward(F::USIZE, <Shape3<C, H, W>>::DIMS, x.sample(start + i), yi);
            }
        });
    }
    fn backward(
        &self,
        x: &crate::Batch<Shape3<C, H, W>>,
        _y: &crate::Batch<Self::Out>,
        dy: &crate::Batch<Self::Out>,
        dx: &mut crate::Batch<Shape3<C, H, W>>,
        _c: &mut (),
        _g: &mut (),
    ) {
        dx.resize(x.len());
        let xn = <Shape3<C, H, W>>::NUMEL;
        par::for_chunks(x.len(), dx.as_mut_slice(), xn, |start, dxs| {
            for (i, dxi) in dxs.chunks_exact_mut(xn).enumerate() {
                M::backward(F::USIZE, <Shape3<C, H, W>>::DIMS, dy.sample(start + i), dxi);
            }
        });
    }
    fn visit_with_grad(&mut self, _g: &(), _f: &mut dyn FnMut(&mut [f32], &[f32])) {}
}

/// Whether a window of `N` starting at `OFF` fits an axis of length `Self` (`OFF + N ≤ Self`).
pub trait CropDim<N, OFF> {
    /// `B1` when the window fits.
    type Fits;
}
impl<H, N, OFF: Add<N>> CropDim<N, OFF> for H
where
    Sum<OFF, N>: IsLessOrEqual<H>,
{
    type Fits = LeEq<Sum<OFF, N>, H>;
}

impl<OH, OW, TOP: Unsigned, LEFT: Unsigned> Crop<OH, OW, TOP, LEFT> {
    /// Calls `f(input_range, output_range)` for each row of each channel the window covers.
    #[inline]
    fn rows(
        [c, h, w]: [usize; 3],
        [_, oh, ow]: [usize; 3],
        mut f: impl FnMut(core::ops::Range<usize>, core::ops::Range<usize>),
    ) {
        for ch in 0..c {
            for r in 0..oh {
                let src = (ch * h + TOP::USIZE + r) * w + LEFT::USIZE;
                let dst = (ch * oh + r) * ow;
                f(src..src + ow, dst..dst + ow);
            }
        }
    }
}

impl<C, H, W, OH, OW, TOP, LEFT> Layer<Shape3<C, H, W>> for Crop<OH, OW, TOP, LEFT>
where
    Shape3<C, H, W>: Shape,
    Shape3<C, OH, OW>: Shape,
    H: CropDim<OH, TOP>,
    W: CropDim<OW, LEFT>,
    H: Decimal,
    W: Decimal,
    OH: Decimal,
    OW: Decimal,
    TOP: Unsigned + Decimal,
    LEFT: Unsigned + Decimal,
    <H as CropDim<OH, TOP>>::Fits: ShownBit,
    Verdict<<H as CropDim<OH, TOP>>::Fits>: CropFits<Dec<TOP>, Dec<OH>, Dec<H>>,
    <W as CropDim<OW, LEFT>>::Fits: ShownBit,
    Verdict<<W as CropDim<OW, LEFT>>::Fits>: CropFits<Dec<LEFT>, Dec<OW>, Dec<W>>,
{
    type Out = Shape3<C, OH, OW>;
    fn infer(&self, x: &[f32], y: &mut [f32], _scratch: &mut [f32]) {
        Self::rows(
            <Shape3<C, H, W>>::DIMS,
            <Self::Out as Shape>::DIMS,
            |s, d| y[d].copy_from_slice(&x[s]),
        );
    }
}

#[cfg(feature = "alloc")]
impl<C, H, W, OH, OW, TOP, LEFT> crate::layer::Train<Shape3<C, H, W>> for Crop<OH, OW, TOP, LEFT>
where
    Self: Layer<Shape3<C, H, W>, Out = Shape3<C, OH, OW>>,
    Shape3<C, H, W>: Shape,
    Shape3<C, OH, OW>: Shape,
    TOP: Unsigned,
    LEFT: Unsigned,
{
    type Grad = ();
    type Cache = ();
    fn forward_train(
        &mut self,
        x: &crate::Batch<Shape3<C, H, W>>,
        y: &mut crate::Batch<Shape3<C, OH, OW>>,
        _c: &mut (),
    ) {
        y.resize(x.len());
        for i in 0..x.len() {
            self.infer(x.sample(i), y.sample_mut(i), &mut []);
        }
    }
    fn backward(
        &self,
        x: &crate::Batch<Shape3<C, H, W>>,
        _y: &crate::Batch<Shape3<C, OH, OW>>,
        dy: &crate::Batch<Shape3<C, OH, OW>>,
        dx: &mut crate::Batch<Shape3<C, H, W>>,
        _c: &mut (),
        _g: &mut (),
    ) {
        dx.resize(x.len());
        dx.as_mut_slice().fill(0.0);
        for i in 0..x.len() {
            let (dxi, dyi) = (dx.sample_mut(i), dy.sample(i));
            Self::rows(
                <Shape3<C, H, W>>::DIMS,
                <Shape3<C, OH, OW>>::DIMS,
                |s, d| dxi[s].copy_from_slice(&dyi[d]),
            );
        }
    }
    fn visit_with_grad(&mut self, _g: &(), _f: &mut dyn FnMut(&mut [f32], &[f32])) {}
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::testing::{assert_close, check_layer_grads, fixture, run_train};
    use crate::Batch;
    use typenum::consts::*;

    #[test]
    fn gradients_on_several_shapes() {
        // odd sizes, batch > 1, scale 2 and 3
        check_layer_grads::<Shape3<U2, U3, U5>, _>(&mut Upsample::<U2>::default(), 2, 1);
        check_layer_grads::<Shape3<U1, U3, U2>, _>(&mut Upsample::<U3>::default(), 3, 2);
        check_layer_grads::<Shape3<U2, U5, U3>, _>(&mut Upsample::<U2, Bilinear>::default(), 2, 3);
        check_layer_grads::<Shape3<U2, U3, U4>, _>(&mut Upsample::<U3, Bilinear>::default(), 3, 4);
        // a single row: every tap is clamped to it
        check_layer_grads::<Shape3<U1, U1, U4>, _>(&mut Upsample::<U2, Bilinear>::default(), 2, 5);
        // crop with an offset on both axes, and the default top-left window
        check_layer_grads::<Shape3<U2, U5, U7>, _>(&mut Crop::<U3, U2, U1, U4>::default(), 2, 6);
        check_layer_grads::<Shape3<U3, U4, U4>, _>(&mut Crop::<U4, U3>::default(), 3, 7);
    }

    #[test]
    fn output_shapes() {
        fn out<In: Shape, Want: Shape, L: Layer<In, Out = Want>>() {}
        out::<Shape3<U21, U7, U7>, Shape3<U21, U14, U14>, Upsample<U2>>();
        out::<Shape3<U3, U5, U4>, Shape3<U3, U15, U12>, Upsample<U3, Bilinear>>();
        // FCN-8s: the 2× up-convolved 34×34 pool4 score map cropped back to 32×32... any window
        // that fits, here the last row and column dropped and a window touching the far corner.
        out::<Shape3<U21, U34, U34>, Shape3<U21, U32, U32>, Crop<U32, U32>>();
        out::<Shape3<U2, U7, U8>, Shape3<U2, U5, U3>, Crop<U5, U3, U2, U5>>();
    }

    #[test]
    fn crop_is_slicing_and_scale_one_is_identity() {
        let x = Batch::<Shape3<U2, U5, U6>>::from_fn(2, |i| i as f32);
        let y = Crop::<U3, U2, U1, U4>::default().forward(&x);
        for (j, &v) in y.as_slice().iter().enumerate() {
            let (n, c, r, q) = (j / 12, j / 6 % 2, j / 2 % 3, j % 2);
            assert_eq!(v, x.as_slice()[((n * 2 + c) * 5 + 1 + r) * 6 + 4 + q]);
        }
        assert_eq!(
            Upsample::<U1, Bilinear>::default().forward(&x).as_slice(),
            x.as_slice()
        );
        assert_eq!(
            Upsample::<U1>::default().forward(&x).as_slice(),
            x.as_slice()
        );
    }

    #[test]
    fn matches_pytorch() {
        macro_rules! go {
            ($name:literal, $in:ty, $l:ty) => {{
                let fx = fixture($name);
                let (y, dx, _) =
                    run_train::<$in, $l>(&mut <$l>::default(), fx.get("x"), fx.get("dy"));
                assert_close(concat!($name, " y"), &y, fx.get("y"), 1e-5);
                assert_close(concat!($name, " dx"), &dx, fx.get("dx"), 1e-5);
                let x = Batch::<$in>::from_vec(fx.get("x").to_vec()).unwrap();
                assert_close(
                    concat!($name, " infer"),
                    <$l>::default().forward(&x).as_slice(),
                    fx.get("y"),
                    1e-5,
                );
            }};
        }
        go!("upsample_nearest2", Shape3<U3, U4, U5>, Upsample<U2>);
        go!("upsample_nearest3", Shape3<U3, U4, U5>, Upsample<U3, Nearest>);
        go!("upsample_bilinear2", Shape3<U3, U4, U5>, Upsample<U2, Bilinear>);
        go!("upsample_bilinear3", Shape3<U3, U4, U5>, Upsample<U3, Bilinear>);
        go!("crop", Shape3<U3, U6, U7>, Crop<U3, U4, U2, U1>);
    }
}

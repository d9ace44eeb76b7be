//! 2-D convolution (`nn.Conv2d`): stride, padding, dilation. The per-sample products live in
//! `sample.rs` (stride 1 reads shifted windows of the padded input in place; other strides use
//! bands of im2col); this file holds the layer: parameters, shapes, and the split of a batch
//! across threads, each with its own buffers and partial gradients kept in the cache.
mod sample;
#[cfg(all(test, feature = "std"))]
mod tests;

use crate::check::{
    ChannelsMatch, DilationNonZero, KernelFitsInput, KernelSizeNonZero, SameKernelFitsInput,
    StrideNonZero,
};
#[cfg(feature = "alloc")]
use crate::kernels::gemm::{pack_a, packed_len, Mat};
use crate::kernels::im2col::Geom;
#[cfg(feature = "alloc")]
use crate::kernels::par;
use crate::layer::{Layer, Module, Zeroable};
use crate::rng::Rng;
use crate::shape::{pads, Padding, PerAxis, Shape, Shape3, Window2, WindowOut};
use core::marker::PhantomData;
use core::ops::Mul;
use generic_array::{ArrayLength, GenericArray};
use sample::Plan;
use typenum::{Eq, IsEqual, Prod, Unsigned};

/// `O` filters of `I` channels, `Kh×Kw` ([`PerAxis`]: `K` or `(Kh, Kw)`): carries the weight
/// length `O·I·Kh·Kw` once.
pub trait Filters<I, K>: ArrayLength {
    /// `O·I·Kh·Kw` as a type.
    type W: ArrayLength;
}
/// `Kh·Kw` of a [`PerAxis`] kernel size.
pub type KernelArea<K> = Prod<<K as PerAxis>::H, <K as PerAxis>::W>;
impl<I, K, O> Filters<I, K> for O
where
    K: PerAxis,
    K::H: Mul<K::W>,
    O: ArrayLength + Mul<Prod<I, KernelArea<K>>>,
    I: Mul<KernelArea<K>>,
    Prod<O, Prod<I, KernelArea<K>>>: ArrayLength,
{
    type W = Prod<O, Prod<I, KernelArea<K>>>;
}

/// Whether a convolution has a bias: [`Bias`] (`[O]`, PyTorch's `bias=True`, the default) or
/// [`NoBias`] (`bias=False`: nothing stored, nothing visited, the output gets no constant).
pub trait ConvBias<O> {
    /// `O` or `U0`.
    type Len: ArrayLength;
}
/// A bias of one value per output channel (`bias=True`).
pub struct Bias;
/// No bias (`bias=False`, as before a BatchNorm).
pub struct NoBias;
impl<O: ArrayLength> ConvBias<O> for Bias {
    type Len = O;
}
impl<O> ConvBias<O> for NoBias {
    type Len = typenum::U0;
}

/// `Conv2d<I, O, K, S = 1, P = 0, D = 1, B = Bias>`: PyTorch's `nn.Conv2d(I, O, K, stride=S,
/// padding=P, dilation=D, bias=…)`, weight `[O, I, Kh, Kw]`, bias `[O]` with [`Bias`] or none
/// with [`NoBias`]. `K`, `S`, `D` are one number for both axes (`U3`) or `(height, width)`
/// (`(U10, U4)`, [`PerAxis`]); `P` is one number, `(Uh, Uw)`, `(Top, Bottom, Left, Right)` or
/// TF's [`Same`](crate::shape::Same) ([`Padding`]). Output size per axis
/// `⌊(N + before + after − D·(K−1) − 1)/S⌋ + 1` ([`WindowOut`]).
#[repr(C)]
pub struct Conv2d<
    I,
    O: Filters<I, K>,
    K,
    S = typenum::U1,
    P = typenum::U0,
    D = typenum::U1,
    B: ConvBias<O> = Bias,
> {
    /// `[O, I, Kh, Kw]`.
    pub weight: GenericArray<f32, O::W>,
    /// `[O]`, or empty with [`NoBias`].
    pub bias: GenericArray<f32, B::Len>,
    _hyper: Hyper<I, S, P, D, B>,
}

/// The type parameters that are not array lengths.
type Hyper<I, S, P, D, B> = PhantomData<fn() -> (I, S, P, D, B)>;

// SAFETY: two f32 arrays (the bias possibly empty) and a marker.
unsafe impl<I, O: Filters<I, K>, K, S, P, D, B: ConvBias<O>> Zeroable
    for Conv2d<I, O, K, S, P, D, B>
{
}
// SAFETY: `#[repr(C)]`, two f32 arrays and a marker.
unsafe impl<I, O: Filters<I, K>, K, S, P, D, B: ConvBias<O>> crate::layer::Pod
    for Conv2d<I, O, K, S, P, D, B>
{
}

impl<I: Unsigned, O: Filters<I, K>, K: PerAxis, S, P, D, B: ConvBias<O>> Module
    for Conv2d<I, O, K, S, P, D, B>
{
    const PARAMS: usize = O::W::USIZE + B::Len::USIZE;
    /// PyTorch's default: `U(−1/√fan_in, 1/√fan_in)`, `fan_in = I·Kh·Kw`.
    fn init(&mut self, rng: &mut Rng) {
        let [kh, kw] = K::HW;
        let b = 1.0 / crate::math::sqrt((I::USIZE * kh * kw) as f32);
        self.weight
            .iter_mut()
            .for_each(|w| *w = rng.uniform_in(-b, b));
        self.bias
            .iter_mut()
            .for_each(|w| *w = rng.uniform_in(-b, b));
    }
    fn visit(&self, f: &mut dyn FnMut(&[f32])) {
        f(&self.weight);
        if B::Len::USIZE > 0 {
            f(&self.bias);
        }
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&mut [f32])) {
        f(&mut self.weight);
        if B::Len::USIZE > 0 {
            f(&mut self.bias);
        }
    }
}

impl<I, O, K, S, P, D, B> Conv2d<I, O, K, S, P, D, B>
where
    I: Unsigned,
    O: Filters<I, K>,
    K: PerAxis,
    S: PerAxis,
    P: Padding,
    D: PerAxis,
    B: ConvBias<O>,
{
    /// The plan of one sample of `[I, H, W]` giving `[O, H', W']`.
    const fn plan(h: usize, w: usize, oh: usize, ow: usize) -> Plan {
        let (k, s, d) = (K::HW, S::HW, D::HW);
        let g = Geom::new(I::USIZE, h, w, k, s, pads::<P>(h, w, k, s, d), d);
        Plan::new(Geom { oh, ow, ..g }, O::USIZE)
    }
}

/// Shorthand for the output shape of `Conv2d<_, O, K, S, P, D>` on `[_, H, W]`.
pub type Conv2dOut<O, H, W, K, S, P, D> = WindowOut<O, H, W, K, S, P, D>;

impl<C, H, W, I, O, K, S, P, D, B> Layer<Shape3<C, H, W>> for Conv2d<I, O, K, S, P, D, B>
where
    Shape3<C, H, W>: Shape,
    C: IsEqual<I>,
    Eq<C, I>: ChannelsMatch,
    (H, W): Window2<K, S, P, D>,
    <(H, W) as Window2<K, S, P, D>>::Fits: KernelFitsInput,
    <(H, W) as Window2<K, S, P, D>>::SameFits: SameKernelFitsInput,
    Conv2dOut<O, H, W, K, S, P, D>: Shape,
    I: Unsigned,
    O: Filters<I, K>,
    K: PerAxis + KernelSizeNonZero,
    S: PerAxis + StrideNonZero,
    P: Padding,
    D: PerAxis + DilationNonZero,
    B: ConvBias<O>,
{
    type Out = Conv2dOut<O, H, W, K, S, P, D>;
    /// `Plan::forward_scratch`: the padded image and a band of output (stride 1) or a
    /// band's columns (other strides).
    const SCRATCH: usize = {
        let ([_, h, w], [_, oh, ow]) = (<Shape3<C, H, W>>::DIMS, <Self::Out as Shape>::DIMS);
        Self::plan(h, w, oh, ow).forward_scratch()
    };
    fn infer(&self, x: &[f32], y: &mut [f32], scratch: &mut [f32]) {
        let ([_, h, w], [_, oh, ow]) = (<Shape3<C, H, W>>::DIMS, <Self::Out as Shape>::DIMS);
        sample::forward(
            &Self::plan(h, w, oh, ow),
            x,
            &self.bias,
            &self.weight,
            y,
            scratch,
        );
    }
}

/// Per-thread buffers of a convolution and the packed weights, kept across steps.
#[cfg(feature = "alloc")]
#[derive(Default)]
pub struct ConvCache {
    fwd: alloc::vec::Vec<alloc::vec::Vec<f32>>,
    bwd: alloc::vec::Vec<sample::Work>,
    /// The weights transposed and packed for the backward product.
    wt: alloc::vec::Vec<f32>,
}

#[cfg(feature = "alloc")]
impl<C, H, W, I, O, K, S, P, D, B> crate::layer::Train<Shape3<C, H, W>>
    for Conv2d<I, O, K, S, P, D, B>
where
    Self: Layer<Shape3<C, H, W>> + Send + Sync,
    Shape3<C, H, W>: Shape,
    I: Unsigned,
    O: Filters<I, K>,
    K: PerAxis,
    S: PerAxis,
    P: Padding,
    D: PerAxis,
    B: ConvBias<O>,
{
    type Grad = Self;
    type Cache = ConvCache;
    fn forward_train(
        &mut self,
        x: &crate::Batch<Shape3<C, H, W>>,
        y: &mut crate::Batch<Self::Out>,
        cache: &mut ConvCache,
    ) {
        let n = x.len();
        y.resize(n);
        let ([_, h, w], [_, oh, ow]) = (<Shape3<C, H, W>>::DIMS, <Self::Out as Shape>::DIMS);
        let pl = Self::plan(h, w, oh, ow);
        let (xn, yn, ckk) = (
            <Shape3<C, H, W>>::NUMEL,
            <Self::Out as Shape>::NUMEL,
            pl.g.rows(),
        );
        let pieces = par::pieces(n, yn * ckk);
        cache
            .fwd
            .resize_with(pieces.max(cache.fwd.len()), Default::default);
        let work = &mut cache.fwd[..pieces];
        for wk in work.iter_mut() {
            wk.resize(pl.forward_scratch(), 0.0);
        }
        let (wp, bias) = (&self.weight[..], &self.bias[..]);
        par::for_chunks_with(work, n, y.as_mut_slice(), yn, |wk, start, ys| {
            for (i, yi) in ys.chunks_exact_mut(yn).enumerate() {
                let xi = &x.as_slice()[(start + i) * xn..][..xn];
                sample::forward(&pl, xi, bias, wp, yi, wk);
            }
        });
    }
    fn backward(
        &self,
        x: &crate::Batch<Shape3<C, H, W>>,
        _y: &crate::Batch<Self::Out>,
        dy: &crate::Batch<Self::Out>,
        dx: &mut crate::Batch<Shape3<C, H, W>>,
        cache: &mut ConvCache,
        grad: &mut Self,
    ) {
        let n = x.len();
        dx.resize(n);
        let ([_, h, w], [_, oh, ow]) = (<Shape3<C, H, W>>::DIMS, <Self::Out as Shape>::DIMS);
        let pl = Self::plan(h, w, oh, ow);
        let (xn, yn, ckk, o) = (
            <Shape3<C, H, W>>::NUMEL,
            <Self::Out as Shape>::NUMEL,
            pl.g.rows(),
            O::USIZE,
        );
        cache.wt.resize(packed_len(ckk, o), 0.0);
        pack_a(ckk, o, Mat::t(&self.weight, ckk), &mut cache.wt);
        // Pieces fixed by the batch, not the thread count: bit-identical gradients.
        let pieces = par::partials(n, 2 * yn * ckk, o * ckk);
        cache
            .bwd
            .resize_with(pieces.max(cache.bwd.len()), Default::default);
        let work = &mut cache.bwd[..pieces];
        for wk in work.iter_mut() {
            wk.prepare(&pl, B::Len::USIZE);
        }
        let wt = &cache.wt[..];
        par::for_chunks_parts(work, n, dx.as_mut_slice(), xn, |wk, start, dxs| {
            for (i, dxi) in dxs.chunks_exact_mut(xn).enumerate() {
                let s = start + i;
                sample::backward(
                    &pl,
                    &x.as_slice()[s * xn..][..xn],
                    &dy.as_slice()[s * yn..][..yn],
                    dxi,
                    wt,
                    wk,
                );
            }
        });
        for wk in work.iter() {
            if pl.dw_t {
                for (r, row) in wk.dw.chunks_exact(o).enumerate() {
                    for (oo, v) in row.iter().enumerate() {
                        grad.weight[oo * ckk + r] += v;
                    }
                }
            } else {
                for (a, b) in grad.weight.iter_mut().zip(&wk.dw) {
                    *a += b;
                }
            }
            // empty without a bias
            for (a, b) in grad.bias.iter_mut().zip(&wk.db) {
                *a += b;
            }
        }
    }
    fn visit_with_grad(&mut self, g: &Self, f: &mut dyn FnMut(&mut [f32], &[f32])) {
        f(&mut self.weight, &g.weight);
        if B::Len::USIZE > 0 {
            f(&mut self.bias, &g.bias);
        }
    }
}

//! 2-D convolution (`nn.Conv2d`): stride, padding, dilation, groups. The per-sample products
//! live in `sample.rs` (stride 1 reads shifted windows of the padded input in place; other
//! strides use bands of im2col), run once per group on its channel slices (`groups.rs`); the
//! depthwise case has its own direct kernel ([`crate::kernels::depthwise`]). This file holds
//! the layer: parameters, shapes, and the split of a batch across threads, each with its own
//! buffers and partial gradients kept in the cache.
#[cfg(all(test, feature = "std"))]
mod grouped_tests;
mod groups;
pub(crate) mod sample;
#[cfg(all(test, feature = "std"))]
mod tests;

use crate::check::{
    Conv2dChannelsMatch, DilationNonZero, GroupsNonZero, InChannelsDivisibleByGroups,
    KernelFitsInput, KernelSizeNonZero, OutChannelsDivisibleByGroups, SameKernelFitsInput,
    StrideNonZero,
};
use crate::kernels::depthwise::{self, Depthwise};
use crate::kernels::im2col::Geom;
#[cfg(feature = "alloc")]
use crate::kernels::par;
use crate::layer::{Layer, Module, Zeroable};
use crate::rng::Rng;
use crate::shape::{pads, AtLeast1, Padding, PerAxis, Shape, Shape3, Window2, WindowOut};
use crate::shown::{Dec, DecHyper, Decimal, DecimalHyper, IfZero, Show, ShowShape, ZeroShown};
use crate::shown::{ShownBit, Verdict};
use core::marker::PhantomData;
use core::ops::{Mul, Rem};
use generic_array::{ArrayLength, GenericArray};
use groups::{group_bias, per_group};
pub use groups::{DivisibleBy, PerGroup};
use sample::Plan;
use typenum::{Max, Mod, Prod, Unsigned, U1};

/// `O` filters of `I/G` channels, `Kh×Kw` ([`PerAxis`]: `K` or `(Kh, Kw)`; `G` groups, 1 by
/// default): carries the weight length `O·(I/G)·Kh·Kw` once.
pub trait Filters<I, K, G = U1>: ArrayLength {
    /// `O·(I/G)·Kh·Kw` as a type.
    type W: ArrayLength;
}
/// `Kh·Kw` of a [`PerAxis`] kernel size.
pub type KernelArea<K> = Prod<<K as PerAxis>::H, <K as PerAxis>::W>;
impl<I, K, G, O> Filters<I, K, G> for O
where
    K: PerAxis,
    K::H: Mul<K::W>,
    G: Max<U1>,
    I: core::ops::Div<crate::shape::AtLeast1<G>>,
    O: ArrayLength + Mul<Prod<PerGroup<I, G>, KernelArea<K>>>,
    PerGroup<I, G>: Mul<KernelArea<K>>,
    Prod<O, Prod<PerGroup<I, G>, KernelArea<K>>>: ArrayLength,
{
    type W = Prod<O, Prod<PerGroup<I, G>, KernelArea<K>>>;
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

/// `Conv2d<I, O, K, S = 1, P = 0, D = 1, B = Bias, G = 1>`: PyTorch's `nn.Conv2d(I, O, K,
/// stride=S, padding=P, dilation=D, bias=…, groups=G)`, weight `[O, I/G, Kh, Kw]`, bias `[O]`
/// with [`Bias`] or none with [`NoBias`]. `K`, `S`, `D` are one number for both axes (`U3`) or
/// `(height, width)` (`(U10, U4)`, [`PerAxis`]); `P` is one number, `(Uh, Uw)`,
/// `(Top, Bottom, Left, Right)` or TF's [`Same`](crate::shape::Same) ([`Padding`]). Output size
/// per axis `⌊(N + before + after − D·(K−1) − 1)/S⌋ + 1` ([`WindowOut`]).
///
/// `G` groups are `G` independent convolutions of `I/G` input channels into `O/G` output
/// channels each (`I` and `O` multiples of `G`, checked at compile time). `G = I` is a
/// depthwise convolution (MobileNet), with a channel multiplier `O/I` (1 or more), run by a
/// direct kernel.
#[repr(C)]
pub struct Conv2d<
    I,
    O: Filters<I, K, G>,
    K,
    S = typenum::U1,
    P = typenum::U0,
    D = typenum::U1,
    B: ConvBias<O> = Bias,
    G = typenum::U1,
> {
    /// `[O, I/G, Kh, Kw]`.
    pub weight: GenericArray<f32, O::W>,
    /// `[O]`, or empty with [`NoBias`].
    pub bias: GenericArray<f32, B::Len>,
    _hyper: Hyper<I, S, P, D, B, G>,
}

/// The type parameters that are not array lengths.
type Hyper<I, S, P, D, B, G> = PhantomData<fn() -> (I, S, P, D, B, G)>;

// SAFETY: two f32 arrays (the bias possibly empty) and a marker.
unsafe impl<I, O: Filters<I, K, G>, K, S, P, D, B: ConvBias<O>, G> Zeroable
    for Conv2d<I, O, K, S, P, D, B, G>
{
}
// SAFETY: `#[repr(C)]`, two f32 arrays and a marker.
unsafe impl<I, O: Filters<I, K, G>, K, S, P, D, B: ConvBias<O>, G> crate::layer::Pod
    for Conv2d<I, O, K, S, P, D, B, G>
{
}

impl<I: Unsigned, O: Filters<I, K, G>, K: PerAxis, S, P, D, B: ConvBias<O>, G: Unsigned> Module
    for Conv2d<I, O, K, S, P, D, B, G>
{
    const PARAMS: usize = O::W::USIZE + B::Len::USIZE;
    /// PyTorch's default: `U(−1/√fan_in, 1/√fan_in)`, `fan_in = (I/G)·Kh·Kw`.
    fn init(&mut self, rng: &mut Rng) {
        let [kh, kw] = K::HW;
        let fan_in = per_group(I::USIZE, G::USIZE) * kh * kw;
        let b = 1.0 / crate::math::sqrt(fan_in as f32);
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

impl<I, O, K, S, P, D, B, G> Conv2d<I, O, K, S, P, D, B, G>
where
    I: Unsigned,
    O: Filters<I, K, G>,
    K: PerAxis,
    S: PerAxis,
    P: Padding,
    D: PerAxis,
    B: ConvBias<O>,
    G: Unsigned,
{
    /// Groups (at least 1).
    const GROUPS: usize = if G::USIZE == 0 { 1 } else { G::USIZE };
    /// The plan of one group of one sample: `[I/G, H, W]` giving `[O/G, H', W']`.
    const fn plan(h: usize, w: usize, oh: usize, ow: usize) -> Plan {
        let (k, s, d) = (K::HW, S::HW, D::HW);
        let c = per_group(I::USIZE, G::USIZE);
        let g = Geom::new(c, h, w, k, s, pads::<P>(h, w, k, s, d), d);
        Plan::new(Geom { oh, ow, ..g }, per_group(O::USIZE, G::USIZE))
    }
    /// Whether a batch runs on the batch-level kernels of [`crate::fused`] (which take a 3×3
    /// stride-1 convolution with enough channels to [`winograd`](crate::kernels::winograd)):
    /// one group, and the Winograd size rule.
    #[cfg(feature = "alloc")]
    fn batched(pl: &Plan) -> bool {
        Self::GROUPS == 1 && crate::kernels::winograd::applies(&pl.g, pl.o)
    }
    /// Depthwise (`G = I > 1`): one input channel per group, run by the direct kernel. (A
    /// one-channel input with one group stays on the ordinary plan, whose sums the embedded
    /// build reproduces bit for bit.)
    const DEPTHWISE: bool = G::USIZE == I::USIZE && G::USIZE > 1;
    /// The depthwise geometry of `pl` (all `I` channels, multiplier `O/I`).
    const fn depthwise(pl: &Plan) -> Depthwise {
        Depthwise::new(&pl.g, I::USIZE, pl.o)
    }
    /// One sample, the depthwise kernel or group by group: `y[O, H'W']` from `x[I, H, W]`.
    fn infer_groups(&self, pl: &Plan, x: &[f32], y: &mut [f32], scratch: &mut [f32]) {
        if Self::DEPTHWISE {
            let d = Self::depthwise(pl);
            depthwise::forward(&d, &self.weight, &self.bias, x, y, scratch, |_, _| {});
            return;
        }
        let (g, og) = (&pl.g, pl.o);
        let (xg, yg, wg) = (g.c * g.h * g.w, og * g.cols(), og * g.rows());
        for gi in 0..Self::GROUPS {
            sample::forward(
                pl,
                &x[gi * xg..][..xg],
                group_bias(&self.bias, gi, og),
                &self.weight[gi * wg..][..wg],
                &mut y[gi * yg..][..yg],
                scratch,
            );
        }
    }
    /// [`Train::backward`](crate::Train::backward) with `dx` (`n` samples of the input's
    /// shape) or without (`None`: the parameter gradients only, the same bits).
    #[cfg(feature = "alloc")]
    fn backward_opt<C, H, W>(
        &self,
        x: &crate::Batch<Shape3<C, H, W>>,
        dy: &crate::Batch<<Self as Layer<Shape3<C, H, W>>>::Out>,
        mut dx: Option<&mut [f32]>,
        cache: &mut ConvCache,
        grad: &mut Self,
    ) where
        Self: Layer<Shape3<C, H, W>>,
        Shape3<C, H, W>: Shape,
    {
        let n = x.len();
        let ([_, h, w], [_, oh, ow]) = (
            <Shape3<C, H, W>>::DIMS,
            <<Self as Layer<Shape3<C, H, W>>>::Out as Shape>::DIMS,
        );
        let pl = Self::plan(h, w, oh, ow);
        let (xn, yn, ckk, o) = (
            <Shape3<C, H, W>>::NUMEL,
            <<Self as Layer<Shape3<C, H, W>>>::Out as Shape>::NUMEL,
            pl.g.rows(),
            pl.o,
        );
        // one group's slices of a sample: input, output, weight
        let (xg, yg, wg) = (pl.g.c * h * w, o * oh * ow, o * ckk);
        let nb = if B::Len::USIZE > 0 { o } else { 0 };
        if Self::batched(&pl) {
            let (xs, dys) = (x.as_slice(), dy.as_slice());
            crate::fused::conv2d_backward(
                &self.weight,
                &pl.g,
                n,
                xs,
                dys,
                dx,
                &mut cache.fused,
                &mut grad.weight,
                &mut grad.bias,
            );
            return;
        }
        if Self::DEPTHWISE {
            let d = Self::depthwise(&pl);
            let (nw, nb) = (self.weight.len(), self.bias.len());
            let pieces = par::partials(n, 2 * yn * d.taps(), nw + nb);
            cache
                .dwp
                .resize_with(pieces.max(cache.dwp.len()), Default::default);
            let work = &mut cache.dwp[..pieces];
            for [gw, gb] in work.iter_mut() {
                gw.clear();
                gw.resize(nw, 0.0);
                gb.clear();
                gb.resize(nb, 0.0);
            }
            let wt = &self.weight[..];
            // the depthwise kernel writes `dx` as it goes: asked for none, it gets a buffer
            let mut own = alloc::vec::Vec::new();
            let dx = dx.unwrap_or_else(|| {
                own.resize(n * xn, 0.0);
                &mut own[..]
            });
            par::for_chunks_parts(work, n, dx, xn, |[gw, gb], start, dxs| {
                for (i, dxi) in dxs.chunks_exact_mut(xn).enumerate() {
                    let s = start + i;
                    let (xs, dys) = (
                        &x.as_slice()[s * xn..][..xn],
                        &dy.as_slice()[s * yn..][..yn],
                    );
                    depthwise::backward(&d, wt, xs, dys, dxi, gw, gb);
                }
            });
            for [gw, gb] in work.iter() {
                crate::kernels::add_to(&mut grad.weight, gw);
                crate::kernels::add_to(&mut grad.bias, gb);
            }
            return;
        }
        // Pieces fixed by the batch, not the thread count: bit-identical gradients.
        for gi in 0..Self::GROUPS {
            let st = sample::Strides {
                xn,
                xo: gi * xg,
                yn,
                yo: gi * yg,
            };
            sample::backward_batch(
                &pl,
                &self.weight[gi * wg..][..wg],
                n,
                st,
                x.as_slice(),
                dy.as_slice(),
                dx.as_deref_mut(),
                &mut cache.bwd,
                &mut grad.weight[gi * wg..][..wg],
                &mut grad.bias[gi * nb..][..nb],
            );
        }
    }
}

/// Shorthand for the output shape of `Conv2d<_, O, K, S, P, D>` on `[_, H, W]`.
pub type Conv2dOut<O, H, W, K, S, P, D> = WindowOut<O, H, W, K, S, P, D>;

impl<C, H, W, I, O, K, S, P, D, B, G> Layer<Shape3<C, H, W>> for Conv2d<I, O, K, S, P, D, B, G>
where
    Shape3<C, H, W>: Shape,
    C: Decimal,
    I: Decimal,
    Dec<C>: Conv2dChannelsMatch<Dec<I>>,
    (H, W): Window2<K, S, P, D>,
    Shape3<C, H, W>: ShowShape,
    K::H: Decimal,
    K::W: Decimal,
    <(H, W) as Window2<K, S, P, D>>::Fits: ShownBit,
    Verdict<<(H, W) as Window2<K, S, P, D>>::Fits>:
        KernelFitsInput<Dec<K::H>, Dec<K::W>, Show<Shape3<C, H, W>>>,
    <(H, W) as Window2<K, S, P, D>>::SameFits: ShownBit,
    Verdict<<(H, W) as Window2<K, S, P, D>>::SameFits>:
        SameKernelFitsInput<Dec<K::H>, Dec<K::W>, DecHyper<D>, Show<Shape3<C, H, W>>>,
    Conv2dOut<O, H, W, K, S, P, D>: Shape,
    I: Unsigned + DivisibleBy<G>,
    O: Filters<I, K, G> + DivisibleBy<G>,
    G: Max<U1>,
    I: Rem<AtLeast1<G>>,
    O: Rem<AtLeast1<G>>,
    Mod<I, AtLeast1<G>>: Decimal,
    Mod<O, AtLeast1<G>>: Decimal,
    Dec<Mod<I, AtLeast1<G>>>: InChannelsDivisibleByGroups<Dec<I>, Dec<G>>,
    Dec<Mod<O, AtLeast1<G>>>: OutChannelsDivisibleByGroups<Dec<O>, Dec<G>>,
    O: Decimal,
    K: PerAxis + ZeroShown,
    IfZero<K>: KernelSizeNonZero,
    S: PerAxis + ZeroShown,
    IfZero<S>: StrideNonZero,
    P: Padding,
    D: PerAxis + DecimalHyper + ZeroShown,
    IfZero<D>: DilationNonZero,
    B: ConvBias<O>,
    G: Unsigned + Decimal + ZeroShown,
    IfZero<G>: GroupsNonZero,
{
    type Out = Conv2dOut<O, H, W, K, S, P, D>;
    /// `Plan::forward_scratch` of one group (the groups run one after the other): the padded
    /// image and a band of output (stride 1) or a band's columns (other strides); nothing for
    /// a depthwise convolution.
    const SCRATCH: usize = {
        let ([_, h, w], [_, oh, ow]) = (<Shape3<C, H, W>>::DIMS, <Self::Out as Shape>::DIMS);
        let pl = Self::plan(h, w, oh, ow);
        if Self::DEPTHWISE {
            Self::depthwise(&pl).scratch()
        } else {
            pl.forward_scratch()
        }
    };
    fn infer(&self, x: &[f32], y: &mut [f32], scratch: &mut [f32]) {
        let ([_, h, w], [_, oh, ow]) = (<Shape3<C, H, W>>::DIMS, <Self::Out as Shape>::DIMS);
        self.infer_groups(&Self::plan(h, w, oh, ow), x, y, scratch);
    }
    /// One group: the batch-level kernel of [`crate::fused::conv2d_infer_batch`] (the whole
    /// batch on Winograd when it applies, or the weights packed once for
    /// [`chanconv`](crate::kernels::chanconv); the code `network!` runs too); otherwise sample
    /// by sample.
    #[cfg(feature = "alloc")]
    fn infer_batch(&self, n: usize, x: &[f32], y: &mut [f32]) {
        let ([_, h, w], [_, oh, ow]) = (<Shape3<C, H, W>>::DIMS, <Self::Out as Shape>::DIMS);
        let pl = Self::plan(h, w, oh, ow);
        let packed_once = Self::GROUPS == 1 && crate::kernels::chanconv::usable(&pl.g, pl.o);
        if !Self::batched(&pl) && !packed_once {
            return crate::layer::infer_samples::<Shape3<C, H, W>, Self>(self, n, x, y);
        }
        let mut bufs = crate::fused::BatchBufs::take();
        let (wt, b) = (&self.weight[..], &self.bias[..]);
        crate::fused::conv2d_infer_batch(wt, b, &pl.g, n, x, y, &mut bufs.s, |_, _| {});
        bufs.give();
    }
}

/// Per-thread buffers of a convolution and the packed weights, kept across steps.
#[cfg(feature = "alloc")]
#[derive(Default)]
pub struct ConvCache {
    fwd: alloc::vec::Vec<alloc::vec::Vec<f32>>,
    /// The packed weights and per-piece buffers of the backward products.
    bwd: sample::BatchWork,
    /// Depthwise: each piece's partial `dW` and `db`.
    dwp: alloc::vec::Vec<[alloc::vec::Vec<f32>; 2]>,
    /// The buffers of the batch-level kernels in [`crate::fused`] (the Winograd case).
    fused: crate::fused::Work,
}

#[cfg(feature = "alloc")]
impl<C, H, W, I, O, K, S, P, D, B, G> crate::layer::Train<Shape3<C, H, W>>
    for Conv2d<I, O, K, S, P, D, B, G>
where
    Self: Layer<Shape3<C, H, W>> + Send + Sync,
    Shape3<C, H, W>: Shape,
    I: Unsigned,
    O: Filters<I, K, G>,
    K: PerAxis,
    S: PerAxis,
    P: Padding,
    D: PerAxis,
    B: ConvBias<O>,
    G: Unsigned,
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
        if Self::batched(&pl) {
            let (w, b, x) = (&self.weight[..], &self.bias[..], x.as_slice());
            let f = &mut cache.fused;
            crate::fused::conv2d_forward(w, b, &pl.g, n, x, y.as_mut_slice(), f, |_, _| {});
            return;
        }
        let pieces = par::pieces(n, yn * ckk);
        cache
            .fwd
            .resize_with(pieces.max(cache.fwd.len()), Default::default);
        let work = &mut cache.fwd[..pieces];
        let scratch = if Self::DEPTHWISE {
            Self::depthwise(&pl).scratch()
        } else {
            pl.forward_scratch()
        };
        for wk in work.iter_mut() {
            wk.resize(scratch, 0.0);
        }
        let this = &*self;
        par::for_chunks_with(work, n, y.as_mut_slice(), yn, |wk, start, ys| {
            for (i, yi) in ys.chunks_exact_mut(yn).enumerate() {
                let xi = &x.as_slice()[(start + i) * xn..][..xn];
                this.infer_groups(&pl, xi, yi, wk);
            }
        });
    }
    /// Group by group (each an ordinary convolution on its channel slices): `Wᵀ` of the group
    /// packed, the batch split into pieces fixed by the batch, the pieces' partial gradients
    /// added in piece order into the group's rows of `grad`.
    fn backward(
        &self,
        x: &crate::Batch<Shape3<C, H, W>>,
        _y: &crate::Batch<Self::Out>,
        dy: &crate::Batch<Self::Out>,
        dx: &mut crate::Batch<Shape3<C, H, W>>,
        cache: &mut ConvCache,
        grad: &mut Self,
    ) {
        dx.resize(x.len());
        self.backward_opt(x, dy, Some(dx.as_mut_slice()), cache, grad);
    }
    /// The weight products only: no `Wᵀ·dY`, no col2im.
    fn backward_params(
        &self,
        x: &crate::Batch<Shape3<C, H, W>>,
        _y: &crate::Batch<Self::Out>,
        dy: &crate::Batch<Self::Out>,
        cache: &mut ConvCache,
        grad: &mut Self,
    ) {
        self.backward_opt(x, dy, None, cache, grad);
    }
    fn visit_with_grad(&mut self, g: &Self, f: &mut dyn FnMut(&mut [f32], &[f32])) {
        f(&mut self.weight, &g.weight);
        if B::Len::USIZE > 0 {
            f(&mut self.bias, &g.bias);
        }
    }
}

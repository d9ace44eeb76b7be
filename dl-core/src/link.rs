//! A hand-composed chain's shape errors name the link: `Seq![…]` records each layer's position
//! in the [`Seq`](struct@crate::Seq) type, and a `Seq` asks each of its layers [`LinkFits<In, AT>`]
//! instead of `Layer<In>`. `LinkFits` is `Layer` plus the shape checks a mistake in a chain
//! usually trips (channels, widths, a window larger than its input, a residual or concat of
//! different shapes, a crop, a Maxout split), asked once more with the position `AT`:
//!
//! ```text
//! error[E0277]: link 2 of the chain: channel mismatch: this Conv2d takes `Dim<3>` input channels, the input has `Dim<6>`
//! ```
//!
//! Each positioned check (`Conv2dChannelsMatchAt<Want, AT>`) has the layer's own check
//! (`Conv2dChannelsMatch<Want>`) as its supertrait, so when both fail rustc reports only the
//! positioned one (it implies the other); a layer used outside a chain keeps the plain message.
//! Hyper-parameter checks (kernel 0, stride 0, eps 0, …) are asked once more with the position
//! too (`KernelSizeNonZeroAt<AT>`), so "kernel size 0" inside a chain says which link.
//!
//! Every layer type needs a `LinkFits` impl to go in a `Seq`; dl-core's layers and the structs
//! `network!` writes have one. A layer of your own gets one from [`link_fits!`](crate::link_fits!).

use crate::check::{
    BatchNorm1dFeaturesMatch, BatchNorm2dChannelsMatch, Conv2dChannelsMatch,
    ConvTranspose2dChannelsMatch, CropFits, DilationNonZero, DropoutBelowOne, EpsExponentInRange,
    EpsNonZero, GroupsNonZero, InChannelsDivisibleByGroups, KernelFitsInput, KernelSizeNonZero,
    LinearFeaturesMatch, OutChannelsDivisibleByGroups, PiecesDivideChannels, PiecesNonZero,
    PoolPaddingAtMostHalfKernel, ScaleFactorPositive, ShapesMatch, SpatialMatch, StrideNonZero,
    WindowFitsInput, WindowNotEmpty,
};
use crate::layer::{Layer, Network, Seq};
use crate::layers::conv::{ConvBias, Filters};
use crate::layers::dropout::ProbCheck;
use crate::layers::linear::Dense;
use crate::layers::maxout::MaxoutShape;
use crate::layers::norm::{Features, Maps, SizeCheck};
use crate::layers::upsample::CropDim;
use crate::layers::*;
use crate::shape::AtLeast1;
use crate::shape::{PerAxis, Shape, Shape1, Shape3, Window2};
use crate::shown::{
    Dec, Decimal, Dim, Holds, IfZero, NotZero, Show, ShowShape, ShownBit, Verdict, ZeroShown,
};
use core::ops::Rem;
use generic_array::ArrayLength;
use typenum::{Max, Mod, U1};

/// `Self` can be link `AT` (counted from 0) of a [`Seq`] given `In`: [`Layer<In>`] with the
/// shape checks asked again at that position, so the error names the link.
#[diagnostic::on_unimplemented(
    message = "link {AT} of the chain: a layer given a shape of the wrong kind (a vector [N] where it needs a feature map [C, H, W], or the reverse), or a layer type that cannot go in a `Seq`",
    label = "link {AT} (counted from 0) of this chain cannot take the shape the link before it produces",
    note = "Linear, BatchNorm1d and Maxout on vectors take [N] (put Flatten or GlobalAvgPool2d + Flatten before a Linear); Conv2d, pooling, BatchNorm2d, Upsample take a feature map [C, H, W]",
    note = "a layer type of your own goes in a `Seq` once it has `dl::link_fits!(YourLayer)`"
)]
pub trait LinkFits<In: Shape, const AT: usize>: Layer<In> {}

/// A [`LinkFits`] impl with no positioned checks, for a layer type of your own (its `Layer`
/// checks still apply, with their own messages): `link_fits!(MyLayer)`, or with generics
/// `link_fits!(impl [T: Bound,] MyLayer<T>)` (each generic followed by a comma).
#[macro_export]
macro_rules! link_fits {
    ($ty:ty) => {
        $crate::link_fits!(impl [] $ty);
    };
    (impl [$($g:tt)*] $ty:ty) => {
        impl<In: $crate::Shape, $($g)* const AT: usize> $crate::link::LinkFits<In, AT> for $ty
        where
            $ty: $crate::Layer<In>,
        {
        }
    };
}

/// The positioned sibling of a decimal equality check (`match_trait!` in [`crate::check`]).
macro_rules! match_at {
    ($(#[$doc:meta])* $name:ident: $base:ident, $msg:literal, $label:literal, $note:literal) => {
        $(#[$doc])*
        #[diagnostic::on_unimplemented(message = $msg, label = $label, note = $note)]
        pub trait $name<Want, const AT: usize>: $base<Want> {}
        #[diagnostic::do_not_recommend]
        impl<T, const AT: usize> $name<T, AT> for T {}
    };
}

/// The positioned sibling of a hyper-parameter check (`nonzero_trait!`, `check_trait!`,
/// `zero_rest_trait!`), implemented (after the macro, as the plain check is) for the same type
/// as the plain check (`NotZero`, `Holds`, `Dim<0>`): an impl without a where clause, so the
/// positioned obligation is the one that fails and is reported (a blanket `impl<T: Plain>`
/// would fail on `T: Plain` instead), and not `do_not_recommend`, so rustc's `help:` line names
/// that type rather than the whole `Seq`'s `Layer` impl.
macro_rules! hyper_at {
    ($(#[$doc:meta])* $name:ident<$($p:ident),*>: $base:ident, $msg:literal, $label:literal, $note:literal) => {
        $(#[$doc])*
        #[diagnostic::on_unimplemented(message = $msg, label = $label, note = $note)]
        pub trait $name<$($p,)* const AT: usize>: $base<$($p),*> {}
    };
}

/// The positioned sibling of a check on a computed bit (`bit_check_trait!`).
macro_rules! bit_at {
    ($(#[$doc:meta])* $name:ident<$($p:ident),*>: $base:ident, $msg:literal, $label:literal, $note:literal) => {
        $(#[$doc])*
        #[diagnostic::on_unimplemented(message = $msg, label = $label, note = $note)]
        pub trait $name<$($p,)* const AT: usize>: $base<$($p),*> {}
        #[diagnostic::do_not_recommend]
        impl<$($p,)* const AT: usize> $name<$($p,)* AT> for Holds {}
    };
}

match_at!(
    /// [`Conv2dChannelsMatch`] at link `AT`.
    Conv2dChannelsMatchAt: Conv2dChannelsMatch,
    "link {AT} of the chain: channel mismatch: this Conv2d takes `{Want}` input channels, the input has `{Self}`",
    "link {AT}, a Conv2d with in_channels `{Want}`, is given `{Self}` channels",
    "Conv2d<I, O, K, …> takes I input channels: I must be the previous layer's output channel count (links count from 0 in the `Seq![…]`)"
);
match_at!(
    /// [`ConvTranspose2dChannelsMatch`] at link `AT`.
    ConvTranspose2dChannelsMatchAt: ConvTranspose2dChannelsMatch,
    "link {AT} of the chain: channel mismatch: this ConvTranspose2d takes `{Want}` input channels, the input has `{Self}`",
    "link {AT}, a ConvTranspose2d with in_channels `{Want}`, is given `{Self}` channels",
    "ConvTranspose2d<I, O, K, …> takes I input channels: I must be the previous layer's output channel count (links count from 0 in the `Seq![…]`)"
);
match_at!(
    /// [`BatchNorm2dChannelsMatch`] at link `AT`.
    BatchNorm2dChannelsMatchAt: BatchNorm2dChannelsMatch,
    "link {AT} of the chain: channel mismatch: this BatchNorm2d normalises `{Want}` channels, the input has `{Self}`",
    "link {AT}, a BatchNorm2d of `{Want}` channels, is given `{Self}`",
    "BatchNorm2d<C> normalises C channels: C must be the previous layer's output channel count (links count from 0 in the `Seq![…]`)"
);
match_at!(
    /// [`BatchNorm1dFeaturesMatch`] at link `AT`.
    BatchNorm1dFeaturesMatchAt: BatchNorm1dFeaturesMatch,
    "link {AT} of the chain: width mismatch: this BatchNorm1d normalises `{Want}` features, the input has `{Self}`",
    "link {AT}, a BatchNorm1d of `{Want}` features, is given `{Self}`",
    "BatchNorm1d<N> normalises N features: N must be the previous layer's width (links count from 0 in the `Seq![…]`)"
);
match_at!(
    /// [`LinearFeaturesMatch`] at link `AT`.
    LinearFeaturesMatchAt: LinearFeaturesMatch,
    "link {AT} of the chain: width mismatch: this Linear takes `{Want}` input features, the input has `{Self}`",
    "link {AT}, a Linear with in_features `{Want}`, is given `{Self}` features",
    "Linear<I, O> takes I input features; after Flatten the width is C·H·W of the previous feature map (links count from 0 in the `Seq![…]`)"
);
match_at!(
    /// [`ShapesMatch`] at link `AT`.
    ShapesMatchAt: ShapesMatch,
    "link {AT} of the chain: residual add of two different shapes: the main branch gives `{Self}`, the shortcut `{Want}`",
    "link {AT}, a Residual: the main branch gives `{Self}`, the shortcut `{Want}`",
    "Residual<F, S> adds F(x) and S(x), which need the same shape (links count from 0 in the `Seq![…]`)"
);
bit_at!(
    /// [`SpatialMatch`] at link `AT`.
    SpatialMatchAt<A, B>: SpatialMatch,
    "link {AT} of the chain: concat of feature maps with different spatial sizes: the branches give `{A}` and `{B}`",
    "link {AT}, a Concat: the branches give `{A}` and `{B}`",
    "channel concat needs every input to have the same H and W (links count from 0 in the `Seq![…]`)"
);
bit_at!(
    /// [`CropFits`] at link `AT`.
    CropFitsAt<Offset, Size, Length>: CropFits,
    "link {AT} of the chain: crop larger than its input: offset `{Offset}` + size `{Size}` exceeds the input's `{Length}`",
    "link {AT}, a Crop: offset `{Offset}` + size `{Size}` does not fit the input's `{Length}`",
    "Crop<H', W', top, left> needs top+H' ≤ H and left+W' ≤ W (links count from 0 in the `Seq![…]`)"
);
bit_at!(
    /// [`PiecesDivideChannels`] at link `AT`.
    PiecesDivideChannelsAt<Input, Pieces>: PiecesDivideChannels,
    "link {AT} of the chain: Maxout: the input `{Input}` does not split into groups of `{Pieces}` pieces",
    "link {AT}, a Maxout, cannot split its input `{Input}` evenly into `{Pieces}` pieces",
    "Maxout<K> maps N features (or channels) to N/K, so K must divide N (links count from 0 in the `Seq![…]`)"
);
bit_at!(
    /// [`KernelFitsInput`] at link `AT`.
    KernelFitsInputAt<KernelH, KernelW, Input>: KernelFitsInput,
    "link {AT} of the chain: kernel larger than the padded input: this Conv2d's `{KernelH}`×`{KernelW}` kernel (D·(K−1)+1 if dilated) exceeds its input `{Input}` plus padding",
    "link {AT}, a Conv2d: its kernel does not fit its input `{Input}` plus padding",
    "the output size ⌊(H + 2P − D·(K−1) − 1)/S⌋ + 1 must be at least 1: shrink the kernel, pad, or feed a larger map (links count from 0 in the `Seq![…]`)"
);
bit_at!(
    /// [`WindowFitsInput`] at link `AT`.
    WindowFitsInputAt<KernelH, KernelW, Input>: WindowFitsInput,
    "link {AT} of the chain: pooling window larger than the padded input: this `{KernelH}`×`{KernelW}` window (D·(K−1)+1 if dilated) exceeds its input `{Input}` plus padding",
    "link {AT}, a pooling layer: its window does not fit its input `{Input}` plus padding",
    "the output size ⌊(H + 2P − D·(K−1) − 1)/S⌋ + 1 must be at least 1 (links count from 0 in the `Seq![…]`)"
);

hyper_at!(
    /// [`KernelSizeNonZero`] at link `AT`.
    KernelSizeNonZeroAt<>: KernelSizeNonZero,
    "link {AT} of the chain: kernel size 0: a convolution kernel or pooling window must be at least 1×1",
    "link {AT}: this layer's kernel size K is 0",
    "Conv2d<I, O, K, …>, ConvTranspose2d<I, O, K, …>, MaxPool2d<K, …>, AvgPool2d<K, …> need K ≥ 1 (links count from 0 in the `Seq![…]`)"
);
impl<const AT: usize> KernelSizeNonZeroAt<AT> for NotZero {}
hyper_at!(
    /// [`StrideNonZero`] at link `AT`.
    StrideNonZeroAt<>: StrideNonZero,
    "link {AT} of the chain: stride 0: a convolution or pooling window must move by at least 1 pixel",
    "link {AT}: this layer's stride S is 0",
    "the output size ⌊(H + 2P − D·(K−1) − 1)/S⌋ + 1 divides by the stride S, which must be ≥ 1 (links count from 0 in the `Seq![…]`)"
);
impl<const AT: usize> StrideNonZeroAt<AT> for NotZero {}
hyper_at!(
    /// [`DilationNonZero`] at link `AT`.
    DilationNonZeroAt<>: DilationNonZero,
    "link {AT} of the chain: dilation 0: every kernel tap would read the same pixel",
    "link {AT}: this layer's dilation D is 0",
    "dilation D spaces the kernel taps D pixels apart (1 = an ordinary kernel), so D ≥ 1 (links count from 0 in the `Seq![…]`)"
);
impl<const AT: usize> DilationNonZeroAt<AT> for NotZero {}
hyper_at!(
    /// [`GroupsNonZero`] at link `AT`.
    GroupsNonZeroAt<>: GroupsNonZero,
    "link {AT} of the chain: groups = 0: a convolution needs at least one group",
    "link {AT}, a Conv2d: its group count G is 0",
    "Conv2d<I, O, K, S, P, D, B, G> splits its channels into G ≥ 1 groups (1 = an ordinary convolution; links count from 0 in the `Seq![…]`)"
);
impl<const AT: usize> GroupsNonZeroAt<AT> for NotZero {}
hyper_at!(
    /// [`InChannelsDivisibleByGroups`] at link `AT`.
    InChannelsDivisibleByGroupsAt<In, Groups>: InChannelsDivisibleByGroups,
    "link {AT} of the chain: groups do not divide in_channels: this Conv2d's `{In}` input channels leave `{Self}` over in `{Groups}` groups",
    "link {AT}, a Conv2d: in_channels `{In}` is not a multiple of its groups `{Groups}`",
    "each of the G groups convolves I/G input channels into O/G output channels (PyTorch's groups; links count from 0 in the `Seq![…]`)"
);
impl<In, Groups, const AT: usize> InChannelsDivisibleByGroupsAt<In, Groups, AT> for Dim<0> {}
hyper_at!(
    /// [`OutChannelsDivisibleByGroups`] at link `AT`.
    OutChannelsDivisibleByGroupsAt<Out, Groups>: OutChannelsDivisibleByGroups,
    "link {AT} of the chain: groups do not divide out_channels: this Conv2d's `{Out}` output channels leave `{Self}` over in `{Groups}` groups",
    "link {AT}, a Conv2d: out_channels `{Out}` is not a multiple of its groups `{Groups}`",
    "each of the G groups convolves I/G input channels into O/G output channels (PyTorch's groups; links count from 0 in the `Seq![…]`)"
);
impl<Out, Groups, const AT: usize> OutChannelsDivisibleByGroupsAt<Out, Groups, AT> for Dim<0> {}
hyper_at!(
    /// [`PoolPaddingAtMostHalfKernel`] at link `AT`.
    PoolPaddingAtMostHalfKernelAt<>: PoolPaddingAtMostHalfKernel,
    "link {AT} of the chain: pooling padding larger than half the kernel: 2P > K",
    "link {AT}, a pooling layer: it pads more than half its window",
    "MaxPool2d/AvgPool2d need padding ≤ kernel_size / 2, as in PyTorch (links count from 0 in the `Seq![…]`)"
);
impl<const AT: usize> PoolPaddingAtMostHalfKernelAt<AT> for Holds {}
hyper_at!(
    /// [`PiecesNonZero`] at link `AT`.
    PiecesNonZeroAt<>: PiecesNonZero,
    "link {AT} of the chain: Maxout<0>: the maximum over groups of 0 pieces",
    "link {AT}, a Maxout: it has 0 pieces",
    "Maxout<K> maps N features to N/K (the max of each group of K), so K ≥ 1 (links count from 0 in the `Seq![…]`)"
);
impl<const AT: usize> PiecesNonZeroAt<AT> for NotZero {}
hyper_at!(
    /// [`EpsNonZero`] at link `AT`.
    EpsNonZeroAt<>: EpsNonZero,
    "link {AT} of the chain: BatchNorm eps = 0: ε must be positive (it is added to the variance before the square root)",
    "link {AT}, a BatchNorm: its eps is Eps<0, E> = 0",
    "Eps<M, E> is M·10⁻ᴱ: 1e-5 (PyTorch's default) is Eps<U1, U5>, 0.001 is Eps<U1, U3>; M ≥ 1 (links count from 0 in the `Seq![…]`)"
);
impl<const AT: usize> EpsNonZeroAt<AT> for NotZero {}
hyper_at!(
    /// [`EpsExponentInRange`] at link `AT`.
    EpsExponentInRangeAt<>: EpsExponentInRange,
    "link {AT} of the chain: BatchNorm eps = M·10⁻ᴱ with E = `{Self}` > 38: below f32's normal range (≈ 1.2e-38)",
    "link {AT}, a BatchNorm: its eps exponent E is `{Self}`, above 38",
    "Eps<M, E> is M·10⁻ᴱ: 1e-5 (PyTorch's default) is Eps<U1, U5>; E ≤ 38 (links count from 0 in the `Seq![…]`)"
);
hyper_at!(
    /// [`WindowNotEmpty`] at link `AT`.
    WindowNotEmptyAt<>: WindowNotEmpty,
    "link {AT} of the chain: LocalResponseNorm over an empty window: size must be at least 1",
    "link {AT}, a LocalResponseNorm: its size is 0",
    "LocalResponseNorm<SIZE> sums the squares of SIZE neighbouring channels (links count from 0 in the `Seq![…]`)"
);
impl<const AT: usize> WindowNotEmptyAt<AT> for NotZero {}
hyper_at!(
    /// [`DropoutBelowOne`] at link `AT`.
    DropoutBelowOneAt<>: DropoutBelowOne,
    "link {AT} of the chain: dropout probability NUM/DEN is not below 1: every unit would be dropped",
    "link {AT}, a Dropout: it drops with probability p = NUM/DEN ≥ 1",
    "Dropout<NUM, DEN> drops each unit with probability NUM/DEN and needs NUM < DEN (links count from 0 in the `Seq![…]`)"
);
impl<const AT: usize> DropoutBelowOneAt<AT> for Holds {}
hyper_at!(
    /// [`ScaleFactorPositive`] at link `AT`.
    ScaleFactorPositiveAt<>: ScaleFactorPositive,
    "link {AT} of the chain: up-sampling by a scale factor of 0",
    "link {AT}, an Upsample: it would produce an empty output",
    "Upsample<F> maps [C, H, W] to [C, H·F, W·F], so F must be at least 1 (links count from 0 in the `Seq![…]`)"
);
impl<const AT: usize> ScaleFactorPositiveAt<AT> for NotZero {}

/// Per axis, `(height, width)`: both non-zero.
impl<const AT: usize> KernelSizeNonZeroAt<AT> for (NotZero, NotZero) {}
/// Per axis: both non-zero.
impl<const AT: usize> StrideNonZeroAt<AT> for (NotZero, NotZero) {}
/// Per axis: both non-zero.
impl<const AT: usize> DilationNonZeroAt<AT> for (NotZero, NotZero) {}
macro_rules! exponents_in_range_at {
    ($($n:literal)*) => {
        $(impl<const AT: usize> EpsExponentInRangeAt<AT> for Dim<$n> {})*
    };
}
exponents_in_range_at!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38);

// ------------------------------------------------------------------ layers with shape checks

impl<C, H, W, I, O, K, S, P, D, B, G, const AT: usize> LinkFits<Shape3<C, H, W>, AT>
    for Conv2d<I, O, K, S, P, D, B, G>
where
    Self: Layer<Shape3<C, H, W>>,
    Shape3<C, H, W>: Shape + ShowShape,
    O: Filters<I, K, G>,
    B: ConvBias<O>,
    C: Decimal,
    I: Decimal,
    Dec<C>: Conv2dChannelsMatchAt<Dec<I>, AT>,
    K: PerAxis,
    K::H: Decimal,
    K::W: Decimal,
    (H, W): Window2<K, S, P, D>,
    <(H, W) as Window2<K, S, P, D>>::Fits: ShownBit,
    Verdict<<(H, W) as Window2<K, S, P, D>>::Fits>:
        KernelFitsInputAt<Dec<K::H>, Dec<K::W>, Show<Shape3<C, H, W>>, AT>,
    K: ZeroShown,
    IfZero<K>: KernelSizeNonZeroAt<AT>,
    S: ZeroShown,
    IfZero<S>: StrideNonZeroAt<AT>,
    D: ZeroShown,
    IfZero<D>: DilationNonZeroAt<AT>,
    G: Max<U1> + Decimal + ZeroShown,
    IfZero<G>: GroupsNonZeroAt<AT>,
    I: Rem<AtLeast1<G>>,
    O: Rem<AtLeast1<G>> + Decimal,
    Mod<I, AtLeast1<G>>: Decimal,
    Mod<O, AtLeast1<G>>: Decimal,
    Dec<Mod<I, AtLeast1<G>>>: InChannelsDivisibleByGroupsAt<Dec<I>, Dec<G>, AT>,
    Dec<Mod<O, AtLeast1<G>>>: OutChannelsDivisibleByGroupsAt<Dec<O>, Dec<G>, AT>,
{
}

impl<C, H, W, I, O, K, S, P, D, OP, B, const AT: usize> LinkFits<Shape3<C, H, W>, AT>
    for ConvTranspose2d<I, O, K, S, P, D, OP, B>
where
    Self: Layer<Shape3<C, H, W>>,
    Shape3<C, H, W>: Shape,
    I: Filters<O, K> + Decimal,
    O: ArrayLength,
    B: ConvBias<O>,
    C: Decimal,
    Dec<C>: ConvTranspose2dChannelsMatchAt<Dec<I>, AT>,
    K: ZeroShown,
    IfZero<K>: KernelSizeNonZeroAt<AT>,
    S: ZeroShown,
    IfZero<S>: StrideNonZeroAt<AT>,
    D: ZeroShown,
    IfZero<D>: DilationNonZeroAt<AT>,
{
}

/// The ε checks are asked here, not through a trait of `Eps`, so a failure's notes do not go
/// through one more "required for `Eps<…>`" (whose numbers rustc prints as typenum).
impl<C2, H, W, C, M, X, const AT: usize> LinkFits<Shape3<C2, H, W>, AT>
    for BatchNorm<C, Maps, Eps<M, X>>
where
    M: ZeroShown,
    IfZero<M>: EpsNonZeroAt<AT>,
    X: Decimal,
    Dec<X>: EpsExponentInRangeAt<AT>,
    Self: Layer<Shape3<C2, H, W>>,
    Shape3<C2, H, W>: Shape,
    C: ArrayLength + Decimal,
    C2: Decimal,
    Dec<C2>: BatchNorm2dChannelsMatchAt<Dec<C>, AT>,
{
}

impl<N, C, M, X, const AT: usize> LinkFits<Shape1<N>, AT> for BatchNorm<C, Features, Eps<M, X>>
where
    M: ZeroShown,
    IfZero<M>: EpsNonZeroAt<AT>,
    X: Decimal,
    Dec<X>: EpsExponentInRangeAt<AT>,
    Self: Layer<Shape1<N>>,
    Shape1<N>: Shape,
    C: ArrayLength + Decimal,
    N: Decimal,
    Dec<N>: BatchNorm1dFeaturesMatchAt<Dec<C>, AT>,
{
}

impl<N, I, O, const AT: usize> LinkFits<Shape1<N>, AT> for Linear<I, O>
where
    Self: Layer<Shape1<N>>,
    Shape1<N>: Shape,
    O: Dense<I>,
    N: Decimal,
    I: Decimal,
    Dec<N>: LinearFeaturesMatchAt<Dec<I>, AT>,
{
}

/// MaxPool2d and AvgPool2d (no dilation parameter: `U1`) ask the same positioned checks.
macro_rules! pool_link_fits {
    ($pool:ty, [$($d:ident)?], $dil:ty) => {
        impl<C, H, W, K, S, P, $($d,)? M, const AT: usize> LinkFits<Shape3<C, H, W>, AT> for $pool
        where
            Self: Layer<Shape3<C, H, W>>,
            Shape3<C, H, W>: Shape + ShowShape,
            K: PerAxis + ZeroShown,
            K::H: Decimal,
            K::W: Decimal,
            (H, W): Window2<K, S, P, $dil, M>,
            <(H, W) as Window2<K, S, P, $dil, M>>::Fits: ShownBit,
            Verdict<<(H, W) as Window2<K, S, P, $dil, M>>::Fits>:
                WindowFitsInputAt<Dec<K::H>, Dec<K::W>, Show<Shape3<C, H, W>>, AT>,
            <(H, W) as Window2<K, S, P, $dil, M>>::HalfKernel: ShownBit,
            Verdict<<(H, W) as Window2<K, S, P, $dil, M>>::HalfKernel>:
                PoolPaddingAtMostHalfKernelAt<AT>,
            IfZero<K>: KernelSizeNonZeroAt<AT>,
            S: ZeroShown,
            IfZero<S>: StrideNonZeroAt<AT>,
            $dil: ZeroShown,
            IfZero<$dil>: DilationNonZeroAt<AT>,
        {
        }
    };
}
pool_link_fits!(MaxPool2d<K, S, P, D, M>, [D], D);
pool_link_fits!(AvgPool2d<K, S, P, M>, [], U1);

impl<C, H, W, OH, OW, TOP, LEFT, const AT: usize> LinkFits<Shape3<C, H, W>, AT>
    for Crop<OH, OW, TOP, LEFT>
where
    Self: Layer<Shape3<C, H, W>>,
    Shape3<C, H, W>: Shape,
    H: CropDim<OH, TOP> + Decimal,
    W: CropDim<OW, LEFT> + Decimal,
    OH: Decimal,
    OW: Decimal,
    TOP: Decimal,
    LEFT: Decimal,
    <H as CropDim<OH, TOP>>::Fits: ShownBit,
    Verdict<<H as CropDim<OH, TOP>>::Fits>: CropFitsAt<Dec<TOP>, Dec<OH>, Dec<H>, AT>,
    <W as CropDim<OW, LEFT>>::Fits: ShownBit,
    Verdict<<W as CropDim<OW, LEFT>>::Fits>: CropFitsAt<Dec<LEFT>, Dec<OW>, Dec<W>, AT>,
{
}

impl<In, K, const AT: usize> LinkFits<In, AT> for Maxout<K>
where
    Self: Layer<In>,
    In: MaxoutShape<K> + ShowShape,
    K: Decimal,
    In::Divides: ShownBit,
    Verdict<In::Divides>: PiecesDivideChannelsAt<Show<In>, Dec<K>, AT>,
    K: ZeroShown,
    IfZero<K>: PiecesNonZeroAt<AT>,
{
}

impl<In, F, Sc, const AT: usize> LinkFits<In, AT> for Residual<F, Sc>
where
    Self: Layer<In>,
    In: Shape,
    F: Layer<In>,
    Sc: Layer<In>,
    F::Out: ShowShape,
    Sc::Out: ShowShape,
    Show<F::Out>: ShapesMatchAt<Show<Sc::Out>, AT>,
{
}

impl<In, A, B, const AT: usize> LinkFits<In, AT> for Concat<A, B>
where
    Self: Layer<In>,
    In: Shape,
    A: Layer<In>,
    B: Layer<In>,
    A::Out: ConcatShape<B::Out> + ShowShape,
    B::Out: ShowShape,
    <A::Out as ConcatShape<B::Out>>::Fits: ShownBit,
    Verdict<<A::Out as ConcatShape<B::Out>>::Fits>: SpatialMatchAt<Show<A::Out>, Show<B::Out>, AT>,
{
}

impl<C, H, W, F, M, const AT: usize> LinkFits<Shape3<C, H, W>, AT> for Upsample<F, M>
where
    Self: Layer<Shape3<C, H, W>>,
    Shape3<C, H, W>: Shape,
    F: ZeroShown,
    IfZero<F>: ScaleFactorPositiveAt<AT>,
{
}

impl<C, H, W, SIZE, const AT: usize> LinkFits<Shape3<C, H, W>, AT> for LocalResponseNorm<SIZE>
where
    Self: Layer<Shape3<C, H, W>>,
    Shape3<C, H, W>: Shape,
    C: SizeCheck<SIZE>,
    <C as SizeCheck<SIZE>>::NotEmpty: WindowNotEmptyAt<AT>,
{
}

impl<In, NUM, DEN, const AT: usize> LinkFits<In, AT> for Dropout<NUM, DEN>
where
    Self: Layer<In>,
    In: Shape + ProbCheck<NUM, DEN>,
    In::BelowOne: ShownBit,
    Verdict<In::BelowOne>: DropoutBelowOneAt<AT>,
{
}

// ------------------------------------------------------------------ the rest

link_fits!(impl [F,] Act<F>);
link_fits!(Softmax);
link_fits!(Flatten);
link_fits!(GlobalAvgPool2d);
link_fits!(Identity);
link_fits!(impl [In2: Shape, L,] Network<In2, L>);

/// A chain as a link (a `Seq` nested by hand, or the tail of a longer one): its own links carry
/// their positions. The bounds are the `Layer` impl's own, not `Self: Layer<In>`, so each `Seq`
/// level costs the trait solver one step, as before (`Self: Layer<In>` made it two, and
/// `ResNet101` alone in a fresh crate overflowed the default recursion limit).
impl<In, A, B, const AT_A: usize, const AT_B: usize, const AT: usize> LinkFits<In, AT>
    for Seq<A, B, AT_A, AT_B>
where
    In: Shape,
    A: LinkFits<In, AT_A>,
    B: LinkFits<A::Out, AT_B>,
{
}

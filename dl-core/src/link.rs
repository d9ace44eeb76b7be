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
//! Hyper-parameter checks (kernel 0, stride 0, …) are about the layer alone and stay plain.
//!
//! Every layer type needs a `LinkFits` impl to go in a `Seq`; dl-core's layers and the structs
//! `network!` writes have one. A layer of your own gets one from [`link_fits!`](crate::link_fits!).

use crate::check::{
    BatchNorm1dFeaturesMatch, BatchNorm2dChannelsMatch, Conv2dChannelsMatch,
    ConvTranspose2dChannelsMatch, CropFits, KernelFitsInput, LinearFeaturesMatch,
    PiecesDivideChannels, ShapesMatch, SpatialMatch, WindowFitsInput,
};
use crate::layer::{Layer, Network, Seq};
use crate::layers::conv::{ConvBias, Filters};
use crate::layers::linear::Dense;
use crate::layers::maxout::MaxoutShape;
use crate::layers::norm::{Features, Maps};
use crate::layers::upsample::CropDim;
use crate::layers::*;
use crate::shape::{PerAxis, Shape, Shape1, Shape3, Window2};
use crate::shown::{Dec, Decimal, Show, ShowShape};
use generic_array::ArrayLength;
use typenum::U1;

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

/// The positioned sibling of a check on a computed bit (`bit_check_trait!`).
macro_rules! bit_at {
    ($(#[$doc:meta])* $name:ident<$($p:ident),*>: $base:ident, $msg:literal, $label:literal, $note:literal) => {
        $(#[$doc])*
        #[diagnostic::on_unimplemented(message = $msg, label = $label, note = $note)]
        pub trait $name<$($p,)* const AT: usize>: $base<$($p),*> {}
        #[diagnostic::do_not_recommend]
        impl<$($p,)* const AT: usize> $name<$($p,)* AT> for typenum::B1 {}
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
    <(H, W) as Window2<K, S, P, D>>::Fits:
        KernelFitsInputAt<Dec<K::H>, Dec<K::W>, Show<Shape3<C, H, W>>, AT>,
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
{
}

impl<C2, H, W, C, E, const AT: usize> LinkFits<Shape3<C2, H, W>, AT> for BatchNorm<C, Maps, E>
where
    Self: Layer<Shape3<C2, H, W>>,
    Shape3<C2, H, W>: Shape,
    C: ArrayLength + Decimal,
    C2: Decimal,
    Dec<C2>: BatchNorm2dChannelsMatchAt<Dec<C>, AT>,
{
}

impl<N, C, E, const AT: usize> LinkFits<Shape1<N>, AT> for BatchNorm<C, Features, E>
where
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

impl<C, H, W, K, S, P, D, M, const AT: usize> LinkFits<Shape3<C, H, W>, AT>
    for MaxPool2d<K, S, P, D, M>
where
    Self: Layer<Shape3<C, H, W>>,
    Shape3<C, H, W>: Shape + ShowShape,
    K: PerAxis,
    K::H: Decimal,
    K::W: Decimal,
    (H, W): Window2<K, S, P, D, M>,
    <(H, W) as Window2<K, S, P, D, M>>::Fits:
        WindowFitsInputAt<Dec<K::H>, Dec<K::W>, Show<Shape3<C, H, W>>, AT>,
{
}

impl<C, H, W, K, S, P, M, const AT: usize> LinkFits<Shape3<C, H, W>, AT> for AvgPool2d<K, S, P, M>
where
    Self: Layer<Shape3<C, H, W>>,
    Shape3<C, H, W>: Shape + ShowShape,
    K: PerAxis,
    K::H: Decimal,
    K::W: Decimal,
    (H, W): Window2<K, S, P, U1, M>,
    <(H, W) as Window2<K, S, P, U1, M>>::Fits:
        WindowFitsInputAt<Dec<K::H>, Dec<K::W>, Show<Shape3<C, H, W>>, AT>,
{
}

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
    <H as CropDim<OH, TOP>>::Fits: CropFitsAt<Dec<TOP>, Dec<OH>, Dec<H>, AT>,
    <W as CropDim<OW, LEFT>>::Fits: CropFitsAt<Dec<LEFT>, Dec<OW>, Dec<W>, AT>,
{
}

impl<In, K, const AT: usize> LinkFits<In, AT> for Maxout<K>
where
    Self: Layer<In>,
    In: MaxoutShape<K> + ShowShape,
    K: Decimal,
    In::Divides: PiecesDivideChannelsAt<Show<In>, Dec<K>, AT>,
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
    <A::Out as ConcatShape<B::Out>>::Fits: SpatialMatchAt<Show<A::Out>, Show<B::Out>, AT>,
{
}

// ------------------------------------------------------------------ the rest

link_fits!(impl [F,] Act<F>);
link_fits!(impl [F, M,] Upsample<F, M>);
link_fits!(impl [SIZE,] LocalResponseNorm<SIZE>);
link_fits!(impl [NUM, DEN,] Dropout<NUM, DEN>);
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

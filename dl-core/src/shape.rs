//! Per-sample shapes as types, and the size formulas of every layer as named type operators.
//!
//! A batch's size is a run-time value; everything here is per sample. The formulas are total
//! (they never fail to evaluate); whether a configuration is *valid* is a separate type, checked
//! by the traits in [`crate::check`], so an invalid layer fails with a message naming the problem
//! instead of a typenum arithmetic error.
use core::marker::PhantomData;
use core::ops::{Add, Div, Mul, Sub};
use generic_array::ArrayLength;
use typenum::{
    Add1, Diff, GrEq, IsGreaterOrEqual, IsLessOrEqual, LeEq, Max, Maximum, Prod, Quot, Sub1, Sum,
    Unsigned, B1, U1, U2,
};

/// A per-sample tensor shape. `Len` is the element count as a type, so storage needs no allocator.
pub trait Shape: 'static + Send + Sync {
    /// Number of elements as a type-level number.
    type Len: ArrayLength;
    /// Number of elements.
    const NUMEL: usize = <Self::Len as Unsigned>::USIZE;
    /// Dimensions, padded at the front with 1s: `[C, H, W]`, `[1, R, C]` or `[1, 1, N]`.
    const DIMS: [usize; 3];
    /// How many of [`Shape::DIMS`] are the shape's own (1 for `[N]`, 2, 3 for `[C, H, W]`).
    const RANK: usize = 3;
}

macro_rules! shape_struct {
    ($(#[$doc:meta])* $name:ident<$($p:ident),*>) => {
        $(#[$doc])*
        pub struct $name<$($p),*>(PhantomData<fn() -> ($($p,)*)>);
        impl<$($p),*> Clone for $name<$($p),*> { fn clone(&self) -> Self { *self } }
        impl<$($p),*> Copy for $name<$($p),*> {}
        impl<$($p),*> Default for $name<$($p),*> { fn default() -> Self { Self(PhantomData) } }
        impl<$($p),*> core::fmt::Debug for $name<$($p),*> where Self: Shape {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                write!(f, "{:?}", <Self as Shape>::DIMS)
            }
        }
    };
}
shape_struct!(
    /// A vector of `N` features: `[N]`.
    Shape1<N>
);
shape_struct!(
    /// A matrix `[R, C]`.
    Shape2<R, C>
);
shape_struct!(
    /// A feature map `[C, H, W]` (channels, height, width), as in PyTorch's NCHW without the N.
    Shape3<C, H, W>
);

impl<N: ArrayLength + 'static> Shape for Shape1<N> {
    type Len = N;
    const DIMS: [usize; 3] = [1, 1, N::USIZE];
    const RANK: usize = 1;
}
impl<R, C> Shape for Shape2<R, C>
where
    R: Unsigned + Mul<C> + 'static,
    C: Unsigned + 'static,
    Prod<R, C>: ArrayLength,
{
    type Len = Prod<R, C>;
    const DIMS: [usize; 3] = [1, R::USIZE, C::USIZE];
    const RANK: usize = 2;
}
impl<C, H, W> Shape for Shape3<C, H, W>
where
    C: Unsigned + Mul<Prod<H, W>> + 'static,
    H: Unsigned + Mul<W> + 'static,
    W: Unsigned + 'static,
    Prod<C, Prod<H, W>>: ArrayLength,
{
    type Len = Prod<C, Prod<H, W>>;
    const DIMS: [usize; 3] = [C::USIZE, H::USIZE, W::USIZE];
}

/// Padded input `H + 2P`.
pub type Padded<H, P> = Sum<H, Prod<P, U2>>;
/// Extent of a dilated kernel, `D·(K−1) + 1`.
pub type Dilated<K, D> = Add1<Prod<D, Sub1<K>>>;
/// `max(X, 1)`: the formulas read a kernel size or stride of 0 as 1, so they stay total (an
/// error, never a division by zero or an overflow); [`crate::check::KernelSizeNonZero`] and
/// [`crate::check::StrideNonZero`] reject the 0 itself with a message.
pub type AtLeast1<X> = Maximum<X, U1>;

/// The convolution / pooling output size along one axis:
/// `H' = ⌊(H + 2P − D·(K−1) − 1) / S⌋ + 1`, with validity `D·(K−1)+1 ≤ H+2P` in [`ConvDim::Fits`].
pub trait ConvDim<K, S, P, D> {
    /// The output size (saturating: 1 when the kernel does not fit, which `Fits` rejects).
    type Output: Unsigned;
    /// `B1` when the dilated kernel fits in the padded input, `B0` otherwise.
    type Fits;
}
impl<H: AsymDim<K, S, P, P, D>, K, S, P, D> ConvDim<K, S, P, D> for H {
    type Output = <H as AsymDim<K, S, P, P, D>>::Output;
    type Fits = <H as AsymDim<K, S, P, P, D>>::Fits;
}
/// Convolution output size `⌊(H + 2P − D·(K−1) − 1)/S⌋ + 1`.
pub type ConvOut<H, K, S, P, D> = <H as ConvDim<K, S, P, D>>::Output;

/// Pooling rounding mode: PyTorch's default `ceil_mode=False`, the output size rounded down
/// (the formula of [`ConvOut`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct Floor;
/// Pooling rounding mode: PyTorch's `ceil_mode=True`, the output size rounded up, keeping a last
/// window that runs past the input's end as long as it starts inside the input or the left padding.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ceil;

/// `L = H + 2P − D·(K−1) − 1` (saturating at 0): the room a pooling window slides over.
pub type PoolSpan<H, K, P, D> = Diff<Maximum<Padded<H, P>, Dilated<K, D>>, Dilated<K, D>>;
/// `⌈L / S⌉ = ⌊(L + S − 1) / S⌋`.
pub type CeilQuot<H, K, S, P, D> = Quot<Sum<PoolSpan<H, K, P, D>, Sub1<S>>, S>;

/// The pooling output size along one axis in rounding mode `M` ([`Floor`] or [`Ceil`]):
/// `Floor`: `⌊L/S⌋ + 1`, `Ceil`: `⌈L/S⌉ + 1`, minus 1 when that last window would start at or past
/// `H + P` (in the right padding), with `L = H + 2P − D·(K−1) − 1`. Validity as [`ConvDim::Fits`].
pub trait PoolDim<K, S, P, D, M> {
    /// The output size (saturating: 1 when the window does not fit, which `Fits` rejects).
    type Output: Unsigned;
    /// `B1` when the dilated window fits in the padded input, `B0` otherwise.
    type Fits;
}
impl<H: ConvDim<K, S, P, D>, K, S, P, D> PoolDim<K, S, P, D, Floor> for H {
    type Output = <H as ConvDim<K, S, P, D>>::Output;
    type Fits = <H as ConvDim<K, S, P, D>>::Fits;
}
impl<H, K, S, P, D> PoolDim<K, S, P, D, Ceil> for H
where
    K: Max<U1>,
    S: Max<U1>,
    H: ConvDim<K, S, P, D> + Add<P> + Add<Prod<P, U2>>,
    P: Mul<U2>,
    AtLeast1<K>: Sub<B1>,
    AtLeast1<S>: Sub<B1>,
    D: Mul<Sub1<AtLeast1<K>>>,
    Prod<D, Sub1<AtLeast1<K>>>: Add<B1>,
    Padded<H, P>: Max<Dilated<AtLeast1<K>, D>>,
    Maximum<Padded<H, P>, Dilated<AtLeast1<K>, D>>: Sub<Dilated<AtLeast1<K>, D>>,
    PoolSpan<H, AtLeast1<K>, P, D>: Add<Sub1<AtLeast1<S>>>,
    Sum<PoolSpan<H, AtLeast1<K>, P, D>, Sub1<AtLeast1<S>>>: Div<AtLeast1<S>>,
    CeilQuot<H, AtLeast1<K>, AtLeast1<S>, P, D>: Add<B1> + Mul<AtLeast1<S>>,
    Prod<CeilQuot<H, AtLeast1<K>, AtLeast1<S>, P, D>, AtLeast1<S>>: IsGreaterOrEqual<Sum<H, P>>,
    Add1<CeilQuot<H, AtLeast1<K>, AtLeast1<S>, P, D>>:
        Sub<GrEq<Prod<CeilQuot<H, AtLeast1<K>, AtLeast1<S>, P, D>, AtLeast1<S>>, Sum<H, P>>>,
    Diff<
        Add1<CeilQuot<H, AtLeast1<K>, AtLeast1<S>, P, D>>,
        GrEq<Prod<CeilQuot<H, AtLeast1<K>, AtLeast1<S>, P, D>, AtLeast1<S>>, Sum<H, P>>,
    >: Unsigned,
{
    type Output = Diff<
        Add1<CeilQuot<H, AtLeast1<K>, AtLeast1<S>, P, D>>,
        GrEq<Prod<CeilQuot<H, AtLeast1<K>, AtLeast1<S>, P, D>, AtLeast1<S>>, Sum<H, P>>,
    >;
    type Fits = <H as ConvDim<K, S, P, D>>::Fits;
}
/// Pooling output size in rounding mode `M`: [`Floor`] (the default, the same formula as
/// [`ConvOut`]) or [`Ceil`] (PyTorch's `ceil_mode=True`), see [`PoolDim`].
pub type PoolOut<H, K, S, P, D, M = Floor> = <H as PoolDim<K, S, P, D, M>>::Output;

/// The transposed-convolution output size along one axis:
/// `H' = (H−1)·S − 2P + D·(K−1) + 1 + OP`, with validity `(H−1)·S + D·(K−1) + 1 + OP > 2P`.
pub trait UpConvDim<K, S, P, D, OP> {
    /// The output size (saturating at 0 when invalid, which `Fits` rejects).
    type Output: Unsigned;
    /// `B1` when the output is at least one pixel.
    type Fits;
    /// The size before the padding is removed, [`UpConvFull`] (shown when `Fits` is `B0`).
    type Full;
}
/// `(H−1)·S + D·(K−1) + 1 + OP`: the transposed convolution's size before padding is removed.
pub type UpConvFull<H, K, S, D, OP> = Sum<Sum<Prod<Sub1<H>, S>, Dilated<K, D>>, OP>;
impl<H, K, S, P, D, OP> UpConvDim<K, S, P, D, OP> for H
where
    K: Max<U1>,
    H: Sub<B1>,
    Sub1<H>: Mul<S>,
    P: Mul<U2>,
    AtLeast1<K>: Sub<B1>,
    D: Mul<Sub1<AtLeast1<K>>>,
    Prod<D, Sub1<AtLeast1<K>>>: Add<B1>,
    Prod<Sub1<H>, S>: Add<Dilated<AtLeast1<K>, D>>,
    Sum<Prod<Sub1<H>, S>, Dilated<AtLeast1<K>, D>>: Add<OP>,
    UpConvFull<H, AtLeast1<K>, S, D, OP>:
        Max<Sum<Prod<P, U2>, B1>> + IsGreaterOrEqual<Sum<Prod<P, U2>, B1>>,
    Prod<P, U2>: Add<B1>,
    Maximum<UpConvFull<H, AtLeast1<K>, S, D, OP>, Sum<Prod<P, U2>, B1>>: Sub<Prod<P, U2>>,
    Diff<Maximum<UpConvFull<H, AtLeast1<K>, S, D, OP>, Sum<Prod<P, U2>, B1>>, Prod<P, U2>>:
        Unsigned,
{
    type Output =
        Diff<Maximum<UpConvFull<H, AtLeast1<K>, S, D, OP>, Sum<Prod<P, U2>, B1>>, Prod<P, U2>>;
    type Fits = GrEq<UpConvFull<H, AtLeast1<K>, S, D, OP>, Sum<Prod<P, U2>, B1>>;
    type Full = UpConvFull<H, AtLeast1<K>, S, D, OP>;
}
/// Transposed convolution output size `(H−1)·S − 2P + D·(K−1) + 1 + OP`.
pub type UpConvOut<H, K, S, P, D, OP> = <H as UpConvDim<K, S, P, D, OP>>::Output;

/// A hyper-parameter given for both axes (`U3`) or per axis as `(height, width)` (`(U10, U4)`),
/// PyTorch's `kernel_size=3` or `kernel_size=(10, 4)`; for kernels, strides and dilations.
pub trait PerAxis {
    /// The value along the height.
    type H: Unsigned;
    /// The value along the width.
    type W: Unsigned;
    /// `[height, width]`.
    const HW: [usize; 2] = [Self::H::USIZE, Self::W::USIZE];
}
impl<U: Unsigned, B: typenum::Bit> PerAxis for typenum::UInt<U, B> {
    type H = Self;
    type W = Self;
}
impl PerAxis for typenum::UTerm {
    type H = Self;
    type W = Self;
}
impl<A: Unsigned, B: Unsigned> PerAxis for (A, B) {
    type H = A;
    type W = B;
}

/// TF/Keras `padding='same'`: along each axis the output is `⌈N/S⌉` and the padding is the
/// total `max((⌈N/S⌉−1)·S + D·(K−1) + 1 − N, 0)`, half of it (rounded down) before and the rest
/// after — one pixel more at the bottom/right when the total is odd.
///
/// PyTorch's `padding='same'` differs: it is allowed with stride 1 only (where the output is
/// `N` and the total `D·(K−1)`, the same as here, split the same way), and rejects strides
/// above 1; TF's definition keeps `⌈N/S⌉` for any stride, which is what keyword-spotting and
/// MobileNet models trained in TF use. A PyTorch model reproduces it with an explicit
/// `F.pad(x, (left, right, top, bottom))` of the amounts above and `padding=0`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Same;

/// A layer's padding: `U1` (all four sides), `(Uh, Uw)` (top and bottom `Uh`, left and right
/// `Uw`, PyTorch's `padding=(h, w)`), `(Top, Bottom, Left, Right)` or [`Same`]. Each axis's
/// part is an [`AxisPad`]: a pair `(before, after)` or [`Same`].
pub trait Padding {
    /// The padding along the height.
    type H;
    /// The padding along the width.
    type W;
    /// `true` for [`Same`] (its amounts depend on the input, see [`crate::kernels::im2col::same_pad`]).
    const SAME: bool = false;
    /// `[top, bottom, left, right]` when not [`Same`].
    const TBLR: [usize; 4];
}
impl<U: Unsigned, B: typenum::Bit> Padding for typenum::UInt<U, B> {
    type H = (Self, Self);
    type W = (Self, Self);
    const TBLR: [usize; 4] = [Self::USIZE; 4];
}
impl Padding for typenum::UTerm {
    type H = (Self, Self);
    type W = (Self, Self);
    const TBLR: [usize; 4] = [0; 4];
}
impl<A: Unsigned, B: Unsigned> Padding for (A, B) {
    type H = (A, A);
    type W = (B, B);
    const TBLR: [usize; 4] = [A::USIZE, A::USIZE, B::USIZE, B::USIZE];
}
impl<T: Unsigned, B: Unsigned, L: Unsigned, R: Unsigned> Padding for (T, B, L, R) {
    type H = (T, B);
    type W = (L, R);
    const TBLR: [usize; 4] = [T::USIZE, B::USIZE, L::USIZE, R::USIZE];
}
impl Padding for Same {
    type H = Same;
    type W = Same;
    const SAME: bool = true;
    const TBLR: [usize; 4] = [0; 4];
}

/// `⌈N/S⌉`, at least 1: the output size of TF's `'same'`.
pub type SameOut<N, S> = AtLeast1<Quot<Sum<N, Sub1<S>>, S>>;
/// TF's `'same'` total padding along an axis, `max((⌈N/S⌉−1)·S + D·(K−1) + 1, N) − N`.
pub type SameTotal<N, K, S, D> =
    Diff<Maximum<Sum<Prod<Sub1<SameOut<N, S>>, S>, Dilated<K, D>>, N>, N>;

/// One axis's padding (a pair `(before, after)` or [`Same`]) resolved for an input of `N`
/// with kernel `K`, stride `S`, dilation `D` (`K`, `S` at least 1).
pub trait AxisPad<N, K, S, D> {
    /// Padding before (top / left).
    type Before: Unsigned;
    /// Padding after (bottom / right).
    type After: Unsigned;
    /// `B1` unless [`Same`] meets a dilated kernel larger than the input (then `B0`).
    type SameFits;
    /// `B1` when neither side pads more than half the kernel (`2·pad ≤ K`, PyTorch's pooling
    /// rule; [`Same`] never does for an undilated window).
    type HalfKernel;
}
impl<N, K, S, D, A: Unsigned + Mul<U2>, B: Unsigned + Mul<U2>> AxisPad<N, K, S, D> for (A, B)
where
    Prod<A, U2>: IsLessOrEqual<K>,
    Prod<B, U2>: IsLessOrEqual<K>,
    LeEq<Prod<A, U2>, K>: core::ops::BitAnd<LeEq<Prod<B, U2>, K>>,
{
    type Before = A;
    type After = B;
    type SameFits = B1;
    type HalfKernel = typenum::And<LeEq<Prod<A, U2>, K>, LeEq<Prod<B, U2>, K>>;
}
impl<N, K, S, D> AxisPad<N, K, S, D> for Same
where
    K: Sub<B1>,
    D: Mul<Sub1<K>>,
    Prod<D, Sub1<K>>: Add<B1>,
    S: Sub<B1>,
    N: Add<Sub1<S>> + IsGreaterOrEqual<Dilated<K, D>>,
    Sum<N, Sub1<S>>: Div<S>,
    Quot<Sum<N, Sub1<S>>, S>: Max<U1>,
    SameOut<N, S>: Sub<B1>,
    Sub1<SameOut<N, S>>: Mul<S>,
    Prod<Sub1<SameOut<N, S>>, S>: Add<Dilated<K, D>>,
    Sum<Prod<Sub1<SameOut<N, S>>, S>, Dilated<K, D>>: Max<N>,
    Maximum<Sum<Prod<Sub1<SameOut<N, S>>, S>, Dilated<K, D>>, N>: Sub<N>,
    SameTotal<N, K, S, D>: Div<U2> + Sub<Quot<SameTotal<N, K, S, D>, U2>>,
    Quot<SameTotal<N, K, S, D>, U2>: Unsigned,
    Diff<SameTotal<N, K, S, D>, Quot<SameTotal<N, K, S, D>, U2>>: Unsigned,
{
    type Before = Quot<SameTotal<N, K, S, D>, U2>;
    type After = Diff<SameTotal<N, K, S, D>, Quot<SameTotal<N, K, S, D>, U2>>;
    type SameFits = GrEq<N, Dilated<K, D>>;
    type HalfKernel = B1;
}

/// The output size along one axis with padding `Lo` before and `Hi` after:
/// `⌊(N + Lo + Hi − D·(K−1) − 1)/S⌋ + 1`, valid when `D·(K−1)+1 ≤ N + Lo + Hi`.
pub trait AsymDim<K, S, Lo, Hi, D> {
    /// The output size (saturating: 1 when the kernel does not fit, which `Fits` rejects).
    type Output: Unsigned;
    /// `B1` when the dilated kernel fits in the padded input, `B0` otherwise.
    type Fits;
}
/// `N + Lo + Hi`.
pub type PaddedAsym<N, Lo, Hi> = Sum<N, Sum<Lo, Hi>>;
/// `N + Lo + Hi − D·(K−1) − 1` (saturating at 0).
pub type AsymSpan<N, K, Lo, Hi, D> =
    Diff<Maximum<PaddedAsym<N, Lo, Hi>, Dilated<K, D>>, Dilated<K, D>>;
impl<N, K, S, Lo, Hi, D> AsymDim<K, S, Lo, Hi, D> for N
where
    K: Max<U1>,
    S: Max<U1>,
    Lo: Add<Hi>,
    N: Add<Sum<Lo, Hi>>,
    AtLeast1<K>: Sub<B1>,
    D: Mul<Sub1<AtLeast1<K>>>,
    Prod<D, Sub1<AtLeast1<K>>>: Add<B1>,
    PaddedAsym<N, Lo, Hi>: Max<Dilated<AtLeast1<K>, D>> + IsGreaterOrEqual<Dilated<AtLeast1<K>, D>>,
    Maximum<PaddedAsym<N, Lo, Hi>, Dilated<AtLeast1<K>, D>>: Sub<Dilated<AtLeast1<K>, D>>,
    AsymSpan<N, AtLeast1<K>, Lo, Hi, D>: Div<AtLeast1<S>>,
    Quot<AsymSpan<N, AtLeast1<K>, Lo, Hi, D>, AtLeast1<S>>: Add<B1>,
    Add1<Quot<AsymSpan<N, AtLeast1<K>, Lo, Hi, D>, AtLeast1<S>>>: Unsigned,
{
    type Output = Add1<Quot<AsymSpan<N, AtLeast1<K>, Lo, Hi, D>, AtLeast1<S>>>;
    type Fits = GrEq<PaddedAsym<N, Lo, Hi>, Dilated<AtLeast1<K>, D>>;
}

/// One axis of a window (convolution, or pooling in rounding mode `M`) with the axis padding `P`
/// ([`AxisPad`]): the output size and the checks. `Ceil` takes symmetric padding only.
pub trait WindowAxis<K, S, P, D, M = Floor> {
    /// The output size.
    type Output: Unsigned;
    /// `B1` when the dilated kernel fits in the padded input.
    type Fits;
    /// `B1` unless `'same'` meets a dilated kernel larger than the input.
    type SameFits;
    /// `B1` when no side pads more than half the kernel.
    type HalfKernel;
}
impl<N, K, S, P, D> WindowAxis<K, S, P, D, Floor> for N
where
    K: Max<U1>,
    S: Max<U1>,
    P: AxisPad<N, AtLeast1<K>, AtLeast1<S>, D>,
    N: AsymDim<
        K,
        S,
        <P as AxisPad<N, AtLeast1<K>, AtLeast1<S>, D>>::Before,
        <P as AxisPad<N, AtLeast1<K>, AtLeast1<S>, D>>::After,
        D,
    >,
{
    type Output = <N as AsymDim<
        K,
        S,
        <P as AxisPad<N, AtLeast1<K>, AtLeast1<S>, D>>::Before,
        <P as AxisPad<N, AtLeast1<K>, AtLeast1<S>, D>>::After,
        D,
    >>::Output;
    type Fits = <N as AsymDim<
        K,
        S,
        <P as AxisPad<N, AtLeast1<K>, AtLeast1<S>, D>>::Before,
        <P as AxisPad<N, AtLeast1<K>, AtLeast1<S>, D>>::After,
        D,
    >>::Fits;
    type SameFits = <P as AxisPad<N, AtLeast1<K>, AtLeast1<S>, D>>::SameFits;
    type HalfKernel = <P as AxisPad<N, AtLeast1<K>, AtLeast1<S>, D>>::HalfKernel;
}
impl<N, K, S, P, D> WindowAxis<K, S, (P, P), D, Ceil> for N
where
    N: PoolDim<K, S, P, D, Ceil>,
    (P, P): AxisPad<N, K, S, D>,
{
    type Output = <N as PoolDim<K, S, P, D, Ceil>>::Output;
    type Fits = <N as PoolDim<K, S, P, D, Ceil>>::Fits;
    type SameFits = B1;
    type HalfKernel = <(P, P) as AxisPad<N, K, S, D>>::HalfKernel;
}

/// A 2-D window over an `H×W` map, implemented for `(H, W)`: kernel `K`, stride `S`,
/// dilation `D` ([`PerAxis`]), padding `P` ([`Padding`]), rounding mode `M`. Each check is
/// both axes' together.
pub trait Window2<K, S, P, D, M = Floor> {
    /// Output height.
    type OH: Unsigned;
    /// Output width.
    type OW: Unsigned;
    /// `B1` when the dilated kernel fits in the padded input along both axes.
    type Fits;
    /// `B1` unless `'same'` meets a dilated kernel larger than the input.
    type SameFits;
    /// `B1` when no side pads more than half the kernel.
    type HalfKernel;
}
/// `WindowAxis` of the height.
type AxisH<H, K, S, P, D, M> = <H as WindowAxis<
    <K as PerAxis>::H,
    <S as PerAxis>::H,
    <P as Padding>::H,
    <D as PerAxis>::H,
    M,
>>::Output;
impl<H, W, K, S, P, D, M> Window2<K, S, P, D, M> for (H, W)
where
    K: PerAxis,
    S: PerAxis,
    P: Padding,
    D: PerAxis,
    H: WindowAxis<K::H, S::H, P::H, D::H, M>,
    W: WindowAxis<K::W, S::W, P::W, D::W, M>,
    <H as WindowAxis<K::H, S::H, P::H, D::H, M>>::Fits:
        core::ops::BitAnd<<W as WindowAxis<K::W, S::W, P::W, D::W, M>>::Fits>,
    <H as WindowAxis<K::H, S::H, P::H, D::H, M>>::SameFits:
        core::ops::BitAnd<<W as WindowAxis<K::W, S::W, P::W, D::W, M>>::SameFits>,
    <H as WindowAxis<K::H, S::H, P::H, D::H, M>>::HalfKernel:
        core::ops::BitAnd<<W as WindowAxis<K::W, S::W, P::W, D::W, M>>::HalfKernel>,
{
    type OH = AxisH<H, K, S, P, D, M>;
    type OW = <W as WindowAxis<K::W, S::W, P::W, D::W, M>>::Output;
    type Fits = typenum::And<
        <H as WindowAxis<K::H, S::H, P::H, D::H, M>>::Fits,
        <W as WindowAxis<K::W, S::W, P::W, D::W, M>>::Fits,
    >;
    type SameFits = typenum::And<
        <H as WindowAxis<K::H, S::H, P::H, D::H, M>>::SameFits,
        <W as WindowAxis<K::W, S::W, P::W, D::W, M>>::SameFits,
    >;
    type HalfKernel = typenum::And<
        <H as WindowAxis<K::H, S::H, P::H, D::H, M>>::HalfKernel,
        <W as WindowAxis<K::W, S::W, P::W, D::W, M>>::HalfKernel,
    >;
}
/// Output shape `[C, H', W']` of a 2-D window on `[_, H, W]`.
pub type WindowOut<C, H, W, K, S, P, D, M = Floor> =
    Shape3<C, <(H, W) as Window2<K, S, P, D, M>>::OH, <(H, W) as Window2<K, S, P, D, M>>::OW>;

/// `[top, bottom, left, right]` of padding `P` for an `h×w` input, kernel `k`, stride `s`,
/// dilation `d` (`[height, width]` each): [`Padding::TBLR`], or TF's `'same'` amounts.
pub const fn pads<P: Padding>(
    h: usize,
    w: usize,
    k: [usize; 2],
    s: [usize; 2],
    d: [usize; 2],
) -> [usize; 4] {
    if P::SAME {
        let (t, b) = crate::kernels::im2col::same_pad(h, k[0], s[0], d[0]);
        let (l, r) = crate::kernels::im2col::same_pad(w, k[1], s[1], d[1]);
        [t, b, l, r]
    } else {
        P::TBLR
    }
}

/// Flattened size of a shape.
pub type FlatLen<S> = <S as Shape>::Len;
/// Channel count after concatenating `A` and `B` channels.
pub type ConcatChannels<A, B> = Sum<A, B>;

#[cfg(test)]
mod tests {
    use super::*;
    use typenum::consts::*;

    fn same<A, B>()
    where
        A: typenum::Same<B>,
    {
    }

    #[test]
    fn conv_formula_matches_the_lecture_and_alexnet() {
        // Lecture: 5×5 input, 3×3 kernel, pad 1, stride 2 → 3×3.
        same::<ConvOut<U5, U3, U2, U1, U1>, U3>();
        // AlexNet conv1: 224, K11, S4, P2 → 55.
        same::<ConvOut<U224, U11, U4, U2, U1>, U55>();
        // Dilation 2 widens a 3×3 kernel to 5: 7 → 3.
        same::<ConvOut<U7, U3, U1, U0, U2>, U3>();
        // Floor: 6, K3, S2 → 2.
        same::<ConvOut<U6, U3, U2, U0, U1>, U2>();
        same::<<U5 as ConvDim<U3, U2, U1, U1>>::Fits, B1>();
        same::<<U3 as ConvDim<U5, U1, U0, U1>>::Fits, typenum::B0>();
        assert_eq!(<ConvOut<U224, U11, U4, U2, U1>>::USIZE, 55);
    }

    #[test]
    fn pool_and_upconv_formulas() {
        same::<PoolOut<U28, U2, U2, U0, U1>, U14>();
        same::<PoolOut<U55, U3, U2, U0, U1>, U27>();
        // FCN-32s: 7 → 224 needs K64 S32 P16: (7−1)·32 − 32 + 63 + 1 = 224.
        same::<UpConvOut<U7, U64, U32, U16, U1, U0>, U224>();
        // K4 S2 P1 doubles: 5 → 10, and output padding adds one.
        same::<UpConvOut<U5, U4, U2, U1, U1, U0>, U10>();
        same::<UpConvOut<U5, U3, U2, U1, U1, U1>, U10>();
        same::<<U1 as UpConvDim<U1, U1, U1, U1, U0>>::Fits, typenum::B0>();
    }

    #[test]
    fn ceil_mode_pool_formula() {
        // GoogLeNet's MaxPool2d(3, stride=2, ceil_mode=True): 112 → 56 → 28 → 14 → 7
        // (floor mode would give 55, 27, 13, 6).
        same::<PoolOut<U112, U3, U2, U0, U1, Ceil>, U56>();
        same::<PoolOut<U56, U3, U2, U0, U1, Ceil>, U28>();
        same::<PoolOut<U28, U3, U2, U0, U1, Ceil>, U14>();
        same::<PoolOut<U14, U3, U2, U0, U1, Ceil>, U7>();
        same::<PoolOut<U112, U3, U2, U0, U1>, U55>();
        // Exact division: ceil = floor. 7, K3 S2 → 3 either way; 5, K2 S2 → 3 (floor 2).
        same::<PoolOut<U7, U3, U2, U0, U1, Ceil>, U3>();
        same::<PoolOut<U5, U2, U2, U0, U1, Ceil>, U3>();
        same::<PoolOut<U5, U2, U2, U0, U1, Floor>, U2>();
        // The last window would start in the right padding: 5, K2 S2 P1 → ⌈4/2⌉+1 = 4, whose
        // last window starts at 6 ≥ H+P = 6, so 3 (= floor).
        same::<PoolOut<U5, U2, U2, U1, U1, Ceil>, U3>();
        // 6, K3 S3 P1 → ⌈5/3⌉+1 = 3, last window starts at 6 < H+P = 7: kept (floor gives 2).
        same::<PoolOut<U6, U3, U3, U1, U1, Ceil>, U3>();
        // Window as large as the input: one output.
        same::<PoolOut<U3, U3, U2, U0, U1, Ceil>, U1>();
        same::<<U2 as PoolDim<U3, U2, U0, U1, Ceil>>::Fits, typenum::B0>();
    }

    /// `Window2`'s output `[H', W']` as a type pair.
    type Out2<H, W, K, S, P, D, M = Floor> = (
        <(H, W) as Window2<K, S, P, D, M>>::OH,
        <(H, W) as Window2<K, S, P, D, M>>::OW,
    );

    #[test]
    fn rectangular_windows_per_axis() {
        // KWS conv1 without padding: 49×10, kernel 10×4, stride 2 → 20×4.
        same::<Out2<U49, U10, (U10, U4), U2, U0, U1>, (U20, U4)>();
        // per-axis stride and dilation: 9×8, K 3×2, S (2, 1), D (1, 3) → 4×5.
        same::<Out2<U9, U8, (U3, U2), (U2, U1), U0, (U1, U3)>, (U4, U5)>();
        // padding (1, 0): 5×5, K3 → 5×3; (top, bottom, left, right) = (0, 1, 0, 1), K2 S2 → 3×3.
        same::<Out2<U5, U5, U3, U1, (U1, U0), U1>, (U5, U3)>();
        same::<Out2<U5, U5, U2, U2, (U0, U1, U0, U1), U1>, (U3, U3)>();
        // a square K/S/P/D is the old formula on both axes
        same::<Out2<U224, U224, U11, U4, U2, U1>, (U55, U55)>();
        // AvgPool2d((25, 5)) over a whole 25×5 map → 1×1
        same::<Out2<U25, U5, (U25, U5), (U25, U5), U0, U1>, (U1, U1)>();
        // ceil mode, symmetric padding only, as before: 112, K3 S2 → 56
        same::<Out2<U112, U112, U3, U2, U0, U1, Ceil>, (U56, U56)>();
        // checks
        same::<<(U3, U9) as Window2<(U5, U3), U1, U0, U1>>::Fits, typenum::B0>();
        same::<<(U3, U9) as Window2<(U3, U3), U1, U0, U1>>::Fits, B1>();
        same::<<(U4, U4) as Window2<U2, U2, (U0, U2, U0, U0), U1>>::HalfKernel, typenum::B0>();
        same::<<(U4, U4) as Window2<U2, U2, (U0, U1, U1, U0), U1>>::HalfKernel, B1>();
    }

    #[test]
    fn tf_same_padding_per_axis() {
        // KWS conv1: 49×10, K 10×4, S 2 → ⌈49/2⌉×⌈10/2⌉ = 25×5, pads (4, 5) and (1, 1).
        same::<Out2<U49, U10, (U10, U4), U2, Same, U1>, (U25, U5)>();
        same::<<(U4, U5) as AxisPad<U49, U10, U2, U1>>::Before, U4>();
        same::<<Same as AxisPad<U49, U10, U2, U1>>::Before, U4>();
        same::<<Same as AxisPad<U49, U10, U2, U1>>::After, U5>();
        same::<<Same as AxisPad<U10, U4, U2, U1>>::After, U1>();
        // 3×3 stride 2 on 96 and 32: ⌈N/2⌉, one pixel at the bottom/right only
        same::<Out2<U96, U32, U3, U2, Same, U1>, (U48, U16)>();
        same::<<Same as AxisPad<U96, U3, U2, U1>>::Before, U0>();
        same::<<Same as AxisPad<U96, U3, U2, U1>>::After, U1>();
        // stride 1 keeps the size; dilation 2 widens 3 → 5: 7 → 7 with (2, 2)
        same::<Out2<U7, U6, U3, U1, Same, (U2, U1)>, (U7, U6)>();
        same::<<Same as AxisPad<U7, U3, U1, U2>>::After, U2>();
        // a stride above the kernel needs no padding: 9, K1 S3 → 3
        same::<Out2<U9, U9, U1, U3, Same, U1>, (U3, U3)>();
        same::<<Same as AxisPad<U9, U1, U3, U1>>::After, U0>();
        // 'same' with a dilated kernel larger than the input: flagged
        same::<<(U4, U9) as Window2<U3, U1, Same, U2>>::SameFits, typenum::B0>();
        same::<<(U5, U9) as Window2<U3, U1, Same, U2>>::SameFits, B1>();
        // agrees with the run-time amounts
        assert_eq!(pads::<Same>(49, 10, [10, 4], [2, 2], [1, 1]), [4, 5, 1, 1]);
        assert_eq!(
            pads::<(U1, U2, U3, U4)>(9, 9, [3, 3], [1, 1], [1, 1]),
            [1, 2, 3, 4]
        );
        assert_eq!(pads::<(U1, U0)>(9, 9, [3, 3], [1, 1], [1, 1]), [1, 1, 0, 0]);
    }

    #[test]
    fn flatten_and_concat() {
        same::<FlatLen<Shape3<U16, U5, U5>>, U400>();
        same::<ConcatChannels<U64, U128>, U192>();
        assert_eq!(<Shape3<U3, U32, U32> as Shape>::NUMEL, 3072);
        assert_eq!(<Shape3<U3, U5, U7> as Shape>::DIMS, [3, 5, 7]);
        assert_eq!(<Shape1<U10> as Shape>::DIMS, [1, 1, 10]);
    }
}

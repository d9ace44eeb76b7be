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
    Add1, Diff, GrEq, IsGreaterOrEqual, Max, Maximum, Prod, Quot, Sub1, Sum, Unsigned, B1, U1, U2,
};

/// A per-sample tensor shape. `Len` is the element count as a type, so storage needs no allocator.
pub trait Shape: 'static + Send + Sync {
    /// Number of elements as a type-level number.
    type Len: ArrayLength;
    /// Number of elements.
    const NUMEL: usize = <Self::Len as Unsigned>::USIZE;
    /// Dimensions, padded at the front with 1s: `[C, H, W]`, `[1, R, C]` or `[1, 1, N]`.
    const DIMS: [usize; 3];
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
}
impl<R, C> Shape for Shape2<R, C>
where
    R: Unsigned + Mul<C> + 'static,
    C: Unsigned + 'static,
    Prod<R, C>: ArrayLength,
{
    type Len = Prod<R, C>;
    const DIMS: [usize; 3] = [1, R::USIZE, C::USIZE];
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
impl<H, K, S, P, D> ConvDim<K, S, P, D> for H
where
    K: Max<U1>,
    S: Max<U1>,
    P: Mul<U2>,
    H: Add<Prod<P, U2>>,
    AtLeast1<K>: Sub<B1>,
    D: Mul<Sub1<AtLeast1<K>>>,
    Prod<D, Sub1<AtLeast1<K>>>: Add<B1>,
    Padded<H, P>: Max<Dilated<AtLeast1<K>, D>> + IsGreaterOrEqual<Dilated<AtLeast1<K>, D>>,
    Maximum<Padded<H, P>, Dilated<AtLeast1<K>, D>>: Sub<Dilated<AtLeast1<K>, D>>,
    PoolSpan<H, AtLeast1<K>, P, D>: Div<AtLeast1<S>>,
    Quot<PoolSpan<H, AtLeast1<K>, P, D>, AtLeast1<S>>: Add<B1>,
    Add1<Quot<PoolSpan<H, AtLeast1<K>, P, D>, AtLeast1<S>>>: Unsigned,
{
    type Output = Add1<Quot<PoolSpan<H, AtLeast1<K>, P, D>, AtLeast1<S>>>;
    type Fits = GrEq<Padded<H, P>, Dilated<AtLeast1<K>, D>>;
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
}
/// Transposed convolution output size `(H−1)·S − 2P + D·(K−1) + 1 + OP`.
pub type UpConvOut<H, K, S, P, D, OP> = <H as UpConvDim<K, S, P, D, OP>>::Output;

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

    #[test]
    fn flatten_and_concat() {
        same::<FlatLen<Shape3<U16, U5, U5>>, U400>();
        same::<ConcatChannels<U64, U128>, U192>();
        assert_eq!(<Shape3<U3, U32, U32> as Shape>::NUMEL, 3072);
        assert_eq!(<Shape3<U3, U5, U7> as Shape>::DIMS, [3, 5, 7]);
        assert_eq!(<Shape1<U10> as Shape>::DIMS, [1, 1, 10]);
    }
}

//! Validity checks as traits, each with a message naming the problem.
//!
//! The forms:
//! - `check_trait!`: implemented only for [`Holds`] (the impl written after
//!   it); a layer's `impl` asks
//!   e.g. `Verdict<<(H, W) as Window2<…>>::HalfKernel>: PoolPaddingAtMostHalfKernel`, and when
//!   the bit is `B0` (`Violated`) the compiler prints the message instead of a typenum
//!   arithmetic error;
//! - `bit_check_trait!`: the same, with the numbers it is about (in decimal, [`crate::shown`])
//!   as type parameters the message prints (`KernelFitsInput<KH, KW, Input>`);
//! - `match_trait!`: an equality asked in decimal, `Dec<C>: Conv2dChannelsMatch<Dec<I>>`,
//!   implemented for `T: X<T>` only, one trait per layer kind, so the first line of a
//!   hand-composed chain's error names the kind and both numbers
//!   ("this Conv2d takes `Dim<3>` input channels, the input has `Dim<6>`");
//! - `nonzero_trait!`: a hyper-parameter that must not be 0, asked as `Dim<0>` or `NotZero`
//!   (`IfZero<D>: DilationNonZero`), so the `help:` line reads "not implemented for
//!   `Dim<0>`"; `zero_rest_trait!`: a remainder in decimal that must be `Dim<0>`
//!   (`Dec<Mod<I, G>>: InChannelsDivisibleByGroups<Dec<I>, Dec<G>>`).
//!
//! The hyper-parameter checks' impls (for `NotZero`, `(NotZero, NotZero)`, `Holds`, `Dim<0>`,
//! `Dim<0>` … `Dim<38>`) are written out, not made by the macros, and not
//! `#[diagnostic::do_not_recommend]`: rustc's `help:` line under a failed check then names what
//! passes ("the trait `KernelSizeNonZero` is implemented for `NotZero`", one line of this file)
//! instead of falling back to the layer's whole `Layer` impl or to a generic `(A, B)`.

use crate::shown::{Dim, Holds, NotZero, ShowShape};

macro_rules! check_trait {
    ($(#[$doc:meta])* $name:ident, $msg:literal, $label:literal, $note:literal) => {
        $(#[$doc])*
        #[diagnostic::on_unimplemented(message = $msg, label = $label, note = $note)]
        pub trait $name {}
    };
}

/// An equality check in decimal: `$name<Want>` is implemented for `Want` alone, and a layer asks
/// `<Got as Decimal>::Out: $name<<Want as Decimal>::Out>` (or two shapes through [`ShowShape`]),
/// so on a mismatch rustc's first line names both values in decimal (`{Self}` is what arrives,
/// `{Want}` what the layer takes). One trait per layer kind, so the message names the kind.
macro_rules! match_trait {
    ($(#[$doc:meta])* $name:ident, $msg:literal, $label:literal, $note:literal) => {
        $(#[$doc])*
        #[diagnostic::on_unimplemented(message = $msg, label = $label, note = $note)]
        pub trait $name<Want> {}
        #[diagnostic::do_not_recommend]
        impl<T> $name<T> for T {}
    };
}

/// A check on a computed bit (`B1` = valid, asked as [`crate::shown::Verdict`]`<bit>`, so a
/// failure's `help:` line reads "not implemented for `Violated`") that carries the numbers it is about as extra type
/// parameters (in decimal, [`crate::shown`]) so the message can print them.
macro_rules! bit_check_trait {
    ($(#[$doc:meta])* $name:ident<$($p:ident),*>, $msg:literal, $label:literal, $note:literal) => {
        $(#[$doc])*
        #[diagnostic::on_unimplemented(message = $msg, label = $label, note = $note)]
        pub trait $name<$($p),*> {}
        #[diagnostic::do_not_recommend]
        impl<$($p),*> $name<$($p),*> for crate::shown::Holds {}
    };
}

/// A check that a hyper-parameter is not 0, asked as [`crate::shown::IfZero`]`<D>: $name`:
/// implemented (after the macro) for [`crate::shown::NotZero`] (every `UInt`), not for `Dim<0>`
/// (`UTerm`), so the `help:` line reads "not implemented for `Dim<0>`".
macro_rules! nonzero_trait {
    ($(#[$doc:meta])* $name:ident, $msg:literal, $label:literal, $note:literal) => {
        $(#[$doc])*
        #[diagnostic::on_unimplemented(message = $msg, label = $label, note = $note)]
        pub trait $name {}
    };
}

nonzero_trait!(
    /// A convolution's kernel or a pooling window is at least 1×1.
    KernelSizeNonZero,
    "kernel size 0: a convolution kernel or pooling window must be at least 1×1",
    "this layer's kernel size K is 0",
    "Conv2d<I, O, K, …>, ConvTranspose2d<I, O, K, …>, MaxPool2d<K, …>, AvgPool2d<K, …> need K ≥ 1"
);
impl KernelSizeNonZero for NotZero {}
nonzero_trait!(
    /// A stride is at least 1.
    StrideNonZero,
    "stride 0: a convolution or pooling window must move by at least 1 pixel",
    "this layer's stride S is 0",
    "the output size ⌊(H + 2P − D·(K−1) − 1)/S⌋ + 1 divides by the stride S, which must be ≥ 1"
);
impl StrideNonZero for NotZero {}
nonzero_trait!(
    /// A dilation is at least 1.
    DilationNonZero,
    "dilation 0: every kernel tap would read the same pixel",
    "this layer's dilation D is 0",
    "dilation D spaces the kernel taps D pixels apart (1 = an ordinary kernel), so D ≥ 1"
);
impl DilationNonZero for NotZero {}
nonzero_trait!(
    /// A convolution has at least one group.
    GroupsNonZero,
    "groups = 0: a convolution needs at least one group",
    "this Conv2d's group count G is 0",
    "Conv2d<I, O, K, S, P, D, B, G> splits its channels into G ≥ 1 groups (1 = an ordinary convolution)"
);
impl GroupsNonZero for NotZero {}
nonzero_trait!(
    /// Maxout takes the maximum over at least one piece.
    PiecesNonZero,
    "Maxout<0>: the maximum over groups of 0 pieces",
    "this Maxout has 0 pieces",
    "Maxout<K> maps N features to N/K (the max of each group of K), so K ≥ 1"
);
impl PiecesNonZero for NotZero {}

nonzero_trait!(
    /// A batch-norm ε `Eps<M, E>` (M·10⁻ᴱ) has a non-zero mantissa.
    EpsNonZero,
    "BatchNorm eps = 0: ε must be positive (it is added to the variance before the square root)",
    "this BatchNorm's eps is Eps<0, E> = 0",
    "Eps<M, E> is M·10⁻ᴱ: 1e-5 (PyTorch's default) is Eps<U1, U5>, 0.001 is Eps<U1, U3>; M ≥ 1"
);
impl EpsNonZero for NotZero {}

nonzero_trait!(
    /// A LeakyReLU slope `NUM/DEN` has a non-zero denominator (so it is finite, never NaN).
    SlopeDenominatorNonZero,
    "LeakyReLU<NUM, 0>: the slope NUM/0 is infinite or NaN",
    "this LeakyReLU's slope denominator DEN is 0",
    "LeakyReLU<NUM, DEN> has slope NUM/DEN (any finite value: LeakyReLU<N1, U10> is −0.1), so DEN ≥ 1"
);
impl SlopeDenominatorNonZero for NotZero {}

/// A kernel size, stride or dilation given per axis, `(height, width)`: both non-zero (each
/// axis is `NotZero` or `Dim<0>`, [`crate::shown::ZeroShown`]), so a failure's `help:` line
/// reads "not implemented for `(NotZero, Dim<0>)`" and names the passing pair.
impl KernelSizeNonZero for (NotZero, NotZero) {}
/// Per axis: both non-zero.
impl StrideNonZero for (NotZero, NotZero) {}
/// Per axis: both non-zero.
impl DilationNonZero for (NotZero, NotZero) {}

bit_check_trait!(
    /// A `Conv2d`'s dilated kernel fits inside its padded input (kernel and input shown).
    KernelFitsInput<KernelH, KernelW, Input>,
    "kernel larger than the padded input: this Conv2d's `{KernelH}`×`{KernelW}` kernel (D·(K−1)+1 if dilated) exceeds its input `{Input}` plus padding",
    "this Conv2d's `{KernelH}`×`{KernelW}` kernel does not fit its input `{Input}`",
    "output size is ⌊(H + 2P − D·(K−1) − 1)/S⌋ + 1, which needs D·(K−1)+1 ≤ H+2P"
);
bit_check_trait!(
    /// A pooling window, dilated, fits inside the padded input (window and input shown).
    WindowFitsInput<KernelH, KernelW, Input>,
    "pooling window larger than the padded input: this pooling layer's `{KernelH}`×`{KernelW}` window (D·(K−1)+1 if dilated) exceeds its input `{Input}` plus padding",
    "this pooling layer's `{KernelH}`×`{KernelW}` window does not fit its input `{Input}`",
    "output size is ⌊(H + 2P − D·(K−1) − 1)/S⌋ + 1, which needs D·(K−1)+1 ≤ H+2P"
);
bit_check_trait!(
    /// TF `'same'` padding with a dilated kernel no larger than the input (kernel, dilation and
    /// input shown).
    SameKernelFitsInput<KernelH, KernelW, Dilation, Input>,
    "padding 'same' with a dilated kernel larger than the input: this layer's `{KernelH}`×`{KernelW}` kernel with dilation `{Dilation}` spans D·(K−1)+1 pixels, more than its input `{Input}`",
    "this layer's `{KernelH}`×`{KernelW}` kernel, dilated by `{Dilation}`, does not fit its input `{Input}`",
    "'same' pads max((⌈N/S⌉−1)·S + D·(K−1) + 1 − N, 0) per axis; it needs D·(K−1)+1 ≤ N"
);
bit_check_trait!(
    /// A transposed convolution produces at least one pixel (padding and the size before the
    /// padding is removed shown).
    UpConvHasOutput<Padding, Full>,
    "transposed convolution has no output: this ConvTranspose2d's padding `{Padding}` removes its whole output `{Full}` ((H−1)·S + D·(K−1) + 1 + output_padding ≤ 2P)",
    "this ConvTranspose2d's padding `{Padding}` on each side removes its whole output `{Full}`",
    "output size is (H−1)·S − 2P + D·(K−1) + 1 + output_padding"
);
match_trait!(
    /// A `Conv2d`'s input has its `in_channels` (asked in decimal: `Dim<C>` against `Dim<I>`).
    Conv2dChannelsMatch,
    "channel mismatch: this Conv2d takes `{Want}` input channels, the input has `{Self}`",
    "this Conv2d's in_channels is `{Want}`, the input has `{Self}` channels",
    "Conv2d<I, O, K, …> takes I input channels: I must be the previous layer's output channel count"
);
match_trait!(
    /// A `ConvTranspose2d`'s input has its `in_channels`.
    ConvTranspose2dChannelsMatch,
    "channel mismatch: this ConvTranspose2d takes `{Want}` input channels, the input has `{Self}`",
    "this ConvTranspose2d's in_channels is `{Want}`, the input has `{Self}` channels",
    "ConvTranspose2d<I, O, K, …> takes I input channels: I must be the previous layer's output channel count"
);
match_trait!(
    /// A `BatchNorm2d`'s input has its channel count.
    BatchNorm2dChannelsMatch,
    "channel mismatch: this BatchNorm2d normalises `{Want}` channels, the input has `{Self}`",
    "this BatchNorm2d has `{Want}` channels, the input has `{Self}`",
    "BatchNorm2d<C> normalises C channels: C must be the previous layer's output channel count"
);
match_trait!(
    /// A `BatchNorm1d`'s input has its feature count.
    BatchNorm1dFeaturesMatch,
    "width mismatch: this BatchNorm1d normalises `{Want}` features, the input has `{Self}`",
    "this BatchNorm1d has `{Want}` features, the input has `{Self}`",
    "BatchNorm1d<N> normalises N features: N must be the previous layer's width"
);
match_trait!(
    /// A `Linear`'s input width is its `in_features`.
    LinearFeaturesMatch,
    "width mismatch: this Linear takes `{Want}` input features, the input has `{Self}`",
    "this Linear's in_features is `{Want}`, the input has `{Self}` features",
    "Linear<I, O> takes I input features; after Flatten the width is C·H·W of the previous feature map"
);
match_trait!(
    /// Two tensors added together have the same shape (both shown through [`ShowShape`]).
    ShapesMatch,
    "residual add of two different shapes: the main branch gives `{Self}`, the shortcut `{Want}`",
    "the main branch gives `{Self}`, the shortcut `{Want}`",
    "Residual<F, S> adds F(x) and S(x), which need the same shape"
);
bit_check_trait!(
    /// Feature maps concatenated along channels have the same spatial size.
    SpatialMatch<A, B>,
    "concat of feature maps with different spatial sizes: the branches give `{A}` and `{B}`",
    "the branches give `{A}` and `{B}`",
    "channel concat needs every input to have the same H and W"
);
bit_check_trait!(
    /// A crop window lies inside the input (per axis: offset + size ≤ length).
    CropFits<Offset, Size, Length>,
    "crop larger than its input: offset `{Offset}` + size `{Size}` exceeds the input's `{Length}`",
    "the crop window (offset `{Offset}` + size `{Size}`) does not fit the input's `{Length}`",
    "Crop<H', W', top, left> needs top+H' ≤ H and left+W' ≤ W"
);
bit_check_trait!(
    /// The channel count divides evenly into Maxout pieces.
    PiecesDivideChannels<Input, Pieces>,
    "Maxout: the input `{Input}` does not split into groups of `{Pieces}` pieces",
    "this Maxout cannot split its input `{Input}` evenly into `{Pieces}` pieces",
    "Maxout<K> maps N features (or channels) to N/K, so K must divide N"
);
/// A check on a remainder in decimal (`Dec<Mod<N, G>>: $name<Dec<N>, Dec<G>>`): implemented
/// (after the macro) for `Dim<0>` only, so a non-zero remainder is the `help:` line's type and
/// the message names the numbers.
macro_rules! zero_rest_trait {
    ($(#[$doc:meta])* $name:ident<$($p:ident),*>, $msg:literal, $label:literal, $note:literal) => {
        $(#[$doc])*
        #[diagnostic::on_unimplemented(message = $msg, label = $label, note = $note)]
        pub trait $name<$($p),*> {}
    };
}
zero_rest_trait!(
    /// A grouped convolution's input channels split evenly into its groups (asked of the
    /// remainder `I mod G` in decimal).
    InChannelsDivisibleByGroups<In, Groups>,
    "groups do not divide in_channels: this Conv2d's `{In}` input channels leave `{Self}` over in `{Groups}` groups",
    "this Conv2d's in_channels `{In}` is not a multiple of its groups `{Groups}`",
    "each of the G groups convolves I/G input channels into O/G output channels (PyTorch's groups)"
);
impl<In, Groups> InChannelsDivisibleByGroups<In, Groups> for Dim<0> {}
zero_rest_trait!(
    /// A grouped convolution's output channels split evenly into its groups.
    OutChannelsDivisibleByGroups<Out, Groups>,
    "groups do not divide out_channels: this Conv2d's `{Out}` output channels leave `{Self}` over in `{Groups}` groups",
    "this Conv2d's out_channels `{Out}` is not a multiple of its groups `{Groups}`",
    "each of the G groups convolves I/G input channels into O/G output channels (PyTorch's groups)"
);
impl<Out, Groups> OutChannelsDivisibleByGroups<Out, Groups> for Dim<0> {}
bit_check_trait!(
    /// A transposed convolution's output padding is below its stride or its dilation (the three
    /// shown).
    OutputPaddingFits<OutputPadding, Stride, Dilation>,
    "transposed convolution: this ConvTranspose2d's output_padding `{OutputPadding}` is smaller than neither its stride `{Stride}` nor its dilation `{Dilation}`",
    "this ConvTranspose2d's output_padding `{OutputPadding}` is not below its stride `{Stride}` or dilation `{Dilation}`",
    "output_padding only picks among the output sizes a stride leaves ambiguous; PyTorch needs OP < max(S, D)"
);
nonzero_trait!(
    /// An up-sampling scale factor is at least 1.
    ScaleFactorPositive,
    "up-sampling by a scale factor of 0",
    "this Upsample would produce an empty output",
    "Upsample<F> maps [C, H, W] to [C, H·F, W·F], so F must be at least 1"
);
impl ScaleFactorPositive for NotZero {}
check_trait!(
    /// Dropout's probability `NUM/DEN` is below 1.
    DropoutBelowOne,
    "dropout probability NUM/DEN is not below 1: every unit would be dropped",
    "this Dropout drops with probability p = NUM/DEN ≥ 1",
    "Dropout<NUM, DEN> drops each unit with probability NUM/DEN and needs NUM < DEN"
);
impl DropoutBelowOne for Holds {}
nonzero_trait!(
    /// A local response normalisation window holds at least one channel.
    WindowNotEmpty,
    "LocalResponseNorm over an empty window: size must be at least 1",
    "this LocalResponseNorm has size 0",
    "LocalResponseNorm<SIZE> sums the squares of SIZE neighbouring channels"
);
impl WindowNotEmpty for NotZero {}
check_trait!(
    /// A pooling layer's padding is at most half its kernel (PyTorch's rule for MaxPool2d and
    /// AvgPool2d), so padding never makes up a whole window of an undilated pool.
    PoolPaddingAtMostHalfKernel,
    "pooling padding larger than half the kernel: 2P > K",
    "this pooling layer pads more than half its window",
    "MaxPool2d/AvgPool2d need padding ≤ kernel_size / 2, as in PyTorch"
);
impl PoolPaddingAtMostHalfKernel for Holds {}
/// A batch-norm ε `Eps<M, E>` (M·10⁻ᴱ) has an exponent of at most 38 (asked in decimal,
/// `Dec<E>: EpsExponentInRange`, implemented for `Dim<0>` … `Dim<38>`).
#[diagnostic::on_unimplemented(
    message = "BatchNorm eps = M·10⁻ᴱ with E = `{Self}` > 38: below f32's normal range (≈ 1.2e-38)",
    label = "this BatchNorm's eps exponent E is `{Self}`, above 38",
    note = "Eps<M, E> is M·10⁻ᴱ: 1e-5 (PyTorch's default) is Eps<U1, U5>; E ≤ 38"
)]
pub trait EpsExponentInRange {}
macro_rules! exponents_in_range {
    ($($n:literal)*) => {
        $(impl EpsExponentInRange for Dim<$n> {})*
    };
}
exponents_in_range!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38);

/// A check that a batch or tensor given to an entry point (a network's `forward`, `infer`, …, a
/// loss) has the shape the entry point takes: `$name<S>` is implemented for `$ty<T>` when the
/// shape `T` is `S`. It asks one thing: `(S, T): $same<Show<S>, Show<T>>`, implemented for
/// `(S, S)` only (whatever the two shown shapes), so
/// - a batch of another shape fails with both shapes in decimal ([`crate::shown`]) in the
///   message (`its samples are Map<1, 16, 16>, the network's input is Map<1, 12, 12>`), the
///   caret on the argument, and one error only;
/// - the one implementation, for a pair of one type, gives the methods their type and lets
///   rustc infer an unannotated `Batch::zeros(n)` from the call (the shown shapes are extra
///   parameters, free in the implementation, so they take no part in the inference).
///
/// Generic code over a shape `S` that calls these entry points needs `S: ShowShape` as well as
/// `S: Shape` (every concrete shape has it).
macro_rules! shape_of_trait {
    ($(#[$doc:meta])* $name:ident for $ty:ident, $same:ident, $msg:literal, $label:literal) => {
        $(#[$doc])*
        pub trait $name<S: crate::Shape> {
            /// The value, typed.
            #[doc(hidden)]
            fn typed(&self) -> &crate::$ty<S>;
            /// The value, typed, mutably.
            #[doc(hidden)]
            fn typed_mut(&mut self) -> &mut crate::$ty<S>;
        }
        impl<T, S> $name<S> for crate::$ty<T>
        where
            T: crate::Shape + ShowShape,
            S: crate::Shape + ShowShape,
            (S, T): $same<<S as ShowShape>::Out, <T as ShowShape>::Out>,
        {
            fn typed(&self) -> &crate::$ty<S> {
                same_type(self)
            }
            fn typed_mut(&mut self) -> &mut crate::$ty<S> {
                same_type_mut(self)
            }
        }
        #[doc(hidden)]
        #[diagnostic::on_unimplemented(message = $msg, label = $label, note = "shapes shown as `Map<C, H, W>`, `Matrix<R, C>` or `Vector<N>` (a size over 1,024 as `Big<thousands, rest>`)")]
        pub trait $same<E, Got> {}
        impl<T, E, Got> $same<E, Got> for (T, T) {}
    };
}

/// `a` as `B` when the two are one type (the shape checks above prove it).
fn same_type<A: 'static, B: 'static>(a: &A) -> &B {
    match (a as &dyn core::any::Any).downcast_ref() {
        Some(b) => b,
        None => unreachable!("a shape check passed for two different shapes"),
    }
}
/// [`same_type`], mutably.
fn same_type_mut<A: 'static, B: 'static>(a: &mut A) -> &mut B {
    match (a as &mut dyn core::any::Any).downcast_mut() {
        Some(b) => b,
        None => unreachable!("a shape check passed for two different shapes"),
    }
}

#[cfg(feature = "alloc")]
shape_of_trait!(
    /// A batch of a network's input shape `S` (`x`, `dx`).
    InputBatch for Batch,
    SameInputShape,
    "batch of the wrong shape: its samples are `{Got}`, the network's input is `{E}`",
    "samples `{Got}`, not the network's input `{E}`"
);
#[cfg(feature = "alloc")]
shape_of_trait!(
    /// A batch of a network's output shape `S` (`y`, `dy`).
    OutputBatch for Batch,
    SameOutputShape,
    "batch of the wrong shape: its samples are `{Got}`, the network's output is `{E}`",
    "samples `{Got}`, not the network's output `{E}`"
);
#[cfg(feature = "alloc")]
shape_of_trait!(
    /// A loss target batch of the output's shape `S`.
    TargetBatch for Batch,
    SameTargetShape,
    "loss target of the wrong shape: its samples are `{Got}`, the output it is compared with is `{E}`",
    "target samples `{Got}`, not the output's `{E}`"
);
shape_of_trait!(
    /// One sample of a network's input shape `S`.
    InputTensor for Tensor,
    SameInputTensorShape,
    "tensor of the wrong shape: it is `{Got}`, the network's input is `{E}`",
    "a `{Got}` tensor, not the network's input `{E}`"
);
shape_of_trait!(
    /// One sample of a network's output shape `S`.
    OutputTensor for Tensor,
    SameOutputTensorShape,
    "tensor of the wrong shape: it is `{Got}`, the network's output is `{E}`",
    "a `{Got}` tensor, not the network's output `{E}`"
);

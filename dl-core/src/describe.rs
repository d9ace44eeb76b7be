//! Layers that describe themselves, so a hand-composed `Network<In, Seq![…]>` gets what
//! `network!` writes at expansion time: a summary table ([`Network::summary`]) and PyTorch
//! `nn.Sequential`-style tensor names ([`crate::io::Named`], so `io::save(path, &net)` needs no
//! table). Every fact is type-level; the walks run at run time over the chain's type and
//! allocate nothing.
//!
//! Naming follows `network!`: every link of a chain takes the next index, activations,
//! pooling, Flatten and Dropout included (`0.weight`, `0.bias`, `3.weight`, …); a block takes
//! one index and numbers its own chains under it — a [`Residual`]'s `3.body.0.weight` and
//! `3.shortcut.0.weight`, a [`Concat`]'s branches `4.0.0.weight`, `4.1.0.weight` (nested
//! concats count as one block of three or more branches, as they compute one).
use crate::layer::{Layer, Module, Network, Seq};
use crate::layers::activation::{fns, Act, Activation};
use crate::layers::conv::{ConvBias, Filters};
use crate::layers::conv_transpose::ConvTranspose2d;
use crate::layers::norm::{BatchNormKind, DefaultEps, EpsValue};
use crate::layers::*;
use crate::shape::{Ceil, Floor, Padding, PerAxis, Shape};
use core::fmt::{self, Display, Formatter};
use core::marker::PhantomData;
use typenum::Unsigned;

/// Which of a layer's tensors a name walk visits: parameters ([`Module::visit`]) or buffers
/// ([`Module::visit_buffers`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tensors {
    /// Trainable parameters.
    Params,
    /// Buffers (BatchNorm's running statistics).
    Buffers,
}

/// Where a layer sits in a network, printed as PyTorch names it (`3.body.0`); a list on the
/// stack, so naming allocates nothing.
#[derive(Clone, Copy)]
pub struct Path<'a> {
    up: Option<&'a Path<'a>>,
    step: Step,
}
#[derive(Clone, Copy)]
enum Step {
    Root,
    Index(usize),
    Name(&'static str),
}
impl Path<'static> {
    /// The network itself (prints as nothing).
    pub const ROOT: Path<'static> = Path {
        up: None,
        step: Step::Root,
    };
}
impl<'a> Path<'a> {
    /// The `i`-th link under this one (`3`).
    pub fn index(&'a self, i: usize) -> Path<'a> {
        Path {
            up: Some(self),
            step: Step::Index(i),
        }
    }
    /// The named part under this one (`body`).
    pub fn name(&'a self, n: &'static str) -> Path<'a> {
        Path {
            up: Some(self),
            step: Step::Name(n),
        }
    }
}
impl Display for Path<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if let Some(up) = self.up.filter(|u| !matches!(u.step, Step::Root)) {
            write!(f, "{up}.")?;
        }
        match self.step {
            Step::Root => Ok(()),
            Step::Index(i) => write!(f, "{i}"),
            Step::Name(n) => f.write_str(n),
        }
    }
}

/// One row of a summary: the layer (indented `depth` steps), its output shape, parameters
/// and MACs per sample.
pub struct Line<'a> {
    /// Nesting: 0 for a link of the network, 1 inside a block, ….
    pub depth: usize,
    /// The layer as PyTorch writes it (`Conv2d(1, 6, 5)`), or a block's heading (`residual`).
    pub layer: &'a dyn Display,
    /// The output shape in decimal (`[6, 28, 28]`), empty for a concat's branch heading.
    pub shape: &'a dyn Display,
    /// Trainable parameters of the layer (0 for a heading).
    pub params: usize,
    /// Multiply-accumulates per sample (convolutions, transposed convolutions, Linear).
    pub macs: usize,
}

/// Called with each summary row; an error stops the walk.
pub type RowFn<'f> = dyn FnMut(&Line<'_>) -> fmt::Result + 'f;
/// Called with where a layer sits, the tensor's own name (`weight`) and its PyTorch shape.
pub type NameFn<'f> = dyn FnMut(&Path<'_>, &str, &[usize]) + 'f;

/// A layer that describes itself for summaries and tensor names. Implemented by every layer of
/// `dl-core`, by [`Seq`] chains, [`Residual`], [`Concat`] and [`Network`]; a layer of one's
/// own needs only [`Describe::text`] (and [`Describe::tensors`] / [`Describe::MACS`] if it has
/// weights).
pub trait Describe<In: Shape>: Layer<In> + Module {
    /// Multiply-accumulates per sample (the sum over a chain).
    const MACS: usize = 0;
    /// The layer as PyTorch writes it: `Conv2d(1, 6, 5)`, `MaxPool2d(2)`, `ReLU`.
    fn text(f: &mut Formatter<'_>) -> fmt::Result;
    /// The layer's own tensors in visit order: name (`weight`) and PyTorch shape.
    fn tensors(_which: Tensors, _f: &mut dyn FnMut(&str, &[usize])) {}
    /// The summary rows: one for a layer, one per layer held for chains and blocks.
    fn rows(depth: usize, f: &mut RowFn<'_>) -> fmt::Result {
        f(&Line {
            depth,
            layer: &Text::<In, Self>(PhantomData),
            shape: &Dims::<Self::Out>(PhantomData),
            params: Self::PARAMS,
            macs: Self::MACS,
        })
    }
    /// The tensor names, this layer being link `*next` of the chain at `up` (a layer takes
    /// that index and moves `next` on; a chain numbers its links from it).
    fn names(up: &Path<'_>, next: &mut usize, which: Tensors, f: &mut NameFn<'_>) {
        let me = up.index(*next);
        Self::tensors(which, &mut |n, s| f(&me, n, s));
        *next += 1;
    }
    /// True for [`Identity`] only: a residual with it has no shortcut rows.
    #[doc(hidden)]
    const IDENTITY: bool = false;
    /// As branch `*b` of a concat (a nested concat adds its own branches).
    #[doc(hidden)]
    fn branch_rows(depth: usize, b: &mut usize, f: &mut RowFn<'_>) -> fmt::Result {
        *b += 1;
        let heading = Branch(*b);
        f(&Line {
            depth,
            layer: &heading,
            shape: &"",
            params: 0,
            macs: 0,
        })?;
        Self::rows(depth + 1, f)
    }
    /// Names as branch `*b` of the concat at `me`.
    #[doc(hidden)]
    fn branch_names(me: &Path<'_>, b: &mut usize, which: Tensors, f: &mut NameFn<'_>) {
        Self::names(&me.index(*b), &mut 0, which, f);
        *b += 1;
    }
}

/// A layer's [`Describe::text`] as a value.
struct Text<In, L: ?Sized>(PhantomData<fn() -> (In, *const L)>);
impl<In: Shape, L: Describe<In> + ?Sized> Display for Text<In, L> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        L::text(f)
    }
}
struct Branch(usize);
impl Display for Branch {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "branch {}", self.0)
    }
}

/// A shape in decimal: `[6, 28, 28]`, `[120]`.
pub struct Dims<S>(PhantomData<fn() -> S>);
impl<S: Shape> Dims<S> {
    /// The shape `S`.
    pub const fn new() -> Self {
        Dims(PhantomData)
    }
}
impl<S: Shape> Default for Dims<S> {
    fn default() -> Self {
        Self::new()
    }
}
impl<S: Shape> Display for Dims<S> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let d = &S::DIMS[3 - S::RANK.clamp(1, 3)..];
        f.write_str("[")?;
        for (i, n) in d.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{n}")?;
        }
        f.write_str("]")
    }
}

impl<In: Shape, L: Describe<In>> Network<In, L> {
    /// A Keras-style table: layer, output shape in decimal, parameters, MACs, then the totals,
    /// weight bytes and inference arena: the table of a `network!` struct, for a hand-composed
    /// chain. Print it with `println!("{}", Net::summary())` (no allocation).
    pub fn summary() -> crate::fused::ChainSummary<In, L> {
        crate::fused::ChainSummary::new()
    }
}

/// A hand-composed chain names its tensors as `network!` names the same layers (see the
/// [module docs](self)), so `io::save(path, &net)` and `io::load` need no table.
impl<In: Shape, L: Describe<In>> crate::io::Named for Network<In, L> {
    fn visit_names(f: &mut dyn FnMut(&dyn Display, &[usize])) {
        for which in [Tensors::Params, Tensors::Buffers] {
            L::names(&Path::ROOT, &mut 0, which, &mut |p, n, s| {
                f(&format_args!("{p}.{n}"), s)
            });
        }
    }
}

// ------------------------------------------------------------------ chains and blocks

impl<In, A, B, const AT_A: usize, const AT_B: usize> Describe<In> for Seq<A, B, AT_A, AT_B>
where
    In: Shape,
    A: Describe<In> + crate::link::LinkFits<In, AT_A>,
    B: Describe<A::Out> + crate::link::LinkFits<A::Out, AT_B>,
{
    const MACS: usize = A::MACS + B::MACS;
    fn text(f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("Sequential")
    }
    fn rows(depth: usize, f: &mut RowFn<'_>) -> fmt::Result {
        A::rows(depth, f)?;
        B::rows(depth, f)
    }
    fn names(up: &Path<'_>, next: &mut usize, which: Tensors, f: &mut NameFn<'_>) {
        A::names(up, next, which, f);
        B::names(up, next, which, f);
    }
}

impl<In: Shape, L: Describe<In>> Describe<In> for Network<In, L> {
    const MACS: usize = L::MACS;
    fn text(f: &mut Formatter<'_>) -> fmt::Result {
        L::text(f)
    }
    fn rows(depth: usize, f: &mut RowFn<'_>) -> fmt::Result {
        L::rows(depth, f)
    }
    fn names(up: &Path<'_>, next: &mut usize, which: Tensors, f: &mut NameFn<'_>) {
        L::names(up, next, which, f)
    }
}

impl<In: Shape, F: Describe<In>, Sc: Describe<In>> Describe<In> for Residual<F, Sc>
where
    Self: Layer<In>,
{
    const MACS: usize = F::MACS + Sc::MACS;
    fn text(f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("residual")
    }
    fn rows(depth: usize, f: &mut RowFn<'_>) -> fmt::Result {
        let out = Dims::<Self::Out>::new();
        let head = |layer: &'static &'static str| Line {
            depth,
            layer,
            shape: &out,
            params: 0,
            macs: 0,
        };
        f(&head(&"residual"))?;
        F::rows(depth + 1, f)?;
        if !Sc::IDENTITY {
            f(&head(&"shortcut"))?;
            Sc::rows(depth + 1, f)?;
        }
        Ok(())
    }
    fn names(up: &Path<'_>, next: &mut usize, which: Tensors, f: &mut NameFn<'_>) {
        let me = up.index(*next);
        F::names(&me.name("body"), &mut 0, which, f);
        Sc::names(&me.name("shortcut"), &mut 0, which, f);
        *next += 1;
    }
}

impl<S: Shape> Describe<S> for Identity {
    const IDENTITY: bool = true;
    fn text(f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("Identity")
    }
}

impl<In: Shape, A: Describe<In>, B: Describe<In>> Describe<In> for Concat<A, B>
where
    Self: Layer<In>,
{
    const MACS: usize = A::MACS + B::MACS;
    fn text(f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("concat")
    }
    fn rows(depth: usize, f: &mut RowFn<'_>) -> fmt::Result {
        f(&Line {
            depth,
            layer: &"concat",
            shape: &Dims::<Self::Out>::new(),
            params: 0,
            macs: 0,
        })?;
        let mut b = 0;
        Self::branch_rows(depth + 1, &mut b, f)
    }
    fn names(up: &Path<'_>, next: &mut usize, which: Tensors, f: &mut NameFn<'_>) {
        let me = up.index(*next);
        Self::branch_names(&me, &mut 0, which, f);
        *next += 1;
    }
    fn branch_rows(depth: usize, b: &mut usize, f: &mut RowFn<'_>) -> fmt::Result {
        A::branch_rows(depth, b, f)?;
        B::branch_rows(depth, b, f)
    }
    fn branch_names(me: &Path<'_>, b: &mut usize, which: Tensors, f: &mut NameFn<'_>) {
        A::branch_names(me, b, which, f);
        B::branch_names(me, b, which, f);
    }
}

// ------------------------------------------------------------------ layers with weights

/// `5` for a square size, `(10, 4)` for a rectangular one.
fn axes(f: &mut Formatter<'_>, [h, w]: [usize; 2]) -> fmt::Result {
    if h == w {
        write!(f, "{h}")
    } else {
        write!(f, "({h}, {w})")
    }
}

/// `, stride=2`, `, padding=1`, `, dilation=2` where they are not the default.
fn window<S: PerAxis, P: Padding, D: PerAxis>(f: &mut Formatter<'_>) -> fmt::Result {
    if S::HW != [1, 1] {
        f.write_str(", stride=")?;
        axes(f, S::HW)?;
    }
    padding::<P>(f)?;
    if D::HW != [1, 1] {
        f.write_str(", dilation=")?;
        axes(f, D::HW)?;
    }
    Ok(())
}

/// `, padding=1`, `(1, 2)`, `(t, b, l, r)` or `'same'`; nothing for none.
fn padding<P: Padding>(f: &mut Formatter<'_>) -> fmt::Result {
    let [t, b, l, r] = P::TBLR;
    if P::SAME {
        f.write_str(", padding='same'")
    } else if [t, b, l, r] == [0; 4] {
        Ok(())
    } else if t == b && l == r {
        f.write_str(", padding=")?;
        axes(f, [t, l])
    } else {
        write!(f, ", padding=({t}, {b}, {l}, {r})")
    }
}

impl<In, I, O, K, S, P, D, B, G> Describe<In> for Conv2d<I, O, K, S, P, D, B, G>
where
    In: Shape,
    Self: Layer<In>,
    I: Unsigned,
    O: Filters<I, K, G>,
    K: PerAxis,
    S: PerAxis,
    P: Padding,
    D: PerAxis,
    B: ConvBias<O>,
    G: Unsigned,
{
    const MACS: usize = {
        let [_, oh, ow] = <Self::Out as Shape>::DIMS;
        let [kh, kw] = K::HW;
        O::USIZE * oh * ow * (I::USIZE / Self::G) * kh * kw
    };
    fn text(f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "Conv2d({}, {}, ", I::USIZE, O::USIZE)?;
        axes(f, K::HW)?;
        window::<S, P, D>(f)?;
        if G::USIZE > 1 {
            write!(f, ", groups={}", G::USIZE)?;
        }
        if B::Len::USIZE == 0 {
            f.write_str(", bias=False")?;
        }
        f.write_str(")")
    }
    fn tensors(which: Tensors, f: &mut dyn FnMut(&str, &[usize])) {
        if which == Tensors::Params {
            let [kh, kw] = K::HW;
            f("weight", &[O::USIZE, I::USIZE / Self::G, kh, kw]);
            if B::Len::USIZE > 0 {
                f("bias", &[O::USIZE]);
            }
        }
    }
}
impl<I, O: Filters<I, K, G>, K, S, P, D, B: ConvBias<O>, G: Unsigned>
    Conv2d<I, O, K, S, P, D, B, G>
{
    /// Groups, at least 1.
    const G: usize = if G::USIZE == 0 { 1 } else { G::USIZE };
}

impl<In, I, O, K, S, P, D, OP, B> Describe<In> for ConvTranspose2d<I, O, K, S, P, D, OP, B>
where
    In: Shape,
    Self: Layer<In>,
    I: Filters<O, K>,
    O: typenum::Unsigned + generic_array::ArrayLength,
    K: Unsigned,
    S: Unsigned,
    P: Unsigned,
    D: Unsigned,
    OP: Unsigned,
    B: ConvBias<O>,
{
    const MACS: usize = {
        let [_, h, w] = In::DIMS;
        I::USIZE * h * w * O::USIZE * K::USIZE * K::USIZE
    };
    fn text(f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ConvTranspose2d({}, {}, {}",
            I::USIZE,
            O::USIZE,
            K::USIZE
        )?;
        for (name, v, default) in [
            ("stride", S::USIZE, 1),
            ("padding", P::USIZE, 0),
            ("output_padding", OP::USIZE, 0),
            ("dilation", D::USIZE, 1),
        ] {
            if v != default {
                write!(f, ", {name}={v}")?;
            }
        }
        if B::Len::USIZE == 0 {
            f.write_str(", bias=False")?;
        }
        f.write_str(")")
    }
    fn tensors(which: Tensors, f: &mut dyn FnMut(&str, &[usize])) {
        if which == Tensors::Params {
            let k = K::USIZE;
            f("weight", &[I::USIZE, O::USIZE, k, k]);
            if B::Len::USIZE > 0 {
                f("bias", &[O::USIZE]);
            }
        }
    }
}

impl<In: Shape, I: Unsigned, O: linear::Dense<I>> Describe<In> for Linear<I, O>
where
    Self: Layer<In>,
{
    const MACS: usize = I::USIZE * O::USIZE;
    fn text(f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "Linear({}, {})", I::USIZE, O::USIZE)
    }
    fn tensors(which: Tensors, f: &mut dyn FnMut(&str, &[usize])) {
        if which == Tensors::Params {
            f("weight", &[O::USIZE, I::USIZE]);
            f("bias", &[O::USIZE]);
        }
    }
}

impl<In: Shape, C, D: BatchNormKind, E: EpsValue> Describe<In> for BatchNorm<C, D, E>
where
    C: generic_array::ArrayLength,
    Self: Layer<In>,
{
    fn text(f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}({}", D::NAME, C::USIZE)?;
        if E::VALUE != DefaultEps::VALUE {
            write!(f, ", eps={:e}", E::VALUE)?;
        }
        f.write_str(")")
    }
    fn tensors(which: Tensors, f: &mut dyn FnMut(&str, &[usize])) {
        let c = [C::USIZE];
        match which {
            Tensors::Params => {
                f("weight", &c);
                f("bias", &c);
            }
            Tensors::Buffers => {
                f("running_mean", &c);
                f("running_var", &c);
            }
        }
    }
}

// ------------------------------------------------------------------ layers without weights

/// `Describe` for a layer whose text needs no type parameter.
macro_rules! plain {
    ($($ty:ty => $text:literal),* $(,)?) => {$(
        impl<In: Shape> Describe<In> for $ty where Self: Layer<In> {
            fn text(f: &mut Formatter<'_>) -> fmt::Result {
                f.write_str($text)
            }
        }
    )*};
}
plain!(
    Flatten => "Flatten",
    Softmax => "Softmax",
    GlobalAvgPool2d => "GlobalAvgPool2d",
    Act<fns::ReLU> => "ReLU",
    Act<fns::ReLU6> => "ReLU6",
    Act<fns::Sigmoid> => "Sigmoid",
    Act<fns::Tanh> => "Tanh",
);

impl<In: Shape, N: fns::SlopeNumerator, D: Unsigned> Describe<In> for Act<fns::LeakyReLU<N, D>>
where
    Self: Layer<In>,
    fns::LeakyReLU<N, D>: Activation,
{
    fn text(f: &mut Formatter<'_>) -> fmt::Result {
        let slope = N::F32 / D::USIZE as f32;
        if slope == 0.01 {
            return f.write_str("LeakyReLU");
        }
        write!(f, "LeakyReLU({slope})")
    }
}

/// Pooling's rounding mode in a summary.
pub trait RoundingText {
    /// `, ceil_mode=True` or nothing.
    const TEXT: &'static str;
}
impl RoundingText for Floor {
    const TEXT: &'static str = "";
}
impl RoundingText for Ceil {
    const TEXT: &'static str = ", ceil_mode=True";
}

impl<In: Shape, K: PerAxis, S: PerAxis, P: Padding, D: PerAxis, M: RoundingText> Describe<In>
    for MaxPool2d<K, S, P, D, M>
where
    Self: Layer<In>,
{
    fn text(f: &mut Formatter<'_>) -> fmt::Result {
        pool::<K, S, P, D>(f, "MaxPool2d")?;
        write!(f, "{})", M::TEXT)
    }
}
impl<In: Shape, K: PerAxis, S: PerAxis, P: Padding, M: RoundingText> Describe<In>
    for AvgPool2d<K, S, P, M>
where
    Self: Layer<In>,
{
    fn text(f: &mut Formatter<'_>) -> fmt::Result {
        pool::<K, S, P, typenum::U1>(f, "AvgPool2d")?;
        write!(f, "{})", M::TEXT)
    }
}
/// `MaxPool2d(2` (the stride is written when it is not the kernel size).
fn pool<K: PerAxis, S: PerAxis, P: Padding, D: PerAxis>(
    f: &mut Formatter<'_>,
    name: &str,
) -> fmt::Result {
    write!(f, "{name}(")?;
    axes(f, K::HW)?;
    if S::HW != K::HW {
        f.write_str(", stride=")?;
        axes(f, S::HW)?;
    }
    padding::<P>(f)?;
    if D::HW != [1, 1] {
        f.write_str(", dilation=")?;
        axes(f, D::HW)?;
    }
    Ok(())
}

impl<In: Shape, N: Unsigned, D: Unsigned> Describe<In> for Dropout<N, D>
where
    Self: Layer<In>,
{
    fn text(f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "Dropout({})", N::USIZE as f32 / D::USIZE as f32)
    }
}

impl<In: Shape, K: Unsigned> Describe<In> for Maxout<K>
where
    Self: Layer<In>,
{
    fn text(f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "Maxout({})", K::USIZE)
    }
}

impl<In: Shape, S: Unsigned> Describe<In> for LocalResponseNorm<S>
where
    Self: Layer<In>,
{
    fn text(f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "LocalResponseNorm({})", S::USIZE)
    }
}

impl<In: Shape, F: Unsigned> Describe<In> for Upsample<F, Nearest>
where
    Self: Layer<In>,
{
    fn text(f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "Upsample(scale_factor={})", F::USIZE)
    }
}
impl<In: Shape, F: Unsigned> Describe<In> for Upsample<F, Bilinear>
where
    Self: Layer<In>,
{
    fn text(f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "Upsample(scale_factor={}, mode='bilinear')", F::USIZE)
    }
}

impl<In: Shape, OH: Unsigned, OW: Unsigned, T: Unsigned, L: Unsigned> Describe<In>
    for Crop<OH, OW, T, L>
where
    Self: Layer<In>,
{
    fn text(f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "Crop({}, {}", OH::USIZE, OW::USIZE)?;
        if (T::USIZE, L::USIZE) != (0, 0) {
            write!(f, ", top={}, left={}", T::USIZE, L::USIZE)?;
        }
        f.write_str(")")
    }
}

#[cfg(test)]
#[path = "describe_tests.rs"]
mod tests;

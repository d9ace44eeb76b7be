//! The layer traits and the typed sequential chain.
//!
//! * [`Module`] — parameters: count, initialisation, visiting (no allocator).
//! * [`Layer<In>`] — inference on one sample, writing into caller-provided memory; needs no
//!   allocator. `Layer::SCRATCH` is the exact scratch it needs, so arenas are known statically.
//! * [`Train<In>`] — training forward over a [`Batch`] keeping what backward needs, and backward
//!   that returns the input gradient and *adds* every parameter gradient into a typed `Grad`.
//! * [`Seq<A, B>`] (or `Seq![A, B, C, …]`) — `A` then `B`; a chain that does not fit does not
//!   compile.
#[cfg(feature = "alloc")]
use crate::check::{InputBatch, OutputBatch};
use crate::check::{InputTensor, OutputTensor};
use crate::link::LinkFits;
use crate::rng::Rng;
use crate::shape::Shape;
#[cfg(feature = "alloc")]
use crate::tensor::Batch;

mod network;
pub use network::{InferLenError, Network};

/// Types for which all-zero bytes are a valid value (plain `f32` arrays, marker types, and
/// products of those). Lets large networks and gradients be allocated zeroed on the heap
/// without ever building them on the stack.
///
/// # Safety
/// All-zero bits must be a valid value of the type.
pub unsafe trait Zeroable: Sized {}
// SAFETY: unit and tuples of zeroable types.
unsafe impl Zeroable for () {}
unsafe impl<A: Zeroable, B: Zeroable> Zeroable for (A, B) {}

/// Networks whose bytes can be used as they are: `#[repr(C)]` (or transparent) plain data made of
/// `f32` / `u32` values and zero-sized markers, 4-byte aligned, with no padding. Any 4-aligned
/// bytes of the right length are then a valid value, laid out the same on every target, so
/// weights in flash can be viewed in place ([`crate::io::view()`]) instead of copied.
///
/// # Safety
/// The type is `#[repr(C)]` or `#[repr(transparent)]`, has alignment 4 or 1, no padding, and
/// every bit pattern of its bytes is a valid value.
pub unsafe trait Pod: Zeroable {}

/// A heap-allocated all-zero `T`, never built on the stack.
#[cfg(feature = "alloc")]
pub fn zeroed_box<T: Zeroable>() -> alloc::boxed::Box<T> {
    let layout = core::alloc::Layout::new::<T>();
    if layout.size() == 0 {
        // SAFETY: a dangling, aligned pointer is a valid Box of a zero-sized type (never
        // `Box::new(zeroed())`: in debug builds that reserves a T-sized stack slot).
        return unsafe {
            alloc::boxed::Box::from_raw(core::ptr::NonNull::<T>::dangling().as_ptr())
        };
    }
    // SAFETY: non-zero size; zero bits are a valid T; the pointer comes from the global
    // allocator with T's layout, as Box requires.
    unsafe {
        let p = alloc::alloc::alloc_zeroed(layout) as *mut T;
        if p.is_null() {
            alloc::alloc::handle_alloc_error(layout);
        }
        alloc::boxed::Box::from_raw(p)
    }
}

/// A set of parameters (a layer, a network, or a gradient of one, or a box holding one: the
/// `Box<Net>` that `Net::new` returns is a `Module` itself, so `io::save(…, &net, …)`,
/// `io::load(…, &mut net, …)` and `io::raw_len(&net)` take it as they take the network).
pub trait Module {
    /// Number of trainable parameters.
    const PARAMS: usize = 0;
    /// Default initialisation (PyTorch's default for the layer), seeded.
    fn init(&mut self, _rng: &mut Rng) {}
    /// Every parameter tensor, in a fixed order.
    fn visit(&self, _f: &mut dyn FnMut(&[f32])) {}
    /// Every parameter tensor, mutably, in the same order.
    fn visit_mut(&mut self, _f: &mut dyn FnMut(&mut [f32])) {}
    /// Every buffer (state saved with the weights but not trained: BatchNorm's `running_mean`
    /// then `running_var`), in a fixed order; containers visit their parts in the order of
    /// [`Module::visit`].
    fn visit_buffers(&self, _f: &mut dyn FnMut(&[f32])) {}
    /// Every buffer, mutably, in the order of [`Module::visit_buffers`].
    fn visit_buffers_mut(&mut self, _f: &mut dyn FnMut(&mut [f32])) {}
    /// Every random generator (a Dropout's mask generator), in a fixed order: the state a
    /// checkpoint keeps besides weights and buffers (`io::save_generators`).
    fn visit_generators(&self, _f: &mut dyn FnMut(&Rng)) {}
    /// Every random generator, mutably, in the order of [`Module::visit_generators`].
    fn visit_generators_mut(&mut self, _f: &mut dyn FnMut(&mut Rng)) {}
    /// Sets every parameter to zero.
    fn zero(&mut self) {
        self.visit_mut(&mut |p| p.fill(0.0));
    }
}
impl Module for () {}
/// `Module` for a pair of modules held as fields `.0` and `.1`: parameters, buffers and
/// generators of the first, then of the second. One definition for the tuple, [`Seq`] and
/// [`Concat`](crate::Concat).
macro_rules! module_pair {
    ($pair:ty $(, const $c:ident)*) => {
        impl<A: Module, B: Module $(, const $c: usize)*> Module for $pair {
            const PARAMS: usize = A::PARAMS + B::PARAMS;
            fn init(&mut self, rng: &mut Rng) {
                self.0.init(rng);
                self.1.init(rng);
            }
            fn visit(&self, f: &mut dyn FnMut(&[f32])) {
                self.0.visit(f);
                self.1.visit(f);
            }
            fn visit_mut(&mut self, f: &mut dyn FnMut(&mut [f32])) {
                self.0.visit_mut(f);
                self.1.visit_mut(f);
            }
            fn visit_buffers(&self, f: &mut dyn FnMut(&[f32])) {
                self.0.visit_buffers(f);
                self.1.visit_buffers(f);
            }
            fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(&mut [f32])) {
                self.0.visit_buffers_mut(f);
                self.1.visit_buffers_mut(f);
            }
            fn visit_generators(&self, f: &mut dyn FnMut(&Rng)) {
                self.0.visit_generators(f);
                self.1.visit_generators(f);
            }
            fn visit_generators_mut(&mut self, f: &mut dyn FnMut(&mut Rng)) {
                self.0.visit_generators_mut(f);
                self.1.visit_generators_mut(f);
            }
        }
    };
}
pub(crate) use module_pair;

module_pair!((A, B));

/// A module allocated zeroed on the heap and initialised from `seed`.
#[cfg(feature = "alloc")]
pub fn new_boxed<M: Module + Zeroable>(seed: u64) -> alloc::boxed::Box<M> {
    let mut m = zeroed_box::<M>();
    m.init(&mut Rng::new(seed));
    m
}

/// A layer's inference pass on one sample. Needs no allocator.
#[diagnostic::on_unimplemented(
    message = "layer given a shape of the wrong kind: a vector [N] where it needs a feature map [C, H, W], or the reverse",
    label = "a layer of this network cannot take the shape the layer before it produces",
    note = "Linear, BatchNorm1d and Maxout on vectors take [N] (put Flatten or GlobalAvgPool2d + Flatten before a Linear); Conv2d, pooling, BatchNorm2d, Upsample take a feature map [C, H, W]",
    note = "the `help:` line below names the layer (`is not implemented for …`) and the shape it was given (`Layer<…>`)"
)]
pub trait Layer<In: Shape> {
    /// Output shape, computed from `In` by the type system.
    type Out: Shape;
    /// Scratch `f32`s that [`Layer::infer`] needs (per call, one sample).
    const SCRATCH: usize = 0;
    /// Inference (eval mode): `x` holds `In::NUMEL` values, `y` receives `Out::NUMEL`,
    /// `scratch` has at least [`Layer::SCRATCH`] elements.
    fn infer(&self, x: &[f32], y: &mut [f32], scratch: &mut [f32]);

    /// For chains ([`Seq`]), which run their links on two alternating buffers `a` and `b`:
    /// the largest output a link writes into the buffer that does not hold the chain's input.
    /// A single layer writes none (0).
    #[doc(hidden)]
    const CHAIN_OTHER: usize = 0;
    /// For chains: the largest output a link writes back into the input's buffer.
    #[doc(hidden)]
    const CHAIN_SAME: usize = 0;
    /// For chains: the scratch every link needs besides the two buffers.
    #[doc(hidden)]
    const CHAIN_SCRATCH: usize = Self::SCRATCH;
    /// Inference with the input in `a` (`in_a`) or `b`, the output into `y`, links' outputs
    /// alternating between `a` and `b` (a chain overrides this; a single layer just runs).
    #[doc(hidden)]
    fn infer_chain(
        &self,
        in_a: bool,
        a: &mut [f32],
        b: &mut [f32],
        y: &mut [f32],
        scratch: &mut [f32],
    ) {
        let x = if in_a {
            &a[..In::NUMEL]
        } else {
            &b[..In::NUMEL]
        };
        self.infer(x, y, scratch)
    }

    /// Inference on a whole batch: threads split the batch under `std` (one piece each), each runs
    /// [`Layer::infer_batch`] (whole-batch kernels where a layer has them).
    #[cfg(feature = "alloc")]
    fn forward(&self, x: &Batch<In>) -> Batch<Self::Out>
    where
        Self: Sync,
    {
        let n = x.len();
        let mut y = Batch::<Self::Out>::zeros(n);
        let (xn, on) = (In::NUMEL, Self::Out::NUMEL);
        let work = crate::kernels::par::infer_work(xn, on, Self::SCRATCH);
        // one chunk per thread: whole-batch kernels pay per call (Winograd's weight
        // transforms), so 2 threads on 8 chunks of 2 samples ran no faster than 1 on 16
        crate::kernels::par::for_chunks_whole(n, y.as_mut_slice(), on, work, |start, ys| {
            let k = ys.len() / on.max(1);
            self.infer_batch(k, &x.as_slice()[start * xn..][..k * xn], ys);
        });
        y
    }

    /// Inference of `n` samples `x[n, In]` into `y[n, Out]` on the calling thread: the layers
    /// with whole-batch kernels (a product over the batch: `Linear`, `Conv2d`, chains and
    /// `network!` structs of them) override it; the default runs [`Layer::infer`] sample by
    /// sample.
    #[doc(hidden)]
    #[cfg(feature = "alloc")]
    fn infer_batch(&self, n: usize, x: &[f32], y: &mut [f32]) {
        infer_samples(self, n, x, y);
    }
}

/// [`Layer::infer`] on each of `n` samples `x[n, In]` into `y[n, Out]` (scratch from the
/// per-thread pool of [`crate::fused::BatchBufs`]).
#[doc(hidden)]
#[cfg(feature = "alloc")]
pub fn infer_samples<In: Shape, L: Layer<In> + ?Sized>(l: &L, n: usize, x: &[f32], y: &mut [f32]) {
    let (xn, on) = (In::NUMEL, <L::Out as Shape>::NUMEL);
    let mut bufs = crate::fused::BatchBufs::take();
    crate::fused::reserve(&mut bufs.s, L::SCRATCH);
    for (i, yi) in y[..n * on].chunks_exact_mut(on.max(1)).enumerate() {
        l.infer(&x[i * xn..][..xn], yi, &mut bufs.s);
    }
    bufs.give();
}

/// Training: forward over a batch keeping what backward needs, and backward.
#[cfg(feature = "alloc")]
pub trait Train<In: Shape>: Layer<In> + Module {
    /// Typed gradient: the layer's own type for parametric layers, `()` for stateless ones.
    type Grad: Module + Zeroable;
    /// What the forward pass keeps for backward (reused across steps).
    type Cache: Default + Send;
    /// Training-mode forward: resizes and fills `y`, fills `cache`.
    ///
    /// Precondition: the batch suits every layer ([`Train::check_train_batch`]): a BatchNorm
    /// must see more than one value per channel (a `BatchNorm1d` needs two samples or more).
    /// Otherwise its output is β whatever the input; [`Train::try_forward_train`] checks first
    /// and returns the error instead (`dl::fit` uses it).
    fn forward_train(&mut self, x: &Batch<In>, y: &mut Batch<Self::Out>, cache: &mut Self::Cache);
    /// `Ok` if a training batch of `n` samples suits every layer: a BatchNorm sees more than one
    /// value per channel (`n · H · W > 1`, as PyTorch requires), or the batch is empty. Chains,
    /// blocks and `network!` structs ask each of their layers; the error names the layer and
    /// where it sits.
    fn check_train_batch(&self, _n: usize) -> Result<(), crate::guard::TrainBatchError> {
        Ok(())
    }
    /// [`Train::forward_train`] after [`Train::check_train_batch`]: a batch that does not suit
    /// a layer runs nothing and returns the error (what PyTorch raises as "Expected more than 1
    /// value per channel when training").
    fn try_forward_train(
        &mut self,
        x: &Batch<In>,
        y: &mut Batch<Self::Out>,
        cache: &mut Self::Cache,
    ) -> Result<(), crate::guard::TrainBatchError> {
        self.check_train_batch(x.len())?;
        self.forward_train(x, y, cache);
        Ok(())
    }
    /// Backward: given `x`, `y` and `dy = ∂L/∂y` of the last `forward_train`, resizes and
    /// writes `dx = ∂L/∂x` and *adds* each parameter gradient into `grad`.
    fn backward(
        &self,
        x: &Batch<In>,
        y: &Batch<Self::Out>,
        dy: &Batch<Self::Out>,
        dx: &mut Batch<In>,
        cache: &mut Self::Cache,
        grad: &mut Self::Grad,
    );
    /// [`Train::backward`] without `dx`: *adds* each parameter gradient into `grad` (the same
    /// bits as `backward`) and computes no gradient for the input. For the first layer of a
    /// network, whose input is the data (PyTorch skips it the same way for an input that does
    /// not require grad): a convolution or a `Linear` then runs its weight product only, and a
    /// chain or `network!` struct skips its first layer's `dx`. Layers without such a saving
    /// run `backward` into a buffer they drop.
    fn backward_params(
        &self,
        x: &Batch<In>,
        y: &Batch<Self::Out>,
        dy: &Batch<Self::Out>,
        cache: &mut Self::Cache,
        grad: &mut Self::Grad,
    ) {
        let mut dx = Batch::default();
        self.backward(x, y, dy, &mut dx, cache, grad);
    }
    /// Visits each parameter tensor with its gradient, in [`Module::visit`] order.
    fn visit_with_grad(&mut self, grad: &Self::Grad, f: &mut dyn FnMut(&mut [f32], &[f32]));
    /// [`Train::backward`] after checking that `y` and `dy` hold as many samples as `x`
    /// (their per-sample shapes are checked by the types): otherwise nothing runs and the
    /// [`BatchLenError`](crate::guard::BatchLenError) names the three counts. (A network's
    /// `backward` panics with the same message.)
    fn try_backward(
        &self,
        x: &Batch<In>,
        y: &Batch<Self::Out>,
        dy: &Batch<Self::Out>,
        dx: &mut Batch<In>,
        cache: &mut Self::Cache,
        grad: &mut Self::Grad,
    ) -> Result<(), crate::guard::BatchLenError> {
        crate::guard::check_batches(x.len(), y.len(), dy.len())?;
        self.backward(x, y, dy, dx, cache, grad);
        Ok(())
    }
}

/// Implements `Train` for a layer without parameters or cache whose backward is elementwise
/// over `(x, y, dy)`, and `Module`/`Zeroable` for it.
#[macro_export]
#[doc(hidden)]
macro_rules! __stateless_module {
    ($ty:ty $(, $g:ident)*) => {
        // SAFETY: a parameterless marker type.
        unsafe impl<$($g),*> $crate::layer::Zeroable for $ty {}
        // SAFETY: zero-sized.
        unsafe impl<$($g),*> $crate::layer::Pod for $ty {}
        impl<$($g),*> $crate::layer::Module for $ty {}
    };
}

/// `A` followed by `B`. Write long chains with [`Seq!`](crate::Seq!) and build values with
/// [`seq!`](crate::seq!).
///
/// `AT_A` and `AT_B` are the positions of `A` and `B` in the chain `Seq!` wrote (`B`'s when it is
/// a layer, not a further `Seq`), counted from 0; they only name the link in a shape error's
/// first line ("link 3 of the chain: channel mismatch: …", [`crate::link`]).
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct Seq<A, B, const AT_A: usize = 0, const AT_B: usize = 1>(pub A, pub B);

// SAFETY: a pair of zeroable values.
unsafe impl<A: Zeroable, B: Zeroable, const AT_A: usize, const AT_B: usize> Zeroable
    for Seq<A, B, AT_A, AT_B>
{
}
// SAFETY: `#[repr(C)]` pair of `Pod`s, each a multiple of 4 bytes with alignment ≤ 4: no padding.
unsafe impl<A: Pod, B: Pod, const AT_A: usize, const AT_B: usize> Pod for Seq<A, B, AT_A, AT_B> {}

module_pair!(Seq<A, B, AT_A, AT_B>, const AT_A, const AT_B);

const fn max(a: usize, b: usize) -> usize {
    if a > b {
        a
    } else {
        b
    }
}

/// A chain's inference. Two layouts of the scratch, the smaller one chosen at compile time:
/// * nested: `[A's output | the rest]`, `B` running in the rest, so a chain `Seq![L1, …, Ln]`
///   keeps every intermediate alive until the end;
/// * alternating: two buffers `a` and `b` take turns — `L1` writes into `a` (using `b` and the
///   rest as its scratch), `L2` reads `a` and writes `b`, `L3` writes `a` again, …, `Ln` writes
///   `y` — so it needs the largest output of each parity and the largest link scratch.
///
/// Short chains come out the same; long ones (ResNet-152 as 52 blocks) far smaller.
/// Each link is asked as a [`LinkFits`] at its position, so a shape error names the link.
impl<In, A, B, const AT_A: usize, const AT_B: usize> Layer<In> for Seq<A, B, AT_A, AT_B>
where
    In: Shape,
    A: LinkFits<In, AT_A>,
    B: LinkFits<A::Out, AT_B>,
{
    type Out = B::Out;
    const SCRATCH: usize = {
        let (nested, alternating) = (Self::nested::<In>(), Self::alternating::<In>());
        if nested < alternating {
            nested
        } else {
            alternating
        }
    };
    // A writes into the buffer not holding the input; B's input is then there, so B's "other"
    // buffer is this chain's "same" one and vice versa.
    const CHAIN_OTHER: usize = max(<A::Out as Shape>::NUMEL, B::CHAIN_SAME);
    const CHAIN_SAME: usize = B::CHAIN_OTHER;
    const CHAIN_SCRATCH: usize = max(A::SCRATCH, B::CHAIN_SCRATCH);
    fn infer(&self, x: &[f32], y: &mut [f32], scratch: &mut [f32]) {
        let m = <A::Out as Shape>::NUMEL;
        if Self::nested::<In>() < Self::alternating::<In>() {
            let (mid, rest) = scratch.split_at_mut(m);
            self.0.infer(x, mid, rest);
            self.1.infer(mid, y, rest);
        } else {
            let (a, rest) = scratch.split_at_mut(Self::CHAIN_OTHER);
            self.0.infer(x, &mut a[..m], rest);
            let (b, rest) = rest.split_at_mut(Self::CHAIN_SAME);
            self.1.infer_chain(true, a, b, y, rest);
        }
    }
    /// Link by link over the whole batch (each link's whole-batch kernels).
    #[cfg(feature = "alloc")]
    fn infer_batch(&self, n: usize, x: &[f32], y: &mut [f32]) {
        let mut bufs = crate::fused::BatchBufs::take();
        crate::fused::reserve(&mut bufs.a, n * <A::Out as Shape>::NUMEL);
        let mid = &mut bufs.a[..n * <A::Out as Shape>::NUMEL];
        self.0.infer_batch(n, x, mid);
        self.1.infer_batch(n, mid, y);
        bufs.give();
    }
    fn infer_chain(
        &self,
        in_a: bool,
        a: &mut [f32],
        b: &mut [f32],
        y: &mut [f32],
        scratch: &mut [f32],
    ) {
        let (n, m) = (In::NUMEL, <A::Out as Shape>::NUMEL);
        if in_a {
            self.0.infer(&a[..n], &mut b[..m], scratch);
        } else {
            self.0.infer(&b[..n], &mut a[..m], scratch);
        }
        self.1.infer_chain(!in_a, a, b, y, scratch);
    }
}

impl<A, B, const AT_A: usize, const AT_B: usize> Seq<A, B, AT_A, AT_B> {
    /// Scratch of the nested layout.
    const fn nested<In: Shape>() -> usize
    where
        A: Layer<In>,
        B: Layer<A::Out>,
    {
        <A::Out as Shape>::NUMEL + max(A::SCRATCH, B::SCRATCH)
    }
    /// Scratch of the alternating layout: `a`, then `b` and the rest (the first link's scratch
    /// may use both, `b` being still unused).
    const fn alternating<In: Shape>() -> usize
    where
        A: Layer<In>,
        B: Layer<A::Out>,
    {
        let other = max(<A::Out as Shape>::NUMEL, B::CHAIN_SAME);
        other + max(B::CHAIN_OTHER + B::CHAIN_SCRATCH, A::SCRATCH)
    }
}

/// The cache of a [`Seq`]: both caches, the middle activation and its gradient.
#[cfg(feature = "alloc")]
pub struct SeqCache<CA, CB, M: Shape> {
    a: CA,
    b: CB,
    mid: Batch<M>,
    dmid: Batch<M>,
}
#[cfg(feature = "alloc")]
impl<CA: Default, CB: Default, M: Shape> Default for SeqCache<CA, CB, M> {
    fn default() -> Self {
        SeqCache {
            a: CA::default(),
            b: CB::default(),
            mid: Batch::default(),
            dmid: Batch::default(),
        }
    }
}

#[cfg(feature = "alloc")]
impl<In, A, B, const AT_A: usize, const AT_B: usize> Train<In> for Seq<A, B, AT_A, AT_B>
where
    In: Shape,
    A: Train<In> + LinkFits<In, AT_A>,
    B: Train<A::Out> + LinkFits<A::Out, AT_B>,
{
    type Grad = (A::Grad, B::Grad);
    type Cache = SeqCache<A::Cache, B::Cache, A::Out>;
    fn forward_train(&mut self, x: &Batch<In>, y: &mut Batch<Self::Out>, c: &mut Self::Cache) {
        self.0.forward_train(x, &mut c.mid, &mut c.a);
        self.1.forward_train(&c.mid, y, &mut c.b);
    }
    /// `A` is link 0, `B`'s links follow (`Seq![a, b, c]` numbers them 0, 1, 2).
    fn check_train_batch(&self, n: usize) -> Result<(), crate::guard::TrainBatchError> {
        use crate::guard::At;
        self.0.check_train_batch(n).map_err(|mut e| {
            e.at = e.at.or(Some(At::Link(0)));
            e
        })?;
        self.1.check_train_batch(n).map_err(|mut e| {
            e.at = match e.at {
                None => Some(At::Link(1)),
                Some(At::Link(i)) => Some(At::Link(i + 1)),
                field => field,
            };
            e
        })
    }
    fn backward(
        &self,
        x: &Batch<In>,
        y: &Batch<Self::Out>,
        dy: &Batch<Self::Out>,
        dx: &mut Batch<In>,
        c: &mut Self::Cache,
        g: &mut Self::Grad,
    ) {
        self.1
            .backward(&c.mid, y, dy, &mut c.dmid, &mut c.b, &mut g.1);
        self.0.backward(x, &c.mid, &c.dmid, dx, &mut c.a, &mut g.0);
    }
    fn backward_params(
        &self,
        x: &Batch<In>,
        y: &Batch<Self::Out>,
        dy: &Batch<Self::Out>,
        c: &mut Self::Cache,
        g: &mut Self::Grad,
    ) {
        self.1
            .backward(&c.mid, y, dy, &mut c.dmid, &mut c.b, &mut g.1);
        self.0
            .backward_params(x, &c.mid, &c.dmid, &mut c.a, &mut g.0);
    }
    fn visit_with_grad(&mut self, g: &Self::Grad, f: &mut dyn FnMut(&mut [f32], &[f32])) {
        self.0.visit_with_grad(&g.0, f);
        self.1.visit_with_grad(&g.1, f);
    }
}

/// The type of a chain: `Seq![A, B, C]` is `Seq<A, Seq<B, C, 1, 2>, 0, 1>` (each link's position
/// is kept for the error messages, see [`Seq`]).
#[macro_export]
macro_rules! Seq {
    // `@at [offset] [p q …] [[…] …]`: the positions not yet used, from a literal table in
    // chunks (a chunk is one token tree, so each step re-reads one chunk and the chunk list, not
    // the whole table); `offset p` is the next link's position. Literal positions cost the
    // compiler nothing to evaluate (counting `()` tokens into a `const` length made a 1000-link
    // chain's check 5× slower); past the table it starts again with `1024 +` in front.
    (@at $o:tt [$($x:tt)*] [$($c:tt)*] $a:ty) => { $a };
    (@at [] [$p:tt $q:tt $($n:tt)*] [$($c:tt)*] $a:ty, $($rest:ty),+) => {
        $crate::layer::Seq<$a, $crate::Seq![@at [] [$q $($n)*] [$($c)*] $($rest),+], $p, $q>
    };
    (@at [] [$p:tt] [[$q:tt $($n:tt)*] $($c:tt)*] $a:ty, $($rest:ty),+) => {
        $crate::layer::Seq<$a, $crate::Seq![@at [] [$q $($n)*] [$($c)*] $($rest),+], $p, $q>
    };
    (@at [$($o:tt)+] [$p:tt $q:tt $($n:tt)*] [$($c:tt)*] $a:ty, $($rest:ty),+) => {
        $crate::layer::Seq<
            $a,
            $crate::Seq![@at [$($o)+] [$q $($n)*] [$($c)*] $($rest),+],
            { $($o)+ $p },
            { $($o)+ $q },
        >
    };
    (@at [$($o:tt)+] [$p:tt] [[$q:tt $($n:tt)*] $($c:tt)*] $a:ty, $($rest:ty),+) => {
        $crate::layer::Seq<
            $a,
            $crate::Seq![@at [$($o)+] [$q $($n)*] [$($c)*] $($rest),+],
            { $($o)+ $p },
            { $($o)+ $q },
        >
    };
    (@at [$($o:tt)*] [$p:tt] [] $a:ty, $($rest:ty),+) => {
        $crate::layer::Seq<
            $a,
            $crate::Seq![@table [$($o)* 1024 +] $($rest),+],
            { $($o)* $p },
            { $($o)* 1024 },
        >
    };
    (@table $o:tt $($rest:ty),+) => {
        $crate::Seq![@at $o [
            0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
        ] [

            [32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63]
            [64 65 66 67 68 69 70 71 72 73 74 75 76 77 78 79 80 81 82 83 84 85 86 87 88 89 90 91 92 93 94 95]
            [96 97 98 99 100 101 102 103 104 105 106 107 108 109 110 111 112 113 114 115 116 117 118 119 120 121 122 123 124 125 126 127]
            [128 129 130 131 132 133 134 135 136 137 138 139 140 141 142 143 144 145 146 147 148 149 150 151 152 153 154 155 156 157 158 159]
            [160 161 162 163 164 165 166 167 168 169 170 171 172 173 174 175 176 177 178 179 180 181 182 183 184 185 186 187 188 189 190 191]
            [192 193 194 195 196 197 198 199 200 201 202 203 204 205 206 207 208 209 210 211 212 213 214 215 216 217 218 219 220 221 222 223]
            [224 225 226 227 228 229 230 231 232 233 234 235 236 237 238 239 240 241 242 243 244 245 246 247 248 249 250 251 252 253 254 255]
            [256 257 258 259 260 261 262 263 264 265 266 267 268 269 270 271 272 273 274 275 276 277 278 279 280 281 282 283 284 285 286 287]
            [288 289 290 291 292 293 294 295 296 297 298 299 300 301 302 303 304 305 306 307 308 309 310 311 312 313 314 315 316 317 318 319]
            [320 321 322 323 324 325 326 327 328 329 330 331 332 333 334 335 336 337 338 339 340 341 342 343 344 345 346 347 348 349 350 351]
            [352 353 354 355 356 357 358 359 360 361 362 363 364 365 366 367 368 369 370 371 372 373 374 375 376 377 378 379 380 381 382 383]
            [384 385 386 387 388 389 390 391 392 393 394 395 396 397 398 399 400 401 402 403 404 405 406 407 408 409 410 411 412 413 414 415]
            [416 417 418 419 420 421 422 423 424 425 426 427 428 429 430 431 432 433 434 435 436 437 438 439 440 441 442 443 444 445 446 447]
            [448 449 450 451 452 453 454 455 456 457 458 459 460 461 462 463 464 465 466 467 468 469 470 471 472 473 474 475 476 477 478 479]
            [480 481 482 483 484 485 486 487 488 489 490 491 492 493 494 495 496 497 498 499 500 501 502 503 504 505 506 507 508 509 510 511]
            [512 513 514 515 516 517 518 519 520 521 522 523 524 525 526 527 528 529 530 531 532 533 534 535 536 537 538 539 540 541 542 543]
            [544 545 546 547 548 549 550 551 552 553 554 555 556 557 558 559 560 561 562 563 564 565 566 567 568 569 570 571 572 573 574 575]
            [576 577 578 579 580 581 582 583 584 585 586 587 588 589 590 591 592 593 594 595 596 597 598 599 600 601 602 603 604 605 606 607]
            [608 609 610 611 612 613 614 615 616 617 618 619 620 621 622 623 624 625 626 627 628 629 630 631 632 633 634 635 636 637 638 639]
            [640 641 642 643 644 645 646 647 648 649 650 651 652 653 654 655 656 657 658 659 660 661 662 663 664 665 666 667 668 669 670 671]
            [672 673 674 675 676 677 678 679 680 681 682 683 684 685 686 687 688 689 690 691 692 693 694 695 696 697 698 699 700 701 702 703]
            [704 705 706 707 708 709 710 711 712 713 714 715 716 717 718 719 720 721 722 723 724 725 726 727 728 729 730 731 732 733 734 735]
            [736 737 738 739 740 741 742 743 744 745 746 747 748 749 750 751 752 753 754 755 756 757 758 759 760 761 762 763 764 765 766 767]
            [768 769 770 771 772 773 774 775 776 777 778 779 780 781 782 783 784 785 786 787 788 789 790 791 792 793 794 795 796 797 798 799]
            [800 801 802 803 804 805 806 807 808 809 810 811 812 813 814 815 816 817 818 819 820 821 822 823 824 825 826 827 828 829 830 831]
            [832 833 834 835 836 837 838 839 840 841 842 843 844 845 846 847 848 849 850 851 852 853 854 855 856 857 858 859 860 861 862 863]
            [864 865 866 867 868 869 870 871 872 873 874 875 876 877 878 879 880 881 882 883 884 885 886 887 888 889 890 891 892 893 894 895]
            [896 897 898 899 900 901 902 903 904 905 906 907 908 909 910 911 912 913 914 915 916 917 918 919 920 921 922 923 924 925 926 927]
            [928 929 930 931 932 933 934 935 936 937 938 939 940 941 942 943 944 945 946 947 948 949 950 951 952 953 954 955 956 957 958 959]
            [960 961 962 963 964 965 966 967 968 969 970 971 972 973 974 975 976 977 978 979 980 981 982 983 984 985 986 987 988 989 990 991]
            [992 993 994 995 996 997 998 999 1000 1001 1002 1003 1004 1005 1006 1007 1008 1009 1010 1011 1012 1013 1014 1015 1016 1017 1018 1019 1020 1021 1022 1023]
        ] $($rest),+]
    };
    ($a:ty $(,)?) => { $a };
    ($a:ty, $($rest:ty),+ $(,)?) => { $crate::Seq![@table [] $a, $($rest),+] };
}

/// A chain value: `seq![a, b, c]` is `Seq(a, Seq(b, c))`.
#[macro_export]
macro_rules! seq {
    ($a:expr $(,)?) => { $a };
    ($a:expr, $($rest:expr),+ $(,)?) => { $crate::layer::Seq($a, $crate::seq![$($rest),+]) };
}

/// The box `Net::new` returns is the network: its parameters are the network's.
#[cfg(feature = "alloc")]
impl<T: Module> Module for alloc::boxed::Box<T> {
    const PARAMS: usize = T::PARAMS;
    fn init(&mut self, rng: &mut Rng) {
        (**self).init(rng)
    }
    fn visit(&self, f: &mut dyn FnMut(&[f32])) {
        (**self).visit(f)
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&mut [f32])) {
        (**self).visit_mut(f)
    }
    fn visit_buffers(&self, f: &mut dyn FnMut(&[f32])) {
        (**self).visit_buffers(f)
    }
    fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(&mut [f32])) {
        (**self).visit_buffers_mut(f)
    }
    fn visit_generators(&self, f: &mut dyn FnMut(&Rng)) {
        (**self).visit_generators(f)
    }
    fn visit_generators_mut(&mut self, f: &mut dyn FnMut(&mut Rng)) {
        (**self).visit_generators_mut(f)
    }
    fn zero(&mut self) {
        (**self).zero()
    }
}

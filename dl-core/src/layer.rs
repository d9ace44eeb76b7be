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
    ($pair:ty) => {
        impl<A: Module, B: Module> Module for $pair {
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
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct Seq<A, B>(pub A, pub B);

// SAFETY: a pair of zeroable values.
unsafe impl<A: Zeroable, B: Zeroable> Zeroable for Seq<A, B> {}
// SAFETY: `#[repr(C)]` pair of `Pod`s, each a multiple of 4 bytes with alignment ≤ 4: no padding.
unsafe impl<A: Pod, B: Pod> Pod for Seq<A, B> {}

module_pair!(Seq<A, B>);

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
impl<In: Shape, A: Layer<In>, B: Layer<A::Out>> Layer<In> for Seq<A, B> {
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

impl<A, B> Seq<A, B> {
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
impl<In: Shape, A: Train<In>, B: Train<A::Out>> Train<In> for Seq<A, B> {
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
    fn visit_with_grad(&mut self, g: &Self::Grad, f: &mut dyn FnMut(&mut [f32], &[f32])) {
        self.0.visit_with_grad(&g.0, f);
        self.1.visit_with_grad(&g.1, f);
    }
}

/// The type of a chain: `Seq![A, B, C]` is `Seq<A, Seq<B, C>>`.
#[macro_export]
macro_rules! Seq {
    ($a:ty $(,)?) => { $a };
    ($a:ty, $($rest:ty),+ $(,)?) => { $crate::layer::Seq<$a, $crate::Seq![$($rest),+]> };
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

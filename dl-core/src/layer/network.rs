//! [`Network`]: a layer chain bound to its input shape, the typed network a user holds.

use super::*;

/// A layer (usually a [`Seq`] chain) bound to its input shape: the typed network a user holds.
///
/// The bounds sit on each method rather than on the struct, so a chain that does not fit is
/// reported at the call with the failing check's own message (which layer rule, which bound).
#[repr(transparent)]
pub struct Network<In: Shape, L> {
    /// The layers.
    pub layers: L,
    _in: core::marker::PhantomData<fn() -> In>,
}

// SAFETY: a transparent wrapper around a zeroable value.
unsafe impl<In: Shape, L: Zeroable> Zeroable for Network<In, L> {}
// SAFETY: `#[repr(transparent)]` over `L`.
unsafe impl<In: Shape, L: Pod> Pod for Network<In, L> {}

impl<In: Shape, L: Module> Module for Network<In, L> {
    const PARAMS: usize = L::PARAMS;
    fn init(&mut self, rng: &mut Rng) {
        self.layers.init(rng)
    }
    fn visit(&self, f: &mut dyn FnMut(&[f32])) {
        self.layers.visit(f)
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&mut [f32])) {
        self.layers.visit_mut(f)
    }
    fn visit_buffers(&self, f: &mut dyn FnMut(&[f32])) {
        self.layers.visit_buffers(f)
    }
    fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(&mut [f32])) {
        self.layers.visit_buffers_mut(f)
    }
    fn visit_generators(&self, f: &mut dyn FnMut(&Rng)) {
        self.layers.visit_generators(f)
    }
    fn visit_generators_mut(&mut self, f: &mut dyn FnMut(&mut Rng)) {
        self.layers.visit_generators_mut(f)
    }
}

/// A slice given to [`Network::try_infer`] has the wrong length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InferLenError {
    /// `"input"`, `"output"` or `"scratch"`.
    pub what: &'static str,
    /// The length the network needs (the scratch may also be longer).
    pub expected: usize,
    /// The length given.
    pub found: usize,
}

impl core::fmt::Display for InferLenError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let need = if self.what == "scratch" {
            "at least "
        } else {
            ""
        };
        write!(
            f,
            "inference {}: the network needs {need}{} f32 values, the slice holds {}",
            self.what, self.expected, self.found
        )
    }
}

#[cfg(feature = "std")]
impl std::error::Error for InferLenError {}

impl<In: Shape, L> Network<In, L> {
    /// The network on the heap, parameters initialised from `seed` (PyTorch's default schemes).
    #[cfg(feature = "alloc")]
    pub fn new(seed: u64) -> alloc::boxed::Box<Self>
    where
        L: Layer<In> + Module + Zeroable,
    {
        new_boxed(seed)
    }
    /// Scratch `f32`s needed by [`Network::infer`].
    pub const fn scratch_len() -> usize
    where
        L: Layer<In>,
    {
        L::SCRATCH
    }
    /// Inference on one sample into caller-provided memory (no allocator). `scratch` must hold
    /// at least [`Network::scratch_len`] floats (a shorter one panics; see
    /// [`Network::try_infer`]).
    ///
    /// `x` must be a `Tensor<In>` and `y` a `Tensor<L::Out>`: their types are parameters bounded
    /// by [`InputTensor`] / [`OutputTensor`] (implemented only for those), so a tensor of another
    /// shape fails with a message naming the mistake.
    pub fn infer<X: InputTensor<In>, Y: OutputTensor<L::Out>>(
        &self,
        x: &X,
        y: &mut Y,
        scratch: &mut [f32],
    ) where
        L: Layer<In>,
    {
        let (x, y) = (x.typed(), y.typed_mut());
        self.layers.infer(x.as_slice(), y.as_mut_slice(), scratch)
    }
    /// [`Layer::infer`] on plain slices with every length checked first: `x` must hold exactly
    /// one input sample, `y` exactly one output, `scratch` at least [`Network::scratch_len`]
    /// floats; otherwise nothing runs and the error names the slice and both lengths.
    pub fn try_infer(
        &self,
        x: &[f32],
        y: &mut [f32],
        scratch: &mut [f32],
    ) -> Result<(), InferLenError>
    where
        L: Layer<In>,
    {
        let check =
            |what, expected, found, exact| match (exact && found != expected) || found < expected {
                true => Err(InferLenError {
                    what,
                    expected,
                    found,
                }),
                false => Ok(()),
            };
        check("input", In::NUMEL, x.len(), true)?;
        check("output", <L::Out as Shape>::NUMEL, y.len(), true)?;
        check("scratch", L::SCRATCH, scratch.len(), false)?;
        self.layers.infer(x, y, scratch);
        Ok(())
    }
    /// Inference (eval mode) on a batch.
    ///
    /// `x` must be a `Batch<In>` (a type parameter bounded by [`InputBatch`], so another shape
    /// fails with a message naming the mistake, not `mismatched types`).
    #[cfg(feature = "alloc")]
    pub fn forward<X: InputBatch<In>>(&self, x: &X) -> Batch<L::Out>
    where
        L: Layer<In> + Sync,
    {
        self.layers.forward(x.typed())
    }
    /// Training forward keeping what [`Network::backward`] needs. Precondition: every
    /// BatchNorm sees more than one value per channel (see [`Train::forward_train`]);
    /// [`Train::try_forward_train`] checks it and returns an error naming the layer.
    #[cfg(feature = "alloc")]
    pub fn forward_train<X: InputBatch<In>, Y: OutputBatch<L::Out>>(
        &mut self,
        x: &X,
        y: &mut Y,
        cache: &mut L::Cache,
    ) where
        L: Train<In>,
    {
        self.layers.forward_train(x.typed(), y.typed_mut(), cache)
    }
    /// Backward after [`Network::forward_train`]: writes `dx` and adds into `grad`. Panics,
    /// naming the counts, if `y` or `dy` holds another number of samples than `x`
    /// ([`Train::try_backward`] returns that as an error).
    ///
    /// `x` and `dx` must be batches of `In`, `y` and `dy` of `L::Out` (checked by
    /// [`InputBatch`] / [`OutputBatch`], as in [`Network::forward_train`]).
    #[cfg(feature = "alloc")]
    pub fn backward<X, Y, DY, DX>(
        &self,
        x: &X,
        y: &Y,
        dy: &DY,
        dx: &mut DX,
        cache: &mut L::Cache,
        grad: &mut L::Grad,
    ) where
        L: Train<In>,
        X: InputBatch<In>,
        Y: OutputBatch<L::Out>,
        DY: OutputBatch<L::Out>,
        DX: InputBatch<In>,
    {
        let (x, y, dy, dx) = (x.typed(), y.typed(), dy.typed(), dx.typed_mut());
        crate::guard::assert_batches(x.len(), y.len(), dy.len());
        self.layers.backward(x, y, dy, dx, cache, grad)
    }
    /// A zeroed gradient for this network, on the heap.
    #[cfg(feature = "alloc")]
    pub fn zero_grad(&self) -> alloc::boxed::Box<L::Grad>
    where
        L: Train<In>,
    {
        zeroed_box()
    }
}

impl<In: Shape, L: Layer<In>> Network<In, L> {
    /// Scratch floats of one inference, [`Layer::SCRATCH`] (the name `network!` structs use).
    pub const ARENA_LEN: usize = L::SCRATCH;
    /// The inference arena in bytes (`ARENA_LEN · 4`): a budget is
    /// [`assert_arena_le!`](crate::assert_arena_le)`(Net, 64 * 1024)`.
    pub const ARENA_BYTES: usize = L::SCRATCH * 4;
}

impl<In: Shape, L: Layer<In>> Layer<In> for Network<In, L> {
    type Out = L::Out;
    const SCRATCH: usize = L::SCRATCH;
    fn infer(&self, x: &[f32], y: &mut [f32], scratch: &mut [f32]) {
        self.layers.infer(x, y, scratch)
    }
    #[cfg(feature = "alloc")]
    fn infer_batch(&self, n: usize, x: &[f32], y: &mut [f32]) {
        self.layers.infer_batch(n, x, y)
    }
}

/// A `Network` trains on exactly one input shape, so generic code over `T: Train<In>` (an
/// optimiser's `step`, say) infers `In` from it.
#[cfg(feature = "alloc")]
impl<In: Shape, L: Train<In>> Train<In> for Network<In, L> {
    type Grad = L::Grad;
    type Cache = L::Cache;
    fn forward_train(&mut self, x: &Batch<In>, y: &mut Batch<L::Out>, cache: &mut L::Cache) {
        self.layers.forward_train(x, y, cache)
    }
    fn check_train_batch(&self, n: usize) -> Result<(), crate::guard::TrainBatchError> {
        self.layers.check_train_batch(n)
    }
    fn backward(
        &self,
        x: &Batch<In>,
        y: &Batch<L::Out>,
        dy: &Batch<L::Out>,
        dx: &mut Batch<In>,
        cache: &mut L::Cache,
        grad: &mut L::Grad,
    ) {
        crate::guard::assert_batches(x.len(), y.len(), dy.len());
        self.layers.backward(x, y, dy, dx, cache, grad)
    }
    fn visit_with_grad(&mut self, grad: &L::Grad, f: &mut dyn FnMut(&mut [f32], &[f32])) {
        self.layers.visit_with_grad(grad, f)
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use crate::consts::*;
    use crate::{Conv2d, Flatten, InferLenError, Linear, Network, ReLU, Shape3};
    use std::string::ToString;

    type Net = Network<
        Shape3<U1, U6, U6>,
        crate::Seq![Conv2d<U1, U2, U3>, ReLU, Flatten, Linear<U32, U3>],
    >;

    #[test]
    fn try_infer_checks_every_length_and_names_the_slice() {
        let net = Net::new(0);
        let n = Net::scratch_len();
        let (x, mut y, mut s) = (vec![0.5f32; 36], vec![0.0f32; 3], vec![0.0f32; n + 5]);
        assert_eq!(net.try_infer(&x, &mut y, &mut s), Ok(()));
        assert!(y.iter().any(|v| *v != 0.0));
        let e = net.try_infer(&x[1..], &mut y, &mut s).unwrap_err();
        assert_eq!(
            e,
            InferLenError {
                what: "input",
                expected: 36,
                found: 35
            }
        );
        assert_eq!(
            e.to_string(),
            "inference input: the network needs 36 f32 values, the slice holds 35"
        );
        let e = net.try_infer(&x, &mut [0.0; 4], &mut s).unwrap_err();
        assert_eq!((e.what, e.expected, e.found), ("output", 3, 4));
        let e = net.try_infer(&x, &mut y, &mut s[..n - 1]).unwrap_err();
        assert_eq!((e.what, e.expected, e.found), ("scratch", n, n - 1));
        assert!(e.to_string().contains("at least"));
        assert_eq!(net.try_infer(&x, &mut y, &mut s[..n]), Ok(()));
    }
}

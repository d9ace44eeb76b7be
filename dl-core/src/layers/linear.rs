//! Fully connected layer `y = W·x + b`, weight `[O, I]` as in PyTorch.
use crate::check::LinearFeaturesMatch;
use crate::layer::{Layer, Module, Zeroable};
use crate::rng::Rng;
use crate::shape::Shape1;
use crate::shown::{Dec, Decimal};
use core::ops::Mul;
use generic_array::{ArrayLength, GenericArray};
use typenum::{Prod, Unsigned};

/// `O` outputs from `I` inputs: carries the weight length `O·I` once.
pub trait Dense<I>: ArrayLength {
    /// `O·I` as a type.
    type W: ArrayLength;
}
impl<I, O> Dense<I> for O
where
    O: ArrayLength + Mul<I>,
    Prod<O, I>: ArrayLength,
{
    type W = Prod<O, I>;
}

/// `Linear<I, O>`: `in_features = I`, `out_features = O` (PyTorch's `nn.Linear`).
#[repr(C)]
pub struct Linear<I, O: Dense<I>> {
    /// `[O, I]`, row-major.
    pub weight: GenericArray<f32, O::W>,
    /// `[O]`.
    pub bias: GenericArray<f32, O>,
}

// SAFETY: two f32 arrays.
unsafe impl<I, O: Dense<I>> Zeroable for Linear<I, O> {}
// SAFETY: `#[repr(C)]`, two f32 arrays.
unsafe impl<I, O: Dense<I>> crate::layer::Pod for Linear<I, O> {}

impl<I: Unsigned, O: Dense<I>> Module for Linear<I, O> {
    const PARAMS: usize = O::USIZE * I::USIZE + O::USIZE;
    /// PyTorch's default: `U(−1/√I, 1/√I)` for weight and bias.
    fn init(&mut self, rng: &mut Rng) {
        let b = 1.0 / crate::math::sqrt(I::USIZE as f32);
        self.weight
            .iter_mut()
            .for_each(|w| *w = rng.uniform_in(-b, b));
        self.bias
            .iter_mut()
            .for_each(|w| *w = rng.uniform_in(-b, b));
    }
    fn visit(&self, f: &mut dyn FnMut(&[f32])) {
        f(&self.weight);
        f(&self.bias);
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&mut [f32])) {
        f(&mut self.weight);
        f(&mut self.bias);
    }
}

impl<N, I, O> Layer<Shape1<N>> for Linear<I, O>
where
    N: ArrayLength + Decimal,
    I: Unsigned + Decimal,
    Dec<N>: LinearFeaturesMatch<Dec<I>>,
    O: Dense<I> + 'static,
{
    type Out = Shape1<O>;
    fn infer(&self, x: &[f32], y: &mut [f32], _scratch: &mut [f32]) {
        crate::kernels::gemv(&self.weight, &x[..I::USIZE], &self.bias, &mut y[..O::USIZE]);
    }
    /// The samples as one product (`W` read in place).
    #[cfg(feature = "alloc")]
    fn infer_batch(&self, n: usize, x: &[f32], y: &mut [f32]) {
        let mut bufs = crate::fused::BatchBufs::take();
        let (w, b) = (&self.weight[..], &self.bias[..]);
        crate::fused::linear_infer_batch(w, b, n, x, y, &mut bufs.s, |_, _| {});
        bufs.give();
    }
}

#[cfg(feature = "alloc")]
impl<N, I, O> crate::layer::Train<Shape1<N>> for Linear<I, O>
where
    N: ArrayLength + Decimal,
    I: Unsigned + Decimal,
    Dec<N>: LinearFeaturesMatch<Dec<I>>,
    O: Dense<I> + 'static,
    Self: Send + Sync,
{
    type Grad = Self;
    /// The backward products' packing space, kept across steps.
    type Cache = crate::fused::Work;
    fn forward_train(
        &mut self,
        x: &crate::Batch<Shape1<N>>,
        y: &mut crate::Batch<Shape1<O>>,
        c: &mut crate::fused::Work,
    ) {
        let n = x.len();
        y.resize(n);
        let (w, b) = (&self.weight[..], &self.bias[..]);
        crate::fused::linear_forward(w, b, n, x.as_slice(), y.as_mut_slice(), c, |_, _| {});
    }
    fn backward(
        &self,
        x: &crate::Batch<Shape1<N>>,
        _y: &crate::Batch<Shape1<O>>,
        dy: &crate::Batch<Shape1<O>>,
        dx: &mut crate::Batch<Shape1<N>>,
        c: &mut crate::fused::Work,
        g: &mut Self,
    ) {
        dx.resize(x.len());
        let (n, x, dy) = (x.len(), x.as_slice(), dy.as_slice());
        self.backward_rows(n, x, dy, Some(dx.as_mut_slice()), c, g);
    }
    /// `dW` and `db` only: no `dY · W`.
    fn backward_params(
        &self,
        x: &crate::Batch<Shape1<N>>,
        _y: &crate::Batch<Shape1<O>>,
        dy: &crate::Batch<Shape1<O>>,
        c: &mut crate::fused::Work,
        g: &mut Self,
    ) {
        self.backward_rows(x.len(), x.as_slice(), dy.as_slice(), None, c, g);
    }
    fn visit_with_grad(&mut self, g: &Self, f: &mut dyn FnMut(&mut [f32], &[f32])) {
        f(&mut self.weight, &g.weight);
        f(&mut self.bias, &g.bias);
    }
}

#[cfg(feature = "alloc")]
impl<I: Unsigned, O: Dense<I>> Linear<I, O> {
    /// Backward over `n` rows `x[n, I]`, `dy[n, O]`: `dx[n, I] = dY · W` when asked for
    /// (`Some`), `dW += dYᵀ · X`, `db += Σ dY` — [`crate::fused::linear_backward`], which
    /// `network!` runs too.
    fn backward_rows(
        &self,
        n: usize,
        x: &[f32],
        dy: &[f32],
        dx: Option<&mut [f32]>,
        work: &mut crate::fused::Work,
        g: &mut Self,
    ) {
        let (gw, gb) = (&mut g.weight[..], &mut g.bias[..]);
        crate::fused::linear_backward(&self.weight, n, x, dy, dx, work, gw, gb);
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::layer::new_boxed;
    use crate::testing::{assert_close, check_layer_grads, fixture, load_params, run_train};
    use typenum::consts::*;

    #[test]
    fn gradients() {
        check_layer_grads::<Shape1<U5>, _>(&mut *new_boxed::<Linear<U5, U3>>(1), 1, 1);
        check_layer_grads::<Shape1<U7>, _>(&mut *new_boxed::<Linear<U7, U4>>(2), 5, 2);
        // more than one register tile each way, a partial tile at every edge
        check_layer_grads::<Shape1<U37>, _>(&mut *new_boxed::<Linear<U37, U23>>(3), 13, 3);
    }

    #[test]
    fn inference_matches_the_training_forward() {
        // 23 outputs: five groups of four rows and three single ones; 37 inputs: two steps of
        // sixteen and a tail
        let mut l = new_boxed::<Linear<U37, U23>>(6);
        let x = crate::Batch::<Shape1<U37>>::from_fn(3, |i| (i as f32 * 0.37).sin());
        let (mut y, mut c) = (crate::Batch::default(), Default::default());
        crate::Train::forward_train(&mut *l, &x, &mut y, &mut c);
        let mut one = [0.0f32; 23];
        Layer::<Shape1<U37>>::infer(&*l, x.sample(2), &mut one, &mut []);
        assert_close("infer", &one, y.sample(2), 1e-5);
        let batch = Layer::<Shape1<U37>>::forward(&*l, &x);
        assert_close("forward", batch.as_slice(), y.as_slice(), 1e-6);
    }

    #[test]
    fn a_batch_split_across_threads_gives_the_same_numbers() {
        // large enough that the batch (forward, dX) and the rows of dW are split in two
        let mut l = new_boxed::<Linear<U64, U40>>(4);
        let mut r = crate::rng::Rng::new(5);
        let x: std::vec::Vec<f32> = (0..300 * 64).map(|_| r.normal()).collect();
        let dy: std::vec::Vec<f32> = (0..300 * 40).map(|_| r.normal()).collect();
        let before = crate::kernels::par::threads();
        let mut run = |t| {
            crate::kernels::par::set_threads(t);
            run_train::<Shape1<U64>, _>(&mut *l, &x, &dy)
        };
        let (y1, dx1, g1) = run(1);
        let (y2, dx2, g2) = run(2);
        crate::kernels::par::set_threads(before);
        assert_eq!(
            (y1, dx1, &g1.weight[..], &g1.bias[..]),
            (y2, dx2, &g2.weight[..], &g2.bias[..])
        );
    }

    #[test]
    fn matches_pytorch() {
        let fx = fixture("linear");
        let mut l = new_boxed::<Linear<U5, U3>>(0);
        load_params(&mut *l, &fx, &["weight", "bias"]);
        let (y, dx, g) = run_train::<Shape1<U5>, _>(&mut *l, fx.get("x"), fx.get("dy"));
        assert_close("y", &y, fx.get("y"), 1e-5);
        assert_close("dx", &dx, fx.get("dx"), 1e-5);
        assert_close("dweight", &g.weight, fx.get("dweight"), 1e-5);
        assert_close("dbias", &g.bias, fx.get("dbias"), 1e-5);
    }
}

//! Fully connected layer `y = W·x + b`, weight `[O, I]` as in PyTorch.
use crate::check::FeaturesMatch;
#[cfg(feature = "alloc")]
use crate::kernels::gemm;
use crate::layer::{Layer, Module, Zeroable};
use crate::rng::Rng;
use crate::shape::Shape1;
use core::ops::Mul;
use generic_array::{ArrayLength, GenericArray};
use typenum::{Eq, IsEqual, Prod, Unsigned};

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
pub struct Linear<I, O: Dense<I>> {
    /// `[O, I]`, row-major.
    pub weight: GenericArray<f32, O::W>,
    /// `[O]`.
    pub bias: GenericArray<f32, O>,
}

// SAFETY: two f32 arrays.
unsafe impl<I, O: Dense<I>> Zeroable for Linear<I, O> {}

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
    N: ArrayLength + IsEqual<I>,
    Eq<N, I>: FeaturesMatch,
    I: Unsigned,
    O: Dense<I> + 'static,
{
    type Out = Shape1<O>;
    fn infer(&self, x: &[f32], y: &mut [f32], _scratch: &mut [f32]) {
        let (ni, no) = (I::USIZE, O::USIZE);
        let x = &x[..ni];
        for (o, (yo, w)) in y[..no]
            .iter_mut()
            .zip(self.weight.chunks_exact(ni))
            .enumerate()
        {
            *yo = self.bias[o] + crate::kernels::dot(w, x);
        }
    }
}

#[cfg(feature = "alloc")]
impl<N, I, O> crate::layer::Train<Shape1<N>> for Linear<I, O>
where
    N: ArrayLength + IsEqual<I>,
    Eq<N, I>: FeaturesMatch,
    I: Unsigned,
    O: Dense<I> + 'static,
    Self: Send + Sync,
{
    type Grad = Self;
    type Cache = ();
    fn forward_train(
        &mut self,
        x: &crate::Batch<Shape1<N>>,
        y: &mut crate::Batch<Shape1<O>>,
        _c: &mut (),
    ) {
        let (n, ni, no) = (x.len(), I::USIZE, O::USIZE);
        y.resize(n);
        let this = &*self;
        crate::kernels::par::for_chunks(n, y.as_mut_slice(), no, |start, ys| {
            let rows = ys.len() / no;
            for r in ys.chunks_exact_mut(no) {
                r.copy_from_slice(&this.bias);
            }
            gemm::nt(
                rows,
                ni,
                no,
                &x.as_slice()[start * ni..],
                &this.weight,
                1.0,
                ys,
            );
        });
    }
    fn backward(
        &self,
        x: &crate::Batch<Shape1<N>>,
        _y: &crate::Batch<Shape1<O>>,
        dy: &crate::Batch<Shape1<O>>,
        dx: &mut crate::Batch<Shape1<N>>,
        _c: &mut (),
        g: &mut Self,
    ) {
        let (n, ni, no) = (x.len(), I::USIZE, O::USIZE);
        dx.resize(n);
        // dX[n, I] = dY[n, O] · W[O, I]
        crate::kernels::par::for_chunks(n, dx.as_mut_slice(), ni, |start, xs| {
            gemm::nn(
                xs.len() / ni,
                no,
                ni,
                &dy.as_slice()[start * no..],
                &self.weight,
                0.0,
                xs,
            );
        });
        // dW[O, I] += dYᵀ · X ; db += Σ_n dY
        gemm::tn(no, n, ni, dy.as_slice(), x.as_slice(), 1.0, &mut g.weight);
        for r in dy.as_slice().chunks_exact(no) {
            for (b, v) in g.bias.iter_mut().zip(r) {
                *b += v;
            }
        }
    }
    fn visit_with_grad(&mut self, g: &Self, f: &mut dyn FnMut(&mut [f32], &[f32])) {
        f(&mut self.weight, &g.weight);
        f(&mut self.bias, &g.bias);
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

//! Flatten: `[C, H, W]` (or any shape) to `[C·H·W]`, PyTorch's `nn.Flatten()` order.
use crate::layer::{Layer, Module, Zeroable};
use crate::shape::{Shape, Shape1};

/// Flattens a sample to a vector, row-major (`C`, then `H`, then `W`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Flatten;
// SAFETY: marker type.
unsafe impl Zeroable for Flatten {}
// SAFETY: zero-sized.
unsafe impl crate::layer::Pod for Flatten {}
impl Module for Flatten {}

impl<S: Shape> Layer<S> for Flatten {
    type Out = Shape1<S::Len>;
    fn infer(&self, x: &[f32], y: &mut [f32], _scratch: &mut [f32]) {
        y[..S::NUMEL].copy_from_slice(&x[..S::NUMEL]);
    }
}

#[cfg(feature = "alloc")]
impl<S: Shape> crate::layer::Train<S> for Flatten {
    type Grad = ();
    type Cache = ();
    fn forward_train(
        &mut self,
        x: &crate::Batch<S>,
        y: &mut crate::Batch<Shape1<S::Len>>,
        _c: &mut (),
    ) {
        y.resize(x.len());
        y.as_mut_slice().copy_from_slice(x.as_slice());
    }
    fn backward(
        &self,
        x: &crate::Batch<S>,
        _y: &crate::Batch<Shape1<S::Len>>,
        dy: &crate::Batch<Shape1<S::Len>>,
        dx: &mut crate::Batch<S>,
        _c: &mut (),
        _g: &mut (),
    ) {
        dx.resize(x.len());
        dx.as_mut_slice().copy_from_slice(dy.as_slice());
    }
    fn visit_with_grad(&mut self, _g: &(), _f: &mut dyn FnMut(&mut [f32], &[f32])) {}
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::testing::check_layer_grads;
    use typenum::consts::*;
    #[test]
    fn flatten_is_identity_on_values_and_gradients() {
        fn out<L: Layer<crate::Shape3<U16, U5, U5>, Out = Shape1<U400>>>(_: &L) {}
        out(&Flatten);
        check_layer_grads::<crate::Shape3<U2, U3, U4>, _>(&mut Flatten, 2, 1);
    }
}

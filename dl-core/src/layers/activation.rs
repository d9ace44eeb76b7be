//! Elementwise activations: one trait with the value and its derivative side by side, and one
//! generic `Layer`/`Train` impl for every activation and every shape.
use crate::layer::{Layer, Module, Zeroable};
use crate::math;
use crate::shape::Shape;
use core::marker::PhantomData;
use typenum::Unsigned;

/// An elementwise function with its derivative. Any `Activation` is a layer of any shape.
pub trait Activation: Send + Sync + Zeroable {
    /// `y = f(x)`.
    fn f(x: f32) -> f32;
    /// `dy/dx`, from the input `x` and the output `y` (whichever is cheaper).
    fn df(x: f32, y: f32) -> f32;
}

/// `max(0, x)`.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReLU;
/// `1 / (1 + e^−x)`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sigmoid;
/// `tanh(x)`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tanh;
/// `x` for `x > 0`, `(NUM/DEN)·x` otherwise; the default slope is PyTorch's 0.01.
pub struct LeakyReLU<NUM = typenum::U1, DEN = typenum::U100>(PhantomData<fn() -> (NUM, DEN)>);
impl<N, D> Default for LeakyReLU<N, D> {
    fn default() -> Self {
        LeakyReLU(PhantomData)
    }
}
impl<N, D> Clone for LeakyReLU<N, D> {
    fn clone(&self) -> Self {
        LeakyReLU(PhantomData)
    }
}
impl<N, D> Copy for LeakyReLU<N, D> {}

impl Activation for ReLU {
    #[inline]
    fn f(x: f32) -> f32 {
        x.max(0.0)
    }
    #[inline]
    fn df(_x: f32, y: f32) -> f32 {
        if y > 0.0 {
            1.0
        } else {
            0.0
        }
    }
}
impl Activation for Sigmoid {
    #[inline]
    fn f(x: f32) -> f32 {
        1.0 / (1.0 + math::exp(-x))
    }
    #[inline]
    fn df(_x: f32, y: f32) -> f32 {
        y * (1.0 - y)
    }
}
impl Activation for Tanh {
    #[inline]
    fn f(x: f32) -> f32 {
        math::tanh(x)
    }
    #[inline]
    fn df(_x: f32, y: f32) -> f32 {
        1.0 - y * y
    }
}
impl<N: Unsigned + Send + Sync, D: Unsigned + Send + Sync> Activation for LeakyReLU<N, D> {
    #[inline]
    fn f(x: f32) -> f32 {
        if x > 0.0 {
            x
        } else {
            x * (N::U32 as f32 / D::U32 as f32)
        }
    }
    #[inline]
    fn df(x: f32, _y: f32) -> f32 {
        if x > 0.0 {
            1.0
        } else {
            N::U32 as f32 / D::U32 as f32
        }
    }
}

// SAFETY: marker types without fields.
unsafe impl Zeroable for ReLU {}
unsafe impl Zeroable for Sigmoid {}
unsafe impl Zeroable for Tanh {}
unsafe impl<N, D> Zeroable for LeakyReLU<N, D> {}

/// `y = f(x)` elementwise.
fn apply<A: Activation>(x: &[f32], y: &mut [f32]) {
    for (o, &v) in y.iter_mut().zip(x) {
        *o = A::f(v);
    }
}

/// `dx = dy · f'(x)` elementwise.
#[cfg(feature = "alloc")]
fn apply_back<A: Activation>(x: &[f32], y: &[f32], dy: &[f32], dx: &mut [f32]) {
    for (o, ((&xv, &yv), &g)) in dx.iter_mut().zip(x.iter().zip(y).zip(dy)) {
        *o = g * A::df(xv, yv);
    }
}

// One impl per activation type rather than `impl<A: Activation> Layer<S> for A`: a blanket impl
// is a second candidate for every `Layer` bound, and with two candidates rustc reports only
// "trait bound not satisfied" and hides the `check` messages (ShapesMatch, KernelFitsInput…)
// of every other layer.
macro_rules! activation_layers {
    ($([$($g:ident),*] $ty:ty;)*) => {$(
        impl<$($g),*> Module for $ty where $ty: Activation {}

        impl<S: Shape, $($g),*> Layer<S> for $ty
        where
            $ty: Activation,
        {
            type Out = S;
            fn infer(&self, x: &[f32], y: &mut [f32], _scratch: &mut [f32]) {
                apply::<Self>(&x[..S::NUMEL], &mut y[..S::NUMEL]);
            }
        }

        #[cfg(feature = "alloc")]
        impl<S: Shape, $($g),*> crate::layer::Train<S> for $ty
        where
            $ty: Activation,
        {
            type Grad = ();
            type Cache = ();
            fn forward_train(&mut self, x: &crate::Batch<S>, y: &mut crate::Batch<S>, _c: &mut ()) {
                y.resize(x.len());
                apply::<Self>(x.as_slice(), y.as_mut_slice());
            }
            fn backward(
                &self,
                x: &crate::Batch<S>,
                y: &crate::Batch<S>,
                dy: &crate::Batch<S>,
                dx: &mut crate::Batch<S>,
                _c: &mut (),
                _g: &mut (),
            ) {
                dx.resize(x.len());
                apply_back::<Self>(x.as_slice(), y.as_slice(), dy.as_slice(), dx.as_mut_slice());
            }
            fn visit_with_grad(&mut self, _g: &(), _f: &mut dyn FnMut(&mut [f32], &[f32])) {}
        }
    )*};
}
activation_layers! {
    [] ReLU;
    [] Sigmoid;
    [] Tanh;
    [N, D] LeakyReLU<N, D>;
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::testing::{check_layer_grads, fixture};
    use typenum::consts::*;

    #[test]
    fn values() {
        assert_eq!(ReLU::f(-2.0), 0.0);
        assert_eq!(ReLU::f(3.0), 3.0);
        assert!((Sigmoid::f(0.0) - 0.5).abs() < 1e-7);
        assert!((Tanh::f(1.0) - 0.761_594_2).abs() < 1e-6);
        assert!((<LeakyReLU>::f(-2.0) + 0.02).abs() < 1e-7);
        assert!((<LeakyReLU<U1, U5>>::f(-2.0) + 0.4).abs() < 1e-7);
    }

    #[test]
    fn gradients() {
        check_layer_grads::<crate::Shape3<U2, U3, U5>, _>(&mut Sigmoid, 3, 1);
        check_layer_grads::<crate::Shape1<U7>, _>(&mut Tanh, 2, 2);
        check_layer_grads::<crate::Shape3<U1, U4, U4>, _>(&mut ReLU, 2, 3);
        check_layer_grads::<crate::Shape1<U9>, _>(&mut <LeakyReLU<U1, U10>>::default(), 4, 4);
    }

    #[test]
    fn match_pytorch() {
        for (name, y) in [("sigmoid", Sigmoid::f as fn(f32) -> f32), ("tanh", Tanh::f), ("relu", ReLU::f), ("leaky_relu", <LeakyReLU>::f)] {
            let fx = fixture(&format!("act_{name}"));
            let x = fx.get("x");
            let want = fx.get("y");
            for (i, (&xi, &wi)) in x.iter().zip(want).enumerate() {
                assert!((y(xi) - wi).abs() < 1e-6, "{name}[{i}]: {} vs torch {}", y(xi), wi);
            }
        }
    }
}

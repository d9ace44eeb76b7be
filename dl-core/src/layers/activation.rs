//! Elementwise activations: one trait with the value and its derivative side by side, and one
//! generic `Layer`/`Train` impl, on [`Act<F>`], for every activation and every shape.
//!
//! `ReLU`, `Sigmoid`, `Tanh` and `LeakyReLU` are the layers (`Act<fns::…>`); a user-defined
//! [`Activation`] becomes a layer as `Act<MyFn>`.
use crate::layer::{Layer, Module, Zeroable};
use crate::math;
use crate::shape::Shape;
use core::marker::PhantomData;
use typenum::Unsigned;

/// An elementwise function with its derivative. `Act<F>` is the layer of any shape.
pub trait Activation: Send + Sync + 'static {
    /// `y = f(x)`.
    fn f(x: f32) -> f32;
    /// `dy/dx`, from the input `x` and the output `y` (whichever is cheaper).
    fn df(x: f32, y: f32) -> f32;
}

/// The elementwise layer applying `F`, for every shape.
pub struct Act<F>(PhantomData<fn() -> F>);
impl<F> Default for Act<F> {
    fn default() -> Self {
        Act(PhantomData)
    }
}
impl<F> Clone for Act<F> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<F> Copy for Act<F> {}
impl<F> core::fmt::Debug for Act<F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(
            core::any::type_name::<F>()
                .rsplit("::")
                .next()
                .unwrap_or("Act"),
        )
    }
}
// SAFETY: marker type.
unsafe impl<F> Zeroable for Act<F> {}
// SAFETY: zero-sized.
unsafe impl<F> crate::layer::Pod for Act<F> {}
impl<F> Module for Act<F> {}

/// `max(0, x)` (`nn.ReLU`).
pub type ReLU = Act<fns::ReLU>;
/// `1 / (1 + e^−x)` (`nn.Sigmoid`).
pub type Sigmoid = Act<fns::Sigmoid>;
/// `tanh(x)` (`nn.Tanh`).
pub type Tanh = Act<fns::Tanh>;
/// `x` for `x > 0`, `(NUM/DEN)·x` otherwise (`nn.LeakyReLU`); the default slope is 0.01.
pub type LeakyReLU<NUM = typenum::U1, DEN = typenum::U100> = Act<fns::LeakyReLU<NUM, DEN>>;

/// The activation functions (marker types implementing [`Activation`]).
pub mod fns {
    use super::*;
    /// `max(0, x)`.
    pub struct ReLU;
    /// `1 / (1 + e^−x)`.
    pub struct Sigmoid;
    /// `tanh(x)`.
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
            *self
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
    impl<N: Unsigned + Send + Sync + 'static, D: Unsigned + Send + Sync + 'static> Activation
        for LeakyReLU<N, D>
    {
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
}

impl<S: Shape, A: Activation> Layer<S> for Act<A> {
    type Out = S;
    fn infer(&self, x: &[f32], y: &mut [f32], _scratch: &mut [f32]) {
        for (o, &v) in y[..S::NUMEL].iter_mut().zip(&x[..S::NUMEL]) {
            *o = A::f(v);
        }
    }
}

#[cfg(feature = "alloc")]
use crate::kernels::{par, simd};

#[cfg(feature = "alloc")]
impl<S: Shape, A: Activation> crate::layer::Train<S> for Act<A> {
    type Grad = ();
    type Cache = ();
    fn forward_train(&mut self, x: &crate::Batch<S>, y: &mut crate::Batch<S>, _c: &mut ()) {
        let n = x.len();
        y.resize(n);
        let x = x.as_slice();
        // elementwise: split only large batches; 8 floats wide where the CPU allows
        par::for_chunks_work(n, y.as_mut_slice(), S::NUMEL, 4 * S::NUMEL, |start, ys| {
            let xs = &x[start * S::NUMEL..][..ys.len()];
            simd(|| {
                for (o, &v) in ys.iter_mut().zip(xs) {
                    *o = A::f(v);
                }
            });
        });
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
        let n = x.len();
        dx.resize(n);
        let (x, y, dy) = (x.as_slice(), y.as_slice(), dy.as_slice());
        par::for_chunks_work(
            n,
            dx.as_mut_slice(),
            S::NUMEL,
            4 * S::NUMEL,
            |start, dxs| {
                let r = start * S::NUMEL..start * S::NUMEL + dxs.len();
                let (x, y, dy) = (&x[r.clone()], &y[r.clone()], &dy[r]);
                simd(|| {
                    let it = x.iter().zip(y).zip(dy);
                    for (o, ((&xv, &yv), &g)) in dxs.iter_mut().zip(it) {
                        *o = g * A::df(xv, yv);
                    }
                });
            },
        );
    }
    fn visit_with_grad(&mut self, _g: &(), _f: &mut dyn FnMut(&mut [f32], &[f32])) {}
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::testing::{check_layer_grads, fixture};
    use typenum::consts::*;

    #[test]
    fn values() {
        assert_eq!(fns::ReLU::f(-2.0), 0.0);
        assert_eq!(fns::ReLU::f(3.0), 3.0);
        assert!((fns::Sigmoid::f(0.0) - 0.5).abs() < 1e-7);
        assert!((fns::Tanh::f(1.0) - 0.761_594_2).abs() < 1e-6);
        assert!((<fns::LeakyReLU>::f(-2.0) + 0.02).abs() < 1e-7);
        assert!((<fns::LeakyReLU<U1, U5>>::f(-2.0) + 0.4).abs() < 1e-7);
    }

    #[test]
    fn gradients() {
        check_layer_grads::<crate::Shape3<U2, U3, U5>, _>(&mut Sigmoid::default(), 3, 1);
        check_layer_grads::<crate::Shape1<U7>, _>(&mut Tanh::default(), 2, 2);
        check_layer_grads::<crate::Shape3<U1, U4, U4>, _>(&mut ReLU::default(), 2, 3);
        check_layer_grads::<crate::Shape1<U9>, _>(&mut <LeakyReLU<U1, U10>>::default(), 4, 4);
    }

    #[test]
    fn match_pytorch() {
        for (name, y) in [
            ("sigmoid", fns::Sigmoid::f as fn(f32) -> f32),
            ("tanh", fns::Tanh::f),
            ("relu", fns::ReLU::f),
            ("leaky_relu", <fns::LeakyReLU>::f),
        ] {
            let fx = fixture(&format!("act_{name}"));
            let x = fx.get("x");
            let want = fx.get("y");
            for (i, (&xi, &wi)) in x.iter().zip(want).enumerate() {
                assert!(
                    (y(xi) - wi).abs() < 1e-6,
                    "{name}[{i}]: {} vs torch {}",
                    y(xi),
                    wi
                );
            }
        }
    }
}

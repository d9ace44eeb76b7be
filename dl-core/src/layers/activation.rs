//! Elementwise activations: one trait with the value and its derivative side by side, and one
//! generic `Layer`/`Train` impl, on [`Act<F>`], for every activation and every shape.
//!
//! `ReLU`, `Sigmoid`, `Tanh` and `LeakyReLU` are the layers (`Act<fns::…>`); a user-defined
//! [`Activation`] becomes a layer as `Act<MyFn>`.
use crate::check::SlopeDenominatorNonZero;
use crate::layer::{Layer, Module, Zeroable};
use crate::math;
use crate::shape::Shape;
use crate::shown::{IfZero, ZeroShown};
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

/// `max(0, x)` (`nn.ReLU`); NaN stays NaN, and its gradient passes where the input is not
/// `≤ 0` (at a NaN too), as in PyTorch.
pub type ReLU = Act<fns::ReLU>;
/// `min(max(0, x), 6)` (`nn.ReLU6`, MobileNet's); NaN stays NaN, and the gradient passes
/// only where the input is inside `(0, 6)` (not at a NaN), as PyTorch's vectorised
/// `hardtanh_backward`.
pub type ReLU6 = Act<fns::ReLU6>;
/// `1 / (1 + e^−x)` (`nn.Sigmoid`).
pub type Sigmoid = Act<fns::Sigmoid>;
/// `tanh(x)` (`nn.Tanh`).
pub type Tanh = Act<fns::Tanh>;
/// `x` for `x > 0`, `(NUM/DEN)·x` otherwise (`nn.LeakyReLU`); the default slope is 0.01.
///
/// Any finite slope, as in PyTorch: `NUM` is a typenum unsigned (`U1`) or signed integer (`N1`
/// for a negative slope, `LeakyReLU<N1, U10>` = −0.1); `DEN` ≥ 1 is checked
/// ([`crate::check::SlopeDenominatorNonZero`]), so the slope is never NaN or infinite.
pub type LeakyReLU<NUM = typenum::U1, DEN = typenum::U100> = Act<fns::LeakyReLU<NUM, DEN>>;

/// The activation functions (marker types implementing [`Activation`]).
pub mod fns {
    use super::*;
    /// `max(0, x)`.
    pub struct ReLU;
    /// `min(max(0, x), 6)`.
    pub struct ReLU6;
    /// `1 / (1 + e^−x)`.
    pub struct Sigmoid;
    /// `tanh(x)`.
    pub struct Tanh;
    /// `x` for `x > 0`, `(NUM/DEN)·x` otherwise; the default slope is PyTorch's 0.01. `NUM` is
    /// any [`SlopeNumerator`] (unsigned or signed), `DEN` a non-zero unsigned.
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
        /// `0` for `x ≤ 0`, else `x`: a NaN is not `≤ 0`, so it propagates (`f32::max` would
        /// return the 0 and hide it).
        #[inline]
        fn f(x: f32) -> f32 {
            if x <= 0.0 {
                0.0
            } else {
                x
            }
        }
        /// PyTorch's `threshold_backward(grad, y, 0)`: the gradient is dropped where `y ≤ 0`
        /// and passed everywhere else, a NaN output included.
        #[inline]
        fn df(_x: f32, y: f32) -> f32 {
            if y <= 0.0 {
                0.0
            } else {
                1.0
            }
        }
    }
    impl Activation for ReLU6 {
        /// `0` for `x ≤ 0`, `6` for `x ≥ 6`, else `x`: a NaN fails both tests and propagates.
        /// Written out rather than `clamp`, which would keep `-0.0` where this gives `+0.0`.
        #[inline]
        #[allow(clippy::manual_clamp)]
        fn f(x: f32) -> f32 {
            if x <= 0.0 {
                0.0
            } else if x >= 6.0 {
                6.0
            } else {
                x
            }
        }
        /// PyTorch's `hardtanh_backward(grad, x, 0, 6)`: the gradient passes where the input
        /// is inside `(0, 6)` and is dropped elsewhere, at a NaN too. (PyTorch 2.15 is not
        /// consistent at a NaN: its vector lanes drop the gradient, its scalar tail — the
        /// last `n mod 16` elements, or a tensor of fewer than 16 — passes it; this follows
        /// the lanes.) From the output alone (the fused path has only `y`): `0 < y < 6`
        /// exactly when `0 < x < 6`.
        #[inline]
        fn df(_x: f32, y: f32) -> f32 {
            if y > 0.0 && y < 6.0 {
                1.0
            } else {
                0.0
            }
        }
    }
    impl Activation for Sigmoid {
        #[inline]
        fn f(x: f32) -> f32 {
            math::sigmoid(x)
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
    impl<N: SlopeNumerator, D> Activation for LeakyReLU<N, D>
    where
        D: Unsigned + ZeroShown + Send + Sync + 'static,
        IfZero<D>: SlopeDenominatorNonZero,
    {
        #[inline]
        fn f(x: f32) -> f32 {
            if x > 0.0 {
                x
            } else {
                x * Self::SLOPE
            }
        }
        /// From the input `x` (a negative slope maps negative inputs to positive outputs).
        #[inline]
        fn df(x: f32, _y: f32) -> f32 {
            if x > 0.0 {
                1.0
            } else {
                Self::SLOPE
            }
        }
    }
    impl<N: SlopeNumerator, D: Unsigned> LeakyReLU<N, D> {
        /// The slope for `x ≤ 0`, `NUM/DEN`.
        pub const SLOPE: f32 = N::F32 / D::U32 as f32;
    }

    /// The numerator of a [`LeakyReLU`] slope: a typenum unsigned (`U0`, `U1`, …) or signed
    /// (`Z0`, `P1`, `N1`, …) integer.
    pub trait SlopeNumerator: Send + Sync + 'static {
        /// Its value as an `f32`.
        const F32: f32;
    }
    impl SlopeNumerator for typenum::UTerm {
        const F32: f32 = 0.0;
    }
    impl<U: Unsigned + Send + Sync + 'static, B: typenum::Bit + Send + Sync + 'static>
        SlopeNumerator for typenum::UInt<U, B>
    {
        const F32: f32 = <Self as Unsigned>::U32 as f32;
    }
    impl SlopeNumerator for typenum::Z0 {
        const F32: f32 = 0.0;
    }
    impl<U: Unsigned + typenum::NonZero + Send + Sync + 'static> SlopeNumerator for typenum::PInt<U> {
        const F32: f32 = U::U32 as f32;
    }
    impl<U: Unsigned + typenum::NonZero + Send + Sync + 'static> SlopeNumerator for typenum::NInt<U> {
        const F32: f32 = -(U::U32 as f32);
    }
}

impl<S: Shape, A: Activation> Layer<S> for Act<A> {
    type Out = S;
    /// `network!`'s elementwise pass ([`act_copy`](crate::fused::act_copy): eight floats a
    /// step under AVX2).
    fn infer(&self, x: &[f32], y: &mut [f32], _scratch: &mut [f32]) {
        crate::fused::act_copy::<A>(&x[..S::NUMEL], &mut y[..S::NUMEL]);
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
        dx.resize(x.len());
        let (x, y, dy) = (x.as_slice(), y.as_slice(), dy.as_slice());
        crate::fused::act_grad::<A>(x, y, dy, dx.as_mut_slice());
    }
    fn visit_with_grad(&mut self, _g: &(), _f: &mut dyn FnMut(&mut [f32], &[f32])) {}
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::testing::{check_layer_grads, check_layer_grads_with, fixture};
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

    /// PyTorch accepts any slope: negative (`nn.LeakyReLU(-0.2)`), 0 (ReLU) and above 1.
    #[test]
    fn any_finite_slope() {
        use typenum::{N1, N2, P3, Z0};
        type Neg = fns::LeakyReLU<N1, U5>;
        assert_eq!(Neg::SLOPE, -0.2);
        assert_eq!(Neg::f(-2.0), 0.4);
        assert_eq!(Neg::f(3.0), 3.0);
        assert_eq!(
            Neg::df(-2.0, 0.4),
            -0.2,
            "the derivative reads x, not the positive y"
        );
        assert_eq!(Neg::df(3.0, 3.0), 1.0);
        assert_eq!(<fns::LeakyReLU<N2, U1>>::f(-1.5), 3.0);
        assert_eq!(<fns::LeakyReLU<U0, U1>>::f(-1.5), 0.0);
        assert_eq!(<fns::LeakyReLU<Z0, U1>>::SLOPE, 0.0);
        assert_eq!(<fns::LeakyReLU<P3, U2>>::f(-2.0), -3.0);
        assert_eq!(<fns::LeakyReLU<U3, U2>>::f(-2.0), -3.0);
        assert_eq!(<fns::LeakyReLU>::SLOPE, 0.01);
        check_layer_grads::<crate::Shape1<U9>, _>(&mut <LeakyReLU<N1, U2>>::default(), 4, 5);
    }

    /// NaN and ±∞ go through every activation as through PyTorch's: `f(NaN)` is NaN, and
    /// ReLU's gradient at a NaN passes (PyTorch's `threshold_backward` drops it only where
    /// the output is `≤ 0`), in `Layer::infer`, the training forward and backward alike.
    #[test]
    fn nan_and_infinity_propagate() {
        use crate::layer::Train;
        use crate::Batch;
        let (nan, inf) = (f32::NAN, f32::INFINITY);
        let x = [nan, inf, -inf, -1.0, 2.0, 0.0];
        let same = |a: f32, b: f32| a == b || (a.is_nan() && b.is_nan());
        // y and dy/dx (for dy = 1) of each activation, element by element, from PyTorch's
        // definitions (checked against PyTorch itself by the `act_nonfinite_*` fixtures).
        let s = 0.01f32;
        let cases: [(&str, [f32; 6], [f32; 6]); 4] = [
            (
                "relu",
                [nan, inf, 0.0, 0.0, 2.0, 0.0],
                [1.0, 1.0, 0.0, 0.0, 1.0, 0.0],
            ),
            (
                "leaky_relu",
                [nan, inf, -inf, -s, 2.0, 0.0],
                [s, 1.0, s, s, 1.0, s],
            ),
            (
                "sigmoid",
                [nan, 1.0, 0.0, 0.268_941_43, 0.880_797, 0.5],
                [nan, 0.0, 0.0, 0.196_611_93, 0.104_993_59, 0.25],
            ),
            (
                "tanh",
                [nan, 1.0, -1.0, -0.761_594_2, 0.964_027_6, 0.0],
                [nan, 0.0, 0.0, 0.419_974_34, 0.070_650_82, 1.0],
            ),
        ];
        fn run<A: Activation>(x: &[f32; 6]) -> [[f32; 6]; 3] {
            let mut yi = [0.0; 6];
            <Act<A> as Layer<crate::Shape1<U6>>>::infer(&Act::default(), x, &mut yi, &mut []);
            let xb = Batch::<crate::Shape1<U6>>::from_vec(x.to_vec()).unwrap();
            let (mut y, mut dx) = (Batch::default(), Batch::default());
            let mut l = Act::<A>::default();
            l.forward_train(&xb, &mut y, &mut ());
            let dy = Batch::from_vec(vec![1.0; 6]).unwrap();
            l.backward(&xb, &y, &dy, &mut dx, &mut (), &mut ());
            let arr = |v: &[f32]| <[f32; 6]>::try_from(v).unwrap();
            [yi, arr(y.as_slice()), arr(dx.as_slice())]
        }
        for (name, want_y, want_d) in cases {
            let [yi, yt, d] = match name {
                "relu" => run::<fns::ReLU>(&x),
                "leaky_relu" => run::<fns::LeakyReLU>(&x),
                "sigmoid" => run::<fns::Sigmoid>(&x),
                _ => run::<fns::Tanh>(&x),
            };
            for i in 0..6 {
                let close = |a: f32, b: f32| same(a, b) || (a - b).abs() < 1e-6;
                assert!(
                    close(yi[i], want_y[i]),
                    "{name} infer f({}) = {}, want {}",
                    x[i],
                    yi[i],
                    want_y[i]
                );
                assert!(
                    close(yt[i], want_y[i]),
                    "{name} train f({}) = {}, want {}",
                    x[i],
                    yt[i],
                    want_y[i]
                );
                assert!(
                    close(d[i], want_d[i]),
                    "{name} f'({}) = {}, want {}",
                    x[i],
                    d[i],
                    want_d[i]
                );
            }
        }
        // the fused in-place backward (from the output alone) agrees on ReLU at NaN
        let mut d = [1.0f32; 3];
        crate::fused::act_backward::<fns::ReLU>(&[nan, 0.0, inf], &mut d);
        assert_eq!(d, [1.0, 0.0, 1.0]);
        let mut y = [nan, -3.0, inf];
        crate::fused::act::<fns::ReLU>(&mut y);
        assert!(y[0].is_nan() && y[1] == 0.0 && y[2] == inf);
    }

    /// PyTorch's values and gradients at NaN, ±∞, ±0 and tiny inputs, with a NaN gradient
    /// arriving at a NaN (`act_nonfinite_*`, `scripts/torch_fixtures_nonfinite.py`).
    #[test]
    fn match_pytorch_at_nan_and_infinity() {
        use crate::layer::Train;
        use crate::testing::assert_close_nonfinite;
        use crate::Batch;
        fn go<A: Activation>(name: &str) {
            let fx = fixture(&format!("act_nonfinite_{name}"));
            let x = Batch::<crate::Shape1<U12>>::from_vec(fx.get("x").to_vec()).unwrap();
            let dy = Batch::from_vec(fx.get("dy").to_vec()).unwrap();
            let (mut y, mut dx, mut l) = (Batch::default(), Batch::default(), Act::<A>::default());
            l.forward_train(&x, &mut y, &mut ());
            l.backward(&x, &y, &dy, &mut dx, &mut (), &mut ());
            assert_close_nonfinite(&format!("{name} y"), y.as_slice(), fx.get("y"), 1e-6);
            assert_close_nonfinite(&format!("{name} dx"), dx.as_slice(), fx.get("dx"), 1e-6);
            let mut yi = [0.0; 12];
            <Act<A> as Layer<crate::Shape1<U12>>>::infer(&l, x.as_slice(), &mut yi, &mut []);
            assert_close_nonfinite(&format!("{name} infer"), &yi, fx.get("y"), 1e-6);
        }
        go::<fns::ReLU>("relu");
        go::<fns::LeakyReLU>("leaky_relu");
        go::<fns::Sigmoid>("sigmoid");
        go::<fns::Tanh>("tanh");
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

    /// ReLU6 against PyTorch (`act_relu6`, `scripts/torch_fixtures_grouped.py`): random values,
    /// 0 and 6 and their neighbours, NaN and ±∞; the layer (infer, forward, backward) and the
    /// fused in-place paths `network!` uses (value in place, gradient from the output alone).
    #[test]
    fn relu6_matches_pytorch() {
        use crate::layer::Train;
        use crate::testing::assert_close_nonfinite;
        use crate::Batch;
        let fx = fixture("act_relu6");
        let (xs, want_y, want_dx) = (fx.get("x"), fx.get("y"), fx.get("dx"));
        let x = Batch::<crate::Shape1<U53>>::from_vec(xs.to_vec()).unwrap();
        let dy = Batch::from_vec(fx.get("dy").to_vec()).unwrap();
        let (mut y, mut dx, mut l) = (Batch::default(), Batch::default(), ReLU6::default());
        l.forward_train(&x, &mut y, &mut ());
        l.backward(&x, &y, &dy, &mut dx, &mut (), &mut ());
        assert_close_nonfinite("relu6 y", y.as_slice(), want_y, 0.0);
        assert_close_nonfinite("relu6 dx", dx.as_slice(), want_dx, 0.0);
        let mut yi = [0.0; 53];
        <ReLU6 as Layer<crate::Shape1<U53>>>::infer(&l, xs, &mut yi, &mut []);
        assert_close_nonfinite("relu6 infer", &yi, want_y, 0.0);
        // fused: in place, and the gradient from the output alone
        let mut yf = xs.to_vec();
        crate::fused::act::<fns::ReLU6>(&mut yf);
        assert_close_nonfinite("relu6 fused y", &yf, want_y, 0.0);
        let mut d = fx.get("dy").to_vec();
        crate::fused::act_backward::<fns::ReLU6>(&yf, &mut d);
        assert_close_nonfinite("relu6 fused dx", &d, want_dx, 0.0);
        // the boundary points themselves: value and a dropped gradient
        assert_eq!((fns::ReLU6::f(0.0), fns::ReLU6::f(6.0)), (0.0, 6.0));
        assert_eq!(fns::ReLU6::df(6.0, 6.0), 0.0);
        assert_eq!(fns::ReLU6::df(0.0, 0.0), 0.0);
        assert_eq!(fns::ReLU6::df(5.5, 5.5), 1.0);
    }

    #[test]
    fn relu6_gradients() {
        // inputs kept 0.01 away from the kinks at 0 and 6 (the difference step is 3e-3)
        check_layer_grads_with::<crate::Shape1<U40>, _>(&mut ReLU6::default(), 3, 5, |r| {
            let v = r.normal() * 4.0 + 2.0;
            if v.abs() < 0.01 || (v - 6.0).abs() < 0.01 {
                v + 0.05
            } else {
                v
            }
        });
    }
}

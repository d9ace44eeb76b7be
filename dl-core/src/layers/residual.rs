//! Residual add `y = F(x) + Sc(x)` (ResNet) and the [`Identity`] layer, its default shortcut.
//!
//! `Residual<F>` is the basic block's identity shortcut; `Residual<F, Conv2d<I, O, U1, U2>>` is
//! the projection shortcut (1×1 convolution, stride 2). Both branches read the same input and
//! must produce the same shape, which [`SameShape`] checks as a type-level bit.
use crate::check::ShapesMatch;
use crate::layer::{Layer, Module, Zeroable};
use crate::rng::Rng;
use crate::shape::{Shape, Shape1, Shape2, Shape3};
use crate::shown::{Show, ShowShape};
use core::ops::BitAnd;
use typenum::{And, Eq, IsEqual, B0};

/// `y = x`: the identity shortcut, also usable as a branch anywhere a layer fits.
#[derive(Clone, Copy, Debug, Default)]
pub struct Identity;
crate::__stateless_module!(Identity);

impl<S: Shape> Layer<S> for Identity {
    type Out = S;
    fn infer(&self, x: &[f32], y: &mut [f32], _scratch: &mut [f32]) {
        y[..S::NUMEL].copy_from_slice(&x[..S::NUMEL]);
    }
}

#[cfg(feature = "alloc")]
impl<S: Shape> crate::layer::Train<S> for Identity {
    type Grad = ();
    type Cache = ();
    fn forward_train(&mut self, x: &crate::Batch<S>, y: &mut crate::Batch<S>, _c: &mut ()) {
        y.resize(x.len());
        y.as_mut_slice().copy_from_slice(x.as_slice());
    }
    fn backward(
        &self,
        _x: &crate::Batch<S>,
        _y: &crate::Batch<S>,
        dy: &crate::Batch<S>,
        dx: &mut crate::Batch<S>,
        _c: &mut (),
        _g: &mut (),
    ) {
        dx.resize(dy.len());
        dx.as_mut_slice().copy_from_slice(dy.as_slice());
    }
    fn visit_with_grad(&mut self, _g: &(), _f: &mut dyn FnMut(&mut [f32], &[f32])) {}
}

/// Whether two shapes are equal, as a type-level bit: `B1` when both have the same rank and
/// every dimension is equal, `B0` otherwise (different ranks included).
pub trait SameShape<B> {
    /// `B1` or `B0`.
    type Output;
}
/// `B1` when shapes `A` and `B` are equal.
pub type ShapeEq<A, B> = <A as SameShape<B>>::Output;

impl<N1: IsEqual<N2>, N2> SameShape<Shape1<N2>> for Shape1<N1> {
    type Output = Eq<N1, N2>;
}
impl<R1, C1, R2, C2> SameShape<Shape2<R2, C2>> for Shape2<R1, C1>
where
    R1: IsEqual<R2>,
    C1: IsEqual<C2>,
    Eq<R1, R2>: BitAnd<Eq<C1, C2>>,
{
    type Output = And<Eq<R1, R2>, Eq<C1, C2>>;
}
impl<C1, H1, W1, C2, H2, W2> SameShape<Shape3<C2, H2, W2>> for Shape3<C1, H1, W1>
where
    C1: IsEqual<C2>,
    H1: IsEqual<H2>,
    W1: IsEqual<W2>,
    Eq<C1, C2>: BitAnd<Eq<H1, H2>>,
    And<Eq<C1, C2>, Eq<H1, H2>>: BitAnd<Eq<W1, W2>>,
{
    type Output = And<And<Eq<C1, C2>, Eq<H1, H2>>, Eq<W1, W2>>;
}
macro_rules! different_ranks {
    ($($a:ident<$($p:ident),*> vs $b:ident<$($q:ident),*>;)*) => {$(
        impl<$($p,)* $($q),*> SameShape<$b<$($q),*>> for $a<$($p),*> {
            type Output = B0;
        }
    )*};
}
different_ranks! {
    Shape1<A> vs Shape2<R, C>;
    Shape1<A> vs Shape3<C, H, W>;
    Shape2<R, C> vs Shape1<A>;
    Shape2<R, C> vs Shape3<D, H, W>;
    Shape3<C, H, W> vs Shape1<A>;
    Shape3<C, H, W> vs Shape2<R, D>;
}

/// `y = F(x) + Sc(x)`, both branches on the same input (`Sc` defaults to [`Identity`]).
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct Residual<F, Sc = Identity> {
    /// The residual branch `F` (usually a [`Seq`](struct@crate::Seq) chain).
    pub f: F,
    /// The shortcut.
    pub shortcut: Sc,
}

// SAFETY: a pair of zeroable values.
unsafe impl<F: Zeroable, Sc: Zeroable> Zeroable for Residual<F, Sc> {}
// SAFETY: `#[repr(C)]` pair of `Pod`s.
unsafe impl<F: crate::layer::Pod, Sc: crate::layer::Pod> crate::layer::Pod for Residual<F, Sc> {}

impl<F: Module, Sc: Module> Module for Residual<F, Sc> {
    const PARAMS: usize = F::PARAMS + Sc::PARAMS;
    fn init(&mut self, rng: &mut Rng) {
        self.f.init(rng);
        self.shortcut.init(rng);
    }
    fn visit(&self, f: &mut dyn FnMut(&[f32])) {
        self.f.visit(f);
        self.shortcut.visit(f);
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&mut [f32])) {
        self.f.visit_mut(f);
        self.shortcut.visit_mut(f);
    }
    fn visit_buffers(&self, f: &mut dyn FnMut(&[f32])) {
        self.f.visit_buffers(f);
        self.shortcut.visit_buffers(f);
    }
    fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(&mut [f32])) {
        self.f.visit_buffers_mut(f);
        self.shortcut.visit_buffers_mut(f);
    }
    fn visit_generators(&self, f: &mut dyn FnMut(&Rng)) {
        self.f.visit_generators(f);
        self.shortcut.visit_generators(f);
    }
    fn visit_generators_mut(&mut self, f: &mut dyn FnMut(&mut Rng)) {
        self.f.visit_generators_mut(f);
        self.shortcut.visit_generators_mut(f);
    }
}

impl<In: Shape, F: Layer<In>, Sc: Layer<In>> Layer<In> for Residual<F, Sc>
where
    F::Out: ShowShape,
    Sc::Out: ShowShape,
    Show<F::Out>: ShapesMatch<Show<Sc::Out>>,
{
    type Out = F::Out;
    /// `F` writes into `y` with its own scratch; then `Sc(x)` needs an output-sized buffer
    /// plus the shortcut's scratch.
    const SCRATCH: usize = {
        let sc = <F::Out as Shape>::NUMEL + Sc::SCRATCH;
        if F::SCRATCH > sc {
            F::SCRATCH
        } else {
            sc
        }
    };
    fn infer(&self, x: &[f32], y: &mut [f32], scratch: &mut [f32]) {
        let n = <F::Out as Shape>::NUMEL;
        self.f.infer(x, y, scratch);
        let (ys, rest) = scratch.split_at_mut(n);
        self.shortcut.infer(x, ys, rest);
        for (a, b) in y[..n].iter_mut().zip(ys.iter()) {
            *a += b;
        }
    }
}

/// The cache of a [`Residual`]: both branches' caches and outputs, the shortcut's copy of
/// `dy` and its `dx`. (`Sc::Out` is `F::Out` whenever the shapes match, but requiring that
/// type equality as a bound would add a second, unreadable error to the `ShapesMatch` one, so
/// the shortcut gets `dy` in its own type: one copy per backward.)
#[cfg(feature = "alloc")]
pub struct ResidualCache<In: Shape, OF: Shape, OS: Shape, CF, CS> {
    f: CF,
    s: CS,
    yf: crate::Batch<OF>,
    ys: crate::Batch<OS>,
    dys: crate::Batch<OS>,
    dxs: crate::Batch<In>,
}
#[cfg(feature = "alloc")]
impl<In: Shape, OF: Shape, OS: Shape, CF: Default, CS: Default> Default
    for ResidualCache<In, OF, OS, CF, CS>
{
    fn default() -> Self {
        use crate::Batch;
        ResidualCache {
            f: CF::default(),
            s: CS::default(),
            yf: Batch::default(),
            ys: Batch::default(),
            dys: Batch::default(),
            dxs: Batch::default(),
        }
    }
}

#[cfg(feature = "alloc")]
impl<In, F, Sc> crate::layer::Train<In> for Residual<F, Sc>
where
    In: Shape,
    F: crate::layer::Train<In>,
    Sc: crate::layer::Train<In>,
    Self: Layer<In, Out = F::Out>,
{
    type Grad = (F::Grad, Sc::Grad);
    type Cache = ResidualCache<In, F::Out, Sc::Out, F::Cache, Sc::Cache>;
    fn forward_train(
        &mut self,
        x: &crate::Batch<In>,
        y: &mut crate::Batch<F::Out>,
        c: &mut Self::Cache,
    ) {
        self.f.forward_train(x, &mut c.yf, &mut c.f);
        self.shortcut.forward_train(x, &mut c.ys, &mut c.s);
        y.resize(x.len());
        let sum = c.yf.as_slice().iter().zip(c.ys.as_slice());
        for (o, (a, b)) in y.as_mut_slice().iter_mut().zip(sum) {
            *o = a + b;
        }
    }
    /// Both branches; the block counts as one link of the chain around it.
    fn check_train_batch(&self, n: usize) -> Result<(), crate::guard::TrainBatchError> {
        let block = |mut e: crate::guard::TrainBatchError| {
            if let Some(crate::guard::At::Link(_)) = e.at {
                e.at = None;
            }
            e
        };
        self.f.check_train_batch(n).map_err(block)?;
        self.shortcut.check_train_batch(n).map_err(block)
    }
    /// `dx = F'ᵀ·dy + Sc'ᵀ·dy`; each branch adds its own parameter gradients.
    fn backward(
        &self,
        x: &crate::Batch<In>,
        _y: &crate::Batch<F::Out>,
        dy: &crate::Batch<F::Out>,
        dx: &mut crate::Batch<In>,
        c: &mut Self::Cache,
        g: &mut Self::Grad,
    ) {
        self.f.backward(x, &c.yf, dy, dx, &mut c.f, &mut g.0);
        c.dys.resize(dy.len());
        c.dys.as_mut_slice().copy_from_slice(dy.as_slice());
        self.shortcut
            .backward(x, &c.ys, &c.dys, &mut c.dxs, &mut c.s, &mut g.1);
        for (a, b) in dx.as_mut_slice().iter_mut().zip(c.dxs.as_slice()) {
            *a += b;
        }
    }
    fn visit_with_grad(&mut self, g: &Self::Grad, f: &mut dyn FnMut(&mut [f32], &[f32])) {
        self.f.visit_with_grad(&g.0, f);
        self.shortcut.visit_with_grad(&g.1, f);
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::layer::{new_boxed, Train};
    use crate::layers::{Conv2d, Linear, ReLU, Tanh};
    use crate::testing::{assert_close, check_layer_grads, fixture, load_params, run_train};
    use crate::Seq;
    use typenum::consts::*;

    type Basic<C> = Residual<Seq![Conv2d<C, C, U3, U1, U1>, Tanh, Conv2d<C, C, U3, U1, U1>]>;
    type Projection<I, O> = Residual<
        Seq![Conv2d<I, O, U3, U2, U1>, Tanh, Conv2d<O, O, U3, U1, U1>],
        Conv2d<I, O, U1, U2>,
    >;

    #[test]
    fn gradients_on_several_shapes() {
        // identity shortcut, odd sizes, padding
        check_layer_grads::<Shape3<U2, U5, U7>, _>(&mut *new_boxed::<Basic<U2>>(1), 2, 1);
        // projection shortcut: 1×1 convolution with stride 2, odd input
        check_layer_grads::<Shape3<U3, U7, U6>, _>(&mut *new_boxed::<Projection<U3, U4>>(2), 3, 2);
        // dilation 2, padding 2 (keeps the size)
        check_layer_grads::<Shape3<U2, U9, U8>, _>(
            &mut *new_boxed::<Residual<Conv2d<U2, U2, U3, U1, U2, U2>>>(3),
            2,
            3,
        );
        // a residual MLP block
        check_layer_grads::<Shape1<U5>, _>(
            &mut *new_boxed::<Residual<Seq![Linear<U5, U5>, Tanh]>>(4),
            4,
            4,
        );
    }

    #[test]
    fn output_shapes() {
        fn out<In: Shape, O: Shape, L: Layer<In, Out = O>>(_: &L) {}
        out::<Shape3<U3, U7, U6>, Shape3<U4, U4, U3>, _>(&*new_boxed::<Projection<U3, U4>>(0));
        out::<Shape3<U2, U5, U7>, Shape3<U2, U5, U7>, _>(&*new_boxed::<Basic<U2>>(0));
        fn same<A: SameShape<B, Output = T>, B, T>() {}
        same::<Shape3<U1, U2, U3>, Shape3<U1, U2, U3>, typenum::B1>();
        same::<Shape3<U1, U2, U3>, Shape3<U1, U3, U3>, B0>();
        same::<Shape1<U6>, Shape3<U1, U2, U3>, B0>();
        same::<Shape2<U2, U3>, Shape2<U2, U3>, typenum::B1>();
    }

    #[test]
    fn infer_uses_exactly_its_scratch_and_matches_training_forward() {
        type L = Projection<U3, U4>;
        let l = new_boxed::<L>(5);
        let s = <L as Layer<Shape3<U3, U7, U6>>>::SCRATCH;
        // F = 48 (mid) + max(conv1, 48 (mid) + conv2); Sc = 48 (its output) + its conv.
        let c1 = <Conv2d<U3, U4, U3, U2, U1> as Layer<Shape3<U3, U7, U6>>>::SCRATCH;
        let c2 = <Conv2d<U4, U4, U3, U1, U1> as Layer<Shape3<U4, U4, U3>>>::SCRATCH;
        let sc = <Conv2d<U3, U4, U1, U2> as Layer<Shape3<U3, U7, U6>>>::SCRATCH;
        assert_eq!(s, (48 + c1.max(48 + c2)).max(48 + sc));
        let x = crate::Batch::<Shape3<U3, U7, U6>>::from_fn(2, |i| (i as f32 * 0.37).sin());
        let want = Layer::<Shape3<U3, U7, U6>>::forward(&*l, &x);
        let mut y = vec![0.0; 48];
        let mut scratch = vec![f32::NAN; s];
        Layer::<Shape3<U3, U7, U6>>::infer(&*l, x.sample(1), &mut y, &mut scratch);
        assert_close("infer", &y, want.sample(1), 1e-6);
        // F = 70 + max(conv, 70 + conv) ≥ Sc = 70 (its output, identity needs no scratch).
        let c = <Conv2d<U2, U2, U3, U1, U1> as Layer<Shape3<U2, U5, U7>>>::SCRATCH;
        assert_eq!(<Basic<U2> as Layer<Shape3<U2, U5, U7>>>::SCRATCH, 140 + c);
    }

    #[test]
    fn matches_pytorch() {
        let conv = ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias"];
        macro_rules! go {
            ($name:literal, $in:ty, $l:ty, $names:expr) => {{
                let fx = fixture($name);
                let mut l = new_boxed::<$l>(0);
                load_params(&mut *l, &fx, $names);
                let (y, dx, g) = run_train::<$in, _>(&mut *l, fx.get("x"), fx.get("dy"));
                assert_close(concat!($name, " y"), &y, fx.get("y"), 1e-4);
                assert_close(concat!($name, " dx"), &dx, fx.get("dx"), 1e-4);
                let mut t = 0;
                Train::<$in>::visit_with_grad(&mut *l, &g, &mut |_, gr| {
                    assert_close(
                        &format!("{} d{}", $name, $names[t]),
                        gr,
                        fx.get(&format!("d{}", $names[t])),
                        1e-4,
                    );
                    t += 1;
                });
                assert_eq!(t, $names.len());
            }};
        }
        type Block = Residual<Seq![Conv2d<U3, U3, U3, U1, U1>, ReLU, Conv2d<U3, U3, U3, U1, U1>]>;
        go!("residual_basic", Shape3<U3, U5, U6>, Block, &conv);
        type Proj = Residual<
            Seq![Conv2d<U3, U4, U3, U2, U1>, ReLU, Conv2d<U4, U4, U3, U1, U1>],
            Conv2d<U3, U4, U1, U2>,
        >;
        go!("residual_projection", Shape3<U3, U7, U6>, Proj, &[conv[0], conv[1], conv[2], conv[3], "shortcut.weight", "shortcut.bias"]);
    }
}

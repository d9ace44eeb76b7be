//! Channel concat (Inception, `torch.cat(dim=1)`): both branches read the same input and their
//! `[C1, H, W]` and `[C2, H, W]` outputs are joined into `[C1 + C2, H, W]`. Nest it for more
//! branches: `Concat<A, Concat<B, Concat<C, D>>>` is Inception's four-way block.
use crate::check::SpatialMatch;
use crate::layer::{Layer, Module, Zeroable};
use crate::rng::Rng;
use crate::shape::{ConcatChannels, Shape, Shape1, Shape3};
use crate::shown::{Show, ShowShape};
use crate::shown::{ShownBit, Verdict};
use core::ops::{Add, BitAnd};
use typenum::{And, Eq, IsEqual, B1};

/// The shape of two shapes joined along channels (features for vectors), with `Fits = B1`
/// when the other dimensions agree.
pub trait ConcatShape<B> {
    /// The joined shape.
    type Output: Shape;
    /// `B1` when the spatial sizes are equal.
    type Fits;
}
/// `A` and `B` joined along the channel axis.
pub type Concatenated<A, B> = <A as ConcatShape<B>>::Output;

impl<C1, H1, W1, C2, H2, W2> ConcatShape<Shape3<C2, H2, W2>> for Shape3<C1, H1, W1>
where
    C1: Add<C2>,
    H1: IsEqual<H2>,
    W1: IsEqual<W2>,
    Eq<H1, H2>: BitAnd<Eq<W1, W2>>,
    Shape3<ConcatChannels<C1, C2>, H1, W1>: Shape,
{
    type Output = Shape3<ConcatChannels<C1, C2>, H1, W1>;
    type Fits = And<Eq<H1, H2>, Eq<W1, W2>>;
}
impl<N1: Add<N2>, N2> ConcatShape<Shape1<N2>> for Shape1<N1>
where
    Shape1<ConcatChannels<N1, N2>>: Shape,
{
    type Output = Shape1<ConcatChannels<N1, N2>>;
    type Fits = B1;
}

/// `y = [A(x); B(x)]` along channels.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct Concat<A, B>(pub A, pub B);

// SAFETY: a pair of zeroable values.
unsafe impl<A: Zeroable, B: Zeroable> Zeroable for Concat<A, B> {}
// SAFETY: `#[repr(C)]` pair of `Pod`s (sizes multiples of 4, alignment ≤ 4: no padding).
unsafe impl<A: crate::layer::Pod, B: crate::layer::Pod> crate::layer::Pod for Concat<A, B> {}

crate::layer::module_pair!(Concat<A, B>);

impl<In: Shape, A: Layer<In>, B: Layer<In>> Layer<In> for Concat<A, B>
where
    A::Out: ConcatShape<B::Out>,
    A::Out: ShowShape,
    B::Out: ShowShape,
    <A::Out as ConcatShape<B::Out>>::Fits: ShownBit,
    Verdict<<A::Out as ConcatShape<B::Out>>::Fits>: SpatialMatch<Show<A::Out>, Show<B::Out>>,
{
    type Out = Concatenated<A::Out, B::Out>;
    /// Channels are outermost in a sample, so each branch writes straight into its slice of `y`.
    const SCRATCH: usize = if A::SCRATCH > B::SCRATCH {
        A::SCRATCH
    } else {
        B::SCRATCH
    };
    fn infer(&self, x: &[f32], y: &mut [f32], scratch: &mut [f32]) {
        let (ya, yb) = y.split_at_mut(<A::Out as Shape>::NUMEL);
        self.0.infer(x, ya, scratch);
        self.1.infer(x, yb, scratch);
    }
}

/// The cache of a [`Concat`]: both caches, both outputs and their gradients, and `B`'s `dx`.
#[cfg(feature = "alloc")]
pub struct ConcatCache<In: Shape, OA: Shape, OB: Shape, CA, CB> {
    a: CA,
    b: CB,
    ya: crate::Batch<OA>,
    yb: crate::Batch<OB>,
    dya: crate::Batch<OA>,
    dyb: crate::Batch<OB>,
    dxb: crate::Batch<In>,
}
#[cfg(feature = "alloc")]
impl<In: Shape, OA: Shape, OB: Shape, CA: Default, CB: Default> Default
    for ConcatCache<In, OA, OB, CA, CB>
{
    fn default() -> Self {
        use crate::Batch;
        ConcatCache {
            a: CA::default(),
            b: CB::default(),
            ya: Batch::default(),
            yb: Batch::default(),
            dya: Batch::default(),
            dyb: Batch::default(),
            dxb: Batch::default(),
        }
    }
}

#[cfg(feature = "alloc")]
impl<In, A, B> crate::layer::Train<In> for Concat<A, B>
where
    In: Shape,
    A: crate::layer::Train<In>,
    B: crate::layer::Train<In>,
    Self: Layer<In>,
{
    type Grad = (A::Grad, B::Grad);
    type Cache = ConcatCache<In, A::Out, B::Out, A::Cache, B::Cache>;
    fn forward_train(
        &mut self,
        x: &crate::Batch<In>,
        y: &mut crate::Batch<Self::Out>,
        c: &mut Self::Cache,
    ) {
        self.0.forward_train(x, &mut c.ya, &mut c.a);
        self.1.forward_train(x, &mut c.yb, &mut c.b);
        y.resize(x.len());
        let (na, nb) = (<A::Out as Shape>::NUMEL, <B::Out as Shape>::NUMEL);
        let parts =
            c.ya.as_slice()
                .chunks_exact(na)
                .zip(c.yb.as_slice().chunks_exact(nb));
        for (yi, (a, b)) in y.as_mut_slice().chunks_exact_mut(na + nb).zip(parts) {
            yi[..na].copy_from_slice(a);
            yi[na..].copy_from_slice(b);
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
        self.0.check_train_batch(n).map_err(block)?;
        self.1.check_train_batch(n).map_err(block)
    }
    /// `dy` splits along channels; `dx` is the sum of both branches' input gradients.
    fn backward(
        &self,
        x: &crate::Batch<In>,
        _y: &crate::Batch<Self::Out>,
        dy: &crate::Batch<Self::Out>,
        dx: &mut crate::Batch<In>,
        c: &mut Self::Cache,
        g: &mut Self::Grad,
    ) {
        let n = x.len();
        let (na, nb) = (<A::Out as Shape>::NUMEL, <B::Out as Shape>::NUMEL);
        c.dya.resize(n);
        c.dyb.resize(n);
        let parts = c
            .dya
            .as_mut_slice()
            .chunks_exact_mut(na)
            .zip(c.dyb.as_mut_slice().chunks_exact_mut(nb));
        for (di, (a, b)) in dy.as_slice().chunks_exact(na + nb).zip(parts) {
            a.copy_from_slice(&di[..na]);
            b.copy_from_slice(&di[na..]);
        }
        self.0.backward(x, &c.ya, &c.dya, dx, &mut c.a, &mut g.0);
        self.1
            .backward(x, &c.yb, &c.dyb, &mut c.dxb, &mut c.b, &mut g.1);
        for (a, b) in dx.as_mut_slice().iter_mut().zip(c.dxb.as_slice()) {
            *a += b;
        }
    }
    fn visit_with_grad(&mut self, g: &Self::Grad, f: &mut dyn FnMut(&mut [f32], &[f32])) {
        self.0.visit_with_grad(&g.0, f);
        self.1.visit_with_grad(&g.1, f);
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::layer::{new_boxed, Train};
    use crate::layers::{Conv2d, Identity, Linear, Tanh};
    use crate::testing::{assert_close, check_layer_grads, fixture, load_params, run_train};
    use crate::Seq;
    use typenum::consts::*;

    /// Inception-like, four branches on `[3, H, W]`: 1×1 → 2; 1×1 → 3×3 → 3; 1×1 → 5×5 → 2;
    /// and the input itself (3): 10 channels.
    type Inception = Concat<
        Conv2d<U3, U2, U1>,
        Concat<
            Seq![Conv2d<U3, U2, U1>, Tanh, Conv2d<U2, U3, U3, U1, U1>],
            Concat<Seq![Conv2d<U3, U1, U1>, Tanh, Conv2d<U1, U2, U5, U1, U2>], Identity>,
        >,
    >;

    #[test]
    fn gradients_on_several_shapes() {
        // two convolutions, odd sizes, padding
        check_layer_grads::<Shape3<U3, U5, U7>, _>(
            &mut *new_boxed::<Concat<Conv2d<U3, U2, U3, U1, U1>, Conv2d<U3, U4, U1>>>(1),
            2,
            1,
        );
        // stride 2 in both branches
        check_layer_grads::<Shape3<U2, U7, U6>, _>(
            &mut *new_boxed::<Concat<Conv2d<U2, U3, U3, U2, U1>, Conv2d<U2, U1, U1, U2>>>(2),
            3,
            2,
        );
        // three-way, dilation 2
        type Three = Concat<Conv2d<U2, U1, U3, U1, U2, U2>, Concat<Conv2d<U2, U2, U1>, Identity>>;
        check_layer_grads::<Shape3<U2, U6, U5>, _>(&mut *new_boxed::<Three>(3), 2, 3);
        // four-way Inception block
        check_layer_grads::<Shape3<U3, U5, U6>, _>(&mut *new_boxed::<Inception>(4), 2, 4);
        // feature vectors
        check_layer_grads::<Shape1<U4>, _>(
            &mut *new_boxed::<Concat<Linear<U4, U3>, Seq![Linear<U4, U2>, Tanh]>>(5),
            3,
            5,
        );
    }

    #[test]
    fn output_shapes() {
        fn out<In: Shape, O: Shape, L: Layer<In, Out = O>>(_: &L) {}
        out::<Shape3<U3, U5, U6>, Shape3<U10, U5, U6>, _>(&*new_boxed::<Inception>(0));
        out::<Shape3<U2, U7, U6>, Shape3<U4, U4, U3>, _>(&*new_boxed::<
            Concat<Conv2d<U2, U3, U3, U2, U1>, Conv2d<U2, U1, U1, U2>>,
        >(0));
        out::<Shape1<U4>, Shape1<U5>, _>(&*new_boxed::<Concat<Linear<U4, U3>, Linear<U4, U2>>>(0));
    }

    #[test]
    fn infer_matches_training_forward() {
        let l = new_boxed::<Inception>(6);
        // The widest branch: a Concat needs its widest branch's scratch, a Seq its middle
        // activation plus the larger of its parts'.
        type In = Shape3<U3, U5, U6>;
        let one = <Conv2d<U3, U2, U1> as Layer<In>>::SCRATCH;
        let three =
            60 + one.max(60 + <Conv2d<U2, U3, U3, U1, U1> as Layer<Shape3<U2, U5, U6>>>::SCRATCH);
        let one1 = <Conv2d<U3, U1, U1> as Layer<In>>::SCRATCH;
        let five =
            30 + one1.max(30 + <Conv2d<U1, U2, U5, U1, U2> as Layer<Shape3<U1, U5, U6>>>::SCRATCH);
        let s = <Inception as Layer<In>>::SCRATCH;
        assert_eq!(s, one.max(three).max(five));
        let x = crate::Batch::<Shape3<U3, U5, U6>>::from_fn(2, |i| (i as f32 * 0.61).cos());
        let want = Layer::<Shape3<U3, U5, U6>>::forward(&*l, &x);
        let mut y = vec![0.0; 300];
        Layer::<Shape3<U3, U5, U6>>::infer(&*l, x.sample(1), &mut y, &mut vec![f32::NAN; s]);
        assert_close("infer", &y, want.sample(1), 1e-6);
        // The identity branch copies the input into the last three channels.
        assert_close("identity branch", &y[210..], x.sample(1), 0.0);
    }

    #[test]
    fn matches_pytorch() {
        let fx = fixture("concat_two_convs");
        type L = Concat<Conv2d<U3, U2, U3, U1, U1>, Conv2d<U3, U4, U1>>;
        let names = ["a.weight", "a.bias", "b.weight", "b.bias"];
        let mut l = new_boxed::<L>(0);
        load_params(&mut *l, &fx, &names);
        let (y, dx, g) = run_train::<Shape3<U3, U5, U7>, _>(&mut *l, fx.get("x"), fx.get("dy"));
        assert_close("concat y", &y, fx.get("y"), 1e-4);
        assert_close("concat dx", &dx, fx.get("dx"), 1e-4);
        let mut t = 0;
        Train::<Shape3<U3, U5, U7>>::visit_with_grad(&mut *l, &g, &mut |_, gr| {
            assert_close(
                &format!("concat d{}", names[t]),
                gr,
                fx.get(&format!("d{}", names[t])),
                1e-4,
            );
            t += 1;
        });
        assert_eq!(t, 4);
    }
}

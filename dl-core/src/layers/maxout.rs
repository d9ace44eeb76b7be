//! Maxout (Goodfellow et al., 2013): groups of `K` consecutive features, each replaced by its
//! maximum. PyTorch has no Maxout layer; the reference is `x.view(B, N/K, K, …).max(2)`.
use crate::check::{PiecesDivideChannels, PiecesNonZero};
use crate::layer::Layer;
use crate::shape::{AtLeast1, Shape, Shape1, Shape3};
use crate::shown::{Dec, Decimal, IfZero, Show, ShowShape, ZeroShown};
use crate::shown::{ShownBit, Verdict};
use core::marker::PhantomData;
use core::ops::{Div, Rem};
use typenum::{Eq, IsEqual, Max, Mod, Quot, Unsigned, U0, U1};

/// `Maxout<K>`: `[N] → [N/K]`, each output the max of `K` consecutive features; on a feature
/// map `[C, H, W] → [C/K, H, W]`, grouping `K` consecutive channels pixel by pixel.
/// `K` must divide `N` (or `C`).
pub struct Maxout<K>(PhantomData<fn() -> K>);

impl<K> Default for Maxout<K> {
    fn default() -> Self {
        Maxout(PhantomData)
    }
}
impl<K> Clone for Maxout<K> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K> Copy for Maxout<K> {}
crate::__stateless_module!(Maxout<K>, K);

/// A shape Maxout can group along its first axis (the features of `[N]`, the channels of
/// `[C, H, W]`), carrying the `/K` formula and its validity once.
pub trait MaxoutShape<K>: Shape {
    /// The shape with the grouped axis divided by `K`.
    type Out: Shape;
    /// `B1` when `K` divides the grouped axis.
    type Divides;
    /// Elements per entry of the grouped axis: 1 for `[N]`, `H·W` for `[C, H, W]`.
    const INNER: usize;
}
impl<N, K> MaxoutShape<K> for Shape1<N>
where
    Shape1<N>: Shape,
    K: Max<U1>,
    N: Div<AtLeast1<K>> + Rem<AtLeast1<K>>,
    Mod<N, AtLeast1<K>>: IsEqual<U0>,
    Shape1<Quot<N, AtLeast1<K>>>: Shape,
{
    type Out = Shape1<Quot<N, AtLeast1<K>>>;
    type Divides = Eq<Mod<N, AtLeast1<K>>, U0>;
    const INNER: usize = 1;
}
impl<C, H, W, K> MaxoutShape<K> for Shape3<C, H, W>
where
    Shape3<C, H, W>: Shape,
    K: Max<U1>,
    C: Div<AtLeast1<K>> + Rem<AtLeast1<K>>,
    Mod<C, AtLeast1<K>>: IsEqual<U0>,
    Shape3<Quot<C, AtLeast1<K>>, H, W>: Shape,
{
    type Out = Shape3<Quot<C, AtLeast1<K>>, H, W>;
    type Divides = Eq<Mod<C, AtLeast1<K>>, U0>;
    const INNER: usize = <Self as Shape>::DIMS[1] * <Self as Shape>::DIMS[2];
}

/// One sample viewed as `[G, K, M] → [G, M]`: the max over `K`. When `arg` is not empty it
/// receives the winning piece (`0..K`) of each output; ties go to the first, NaN wins.
fn maxout(k: usize, m: usize, x: &[f32], y: &mut [f32], arg: &mut [u32]) {
    let track = !arg.is_empty();
    for (g, (yg, xg)) in y.chunks_exact_mut(m).zip(x.chunks_exact(k * m)).enumerate() {
        yg.copy_from_slice(&xg[..m]);
        if track {
            arg[g * m..(g + 1) * m].fill(0);
        }
        for (j, xj) in xg.chunks_exact(m).enumerate().skip(1) {
            for (t, (yv, &v)) in yg.iter_mut().zip(xj).enumerate() {
                if v > *yv || v.is_nan() {
                    *yv = v;
                    if track {
                        arg[g * m + t] = j as u32;
                    }
                }
            }
        }
    }
}

impl<In, K> Layer<In> for Maxout<K>
where
    In: MaxoutShape<K>,
    In: ShowShape,
    In::Divides: ShownBit,
    Verdict<In::Divides>: PiecesDivideChannels<Show<In>, Dec<K>>,
    K: Unsigned + Decimal,
    K: ZeroShown,
    IfZero<K>: PiecesNonZero,
{
    type Out = <In as MaxoutShape<K>>::Out;
    fn infer(&self, x: &[f32], y: &mut [f32], _scratch: &mut [f32]) {
        maxout(
            K::USIZE,
            In::INNER,
            &x[..In::NUMEL],
            &mut y[..<<In as MaxoutShape<K>>::Out as Shape>::NUMEL],
            &mut [],
        );
    }
}

/// The winning piece of each output of the last `forward_train`.
#[cfg(feature = "alloc")]
#[derive(Default)]
pub struct MaxoutCache {
    argmax: alloc::vec::Vec<u32>,
}

#[cfg(feature = "alloc")]
impl<In, K> crate::layer::Train<In> for Maxout<K>
where
    Self: Layer<In, Out = In::Out>,
    In: MaxoutShape<K>,
    K: Unsigned,
{
    type Grad = ();
    type Cache = MaxoutCache;
    fn forward_train(
        &mut self,
        x: &crate::Batch<In>,
        y: &mut crate::Batch<In::Out>,
        c: &mut MaxoutCache,
    ) {
        let yn = <In::Out as Shape>::NUMEL;
        y.resize(x.len());
        c.argmax.resize(x.len() * yn, 0);
        let ys = y
            .as_mut_slice()
            .chunks_exact_mut(yn)
            .zip(c.argmax.chunks_exact_mut(yn));
        for (i, (yi, ai)) in ys.enumerate() {
            maxout(K::USIZE, In::INNER, x.sample(i), yi, ai);
        }
    }
    /// `dy` goes to the winning piece of each group; the other pieces get 0.
    fn backward(
        &self,
        x: &crate::Batch<In>,
        _y: &crate::Batch<In::Out>,
        dy: &crate::Batch<In::Out>,
        dx: &mut crate::Batch<In>,
        c: &mut MaxoutCache,
        _g: &mut (),
    ) {
        let (k, m) = (K::USIZE, In::INNER);
        if c.argmax.len() != dy.as_slice().len() {
            // Not the cache of a forward_train on this batch: recompute the argmax from x.
            crate::layer::Train::forward_train(
                &mut Self::default(),
                x,
                &mut crate::Batch::default(),
                c,
            );
        }
        dx.resize(x.len());
        let groups = dy.as_slice().chunks_exact(m).zip(c.argmax.chunks_exact(m));
        for (dxg, (dyg, ag)) in dx.as_mut_slice().chunks_exact_mut(k * m).zip(groups) {
            for (j, dxj) in dxg.chunks_exact_mut(m).enumerate() {
                for ((d, &g), &a) in dxj.iter_mut().zip(dyg).zip(ag) {
                    *d = if a == j as u32 { g } else { 0.0 };
                }
            }
        }
    }
    fn visit_with_grad(&mut self, _g: &(), _f: &mut dyn FnMut(&mut [f32], &[f32])) {}
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::testing::{assert_close, check_layer_grads_with, fixture, run_train};
    use typenum::consts::*;

    /// N(0, 10²): random normal, spread so that no two pieces of a group lie within the
    /// finite-difference step (±3e-3) of each other, where the max has a kink.
    fn spread(r: &mut crate::rng::Rng) -> f32 {
        10.0 * r.normal()
    }

    #[test]
    fn gradients_on_several_shapes() {
        check_layer_grads_with::<Shape1<U12>, _>(&mut Maxout::<U3>::default(), 3, 1, spread);
        check_layer_grads_with::<Shape1<U7>, _>(&mut Maxout::<U7>::default(), 4, 2, spread);
        check_layer_grads_with::<Shape3<U6, U3, U5>, _>(&mut Maxout::<U2>::default(), 2, 3, spread);
        check_layer_grads_with::<Shape3<U9, U1, U3>, _>(&mut Maxout::<U3>::default(), 3, 4, spread);
    }

    #[test]
    fn output_shapes() {
        fn out<In: Shape, O, L: Layer<In, Out = O>>(_: &L) {}
        out::<Shape1<U12>, Shape1<U4>, _>(&Maxout::<U3>::default());
        out::<Shape1<U5>, Shape1<U5>, _>(&Maxout::<U1>::default());
        out::<Shape3<U96, U7, U5>, Shape3<U48, U7, U5>, _>(&Maxout::<U2>::default());
    }

    #[test]
    fn groups_consecutive_features_and_channels() {
        let mut y = [0.0f32; 2];
        Layer::<Shape1<U6>>::infer(
            &Maxout::<U3>::default(),
            &[1.0, 5.0, 2.0, -1.0, -3.0, -2.0],
            &mut y,
            &mut [],
        );
        assert_eq!(y, [5.0, -1.0]);
        // [4, 1, 2] with K = 2: channels {0, 1} and {2, 3}, pixel by pixel.
        let x = [1.0, 9.0, 8.0, 2.0, 3.0, 3.5, 7.0, -1.0];
        let mut y = [0.0f32; 4];
        Layer::<Shape3<U4, U1, U2>>::infer(&Maxout::<U2>::default(), &x, &mut y, &mut []);
        assert_eq!(y, [8.0, 9.0, 7.0, 3.5]);
    }

    #[test]
    fn backward_without_its_forward_recomputes_the_argmax() {
        use crate::layer::Train;
        let x = crate::Batch::<Shape3<U6, U2, U3>>::from_fn(2, |i| ((i * 37) % 29) as f32);
        let dy = crate::Batch::from_fn(2, |i| i as f32 * 0.5 - 3.0);
        let mut l = Maxout::<U3>::default();
        let (_, want, _) = run_train::<Shape3<U6, U2, U3>, _>(&mut l, x.as_slice(), dy.as_slice());
        let (y, mut dx, mut cache) = (
            crate::Batch::default(),
            crate::Batch::default(),
            Default::default(),
        );
        l.backward(&x, &y, &dy, &mut dx, &mut cache, &mut ());
        assert_eq!(dx.as_slice(), &want[..]);
    }

    #[test]
    fn matches_pytorch() {
        for (name, case) in [("maxout_1d", 0), ("maxout_3d", 1)] {
            let fx = fixture(name);
            macro_rules! go {
                ($in:ty, $k:ty) => {{
                    let (y, dx, _) = run_train::<$in, _>(
                        &mut Maxout::<$k>::default(),
                        fx.get("x"),
                        fx.get("dy"),
                    );
                    assert_close(&format!("{name} y"), &y, fx.get("y"), 1e-5);
                    assert_close(&format!("{name} dx"), &dx, fx.get("dx"), 1e-5);
                }};
            }
            match case {
                0 => go!(Shape1<U12>, U3),
                _ => go!(Shape3<U6, U3, U5>, U3),
            }
        }
    }
}

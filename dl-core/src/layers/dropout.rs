//! Inverted dropout (`nn.Dropout(p)` with `p = NUM/DEN`): in training each unit is zeroed with
//! probability `p` and the kept ones are scaled by `1/(1−p)`; in eval ([`Layer::infer`]) it is
//! the identity. Masks come from the layer's own seeded generator, so a seed fixes them.
use crate::check::DropoutBelowOne;
use crate::layer::{Layer, Module, Zeroable};
use crate::rng::Rng;
use crate::shape::Shape;
use crate::shown::{ShownBit, Verdict};
use core::marker::PhantomData;
use typenum::{IsLess, Le, Unsigned};

/// `Dropout<NUM = 1, DEN = 2>`: drops each unit with probability `NUM/DEN` (PyTorch's default
/// `p = 0.5`). `NUM/DEN ≥ 1` does not compile:
///
/// ```compile_fail,E0277
/// use dl_core::{consts::*, Batch, Dropout, Layer, Shape1};
/// let x = Batch::<Shape1<U4>>::zeros(1);
/// // error: dropout probability NUM/DEN is not below 1: every unit would be dropped
/// let y = Dropout::<U1, U1>::default().forward(&x);
/// ```
#[repr(C)]
pub struct Dropout<NUM = typenum::U1, DEN = typenum::U2> {
    rng: Rng,
    _p: PhantomData<fn() -> (NUM, DEN)>,
}
// SAFETY: the generator is four u32s (the all-zero state is detected before use) and a marker.
unsafe impl<NUM, DEN> Zeroable for Dropout<NUM, DEN> {}
// SAFETY: `#[repr(C)]`, the generator (`#[repr(C)]`, four u32s) and a marker; any state is
// valid (an all-zero one is detected before use).
unsafe impl<NUM, DEN> crate::layer::Pod for Dropout<NUM, DEN> {}

impl<NUM, DEN> Dropout<NUM, DEN> {
    /// A dropout layer whose masks come from `seed`.
    pub fn new(seed: u64) -> Self {
        Dropout {
            rng: Rng::new(seed),
            _p: PhantomData,
        }
    }
    /// Restarts the mask sequence from `seed`.
    pub fn reseed(&mut self, seed: u64) {
        self.rng = Rng::new(seed);
    }
}
impl<NUM, DEN> Default for Dropout<NUM, DEN> {
    fn default() -> Self {
        Self::new(0)
    }
}

impl<NUM, DEN> Module for Dropout<NUM, DEN> {
    /// No parameters; seeds the mask generator from `rng` (two draws).
    fn init(&mut self, rng: &mut Rng) {
        self.reseed((rng.next_u32() as u64) << 32 | rng.next_u32() as u64);
    }
    /// The mask generator (kept by `io::save_generators`, so a resumed run draws the masks
    /// the uninterrupted one would have).
    fn visit_generators(&self, f: &mut dyn FnMut(&Rng)) {
        f(&self.rng)
    }
    fn visit_generators_mut(&mut self, f: &mut dyn FnMut(&mut Rng)) {
        f(&mut self.rng)
    }
}

impl<S, NUM, DEN> Layer<S> for Dropout<NUM, DEN>
where
    S: Shape + ProbCheck<NUM, DEN>,
    S::BelowOne: ShownBit,
    Verdict<S::BelowOne>: DropoutBelowOne,
    NUM: Unsigned,
    DEN: Unsigned,
{
    type Out = S;
    /// Eval mode: the identity.
    fn infer(&self, x: &[f32], y: &mut [f32], _scratch: &mut [f32]) {
        y[..S::NUMEL].copy_from_slice(&x[..S::NUMEL]);
    }
}

/// `NUM/DEN < 1` as a bit. Asked of the input shape so that rustc checks it once the shape is
/// known and reports [`DropoutBelowOne`]'s message (a check independent of the input would
/// only surface as "no method `forward`").
pub trait ProbCheck<NUM, DEN> {
    /// `B1` when `NUM < DEN`.
    type BelowOne;
}
impl<S, NUM: IsLess<DEN>, DEN> ProbCheck<NUM, DEN> for S {
    type BelowOne = Le<NUM, DEN>;
}

/// The mask of the last training forward: `0` for a dropped unit, `1/(1−p)` for a kept one.
#[cfg(feature = "alloc")]
#[derive(Default)]
pub struct DropoutCache {
    /// One factor per unit of the batch.
    pub mask: alloc::vec::Vec<f32>,
}

#[cfg(feature = "alloc")]
impl<S, NUM, DEN> crate::layer::Train<S> for Dropout<NUM, DEN>
where
    S: Shape,
    Self: Layer<S, Out = S>,
    NUM: Unsigned,
    DEN: Unsigned,
{
    type Grad = ();
    type Cache = DropoutCache;
    fn forward_train(
        &mut self,
        x: &crate::Batch<S>,
        y: &mut crate::Batch<S>,
        cache: &mut DropoutCache,
    ) {
        // A zeroed layer that was never initialised has the all-zero xoshiro state, which
        // yields 0 forever (every unit dropped); give it a fixed seed instead.
        let mut probe = self.rng;
        if (0..4).all(|_| probe.next_u32() == 0) {
            self.reseed(0);
        }
        // Drop when a uniform u32 `r` has `r / 2³² < NUM/DEN`, i.e. `r < ⌊NUM·2³²/DEN⌋`.
        let threshold = (((NUM::U64 as u128) << 32) / DEN::U64 as u128) as u64;
        let keep = (DEN::U64 as f64 / (DEN::U64 - NUM::U64) as f64) as f32;
        y.resize(x.len());
        cache.mask.clear();
        cache.mask.extend((0..x.as_slice().len()).map(|_| {
            if (self.rng.next_u32() as u64) < threshold {
                0.0
            } else {
                keep
            }
        }));
        for (o, (&v, &m)) in y
            .as_mut_slice()
            .iter_mut()
            .zip(x.as_slice().iter().zip(&cache.mask))
        {
            *o = v * m;
        }
    }
    /// `dx = dy ⊙ mask`, with the mask of the last `forward_train`.
    fn backward(
        &self,
        x: &crate::Batch<S>,
        _y: &crate::Batch<S>,
        dy: &crate::Batch<S>,
        dx: &mut crate::Batch<S>,
        cache: &mut DropoutCache,
        _grad: &mut (),
    ) {
        dx.resize(x.len());
        for (o, (&g, &m)) in dx
            .as_mut_slice()
            .iter_mut()
            .zip(dy.as_slice().iter().zip(&cache.mask))
        {
            *o = g * m;
        }
    }
    fn visit_with_grad(&mut self, _g: &(), _f: &mut dyn FnMut(&mut [f32], &[f32])) {}
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::layer::{new_boxed, zeroed_box, Train};
    use crate::shape::{Shape1, Shape3};
    use crate::tensor::Batch;
    use crate::testing::{check_layer_grads, run_train};
    use alloc::vec::Vec;
    use typenum::consts::*;

    type Big = Shape3<U5, U20, U50>;

    /// Train mode zeroes about `p` of the units, scales the rest by `1/(1−p)`, and backward
    /// applies the very same mask to `dy`.
    fn drops_about<NUM: Unsigned, DEN: Unsigned>(p: f64)
    where
        Dropout<NUM, DEN>: Train<Big, Out = Big>,
    {
        let n = 4;
        let mut l = new_boxed::<Dropout<NUM, DEN>>(5);
        let mut rng = Rng::new(99);
        let x: Vec<f32> = (0..n * Big::NUMEL)
            .map(|_| rng.uniform_in(0.5, 1.5))
            .collect();
        let dy: Vec<f32> = (0..n * Big::NUMEL).map(|_| rng.normal()).collect();
        let (y, dx, _) = run_train::<Big, _>(&mut *l, &x, &dy);
        let units = (n * Big::NUMEL) as f64;
        let dropped = y.iter().filter(|&&v| v == 0.0).count() as f64;
        // 20 000 Bernoulli(p) draws: σ = √(p(1−p)/units) ≤ 0.0036 of the units; allow 5σ.
        let tol = 5.0 * (p * (1.0 - p) / units).sqrt() + 1e-9;
        assert!(
            (dropped / units - p).abs() <= tol,
            "dropped {} of units, p = {p} (tol {tol})",
            dropped / units
        );
        let keep = (1.0 / (1.0 - p)) as f32;
        for i in 0..y.len() {
            if y[i] == 0.0 {
                assert_eq!(dx[i], 0.0, "dx[{i}] of a dropped unit");
            } else {
                assert!(
                    (y[i] - x[i] * keep).abs() <= 1e-6 * y[i].abs(),
                    "y[{i}] = {} for x = {}",
                    y[i],
                    x[i]
                );
                assert!(
                    (dx[i] - dy[i] * keep).abs() <= 1e-6 * dx[i].abs(),
                    "dx[{i}] uses the same mask"
                );
            }
        }
    }

    #[test]
    fn train_mode_drops_p_and_scales_the_rest() {
        drops_about::<U1, U2>(0.5);
        drops_about::<U1, U5>(0.2);
        drops_about::<U9, U10>(0.9);
        drops_about::<U0, U1>(0.0);
    }

    #[test]
    fn eval_is_identity_and_shape_is_kept() {
        fn same<S: Shape, L: Layer<S, Out = S>>(_: &L) {}
        same::<Shape3<U3, U4, U5>, _>(&<Dropout>::default());
        same::<Shape1<U7>, _>(&Dropout::<U3, U10>::default());
        let l = new_boxed::<Dropout>(1);
        let x = Batch::<Big>::from_fn(3, |i| i as f32 - 100.0);
        assert_eq!(Layer::<Big>::forward(&*l, &x).as_slice(), x.as_slice());
    }

    #[test]
    fn same_seed_same_masks() {
        let masks = |seed: u64, steps: usize| {
            let mut l = new_boxed::<Dropout>(seed);
            let x = Batch::<Shape1<U64>>::from_fn(2, |_| 1.0);
            let (mut y, mut c) = (Batch::default(), DropoutCache::default());
            (0..steps)
                .map(|_| {
                    l.forward_train(&x, &mut y, &mut c);
                    c.mask.clone()
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(masks(3, 3), masks(3, 3));
        assert_ne!(masks(3, 1), masks(4, 1));
        let m = masks(3, 2);
        assert_ne!(m[0], m[1], "each step draws a new mask");
        // A zeroed layer that skipped `init` still drops about half, not everything.
        let mut z = zeroed_box::<Dropout>();
        let (mut y, mut c) = (Batch::default(), DropoutCache::default());
        z.forward_train(&Batch::<Shape1<U64>>::from_fn(4, |_| 1.0), &mut y, &mut c);
        let kept = c.mask.iter().filter(|&&m| m != 0.0).count();
        assert!((80..=176).contains(&kept), "kept {kept} of 256");
    }

    /// The finite-difference checker calls `forward_train` once per probe, which would draw a
    /// new mask each time. This test-only wrapper is the hook: it restores the generator's
    /// state before every call, so every probe sees one fixed mask and `dx` is checked by
    /// finite differences like any layer's. (`train_mode_drops_p_and_scales_the_rest` also
    /// checks backward against the mask directly.)
    struct Replay(Dropout<U1, U3>, Rng);
    // SAFETY: zeroable fields.
    unsafe impl Zeroable for Replay {}
    impl Module for Replay {}
    impl<S: Shape> Layer<S> for Replay {
        type Out = S;
        fn infer(&self, x: &[f32], y: &mut [f32], s: &mut [f32]) {
            Layer::<S>::infer(&self.0, x, y, s)
        }
    }
    impl<S: Shape> Train<S> for Replay {
        type Grad = ();
        type Cache = DropoutCache;
        fn forward_train(&mut self, x: &Batch<S>, y: &mut Batch<S>, c: &mut DropoutCache) {
            self.0.rng = self.1;
            self.0.forward_train(x, y, c);
        }
        fn backward(
            &self,
            x: &Batch<S>,
            y: &Batch<S>,
            dy: &Batch<S>,
            dx: &mut Batch<S>,
            c: &mut DropoutCache,
            g: &mut (),
        ) {
            self.0.backward(x, y, dy, dx, c, g);
        }
        fn visit_with_grad(&mut self, _g: &(), _f: &mut dyn FnMut(&mut [f32], &[f32])) {}
    }

    #[test]
    fn gradients_with_a_replayed_mask() {
        check_layer_grads::<Shape3<U3, U5, U7>, _>(&mut Replay(Dropout::new(1), Rng::new(1)), 3, 1);
        check_layer_grads::<Shape1<U9>, _>(&mut Replay(Dropout::new(2), Rng::new(2)), 4, 2);
    }
}

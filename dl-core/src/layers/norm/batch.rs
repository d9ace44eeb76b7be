//! Batch normalisation (`nn.BatchNorm1d` / `nn.BatchNorm2d`): train mode normalises with the
//! batch's statistics and updates the running averages, eval mode uses the running ones.
use crate::check::{BatchNorm1dFeaturesMatch, BatchNorm2dChannelsMatch};
use crate::layer::{Layer, Module, Zeroable};
use crate::math;
use crate::rng::Rng;
use crate::shape::{Shape, Shape1, Shape3};
use crate::shown::{Dec, Decimal};
use core::marker::PhantomData;
use generic_array::{ArrayLength, GenericArray};

mod eps;
pub use eps::{DefaultEps, Eps, EpsValue, ValidEps};

/// Marker of [`BatchNorm1d`]: normalises each of the `[N]` features.
pub struct Features;
/// Marker of [`BatchNorm2d`]: normalises each channel of `[C, H, W]` over the batch, H and W.
pub struct Maps;

/// The PyTorch name of a [`BatchNorm`] kind (its marker), for messages.
pub trait BatchNormKind {
    /// `"BatchNorm1d"` or `"BatchNorm2d"`.
    const NAME: &'static str;
}
impl BatchNormKind for Features {
    const NAME: &'static str = "BatchNorm1d";
}
impl BatchNormKind for Maps {
    const NAME: &'static str = "BatchNorm2d";
}

/// Batch normalisation over `C` channels (PyTorch's `nn.BatchNorm1d/2d(C, eps)`, momentum 0.1,
/// affine, tracking running statistics). Use the aliases [`BatchNorm1d`] / [`BatchNorm2d`].
///
/// ε is part of the type, a decimal [`Eps<M, E>`](Eps) = M·10⁻ᴱ: it defaults to [`DefaultEps`]
/// (`Eps<U1, U5>`, PyTorch's 1e-5), so `BatchNorm2d<C>` is `nn.BatchNorm2d(C)` and
/// `BatchNorm2d<C, Eps<U1, U3>>` is `nn.BatchNorm2d(C, eps=0.001)`; read it back as
/// [`BatchNorm::EPS`]. ε = 0 (`Eps<U0, _>`) is a `cargo check` error with a message; a
/// negative, NaN or infinite ε cannot be written.
///
/// Training normalises with the batch's biased variance and moves `running_var` towards the
/// unbiased one; eval ([`Layer::infer`]) uses `running_mean` / `running_var`.
#[repr(C)]
pub struct BatchNorm<C: ArrayLength, D, E = DefaultEps> {
    /// γ, `[C]` (trainable).
    pub weight: GenericArray<f32, C>,
    /// β, `[C]` (trainable).
    pub bias: GenericArray<f32, C>,
    /// Running mean, `[C]` (a buffer: visited by [`Module::visit_buffers`]).
    pub running_mean: GenericArray<f32, C>,
    /// Running variance, `[C]` (a buffer: visited by [`Module::visit_buffers`]).
    pub running_var: GenericArray<f32, C>,
    _dims: PhantomData<fn() -> (D, E)>,
}
/// `nn.BatchNorm1d(N, eps)` on `[N]` features; ε defaults to 1e-5 (see [`Eps`]).
pub type BatchNorm1d<N, E = DefaultEps> = BatchNorm<N, Features, E>;
/// `nn.BatchNorm2d(C, eps)` on `[C, H, W]` maps; ε defaults to 1e-5 (see [`Eps`]).
pub type BatchNorm2d<C, E = DefaultEps> = BatchNorm<C, Maps, E>;

/// The gradient of a [`BatchNorm`]: its trainable parameters only.
pub struct BatchNormGrad<C: ArrayLength> {
    /// ∂L/∂γ.
    pub dweight: GenericArray<f32, C>,
    /// ∂L/∂β.
    pub dbias: GenericArray<f32, C>,
}

// SAFETY: f32 arrays and a marker.
unsafe impl<C: ArrayLength, D, E> Zeroable for BatchNorm<C, D, E> {}
// SAFETY: `#[repr(C)]`, four f32 arrays and a marker.
unsafe impl<C: ArrayLength, D, E> crate::layer::Pod for BatchNorm<C, D, E> {}
// SAFETY: f32 arrays.
unsafe impl<C: ArrayLength> Zeroable for BatchNormGrad<C> {}

impl<C: ArrayLength, D, E> Module for BatchNorm<C, D, E> {
    const PARAMS: usize = 2 * C::USIZE;
    /// PyTorch's defaults: weight 1, bias 0, running mean 0, running variance 1.
    fn init(&mut self, _rng: &mut Rng) {
        self.weight.fill(1.0);
        self.bias.fill(0.0);
        self.running_mean.fill(0.0);
        self.running_var.fill(1.0);
    }
    fn visit(&self, f: &mut dyn FnMut(&[f32])) {
        f(&self.weight);
        f(&self.bias);
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&mut [f32])) {
        f(&mut self.weight);
        f(&mut self.bias);
    }
    /// `running_mean`, then `running_var` (PyTorch's `num_batches_tracked` is not kept).
    fn visit_buffers(&self, f: &mut dyn FnMut(&[f32])) {
        f(&self.running_mean);
        f(&self.running_var);
    }
    fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(&mut [f32])) {
        f(&mut self.running_mean);
        f(&mut self.running_var);
    }
}
impl<C: ArrayLength> Module for BatchNormGrad<C> {
    const PARAMS: usize = 2 * C::USIZE;
    fn visit(&self, f: &mut dyn FnMut(&[f32])) {
        f(&self.dweight);
        f(&self.dbias);
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&mut [f32])) {
        f(&mut self.dweight);
        f(&mut self.dbias);
    }
}

impl<C: ArrayLength, D, E: EpsValue> BatchNorm<C, D, E> {
    /// ε added to the variance, from the type (1e-5 by default, PyTorch's).
    pub const EPS: f32 = E::VALUE;
    /// Weight of the new batch statistic in the running averages (PyTorch's default).
    pub const MOMENTUM: f32 = 0.1;
    /// Eval mode on one sample, `m` values per channel: `y = (x − μ_run)/√(σ²_run + ε)·γ + β`.
    fn infer_sample(&self, x: &[f32], y: &mut [f32], m: usize) {
        for (ch, (xs, ys)) in x
            .chunks_exact(m)
            .zip(y.chunks_exact_mut(m))
            .take(C::USIZE)
            .enumerate()
        {
            let a = self.weight[ch] / math::sqrt(self.running_var[ch] + Self::EPS);
            let (mu, b) = (self.running_mean[ch], self.bias[ch]);
            for (o, &v) in ys.iter_mut().zip(xs) {
                *o = (v - mu) * a + b;
            }
        }
    }
}

impl<C2, H, W, C, E: ValidEps> Layer<Shape3<C2, H, W>> for BatchNorm<C, Maps, E>
where
    Shape3<C2, H, W>: Shape,
    C2: Decimal,
    C: Decimal,
    Dec<C2>: BatchNorm2dChannelsMatch<Dec<C>>,
    C: ArrayLength,
{
    type Out = Shape3<C2, H, W>;
    fn infer(&self, x: &[f32], y: &mut [f32], _scratch: &mut [f32]) {
        self.infer_sample(x, y, <Shape3<C2, H, W>>::NUMEL / C::USIZE);
    }
}

impl<N, C, E: ValidEps> Layer<Shape1<N>> for BatchNorm<C, Features, E>
where
    N: ArrayLength + Decimal,
    C: Decimal,
    Dec<N>: BatchNorm1dFeaturesMatch<Dec<C>>,
    C: ArrayLength,
{
    type Out = Shape1<N>;
    fn infer(&self, x: &[f32], y: &mut [f32], _scratch: &mut [f32]) {
        self.infer_sample(x, y, 1);
    }
}

/// What batch-norm backward needs: each channel's batch mean (as an f32 pair `hi + lo`, so
/// `(x − hi) − lo` keeps the digits an f32 mean would lose on an offset, low-variance channel)
/// and `1/√(σ²_batch + ε)`.
#[cfg(feature = "alloc")]
#[derive(Default)]
pub struct BatchNormCache {
    mean: alloc::vec::Vec<[f32; 2]>,
    inv_std: alloc::vec::Vec<f32>,
    acc: alloc::vec::Vec<[f64; 2]>,
}

/// `(Σ f(v), Σ g(v, w))` over a row `r` (and `s`, as long), accumulated in f64 in eight
/// independent lanes so it vectorises: the error stays at f64's level at any row length,
/// where an f32 running sum loses about `len · 2⁻²⁴` of the total.
#[cfg(feature = "alloc")]
#[inline(always)]
fn row_sums(
    r: &[f32],
    s: &[f32],
    f: impl Fn(f32) -> f64 + Copy,
    g: impl Fn(f32, f32) -> f64 + Copy,
) -> [f64; 2] {
    crate::kernels::simd(|| {
        let (mut a, mut b) = ([0.0f64; 8], [0.0f64; 8]);
        let (mut rc, mut sc) = (r.chunks_exact(8), s.chunks_exact(8));
        for (x, y) in (&mut rc).zip(&mut sc) {
            for j in 0..8 {
                a[j] += f(x[j]);
                b[j] += g(x[j], y[j]);
            }
        }
        let tail = rc.remainder().iter().zip(sc.remainder());
        let (ta, tb) = tail.fold((0.0, 0.0), |(p, q), (&x, &y)| (p + f(x), q + g(x, y)));
        [a.iter().sum::<f64>() + ta, b.iter().sum::<f64>() + tb]
    })
}

/// Per-channel sums over a batch laid out `[n, c, m]`: `rows` yields each row's pair of f64
/// sums (`row_sums`), added per channel in f64.
#[cfg(feature = "alloc")]
fn channel_sums(
    acc: &mut alloc::vec::Vec<[f64; 2]>,
    c: usize,
    rows: impl Iterator<Item = [f64; 2]>,
) {
    acc.clear();
    acc.resize(c, [0.0; 2]);
    for (i, [a, b]) in rows.enumerate() {
        acc[i % c][0] += a;
        acc[i % c][1] += b;
    }
}

#[cfg(feature = "alloc")]
impl<S: Shape, C: ArrayLength, D: BatchNormKind, E: ValidEps> crate::layer::Train<S>
    for BatchNorm<C, D, E>
where
    Self: Layer<S, Out = S>,
{
    type Grad = BatchNormGrad<C>;
    type Cache = BatchNormCache;
    /// PyTorch's rule: more than one value per channel (`n·H·W ≠ 1`; an empty batch is fine).
    fn check_train_batch(&self, n: usize) -> Result<(), crate::guard::TrainBatchError> {
        let per_sample = S::NUMEL / C::USIZE;
        match n * per_sample == 1 {
            true => Err(crate::guard::TrainBatchError {
                layer: D::NAME,
                channels: C::USIZE,
                per_sample,
                samples: n,
                at: None,
            }),
            false => Ok(()),
        }
    }
    /// Precondition: more than one value per channel ([`check_train_batch`](crate::layer::Train::check_train_batch)); with
    /// one, every output is β (and the running variance is left as it is).
    fn forward_train(
        &mut self,
        x: &crate::Batch<S>,
        y: &mut crate::Batch<S>,
        cache: &mut BatchNormCache,
    ) {
        let (n, c) = (x.len(), C::USIZE);
        let m = S::NUMEL / c;
        let cnt = n * m;
        y.resize(n);
        if cnt == 0 {
            return;
        }
        let xs = x.as_slice();
        // Two passes, each summed in f64 (as PyTorch's CPU kernel accumulates in double): the
        // mean, then the (biased) variance around it.
        let none = |_, _| 0.0;
        let sums = xs
            .chunks_exact(m)
            .map(|r| row_sums(r, r, |v| v as f64, none));
        channel_sums(&mut cache.acc, c, sums);
        cache.mean.clear();
        cache.mean.extend(cache.acc.iter().map(|s| {
            let mu = s[0] / cnt as f64;
            let hi = mu as f32;
            [hi, (mu - hi as f64) as f32]
        }));
        let mean = &cache.mean;
        let sq = xs.chunks_exact(m).enumerate().map(|(i, r)| {
            let [hi, lo] = mean[i % c];
            let d = move |v: f32| ((v - hi) - lo) as f64;
            row_sums(r, r, move |v| d(v) * d(v), none)
        });
        channel_sums(&mut cache.acc, c, sq);
        cache.inv_std.clear();
        let mo = Self::MOMENTUM;
        for (ch, (acc, &[mu, _])) in cache.acc.iter().zip(mean).enumerate() {
            let var = acc[0] / cnt as f64;
            cache
                .inv_std
                .push(1.0 / math::sqrt((var + Self::EPS as f64) as f32));
            self.running_mean[ch] = (1.0 - mo) * self.running_mean[ch] + mo * mu;
            // With one value per channel the unbiased variance is undefined (PyTorch raises);
            // the running variance is then left as it is.
            if cnt > 1 {
                let unbiased = (var * cnt as f64 / (cnt - 1) as f64) as f32;
                self.running_var[ch] = (1.0 - mo) * self.running_var[ch] + mo * unbiased;
            }
        }
        for (i, (xr, yr)) in xs
            .chunks_exact(m)
            .zip(y.as_mut_slice().chunks_exact_mut(m))
            .enumerate()
        {
            let ch = i % c;
            let ([hi, lo], a, b) = (mean[ch], cache.inv_std[ch] * self.weight[ch], self.bias[ch]);
            for (o, &v) in yr.iter_mut().zip(xr) {
                *o = ((v - hi) - lo) * a + b;
            }
        }
    }
    /// With `x̂ = (x − μ)/σ` and `M = n·m` values per channel:
    /// `dβ = Σ dy`, `dγ = Σ dy·x̂`, `dx = γ/σ · (dy − dβ/M − x̂·dγ/M)`.
    fn backward(
        &self,
        x: &crate::Batch<S>,
        _y: &crate::Batch<S>,
        dy: &crate::Batch<S>,
        dx: &mut crate::Batch<S>,
        cache: &mut BatchNormCache,
        grad: &mut BatchNormGrad<C>,
    ) {
        let (n, c) = (x.len(), C::USIZE);
        let m = S::NUMEL / c;
        dx.resize(n);
        if n * m == 0 {
            return;
        }
        let (mean, inv_std) = (&cache.mean, &cache.inv_std);
        let rows = x
            .as_slice()
            .chunks_exact(m)
            .zip(dy.as_slice().chunks_exact(m));
        // Σ dy and Σ dy·(x − μ) per channel in f64; dγ is the latter times 1/σ.
        let sums = rows.clone().enumerate().map(|(i, (xr, gr))| {
            let [hi, lo] = mean[i % c];
            row_sums(
                gr,
                xr,
                |g| g as f64,
                move |g, v| g as f64 * ((v - hi) - lo) as f64,
            )
        });
        channel_sums(&mut cache.acc, c, sums);
        for (a, &is) in cache.acc.iter_mut().zip(inv_std) {
            a[1] *= is as f64;
        }
        let inv_cnt = 1.0 / (n * m) as f64;
        for ch in 0..c {
            grad.dbias[ch] += cache.acc[ch][0] as f32;
            grad.dweight[ch] += cache.acc[ch][1] as f32;
        }
        for (i, ((xr, gr), dr)) in rows.zip(dx.as_mut_slice().chunks_exact_mut(m)).enumerate() {
            let ch = i % c;
            let ([hi, lo], is) = (mean[ch], inv_std[ch]);
            let (gm, xm) = (
                (cache.acc[ch][0] * inv_cnt) as f32,
                (cache.acc[ch][1] * inv_cnt) as f32,
            );
            let a = self.weight[ch] * is;
            for (o, (&v, &g)) in dr.iter_mut().zip(xr.iter().zip(gr)) {
                *o = a * (g - gm - ((v - hi) - lo) * is * xm);
            }
        }
    }
    fn visit_with_grad(&mut self, g: &BatchNormGrad<C>, f: &mut dyn FnMut(&mut [f32], &[f32])) {
        f(&mut self.weight, &g.dweight);
        f(&mut self.bias, &g.dbias);
    }
}

#[cfg(all(test, feature = "std"))]
mod precision;
#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::layer::{new_boxed, Train};
    use crate::testing::{assert_close, check_layer_grads, fixture, load_params, run_train};
    use typenum::consts::*;

    /// A batch norm with random γ, β (so dγ and dβ are checked away from γ = 1, β = 0).
    fn bn<L: Module + crate::layer::Zeroable>(seed: u64) -> alloc::boxed::Box<L> {
        let mut l = new_boxed::<L>(seed);
        let mut rng = Rng::new(seed + 100);
        l.visit_mut(&mut |p| p.iter_mut().for_each(|v| *v = rng.uniform_in(0.5, 1.5)));
        l
    }

    #[test]
    fn batchnorm_gradients_couple_the_batch() {
        check_layer_grads::<Shape3<U3, U5, U7>, _>(&mut *bn::<BatchNorm2d<U3>>(1), 3, 1);
        check_layer_grads::<Shape3<U2, U3, U3>, _>(&mut *bn::<BatchNorm2d<U2>>(2), 4, 2);
        check_layer_grads::<Shape3<U4, U1, U1>, _>(&mut *bn::<BatchNorm2d<U4>>(3), 4, 3);
        check_layer_grads::<Shape1<U5>, _>(&mut *bn::<BatchNorm1d<U5>>(4), 3, 4);
        check_layer_grads::<Shape1<U8>, _>(&mut *bn::<BatchNorm1d<U8>>(5), 4, 5);
    }

    #[test]
    fn shapes_params_and_defaults() {
        fn same<S: Shape, L: Layer<S, Out = S>>(_: &L) {}
        same::<Shape3<U64, U7, U9>, _>(&*new_boxed::<BatchNorm2d<U64>>(0));
        same::<Shape1<U10>, _>(&*new_boxed::<BatchNorm1d<U10>>(0));
        let b = new_boxed::<BatchNorm2d<U3>>(0);
        assert_eq!(<BatchNorm2d<U3>>::PARAMS, 6);
        let mut seen = vec![];
        b.visit(&mut |p| seen.push(p.to_vec()));
        assert_eq!(
            seen,
            vec![vec![1.0; 3], vec![0.0; 3]],
            "visit sees weight and bias only"
        );
        assert_eq!(
            (&b.running_mean[..], &b.running_var[..]),
            (&[0.0; 3][..], &[1.0; 3][..])
        );
    }

    /// One train step (y, dx, dγ, dβ, running stats) then eval with the updated statistics.
    fn bn_matches<S: Shape, L>(name: &str)
    where
        L: Train<S, Out = S, Grad = BatchNormGrad<<L as BnParts>::C>>
            + BnParts
            + Module
            + crate::layer::Zeroable,
    {
        let fx = fixture(name);
        let mut l = new_boxed::<L>(0);
        load_params(&mut *l, &fx, &["weight", "bias"]);
        l.stats().0.copy_from_slice(fx.get("running_mean0"));
        l.stats().1.copy_from_slice(fx.get("running_var0"));
        let (y, dx, g) = run_train::<S, L>(&mut *l, fx.get("x"), fx.get("dy"));
        assert_close(&format!("{name} y"), &y, fx.get("y"), 1e-5);
        assert_close(&format!("{name} dx"), &dx, fx.get("dx"), 1e-4);
        assert_close(
            &format!("{name} dweight"),
            &g.dweight,
            fx.get("dweight"),
            1e-5,
        );
        assert_close(&format!("{name} dbias"), &g.dbias, fx.get("dbias"), 1e-5);
        let (rm, rv) = l.stats();
        assert_close(
            &format!("{name} running_mean"),
            rm,
            fx.get("running_mean"),
            1e-5,
        );
        assert_close(
            &format!("{name} running_var"),
            rv,
            fx.get("running_var"),
            1e-5,
        );
        let xe = fx.get("x_eval");
        let mut ye = vec![0.0; xe.len()];
        for (xs, ys) in xe.chunks_exact(S::NUMEL).zip(ye.chunks_exact_mut(S::NUMEL)) {
            l.infer(xs, ys, &mut []);
        }
        assert_close(&format!("{name} y_eval"), &ye, fx.get("y_eval"), 1e-5);
    }
    trait BnParts {
        type C: ArrayLength;
        fn stats(&mut self) -> (&mut [f32], &mut [f32]);
    }
    impl<C: ArrayLength, D, E> BnParts for BatchNorm<C, D, E> {
        type C = C;
        fn stats(&mut self) -> (&mut [f32], &mut [f32]) {
            (&mut self.running_mean, &mut self.running_var)
        }
    }

    #[test]
    fn batchnorm_matches_pytorch() {
        bn_matches::<Shape3<U3, U5, U7>, BatchNorm2d<U3>>("bn2d");
        bn_matches::<Shape3<U2, U3, U3>, BatchNorm2d<U2>>("bn2d_b1");
        bn_matches::<Shape1<U6>, BatchNorm1d<U6>>("bn1d");
        bn_matches::<Shape1<U3>, BatchNorm1d<U3>>("bn1d_b2");
        // GoogLeNet's BatchNorm2d(eps=0.001), and a large ε so a wrong one shows.
        bn_matches::<Shape3<U3, U5, U7>, BatchNorm2d<U3, Eps<U1, U3>>>("bn2d_eps1e3");
        bn_matches::<Shape1<U6>, BatchNorm1d<U6, Eps<U5, U1>>>("bn1d_eps05");
    }

    #[test]
    fn eps_is_a_type_parameter_defaulting_to_1e_5() {
        assert_eq!(<BatchNorm2d<U3>>::EPS, 1e-5);
        assert_eq!(<BatchNorm1d<U3, Eps<U1, U3>>>::EPS, 1e-3);
        fn same<A: typenum::Same<B>, B>() {}
        same::<BatchNorm2d<U3>, BatchNorm<U3, Maps, Eps<U1, U5>>>();
        check_layer_grads::<Shape3<U2, U3, U3>, _>(
            &mut *bn::<BatchNorm2d<U2, Eps<U25, U2>>>(6),
            3,
            6,
        );
    }

    /// PyTorch raises "Expected more than 1 value per channel when training"; the checked
    /// forward returns the error before anything runs, naming layer, channels and counts.
    #[test]
    fn one_value_per_channel_is_an_error_in_training() {
        use crate::guard::{At, TrainBatchError};
        use crate::{Batch, Linear, Network, ReLU, Residual, Seq};
        use std::string::ToString;
        let mut bn = new_boxed::<BatchNorm1d<U3>>(0);
        let x = Batch::<Shape1<U3>>::from_vec(vec![1.0, 2.0, 3.0]).unwrap();
        let (mut y, mut c) = (Batch::default(), BatchNormCache::default());
        let e = bn.try_forward_train(&x, &mut y, &mut c).unwrap_err();
        assert_eq!(
            e,
            TrainBatchError {
                layer: "BatchNorm1d",
                channels: 3,
                per_sample: 1,
                samples: 1,
                at: None
            }
        );
        assert_eq!(
            e.to_string(),
            "training BatchNorm1d(3): expected more than 1 value per channel, got 1 (1 sample × \
             1 value per channel): the batch variance of one value is undefined; train on more samples \
             per batch (or a larger map), or use eval mode (`forward` / `infer`)"
        );
        assert_eq!(y.len(), 0, "nothing ran");
        let x2 = Batch::<Shape1<U3>>::from_vec(vec![1.0, 2.0, 3.0, 0.0, 0.0, 1.0]).unwrap();
        assert_eq!(bn.try_forward_train(&x2, &mut y, &mut c), Ok(()));
        let want = [1.0, 1.0, 1.0, -1.0, -1.0, -1.0];
        assert_close("two samples", y.as_slice(), &want, 1e-4);
        assert_eq!(Train::<Shape1<U3>>::check_train_batch(&*bn, 0), Ok(()));

        // BatchNorm2d: N·H·W = 1 fails, one sample of a 2×1 map does not.
        let bn2 = new_boxed::<BatchNorm2d<U4>>(0);
        let e = Train::<Shape3<U4, U1, U1>>::check_train_batch(&*bn2, 1).unwrap_err();
        assert_eq!(
            (e.layer, e.channels, e.per_sample, e.samples),
            ("BatchNorm2d", 4, 1, 1)
        );
        assert_eq!(
            Train::<Shape3<U4, U1, U1>>::check_train_batch(&*bn2, 2),
            Ok(())
        );
        assert_eq!(
            Train::<Shape3<U4, U2, U1>>::check_train_batch(&*bn2, 1),
            Ok(())
        );

        // In a chain the error says which link; a block counts as one link.
        type Net = Network<Shape1<U4>, Seq![Linear<U4, U3>, ReLU, BatchNorm1d<U3>, Linear<U3, U2>]>;
        let mut net = Net::new(0);
        let x = Batch::<Shape1<U4>>::from_vec(vec![0.5; 4]).unwrap();
        let (mut y, mut c) = (Batch::default(), Default::default());
        let e = net.try_forward_train(&x, &mut y, &mut c).unwrap_err();
        assert_eq!(e.at, Some(At::Link(2)));
        assert!(
            e.to_string()
                .starts_with("training BatchNorm1d(3) (link 2 of the chain): expected"),
            "{e}"
        );
        let x = Batch::<Shape1<U4>>::from_vec(vec![0.5; 8]).unwrap();
        assert_eq!(net.try_forward_train(&x, &mut y, &mut c), Ok(()));
        assert_eq!(y.len(), 2);
        type Blocks =
            Network<Shape1<U4>, Seq![Linear<U4, U4>, Residual<Seq![ReLU, BatchNorm1d<U4>]>, ReLU]>;
        let blocks = Blocks::new(0);
        let e = blocks.check_train_batch(1).unwrap_err();
        assert_eq!((e.layer, e.at), ("BatchNorm1d", Some(At::Link(1))));
        assert_eq!(blocks.check_train_batch(3), Ok(()));
    }
}

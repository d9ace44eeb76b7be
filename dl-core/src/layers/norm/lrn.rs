//! Local response normalisation across channels (`nn.LocalResponseNorm`, AlexNet).
use crate::check::WindowNotEmpty;
use crate::layer::{Layer, Module, Zeroable};
use crate::math;
use crate::rng::Rng;
use crate::shape::{Shape, Shape3};
use crate::shown::{IfZero, ZeroShown};
use core::marker::PhantomData;
use typenum::Unsigned;

/// `LocalResponseNorm<SIZE>`: PyTorch's `nn.LocalResponseNorm(SIZE, alpha, beta, k)` across
/// channels (AlexNet): `y_c = x_c / (k + α/SIZE · Σ_{c'} x_{c'}²)^β`, the sum running over
/// channels `c − ⌊SIZE/2⌋ ..= c + ⌊(SIZE−1)/2⌋` that exist. No trainable parameters.
#[repr(C)]
pub struct LocalResponseNorm<SIZE> {
    /// α (PyTorch default 1e-4).
    pub alpha: f32,
    /// β (PyTorch default 0.75).
    pub beta: f32,
    /// k (PyTorch default 1.0).
    pub k: f32,
    _size: PhantomData<fn() -> SIZE>,
}
// SAFETY: three f32s and a marker.
unsafe impl<SIZE> Zeroable for LocalResponseNorm<SIZE> {}
// SAFETY: `#[repr(C)]`, three f32s and a marker.
unsafe impl<SIZE> crate::layer::Pod for LocalResponseNorm<SIZE> {}

impl<SIZE> LocalResponseNorm<SIZE> {
    /// The layer with the given `alpha`, `beta`, `k` (AlexNet: `new(1e-4, 0.75, 2.0)`, size 5).
    pub const fn new(alpha: f32, beta: f32, k: f32) -> Self {
        LocalResponseNorm {
            alpha,
            beta,
            k,
            _size: PhantomData,
        }
    }
}
impl<SIZE> Default for LocalResponseNorm<SIZE> {
    /// PyTorch's defaults: alpha 1e-4, beta 0.75, k 1.
    fn default() -> Self {
        Self::new(1e-4, 0.75, 1.0)
    }
}
impl<SIZE> Clone for LocalResponseNorm<SIZE> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<SIZE> Copy for LocalResponseNorm<SIZE> {}

impl<SIZE> Module for LocalResponseNorm<SIZE> {
    /// Sets PyTorch's defaults when the layer is still all zeros (`k == 0`), so values given
    /// with [`LocalResponseNorm::new`] survive initialisation.
    fn init(&mut self, _rng: &mut Rng) {
        if self.k == 0.0 {
            *self = Self::default();
        }
    }
}

/// `out[c] = Σ_{c' ∈ c−before ..= c+after} f(src[c'])` over `[C, P]` planes, elementwise in P.
fn window_sum(
    src: &[f32],
    out: &mut [f32],
    c: usize,
    p: usize,
    before: usize,
    after: usize,
    f: impl Fn(f32) -> f32,
) {
    for (ch, o) in out[..c * p].chunks_exact_mut(p).enumerate() {
        o.fill(0.0);
        for s in src[ch.saturating_sub(before) * p..(ch + after + 1).min(c) * p].chunks_exact(p) {
            for (a, &v) in o.iter_mut().zip(s) {
                *a += f(v);
            }
        }
    }
}

impl<SIZE: Unsigned> LocalResponseNorm<SIZE> {
    /// The normaliser's base `s = k + α/SIZE · Σ_window x²` of one `[C, P]` sample.
    fn base(&self, x: &[f32], s: &mut [f32], c: usize, p: usize) {
        let n = SIZE::USIZE;
        window_sum(x, s, c, p, n / 2, (n - 1) / 2, |v| v * v);
        let a = self.alpha / n as f32;
        s[..c * p].iter_mut().for_each(|v| *v = self.k + a * *v);
    }
}

impl<C, H, W, SIZE> Layer<Shape3<C, H, W>> for LocalResponseNorm<SIZE>
where
    Shape3<C, H, W>: Shape,
    C: SizeCheck<SIZE>,
    <C as SizeCheck<SIZE>>::NotEmpty: WindowNotEmpty,
    SIZE: Unsigned,
{
    type Out = Shape3<C, H, W>;
    fn infer(&self, x: &[f32], y: &mut [f32], _scratch: &mut [f32]) {
        let [c, h, w] = <Shape3<C, H, W>>::DIMS;
        // y first holds the base s, then x / s^β.
        self.base(x, y, c, h * w);
        for (o, &v) in y[..c * h * w].iter_mut().zip(x) {
            *o = v / math::powf(*o, self.beta);
        }
    }
}

/// `SIZE > 0` as [`IfZero`] (`Dim<0>` or `NotZero`). Asked of the input's channel count so that rustc checks it once the shape is
/// known and reports [`WindowNotEmpty`]'s message (a check independent of the input would
/// only surface as "no method `forward`").
pub trait SizeCheck<SIZE> {
    /// `NotZero` when `SIZE ≥ 1`, `Dim<0>` when it is 0.
    type NotEmpty;
}
impl<S, SIZE: ZeroShown> SizeCheck<SIZE> for S {
    type NotEmpty = IfZero<SIZE>;
}

/// Per sample, the base `s` and the divisor `s^β` of the last training forward.
#[cfg(feature = "alloc")]
#[derive(Default)]
pub struct LrnCache {
    sd: alloc::vec::Vec<f32>,
}

#[cfg(feature = "alloc")]
impl<C, H, W, SIZE> crate::layer::Train<Shape3<C, H, W>> for LocalResponseNorm<SIZE>
where
    Self: Layer<Shape3<C, H, W>, Out = Shape3<C, H, W>>,
    Shape3<C, H, W>: Shape,
    SIZE: Unsigned,
{
    type Grad = ();
    type Cache = LrnCache;
    fn forward_train(
        &mut self,
        x: &crate::Batch<Shape3<C, H, W>>,
        y: &mut crate::Batch<Shape3<C, H, W>>,
        cache: &mut LrnCache,
    ) {
        let (n, [c, h, w]) = (x.len(), <Shape3<C, H, W>>::DIMS);
        let len = c * h * w;
        y.resize(n);
        cache.sd.resize(2 * n * len, 0.0);
        let this = &*self;
        crate::kernels::par::for_chunks(n, &mut cache.sd, 2 * len, |start, chunk| {
            for (i, sd) in chunk.chunks_exact_mut(2 * len).enumerate() {
                let (s, d) = sd.split_at_mut(len);
                this.base(x.sample(start + i), s, c, h * w);
                d.iter_mut()
                    .zip(s.iter())
                    .for_each(|(d, &s)| *d = math::powf(s, this.beta));
            }
        });
        let rows = x
            .as_slice()
            .chunks_exact(len)
            .zip(cache.sd.chunks_exact(2 * len));
        for (yi, (xi, sd)) in y.as_mut_slice().chunks_exact_mut(len).zip(rows) {
            for (o, (&v, &d)) in yi.iter_mut().zip(xi.iter().zip(&sd[len..])) {
                *o = v / d;
            }
        }
    }
    /// `dx_j = dy_j / s_j^β − (2αβ/SIZE) · x_j · Σ_{c ∋ j} dy_c·y_c/s_c`, where `c ∋ j` runs over
    /// the channels whose window contains `j`: `j − ⌊(SIZE−1)/2⌋ ..= j + ⌊SIZE/2⌋`.
    fn backward(
        &self,
        x: &crate::Batch<Shape3<C, H, W>>,
        y: &crate::Batch<Shape3<C, H, W>>,
        dy: &crate::Batch<Shape3<C, H, W>>,
        dx: &mut crate::Batch<Shape3<C, H, W>>,
        cache: &mut LrnCache,
        _grad: &mut (),
    ) {
        let (n, [c, h, w]) = (x.len(), <Shape3<C, H, W>>::DIMS);
        let (len, p, size) = (c * h * w, h * w, SIZE::USIZE);
        dx.resize(n);
        let coef = 2.0 * self.alpha * self.beta / size as f32;
        let sd_all = &cache.sd;
        crate::kernels::par::for_chunks(n, dx.as_mut_slice(), len, |start, chunk| {
            let mut t = alloc::vec![0.0f32; len];
            for (i, dxi) in chunk.chunks_exact_mut(len).enumerate() {
                let j = start + i;
                let (s, d) = sd_all[2 * j * len..2 * (j + 1) * len].split_at(len);
                let (xi, yi, gi) = (x.sample(j), y.sample(j), dy.sample(j));
                for (tv, ((&g, &yv), &sv)) in t.iter_mut().zip(gi.iter().zip(yi).zip(s)) {
                    *tv = g * yv / sv;
                }
                window_sum(&t, dxi, c, p, (size - 1) / 2, size / 2, |v| v);
                for (o, ((&g, &dv), &xv)) in dxi.iter_mut().zip(gi.iter().zip(d).zip(xi)) {
                    *o = g / dv - coef * xv * *o;
                }
            }
        });
    }
    fn visit_with_grad(&mut self, _g: &(), _f: &mut dyn FnMut(&mut [f32], &[f32])) {}
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::layer::{new_boxed, Train};
    use crate::testing::{assert_close, check_layer_grads, fixture, run_train};
    use typenum::consts::*;

    #[test]
    fn lrn_gradients() {
        // Large α so the cross-channel term is a sizeable part of the gradient.
        check_layer_grads::<Shape3<U7, U3, U2>, _>(
            &mut LocalResponseNorm::<U5>::new(0.8, 0.75, 1.0),
            2,
            1,
        );
        check_layer_grads::<Shape3<U5, U2, U3>, _>(
            &mut LocalResponseNorm::<U3>::new(0.5, 0.6, 2.0),
            3,
            2,
        );
        // even size: asymmetric window
        check_layer_grads::<Shape3<U6, U3, U3>, _>(
            &mut LocalResponseNorm::<U4>::new(0.9, 0.9, 1.5),
            2,
            3,
        );
        // window wider than the channels; size 1
        check_layer_grads::<Shape3<U3, U2, U2>, _>(
            &mut LocalResponseNorm::<U7>::new(0.4, 0.75, 1.0),
            3,
            4,
        );
        check_layer_grads::<Shape3<U4, U1, U3>, _>(
            &mut LocalResponseNorm::<U1>::new(0.7, 0.5, 1.0),
            2,
            5,
        );
    }

    #[test]
    fn shape_and_defaults() {
        fn same<S: Shape, L: Layer<S, Out = S>>(_: &L) {}
        same::<Shape3<U96, U55, U55>, _>(&LocalResponseNorm::<U5>::default());
        let d = new_boxed::<LocalResponseNorm<U5>>(0);
        assert_eq!((d.alpha, d.beta, d.k), (1e-4, 0.75, 1.0));
        let mut own = LocalResponseNorm::<U5>::new(2e-4, 0.5, 2.0);
        own.init(&mut Rng::new(0));
        assert_eq!(
            (own.alpha, own.beta, own.k),
            (2e-4, 0.5, 2.0),
            "init keeps given values"
        );
    }

    #[test]
    fn lrn_matches_pytorch() {
        fn go<S: Shape, L: Train<S, Out = S, Grad = ()>>(name: &str, mut l: L) {
            let fx = fixture(name);
            let (y, dx, _) = run_train::<S, L>(&mut l, fx.get("x"), fx.get("dy"));
            assert_close(&format!("{name} y"), &y, fx.get("y"), 1e-5);
            assert_close(&format!("{name} dx"), &dx, fx.get("dx"), 1e-5);
            let mut yi = vec![0.0; y.len()];
            for (xs, ys) in fx
                .get("x")
                .chunks_exact(S::NUMEL)
                .zip(yi.chunks_exact_mut(S::NUMEL))
            {
                l.infer(xs, ys, &mut []);
            }
            assert_close(&format!("{name} infer"), &yi, fx.get("y"), 1e-5);
        }
        go::<Shape3<U7, U3, U4>, _>("lrn5", *new_boxed::<LocalResponseNorm<U5>>(0));
        go::<Shape3<U5, U3, U3>, _>("lrn3", LocalResponseNorm::<U3>::new(0.3, 0.6, 2.0));
        go::<Shape3<U6, U2, U3>, _>("lrn4", LocalResponseNorm::<U4>::new(0.5, 0.9, 1.5));
        go::<Shape3<U3, U2, U2>, _>("lrn7_wide", LocalResponseNorm::<U7>::new(0.2, 0.75, 1.0));
    }
}

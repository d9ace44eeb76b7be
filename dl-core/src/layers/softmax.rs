//! Softmax over the class axis: the features of a `[N]` vector, or the channels of each pixel of
//! a `[C, H, W]` map (PyTorch's `softmax(dim=1)` on NCHW). Numerically stable: the maximum is
//! subtracted before `exp`, so any finite logits give finite probabilities.
use crate::layer::Layer;
use crate::math;
use crate::shape::{Shape, Shape1, Shape3};
use generic_array::ArrayLength;

/// A shape with a class axis: `CLASSES` values per position, `PLANE` positions. A sample is
/// laid out `[CLASSES, PLANE]`, so class `k` of position `p` is element `k·PLANE + p`.
pub trait ClassAxis: Shape {
    /// Length of the class axis (features of `[N]`, channels of `[C, H, W]`).
    const CLASSES: usize;
    /// Positions that each get their own distribution (1 for `[N]`, `H·W` for `[C, H, W]`).
    const PLANE: usize;
}
impl<N: ArrayLength + 'static> ClassAxis for Shape1<N> {
    const CLASSES: usize = N::USIZE;
    const PLANE: usize = 1;
}
impl<C, H, W> ClassAxis for Shape3<C, H, W>
where
    Shape3<C, H, W>: Shape,
{
    const CLASSES: usize = <Self as Shape>::DIMS[0];
    const PLANE: usize = <Self as Shape>::DIMS[1] * <Self as Shape>::DIMS[2];
}

/// One sample `x[K, P]`: `m[p] = max_k x[k, p]` and `y[k, p] = e^(x[k, p] − m[p])`.
/// Walks whole rows of `P` so the inner loops are contiguous.
pub(crate) fn exp_shifted(x: &[f32], y: &mut [f32], m: &mut [f32]) {
    let p = m.len();
    m.copy_from_slice(&x[..p]);
    for row in x.chunks_exact(p).skip(1) {
        for (mi, &v) in m.iter_mut().zip(row) {
            *mi = mi.max(v);
        }
    }
    for (yr, xr) in y.chunks_exact_mut(p).zip(x.chunks_exact(p)) {
        for ((o, &v), &mi) in yr.iter_mut().zip(xr).zip(m.iter()) {
            *o = math::exp(v - mi);
        }
    }
}

/// Divides each position of `y[K, P]` by its sum over `K`, left in `s[p]` (each sum is ≥ 1
/// after [`exp_shifted`], since the maximum contributes `e^0`).
pub(crate) fn normalise(y: &mut [f32], s: &mut [f32]) {
    let p = s.len();
    s.fill(0.0);
    for row in y.chunks_exact(p) {
        for (si, &v) in s.iter_mut().zip(row) {
            *si += v;
        }
    }
    for row in y.chunks_exact_mut(p) {
        for (o, &si) in row.iter_mut().zip(s.iter()) {
            *o /= si;
        }
    }
}

/// `y = softmax(x)` over the class axis; `tmp` holds `PLANE` values.
fn softmax_one(x: &[f32], y: &mut [f32], tmp: &mut [f32]) {
    exp_shifted(x, y, tmp);
    normalise(y, tmp);
}

/// `dx[k, p] = y[k, p]·(dy[k, p] − Σ_j y[j, p]·dy[j, p])`, the exact softmax Jacobian product.
#[cfg(feature = "alloc")]
fn softmax_back_one(y: &[f32], dy: &[f32], dx: &mut [f32], dot: &mut [f32]) {
    let p = dot.len();
    dot.fill(0.0);
    for (yr, dr) in y.chunks_exact(p).zip(dy.chunks_exact(p)) {
        for ((d, &a), &b) in dot.iter_mut().zip(yr).zip(dr) {
            *d += a * b;
        }
    }
    for ((xr, yr), dr) in dx
        .chunks_exact_mut(p)
        .zip(y.chunks_exact(p))
        .zip(dy.chunks_exact(p))
    {
        for (((o, &a), &b), &d) in xr.iter_mut().zip(yr).zip(dr).zip(dot.iter()) {
            *o = a * (b - d);
        }
    }
}

/// Softmax over the class axis ([`ClassAxis`]): features of `[N]`, channels of `[C, H, W]`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Softmax;
crate::__stateless_module!(Softmax);

impl<S: ClassAxis> Layer<S> for Softmax {
    type Out = S;
    /// One value per position for the running maximum, then the sum (none for a vector).
    const SCRATCH: usize = if S::PLANE == 1 { 0 } else { S::PLANE };
    fn infer(&self, x: &[f32], y: &mut [f32], scratch: &mut [f32]) {
        let mut one = [0.0f32];
        let tmp = if S::PLANE == 1 {
            &mut one[..]
        } else {
            &mut scratch[..S::PLANE]
        };
        softmax_one(&x[..S::NUMEL], &mut y[..S::NUMEL], tmp);
    }
}

#[cfg(feature = "alloc")]
impl<S: ClassAxis> crate::layer::Train<S> for Softmax {
    type Grad = ();
    /// One value per position, reused across steps.
    type Cache = alloc::vec::Vec<f32>;
    fn forward_train(
        &mut self,
        x: &crate::Batch<S>,
        y: &mut crate::Batch<S>,
        tmp: &mut Self::Cache,
    ) {
        y.resize(x.len());
        tmp.resize(S::PLANE, 0.0);
        for (xi, yi) in x
            .as_slice()
            .chunks_exact(S::NUMEL)
            .zip(y.as_mut_slice().chunks_exact_mut(S::NUMEL))
        {
            softmax_one(xi, yi, tmp);
        }
    }
    fn backward(
        &self,
        _x: &crate::Batch<S>,
        y: &crate::Batch<S>,
        dy: &crate::Batch<S>,
        dx: &mut crate::Batch<S>,
        tmp: &mut Self::Cache,
        _g: &mut (),
    ) {
        dx.resize(y.len());
        tmp.resize(S::PLANE, 0.0);
        let n = S::NUMEL;
        let pairs = y
            .as_slice()
            .chunks_exact(n)
            .zip(dy.as_slice().chunks_exact(n));
        for (dxi, (yi, dyi)) in dx.as_mut_slice().chunks_exact_mut(n).zip(pairs) {
            softmax_back_one(yi, dyi, dxi, tmp);
        }
    }
    fn visit_with_grad(&mut self, _g: &(), _f: &mut dyn FnMut(&mut [f32], &[f32])) {}
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::testing::{assert_close, check_layer_grads, fixture, run_train};
    use typenum::consts::*;

    #[test]
    fn gradients_on_several_shapes() {
        check_layer_grads::<Shape1<U7>, _>(&mut Softmax, 3, 1);
        check_layer_grads::<Shape1<U1>, _>(&mut Softmax, 2, 2);
        check_layer_grads::<Shape3<U4, U3, U5>, _>(&mut Softmax, 2, 3);
        check_layer_grads::<Shape3<U3, U1, U1>, _>(&mut Softmax, 4, 4);
    }

    #[test]
    fn shape_and_scratch() {
        fn out<In: Shape, L: Layer<In, Out = In>>(_: &L) -> usize {
            L::SCRATCH
        }
        assert_eq!(out::<Shape1<U10>, _>(&Softmax), 0);
        assert_eq!(out::<Shape3<U21, U4, U6>, _>(&Softmax), 24);
    }

    #[test]
    fn stable_on_large_logits_and_sums_to_one_per_pixel() {
        // [2, 1, 3]: pixel 0 has logits (1e4, −1e4), pixel 1 (1e4, 1e4), pixel 2 (−1e4, 1e4 − 1).
        let x = [1e4, 1e4, -1e4, -1e4, 1e4, 1e4 - 1.0];
        let mut y = [0.0; 6];
        let mut scratch = [0.0; 3];
        <Softmax as Layer<Shape3<U2, U1, U3>>>::infer(&Softmax, &x, &mut y, &mut scratch);
        let want = [1.0, 0.5, 0.0, 0.0, 0.5, 1.0];
        assert_close("large logits", &y, &want, 1e-6);
        let mut v = [0.0; 3];
        <Softmax as Layer<Shape1<U3>>>::infer(&Softmax, &[1e4, 1e4 - 1.0, -1e4], &mut v, &mut []);
        let e = (-1.0f32).exp();
        assert_close("vector", &v, &[1.0 / (1.0 + e), e / (1.0 + e), 0.0], 1e-6);
    }

    #[test]
    fn matches_pytorch() {
        let fx = fixture("softmax_vec");
        let (y, dx, _) = run_train::<Shape1<U7>, _>(&mut Softmax, fx.get("x"), fx.get("dy"));
        assert_close("softmax_vec y", &y, fx.get("y"), 1e-5);
        assert_close("softmax_vec dx", &dx, fx.get("dx"), 1e-5);
        let fx = fixture("softmax_pixel");
        let (y, dx, _) =
            run_train::<Shape3<U4, U3, U5>, _>(&mut Softmax, fx.get("x"), fx.get("dy"));
        assert_close("softmax_pixel y", &y, fx.get("y"), 1e-5);
        assert_close("softmax_pixel dx", &dx, fx.get("dx"), 1e-5);
    }
}

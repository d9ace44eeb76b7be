//! 2-D convolution (`nn.Conv2d`): stride, padding, dilation; im2col + sgemm per sample, with the
//! bias fused into the product (the output starts as the bias and the gemm accumulates).
use crate::check::{ChannelsMatch, KernelFitsInput};
use crate::kernels::im2col::{col2im, im2col, Geom};
use crate::kernels::{gemm, par};
use crate::layer::{Layer, Module, Zeroable};
use crate::rng::Rng;
use crate::shape::{ConvDim, ConvOut, Shape, Shape3};
use core::marker::PhantomData;
use core::ops::Mul;
use generic_array::{ArrayLength, GenericArray};
use typenum::{Eq, IsEqual, Prod, Unsigned};

/// `O` filters of `I` channels, `K×K`: carries the weight length `O·I·K·K` once.
pub trait Filters<I, K>: ArrayLength {
    /// `O·I·K·K` as a type.
    type W: ArrayLength;
}
impl<I, K, O> Filters<I, K> for O
where
    O: ArrayLength + Mul<Prod<I, Prod<K, K>>>,
    I: Mul<Prod<K, K>>,
    K: Mul<K>,
    Prod<O, Prod<I, Prod<K, K>>>: ArrayLength,
{
    type W = Prod<O, Prod<I, Prod<K, K>>>;
}

/// `Conv2d<I, O, K, S = 1, P = 0, D = 1>`: PyTorch's `nn.Conv2d(I, O, K, stride=S, padding=P,
/// dilation=D)`, square kernel, weight `[O, I, K, K]`, bias `[O]`.
pub struct Conv2d<I, O: Filters<I, K>, K, S = typenum::U1, P = typenum::U0, D = typenum::U1> {
    /// `[O, I, K, K]`.
    pub weight: GenericArray<f32, O::W>,
    /// `[O]`.
    pub bias: GenericArray<f32, O>,
    _hyper: PhantomData<fn() -> (I, S, P, D)>,
}

// SAFETY: two f32 arrays and a marker.
unsafe impl<I, O: Filters<I, K>, K, S, P, D> Zeroable for Conv2d<I, O, K, S, P, D> {}

impl<I: Unsigned, O: Filters<I, K>, K: Unsigned, S, P, D> Module for Conv2d<I, O, K, S, P, D> {
    const PARAMS: usize = O::USIZE * I::USIZE * K::USIZE * K::USIZE + O::USIZE;
    /// PyTorch's default: `U(−1/√fan_in, 1/√fan_in)`, `fan_in = I·K·K`.
    fn init(&mut self, rng: &mut Rng) {
        let b = 1.0 / crate::math::sqrt((I::USIZE * K::USIZE * K::USIZE) as f32);
        self.weight
            .iter_mut()
            .for_each(|w| *w = rng.uniform_in(-b, b));
        self.bias
            .iter_mut()
            .for_each(|w| *w = rng.uniform_in(-b, b));
    }
    fn visit(&self, f: &mut dyn FnMut(&[f32])) {
        f(&self.weight);
        f(&self.bias);
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&mut [f32])) {
        f(&mut self.weight);
        f(&mut self.bias);
    }
}

impl<I: Unsigned, O: Filters<I, K>, K: Unsigned, S: Unsigned, P: Unsigned, D: Unsigned>
    Conv2d<I, O, K, S, P, D>
{
    fn geom(h: usize, w: usize, oh: usize, ow: usize) -> Geom {
        Geom {
            c: I::USIZE,
            h,
            w,
            k: K::USIZE,
            s: S::USIZE,
            p: P::USIZE,
            d: D::USIZE,
            oh,
            ow,
        }
    }
    /// One sample: `y[O, H'W'] = bias + W[O, CKK] · cols[CKK, H'W']`.
    fn forward_one(&self, g: &Geom, x: &[f32], y: &mut [f32], cols: &mut [f32]) {
        let m = g.cols();
        for (yo, &b) in y[..O::USIZE * m].chunks_exact_mut(m).zip(self.bias.iter()) {
            yo.fill(b);
        }
        let cols: &[f32] = if g.is_identity() {
            x
        } else {
            im2col(g, x, cols);
            cols
        };
        gemm::nn(O::USIZE, g.rows(), m, &self.weight, cols, 1.0, y);
    }
}

/// Shorthand for the output shape of `Conv2d<_, O, K, S, P, D>` on `[_, H, W]`.
pub type Conv2dOut<O, H, W, K, S, P, D> = Shape3<O, ConvOut<H, K, S, P, D>, ConvOut<W, K, S, P, D>>;

impl<C, H, W, I, O, K, S, P, D> Layer<Shape3<C, H, W>> for Conv2d<I, O, K, S, P, D>
where
    Shape3<C, H, W>: Shape,
    C: IsEqual<I>,
    Eq<C, I>: ChannelsMatch,
    H: ConvDim<K, S, P, D>,
    W: ConvDim<K, S, P, D>,
    <H as ConvDim<K, S, P, D>>::Fits: KernelFitsInput,
    <W as ConvDim<K, S, P, D>>::Fits: KernelFitsInput,
    Conv2dOut<O, H, W, K, S, P, D>: Shape,
    I: Unsigned,
    O: Filters<I, K>,
    K: Unsigned,
    S: Unsigned,
    P: Unsigned,
    D: Unsigned,
{
    type Out = Conv2dOut<O, H, W, K, S, P, D>;
    const SCRATCH: usize = {
        let [_, h, w] = <Self::Out as Shape>::DIMS;
        if K::USIZE == 1 && S::USIZE == 1 && P::USIZE == 0 {
            0
        } else {
            I::USIZE * K::USIZE * K::USIZE * h * w
        }
    };
    fn infer(&self, x: &[f32], y: &mut [f32], scratch: &mut [f32]) {
        let [_, h, w] = <Shape3<C, H, W>>::DIMS;
        let [_, oh, ow] = <Self::Out as Shape>::DIMS;
        self.forward_one(&Self::geom(h, w, oh, ow), x, y, scratch);
    }
}

/// Per-thread buffers of a convolution's backward pass, kept across steps.
#[cfg(feature = "alloc")]
#[derive(Default)]
pub struct ConvCache {
    pieces: alloc::vec::Vec<ConvWork>,
}
#[cfg(feature = "alloc")]
#[derive(Default)]
struct ConvWork {
    cols: alloc::vec::Vec<f32>,
    dcols: alloc::vec::Vec<f32>,
    dw: alloc::vec::Vec<f32>,
    db: alloc::vec::Vec<f32>,
}

#[cfg(feature = "alloc")]
impl<C, H, W, I, O, K, S, P, D> crate::layer::Train<Shape3<C, H, W>> for Conv2d<I, O, K, S, P, D>
where
    Self: Layer<Shape3<C, H, W>> + Send + Sync,
    Shape3<C, H, W>: Shape,
    I: Unsigned,
    O: Filters<I, K>,
    K: Unsigned,
    S: Unsigned,
    P: Unsigned,
    D: Unsigned,
{
    type Grad = Self;
    type Cache = ConvCache;
    fn forward_train(
        &mut self,
        x: &crate::Batch<Shape3<C, H, W>>,
        y: &mut crate::Batch<Self::Out>,
        _c: &mut ConvCache,
    ) {
        let n = x.len();
        y.resize(n);
        let [_, h, w] = <Shape3<C, H, W>>::DIMS;
        let [_, oh, ow] = <Self::Out as Shape>::DIMS;
        let g = Self::geom(h, w, oh, ow);
        let (xn, yn) = (<Shape3<C, H, W>>::NUMEL, <Self::Out as Shape>::NUMEL);
        let this = &*self;
        par::for_chunks(n, y.as_mut_slice(), yn, |start, ys| {
            let mut cols =
                alloc::vec![0.0f32; if g.is_identity() { 0 } else { g.rows() * g.cols() }];
            for (i, yi) in ys.chunks_exact_mut(yn).enumerate() {
                let xi = &x.as_slice()[(start + i) * xn..(start + i + 1) * xn];
                this.forward_one(&g, xi, yi, &mut cols);
            }
        });
    }
    fn backward(
        &self,
        x: &crate::Batch<Shape3<C, H, W>>,
        _y: &crate::Batch<Self::Out>,
        dy: &crate::Batch<Self::Out>,
        dx: &mut crate::Batch<Shape3<C, H, W>>,
        cache: &mut ConvCache,
        grad: &mut Self,
    ) {
        let n = x.len();
        dx.resize(n);
        let [_, h, w] = <Shape3<C, H, W>>::DIMS;
        let [_, oh, ow] = <Self::Out as Shape>::DIMS;
        let g = Self::geom(h, w, oh, ow);
        let (xn, yn, m, r) = (
            <Shape3<C, H, W>>::NUMEL,
            <Self::Out as Shape>::NUMEL,
            g.cols(),
            g.rows(),
        );
        let pieces = par::pieces(n, yn * r);
        cache.pieces.resize_with(pieces, ConvWork::default);
        for wk in cache.pieces.iter_mut() {
            wk.cols.resize(r * m, 0.0);
            wk.dcols.resize(r * m, 0.0);
            wk.dw.clear();
            wk.dw.resize(self.weight.len(), 0.0);
            wk.db.clear();
            wk.db.resize(O::USIZE, 0.0);
        }
        let per = n.div_ceil(pieces.max(1)).max(1);
        let run = |wk: &mut ConvWork, start: usize, dxs: &mut [f32]| {
            for (i, dxi) in dxs.chunks_exact_mut(xn).enumerate() {
                let s = start + i;
                let xi = &x.as_slice()[s * xn..(s + 1) * xn];
                let dyi = &dy.as_slice()[s * yn..(s + 1) * yn];
                let cols: &[f32] = if g.is_identity() {
                    xi
                } else {
                    im2col(&g, xi, &mut wk.cols);
                    &wk.cols
                };
                // dW[O, CKK] += dY[O, M] · colsᵀ ; db += Σ_M dY
                gemm::nt(O::USIZE, m, r, dyi, cols, 1.0, &mut wk.dw);
                for (b, row) in wk.db.iter_mut().zip(dyi.chunks_exact(m)) {
                    *b += row.iter().sum::<f32>();
                }
                // dcols[CKK, M] = Wᵀ · dY
                if g.is_identity() {
                    gemm::tn(r, O::USIZE, m, &self.weight, dyi, 0.0, dxi);
                } else {
                    gemm::tn(r, O::USIZE, m, &self.weight, dyi, 0.0, &mut wk.dcols);
                    dxi.fill(0.0);
                    col2im(&g, &wk.dcols, dxi);
                }
            }
        };
        #[cfg(feature = "std")]
        std::thread::scope(|sc| {
            let mut rest = dx.as_mut_slice();
            let run = &run;
            for (p, wk) in cache.pieces.iter_mut().enumerate() {
                let start = p * per;
                let take = per.min(n.saturating_sub(start));
                let (head, tail) = core::mem::take(&mut rest).split_at_mut(take * xn);
                rest = tail;
                if p + 1 == pieces {
                    run(wk, start, head);
                } else {
                    sc.spawn(move || run(wk, start, head));
                }
            }
        });
        #[cfg(not(feature = "std"))]
        run(&mut cache.pieces[0], 0, dx.as_mut_slice());
        for wk in &cache.pieces {
            for (a, b) in grad.weight.iter_mut().zip(&wk.dw) {
                *a += b;
            }
            for (a, b) in grad.bias.iter_mut().zip(&wk.db) {
                *a += b;
            }
        }
    }
    fn visit_with_grad(&mut self, g: &Self, f: &mut dyn FnMut(&mut [f32], &[f32])) {
        f(&mut self.weight, &g.weight);
        f(&mut self.bias, &g.bias);
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::layer::new_boxed;
    use crate::testing::{assert_close, check_layer_grads, fixture, load_params, run_train};
    use typenum::consts::*;

    #[test]
    fn gradients_on_several_shapes() {
        // odd sizes, padding
        check_layer_grads::<Shape3<U2, U5, U7>, _>(
            &mut *new_boxed::<Conv2d<U2, U3, U3, U1, U1>>(1),
            2,
            1,
        );
        // stride 2
        check_layer_grads::<Shape3<U3, U7, U6>, _>(
            &mut *new_boxed::<Conv2d<U3, U2, U3, U2, U1>>(2),
            3,
            2,
        );
        // dilation 2
        check_layer_grads::<Shape3<U2, U9, U8>, _>(
            &mut *new_boxed::<Conv2d<U2, U2, U3, U1, U2, U2>>(3),
            2,
            3,
        );
        // 1×1 (Network-in-Network)
        check_layer_grads::<Shape3<U4, U3, U3>, _>(&mut *new_boxed::<Conv2d<U4, U5, U1>>(4), 2, 4);
    }

    #[test]
    fn lecture_example_shape() {
        // 5×5×3 input, 3×3 kernel, 2 filters, pad 1, stride 2 → 3×3×2
        fn out<L: Layer<Shape3<U3, U5, U5>, Out = Shape3<U2, U3, U3>>>(_: &L) {}
        out(&*new_boxed::<Conv2d<U3, U2, U3, U2, U1>>(0));
    }

    #[test]
    fn matches_pytorch() {
        for (name, case) in [
            ("conv_s1p1", 0),
            ("conv_s2p1", 1),
            ("conv_d2", 2),
            ("conv_1x1", 3),
        ] {
            let fx = fixture(name);
            macro_rules! go {
                ($in:ty, $l:ty) => {{
                    let mut l = new_boxed::<$l>(0);
                    load_params(&mut *l, &fx, &["weight", "bias"]);
                    let (y, dx, g) = run_train::<$in, _>(&mut *l, fx.get("x"), fx.get("dy"));
                    assert_close(&format!("{name} y"), &y, fx.get("y"), 1e-4);
                    assert_close(&format!("{name} dx"), &dx, fx.get("dx"), 1e-4);
                    assert_close(
                        &format!("{name} dweight"),
                        &g.weight,
                        fx.get("dweight"),
                        1e-4,
                    );
                    assert_close(&format!("{name} dbias"), &g.bias, fx.get("dbias"), 1e-4);
                }};
            }
            match case {
                0 => go!(Shape3<U3, U5, U7>, Conv2d<U3, U4, U3, U1, U1>),
                1 => go!(Shape3<U3, U7, U6>, Conv2d<U3, U4, U3, U2, U1>),
                2 => go!(Shape3<U2, U9, U8>, Conv2d<U2, U3, U3, U1, U2, U2>),
                _ => go!(Shape3<U4, U3, U5>, Conv2d<U4, U2, U1>),
            }
        }
    }
}

//! Transposed 2-D convolution (`nn.ConvTranspose2d`, the up-convolution of FCN).
//!
//! `ConvTranspose2d` is the adjoint of the convolution whose geometry maps its *output*
//! `[O, H', W']` onto its input grid `[H, W]` (kernel `K`, stride `S`, padding `P`, dilation `D`).
//! So forward is that convolution's backward — `cols = Wᵀ·x`, then col2im into the output — and
//! the input gradient is its forward — im2col of `dy`, then `W·cols`. The column geometry is given
//! the true sizes: with output padding the output has rows no input pixel reaches (bias only),
//! which the convolution formula would not produce.
use crate::check::{
    ConvTranspose2dChannelsMatch, DilationNonZero, KernelSizeNonZero, OutputPaddingFits,
    StrideNonZero, UpConvHasOutput,
};
use crate::kernels::gemm;
use crate::kernels::im2col::{col2im, Geom};
#[cfg(feature = "alloc")]
use crate::kernels::{im2col::im2col, par};
use crate::layer::{Layer, Module, Zeroable};
use crate::layers::conv::{Bias, ConvBias, Filters};
use crate::rng::Rng;
use crate::shape::{Shape, Shape3, UpConvDim, UpConvOut};
use crate::shown::{Dec, Decimal, IfZero, ZeroShown};
use crate::shown::{ShownBit, Verdict};
use core::marker::PhantomData;
use generic_array::{ArrayLength, GenericArray};
use typenum::{IsLess, Le, Max, Maximum, Unsigned};

/// PyTorch's rule for output padding, `OP < max(S, D)`, as a type ([`OutputPadding::Fits`]).
pub trait OutputPadding<S, D> {
    /// `B1` when `OP < max(S, D)`.
    type Fits;
}
impl<OP, S: Max<D>, D> OutputPadding<S, D> for OP
where
    OP: IsLess<Maximum<S, D>>,
{
    type Fits = Le<OP, Maximum<S, D>>;
}

type Hyper<T> = PhantomData<fn() -> T>;

/// `ConvTranspose2d<I, O, K, S = 1, P = 0, D = 1, OP = 0, B = Bias>`: PyTorch's
/// `nn.ConvTranspose2d(I, O, K, stride=S, padding=P, output_padding=OP, dilation=D, bias=…)`,
/// square kernel, weight `[I, O, K, K]` (PyTorch's layout), bias `[O]` with [`Bias`] or none with
/// [`crate::layers::conv::NoBias`]. Output size `(H−1)·S − 2P + D·(K−1) + 1 + OP`.
#[repr(C)]
pub struct ConvTranspose2d<
    I: Filters<O, K>,
    O: ArrayLength,
    K,
    S = typenum::U1,
    P = typenum::U0,
    D = typenum::U1,
    OP = typenum::U0,
    B: ConvBias<O> = Bias,
> {
    /// `[I, O, K, K]`.
    pub weight: GenericArray<f32, I::W>,
    /// `[O]`, or empty without a bias.
    pub bias: GenericArray<f32, B::Len>,
    _hyper: Hyper<(K, S, P, D, OP, B)>,
}

// SAFETY: two f32 arrays (the bias possibly empty) and a marker.
unsafe impl<I: Filters<O, K>, O: ArrayLength, K, S, P, D, OP, B: ConvBias<O>> Zeroable
    for ConvTranspose2d<I, O, K, S, P, D, OP, B>
{
}
// SAFETY: `#[repr(C)]`, two f32 arrays and a marker.
unsafe impl<I: Filters<O, K>, O: ArrayLength, K, S, P, D, OP, B: ConvBias<O>> crate::layer::Pod
    for ConvTranspose2d<I, O, K, S, P, D, OP, B>
{
}

impl<I: Filters<O, K>, O: ArrayLength, K: Unsigned, S, P, D, OP, B: ConvBias<O>> Module
    for ConvTranspose2d<I, O, K, S, P, D, OP, B>
{
    const PARAMS: usize = I::USIZE * O::USIZE * K::USIZE * K::USIZE + B::Len::USIZE;
    /// PyTorch's default: `U(−1/√fan_in, 1/√fan_in)` with `fan_in = weight.size(1)·K·K = O·K·K`.
    fn init(&mut self, rng: &mut Rng) {
        let b = 1.0 / crate::math::sqrt((O::USIZE * K::USIZE * K::USIZE) as f32);
        self.weight
            .iter_mut()
            .for_each(|w| *w = rng.uniform_in(-b, b));
        self.bias
            .iter_mut()
            .for_each(|w| *w = rng.uniform_in(-b, b));
    }
    fn visit(&self, f: &mut dyn FnMut(&[f32])) {
        f(&self.weight);
        if B::Len::USIZE > 0 {
            f(&self.bias);
        }
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&mut [f32])) {
        f(&mut self.weight);
        if B::Len::USIZE > 0 {
            f(&mut self.bias);
        }
    }
}

impl<I, O, K, S, P, D, OP, B> ConvTranspose2d<I, O, K, S, P, D, OP, B>
where
    I: Filters<O, K>,
    O: ArrayLength,
    K: Unsigned,
    S: Unsigned,
    P: Unsigned,
    D: Unsigned,
    OP: Unsigned,
    B: ConvBias<O>,
{
    /// `true` when the column matrix is the output itself (1×1, stride 1, no padding at all).
    const DIRECT: bool = K::USIZE == 1 && S::USIZE == 1 && P::USIZE == 0 && OP::USIZE == 0;

    /// Floats `forward_one` needs for an input of `hw` pixels: the column matrix (unless
    /// direct) and the gemm's packing space, so inference never allocates.
    const fn forward_scratch(hw: usize) -> usize {
        let m = if Self::DIRECT {
            O::USIZE
        } else {
            O::USIZE * K::USIZE * K::USIZE
        };
        let cols = if Self::DIRECT { 0 } else { m * hw };
        cols + gemm::ws_len(m, hw, I::USIZE, gemm::packs_b(hw, 1))
    }

    /// The convolution taking the output `[O, oh, ow]` to the input grid `[h, w]`.
    fn geom(h: usize, w: usize, oh: usize, ow: usize) -> Geom {
        let (k, s, p, d) = (K::USIZE, S::USIZE, P::USIZE, D::USIZE);
        // the output padding (extra rows/columns at the bottom/right) is in `oh`, `ow`
        Geom {
            c: O::USIZE,
            h: oh,
            w: ow,
            kh: k,
            kw: k,
            sh: s,
            sw: s,
            pt: p,
            pb: p,
            pl: p,
            pr: p,
            dh: d,
            dw: d,
            oh: h,
            ow: w,
        }
    }

    /// One sample: `cols[OKK, HW] = Wᵀ[OKK, I] · x[I, HW]`, `y[O, H'W'] = bias + col2im(cols)`.
    /// `scratch` holds [`Self::forward_scratch`] floats.
    fn forward_one(&self, g: &Geom, x: &[f32], y: &mut [f32], scratch: &mut [f32]) {
        let m = g.h * g.w;
        for (oc, yo) in y[..O::USIZE * m].chunks_exact_mut(m).enumerate() {
            yo.fill(self.bias.get(oc).copied().unwrap_or(0.0));
        }
        let hw = g.cols();
        let rows = if Self::DIRECT { O::USIZE } else { g.rows() };
        // Wᵀ: the weight [I, rows] read transposed; x: [I, hw] row-major.
        let (a, b) = (gemm::Mat::t(&self.weight, rows), gemm::Mat::rows(x, hw));
        let (lhs, rhs) = (gemm::Lhs::Mat(a), gemm::Rhs::Mat(b));
        if Self::DIRECT {
            gemm::gemm(rows, hw, I::USIZE, lhs, rhs, 1.0, y, hw, scratch);
        } else {
            let (cols, ws) = scratch.split_at_mut(rows * hw);
            gemm::gemm(rows, hw, I::USIZE, lhs, rhs, 0.0, cols, hw, ws);
            col2im(g, cols, y);
        }
    }

    /// One sample's backward: `dcols = im2col(dy)`, `dx = W·dcols`, `dW += x·dcolsᵀ`,
    /// `db += Σ dy` (nothing when `db` is empty: no bias).
    #[cfg(feature = "alloc")]
    fn backward_one(&self, g: &Geom, x: &[f32], dy: &[f32], dx: &mut [f32], wk: &mut Work) {
        let (r, m) = (g.rows(), g.cols());
        let dcols: &[f32] = if Self::DIRECT {
            dy
        } else {
            im2col(g, dy, &mut wk.cols);
            &wk.cols
        };
        gemm::nn(I::USIZE, r, m, &self.weight, dcols, 0.0, dx);
        gemm::nt(I::USIZE, m, r, x, dcols, 1.0, &mut wk.dw);
        for (b, row) in wk.db.iter_mut().zip(dy.chunks_exact(g.h * g.w)) {
            *b += row.iter().sum::<f32>();
        }
    }
}

/// Shorthand for the output shape of `ConvTranspose2d<_, O, K, S, P, D, OP>` on `[_, H, W]`.
pub type ConvTranspose2dOut<O, H, W, K, S, P, D, OP> =
    Shape3<O, UpConvOut<H, K, S, P, D, OP>, UpConvOut<W, K, S, P, D, OP>>;

impl<C, H, W, I, O, K, S, P, D, OP, B> Layer<Shape3<C, H, W>>
    for ConvTranspose2d<I, O, K, S, P, D, OP, B>
where
    Shape3<C, H, W>: Shape,
    C: Decimal,
    I: Decimal,
    Dec<C>: ConvTranspose2dChannelsMatch<Dec<I>>,
    H: UpConvDim<K, S, P, D, OP>,
    W: UpConvDim<K, S, P, D, OP>,
    P: Decimal,
    <H as UpConvDim<K, S, P, D, OP>>::Full: Decimal,
    <W as UpConvDim<K, S, P, D, OP>>::Full: Decimal,
    <H as UpConvDim<K, S, P, D, OP>>::Fits: ShownBit,
    Verdict<<H as UpConvDim<K, S, P, D, OP>>::Fits>:
        UpConvHasOutput<Dec<P>, Dec<<H as UpConvDim<K, S, P, D, OP>>::Full>>,
    <W as UpConvDim<K, S, P, D, OP>>::Fits: ShownBit,
    Verdict<<W as UpConvDim<K, S, P, D, OP>>::Fits>:
        UpConvHasOutput<Dec<P>, Dec<<W as UpConvDim<K, S, P, D, OP>>::Full>>,
    OP: OutputPadding<S, D> + Unsigned + Decimal,
    <OP as OutputPadding<S, D>>::Fits: ShownBit,
    Verdict<<OP as OutputPadding<S, D>>::Fits>: OutputPaddingFits<Dec<OP>, Dec<S>, Dec<D>>,
    ConvTranspose2dOut<O, H, W, K, S, P, D, OP>: Shape,
    I: Filters<O, K>,
    O: ArrayLength,
    K: Unsigned + ZeroShown,
    IfZero<K>: KernelSizeNonZero,
    S: Unsigned + Decimal + ZeroShown,
    IfZero<S>: StrideNonZero,
    P: Unsigned,
    D: Unsigned + Decimal + ZeroShown,
    IfZero<D>: DilationNonZero,
    B: ConvBias<O>,
{
    type Out = ConvTranspose2dOut<O, H, W, K, S, P, D, OP>;
    const SCRATCH: usize = {
        let [_, h, w] = <Shape3<C, H, W>>::DIMS;
        Self::forward_scratch(h * w)
    };
    fn infer(&self, x: &[f32], y: &mut [f32], scratch: &mut [f32]) {
        let [_, h, w] = <Shape3<C, H, W>>::DIMS;
        let [_, oh, ow] = <Self::Out as Shape>::DIMS;
        self.forward_one(&Self::geom(h, w, oh, ow), x, y, scratch);
    }
}

/// Per-thread buffers of a transposed convolution, kept across steps.
#[cfg(feature = "alloc")]
#[derive(Default)]
pub struct ConvTransposeCache {
    pieces: alloc::vec::Vec<Work>,
}
#[cfg(feature = "alloc")]
#[derive(Default)]
struct Work {
    /// Column matrix `[O·K·K, H·W]`: forward's `cols`, backward's `dcols`.
    cols: alloc::vec::Vec<f32>,
    dw: alloc::vec::Vec<f32>,
    db: alloc::vec::Vec<f32>,
}

#[cfg(feature = "alloc")]
impl<C, H, W, I, O, K, S, P, D, OP, B> crate::layer::Train<Shape3<C, H, W>>
    for ConvTranspose2d<I, O, K, S, P, D, OP, B>
where
    Self: Layer<Shape3<C, H, W>> + Send + Sync,
    Shape3<C, H, W>: Shape,
    I: Filters<O, K>,
    O: ArrayLength,
    K: Unsigned,
    S: Unsigned,
    P: Unsigned,
    D: Unsigned,
    OP: Unsigned,
    B: ConvBias<O>,
{
    type Grad = Self;
    type Cache = ConvTransposeCache;
    fn forward_train(
        &mut self,
        x: &crate::Batch<Shape3<C, H, W>>,
        y: &mut crate::Batch<Self::Out>,
        cache: &mut ConvTransposeCache,
    ) {
        let n = x.len();
        y.resize(n);
        let [_, h, w] = <Shape3<C, H, W>>::DIMS;
        let [_, oh, ow] = <Self::Out as Shape>::DIMS;
        let g = Self::geom(h, w, oh, ow);
        let yn = <Self::Out as Shape>::NUMEL;
        cache.pieces.resize_with(
            par::pieces(n, I::USIZE * g.rows() * g.cols()),
            Work::default,
        );
        let this = &*self;
        par::for_chunks_with(
            &mut cache.pieces,
            n,
            y.as_mut_slice(),
            yn,
            |wk, start, ys| {
                wk.cols.resize(Self::forward_scratch(g.cols()), 0.0);
                for (i, yi) in ys.chunks_exact_mut(yn).enumerate() {
                    this.forward_one(&g, x.sample(start + i), yi, &mut wk.cols);
                }
            },
        );
    }
    fn backward(
        &self,
        x: &crate::Batch<Shape3<C, H, W>>,
        _y: &crate::Batch<Self::Out>,
        dy: &crate::Batch<Self::Out>,
        dx: &mut crate::Batch<Shape3<C, H, W>>,
        cache: &mut ConvTransposeCache,
        grad: &mut Self,
    ) {
        let n = x.len();
        dx.resize(n);
        let [_, h, w] = <Shape3<C, H, W>>::DIMS;
        let [_, oh, ow] = <Self::Out as Shape>::DIMS;
        let g = Self::geom(h, w, oh, ow);
        // Pieces fixed by the batch, not the thread count: bit-identical gradients.
        cache.pieces.resize_with(
            par::partials(n, I::USIZE * g.rows() * g.cols(), self.weight.len()),
            Work::default,
        );
        for wk in cache.pieces.iter_mut() {
            wk.cols
                .resize(if Self::DIRECT { 0 } else { g.rows() * g.cols() }, 0.0);
            wk.dw.clear();
            wk.dw.resize(self.weight.len(), 0.0);
            wk.db.clear();
            wk.db.resize(B::Len::USIZE, 0.0);
        }
        let xn = <Shape3<C, H, W>>::NUMEL;
        par::for_chunks_parts(
            &mut cache.pieces,
            n,
            dx.as_mut_slice(),
            xn,
            |wk, start, dxs| {
                for (i, dxi) in dxs.chunks_exact_mut(xn).enumerate() {
                    self.backward_one(&g, x.sample(start + i), dy.sample(start + i), dxi, wk);
                }
            },
        );
        for wk in &cache.pieces {
            grad.weight
                .iter_mut()
                .zip(&wk.dw)
                .for_each(|(a, b)| *a += b);
            grad.bias.iter_mut().zip(&wk.db).for_each(|(a, b)| *a += b);
        }
    }
    fn visit_with_grad(&mut self, g: &Self, f: &mut dyn FnMut(&mut [f32], &[f32])) {
        f(&mut self.weight, &g.weight);
        if B::Len::USIZE > 0 {
            f(&mut self.bias, &g.bias);
        }
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::layer::new_boxed;
    use crate::testing::{assert_close, check_layer_grads, fixture, load_params, run_train};
    use crate::Batch;
    use std::vec::Vec;
    use typenum::consts::*;

    #[test]
    fn gradients_on_several_shapes() {
        // odd sizes, padding
        check_layer_grads::<Shape3<U2, U5, U7>, _>(
            &mut *new_boxed::<ConvTranspose2d<U2, U3, U3, U1, U1>>(1),
            2,
            1,
        );
        // K4 S2 P1 (doubles), batch 3
        check_layer_grads::<Shape3<U3, U3, U5>, _>(
            &mut *new_boxed::<ConvTranspose2d<U3, U2, U4, U2, U1>>(2),
            3,
            2,
        );
        // K3 S2 P1, output padding 1
        check_layer_grads::<Shape3<U2, U4, U3>, _>(
            &mut *new_boxed::<ConvTranspose2d<U2, U2, U3, U2, U1, U1, U1>>(3),
            2,
            3,
        );
        // dilation 2, padding 1
        check_layer_grads::<Shape3<U2, U5, U4>, _>(
            &mut *new_boxed::<ConvTranspose2d<U2, U3, U3, U1, U1, U2>>(4),
            2,
            4,
        );
        // dilation 2, stride 1, output padding 1: a row and a column that only the bias reaches
        check_layer_grads::<Shape3<U2, U3, U4>, _>(
            &mut *new_boxed::<ConvTranspose2d<U2, U2, U3, U1, U0, U2, U1>>(5),
            2,
            5,
        );
        // 1×1 (the direct path, no column matrix)
        check_layer_grads::<Shape3<U4, U3, U3>, _>(
            &mut *new_boxed::<ConvTranspose2d<U4, U5, U1>>(6),
            2,
            6,
        );
    }

    #[test]
    fn output_shapes_follow_the_formula() {
        fn out<In: Shape, Want: Shape, L: Layer<In, Out = Want>>() {}
        // FCN-32s: 7 → 224 with K64 S32 P16.
        out::<Shape3<U21, U7, U7>, Shape3<U21, U224, U224>, ConvTranspose2d<U21, U21, U64, U32, U16>>(
        );
        // K4 S2 P1 doubles; K3 S2 P1 OP1 doubles; dilation 2 with OP1 at stride 1 adds 5.
        out::<Shape3<U3, U5, U6>, Shape3<U2, U10, U12>, ConvTranspose2d<U3, U2, U4, U2, U1>>();
        out::<Shape3<U3, U5, U6>, Shape3<U2, U10, U12>, ConvTranspose2d<U3, U2, U3, U2, U1, U1, U1>>(
        );
        out::<Shape3<U2, U3, U4>, Shape3<U2, U8, U9>, ConvTranspose2d<U2, U2, U3, U1, U0, U2, U1>>(
        );
        assert_eq!(
            <ConvTranspose2d<U3, U2, U4, U2, U1> as Module>::PARAMS,
            3 * 2 * 16 + 2
        );
    }

    #[test]
    fn matches_pytorch() {
        for (name, case) in [
            ("convt_k4s2p1", 0),
            ("convt_k3s2p1op1", 1),
            ("convt_d2", 2),
            ("convt_d2op1", 3),
        ] {
            let fx = fixture(name);
            macro_rules! go {
                ($in:ty, $l:ty) => {{
                    let mut l = new_boxed::<$l>(0);
                    load_params(&mut *l, &fx, &["weight", "bias"]);
                    let (y, dx, g) = run_train::<$in, _>(&mut *l, fx.get("x"), fx.get("dy"));
                    assert_close(&format!("{name} y"), &y, fx.get("y"), 1e-5);
                    assert_close(&format!("{name} dx"), &dx, fx.get("dx"), 1e-5);
                    assert_close(
                        &format!("{name} dweight"),
                        &g.weight,
                        fx.get("dweight"),
                        1e-5,
                    );
                    assert_close(&format!("{name} dbias"), &g.bias, fx.get("dbias"), 1e-5);
                    // Inference (no allocator path) gives the same output.
                    let x = Batch::<$in>::from_vec(fx.get("x").to_vec()).unwrap();
                    assert_close(
                        &format!("{name} infer"),
                        l.forward(&x).as_slice(),
                        fx.get("y"),
                        1e-5,
                    );
                }};
            }
            match case {
                0 => go!(Shape3<U3, U5, U4>, ConvTranspose2d<U3, U2, U4, U2, U1>),
                1 => go!(Shape3<U2, U4, U5>, ConvTranspose2d<U2, U3, U3, U2, U1, U1, U1>),
                2 => go!(Shape3<U2, U5, U4>, ConvTranspose2d<U2, U3, U3, U1, U1, U2>),
                _ => go!(Shape3<U2, U3, U4>, ConvTranspose2d<U2, U2, U3, U1, U0, U2, U1>),
            }
        }
    }

    #[test]
    fn without_bias() {
        use crate::layers::conv::NoBias;
        // gradients: K4 S2 P1 (doubles), batch 3; 1×1 (the direct path)
        check_layer_grads::<Shape3<U3, U3, U5>, _>(
            &mut *new_boxed::<ConvTranspose2d<U3, U2, U4, U2, U1, U1, U0, NoBias>>(12),
            3,
            12,
        );
        check_layer_grads::<Shape3<U4, U3, U3>, _>(
            &mut *new_boxed::<ConvTranspose2d<U4, U5, U1, U1, U0, U1, U0, NoBias>>(13),
            2,
            13,
        );
        type With = ConvTranspose2d<U3, U2, U4, U2, U1>;
        type Without = ConvTranspose2d<U3, U2, U4, U2, U1, U1, U0, NoBias>;
        assert_eq!(<Without as Module>::PARAMS, <With as Module>::PARAMS - 2);
        assert_eq!(core::mem::size_of::<Without>(), 3 * 2 * 16 * 4);
        // PyTorch, forward and backward (tolerance 1e-5), and inference
        for (name, case) in [("convt_nobias_k4s2p1", 0), ("convt_nobias_1x1", 1)] {
            let fx = fixture(name);
            macro_rules! go {
                ($in:ty, $l:ty) => {{
                    let mut l = new_boxed::<$l>(0);
                    load_params(&mut *l, &fx, &["weight"]);
                    let (y, dx, g) = run_train::<$in, _>(&mut *l, fx.get("x"), fx.get("dy"));
                    assert_close(&format!("{name} y"), &y, fx.get("y"), 1e-5);
                    assert_close(&format!("{name} dx"), &dx, fx.get("dx"), 1e-5);
                    assert_close(
                        &format!("{name} dweight"),
                        &g.weight,
                        fx.get("dweight"),
                        1e-5,
                    );
                    assert!(g.bias.is_empty());
                    let x = Batch::<$in>::from_vec(fx.get("x").to_vec()).unwrap();
                    assert_close(
                        &format!("{name} infer"),
                        l.forward(&x).as_slice(),
                        fx.get("y"),
                        1e-5,
                    );
                }};
            }
            match case {
                0 => go!(Shape3<U3, U5, U4>, Without),
                _ => go!(Shape3<U4, U3, U3>, ConvTranspose2d<U4, U5, U1, U1, U0, U1, U0, NoBias>),
            }
        }
    }

    #[test]
    fn batch_split_across_threads_agrees_with_one_sample_at_a_time() {
        // Enough work per sample that `par::pieces` splits a batch of 4 when threads > 1.
        type L = ConvTranspose2d<U8, U8, U4, U2, U1>;
        type In = Shape3<U8, U16, U16>;
        assert!(
            par::threads() < 2 || par::pieces(4, 8 * 128 * 256) > 1,
            "the batch would not be split"
        );
        let mut l = new_boxed::<L>(8);
        let mut rng = Rng::new(9);
        let x: Vec<f32> = (0..4 * In::NUMEL).map(|_| rng.normal()).collect();
        let dy: Vec<f32> = (0..4 * <<L as Layer<In>>::Out as Shape>::NUMEL)
            .map(|_| rng.normal())
            .collect();
        let (y, dx, g) = run_train::<In, _>(&mut *l, &x, &dy);
        let (mut dw, mut db) = (vec![0.0f32; l.weight.len()], vec![0.0f32; 8]);
        for i in 0..4 {
            let (xn, yn) = (In::NUMEL, y.len() / 4);
            let (yi, dxi, gi) =
                run_train::<In, _>(&mut *l, &x[i * xn..(i + 1) * xn], &dy[i * yn..(i + 1) * yn]);
            assert_close("y", &y[i * yn..(i + 1) * yn], &yi, 1e-5);
            assert_close("dx", &dx[i * xn..(i + 1) * xn], &dxi, 1e-5);
            dw.iter_mut()
                .zip(gi.weight.iter())
                .for_each(|(a, b)| *a += b);
            db.iter_mut().zip(gi.bias.iter()).for_each(|(a, b)| *a += b);
        }
        assert_close("dweight", &g.weight, &dw, 1e-4);
        assert_close("dbias", &g.bias, &db, 1e-4);
    }

    #[test]
    fn default_init_uses_pytorchs_fan_in() {
        // fan_in = O·K·K = 2·3·3 = 18, so every value lies in ±1/√18 and the spread reaches it.
        let l = new_boxed::<ConvTranspose2d<U50, U2, U3>>(7);
        let b = 1.0 / 18f32.sqrt();
        let max = l
            .weight
            .iter()
            .chain(l.bias.iter())
            .fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(max <= b && max > 0.95 * b, "max |w| = {max}, bound {b}");
    }
}

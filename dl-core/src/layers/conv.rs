//! 2-D convolution (`nn.Conv2d`): stride, padding, dilation. Per sample, bands of output rows:
//! im2col of the band (sized to stay in L2) and one product with the weights, the bias fused in
//! (the output starts as the bias and the product accumulates). Backward does the same bands
//! for `dW += dY·colsᵀ` and `dcols = Wᵀ·dY`, then col2im.
use crate::check::{ChannelsMatch, KernelFitsInput};
#[cfg(feature = "alloc")]
use crate::kernels::gemm::{gemm, ws_len};
use crate::kernels::gemm::{gemm_packed, pack_a, packed_len, packs_b, ws_len_packed, Mat};
#[cfg(feature = "alloc")]
use crate::kernels::im2col::col2im_rows;
use crate::kernels::im2col::{im2col_rows, Geom};
#[cfg(feature = "alloc")]
use crate::kernels::par;
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
        self.weight.iter_mut().for_each(|w| *w = rng.uniform_in(-b, b));
        self.bias.iter_mut().for_each(|w| *w = rng.uniform_in(-b, b));
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

/// Floats of one band's column matrix, at most (unless one output row needs more).
const BAND_FLOATS: usize = 48 * 1024;

/// How one sample's column matrix is cut: output rows per band and the leading dimension of a
/// band (a multiple of 16 floats, odd in cache lines so a panel's rows do not collide in L1).
#[derive(Clone, Copy)]
struct Plan {
    rows: usize,
    ld: usize,
}

const fn plan(ckk: usize, oh: usize, ow: usize) -> Plan {
    let mut rows = BAND_FLOATS / (ckk * ow);
    if rows < 1 {
        rows = 1;
    }
    if rows > oh {
        rows = oh;
    }
    let mut ld = (rows * ow).div_ceil(16) * 16;
    if (ld / 16).is_multiple_of(2) {
        ld += 16;
    }
    Plan { rows, ld }
}

const fn is_identity(k: usize, s: usize, p: usize) -> bool {
    k == 1 && s == 1 && p == 0
}

/// Scratch of [`Conv2d::forward_one`]: a band's columns and the product's workspace.
const fn forward_scratch(i: usize, k: usize, s: usize, p: usize, oh: usize, ow: usize) -> usize {
    let hw = oh * ow;
    if is_identity(k, s, p) {
        return ws_len_packed(hw, i, packs_b(hw, 1));
    }
    let ckk = i * k * k;
    let pl = plan(ckk, oh, ow);
    ckk * pl.ld + ws_len_packed(pl.rows * ow, ckk, false)
}

impl<I: Unsigned, O: Filters<I, K>, K: Unsigned, S: Unsigned, P: Unsigned, D: Unsigned> Conv2d<I, O, K, S, P, D> {
    fn geom(h: usize, w: usize, oh: usize, ow: usize) -> Geom {
        Geom { c: I::USIZE, h, w, k: K::USIZE, s: S::USIZE, p: P::USIZE, d: D::USIZE, oh, ow }
    }
    /// One sample: `y[O, H'W'] = bias + W[O, CKK] · cols[CKK, H'W']`, band by band, with
    /// `W` packed in `w` by [`pack_a`]; `scratch` holds `forward_scratch(..)` floats.
    fn forward_one(&self, g: &Geom, x: &[f32], y: &mut [f32], w: &[f32], scratch: &mut [f32]) {
        let hw = g.cols();
        for (yo, &b) in y[..O::USIZE * hw].chunks_exact_mut(hw).zip(self.bias.iter()) {
            yo.fill(b);
        }
        if g.is_identity() {
            gemm_packed(O::USIZE, hw, I::USIZE, w, Mat::rows(x, hw), 1.0, y, hw, scratch);
            return;
        }
        let pl = plan(g.rows(), g.oh, g.ow);
        let (cols, ws) = scratch.split_at_mut(g.rows() * pl.ld);
        for oy0 in (0..g.oh).step_by(pl.rows) {
            let oy1 = (oy0 + pl.rows).min(g.oh);
            im2col_rows(g, x, oy0..oy1, cols, pl.ld);
            let b = Mat::rows(cols, pl.ld);
            gemm_packed(O::USIZE, (oy1 - oy0) * g.ow, g.rows(), w, b, 1.0, &mut y[oy0 * g.ow..], hw, ws);
        }
    }
    /// One sample's backward, with `Wᵀ` packed in `wt`: `dx` overwritten, `dw`, `db`
    /// accumulated.
    #[cfg(feature = "alloc")]
    fn backward_one(g: &Geom, x: &[f32], dy: &[f32], dx: &mut [f32], wt: &[f32], wk: &mut ConvWork) {
        let (o, hw, ckk) = (O::USIZE, g.cols(), g.rows());
        for (b, row) in wk.db.iter_mut().zip(dy.chunks_exact(hw)) {
            *b += row.iter().sum::<f32>();
        }
        if g.is_identity() {
            // dW[O, C] += dY · xᵀ ; dx[C, HW] = Wᵀ · dY
            gemm(o, ckk, hw, Mat::rows(dy, hw), Mat::t(x, hw), 1.0, &mut wk.dw, ckk, &mut wk.ws);
            gemm_packed(ckk, hw, o, wt, Mat::rows(dy, hw), 0.0, dx, hw, &mut wk.ws);
            return;
        }
        let pl = plan(ckk, g.oh, g.ow);
        dx.fill(0.0);
        for oy0 in (0..g.oh).step_by(pl.rows) {
            let oy1 = (oy0 + pl.rows).min(g.oh);
            let (n, dyb) = ((oy1 - oy0) * g.ow, Mat::rows(&dy[oy0 * g.ow..], hw));
            im2col_rows(g, x, oy0..oy1, &mut wk.cols, pl.ld);
            // dW[O, CKK] += dY_band · cols_bandᵀ
            gemm(o, ckk, n, dyb, Mat::t(&wk.cols, pl.ld), 1.0, &mut wk.dw, ckk, &mut wk.ws);
            // dcols_band[CKK, n] = Wᵀ · dY_band, added back into dx
            gemm_packed(ckk, n, o, wt, dyb, 0.0, &mut wk.dcols, pl.ld, &mut wk.ws);
            col2im_rows(g, &wk.dcols, oy0..oy1, pl.ld, dx);
        }
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
        let [_, oh, ow] = <Self::Out as Shape>::DIMS;
        let wp = packed_len(O::USIZE, I::USIZE * K::USIZE * K::USIZE);
        wp + forward_scratch(I::USIZE, K::USIZE, S::USIZE, P::USIZE, oh, ow)
    };
    fn infer(&self, x: &[f32], y: &mut [f32], scratch: &mut [f32]) {
        let [_, h, w] = <Shape3<C, H, W>>::DIMS;
        let [_, oh, ow] = <Self::Out as Shape>::DIMS;
        let g = Self::geom(h, w, oh, ow);
        let (wp, rest) = scratch.split_at_mut(packed_len(O::USIZE, g.rows()));
        pack_a(O::USIZE, g.rows(), Mat::rows(&self.weight, g.rows()), wp);
        self.forward_one(&g, x, y, wp, rest);
    }
}

/// Per-thread buffers of a convolution, kept across steps.
#[cfg(feature = "alloc")]
#[derive(Default)]
pub struct ConvCache {
    pieces: alloc::vec::Vec<ConvWork>,
    /// The weights packed for the forward product, and transposed for the backward one.
    w: alloc::vec::Vec<f32>,
    wt: alloc::vec::Vec<f32>,
}
/// One thread's buffers: a band's columns and their gradient, the products' workspace, and
/// partial parameter gradients.
#[cfg(feature = "alloc")]
#[derive(Default)]
struct ConvWork {
    cols: alloc::vec::Vec<f32>,
    dcols: alloc::vec::Vec<f32>,
    ws: alloc::vec::Vec<f32>,
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
        cache: &mut ConvCache,
    ) {
        let n = x.len();
        y.resize(n);
        let [_, h, w] = <Shape3<C, H, W>>::DIMS;
        let [_, oh, ow] = <Self::Out as Shape>::DIMS;
        let g = Self::geom(h, w, oh, ow);
        let (xn, yn) = (<Shape3<C, H, W>>::NUMEL, <Self::Out as Shape>::NUMEL);
        let need = forward_scratch(I::USIZE, K::USIZE, S::USIZE, P::USIZE, oh, ow);
        cache.w.resize(packed_len(O::USIZE, g.rows()), 0.0);
        pack_a(O::USIZE, g.rows(), Mat::rows(&self.weight, g.rows()), &mut cache.w);
        let wp = &cache.w[..];
        let pieces = par::pieces(n, yn * g.rows());
        cache.pieces.resize_with(pieces.max(cache.pieces.len()), ConvWork::default);
        let work = &mut cache.pieces[..pieces];
        for wk in work.iter_mut() {
            wk.ws.resize(need.max(wk.ws.len()), 0.0);
        }
        let this = &*self;
        par::for_each_piece_chunks(work, n, y.as_mut_slice(), yn, |wk, start, ys| {
            for (i, yi) in ys.chunks_exact_mut(yn).enumerate() {
                let xi = &x.as_slice()[(start + i) * xn..(start + i + 1) * xn];
                this.forward_one(&g, xi, yi, wp, &mut wk.ws);
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
        let (xn, yn, hw, ckk, o) = (<Shape3<C, H, W>>::NUMEL, <Self::Out as Shape>::NUMEL, g.cols(), g.rows(), O::USIZE);
        let pl = plan(ckk, oh, ow);
        let band = if g.is_identity() { hw } else { pl.rows * ow };
        let cols = if g.is_identity() { 0 } else { ckk * pl.ld };
        let ws = ws_len(o, ckk, band, true).max(ws_len_packed(band, o, packs_b(hw, 1)));
        cache.wt.resize(packed_len(ckk, o), 0.0);
        pack_a(ckk, o, Mat::t(&self.weight, ckk), &mut cache.wt);
        let wt = &cache.wt[..];
        let pieces = par::pieces(n, 2 * yn * ckk);
        cache.pieces.resize_with(pieces.max(cache.pieces.len()), ConvWork::default);
        let work = &mut cache.pieces[..pieces];
        for wk in work.iter_mut() {
            wk.cols.resize(cols, 0.0);
            wk.dcols.resize(cols, 0.0);
            wk.ws.resize(ws.max(wk.ws.len()), 0.0);
            wk.dw.clear();
            wk.dw.resize(self.weight.len(), 0.0);
            wk.db.clear();
            wk.db.resize(o, 0.0);
        }
        par::for_each_piece_chunks(work, n, dx.as_mut_slice(), xn, |wk, start, dxs| {
            for (i, dxi) in dxs.chunks_exact_mut(xn).enumerate() {
                let s = start + i;
                let xi = &x.as_slice()[s * xn..(s + 1) * xn];
                let dyi = &dy.as_slice()[s * yn..(s + 1) * yn];
                Self::backward_one(&g, xi, dyi, dxi, wt, wk);
            }
        });
        for wk in work.iter() {
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
        check_layer_grads::<Shape3<U2, U5, U7>, _>(&mut *new_boxed::<Conv2d<U2, U3, U3, U1, U1>>(1), 2, 1);
        // stride 2
        check_layer_grads::<Shape3<U3, U7, U6>, _>(&mut *new_boxed::<Conv2d<U3, U2, U3, U2, U1>>(2), 3, 2);
        // dilation 2
        check_layer_grads::<Shape3<U2, U9, U8>, _>(&mut *new_boxed::<Conv2d<U2, U2, U3, U1, U2, U2>>(3), 2, 3);
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
        for (name, case) in [("conv_s1p1", 0), ("conv_s2p1", 1), ("conv_d2", 2), ("conv_1x1", 3)] {
            let fx = fixture(name);
            macro_rules! go {
                ($in:ty, $l:ty) => {{
                    let mut l = new_boxed::<$l>(0);
                    load_params(&mut *l, &fx, &["weight", "bias"]);
                    let (y, dx, g) = run_train::<$in, _>(&mut *l, fx.get("x"), fx.get("dy"));
                    assert_close(&format!("{name} y"), &y, fx.get("y"), 1e-4);
                    assert_close(&format!("{name} dx"), &dx, fx.get("dx"), 1e-4);
                    assert_close(&format!("{name} dweight"), &g.weight, fx.get("dweight"), 1e-4);
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

//! Entry points for the code `network!` generates: fused kernels over plain slices (conv/linear
//! + bias + activation in one pass over each output row, in-place activation backward, crop-add,
//! channel concat) and the const checks the expansion uses. Not a stable public API.
//!
//! Nothing here allocates: inference writes into a caller-provided arena; training reuses the
//! buffers it is handed (`Vec`s grow on the first step only).
//!
//! Split by use: inference kernels in `infer.rs`, training in `train.rs`, the
//! summary table in `summary.rs`; the shape checks and small slice helpers are here.
use crate::kernels::{par, simd};
use crate::layer::{Layer, Module, Zeroable};
use crate::layers::activation::Activation;
use crate::shape::Shape;

mod grouped;
mod infer;
mod place;
mod summary;
#[cfg(feature = "alloc")]
mod train;
#[cfg(feature = "alloc")]
pub use alloc::{boxed::Box, vec::Vec};
pub use grouped::*;
pub use infer::*;
pub use place::*;
pub use summary::*;
#[cfg(feature = "alloc")]
pub use train::*;

/// Requires `L: Layer<I, Out = O>`: the type system's check of a shape the macro computed.
pub const fn check<I: Shape, O: Shape, L: Layer<I, Out = O>>() {}
/// Requires `A` and `B` to be the same type (a residual add, a concat's spatial size).
pub const fn same<A: typenum::Same<B>, B>() {}
/// Requires `T: Zeroable + Module`.
pub const fn module<T: Zeroable + Module>() {}
/// Requires `T: Pod` (its bytes usable in place).
pub const fn pod<T: crate::layer::Pod>() {}
/// `<L as Layer<I>>::SCRATCH`.
pub const fn scratch<I: Shape, L: Layer<I>>() -> usize {
    L::SCRATCH
}
/// `<T as Module>::PARAMS`.
pub const fn params<T: Module>() -> usize {
    T::PARAMS
}
/// The largest element of `xs` (0 for none).
pub const fn max_of(xs: &[usize]) -> usize {
    let mut m = 0;
    let mut i = 0;
    while i < xs.len() {
        if xs[i] > m {
            m = xs[i];
        }
        i += 1;
    }
    m
}
/// `y = A(y)` in place.
#[inline]
pub fn act<A: Activation>(y: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if crate::kernels::gemm::use_avx512() {
        /// In place, sixteen lanes: ReLU's zeros stored alone are AVX-512 masked stores (a
        /// mask register, `vmovups {k}`), as fast as plain ones (Zen 4, LeNet-5 batch-64
        /// inference: 3.9 % of the time in `act` through the buffer below, 2 % here).
        #[target_feature(enable = "avx512f,avx2,fma")]
        unsafe fn go<A: Activation>(y: &mut [f32]) {
            for v in y {
                *v = A::f(*v);
            }
        }
        // SAFETY: the CPU supports the features `go` is compiled for.
        return unsafe { go::<A>(y) };
    }
    crate::kernels::simd(|| {
        // through a buffer on the stack: in place, LLVM stores ReLU's zeros alone, as AVX2
        // masked stores (`vmaskmovps`) that AMD CPUs run many times slower than plain ones
        // (Zen 4: 1,176 floats 570 → 260 ns)
        for c in y.chunks_mut(64) {
            let mut t = [0.0f32; 64];
            for (o, &v) in t.iter_mut().zip(c.iter()) {
                *o = A::f(v);
            }
            c.copy_from_slice(&t[..c.len()]);
        }
    })
}
/// `y = A(x)`.
#[inline]
pub fn act_copy<A: Activation>(x: &[f32], y: &mut [f32]) {
    crate::kernels::simd(|| {
        for (o, &v) in y.iter_mut().zip(x) {
            *o = A::f(v);
        }
    })
}
/// `d = d · A'(y)` in place, from the activation's output alone (valid for ReLU, Sigmoid, Tanh
/// and LeakyReLU with a positive slope, whose input and output have the same sign); split
/// across threads when long.
pub fn act_backward<A: Activation>(y: &[f32], d: &mut [f32]) {
    elementwise(d, |at, ds| {
        for (o, &v) in ds.iter_mut().zip(&y[at..]) {
            *o *= A::df(v, v);
        }
    });
}

/// Floats per part of [`elementwise`].
const PART: usize = 4096;

/// Runs `f(offset, part)` on consecutive parts of `d` (`offset` in floats from its start),
/// in parallel when `d` is long enough to pay for it, each part compiled for the CPU's vectors
/// ([`simd`](crate::kernels::simd)). For elementwise backward passes: no part depends on
/// another, so the result does not depend on the split.
fn elementwise<F: Fn(usize, &mut [f32]) + Sync>(d: &mut [f32], f: F) {
    let n = d.len() / PART;
    let (head, tail) = d.split_at_mut(n * PART);
    par::for_chunks_work(n, head, PART, 4 * PART, |start, ds| {
        simd(|| f(start * PART, ds));
    });
    simd(|| f(n * PART, tail));
}
/// `y += x`.
#[inline]
pub fn add(y: &mut [f32], x: &[f32]) {
    for (o, v) in y.iter_mut().zip(x) {
        *o += v;
    }
}

/// Adds `t` (`[C, TH, TW]`, `n` samples) cropped at `(top, left)` into `y` (`[C, H, W]`).
#[allow(clippy::too_many_arguments)]
pub fn crop_add(
    y: &mut [f32],
    t: &[f32],
    c: usize,
    th: usize,
    tw: usize,
    h: usize,
    w: usize,
    top: usize,
    left: usize,
) {
    for (ys, ts) in y
        .chunks_exact_mut(c * h * w)
        .zip(t.chunks_exact(c * th * tw))
    {
        for (yc, tc) in ys.chunks_exact_mut(h * w).zip(ts.chunks_exact(th * tw)) {
            for (i, yr) in yc.chunks_exact_mut(w).enumerate() {
                let src = &tc[(top + i) * tw + left..(top + i) * tw + left + w];
                add(yr, src);
            }
        }
    }
}
/// The adjoint of [`crop_add`]'s `t` argument: `dt` = `d` placed at `(top, left)`, zero elsewhere.
#[allow(clippy::too_many_arguments)]
pub fn crop_backward(
    d: &[f32],
    dt: &mut [f32],
    c: usize,
    th: usize,
    tw: usize,
    h: usize,
    w: usize,
    top: usize,
    left: usize,
) {
    dt.fill(0.0);
    for (ds, ts) in d
        .chunks_exact(c * h * w)
        .zip(dt.chunks_exact_mut(c * th * tw))
    {
        for (dc, tc) in ds.chunks_exact(h * w).zip(ts.chunks_exact_mut(th * tw)) {
            for (i, dr) in dc.chunks_exact(w).enumerate() {
                tc[(top + i) * tw + left..(top + i) * tw + left + w].copy_from_slice(dr);
            }
        }
    }
}

/// Copies part `src` (`per` floats a sample, `n` samples) into its place `off..off+per` of each
/// `total`-float sample of `y` (channel concat of a batch).
pub fn concat_part(y: &mut [f32], src: &[f32], total: usize, off: usize, per: usize) {
    for (ys, ss) in y.chunks_exact_mut(total).zip(src.chunks_exact(per)) {
        ys[off..off + per].copy_from_slice(ss);
    }
}
/// The adjoint of [`concat_part`]: copies each sample's `off..off+per` of `d` into `dst`.
pub fn split_part(d: &[f32], dst: &mut [f32], total: usize, off: usize, per: usize) {
    for (ds, ss) in d.chunks_exact(total).zip(dst.chunks_exact_mut(per)) {
        ss.copy_from_slice(&ds[off..off + per]);
    }
}

/// `d_in = d_out · A'(x, y)` for a standalone activation layer (`network!`'s and the hand-built
/// one's); split across threads when long.
pub fn act_grad<A: Activation>(x: &[f32], y: &[f32], dy: &[f32], dx: &mut [f32]) {
    let n = dx.len().min(x.len()).min(y.len()).min(dy.len());
    elementwise(&mut dx[..n], |at, ds| {
        let it = x[at..].iter().zip(&y[at..]).zip(&dy[at..]);
        for (o, ((&a, &b), &g)) in ds.iter_mut().zip(it) {
            *o = g * A::df(a, b);
        }
    });
}

/// Expands its input only when `dl-core` has the `alloc` feature (training code).
#[cfg(feature = "alloc")]
#[macro_export]
#[doc(hidden)]
macro_rules! __dl_if_alloc {
    ($($t:tt)*) => { $($t)* };
}
/// Expands its input only when `dl-core` has the `alloc` feature (training code).
#[cfg(not(feature = "alloc"))]
#[macro_export]
#[doc(hidden)]
macro_rules! __dl_if_alloc {
    ($($t:tt)*) => {};
}
#[doc(hidden)]
pub use crate::__dl_if_alloc as if_alloc;

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::layers::activation::fns::{ReLU, Sigmoid};

    /// `act` in place (AVX-512; through its stack buffer on the other paths) gives each
    /// element's `A::f` to the bit, over lengths around the buffer's 64 floats, NaNs,
    /// infinities and both zeros included.
    #[test]
    fn act_in_place_is_the_elementwise_function() {
        use crate::kernels::gemm::{force_path, Path};
        for path in [Some(Path::Portable), Some(Path::Avx2), None] {
            force_path(path);
            act_in_place_on_this_path();
            force_path(None);
        }
    }
    fn act_in_place_on_this_path() {
        let special = [
            f32::NAN,
            -0.0,
            0.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
            -1e-40,
            3.5,
        ];
        for n in [0, 1, 7, 63, 64, 65, 128, 200] {
            let x: std::vec::Vec<f32> = (0..n)
                .map(|i| match i % 9 {
                    k @ 0..7 => special[k],
                    _ => ((i * 37) % 101) as f32 / 50.0 - 1.0,
                })
                .collect();
            let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<std::vec::Vec<_>>();
            let mut y = x.clone();
            act::<ReLU>(&mut y);
            assert_eq!(
                bits(&y),
                bits(&x.iter().map(|&v| ReLU::f(v)).collect::<std::vec::Vec<_>>())
            );
            let mut y = x.clone();
            act::<Sigmoid>(&mut y);
            let want: std::vec::Vec<f32> = x.iter().map(|&v| Sigmoid::f(v)).collect();
            assert_eq!(bits(&y), bits(&want), "sigmoid, {n} floats");
        }
    }

    /// Long enough to be split (`PART`-float parts and a tail): the same values as the plain
    /// loop, on one thread and on two.
    #[test]
    fn elementwise_backward_matches_the_plain_loop_split_or_not() {
        let n = 20 * PART + 17;
        let x: std::vec::Vec<f32> = (0..n)
            .map(|i| ((i * 37) % 101) as f32 / 50.0 - 1.0)
            .collect();
        let y: std::vec::Vec<f32> = x.iter().map(|&v| ReLU::f(v)).collect();
        let dy: std::vec::Vec<f32> = (0..n).map(|i| ((i * 13) % 7) as f32 - 3.0).collect();
        let want: std::vec::Vec<f32> = (0..n).map(|i| dy[i] * ReLU::df(x[i], y[i])).collect();
        let ys: std::vec::Vec<f32> = x.iter().map(|&v| Sigmoid::f(v)).collect();
        let want_s: std::vec::Vec<f32> =
            (0..n).map(|i| dy[i] * Sigmoid::df(ys[i], ys[i])).collect();
        for t in [1, 2] {
            crate::kernels::par::set_threads(t);
            let mut dx = std::vec![f32::NAN; n];
            act_grad::<ReLU>(&x, &y, &dy, &mut dx);
            assert_eq!(dx, want, "act_grad, {t} threads");
            let mut d = dy.clone();
            act_backward::<Sigmoid>(&ys, &mut d);
            assert_eq!(d, want_s, "act_backward, {t} threads");
        }
    }

    /// The training forward of a convolution `chanconv` runs (LeNet-5's second one, 6 → 16,
    /// 5×5, no padding) gives the bits of `conv2d_infer` sample by sample, with its activation,
    /// on one thread and on two.
    #[test]
    fn conv2d_forward_matches_per_sample_inference() {
        use crate::kernels::im2col::Geom;
        let g = Geom::new(6, 14, 14, [5, 5], [1, 1], [0; 4], [1, 1]);
        let (o, n) = (16, 64);
        let (xn, yn) = (6 * 14 * 14, o * g.cols());
        let w: std::vec::Vec<f32> = (0..o * g.rows())
            .map(|i| ((i * 37 % 101) as f32 - 50.0) * 0.01)
            .collect();
        let b: std::vec::Vec<f32> = (0..o).map(|i| i as f32 * 0.1 - 0.7).collect();
        let x: std::vec::Vec<f32> = (0..n * xn)
            .map(|i| ((i * 13 % 97) as f32 - 48.0) * 0.02)
            .collect();
        let relu = |_: usize, r: &mut [f32]| r.iter_mut().for_each(|v| *v = ReLU::f(*v));
        let mut want = std::vec![0.0f32; n * yn];
        let mut s = std::vec![0.0f32; (o * g.rows()).max(conv_scratch(g, o))];
        for (xi, yi) in x.chunks_exact(xn).zip(want.chunks_exact_mut(yn)) {
            conv2d_infer(&w, &b, &g, xi, yi, &mut s, relu);
        }
        for t in [1, 2] {
            crate::kernels::par::set_threads(t);
            let mut y = std::vec![f32::NAN; n * yn];
            conv2d_forward(&w, &b, &g, n, &x, &mut y, &mut Work::default(), relu);
            let same = y.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "{t} threads");
        }
    }

    /// The max-pool backward that applies the activation before it gives the bits of the
    /// plain one followed by `act_backward` where the activation's derivative is finite and
    /// not negative (ReLU's zeros met by `dy` of both signs included), for ReLU and Sigmoid,
    /// on one thread and on two.
    #[test]
    fn pool_backward_with_the_activation_matches_the_two_passes() {
        let (c, h, w, n) = (3, 8, 6, 5);
        let (xn, yn) = (c * h * w, c * (h / 2) * (w / 2));
        let pre: std::vec::Vec<f32> = (0..n * xn)
            .map(|i| ((i * 29 % 23) as f32 - 11.0) * 0.25)
            .collect();
        let dy: std::vec::Vec<f32> = (0..n * yn)
            .map(|i| ((i * 7 % 5) as f32 - 2.0) * 0.5)
            .collect();
        for t in [1, 2] {
            crate::kernels::par::set_threads(t);
            for sig in [false, true] {
                let f = |v: f32| if sig { Sigmoid::f(v) } else { ReLU::f(v) };
                let x: std::vec::Vec<f32> = pre.iter().map(|&v| f(v)).collect();
                let (mut y, mut arg) = (std::vec![0.0; n * yn], std::vec::Vec::new());
                max_pool_forward_arg(c, h, w, 2, h / 2, w / 2, n, &x, &mut y, &mut arg);
                let mut want = std::vec![f32::NAN; n * xn];
                max_pool_backward_arg(xn, yn, n, &arg, &dy, &mut want);
                let mut got = std::vec![f32::NAN; n * xn];
                if sig {
                    act_backward::<Sigmoid>(&x, &mut want);
                    max_pool_backward_arg_act::<Sigmoid>(xn, yn, n, &arg, &x, &dy, &mut got);
                } else {
                    act_backward::<ReLU>(&x, &mut want);
                    max_pool_backward_arg_act::<ReLU>(xn, yn, n, &arg, &x, &dy, &mut got);
                }
                let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<std::vec::Vec<_>>();
                assert_eq!(bits(&got), bits(&want), "sigmoid {sig}, {t} threads");
                assert!(got.iter().any(|&v| v != 0.0), "sigmoid {sig}");
            }
        }
    }
}

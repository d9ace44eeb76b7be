//! Winograd convolution for 3×3, stride 1, dilation 1 layers, over a whole batch.
//!
//! `F(m×m, 3×3)` computes an `m×m` tile of output from an `n×n` tile of input (`n = m + 2`)
//! with `n²` products instead of `9·m²`: the input tile `d` becomes `V = Bᵀ·d·B`, the filter
//! `w` becomes `U = G·w·Gᵀ`, and the output tile is `Y = Aᵀ·(U ⊙ V)·A`. Over channels the
//! element-wise products are `n²` matrix products, one per tile position `ξ`:
//! `M_ξ[O, T] = U_ξ[O, C] · V_ξ[C, T]`, where `T` runs over the tiles of every sample of the
//! batch (one product over `N·H'·W'/m²` columns). These run on [`gemm`](super::gemm) (its
//! run-time selected tiles; `U_ξ` packed once per call). Tiles are taken in blocks so a
//! block's `V` and `M` stay in the L2 cache.
//!
//! The weight gradient ([`weight_grad`]) runs on the same transforms (`grad.rs`).
//!
//! [`F4`] (`F(4×4, 3×3)`: 36 products for 144 multiplies, 4× fewer) is the one used;
//! [`F2`] (`F(2×2, 3×3)`, 2.25× fewer) is kept for the error comparison in the tests.
//! Measured against the direct convolution in `f64` (64 channels in and out, 16×16 maps,
//! inputs and weights in `[-1, 1)`, test `f4_error_against_f2_and_direct`): the largest error
//! relative to `Σ|w·x|` of an output is 1.8e-6 for `F4`, 8.5e-8 for `F2` and 1.1e-7 for the
//! direct `f32` sum. F4's transforms scale by up to 8 (`Aᵀ`) and 1/24 (`G`), so it rounds
//! ~16× worse than the direct sum (~15 ulps of the output's scale; the effect on training
//! was not measured) for 4× fewer multiplies (2.25× for F2, whose speed was not measured).
use super::gemm::{gemm, pack_a, packed_len, Lhs, Mat, Rhs};
use super::im2col::Geom;
use super::{copy_short, zero_short};

/// The transforms of `F(M×M, 3×3)` on `N×N` input tiles (`N = M + 2`).
pub struct Tf<const M: usize, const N: usize> {
    /// `Bᵀ`: input tile → transformed tile.
    bt: [[f32; N]; N],
    /// `G`: filter → transformed filter.
    g: [[f32; 3]; N],
    /// `Aᵀ`: transformed product → output tile.
    at: [[f32; N]; M],
}

/// A choice of transforms: `F(M×M, 3×3)` (constants, so the transforms compile to straight
/// adds and scalings).
pub trait Variant<const M: usize, const N: usize>: Copy {
    const TF: Tf<M, N>;
    /// `A = (Aᵀ)ᵀ`, for the weight gradient's `A·dY·Aᵀ`.
    const A: [[f32; M]; N] = transpose(Self::TF.at);
}

const fn transpose<const M: usize, const N: usize>(at: [[f32; N]; M]) -> [[f32; M]; N] {
    let mut a = [[0.0; M]; N];
    let mut i = 0;
    while i < M {
        let mut j = 0;
        while j < N {
            a[j][i] = at[i][j];
            j += 1;
        }
        i += 1;
    }
    a
}

/// `F(2×2, 3×3)`, interpolation points 0, ±1, ∞.
#[derive(Clone, Copy, Debug)]
pub struct F2;
/// `F(4×4, 3×3)`, interpolation points 0, ±1, ±2, ∞.
#[derive(Clone, Copy, Debug)]
pub struct F4;

impl Variant<2, 4> for F2 {
    const TF: Tf<2, 4> = Tf {
        bt: [
            [1.0, 0.0, -1.0, 0.0],
            [0.0, 1.0, 1.0, 0.0],
            [0.0, -1.0, 1.0, 0.0],
            [0.0, 1.0, 0.0, -1.0],
        ],
        g: [
            [1.0, 0.0, 0.0],
            [0.5, 0.5, 0.5],
            [0.5, -0.5, 0.5],
            [0.0, 0.0, 1.0],
        ],
        at: [[1.0, 1.0, 1.0, 0.0], [0.0, 1.0, -1.0, -1.0]],
    };
}

impl Variant<4, 6> for F4 {
    const TF: Tf<4, 6> = Tf {
        bt: [
            [4.0, 0.0, -5.0, 0.0, 1.0, 0.0],
            [0.0, -4.0, -4.0, 1.0, 1.0, 0.0],
            [0.0, 4.0, -4.0, -1.0, 1.0, 0.0],
            [0.0, -2.0, -1.0, 2.0, 1.0, 0.0],
            [0.0, 2.0, -1.0, -2.0, 1.0, 0.0],
            [0.0, 4.0, 0.0, -5.0, 0.0, 1.0],
        ],
        g: [
            [0.25, 0.0, 0.0],
            [-1.0 / 6.0, -1.0 / 6.0, -1.0 / 6.0],
            [-1.0 / 6.0, 1.0 / 6.0, -1.0 / 6.0],
            [1.0 / 24.0, 1.0 / 12.0, 1.0 / 6.0],
            [1.0 / 24.0, -1.0 / 12.0, 1.0 / 6.0],
            [0.0, 0.0, 1.0],
        ],
        at: [
            [1.0, 1.0, 1.0, 1.0, 1.0, 0.0],
            [0.0, 1.0, -1.0, 2.0, -2.0, 0.0],
            [0.0, 1.0, 1.0, 4.0, 4.0, 0.0],
            [0.0, 1.0, -1.0, 8.0, -8.0, 1.0],
        ],
    };
}

/// Tiles transformed together (the lanes of the transforms' vector loops).
const L: usize = 16;
/// Floats a tile block's `V` and `M` may take together (about a 1 MiB L2).
const BLOCK_FLOATS: usize = 192 * 1024;
/// The smallest `C·O` [`applies`] takes: below it the transforms cost more than the
/// products save (measured, see the module's tests and the report).
const MIN_CO: usize = 16 * 16;

/// Off after [`allow`]`(false)`.
/// Lets [`applies`] (and [`wino5::applies`](super::wino5::applies), the 5×5 kernel's) say
/// yes (the default), or never: benchmarks use it to time the direct convolution in the same
/// binary. Affects all threads.
pub fn allow(on: bool) {
    super::WINOGRAD.store(on, core::sync::atomic::Ordering::Relaxed);
}

/// Whether [`forward`] should run this convolution (`O` filters over `g`): a 3×3 kernel,
/// stride 1, dilation 1, padding at most 2 on each side, an output of at least 4×4, and
/// `C·O` large enough for the products to dominate the transforms.
pub fn applies(g: &Geom, o: usize) -> bool {
    fits(g) && g.oh >= 4 && g.ow >= 4 && g.c * o >= MIN_CO && super::winograd_allowed()
}

/// Whether [`forward`] can run `g` at all (any size; [`applies`] says when it pays).
pub const fn fits(g: &Geom) -> bool {
    g.kh == 3
        && g.kw == 3
        && g.sh == 1
        && g.sw == 1
        && g.dh == 1
        && g.dw == 1
        && g.pt <= 2
        && g.pb <= 2
        && g.pl <= 2
        && g.pr <= 2
        && g.oh > 0
        && g.ow > 0
}

/// Tiles of one sample: `(rows, columns)` of `M×M` output tiles.
const fn tiles<const M: usize>(g: &Geom) -> (usize, usize) {
    (g.oh.div_ceil(M), g.ow.div_ceil(M))
}

/// Floats from one `ξ` plane of `V` or `M` to the next: `rows·ld` and one cache line more, so
/// the `n²` rows a transform reads or writes at once do not all fall in one cache set (with
/// 64 channels and rows a multiple of 16 floats apart they would: planes a multiple of 4 KiB
/// apart).
const fn xi_stride(rows: usize, ld: usize) -> usize {
    rows * ld + L
}

/// Tiles per block for `c` input and `o` output channels and `total` tiles.
const fn block<const N: usize>(c: usize, o: usize, total: usize) -> usize {
    let fit = BLOCK_FLOATS / (N * N * (c + o)) / L * L;
    let fit = if fit < L { L } else { fit };
    let all = total.div_ceil(L) * L;
    if fit < all {
        fit
    } else {
        all
    }
}

/// Floats of scratch [`forward`] needs for `O` filters over `g` and `n` samples.
pub const fn scratch(g: &Geom, o: usize, n: usize) -> usize {
    scratch_with::<4, 6>(g, o, n)
}

const fn scratch_with<const M: usize, const N: usize>(g: &Geom, o: usize, n: usize) -> usize {
    let (ty, tx) = tiles::<M>(g);
    let tb = block::<N>(g.c, o, n * ty * tx);
    N * N * (packed_len(o, g.c) + o * g.c + xi_stride(g.c, tb + L) + xi_stride(o, tb))
        + pad_len::<M, N>(g)
}

/// `y = post(bias + conv(w, x))` for `n` samples `x[n, C, H, W]` → `y[n, O, H', W']` with
/// [`F4`], `w[O, C, 3, 3]`; an empty `b` is no bias. `post(o, plane)` runs on each output
/// channel's `H'·W'` plane of each sample once it is complete. `g` must [`fits`];
/// `scratch` holds [`scratch`]`(g, O, n)` floats. Each output is the same whatever `n` and
/// the samples around it (every column of the products is summed in the same order).
#[allow(clippy::too_many_arguments)]
pub fn forward<F: FnMut(usize, &mut [f32])>(
    w: &[f32],
    b: &[f32],
    g: &Geom,
    n: usize,
    x: &[f32],
    y: &mut [f32],
    scratch: &mut [f32],
    post: F,
) {
    forward_with(F4, w, b, g, n, x, y, scratch, post);
}

/// [`forward`] with the transforms of `_v`.
#[allow(clippy::too_many_arguments)]
pub fn forward_with<const M: usize, const N: usize, V, F>(
    _v: V,
    w: &[f32],
    b: &[f32],
    g: &Geom,
    n: usize,
    x: &[f32],
    y: &mut [f32],
    scratch: &mut [f32],
    mut post: F,
) where
    V: Variant<M, N>,
    F: FnMut(usize, &mut [f32]),
{
    assert!(fits(g), "winograd: not a 3×3 stride-1 convolution: {g:?}");
    let c = g.c;
    let o = w.len() / (9 * c).max(1);
    let (xn, yn, plane) = (c * g.h * g.w, o * g.cols(), g.cols());
    assert!(
        w.len() == o * c * 9 && x.len() >= n * xn && y.len() >= n * yn,
        "winograd: sizes"
    );
    assert!(b.is_empty() || b.len() == o, "winograd: bias length");
    if n == 0 || o == 0 {
        return;
    }
    let (ty, tx) = tiles::<M>(g);
    let (per, total) = (ty * tx, n * ty * tx);
    let tb = block::<N>(c, o, total);
    let nn = N * N;
    let plen = packed_len(o, c);
    assert!(
        scratch.len() >= scratch_with::<M, N>(g, o, n),
        "winograd: scratch too small"
    );
    let (up, rest) = scratch.split_at_mut(nn * plen);
    let (u, rest) = rest.split_at_mut(nn * o * c);
    let ld = tb + L;
    let (v, rest) = rest.split_at_mut(nn * xi_stride(c, ld));
    let (mm, pad) = rest.split_at_mut(nn * xi_stride(o, tb));
    weights::<M, N, V>(w, o, c, u);
    for (xi, p) in up.chunks_exact_mut(plen).enumerate() {
        pack_a(o, c, Mat::rows(&u[xi * o * c..][..o * c], c), p);
    }
    let mut posted = 0;
    for t0 in (0..total).step_by(tb) {
        let nb = tb.min(total - t0);
        input::<M, N, V>(g, x, t0, nb, ld, v, pad);
        for xi in 0..nn {
            let vb = Rhs::Mat(Mat::rows(&v[xi * xi_stride(c, ld)..][..c * ld], ld));
            let a = Lhs::Packed(&up[xi * plen..][..plen]);
            gemm(
                o,
                nb,
                c,
                a,
                vb,
                0.0,
                &mut mm[xi * xi_stride(o, tb)..][..o * tb],
                tb,
                &mut [],
            );
        }
        output::<M, N, V>(g, o, b, mm, t0, nb, tb, y);
        // samples whose last tile is in this block are complete
        while posted < n && (posted + 1) * per <= t0 + nb {
            for (oc, p) in y[posted * yn..][..yn].chunks_exact_mut(plane).enumerate() {
                post(oc, p);
            }
            posted += 1;
        }
    }
}

/// `u[ξ, O, C] = (G·w·Gᵀ)[ξ]` for each filter `w[o, c]`: `L` filters at a time on `L`-lane
/// vectors (rows of `u` written `L` floats at a time), the last few one by one.
#[inline(always)]
fn weights_body<const M: usize, const N: usize, V: Variant<M, N>, const _X: bool>(
    w: &[f32],
    o: usize,
    c: usize,
    u: &mut [f32],
) {
    let gm = V::TF.g;
    let oc = o * c;
    let full = oc / L * L;
    let mut src = [[0.0f32; L]; 9];
    let mut tn = [[[0.0f32; L]; 3]; N];
    for k0 in (0..full).step_by(L) {
        for (k, sv) in src.iter_mut().enumerate() {
            for (l, v) in sv.iter_mut().enumerate() {
                *v = w[(k0 + l) * 9 + k];
            }
        }
        // t = G·w (N×3, element (i, j) at i·3 + j), then u rows (i, ·) = t·Gᵀ
        let tn = tn.as_flattened_mut();
        for j in 0..3 {
            mul(&gm, &src, j, 3, tn, j, 3);
        }
        for i in 0..N {
            mul_out(&gm, tn, i * 3, 1, u, i * N * oc + k0, oc);
        }
    }
    for (k, wk) in w.chunks_exact(9).enumerate().skip(full) {
        // t = G·w (N×3), then t·Gᵀ (N×N)
        let mut t = [[0.0f32; 3]; N];
        for (ti, gr) in t.iter_mut().zip(&gm) {
            for (j, tv) in ti.iter_mut().enumerate() {
                *tv = gr[0] * wk[j] + gr[1] * wk[3 + j] + gr[2] * wk[6 + j];
            }
        }
        for (i, ti) in t.iter().enumerate() {
            for (j, gr) in gm.iter().enumerate() {
                let val = ti[0] * gr[0] + ti[1] * gr[1] + ti[2] * gr[2];
                u[(i * N + j) * oc + k] = val;
            }
        }
    }
}

/// A tile of `L`-lane vectors, element `(i, j)` at `i·N + j`.
type Lanes = [f32; L];

/// `dst[d0 + r·ds] = Σ_k m[r][k]·src[s0 + k·ss]` on `L`-lane vectors, for a constant `m`
/// (its zeros skipped, its loops unrolled).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn mul<const R: usize, const K: usize>(
    m: &[[f32; K]; R],
    src: &[Lanes],
    s0: usize,
    ss: usize,
    dst: &mut [Lanes],
    d0: usize,
    ds: usize,
) {
    for (r, mr) in m.iter().enumerate() {
        let mut acc = [0.0f32; L];
        for (k, &coef) in mr.iter().enumerate() {
            if coef == 1.0 {
                let v = &src[s0 + k * ss];
                for l in 0..L {
                    acc[l] += v[l];
                }
            } else if coef == -1.0 {
                let v = &src[s0 + k * ss];
                for l in 0..L {
                    acc[l] -= v[l];
                }
            } else if coef != 0.0 {
                let v = &src[s0 + k * ss];
                for l in 0..L {
                    acc[l] += coef * v[l];
                }
            }
        }
        dst[d0 + r * ds] = acc;
    }
}

/// Defines `$name`, which runs `$body` (an `#[inline(always)]` function) compiled for
/// AVX-512F or AVX2+FMA when [`gemm`](super::gemm) would use those (the transforms' `L`-lane
/// loops then run one or two vectors wide), and as it is otherwise. The body's last const
/// parameter says whether it runs under AVX-512F (so it may use the `x512` moves). Rust does
/// not contract `a·b + c` into an FMA, so the transforms should give the same bits on every
/// path (not tested bit for bit: the tests bound each path against `f64`).
macro_rules! dispatch {
    ($name:ident, $body:ident, $avx512:ident, $avx2:ident, ($($a:ident: $t:ty),*)) => {
        #[allow(clippy::too_many_arguments)]
        fn $name<const M: usize, const N: usize, V: Variant<M, N>>($($a: $t),*) {
            #[cfg(target_arch = "x86_64")]
            if crate::kernels::gemm::use_avx512() {
                // SAFETY: the CPU has AVX-512F, AVX2 and FMA (checked by `use_avx512`).
                return unsafe { $avx512::<M, N, V>($($a),*) };
            }
            #[cfg(target_arch = "x86_64")]
            if crate::kernels::gemm::use_avx2() {
                // SAFETY: the CPU has AVX2 and FMA (checked by `use_avx2`).
                return unsafe { $avx2::<M, N, V>($($a),*) };
            }
            $body::<M, N, V, false>($($a),*)
        }
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f,avx2,fma")]
        #[allow(clippy::too_many_arguments)]
        unsafe fn $avx512<const M: usize, const N: usize, V: Variant<M, N>>($($a: $t),*) {
            $body::<M, N, V, true>($($a),*)
        }
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        #[allow(clippy::too_many_arguments)]
        unsafe fn $avx2<const M: usize, const N: usize, V: Variant<M, N>>($($a: $t),*) {
            $body::<M, N, V, false>($($a),*)
        }
    };
}

dispatch!(weights, weights_body, weights_avx512, weights_avx2,
    (w: &[f32], o: usize, c: usize, u: &mut [f32]));
dispatch!(input, input_body, input_avx512, input_avx2,
    (g: &Geom, x: &[f32], t0: usize, nb: usize, ld: usize, v: &mut [f32], pad: &mut [f32]));
dispatch!(output, output_body, output_avx512, output_avx2,
    (g: &Geom, o: usize, b: &[f32], mm: &[f32], t0: usize, nb: usize, tb: usize, y: &mut [f32]));

/// [`mul`] from `L` floats at `src[s0 + k·ss..]` (in place in a product's rows).
#[inline(always)]
#[allow(clippy::too_many_arguments, clippy::manual_memcpy)] // copy_from_slice: a memcpy call
fn mul_in<const R: usize, const K: usize>(
    m: &[[f32; K]; R],
    src: &[f32],
    s0: usize,
    ss: usize,
    dst: &mut [Lanes],
    d0: usize,
    ds: usize,
) {
    let mut tmp = [[0.0f32; L]; K];
    for (k, t) in tmp.iter_mut().enumerate() {
        let v = &src[s0 + k * ss..][..L];
        for l in 0..L {
            t[l] = v[l];
        }
    }
    mul(m, &tmp, 0, 1, dst, d0, ds);
}

/// [`mul`] into `L` floats at `dst[d0 + r·ds..]` (in place in a product's rows; element-wise
/// stores from registers, not a `memcpy` call per row).
#[inline(always)]
#[allow(clippy::too_many_arguments, clippy::manual_memcpy)]
fn mul_out<const R: usize, const K: usize>(
    m: &[[f32; K]; R],
    src: &[Lanes],
    s0: usize,
    ss: usize,
    dst: &mut [f32],
    d0: usize,
    ds: usize,
) {
    let mut tmp = [[0.0f32; L]; R];
    mul(m, src, s0, ss, &mut tmp, 0, 1);
    for (r, t) in tmp.iter().enumerate() {
        let d = &mut dst[d0 + r * ds..][..L];
        for l in 0..L {
            d[l] = t[l];
        }
    }
}

/// Floats of one output row of a segment of `L` tiles (for `M ≤ 8`).
const SEG: usize = 8 * L;

/// Asks for the cache lines of `v` (a hint; nothing off x86-64).
#[inline(always)]
fn prefetch(v: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    for i in (0..v.len()).step_by(16) {
        // SAFETY: a prefetch of an address inside `v` (it reads nothing, faults never).
        unsafe {
            core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(
                v.as_ptr().add(i).cast(),
            )
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = v;
}

/// Floats of the zero-padded plane [`input`] reads tiles from: `ty·M + N − M` rows of
/// `tx·M + N − M`, and `M·L` more that lanes past a row's last tile may read.
const fn pad_len<const M: usize, const N: usize>(g: &Geom) -> usize {
    let (ty, tx) = tiles::<M>(g);
    (ty * M + N - M) * (tx * M + N - M) + M * L
}

/// `V` of tiles `t0..t0 + nb` (of the whole batch): `v[ξ, c, t − t0]`, rows `ld ≥ nb + L`
/// apart, planes [`xi_stride`]`(c, ld)`. Channel by channel, the rows of each sample's plane the block needs are copied
/// zero-padded into `pad` ([`pad_len`] floats), so edge tiles take the same path as inner
/// ones; tiles go in segments of up to `L` along one row of tiles, their `V` rows stored
/// `L` lanes at a time (lanes past the segment land on tiles written later, or past `nb`,
/// where the products do not read).
#[inline(always)]
#[allow(clippy::needless_range_loop)] // `l` indexes the lanes of several arrays
fn input_body<const M: usize, const N: usize, V: Variant<M, N>, const X: bool>(
    g: &Geom,
    x: &[f32],
    t0: usize,
    nb: usize,
    ld: usize,
    v: &mut [f32],
    pad: &mut [f32],
) {
    let bt = V::TF.bt;
    let (ty, tx) = tiles::<M>(g);
    let (c, hw, per) = (g.c, g.h * g.w, ty * tx);
    let wp = tx * M + N - M;
    let pad = &mut pad[..pad_len::<M, N>(g)];
    let mut d = [[[0.0f32; L]; N]; N];
    let mut e = [[[0.0f32; L]; N]; N];
    let end = t0 + nb;
    // channels outer: a channel's plane is read row after row (planes a power of two apart,
    // as 32×32 ones are, collide in the caches when all channels' rows are read at once)
    for ch in 0..c {
        let mut padded = usize::MAX;
        let mut t = t0;
        while t < end {
            let (s, r) = (t / per, t % per);
            if s != padded {
                // the rows of tile rows ya..=yb of sample s (those in the block)
                let last = end.min((s + 1) * per) - 1 - s * per;
                let (ya, yb) = (r / tx * M, last / tx * M + N);
                let xc = &x[(s * c + ch) * hw..][..hw];
                // the next channel's rows, while this one's are copied and transformed (they
                // come from L3 or memory, a plane apart: more than the prefetchers follow)
                if ch + 1 < c {
                    let (ra, rb) = (ya.saturating_sub(g.pt), (yb - g.pt).min(g.h));
                    prefetch(&x[(s * c + ch + 1) * hw..][ra * g.w..rb.max(ra) * g.w]);
                }
                for pr in ya..yb {
                    let row = &mut pad[pr * wp..][..wp];
                    let yy = pr as isize - g.pt as isize;
                    if yy < 0 || yy as usize >= g.h {
                        zero_short(row);
                    } else {
                        zero_short(&mut row[..g.pl]);
                        copy_short(&mut row[g.pl..g.pl + g.w], &xc[yy as usize * g.w..]);
                        zero_short(&mut row[g.pl + g.w..]);
                    }
                }
                padded = s;
            }
            let (tyi, txi) = (r / tx, r % tx);
            // maps 8 tiles wide (29 to 32 columns): two rows of tiles of the sample to a
            // segment (16 lanes, not 8; their rows are in `pad`, both in the block)
            let two = X && M == 4 && N == 6 && L == 16 && tx == 8 && txi == 0;
            let two = two && tyi + 1 < ty && end - t >= L;
            let cnt = if two { L } else { L.min(tx - txi).min(end - t) };
            let base = tyi * M * wp + txi * M;
            let d = d.as_flattened_mut();
            for i in 0..N {
                #[cfg(target_arch = "x86_64")]
                if two {
                    let (a, b) = (
                        &pad[base + i * wp..][..wp],
                        &pad[base + (M + i) * wp..][..wp],
                    );
                    // SAFETY: under AVX-512F (`two` needs `X`); rows of `wp = 34` floats.
                    unsafe { x512::gather6_pair(a, b, &mut d[i * N..][..6]) };
                    continue;
                }
                let row = &pad[base + i * wp..][..M * L + N - M];
                #[cfg(target_arch = "x86_64")]
                if X && M == 4 && N == 6 && L == 16 {
                    // SAFETY: under AVX-512F (`X`); `row` holds 66 floats, `d[i·N..]` 6 rows.
                    unsafe { x512::gather6(row, &mut d[i * N..][..6]) };
                    continue;
                }
                for j in 0..N {
                    for l in 0..L {
                        d[i * N + j][l] = row[M * l + j];
                    }
                }
            }
            let e = e.as_flattened_mut();
            // columns: e = Bᵀ·d; then rows: d = e·B (V, element (a, b) at a·N + b)
            for j in 0..N {
                mul(&bt, d, j, N, e, j, N);
            }
            for a in 0..N {
                let vs = xi_stride(c, ld);
                mul_out(&bt, e, a * N, 1, v, a * N * vs + ch * ld + t - t0, vs);
            }
            t += cnt;
        }
    }
}

/// `y` of tiles `t0..t0 + nb` from `mm[ξ, O, t − t0]` (planes [`xi_stride`]`(O, tb)`):
/// `Aᵀ·M·A` plus the bias, clipped at the output's edges. Channel by channel (a channel's
/// output plane written row after row), tiles in segments of up to `L` along one row of
/// tiles: each output row of a segment is gathered from the lanes into a buffer and stored
/// as one run.
#[inline(always)]
#[allow(clippy::too_many_arguments, clippy::needless_range_loop)] // `l` indexes the lanes of several arrays
fn output_body<const M: usize, const N: usize, V: Variant<M, N>, const X: bool>(
    g: &Geom,
    o: usize,
    b: &[f32],
    mm: &[f32],
    t0: usize,
    nb: usize,
    tb: usize,
    y: &mut [f32],
) {
    let at = V::TF.at;
    let (ty, tx) = tiles::<M>(g);
    let (plane, ow, per) = (g.cols(), g.ow, ty * tx);
    let ms = xi_stride(o, tb);
    let mut m = [[[0.0f32; L]; N]; N];
    let mut r = [[[0.0f32; L]; N]; N];
    let mut run = [0.0f32; SEG];
    let end = t0 + nb;
    for oc in 0..o {
        let bias = if b.is_empty() { 0.0 } else { b[oc] };
        let mut t = t0;
        while t < end {
            let (s, q) = (t / per, t % per);
            let (tyi, txi) = (q / tx, q % tx);
            // maps 8 tiles wide (29 to 32 columns): two rows of tiles to a segment (16 lanes,
            // not 8), the second possibly in the next sample
            let two = X && M == 4 && L == 16 && tx == 8 && txi == 0 && end - t >= L;
            let cnt = if two { L } else { L.min(tx - txi).min(end - t) };
            let (m, r) = (m.as_flattened_mut(), r.as_flattened_mut());
            // rows: r[a][j] = (M·A)[a][j] (M read in place, lanes past the segment ignored);
            // then columns: m[i][j] = (Aᵀ·r)[i][j]
            for a in 0..N {
                mul_in(&at, mm, a * N * ms + oc * tb + t - t0, ms, r, a * N, 1);
            }
            for j in 0..M {
                mul(&at, r, j, N, m, j, N);
            }
            let (y0, x0) = (tyi * M, txi * M);
            #[cfg(target_arch = "x86_64")]
            if two {
                let (s2, q2) = ((t + L / 2) / per, (t + L / 2) % per);
                let y2 = q2 / tx * M;
                for i in 0..M {
                    // the two rows (`ow ≤ 32` floats each), or none past the map's bottom
                    let ia = (y0 + i < g.oh).then(|| (s * o + oc) * plane + (y0 + i) * ow);
                    let ib = (y2 + i < g.oh).then(|| (s2 * o + oc) * plane + (y2 + i) * ow);
                    let (ra, rb): (&mut [f32], &mut [f32]) = match (ia, ib) {
                        (Some(ia), Some(ib)) if ia < ib => {
                            let (lo, hi) = y.split_at_mut(ib);
                            (&mut lo[ia..][..ow], &mut hi[..ow])
                        }
                        (Some(ia), Some(ib)) => {
                            let (lo, hi) = y.split_at_mut(ia);
                            (&mut hi[..ow], &mut lo[ib..][..ow])
                        }
                        (Some(ia), None) => (&mut y[ia..][..ow], &mut []),
                        (None, Some(ib)) => (&mut [], &mut y[ib..][..ow]),
                        (None, None) => (&mut [], &mut []),
                    };
                    // SAFETY: under AVX-512F (`two` needs `X`); `ow ≤ 32`.
                    unsafe { x512::scatter4_pair(&m[i * N..][..4], bias, ra, rb) };
                }
                t += cnt;
                continue;
            }
            let cols = (M * cnt).min(ow - x0);
            let yp = &mut y[(s * o + oc) * plane..][..plane];
            for i in 0..M.min(g.oh - y0) {
                #[cfg(target_arch = "x86_64")]
                if X && M == 4 && L == 16 {
                    let (a, b) = yp[(y0 + i) * ow + x0..][..cols].split_at_mut(cols.min(32));
                    // SAFETY: under AVX-512F (`X`); `cols ≤ 64`.
                    unsafe { x512::scatter4_pair(&m[i * N..][..4], bias, a, b) };
                    continue;
                }
                for l in 0..L {
                    for j in 0..M {
                        run[M * l + j] = m[i * N + j][l];
                    }
                }
                let dst = &mut yp[(y0 + i) * ow + x0..][..cols];
                for (d, v) in dst.iter_mut().zip(&run[..cols]) {
                    *d = v + bias;
                }
            }
            t += cnt;
        }
    }
}

/// AVX-512 permutes for the strided moves between tiles and lanes.
#[cfg(target_arch = "x86_64")]
mod x512;

mod grad;
pub use grad::{grad_scratch, weight_grad, weight_grad_with};

#[cfg(all(test, feature = "std"))]
mod tests;

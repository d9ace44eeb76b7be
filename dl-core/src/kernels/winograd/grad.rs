//! The weight gradient of a 3×3 stride-1 convolution by the same transforms: the forward is
//! `Y = Aᵀ·[Σ_c U_c ⊙ V_c]·A` per tile, so `dU_ξ[O, C] = Σ_t dM_ξ[O, t]·V_ξ[C, t]` with
//! `dM = A·dY·Aᵀ` per output tile (`n²` products over the tiles of the batch, `K = T`), and
//! `dW = Gᵀ·dU·G`. Tiles are taken in blocks of [`GRAD_TILES`] (a longer `K` than the
//! forward's blocks: each block adds into all of `dU`).
use super::*;
use crate::kernels::gemm::ws_b;

/// Tiles per block of [`weight_grad`] (at most).
const GRAD_TILES: usize = 256;

const fn grad_block<const M: usize>(g: &Geom, n: usize) -> usize {
    let (ty, tx) = tiles::<M>(g);
    let all = (n * ty * tx).div_ceil(L) * L;
    if all < GRAD_TILES {
        all
    } else {
        GRAD_TILES
    }
}

/// Floats of scratch [`weight_grad`] needs for `O` filters over `g` and `n` samples.
pub const fn grad_scratch(g: &Geom, o: usize, n: usize) -> usize {
    grad_scratch_with::<4, 6>(g, o, n)
}

pub(super) const fn grad_scratch_with<const M: usize, const N: usize>(
    g: &Geom,
    o: usize,
    n: usize,
) -> usize {
    let tb = grad_block::<M>(g, n);
    N * N * (o * g.c + xi_stride(g.c, tb + L) + xi_stride(o, tb))
        + ws_b(g.c, tb)
        + pad_len::<M, N>(g)
}

/// `gw[O, C, 3, 3] += Σ_samples dY ⋆ x` (the weight gradient) for `n` samples `x[n, C, H,
/// W]`, `dy[n, O, H', W']`, with [`F4`]. `g` must [`fits`]; `scratch` holds
/// [`grad_scratch`]`(g, O, n)` floats. The sum runs in a fixed order (blocks of tiles in
/// sample order), so it depends on the samples given, not on threads.
#[allow(clippy::too_many_arguments)]
pub fn weight_grad(
    g: &Geom,
    o: usize,
    n: usize,
    x: &[f32],
    dy: &[f32],
    gw: &mut [f32],
    scratch: &mut [f32],
) {
    weight_grad_with(F4, g, o, n, x, dy, gw, scratch);
}

/// [`weight_grad`] with the transforms of `_v`.
#[allow(clippy::too_many_arguments)]
pub fn weight_grad_with<const M: usize, const N: usize, V: Variant<M, N>>(
    _v: V,
    g: &Geom,
    o: usize,
    n: usize,
    x: &[f32],
    dy: &[f32],
    gw: &mut [f32],
    scratch: &mut [f32],
) {
    assert!(fits(g), "winograd: not a 3×3 stride-1 convolution: {g:?}");
    let c = g.c;
    let (xn, yn) = (c * g.h * g.w, o * g.cols());
    assert!(
        gw.len() == o * c * 9 && x.len() >= n * xn && dy.len() >= n * yn,
        "winograd: sizes"
    );
    assert!(
        scratch.len() >= grad_scratch_with::<M, N>(g, o, n),
        "winograd: scratch too small"
    );
    if n == 0 || o == 0 || c == 0 {
        return;
    }
    let (ty, tx) = tiles::<M>(g);
    let (total, tb, nn, oc) = (n * ty * tx, grad_block::<M>(g, n), N * N, o * c);
    let (du, rest) = scratch.split_at_mut(nn * oc);
    let ld = tb + L;
    let (v, rest) = rest.split_at_mut(nn * xi_stride(c, ld));
    let (dm, rest) = rest.split_at_mut(nn * xi_stride(o, tb));
    let (pad, ws) = rest.split_at_mut(pad_len::<M, N>(g));
    for t0 in (0..total).step_by(tb) {
        let nb = tb.min(total - t0);
        input::<M, N, V>(g, x, t0, nb, ld, v, pad);
        grad_out::<M, N, V>(g, o, dy, t0, nb, tb, dm);
        let beta = if t0 == 0 { 0.0 } else { 1.0 };
        for xi in 0..nn {
            let a = Lhs::InPlace(Mat::rows(&dm[xi * xi_stride(o, tb)..][..o * tb], tb));
            let b = Rhs::Mat(Mat::t(&v[xi * xi_stride(c, ld)..][..c * ld], ld));
            gemm(o, c, nb, a, b, beta, &mut du[xi * oc..][..oc], c, ws);
        }
    }
    // gw[o, c] += Gᵀ·dU·G
    let gm = V::TF.g;
    for (k, gk) in gw.chunks_exact_mut(9).enumerate() {
        let mut t = [[0.0f32; N]; 3];
        for (r, tr) in t.iter_mut().enumerate() {
            for (j, tv) in tr.iter_mut().enumerate() {
                *tv = (0..N).map(|i| gm[i][r] * du[(i * N + j) * oc + k]).sum();
            }
        }
        for (r, tr) in t.iter().enumerate() {
            for (s, gv) in gk[r * 3..][..3].iter_mut().enumerate() {
                *gv += (0..N).map(|j| tr[j] * gm[j][s]).sum::<f32>();
            }
        }
    }
}

dispatch!(grad_out, grad_out_body, grad_out_avx512, grad_out_avx2,
    (g: &Geom, o: usize, dy: &[f32], t0: usize, nb: usize, tb: usize, dm: &mut [f32]));

/// `dm[ξ, O, t − t0] = (A·dY·Aᵀ)[ξ]` of the output tiles `t0..t0 + nb` of `dy` (zero past
/// the output's edges), rows `tb` apart, planes [`xi_stride`]`(O, tb)`. Channel by channel (a
/// plane of `dY` read row after row), tiles in segments of up to `L` along one row of tiles,
/// each row of a segment copied zero-padded into a buffer and spread over the lanes; lanes
/// past the segment land on tiles written later or in the planes' slack.
#[inline(always)]
#[allow(clippy::too_many_arguments, clippy::needless_range_loop)] // `l` indexes the lanes
fn grad_out_body<const M: usize, const N: usize, V: Variant<M, N>, const X: bool>(
    g: &Geom,
    o: usize,
    dy: &[f32],
    t0: usize,
    nb: usize,
    tb: usize,
    dm: &mut [f32],
) {
    let a = V::A;
    let (ty, tx) = tiles::<M>(g);
    let (plane, ow, per) = (g.cols(), g.ow, ty * tx);
    let ms = xi_stride(o, tb);
    let mut run = [0.0f32; SEG];
    let mut d = [[[0.0f32; L]; N]; N];
    let mut e = [[[0.0f32; L]; N]; N];
    let end = t0 + nb;
    for oc in 0..o {
        // the next channel's rows of the block's samples, while this one's are transformed
        // (planes of samples `O·H'·W'` apart, each a page or less: the hardware prefetchers
        // start over on each)
        if oc + 1 < o {
            for si in t0 / per..end.div_ceil(per) {
                let (ta, tb) = (
                    t0.max(si * per) - si * per,
                    end.min((si + 1) * per) - si * per,
                );
                let (ra, rb) = (ta / tx * M, ((tb - 1) / tx * M + M).min(g.oh));
                prefetch(&dy[(si * o + oc + 1) * plane..][ra * ow..rb * ow]);
            }
        }
        let mut t = t0;
        while t < end {
            let (s, q) = (t / per, t % per);
            let (tyi, txi) = (q / tx, q % tx);
            // maps 8 tiles wide (29 to 32 columns): two rows of tiles to a segment (16 lanes,
            // not 8), the second possibly in the next sample
            let two = X && M == 4 && L == 16 && tx == 8 && txi == 0 && end - t >= L;
            let cnt = if two { L } else { L.min(tx - txi).min(end - t) };
            let (y0, x0) = (tyi * M, txi * M);
            let cols = (M * cnt).min(ow - x0);
            let yp = &dy[(s * o + oc) * plane..][..plane];
            let (d, e) = (d.as_flattened_mut(), e.as_flattened_mut());
            for i in 0..M {
                #[cfg(target_arch = "x86_64")]
                if X && M == 4 && L == 16 {
                    // one row of up to 16 tiles in two halves, or the rows of two rows of 8
                    let (a, b) = if two {
                        let (s2, q2) = ((t + L / 2) / per, (t + L / 2) % per);
                        let y2 = q2 / tx * M;
                        let row = |s: usize, y: usize| -> &[f32] {
                            if y + i < g.oh {
                                &dy[(s * o + oc) * plane + (y + i) * ow..][..ow]
                            } else {
                                &[]
                            }
                        };
                        (row(s, y0), row(s2, y2))
                    } else if y0 + i < g.oh {
                        yp[(y0 + i) * ow + x0..][..cols].split_at(cols.min(32))
                    } else {
                        (&[][..], &[][..])
                    };
                    // SAFETY: under AVX-512F (`X`); at most 32 floats each.
                    unsafe { x512::gather4_pair(a, b, &mut d[i * N..][..4]) };
                    continue;
                }
                if y0 + i < g.oh {
                    copy_short(&mut run[..cols], &yp[(y0 + i) * ow + x0..]);
                    zero_short(&mut run[cols..M * L]);
                } else {
                    zero_short(&mut run[..M * L]);
                }
                for j in 0..M {
                    for l in 0..L {
                        d[i * N + j][l] = run[M * l + j];
                    }
                }
            }
            // rows: e[i][b] = (dY·Aᵀ)[i][b]; then columns: d[a][b] = (A·e)[a][b]
            for i in 0..M {
                mul(&a, d, i * N, 1, e, i * N, 1);
            }
            for b in 0..N {
                mul_out(&a, e, b, N, dm, b * ms + oc * tb + t - t0, N * ms);
            }
            t += cnt;
        }
    }
}

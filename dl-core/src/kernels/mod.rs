//! Compute kernels: matrix products ([`gemm`]), tiny dense layers ([`dense`]), direct convolution
//! across output channels for small maps ([`chanconv`]) or across output pixels for few filters
//! ([`rowconv`]), im2col/col2im, depthwise convolution
//! ([`depthwise`]), direct convolution with no workspace ([`direct`]), splitting work across threads
//! ([`par`] on a persistent pool), max pooling over non-overlapping windows ([`maxpool`]), and
//! Winograd convolution for 3×3 stride-1 layers ([`winograd`]), and
//! short vector loops ([`vector`]: dot, sum, add, the matrix-vector product, copies of short
//! rows, and [`simd`] to run a loop 8 floats wide).
pub mod chanconv;
pub mod dense;
pub mod depthwise;
pub mod direct;
pub mod gemm;
pub mod im2col;
pub mod maxpool;
pub mod par;
pub mod rowconv;
#[cfg(feature = "std")]
mod threadpool;
pub mod vector;
#[cfg(feature = "alloc")]
pub mod winograd;

pub use vector::{add_to, copy_short, dot, gemv, simd, sum, zero_short};

/// The frame of the direct convolutions' `forward` ([`rowconv`], [`chanconv`]): when the
/// kernel is `usable` and the slices hold one sample — `wb.0` `O·C·Kh·Kw` weights, `wb.1` no
/// bias or `O`, `x.0` at least `x.1` input floats, `y` `O·H'·W'` outputs — `kernel(y)`
/// writes the output, `post(o, plane)` runs on each output plane, and it is `true`;
/// otherwise nothing is done and it is `false`.
#[inline]
#[allow(clippy::too_many_arguments)]
fn direct_frame<F: FnMut(usize, &mut [f32]), K: FnOnce(&mut [f32])>(
    usable: bool,
    g: &im2col::Geom,
    o: usize,
    wb: (&[f32], &[f32]),
    x: (&[f32], usize),
    y: &mut [f32],
    mut post: F,
    kernel: K,
) -> bool {
    let hw = g.oh * g.ow;
    let (w, b) = wb;
    if !usable
        || w.len() < o * g.rows()
        || !(b.is_empty() || b.len() >= o)
        || x.0.len() < x.1
        || y.len() < o * hw
    {
        return false;
    }
    let y = &mut y[..o * hw];
    kernel(y);
    for (oc, plane) in y.chunks_exact_mut(hw).enumerate() {
        post(oc, plane);
    }
    true
}

/// What the kernels' tests share.
#[cfg(test)]
pub(crate) mod testing {
    use alloc::vec::Vec;

    /// `n` values in `[−0.5, 0.5)`, a fixed scramble of `seed` and the index.
    pub fn vals(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| {
                let v = (i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) >> 8;
                v as f32 / (1u32 << 24) as f32 - 0.5
            })
            .collect()
    }

    /// The bits of each float (results compared to the bit, NaNs included).
    pub fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|f| f.to_bits()).collect()
    }

    /// One sample of a convolution by the matrix product on the AVX2 path
    /// ([`crate::fused::conv2d_infer`] with the direct kernels off): what a direct kernel must
    /// give to the bit. The output is checked finite (NaN where nothing was written).
    #[cfg(feature = "std")]
    pub fn product_conv(w: &[f32], b: &[f32], g: &super::im2col::Geom, x: &[f32]) -> Vec<f32> {
        use super::gemm::{force_path, Path};
        let o = w.len() / g.rows();
        let mut y = alloc::vec![f32::NAN; o * g.oh * g.ow];
        let mut s = alloc::vec![0.0; crate::fused::conv_scratch(*g, o)];
        force_path(Some(Path::Avx2));
        crate::fused::conv2d_infer(w, b, g, x, &mut y, &mut s, |_, _| {});
        force_path(None);
        assert!(
            y.iter().all(|v| v.is_finite()),
            "the product left outputs out"
        );
        y
    }
}

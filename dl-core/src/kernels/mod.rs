//! Compute kernels: matrix products ([`gemm`]), tiny dense layers ([`dense`]), direct convolution
//! across output channels for small maps ([`chanconv`]) or across output pixels for few filters
//! ([`rowconv`]), im2col/col2im, depthwise convolution
//! ([`depthwise`]), direct convolution with no workspace ([`direct`]), splitting work across threads
//! ([`par`] on a persistent pool), max pooling over non-overlapping windows ([`maxpool`]), and
//! Winograd convolution for 3×3 stride-1 layers ([`winograd`]) and for `chanconv`'s 5×5 ones
//! ([`wino5`]), the weight gradient of small
//! convolutions across their filters ([`wgrad`]), and
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
pub mod wgrad;
pub mod wino5;
#[cfg(feature = "alloc")]
pub mod winograd;

pub use vector::{add_to, copy_short, dot, gemv, simd, sum, zero_short};

/// Whether the Winograd kernels ([`winograd`], [`wino5`]) may run: see [`winograd::allow`].
static WINOGRAD: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(true);

/// Whether the Winograd kernels may run (`true` unless a benchmark said otherwise).
pub(crate) fn winograd_allowed() -> bool {
    WINOGRAD.load(core::sync::atomic::Ordering::Relaxed)
}

/// The body of a direct convolution for one sample: `(w, b, g, o, x, y)`.
pub(crate) type DirectBody = unsafe fn(&[f32], &[f32], &im2col::Geom, usize, &[f32], &mut [f32]);

/// The frame of the direct convolutions' `forward` ([`rowconv`], [`chanconv`]): when the
/// kernel is `usable` and the slices hold one sample — `wbx.0` `O·C·Kh·Kw` weights, `wbx.1` no
/// bias or `O`, `wbx.2` the (padded) image of `C·Hp·Wp` floats, `y` `O·H'·W'` outputs —
/// `body` writes the output, `post(o, plane)` runs on each output plane, and it is `true`;
/// otherwise nothing is done and it is `false`.
///
/// # Safety
/// `usable` only where `body` may run on slices of those lengths (the CPU has its features).
#[inline]
unsafe fn direct_frame<F: FnMut(usize, &mut [f32])>(
    usable: bool,
    body: DirectBody,
    g: &im2col::Geom,
    o: usize,
    wbx: (&[f32], &[f32], &[f32]),
    y: &mut [f32],
    mut post: F,
) -> bool {
    let hw = g.oh * g.ow;
    let (w, b, x) = wbx;
    if !usable
        || w.len() < o * g.rows()
        || !(b.is_empty() || b.len() >= o)
        || x.len() < g.c * g.hp() * g.wp()
        || y.len() < o * hw
    {
        return false;
    }
    let y = &mut y[..o * hw];
    // SAFETY: the caller's word, and the lengths checked above.
    unsafe { body(w, b, g, o, x, y) };
    for (oc, plane) in y.chunks_exact_mut(hw).enumerate() {
        post(oc, plane);
    }
    true
}

/// The direct convolutions' bodies where there is no AVX-512 code: never run (their
/// `usable` is `false` there).
#[cfg(not(target_arch = "x86_64"))]
mod no_avx512 {
    /// Does nothing.
    pub unsafe fn forward(
        _: &[f32],
        _: &[f32],
        _: &super::im2col::Geom,
        _: usize,
        _: &[f32],
        _: &mut [f32],
    ) {
    }
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

    /// A direct kernel against the matrix product on the AVX2 path
    /// ([`crate::fused::conv2d_infer`] with the direct kernels off), on one case: weights,
    /// bias (`bias`, or none) and input drawn from `seed`, `run(w, b, x, y, post)` the kernel
    /// (`false` when it did not run). Under AVX-512 it must run, call `post` once on each
    /// output plane in order and give the product's bits; elsewhere it must not run.
    #[cfg(feature = "std")]
    pub fn same_bits_as_the_product(
        g: &super::im2col::Geom,
        o: usize,
        bias: bool,
        seed: u32,
        run: impl FnOnce(&[f32], &[f32], &[f32], &mut [f32], &mut dyn FnMut(usize, &mut [f32])) -> bool,
    ) {
        use super::gemm::{force_path, use_avx512, Path};
        let w = vals(o * g.rows(), seed);
        let b = if bias { vals(o, 5) } else { Vec::new() };
        let x = vals(g.c * g.h * g.w, 2);
        let mut want = alloc::vec![f32::NAN; o * g.oh * g.ow];
        let mut s = alloc::vec![0.0; crate::fused::conv_scratch(*g, o)];
        force_path(Some(Path::Avx2));
        crate::fused::conv2d_infer(&w, &b, g, &x, &mut want, &mut s, |_, _| {});
        force_path(None);
        assert!(
            want.iter().all(|v| v.is_finite()),
            "the product left outputs out"
        );
        let mut got = alloc::vec![f32::NAN; want.len()];
        let mut seen = Vec::new();
        let ran = run(&w, &b, &x, &mut got, &mut |oc, pl| {
            seen.push((oc, pl.len()))
        });
        if !use_avx512() {
            assert!(!ran, "runs only with AVX-512");
            return;
        }
        assert!(ran, "seed {seed}");
        let planes: Vec<_> = (0..o).map(|oc| (oc, g.oh * g.ow)).collect();
        assert_eq!(seen, planes, "seed {seed}");
        assert_eq!(bits(&got), bits(&want), "seed {seed}");
    }
}

//! `Linear` over a batch when the layer is tiny (a few inputs and outputs, as in a 3→16→16→1
//! MLP): loops over blocks of 16 outputs (or inputs) of each sample, on weights copied to the
//! stack padded to whole blocks, compiled 16 or 8 floats wide where the CPU allows; no packing,
//! no workspace, no thread split. The packed matrix product's fixed costs (tile
//! set-up, packing, the thread pool's checks) dwarf the arithmetic at these sizes. One kernel
//! for the hand-composed layer and the code `network!` generates.
//!
//! Sums run in a fixed order on every CPU (the loops are not reassociated and no multiply-add is
//! fused), so the AVX-512, AVX2 and portable builds give the same bits.
/// Floats of a padded weight copy on the stack: `inputs` rows of the outputs rounded up to 16
/// (or the other way round).
const PAD: usize = 1024;
/// The width every inner loop runs at (a whole number of vectors on every x86 path).
const L: usize = 16;

/// The first `len` floats of a stack buffer of [`PAD`], zeroed: only the part a layer's padded
/// weights use is cleared (a 16→16 layer's 256 floats, not all 1,024, three times a backward).
#[inline(always)]
fn zeroed(buf: &mut core::mem::MaybeUninit<[f32; PAD]>, len: usize) -> &mut [f32] {
    assert!(len <= PAD);
    let p = buf.as_mut_ptr().cast::<f32>();
    // SAFETY: `len ≤ PAD` floats of the buffer are written (all-zero bytes are 0.0) before the
    // slice over exactly them is formed.
    unsafe {
        core::ptr::write_bytes(p, 0, len);
        core::slice::from_raw_parts_mut(p, len)
    }
}

/// Copies `src` (at most `L` floats) into `dst[..L]`, zero past its end: one vector store when
/// `src` is a whole block, no call to `memcpy` for the few floats of a sample's row.
#[inline(always)]
fn block_in(dst: &mut [f32], src: &[f32]) {
    let dst = &mut dst[..L];
    if let Ok(s) = <&[f32; L]>::try_from(src) {
        dst.copy_from_slice(s);
        return;
    }
    for (j, d) in dst.iter_mut().enumerate() {
        *d = if j < src.len() { src[j] } else { 0.0 };
    }
}

/// Whether `Linear<ni, no>` over `n` samples takes this module's loops: at most 64 inputs and
/// 64 outputs, both padded weight copies within 1024 floats, and 64 Ki multiply-adds in all.
pub const fn tiny(n: usize, ni: usize, no: usize) -> bool {
    ni <= 64
        && no <= 64
        && ni * no.div_ceil(L) * L <= PAD
        && no * ni.div_ceil(L) * L <= PAD
        && n * ni * no <= 1 << 16
}

/// `y[s, :] = W · x[s, :] + b` for the `n` rows of `x` (`[n, ni]`, `ni = w.len() / b.len()`);
/// `y` is `[n, no]`, `no = b.len()`. Each output is `Σ_i x[s, i]·W[o, i]` in the order of `i`,
/// then plus `b[o]`.
pub fn forward(w: &[f32], b: &[f32], n: usize, x: &[f32], y: &mut [f32]) {
    let no = b.len();
    let ni = w.len() / no.max(1);
    assert!(tiny(n, ni, no) && x.len() >= n * ni && y.len() >= n * no);
    if no == 0 {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    {
        if super::gemm::use_avx512() {
            // SAFETY: the CPU has AVX-512F; sizes checked above.
            return unsafe { forward_512(w, b, n, x, y) };
        }
        if super::gemm::use_avx2() {
            // SAFETY: the CPU has AVX2; sizes checked above.
            return unsafe { forward_256(w, b, n, x, y) };
        }
    }
    forward_body(w, b, n, x, y)
}

/// [`forward_body`] compiled 16 floats wide.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2")]
unsafe fn forward_512(w: &[f32], b: &[f32], n: usize, x: &[f32], y: &mut [f32]) {
    forward_body(w, b, n, x, y)
}
/// [`forward_body`] compiled 8 floats wide.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn forward_256(w: &[f32], b: &[f32], n: usize, x: &[f32], y: &mut [f32]) {
    forward_body(w, b, n, x, y)
}

#[inline(always)]
fn forward_body(w: &[f32], b: &[f32], n: usize, x: &[f32], y: &mut [f32]) {
    let no = b.len();
    let ni = w.len() / no;
    let nop = no.div_ceil(L) * L;
    // Wᵀ, outputs padded with zeros to whole blocks: row i holds input i's weight into each output
    let mut buf = core::mem::MaybeUninit::uninit();
    let wt = zeroed(&mut buf, ni * nop);
    for (o, wr) in w[..no * ni].chunks_exact(ni.max(1)).enumerate() {
        for (i, &v) in wr.iter().enumerate() {
            wt[i * nop + o] = v;
        }
    }
    for s in 0..n {
        let xr = &x[s * ni..][..ni];
        for o0 in (0..no).step_by(L) {
            let mut acc = [0.0f32; L];
            for (i, &xi) in xr.iter().enumerate() {
                let wr = &wt[i * nop + o0..i * nop + o0 + L];
                for (a, &v) in acc.iter_mut().zip(wr) {
                    *a += xi * v;
                }
            }
            let m = L.min(no - o0);
            for ((d, a), &bv) in y[s * no + o0..][..m].iter_mut().zip(acc).zip(&b[o0..]) {
                *d = a + bv;
            }
        }
    }
}

/// The backward of [`forward`] over `n` samples: `dx[s, :] = Σ_o dy[s, o]·W[o, :]` (every
/// row of `dx` written), `gw[o, :] += Σ_s dy[s, o]·x[s, :]` and `gb += Σ_s dy[s, :]`, the
/// outputs and samples added in order. `gb.len()` is the number of outputs.
pub fn backward(
    w: &[f32],
    n: usize,
    x: &[f32],
    dy: &[f32],
    dx: &mut [f32],
    gw: &mut [f32],
    gb: &mut [f32],
) {
    let no = gb.len();
    let ni = w.len() / no.max(1);
    assert!(tiny(n, ni, no) && x.len() >= n * ni && dy.len() >= n * no);
    assert!(dx.len() >= n * ni && gw.len() >= no * ni);
    if no == 0 || ni == 0 {
        dx[..n * ni].fill(0.0);
        return;
    }
    #[cfg(target_arch = "x86_64")]
    {
        if super::gemm::use_avx512() {
            // SAFETY: the CPU has AVX-512F; sizes checked above.
            return unsafe { backward_512(w, n, x, dy, dx, gw, gb) };
        }
        if super::gemm::use_avx2() {
            // SAFETY: the CPU has AVX2; sizes checked above.
            return unsafe { backward_256(w, n, x, dy, dx, gw, gb) };
        }
    }
    backward_body(w, n, x, dy, dx, gw, gb)
}

/// [`backward_body`] compiled 16 floats wide.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2")]
unsafe fn backward_512(
    w: &[f32],
    n: usize,
    x: &[f32],
    dy: &[f32],
    dx: &mut [f32],
    gw: &mut [f32],
    gb: &mut [f32],
) {
    backward_body(w, n, x, dy, dx, gw, gb)
}
/// [`backward_body`] compiled 8 floats wide.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn backward_256(
    w: &[f32],
    n: usize,
    x: &[f32],
    dy: &[f32],
    dx: &mut [f32],
    gw: &mut [f32],
    gb: &mut [f32],
) {
    backward_body(w, n, x, dy, dx, gw, gb)
}

#[inline(always)]
fn backward_body(
    w: &[f32],
    n: usize,
    x: &[f32],
    dy: &[f32],
    dx: &mut [f32],
    gw: &mut [f32],
    gb: &mut [f32],
) {
    let no = gb.len();
    let ni = w.len() / no;
    let nip = ni.div_ceil(L) * L;
    // W and the weight gradient, inputs padded with zeros to whole blocks
    let (mut wbuf, mut gbuf) = (
        core::mem::MaybeUninit::uninit(),
        core::mem::MaybeUninit::uninit(),
    );
    let (wp, gp) = (zeroed(&mut wbuf, no * nip), zeroed(&mut gbuf, no * nip));
    for (o, wr) in w[..no * ni].chunks_exact(ni).enumerate() {
        wp[o * nip..][..ni].copy_from_slice(wr);
    }
    let mut xp = [0.0f32; 64];
    for s in 0..n {
        let xs = &x[s * ni..][..ni];
        for i0 in (0..ni).step_by(L) {
            block_in(&mut xp[i0..], &xs[i0..ni.min(i0 + L)]);
        }
        let dr = &dy[s * no..][..no];
        for i0 in (0..ni).step_by(L) {
            let xb = &xp[i0..i0 + L];
            let mut acc = [0.0f32; L];
            for (o, &d) in dr.iter().enumerate() {
                let at = o * nip + i0;
                let wr = &wp[at..at + L];
                for (a, &v) in acc.iter_mut().zip(wr) {
                    *a += d * v;
                }
                for (g, &v) in gp[at..at + L].iter_mut().zip(xb) {
                    *g += d * v;
                }
            }
            let m = L.min(ni - i0);
            let d = &mut dx[s * ni + i0..][..m];
            if let Ok(d) = <&mut [f32; L]>::try_from(&mut *d) {
                *d = acc;
            } else {
                d.iter_mut().zip(acc).for_each(|(d, a)| *d = a);
            }
        }
        for (g, &d) in gb.iter_mut().zip(dr) {
            *g += d;
        }
    }
    for (o, gr) in gw[..no * ni].chunks_exact_mut(ni).enumerate() {
        for (g, &v) in gr.iter_mut().zip(&gp[o * nip..]) {
            *g += v;
        }
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::kernels::gemm::{force_path, paths};
    use crate::kernels::testing::vals;
    use std::vec::Vec;

    /// The definition in f64.
    #[allow(clippy::type_complexity)]
    fn naive(
        w: &[f32],
        b: &[f32],
        n: usize,
        x: &[f32],
        dy: &[f32],
    ) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
        let (no, ni) = (b.len(), w.len() / b.len());
        let (mut y, mut dx) = (vec![0.0; n * no], vec![0.0; n * ni]);
        let (mut gw, mut gb) = (vec![0.0; no * ni], vec![0.0; no]);
        for s in 0..n {
            for o in 0..no {
                let d = dy[s * no + o] as f64;
                y[s * no + o] = b[o] as f64;
                gb[o] += d;
                for i in 0..ni {
                    y[s * no + o] += w[o * ni + i] as f64 * x[s * ni + i] as f64;
                    dx[s * ni + i] += d * w[o * ni + i] as f64;
                    gw[o * ni + i] += d * x[s * ni + i] as f64;
                }
            }
        }
        (y, dx, gw, gb)
    }

    /// Forward and backward against the f64 definition for every CPU path, and the paths give
    /// the same bits; the gradients are added to what `gw`, `gb` held.
    #[test]
    fn matches_the_definition_on_every_path_bit_for_bit() {
        for &(n, ni, no) in &[(32, 3, 16), (32, 16, 16), (32, 16, 1), (5, 7, 9), (1, 1, 1)] {
            assert!(tiny(n, ni, no));
            let (w, b) = (vals(no * ni, 1), vals(no, 2));
            let (x, dy) = (vals(n * ni, 3), vals(n * no, 4));
            let (ey, edx, egw, egb) = naive(&w, &b, n, &x, &dy);
            let mut runs = Vec::new();
            for p in paths() {
                force_path(Some(p));
                let mut y = vec![f32::NAN; n * no];
                forward(&w, &b, n, &x, &mut y);
                let mut dx = vec![f32::NAN; n * ni];
                let (mut gw, mut gb) = (vec![1.0; no * ni], vec![1.0; no]);
                backward(&w, n, &x, &dy, &mut dx, &mut gw, &mut gb);
                let close = |a: &[f32], e: &[f64], plus: f64| {
                    a.iter()
                        .zip(e)
                        .all(|(&a, &e)| (a as f64 - e - plus).abs() <= 1e-5)
                };
                assert!(close(&y, &ey, 0.0), "y, {n}×{ni}→{no}");
                assert!(close(&dx, &edx, 0.0), "dx, {n}×{ni}→{no}");
                assert!(close(&gw, &egw, 1.0), "gw, {n}×{ni}→{no}");
                assert!(close(&gb, &egb, 1.0), "gb, {n}×{ni}→{no}");
                runs.push(
                    [y, dx, gw, gb].map(|v| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>()),
                );
            }
            force_path(None);
            assert!(
                runs.windows(2).all(|r| r[0] == r[1]),
                "paths differ, {n}×{ni}→{no}"
            );
        }
    }

    #[test]
    fn only_small_layers_are_tiny() {
        assert!(tiny(32, 16, 16) && tiny(64, 32, 32));
        assert!(!tiny(1, 65, 1) && !tiny(1, 1, 65) && !tiny(1, 50, 50) && !tiny(128, 32, 32));
    }
}

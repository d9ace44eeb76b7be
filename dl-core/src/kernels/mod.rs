//! Compute kernels: sgemm wrappers, im2col/col2im, and batch splitting across threads.
pub mod gemm;
pub mod im2col;
pub mod par;
#[cfg(feature = "std")]
mod threadpool;

/// Dot product of two equally long slices (8 independent accumulators, so it vectorises).
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f32; 8];
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for j in 0..8 {
            acc[j] += x[j] * y[j];
        }
    }
    let mut s: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for v in acc {
        s += v;
    }
    s
}

/// Sum of a slice (8 independent accumulators, so it vectorises instead of waiting on each add).
#[inline]
pub fn sum(x: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let mut it = x.chunks_exact(8);
    for c in &mut it {
        for (a, v) in acc.iter_mut().zip(c) {
            *a += v;
        }
    }
    it.remainder().iter().sum::<f32>() + acc.iter().sum::<f32>()
}

/// Copies `s` into `d` (equal lengths) in 8- and 4-float pieces instead of a `memcpy` call,
/// which costs more than the copy itself for the short rows of small images.
#[inline(always)]
pub fn copy_short(d: &mut [f32], s: &[f32]) {
    let n = d.len();
    let s = &s[..n];
    if n >= 8 {
        let mut i = 0;
        while i + 8 <= n {
            d[i..i + 8].copy_from_slice(&<[f32; 8]>::try_from(&s[i..i + 8]).unwrap_or_default());
            i += 8;
        }
        if i < n {
            d[n - 8..].copy_from_slice(&<[f32; 8]>::try_from(&s[n - 8..]).unwrap_or_default());
        }
    } else if n >= 4 {
        d[..4].copy_from_slice(&<[f32; 4]>::try_from(&s[..4]).unwrap_or_default());
        d[n - 4..].copy_from_slice(&<[f32; 4]>::try_from(&s[n - 4..]).unwrap_or_default());
    } else if n > 0 {
        // 1 to 3 floats: first, middle and last (overlapping)
        d[0] = s[0];
        d[n / 2] = s[n / 2];
        d[n - 1] = s[n - 1];
    }
}

/// Zeroes `d` in 8-float pieces (no `memset` call for short rows).
#[inline(always)]
pub fn zero_short(d: &mut [f32]) {
    let mut it = d.chunks_exact_mut(8);
    for c in &mut it {
        c.copy_from_slice(&[0.0; 8]);
    }
    for v in it.into_remainder() {
        *v = 0.0;
    }
}

//! Row-major matrix products on top of `matrixmultiply::sgemm`.
//!
//! Shapes are checked with `debug_assert!`: every caller derives them from type-level shapes.

/// `C = A·B + beta·C` with `A: m×k`, `B: k×n`, `C: m×n`.
#[inline]
pub fn nn(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], beta: f32, c: &mut [f32]) {
    debug_assert!(a.len() >= m * k && b.len() >= k * n && c.len() >= m * n);
    assert!(a.len() >= m * k && b.len() >= k * n && c.len() >= m * n);
    // SAFETY: lengths checked above; row-major strides.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            k as isize,
            1,
            b.as_ptr(),
            n as isize,
            1,
            beta,
            c.as_mut_ptr(),
            n as isize,
            1,
        )
    }
}

/// `C = A·Bᵀ + beta·C` with `A: m×k`, `B: n×k`, `C: m×n`.
#[inline]
pub fn nt(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], beta: f32, c: &mut [f32]) {
    assert!(a.len() >= m * k && b.len() >= k * n && c.len() >= m * n);
    // SAFETY: lengths checked above; B read transposed through its strides.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            k as isize,
            1,
            b.as_ptr(),
            1,
            k as isize,
            beta,
            c.as_mut_ptr(),
            n as isize,
            1,
        )
    }
}

/// `C = Aᵀ·B + beta·C` with `A: k×m`, `B: k×n`, `C: m×n`.
#[inline]
pub fn tn(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], beta: f32, c: &mut [f32]) {
    assert!(a.len() >= m * k && b.len() >= k * n && c.len() >= m * n);
    // SAFETY: lengths checked above; A read transposed through its strides.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            1,
            m as isize,
            b.as_ptr(),
            n as isize,
            1,
            beta,
            c.as_mut_ptr(),
            n as isize,
            1,
        )
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn products_agree_with_the_definition() {
        let (m, k, n) = (3, 4, 5);
        let a: [f32; 12] = core::array::from_fn(|i| i as f32 * 0.5 - 2.0);
        let b: [f32; 20] = core::array::from_fn(|i| (i as f32 * 0.3).sin());
        let mut want = [0.0f32; 15];
        for i in 0..m {
            for j in 0..n {
                want[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
            }
        }
        let mut c = [1.0f32; 15];
        super::nn(m, k, n, &a, &b, 0.0, &mut c);
        assert!(c.iter().zip(&want).all(|(x, y)| (x - y).abs() < 1e-5));
        // Bᵀ stored n×k
        let mut bt = [0.0f32; 20];
        for p in 0..k {
            for j in 0..n {
                bt[j * k + p] = b[p * n + j];
            }
        }
        let mut c2 = [0.0f32; 15];
        super::nt(m, k, n, &a, &bt, 0.0, &mut c2);
        assert!(c2.iter().zip(&want).all(|(x, y)| (x - y).abs() < 1e-5));
        let mut at = [0.0f32; 12];
        for i in 0..m {
            for p in 0..k {
                at[p * m + i] = a[i * k + p];
            }
        }
        let mut c3 = [1.0f32; 15];
        super::tn(m, k, n, &at, &b, 1.0, &mut c3);
        assert!(c3
            .iter()
            .zip(&want)
            .all(|(x, y)| (x - 1.0 - y).abs() < 1e-5));
    }
}

//! Short vector loops on `f32` slices, written so the compiler vectorises them, with
//! [`simd`] to compile a loop for AVX2+FMA when the CPU has them.
#[cfg(target_arch = "x86_64")]
use super::gemm;

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

/// Runs `f` compiled for AVX2+FMA when the CPU has them, so simple loops inside vectorise 8
/// floats wide instead of the baseline's 4; otherwise (or on other targets) runs it as is.
#[inline(always)]
pub fn simd<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if gemm::use_avx2() {
        #[target_feature(enable = "avx2,fma")]
        unsafe fn go<R>(f: impl FnOnce() -> R) -> R {
            f()
        }
        // SAFETY: the CPU supports the features `go` is compiled for.
        return unsafe { go(f) };
    }
    f()
}

/// `d += s`, elementwise.
#[inline(always)]
pub fn add_to(d: &mut [f32], s: &[f32]) {
    for (d, s) in d.iter_mut().zip(s) {
        *d += s;
    }
}

/// `y[i] = b[i] + W[i, :]·x` for a row-major `W` with `x.len()` columns (a matrix-vector
/// product: four rows at a time share each load of `x`, sixteen columns per step; on Arm with an
/// FPU, `lanes`' `asm!` loop, with the same arithmetic).
pub fn gemv(w: &[f32], x: &[f32], b: &[f32], y: &mut [f32]) {
    assert!(w.len() >= y.len() * x.len() && b.len() >= y.len());
    #[cfg(target_arch = "x86_64")]
    if gemm::use_avx512() {
        // SAFETY: the CPU supports AVX-512F (and AVX2, FMA); lengths checked above.
        return unsafe { gemv_avx512(w, x, b, y) };
    }
    #[cfg(target_arch = "x86_64")]
    if gemm::use_avx2() {
        // SAFETY: the CPU supports AVX2 and FMA; lengths checked above.
        return unsafe { gemv_avx2(w, x, b, y) };
    }
    gemv_body(w, x, b, y)
}

/// [`gemv_avx2`]'s arithmetic on eight rows at a time: each row's two 8-lane accumulators are
/// the halves of one 16-lane register (the same fused multiply-adds in the same order, so the
/// same bits), and eight rows give the eight independent chains that keep both FMA pipes busy.
/// The eight rows are finished together: their horizontal sums by [`hsum8`], the columns past
/// the last whole sixteen by [`tails8`], each in [`gemv_avx2`]'s order, one store of eight
/// outputs. The last rows (fewer than eight) go to [`gemv_avx2`].
///
/// # Safety
/// The CPU supports AVX-512F, AVX2 and FMA; `w` holds `y.len()·x.len()` floats, `b` `y.len()`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn gemv_avx512(w: &[f32], x: &[f32], b: &[f32], y: &mut [f32]) {
    use core::arch::x86_64::*;
    let (n, rows) = (x.len(), y.len());
    let n16 = n / 16 * 16;
    let mut i = 0;
    while i + 8 <= rows {
        // SAFETY: rows i..i+8 hold n floats each; j + 16 ≤ n16 ≤ n; b and y hold i + 8 floats.
        unsafe {
            let r: [*const f32; 8] = core::array::from_fn(|k| w.as_ptr().add((i + k) * n));
            let mut acc = [_mm512_setzero_ps(); 8];
            for j in (0..n16).step_by(16) {
                let xv = _mm512_loadu_ps(x.as_ptr().add(j));
                for k in 0..8 {
                    acc[k] = _mm512_fmadd_ps(_mm512_loadu_ps(r[k].add(j)), xv, acc[k]);
                }
            }
            let mut s = _mm256_add_ps(_mm256_loadu_ps(b.as_ptr().add(i)), hsum8(acc));
            if n16 < n {
                // an empty tail would add −0.0, which changes nothing: skipped
                s = _mm256_add_ps(s, tails8(&r, x, n16));
            }
            _mm256_storeu_ps(y.as_mut_ptr().add(i), s);
        }
        i += 8;
    }
    // SAFETY: as for this function; rows i.. of `w` and `b` follow on.
    unsafe { gemv_avx2(&w[i * n..], x, &b[i..], &mut y[i..]) }
}

/// The horizontal sums of eight 16-lane accumulators, lane `k` row `k`'s, each summed in
/// [`gemv_avx2`]'s order — lanes `l + 8`, then `l + 4`, then `l + 2`, then `l + 1` added to
/// lane `l` — with the rows side by side in registers (a transpose as it reduces: 7 adds
/// instead of 32).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
fn hsum8(acc: [core::arch::x86_64::__m512; 8]) -> core::arch::x86_64::__m256 {
    use core::arch::x86_64::*;
    // v[q]: rows 2q, 2q + 1 as [row 2q lanes l + (l + 8), l < 8 | row 2q + 1's]
    let v: [__m512; 4] = core::array::from_fn(|q| {
        let (a, c) = (acc[2 * q], acc[2 * q + 1]);
        let lo = _mm512_shuffle_f32x4::<0b01_00_01_00>(a, c);
        let hi = _mm512_shuffle_f32x4::<0b11_10_11_10>(a, c);
        _mm512_add_ps(lo, hi)
    });
    // h[q]: rows 4q..4q + 4, one per 128-bit block, each block's lanes l + (l + 4), l < 4
    let h: [__m512; 2] = core::array::from_fn(|q| {
        let (a, c) = (v[2 * q], v[2 * q + 1]);
        let lo = _mm512_shuffle_f32x4::<0b10_00_10_00>(a, c);
        let hi = _mm512_shuffle_f32x4::<0b11_01_11_01>(a, c);
        _mm512_add_ps(lo, hi)
    });
    // per block t: [row t: 0 + 2, 1 + 3 | row 4 + t: 0 + 2, 1 + 3]
    let lo = _mm512_shuffle_ps::<0b01_00_01_00>(h[0], h[1]);
    let hi = _mm512_shuffle_ps::<0b11_10_11_10>(h[0], h[1]);
    let e = _mm512_add_ps(lo, hi);
    // per block t: [row t, row 4 + t, (copies)], each (0 + 2) + (1 + 3)
    let lo = _mm512_shuffle_ps::<0b10_00_10_00>(e, e);
    let hi = _mm512_shuffle_ps::<0b11_01_11_01>(e, e);
    let s = _mm512_add_ps(lo, hi);
    let rows = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 0, 0, 0, 0, 0, 0, 0, 0);
    _mm512_castps512_ps256(_mm512_permutexvar_ps(rows, s))
}

/// Eight rows' sums `Σ r[k][c]·x[c]` over the columns `c` from `n16` to `x.len()` (fewer than
/// sixteen), lane `k` row `k`'s: each product rounded, then added in column order from −0.0 —
/// the arithmetic of `Iterator::sum` over the products, as [`gemv_avx2`]'s tail — eight columns
/// at a time loaded per row, multiplied and transposed so that a column is one register.
///
/// # Safety
/// Each `r[k]` points at `x.len()` readable floats; `n16 ≤ x.len()`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn tails8(r: &[*const f32; 8], x: &[f32], n16: usize) -> core::arch::x86_64::__m256 {
    use core::arch::x86_64::*;
    let n = x.len();
    let mut t = _mm256_set1_ps(-0.0);
    let mut c0 = n16;
    while c0 < n {
        let m = (n - c0).min(8);
        let mask = _mm256_cmpgt_epi32(
            _mm256_set1_epi32(m as i32),
            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
        );
        // SAFETY: lanes < m lie inside x and each row (c0 + m ≤ n); the others are not read.
        let p: [__m256; 8] = unsafe {
            let xv = _mm256_maskload_ps(x.as_ptr().add(c0), mask);
            core::array::from_fn(|k| _mm256_mul_ps(_mm256_maskload_ps(r[k].add(c0), mask), xv))
        };
        // 8×8 transpose: q[c] lane k = p[k] lane c
        let a: [__m256; 8] = core::array::from_fn(|k| {
            let (u, v) = (p[k & !1], p[k | 1]);
            if k & 1 == 0 {
                _mm256_unpacklo_ps(u, v)
            } else {
                _mm256_unpackhi_ps(u, v)
            }
        });
        // a[0] = p0p1 lo (c 0,1 | 4,5), a[1] = p0p1 hi (c 2,3 | 6,7), a[2], a[3] rows 2, 3 …
        let bq: [__m256; 8] = core::array::from_fn(|k| {
            let g = (k >> 2) * 4 + (k & 1);
            let (u, v) = (a[g], a[g + 2]);
            if k & 2 == 0 {
                _mm256_shuffle_ps::<0b01_00_01_00>(u, v)
            } else {
                _mm256_shuffle_ps::<0b11_10_11_10>(u, v)
            }
        });
        // bq[0..4]: rows 0–3, columns (0 | 4), (2 | 6), (1 | 5), (3 | 7); bq[4..8] rows 4–7
        let col = |c: usize| {
            let k = [0, 2, 1, 3][c & 3];
            if c < 4 {
                _mm256_permute2f128_ps::<0x20>(bq[k], bq[k + 4])
            } else {
                _mm256_permute2f128_ps::<0x31>(bq[k], bq[k + 4])
            }
        };
        for c in 0..m {
            t = _mm256_add_ps(t, col(c));
        }
        c0 += 8;
    }
    t
}

/// [`gemv`] with FMA: four rows by sixteen columns per step in eight accumulators.
///
/// # Safety
/// The CPU supports AVX2 and FMA; `w` holds `y.len()·x.len()` floats, `b` `y.len()`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn gemv_avx2(w: &[f32], x: &[f32], b: &[f32], y: &mut [f32]) {
    use core::arch::x86_64::*;
    let (n, rows) = (x.len(), y.len());
    let n16 = n / 16 * 16;
    let mut i = 0;
    while i + 4 <= rows {
        // SAFETY: rows i..i+4 hold n floats each; j + 16 ≤ n16 ≤ n.
        unsafe {
            let r: [*const f32; 4] = core::array::from_fn(|k| w.as_ptr().add((i + k) * n));
            let mut acc = [_mm256_setzero_ps(); 8];
            for j in (0..n16).step_by(16) {
                let x0 = _mm256_loadu_ps(x.as_ptr().add(j));
                let x1 = _mm256_loadu_ps(x.as_ptr().add(j + 8));
                for k in 0..4 {
                    acc[2 * k] = _mm256_fmadd_ps(_mm256_loadu_ps(r[k].add(j)), x0, acc[2 * k]);
                    acc[2 * k + 1] =
                        _mm256_fmadd_ps(_mm256_loadu_ps(r[k].add(j + 8)), x1, acc[2 * k + 1]);
                }
            }
            for k in 0..4 {
                let v = _mm256_add_ps(acc[2 * k], acc[2 * k + 1]);
                let h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
                let h = _mm_add_ps(h, _mm_movehl_ps(h, h));
                let h = _mm_add_ss(h, _mm_shuffle_ps::<1>(h, h));
                let row = core::slice::from_raw_parts(r[k], n);
                let tail: f32 = row[n16..].iter().zip(&x[n16..]).map(|(a, b)| a * b).sum();
                y[i + k] = b[i + k] + _mm_cvtss_f32(h) + tail;
            }
        }
        i += 4;
    }
    for k in i..rows {
        y[k] = b[k] + dot(&w[k * n..][..n], x);
    }
}

#[inline(always)]
fn gemv_body(w: &[f32], x: &[f32], b: &[f32], y: &mut [f32]) {
    let (n, rows) = (x.len(), y.len());
    let n16 = n / 16 * 16;
    let mut i = 0;
    while i + 4 <= rows {
        let r: [&[f32]; 4] = core::array::from_fn(|k| &w[(i + k) * n..][..n]);
        let acc = lanes(&r, x);
        let xt = &x[n16..];
        for (k, (a, rk)) in acc.iter().zip(&r).enumerate() {
            let tail: f32 = rk[n16..].iter().zip(xt).map(|(a, b)| a * b).sum();
            y[i + k] = b[i + k] + a.iter().sum::<f32>() + tail;
        }
        i += 4;
    }
    for k in i..rows {
        y[k] = b[k] + dot(&w[k * n..][..n], x);
    }
}

/// The sixteen lane sums of [`gemv`]'s rows: lane `j` of row `k` is `Σ r[k][16c + j]·x[16c + j]`
/// over the whole 16-float chunks `c` of `x`, in `c` order (each product rounded, then added).
/// Four rows share each load of `x`.
#[cfg(not(all(target_arch = "arm", target_abi = "eabihf", target_os = "none")))]
#[inline(always)]
fn lanes(r: &[&[f32]; 4], x: &[f32]) -> [[f32; 16]; 4] {
    let mut acc = [[0.0f32; 16]; 4];
    let (mut xs, mut rs) = (x.chunks_exact(16), r.map(|r| r.chunks_exact(16)));
    for xc in &mut xs {
        for (a, rc) in acc.iter_mut().zip(rs.iter_mut()) {
            let Some(wc) = rc.next() else { break };
            for ((a, &wv), &xv) in a.iter_mut().zip(wc).zip(xc) {
                *a += wv * xv;
            }
        }
    }
    acc
}

/// [`lanes`] on bare-metal Arm with a hard-float FPU (Cortex-M4F): one row at a time, its
/// sixteen accumulators in `s0`–`s15`, each chunk loaded by four `vldmia` of eight floats and
/// accumulated by sixteen `vmla.f32` (rounded product, then the add: the portable lanes' exact
/// arithmetic). 22 instructions for 16 multiply-accumulates.
#[cfg(all(target_arch = "arm", target_abi = "eabihf", target_os = "none"))]
#[inline(always)]
fn lanes(r: &[&[f32]; 4], x: &[f32]) -> [[f32; 16]; 4] {
    static ZEROS: [f32; 16] = [0.0; 16];
    // every lane is written below (by `vstm`, or zeros when `x` has no whole chunk): no clearing
    let mut acc = core::mem::MaybeUninit::<[[f32; 16]; 4]>::uninit();
    for (k, row) in r.iter().enumerate() {
        // SAFETY: row k of the four.
        let a = unsafe { acc.as_mut_ptr().cast::<f32>().add(16 * k) };
        let chunks = row.len().min(x.len()) / 16;
        if chunks == 0 {
            // SAFETY: 16 writable floats from `a`.
            unsafe { a.write_bytes(0, 16) };
            continue;
        }
        // SAFETY: `row` and `x` hold `16·chunks` floats each, `a` 16 writable ones; the asm
        // touches only the registers named.
        unsafe {
            core::arch::asm!(
                "vldm {z}, {{s0-s15}}",
                "2:",
                "vldmia {w}!, {{s16-s23}}",
                "vldmia {x}!, {{s24-s31}}",
                "vmla.f32 s0, s16, s24",
                "vmla.f32 s1, s17, s25",
                "vmla.f32 s2, s18, s26",
                "vmla.f32 s3, s19, s27",
                "vmla.f32 s4, s20, s28",
                "vmla.f32 s5, s21, s29",
                "vmla.f32 s6, s22, s30",
                "vmla.f32 s7, s23, s31",
                "vldmia {w}!, {{s16-s23}}",
                "vldmia {x}!, {{s24-s31}}",
                "vmla.f32 s8, s16, s24",
                "vmla.f32 s9, s17, s25",
                "vmla.f32 s10, s18, s26",
                "vmla.f32 s11, s19, s27",
                "vmla.f32 s12, s20, s28",
                "vmla.f32 s13, s21, s29",
                "vmla.f32 s14, s22, s30",
                "vmla.f32 s15, s23, s31",
                "subs {n}, {n}, #1",
                "bne 2b",
                "vstm {o}, {{s0-s15}}",
                z = in(reg) ZEROS.as_ptr(),
                w = inout(reg) row.as_ptr() => _,
                x = inout(reg) x.as_ptr() => _,
                n = inout(reg) chunks => _,
                o = in(reg) a,
                out("s0") _, out("s1") _, out("s2") _, out("s3") _,
                out("s4") _, out("s5") _, out("s6") _, out("s7") _,
                out("s8") _, out("s9") _, out("s10") _, out("s11") _,
                out("s12") _, out("s13") _, out("s14") _, out("s15") _,
                out("s16") _, out("s17") _, out("s18") _, out("s19") _,
                out("s20") _, out("s21") _, out("s22") _, out("s23") _,
                out("s24") _, out("s25") _, out("s26") _, out("s27") _,
                out("s28") _, out("s29") _, out("s30") _, out("s31") _,
                options(nostack),
            );
        }
    }
    // SAFETY: all 64 floats written above.
    unsafe { acc.assume_init() }
}

/// Sum of a slice: 32 independent accumulators, so it keeps several vector additions in
/// flight instead of waiting on each (a bias gradient sums every pixel of `dY`: 4,704 floats a
/// sample in LeNet-5's first layer); then the four groups of eight into one, the last floats
/// and the eight, in a fixed order. Four AVX2 registers where the CPU has them (the same
/// additions in the same order, so the same bits).
#[inline]
pub fn sum(x: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if x.len() >= 32 && gemm::use_avx2() {
        // SAFETY: the CPU has AVX2.
        return unsafe { sum_avx2(x) };
    }
    let mut acc = [0.0f32; 32];
    let mut it = x.chunks_exact(32);
    for c in &mut it {
        for (a, v) in acc.iter_mut().zip(c) {
            *a += v;
        }
    }
    let mut r = [0.0f32; 8];
    for c in acc.chunks_exact(8) {
        for (r, v) in r.iter_mut().zip(c) {
            *r += v;
        }
    }
    it.remainder().iter().sum::<f32>() + r.iter().sum::<f32>()
}

/// [`sum`] in four AVX2 registers.
///
/// # Safety
/// The CPU has AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn sum_avx2(x: &[f32]) -> f32 {
    use core::arch::x86_64::*;
    let mut a = [_mm256_setzero_ps(); 4];
    let mut it = x.chunks_exact(32);
    for c in &mut it {
        for (k, a) in a.iter_mut().enumerate() {
            // SAFETY: floats 8k..8k + 8 of a chunk of 32.
            *a = _mm256_add_ps(*a, unsafe { _mm256_loadu_ps(c.as_ptr().add(8 * k)) });
        }
    }
    let mut r = _mm256_setzero_ps();
    for v in a {
        r = _mm256_add_ps(r, v);
    }
    let mut l = [0.0f32; 8];
    // SAFETY: l holds eight floats.
    unsafe { _mm256_storeu_ps(l.as_mut_ptr(), r) };
    it.remainder().iter().sum::<f32>() + l.iter().sum::<f32>()
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

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::kernels::gemm::{force_path, paths};
    use crate::kernels::testing::vals;

    /// [`sum`] gives the same bits on every path (AVX2 adds in the portable order), close to the
    /// sum in f64, for lengths around its 32-float blocks.
    #[test]
    fn sum_is_the_same_on_every_path() {
        for n in [0, 1, 7, 31, 32, 33, 95, 100, 4704] {
            let x = vals(n, n as u32);
            let exact: f64 = x.iter().map(|&v| v as f64).sum();
            let mut got = std::vec::Vec::new();
            for p in paths() {
                force_path(Some(p));
                got.push(sum(&x).to_bits());
                force_path(None);
            }
            assert!(got.iter().all(|&b| b == got[0]), "n = {n}: {got:?}");
            let s = f32::from_bits(got[0]) as f64;
            assert!(
                (s - exact).abs() <= 1e-4 * (1.0 + exact.abs()),
                "n = {n}: {s} vs {exact}"
            );
        }
    }
}

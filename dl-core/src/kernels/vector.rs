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
/// The last rows (fewer than eight) go to [`gemv_avx2`].
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
        // SAFETY: rows i..i+8 hold n floats each; j + 16 ≤ n16 ≤ n.
        unsafe {
            let r: [*const f32; 8] = core::array::from_fn(|k| w.as_ptr().add((i + k) * n));
            let mut acc = [_mm512_setzero_ps(); 8];
            for j in (0..n16).step_by(16) {
                let xv = _mm512_loadu_ps(x.as_ptr().add(j));
                for k in 0..8 {
                    acc[k] = _mm512_fmadd_ps(_mm512_loadu_ps(r[k].add(j)), xv, acc[k]);
                }
            }
            for k in 0..8 {
                let v = _mm256_add_ps(
                    _mm512_castps512_ps256(acc[k]),
                    _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(acc[k]))),
                );
                let h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
                let h = _mm_add_ps(h, _mm_movehl_ps(h, h));
                let h = _mm_add_ss(h, _mm_shuffle_ps::<1>(h, h));
                let row = core::slice::from_raw_parts(r[k], n);
                let tail: f32 = row[n16..].iter().zip(&x[n16..]).map(|(a, b)| a * b).sum();
                y[i + k] = b[i + k] + _mm_cvtss_f32(h) + tail;
            }
        }
        i += 8;
    }
    // SAFETY: as for this function; rows i.. of `w` and `b` follow on.
    unsafe { gemv_avx2(&w[i * n..], x, &b[i..], &mut y[i..]) }
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

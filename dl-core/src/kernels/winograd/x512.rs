//! The strided moves between a row of tiles and the lanes of the transforms, as AVX-512
//! permutes instead of one scalar move per float (for `F4` on 16 lanes: tile `l` of a segment
//! starts at float `4·l` of a row). Exact moves: the same values as the scalar loops.
use super::Lanes;
use core::arch::x86_64::*;

/// Lane `l` ← `2l` of the 32 lanes of two vectors (`EVEN`), or `2l + 1` (`ODD`).
const EVEN: [i32; 16] = [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30];
const ODD: [i32; 16] = [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31];
/// Interleaves the low (`LO`) or high (`HI`) halves of two vectors: `a0 b0 a1 b1 …`.
const LO: [i32; 16] = [0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23];
const HI: [i32; 16] = [8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31];
/// Lanes 1..16 of a vector, then lane 0 (`NEXT0`) or 1 (`NEXT1`) of a second one.
const NEXT0: [i32; 16] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
const NEXT1: [i32; 16] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17];
/// The same for two halves of 8 lanes: lanes 1..8 then lane 0 (1) of the second vector,
/// lanes 9..16 then its lane 2 (3).
const NEXT0_PAIR: [i32; 16] = [1, 2, 3, 4, 5, 6, 7, 16, 9, 10, 11, 12, 13, 14, 15, 18];
const NEXT1_PAIR: [i32; 16] = [1, 2, 3, 4, 5, 6, 7, 17, 9, 10, 11, 12, 13, 14, 15, 19];

#[inline(always)]
unsafe fn idx(i: &[i32; 16]) -> __m512i {
    // SAFETY: 16 readable ints.
    unsafe { _mm512_loadu_si512(i.as_ptr().cast()) }
}

/// `out[j][l] = s[4l + j]` for `j < 4`, `l < 16` from the 64 floats at `s`.
#[inline(always)]
unsafe fn deint4(s: *const f32) -> [__m512; 4] {
    // SAFETY: the caller vouches for 64 floats at `s` and for AVX-512F.
    unsafe {
        deint4_of([
            _mm512_loadu_ps(s),
            _mm512_loadu_ps(s.add(16)),
            _mm512_loadu_ps(s.add(32)),
            _mm512_loadu_ps(s.add(48)),
        ])
    }
}

/// The first `n` lanes set (`n ≤ 16`).
#[inline(always)]
fn mask(n: usize) -> __mmask16 {
    if n >= 16 {
        0xFFFF
    } else {
        (1u16 << n) - 1
    }
}

/// `out[j][l] = q[4l + j]` (the 64 lanes of `q` in order) for `j < 4`, `l < 16`.
#[inline(always)]
unsafe fn deint4_of(q: [__m512; 4]) -> [__m512; 4] {
    // SAFETY: AVX-512F by the caller.
    unsafe {
        let (ev, od) = (idx(&EVEN), idx(&ODD));
        // e·[k] = s[2k] (s[32 + 2k] for the second), o·[k] = s[2k + 1]
        let e01 = _mm512_permutex2var_ps(q[0], ev, q[1]);
        let o01 = _mm512_permutex2var_ps(q[0], od, q[1]);
        let e23 = _mm512_permutex2var_ps(q[2], ev, q[3]);
        let o23 = _mm512_permutex2var_ps(q[2], od, q[3]);
        [
            _mm512_permutex2var_ps(e01, ev, e23),
            _mm512_permutex2var_ps(o01, ev, o23),
            _mm512_permutex2var_ps(e01, od, e23),
            _mm512_permutex2var_ps(o01, od, o23),
        ]
    }
}

/// `d[j][l] = row[4l + j]` for `j < 6`, `l < 16` (`row`: 66 floats, `d`: 6 rows).
///
/// # Safety
/// The CPU has AVX-512F.
#[inline(always)]
pub unsafe fn gather6(row: &[f32], d: &mut [Lanes]) {
    assert!(row.len() >= 66 && d.len() >= 6);
    // SAFETY: in bounds by the assert; AVX-512F by the caller.
    unsafe {
        let v = deint4(row.as_ptr());
        // row[64], row[65] in lanes 0, 1 (the other lanes neither read nor faulted)
        let t = _mm512_maskz_loadu_ps(0b11, row.as_ptr().add(64));
        let v4 = _mm512_permutex2var_ps(v[0], idx(&NEXT0), t);
        let v5 = _mm512_permutex2var_ps(v[1], idx(&NEXT1), t);
        _mm512_storeu_ps(d[0].as_mut_ptr(), v[0]);
        _mm512_storeu_ps(d[1].as_mut_ptr(), v[1]);
        _mm512_storeu_ps(d[2].as_mut_ptr(), v[2]);
        _mm512_storeu_ps(d[3].as_mut_ptr(), v[3]);
        _mm512_storeu_ps(d[4].as_mut_ptr(), v4);
        _mm512_storeu_ps(d[5].as_mut_ptr(), v5);
    }
}

/// `d[j][l] = s[4l + j]` for `j < 4`, `l < 16`, `s` the floats of `a` (at most 32)
/// then those of `b` 32 floats further (at most 32), zeros past their ends: one row of
/// 16 tiles split in two, or the rows of two rows of 8 tiles.
///
/// # Safety
/// The CPU has AVX-512F.
#[inline(always)]
pub unsafe fn gather4_pair(a: &[f32], b: &[f32], d: &mut [Lanes]) {
    assert!(a.len() <= 32 && b.len() <= 32 && d.len() >= 4);
    // SAFETY: masked loads of the floats of `a` and `b` only; AVX-512F by the caller.
    unsafe {
        let ld = |s: &[f32], k: usize| {
            _mm512_maskz_loadu_ps(
                mask(s.len().saturating_sub(16 * k)),
                s.as_ptr().wrapping_add(16 * k),
            )
        };
        let v = deint4_of([ld(a, 0), ld(a, 1), ld(b, 0), ld(b, 1)]);
        _mm512_storeu_ps(d[0].as_mut_ptr(), v[0]);
        _mm512_storeu_ps(d[1].as_mut_ptr(), v[1]);
        _mm512_storeu_ps(d[2].as_mut_ptr(), v[2]);
        _mm512_storeu_ps(d[3].as_mut_ptr(), v[3]);
    }
}

/// [`gather6`] for two rows of 8 tiles: lanes 0..8 from `a`, 8..16 from `b` (each 34
/// floats: `d[j][l] = a[4l + j]`, `d[j][8 + l] = b[4l + j]`).
///
/// # Safety
/// The CPU has AVX-512F.
#[inline(always)]
pub unsafe fn gather6_pair(a: &[f32], b: &[f32], d: &mut [Lanes]) {
    assert!(a.len() >= 34 && b.len() >= 34 && d.len() >= 6);
    // SAFETY: in bounds by the assert; AVX-512F by the caller.
    unsafe {
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let v = deint4_of([
            _mm512_loadu_ps(pa),
            _mm512_loadu_ps(pa.add(16)),
            _mm512_loadu_ps(pb),
            _mm512_loadu_ps(pb.add(16)),
        ]);
        // a[32], a[33], b[32], b[33] in lanes 0..4 (lanes 2, 3 loaded from b + 30)
        let t = _mm512_maskz_loadu_ps(0b11, pa.add(32));
        let t = _mm512_mask_loadu_ps(t, 0b1100, pb.add(30));
        let v4 = _mm512_permutex2var_ps(v[0], idx(&NEXT0_PAIR), t);
        let v5 = _mm512_permutex2var_ps(v[1], idx(&NEXT1_PAIR), t);
        _mm512_storeu_ps(d[0].as_mut_ptr(), v[0]);
        _mm512_storeu_ps(d[1].as_mut_ptr(), v[1]);
        _mm512_storeu_ps(d[2].as_mut_ptr(), v[2]);
        _mm512_storeu_ps(d[3].as_mut_ptr(), v[3]);
        _mm512_storeu_ps(d[4].as_mut_ptr(), v4);
        _mm512_storeu_ps(d[5].as_mut_ptr(), v5);
    }
}

/// `s[4l + j] = m[j][l] + bias` for `j < 4`, `l < 16`, `s` the floats of `a` (at most
/// 32) then those of `b` 32 floats further (at most 32); nothing written past their ends.
///
/// # Safety
/// The CPU has AVX-512F.
#[inline(always)]
pub unsafe fn scatter4_pair(m: &[Lanes], bias: f32, a: &mut [f32], b: &mut [f32]) {
    assert!(m.len() >= 4 && a.len() <= 32 && b.len() <= 32);
    // SAFETY: masked stores into `a` and `b` only; AVX-512F by the caller.
    unsafe {
        let d = [
            _mm512_loadu_ps(m[0].as_ptr()),
            _mm512_loadu_ps(m[1].as_ptr()),
            _mm512_loadu_ps(m[2].as_ptr()),
            _mm512_loadu_ps(m[3].as_ptr()),
        ];
        let (lo, hi) = (idx(&LO), idx(&HI));
        // e01[k] = s[2k], e23[k] = s[32 + 2k], o·: the odd ones
        let e01 = _mm512_permutex2var_ps(d[0], lo, d[2]);
        let e23 = _mm512_permutex2var_ps(d[0], hi, d[2]);
        let o01 = _mm512_permutex2var_ps(d[1], lo, d[3]);
        let o23 = _mm512_permutex2var_ps(d[1], hi, d[3]);
        let bv = _mm512_set1_ps(bias);
        let st = |s: &mut [f32], k: usize, q: __m512| {
            if s.len() > 16 * k {
                let v = _mm512_add_ps(q, bv);
                _mm512_mask_storeu_ps(s.as_mut_ptr().add(16 * k), mask(s.len() - 16 * k), v);
            }
        };
        st(a, 0, _mm512_permutex2var_ps(e01, lo, o01));
        st(a, 1, _mm512_permutex2var_ps(e01, hi, o01));
        st(b, 0, _mm512_permutex2var_ps(e23, lo, o23));
        st(b, 1, _mm512_permutex2var_ps(e23, hi, o23));
    }
}

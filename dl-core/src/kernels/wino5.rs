//! Winograd `F(2×2, 5×5)` for [`chanconv`](super::chanconv)'s small maps (LeNet-5's second
//! convolution: 6 → 16 channels, 5×5, on 14×14): 36 products per 2×2 output tile instead of
//! 100, 2.8× fewer multiplies, at the price of three transforms that the direct kernel does
//! not pay. AVX-512, sixteen filters per register as in `chanconv`.
//!
//! With the interpolation points 0, ±1, ±2 and ∞ (those of `F(4×4, 3×3)`, so the same `Bᵀ`),
//! an output tile is `Y = Aᵀ·[(G·w·Gᵀ) ⊙ (Bᵀ·d·B)]·A` for the 6×6 input tile `d` at
//! `(2·ty, 2·tx)` and the 5×5 filter `w`, summed over the input channels before `Aᵀ`:
//!
//! ```text
//! Aᵀ = [1  1  1  1  1  0]    G = [ 1/4     0     0     0     0  ]   Bᵀ = [4  0 -5  0  1  0]
//!      [0  1 -1  2 -2  1]        [-1/6  -1/6  -1/6  -1/6  -1/6 ]        [0 -4 -4  1  1  0]
//!                                [-1/6   1/6  -1/6   1/6  -1/6 ]        [0  4 -4 -1  1  0]
//!                                [1/24  1/12   1/6   1/3   2/3 ]        [0 -2 -1  2  1  0]
//!                                [1/24 -1/12   1/6  -1/3   2/3 ]        [0  2 -1 -2  1  0]
//!                                [  0     0     0     0     1  ]        [0  4  0 -5  0  1]
//! ```
//!
//! (`scripts/wino5_matrices.py` derives them and checks the identity exactly.) The filters
//! are transformed by [`transform`], sixteen to a vector as `chanconv` packs them: once per
//! batch, and for single samples once per set of weights ([`with_filters`] keeps the last two
//! in static memory, keyed by their exact bits). Per row of tiles every channel's `V[c, η, ξ, tx]` is made from six
//! input rows (`Bᵀ` down the columns, sixteen columns a register, then `Bᵀ` along the rows on
//! the even and odd columns of two rows at a time); the products `M[η, ξ] = Σ_c U·V` keep a
//! row of tiles in registers; `Aᵀ·M·A` gives each tile's four pixels, sixteen channels each,
//! and a 16×16 transpose puts a row of pixels back in the channel planes.
//!
//! The error is that of the other Winograd kernels (test `error_against_the_direct_sum`): not
//! the bits of the direct kernel. Runs where [`applies`]: one row of at most six tiles
//! (outputs at most 12 wide, so an input row is one register), at most [`MAX_C`] channels
//! (the transformed filters and inputs live on the stack), and from four channels, below which
//! the transforms cost more than the products they save (an estimate from operation counts:
//! measured only at six channels).
use super::im2col::Geom;

/// Most input channels (the transformed filters of a block, `MAX_C·36·16` floats, and a row
/// of tiles' inputs, `MAX_C·36·16` floats, are stack arrays).
pub const MAX_C: usize = 8;
/// Fewest input channels.
const MIN_C: usize = 4;
/// Most tiles in an output row (`2·MAX_T` pixels).
const MAX_T: usize = 6;
/// Output channels per block (one AVX-512 register).
const LANES: usize = 16;

/// Whether the geometry suits this kernel (besides [`super::chanconv::applies`], which the
/// caller checks): a 5×5 kernel, stride 1, dilation 1, no padding, `MIN_C..=MAX_C` input
/// channels, outputs 4 to 12 pixels wide and at least 4 high, and Winograd allowed
/// (the switch [`winograd::allow`](super::winograd::allow) sets).
pub fn applies(g: &Geom, o: usize) -> bool {
    g.kh == 5
        && g.kw == 5
        && g.sh == 1
        && g.sw == 1
        && g.dh == 1
        && g.dw == 1
        && g.pt + g.pb + g.pl + g.pr == 0
        && (MIN_C..=MAX_C).contains(&g.c)
        && o >= LANES
        && o.is_multiple_of(LANES)
        && (4..=2 * MAX_T).contains(&g.ow)
        && g.oh >= 4
        && g.w == g.ow + 4
        && g.h == g.oh + 4
        && super::winograd_allowed()
}

/// Whether [`forward`] runs here: [`applies`] and [`chanconv::usable`](super::chanconv::usable)
/// (the CPU has AVX-512).
#[inline]
pub fn usable(g: &Geom, o: usize) -> bool {
    applies(g, o) && super::chanconv::usable(g, o)
}

/// Floats of the transformed filters of `O` filters over `g`: `O·C·36`.
pub const fn filters_len(g: &Geom, o: usize) -> usize {
    o * g.c * 36
}

/// The transformed filters `U = G·w·Gᵀ` of `w` (`[O, C, 5, 5]`) into `u` ([`filters_len`]
/// floats), per block of sixteen filters `[C, 36, 16]`. Does nothing and is `false` where the
/// kernel is not [usable] or a slice is too short.
pub fn transform(g: &Geom, w: &[f32], o: usize, u: &mut [f32]) -> bool {
    let ckk = g.c * 25;
    if !usable(g, o) || w.len() < o * ckk || u.len() < filters_len(g, o) {
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    for (ob, ub) in u[..filters_len(g, o)]
        .chunks_exact_mut(g.c * 36 * LANES)
        .enumerate()
    {
        // a block's taps, packed as chanconv packs them: sixteen filters a vector
        let mut taps = [0.0f32; MAX_C * 25 * LANES];
        let taps = &mut taps[..ckk * LANES];
        super::chanconv::pack(&w[ob * LANES * ckk..][..LANES * ckk], LANES, ckk, taps);
        // SAFETY: usable (AVX-512F); taps holds C·25·16 floats, ub C·36·16.
        unsafe { avx512::filters(taps.as_ptr(), g.c, ub.as_mut_ptr()) };
    }
    true
}

/// One sample: `y[O, H', W'] = b + W ∗ x` from the filters [`transform`]ed into `u`, then
/// `post(o, plane)` on each output plane. Returns `false` (and does nothing) where the kernel
/// is not [usable] or a slice is too short.
pub fn forward<F: FnMut(usize, &mut [f32])>(
    u: &[f32],
    b: &[f32],
    g: &Geom,
    o: usize,
    x: &[f32],
    y: &mut [f32],
    post: F,
) -> bool {
    let ok = usable(g, o) && u.len() >= filters_len(g, o);
    #[cfg(target_arch = "x86_64")]
    let body: super::DirectBody = avx512::forward;
    #[cfg(not(target_arch = "x86_64"))]
    let body: super::DirectBody = super::no_avx512::forward;
    // SAFETY: `ok` only where the CPU has AVX-512 and the geometry is this kernel's; the
    // frame checks the other lengths (u holds more than O·C·25 floats).
    unsafe { super::direct_frame(ok, body, g, o, (u, b, x), y, post) }
}

/// Runs `f` on the transformed filters of `w` (`[O, C, 5, 5]`), kept for the next call:
/// inference with unchanged weights transforms them once, as runtimes that pack a model's
/// weights when they load it. The last [`CACHED`] sets of at most [`CACHE_MAX`] weights are
/// kept process-wide in fixed arrays (static memory, so inference still never touches the
/// allocator), keyed by the weights' exact bits and the channel count: a set changed in any
/// bit is transformed again. Threads share a hit (a read lock while `f` runs); a miss
/// transforms under the write lock. `None` (the caller runs the direct kernel) where the
/// kernel is not [usable] or the set is larger than [`CACHE_MAX`]. `f` must not call this
/// function again (it would wait for the lock it holds).
#[cfg(feature = "std")]
pub fn with_filters<R>(g: &Geom, w: &[f32], o: usize, f: impl FnOnce(&[f32]) -> R) -> Option<R> {
    let n = o * g.c * 25;
    if !usable(g, o) || w.len() < n || n > CACHE_MAX {
        return None;
    }
    // the weights' bits (a float loop that stops at the first difference is not vectorised:
    // it took 0.7 µs on LeNet-5's 2,400 weights; slices of integers compare as memory)
    // SAFETY: f32 and u32 have the same size and alignment, and every bit pattern is a u32.
    let bits: &[u32] = unsafe { core::slice::from_raw_parts(w.as_ptr().cast(), n) };
    let ul = filters_len(g, o);
    let find = |c: &Cache| {
        c.slots
            .iter()
            .position(|s| s.c == g.c && s.n == n && s.key[..n] == *bits)
    };
    {
        // a poisoned lock is still consistent: a slot is marked valid only once it is whole
        let c = CACHE.read().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = find(&c) {
            return Some(f(&c.slots[i].u[..ul]));
        }
    }
    let mut c = CACHE.write().unwrap_or_else(|e| e.into_inner());
    // another thread may have put the set in between the locks
    let i = match find(&c) {
        Some(i) => i,
        None => {
            let i = c.next;
            c.next = (i + 1) % CACHED;
            let s = &mut c.slots[i];
            s.n = 0;
            transform(g, w, o, &mut s.u[..ul]);
            s.key[..n].copy_from_slice(bits);
            (s.c, s.n) = (g.c, n);
            i
        }
    };
    Some(f(&c.slots[i].u[..ul]))
}

/// Filter sets [`with_filters`] keeps.
#[cfg(feature = "std")]
pub const CACHED: usize = 2;
/// Most weights (`O·C·25`) of a set [`with_filters`] keeps: [`MAX_C`] channels to 32 filters
/// (two [`CACHED`] sets take 125 KiB of static memory).
#[cfg(feature = "std")]
pub const CACHE_MAX: usize = MAX_C * 25 * 32;

/// A kept set: the weights' bits and their transformed filters; `n == 0` is an empty slot.
#[cfg(feature = "std")]
struct Slot {
    c: usize,
    n: usize,
    key: [u32; CACHE_MAX],
    u: [f32; CACHE_MAX / 25 * 36],
}

/// The kept sets and the slot the next miss overwrites.
#[cfg(feature = "std")]
struct Cache {
    next: usize,
    slots: [Slot; CACHED],
}

#[cfg(feature = "std")]
impl Slot {
    const EMPTY: Slot = Slot {
        c: 0,
        n: 0,
        key: [0; CACHE_MAX],
        u: [0.0; CACHE_MAX / 25 * 36],
    };
}

#[cfg(feature = "std")]
static CACHE: std::sync::RwLock<Cache> = std::sync::RwLock::new(Cache {
    next: 0,
    slots: [Slot::EMPTY; CACHED],
});

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{Geom, LANES, MAX_C};
    use crate::kernels::chanconv::transpose16;
    use core::arch::x86_64::*;
    use core::mem::MaybeUninit;

    #[inline(always)]
    fn k(v: f32) -> __m512 {
        // SAFETY: AVX-512F, the callers' feature.
        unsafe { _mm512_set1_ps(v) }
    }

    /// `Bᵀ·d` for six values (lane by lane).
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn bt(d: [__m512; 6]) -> [__m512; 6] {
        let [d0, d1, d2, d3, d4, d5] = d;
        let a = _mm512_fnmadd_ps(k(4.0), d2, d4); // d4 − 4·d2
        let b = _mm512_fnmadd_ps(k(4.0), d1, d3); // d3 − 4·d1
        let c = _mm512_sub_ps(d4, d2);
        let e = _mm512_sub_ps(d3, d1);
        [
            _mm512_fmadd_ps(k(4.0), d0, _mm512_fnmadd_ps(k(5.0), d2, d4)),
            _mm512_add_ps(a, b),
            _mm512_sub_ps(a, b),
            _mm512_fmadd_ps(k(2.0), e, c),
            _mm512_fnmadd_ps(k(2.0), e, c),
            _mm512_fmadd_ps(k(4.0), d1, _mm512_fnmadd_ps(k(5.0), d3, d5)),
        ]
    }

    /// `G·w` for five values.
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn gw(w: [__m512; 5]) -> [__m512; 6] {
        let [w0, w1, w2, w3, w4] = w;
        let e1 = _mm512_add_ps(_mm512_add_ps(w0, w2), w4);
        let o1 = _mm512_add_ps(w1, w3);
        let e2 = _mm512_fmadd_ps(
            k(1.0 / 24.0),
            w0,
            _mm512_fmadd_ps(k(1.0 / 6.0), w2, _mm512_mul_ps(k(2.0 / 3.0), w4)),
        );
        let o2 = _mm512_fmadd_ps(k(1.0 / 12.0), w1, _mm512_mul_ps(k(1.0 / 3.0), w3));
        [
            _mm512_mul_ps(k(0.25), w0),
            _mm512_mul_ps(k(-1.0 / 6.0), _mm512_add_ps(e1, o1)),
            _mm512_mul_ps(k(-1.0 / 6.0), _mm512_sub_ps(e1, o1)),
            _mm512_add_ps(e2, o2),
            _mm512_sub_ps(e2, o2),
            w4,
        ]
    }

    /// `Aᵀ·m` for six values: two.
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn at(m: [__m512; 6]) -> [__m512; 2] {
        let [m0, m1, m2, m3, m4, m5] = m;
        let s = _mm512_add_ps(_mm512_add_ps(m1, m2), _mm512_add_ps(m3, m4));
        let d = _mm512_fmadd_ps(k(2.0), _mm512_sub_ps(m3, m4), _mm512_sub_ps(m1, m2));
        [_mm512_add_ps(m0, s), _mm512_add_ps(d, m5)]
    }

    /// Lane `l` ← lane `2l` (`EVEN`) or `2l + 1` (`ODD`) of the 32 lanes of two vectors.
    const EVEN: [i32; 16] = [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30];
    const ODD: [i32; 16] = [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31];

    /// Lane `l` ← lane `l + N` (zero past the last).
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn down<const N: i32>(v: __m512) -> __m512 {
        let z = _mm512_setzero_si512();
        _mm512_castsi512_ps(_mm512_alignr_epi32::<N>(z, _mm512_castps_si512(v)))
    }

    /// All blocks of sixteen filters, all rows of tiles.
    ///
    /// # Safety
    /// AVX-512F; `u` holds `O·C·36` floats from [`super::transform`], `x` `C·H·W`, `y`
    /// `O·H'·W'` floats, `b` is empty or holds `O`; the geometry is one [`super::applies`]
    /// accepts.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn forward(u: &[f32], b: &[f32], g: &Geom, o: usize, x: &[f32], y: &mut [f32]) {
        let (c, hw) = (g.c, g.oh * g.ow);
        let mut v = MaybeUninit::<[f32; MAX_C * 36 * LANES]>::uninit();
        let vp = v.as_mut_ptr().cast::<f32>();
        for ob in 0..o / LANES {
            // SAFETY: block ob's C·36 vectors are inside u's O·C·36 floats.
            let up = unsafe { u.as_ptr().add(ob * c * 36 * LANES) };
            let bias = if b.is_empty() {
                _mm512_setzero_ps()
            } else {
                // SAFETY: b holds O ≥ (ob + 1)·16 floats.
                unsafe { _mm512_loadu_ps(b.as_ptr().add(ob * LANES)) }
            };
            for ty in 0..g.oh.div_ceil(2) {
                // SAFETY: rows 2·ty.. of x as `inputs` reads them; v holds C·36 vectors.
                unsafe { inputs(x.as_ptr(), g, ty, vp) };
                let yb = y.as_mut_ptr();
                let out = Out {
                    y: yb,
                    base: ob * LANES * hw,
                    g,
                    ty,
                    bias,
                };
                macro_rules! run {
                    ($($t:literal)*) => {
                        match g.ow.div_ceil(2) {
                            // SAFETY: u holds the block's C channels, v written above; the output
                            // pixels `out` stores are inside y's O·H'·W' floats.
                            $($t => unsafe { tiles::<$t>(up, vp, c, &out) },)*
                            _ => {}
                        }
                    };
                }
                run!(1 2 3 4 5 6);
            }
        }
    }

    /// `U[c][η·6 + ξ] = (G·w_c·Gᵀ)[η][ξ]`, sixteen filters a vector, from a block's packed
    /// taps (`[C·25][16]`, tap `(c, ki, kj)` at `c·25 + ki·5 + kj`).
    ///
    /// # Safety
    /// AVX-512F; `w` points at `C·25·16` floats, `u` at room for `C·36·16`.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn filters(w: *const f32, c: usize, u: *mut f32) {
        for ci in 0..c {
            // SAFETY: the caller's word.
            unsafe {
                let tap = |i: usize| _mm512_loadu_ps(w.add((ci * 25 + i) * LANES));
                let r: [[__m512; 6]; 5] =
                    core::array::from_fn(|ki| gw(core::array::from_fn(|kj| tap(ki * 5 + kj))));
                for xi in 0..6 {
                    let col = gw(r.map(|rk| rk[xi]));
                    for (eta, cv) in col.into_iter().enumerate() {
                        _mm512_storeu_ps(u.add((ci * 36 + eta * 6 + xi) * LANES), cv);
                    }
                }
            }
        }
    }

    /// Row of tiles `ty`: `V[c][η·6 + ξ]`, eight lanes a tile column `tx` (`Bᵀ·d·B` of the
    /// input tile at `(2·ty, 2·tx)`), stored in pairs of `η` as sixteen lanes:
    /// `v[((c·3 + η/2)·6 + ξ)·16 + (η % 2)·8 + tx]`. Rows and columns past the input read as
    /// zero (the tiles of an odd output height or width).
    ///
    /// # Safety
    /// AVX-512F; `x` points at `C·H·W` floats with `W ≤ 16`; `v` at room for `C·36·16`.
    #[target_feature(enable = "avx512f")]
    unsafe fn inputs(x: *const f32, g: &Geom, ty: usize, v: *mut f32) {
        let m = ((1u32 << g.w) - 1) as __mmask16;
        // SAFETY: 16 ints each.
        let (even, odd) = unsafe {
            (
                _mm512_loadu_si512(EVEN.as_ptr().cast()),
                _mm512_loadu_si512(ODD.as_ptr().cast()),
            )
        };
        for ci in 0..g.c {
            let d: [__m512; 6] = core::array::from_fn(|i| {
                let r = 2 * ty + i;
                if r < g.h {
                    // SAFETY: row r < H of channel ci, its W columns (the mask).
                    unsafe { _mm512_maskz_loadu_ps(m, x.add((ci * g.h + r) * g.w)) }
                } else {
                    _mm512_setzero_ps()
                }
            });
            let z = bt(d);
            for p in 0..3 {
                let e = _mm512_permutex2var_ps(z[2 * p], even, z[2 * p + 1]);
                let od = _mm512_permutex2var_ps(z[2 * p], odd, z[2 * p + 1]);
                // column 2·tx + j of both rows: lanes tx and 8 + tx (tx ≤ 5, so the
                // shifts never carry one row's columns into the other's used lanes)
                let t = bt([
                    e,
                    od,
                    down::<1>(e),
                    down::<1>(od),
                    down::<2>(e),
                    down::<2>(od),
                ]);
                for (xi, tv) in t.into_iter().enumerate() {
                    // SAFETY: vector (ci·3 + p)·6 + xi < C·18 of v.
                    unsafe { _mm512_storeu_ps(v.add(((ci * 3 + p) * 6 + xi) * LANES), tv) };
                }
            }
        }
    }

    /// Where a block's row of tiles goes: `y`, the block's first plane (`base`), the
    /// geometry, the tile row and the block's biases.
    struct Out<'a> {
        y: *mut f32,
        base: usize,
        g: &'a Geom,
        ty: usize,
        bias: __m512,
    }

    /// The `T` tiles of a row: `M[η, ξ][tx] = Σ_c U[c][η, ξ] · V[c][η, ξ][tx]` in registers
    /// per `(η, ξ)`, `Aᵀ` along `ξ` as they come, `Aᵀ` along `η` at the end; bias; the two
    /// output rows' pixels transposed into the sixteen planes.
    ///
    /// # Safety
    /// AVX-512F; `u` and `v` hold what [`filters`] and [`inputs`] wrote for `c` channels;
    /// `T = ⌈W'/2⌉`; the block's planes at `o.base` lie inside `o.y`.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn tiles<const T: usize>(u: *const f32, v: *const f32, c: usize, o: &Out) {
        // r[η][b][tx]: Aᵀ along ξ of M[η, ·][tx], added as each M[η, ξ] is finished
        // (not zeroed first: that would be a memset per row of tiles)
        let mut r = MaybeUninit::<[[[__m512; T]; 2]; 6]>::uninit();
        for eta in 0..6 {
            let [mut r0, mut r1] = [[_mm512_setzero_ps(); T]; 2];
            for xi in 0..6 {
                let mut m = [_mm512_setzero_ps(); T];
                let vo = ((eta / 2) * 6 + xi) * LANES + (eta % 2) * 8;
                for ci in 0..c {
                    // SAFETY: vectors ci·36 + η·6 + ξ of u, floats of v written by `inputs`.
                    unsafe {
                        let uv = _mm512_loadu_ps(u.add((ci * 36 + eta * 6 + xi) * LANES));
                        let vr = v.add(ci * 18 * LANES + vo);
                        for (tx, a) in m.iter_mut().enumerate() {
                            *a = _mm512_fmadd_ps(uv, _mm512_set1_ps(*vr.add(tx)), *a);
                        }
                    }
                }
                // Aᵀ's column ξ: (1, 0), (1, 1), (1, −1), (1, 2), (1, −2), (0, 1)
                for tx in 0..T {
                    let mv = m[tx];
                    match xi {
                        0 => r0[tx] = mv,
                        1 => (r0[tx], r1[tx]) = (_mm512_add_ps(r0[tx], mv), mv),
                        2 => {
                            (r0[tx], r1[tx]) =
                                (_mm512_add_ps(r0[tx], mv), _mm512_sub_ps(r1[tx], mv))
                        }
                        3 => {
                            (r0[tx], r1[tx]) = (
                                _mm512_add_ps(r0[tx], mv),
                                _mm512_fmadd_ps(k(2.0), mv, r1[tx]),
                            )
                        }
                        4 => {
                            (r0[tx], r1[tx]) = (
                                _mm512_add_ps(r0[tx], mv),
                                _mm512_fnmadd_ps(k(2.0), mv, r1[tx]),
                            )
                        }
                        _ => r1[tx] = _mm512_add_ps(r1[tx], mv),
                    }
                }
            }
            // SAFETY: element eta of r, in bounds.
            unsafe {
                r.as_mut_ptr()
                    .cast::<[[__m512; T]; 2]>()
                    .add(eta)
                    .write([r0, r1])
            };
        }
        // SAFETY: all six written above.
        let r = unsafe { r.assume_init() };
        let g = o.g;
        let mask = ((1u32 << g.ow) - 1) as __mmask16;
        // px[a][2·tx + b]: the tile's output (a, b), both rows at once
        let mut px = [[_mm512_setzero_ps(); 16]; 2];
        for tx in 0..T {
            for bcol in 0..2 {
                let y2 = at(core::array::from_fn(|eta| r[eta][bcol][tx]));
                px[0][2 * tx + bcol] = _mm512_add_ps(y2[0], o.bias);
                px[1][2 * tx + bcol] = _mm512_add_ps(y2[1], o.bias);
            }
        }
        for (a, px) in px.into_iter().enumerate() {
            let oy = 2 * o.ty + a;
            if oy >= g.oh {
                break;
            }
            for (l, pv) in transpose16(px).into_iter().enumerate() {
                // SAFETY: plane l of the block, row oy < H', its W' pixels (the mask).
                unsafe {
                    let d = o.y.add(o.base + l * g.oh * g.ow + oy * g.ow);
                    _mm512_mask_storeu_ps(d, mask, pv);
                }
            }
        }
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::kernels::chanconv;
    use crate::kernels::testing::{bits, vals};
    use std::{vec, vec::Vec};

    /// `y` in `f64` and each output's `|b| + Σ|w·x|` (the scale of its rounding).
    fn direct(g: &Geom, o: usize, w: &[f32], b: &[f32], x: &[f32]) -> (Vec<f64>, Vec<f64>) {
        let (mut y, mut mag) = (vec![], vec![]);
        for oc in 0..o {
            for oy in 0..g.oh {
                for ox in 0..g.ow {
                    let bb = b.get(oc).map_or(0.0, |&v| v as f64);
                    let (mut s, mut m) = (bb, bb.abs());
                    for c in 0..g.c {
                        for ki in 0..5 {
                            for kj in 0..5 {
                                let wv = w[((oc * g.c + c) * 5 + ki) * 5 + kj] as f64;
                                let xv = x[(c * g.h + oy + ki) * g.w + ox + kj] as f64;
                                s += wv * xv;
                                m += (wv * xv).abs();
                            }
                        }
                    }
                    y.push(s);
                    mag.push(m);
                }
            }
        }
        (y, mag)
    }

    /// The largest `|y − exact| / (|b| + Σ|w·x|)`; every output written (none left NaN).
    fn rel_err(y: &[f32], want: &(Vec<f64>, Vec<f64>)) -> f64 {
        y.iter()
            .zip(want.0.iter().zip(&want.1))
            .map(|(&v, (&e, &m))| {
                assert!(v.is_finite(), "an output not written");
                (v as f64 - e).abs() / m
            })
            .fold(0.0, f64::max)
    }

    /// Against the exact sum: LeNet-5's second layer, odd output widths and heights (partial
    /// tiles), the widest rows (six tiles), the most channels, several blocks, no bias. The
    /// error stays within a small multiple of the direct `f32` kernel's, and well below
    /// 1e-5 of an output's scale.
    #[test]
    fn error_against_the_direct_sum() {
        if !crate::kernels::gemm::use_avx512() {
            std::println!("no AVX-512 here: wino5 does not run");
            return;
        }
        // (c, h, w, o, bias)
        let cases = [
            (6, 14, 14, 16, true),
            (4, 8, 9, 32, false),
            (8, 9, 16, 16, true),
            (5, 11, 10, 48, true),
            (7, 12, 13, 16, true),
        ];
        for (i, &(c, h, w, o, bias)) in cases.iter().enumerate() {
            let g = Geom::new(c, h, w, [5, 5], [1, 1], [0; 4], [1, 1]);
            assert!(applies(&g, o) && chanconv::usable(&g, o), "case {i}");
            let wt = vals(o * c * 25, 7 + i as u32);
            let b = if bias { vals(o, 3) } else { vec![] };
            let x = vals(c * h * w, 11 + i as u32);
            let (mut wp, mut u) = (vec![0.0; wt.len()], vec![f32::NAN; filters_len(&g, o)]);
            chanconv::pack(&wt, o, c * 25, &mut wp);
            assert!(transform(&g, &wt, o, &mut u));
            let want = direct(&g, o, &wt, &b, &x);
            let n = o * g.oh * g.ow;
            let (mut yw, mut yd) = (vec![f32::NAN; n], vec![f32::NAN; n]);
            assert!(forward(&u, &b, &g, o, &x, &mut yw, |_, _| {}));
            assert!(chanconv::forward(&wp, &b, &g, o, &x, &mut yd, |_, _| {}));
            let (ew, ed) = (rel_err(&yw, &want), rel_err(&yd, &want));
            // the cached filters are the same, and a changed weight is seen
            let y2 = |wt: &[f32]| {
                let mut y2 = vec![f32::NAN; n];
                let ok = with_filters(&g, wt, o, |u| forward(u, &b, &g, o, &x, &mut y2, |_, _| {}));
                assert_eq!(ok, Some(true));
                y2
            };
            for _ in 0..2 {
                assert_eq!(bits(&y2(&wt)), bits(&yw), "case {i}: cached filters");
            }
            let mut wt2 = wt.clone();
            wt2[o * c * 25 - 1] = -wt2[o * c * 25 - 1];
            assert_ne!(
                bits(&y2(&wt2)),
                bits(&yw),
                "case {i}: a changed weight unseen"
            );
            assert_eq!(
                bits(&y2(&wt)),
                bits(&yw),
                "case {i}: back to the first weights"
            );
            std::println!("case {i}: relative error wino5 {ew:.2e}, direct {ed:.2e}");
            assert!(ew < 1e-6, "case {i}: {ew:e}");
            assert!(
                ew < 16.0 * ed.max(1e-9),
                "case {i}: {ew:e} against the direct {ed:e}"
            );
        }
    }

    /// The kept filters, shared by threads that run three sets (more than are kept, so
    /// slots are overwritten while others read): every output is the uncached one's bits.
    /// A set larger than the cache takes the direct kernel.
    #[test]
    fn cache_shared_by_threads() {
        if !crate::kernels::gemm::use_avx512() {
            std::println!("no AVX-512 here: wino5 does not run");
            return;
        }
        let (c, o) = (6, 16);
        let g = Geom::new(c, 14, 14, [5, 5], [1, 1], [0; 4], [1, 1]);
        let x = vals(c * 14 * 14, 5);
        let b = vals(o, 6);
        let n = o * g.oh * g.ow;
        let sets: std::vec::Vec<_> = (0..3)
            .map(|s| {
                let wt = vals(o * c * 25, 40 + s);
                let mut u = vec![0.0; filters_len(&g, o)];
                assert!(transform(&g, &wt, o, &mut u));
                let mut y = vec![f32::NAN; n];
                assert!(forward(&u, &b, &g, o, &x, &mut y, |_, _| {}));
                (wt, bits(&y))
            })
            .collect();
        std::thread::scope(|sc| {
            for t in 0..4 {
                let (sets, x, b, g) = (&sets, &x, &b, &g);
                sc.spawn(move || {
                    for k in 0..60 {
                        let (wt, want) = &sets[(k + t) % 3];
                        let mut y = vec![f32::NAN; n];
                        let r =
                            with_filters(g, wt, o, |u| forward(u, b, g, o, x, &mut y, |_, _| {}));
                        assert_eq!(r, Some(true));
                        assert_eq!(&bits(&y), want, "thread {t}, call {k}");
                    }
                });
            }
        });
        let big = Geom::new(MAX_C, 14, 14, [5, 5], [1, 1], [0; 4], [1, 1]);
        assert!(applies(&big, 48) && MAX_C * 25 * 48 > CACHE_MAX);
        let wt = vals(MAX_C * 25 * 48, 9);
        assert_eq!(with_filters(&big, &wt, 48, |_| ()), None);
    }

    /// What it leaves to the direct kernel.
    #[test]
    fn applies_to_its_shapes_only() {
        let g = |c: usize, h: usize, w: usize, k: usize, p: usize| {
            Geom::new(c, h, w, [k, k], [1, 1], [p; 4], [1, 1])
        };
        assert!(applies(&g(6, 14, 14, 5, 0), 16));
        assert!(!applies(&g(6, 14, 14, 3, 0), 16), "3×3");
        assert!(!applies(&g(6, 14, 14, 5, 2), 16), "padding");
        assert!(!applies(&g(3, 14, 14, 5, 0), 16), "three channels");
        assert!(!applies(&g(9, 14, 14, 5, 0), 16), "nine channels");
        assert!(!applies(&g(6, 14, 17, 5, 0), 16), "13 pixels wide");
        assert!(!applies(&g(6, 7, 14, 5, 0), 16), "3 rows");
        assert!(!applies(&g(6, 14, 14, 5, 0), 24), "24 filters");
        let s2 = Geom::new(6, 14, 14, [5, 5], [2, 2], [0; 4], [1, 1]);
        assert!(!applies(&s2, 16), "stride 2");
    }
}

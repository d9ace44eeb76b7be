//! Depthwise convolution (`groups = in_channels`), direct: output channel `o` filters input
//! channel `o / M` alone (`M` = the channel multiplier `O/I`) with its own `KH×KW` kernel.
//! Two multiply-adds per weight and pixel, nothing to reuse across channels: the work is
//! bound by memory, so there is no im2col and no matrix product. Each output row is computed
//! in tiles of `TILE` (16) columns held in registers (every tap of the kernel added into the
//! tile, the bias first). With padding, each input plane is first copied into a zero-padded
//! plane in the scratch, so every tap of every output reads inside it; without padding the
//! rows are read in place and the columns whose taps would leave the input are done one by
//! one at both ends of the row.
//!
//! Backward: `dx` gathers `w · dy` along the same taps (row by row, a multiply-add of a row of
//! `dy` into a row of `dx`), `dw` is one dot product per tap, `db` a sum per channel.
use super::im2col::Geom;
use super::simd;

/// Output columns per register tile (two AVX vectors).
const TILE: usize = 16;

/// Geometry of a depthwise convolution over one sample, per axis.
#[derive(Clone, Copy, Debug)]
pub struct Depthwise {
    /// Input channels (= groups) and the channel multiplier (`O = c·m`).
    pub c: usize,
    pub m: usize,
    /// Input and output height and width.
    pub h: usize,
    pub w: usize,
    pub oh: usize,
    pub ow: usize,
    /// Kernel height and width, strides, padding at the top, bottom, left and right,
    /// dilations.
    pub kh: usize,
    pub kw: usize,
    pub sh: usize,
    pub sw: usize,
    pub pt: usize,
    pub pb: usize,
    pub pl: usize,
    pub pr: usize,
    pub dh: usize,
    pub dw: usize,
}

impl Depthwise {
    /// The depthwise convolution of `c` channels, multiplier `m`, with the window of `g`
    /// (whose channel count is not read). The only place that reads a [`Geom`]'s fields.
    pub const fn new(g: &Geom, c: usize, m: usize) -> Depthwise {
        Depthwise {
            c,
            m,
            h: g.h,
            w: g.w,
            oh: g.oh,
            ow: g.ow,
            kh: g.kh,
            kw: g.kw,
            sh: g.sh,
            sw: g.sw,
            pt: g.pt,
            pb: g.pb,
            pl: g.pl,
            pr: g.pr,
            dh: g.dh,
            dw: g.dw,
        }
    }
    /// Whether there is padding (then [`forward`] copies each input plane into a zero-padded
    /// one, so every tap of every output reads inside it).
    const fn padded(&self) -> bool {
        self.pt + self.pb + self.pl + self.pr > 0
    }
    /// The same window over the zero-padded plane, without padding.
    const fn over_padded(&self) -> Depthwise {
        Depthwise {
            h: self.h + self.pt + self.pb,
            w: self.w + self.pl + self.pr,
            pt: 0,
            pb: 0,
            pl: 0,
            pr: 0,
            ..*self
        }
    }
    /// Scratch of [`forward`]: one zero-padded input plane and a tail the vector loads may
    /// read past its last row (nothing without padding).
    pub const fn scratch(&self) -> usize {
        if self.padded() {
            (self.h + self.pt + self.pb) * (self.w + self.pl + self.pr) + 2 * TILE
        } else {
            0
        }
    }
    /// Taps of one filter, `KH·KW`.
    pub const fn taps(&self) -> usize {
        self.kh * self.kw
    }
    /// Output channels `c·m`.
    pub const fn out_channels(&self) -> usize {
        self.c * self.m
    }
    /// For tap `k` along an axis (input `n`, output `on`, stride `s`, padding `p`, dilation
    /// `d`): the outputs `[lo, hi)` whose input `o·s + k·d − p` lies in `[0, n)`.
    const fn valid(k: usize, n: usize, on: usize, s: usize, p: usize, d: usize) -> (usize, usize) {
        let off = k * d;
        let lo = if off >= p { 0 } else { (p - off).div_ceil(s) };
        let hi = if n + p > off {
            let h = (n - 1 + p - off) / s + 1;
            if h < on {
                h
            } else {
                on
            }
        } else {
            0
        };
        (if lo < hi { lo } else { hi }, hi)
    }
    /// Output rows `[lo, hi)` where kernel row `ki` reads inside the input.
    fn rows(&self, ki: usize) -> (usize, usize) {
        Self::valid(ki, self.h, self.oh, self.sh, self.pt, self.dh)
    }
    /// Output columns `[lo, hi)` where kernel column `kj` reads inside the input.
    fn cols(&self, kj: usize) -> (usize, usize) {
        Self::valid(kj, self.w, self.ow, self.sw, self.pl, self.dw)
    }
    /// The columns where every tap of a row reads inside the input.
    fn interior(&self) -> (usize, usize) {
        let (mut lo, mut hi) = (0, self.ow);
        for kj in 0..self.kw {
            let (a, b) = self.cols(kj);
            lo = lo.max(a);
            hi = hi.min(b);
        }
        (lo, hi.max(lo))
    }
}

/// One sample: `y[o] = b[o] + Σ w[o, ki, kj] · x[o / M] shifted`, then `post(o, y[o])` on
/// each output plane while it is in cache. `w` is `[O, KH, KW]` (PyTorch's `[O, 1, KH, KW]`),
/// an empty `b` is no bias. `scratch` holds [`Depthwise::scratch`] floats.
pub fn forward<F: FnMut(usize, &mut [f32])>(
    d: &Depthwise,
    w: &[f32],
    b: &[f32],
    x: &[f32],
    y: &mut [f32],
    scratch: &mut [f32],
    mut post: F,
) {
    let (hw, ohw, t) = (d.h * d.w, d.oh * d.ow, d.taps());
    let dp = d.over_padded();
    let (lo, hi) = if d.padded() { (0, d.ow) } else { d.interior() };
    let scratch = &mut scratch[..d.scratch()];
    scratch.fill(0.0);
    for (o, yo) in y[..d.out_channels() * ohw]
        .chunks_exact_mut(ohw)
        .enumerate()
    {
        let mut xc = &x[(o / d.m) * hw..][..hw];
        let mut d = d;
        if dp.h != d.h || dp.w != d.w {
            if o % d.m == 0 {
                // the next input plane, into the middle of the zeros
                for (iy, xr) in xc.chunks_exact(d.w).enumerate() {
                    scratch[(iy + d.pt) * dp.w + d.pl..][..d.w].copy_from_slice(xr);
                }
            }
            xc = &*scratch;
            d = &dp;
        }
        let wo = &w[o * t..][..t];
        let bo = if b.is_empty() { 0.0 } else { b[o] };
        #[cfg(target_arch = "x86_64")]
        if super::gemm::use_avx2() {
            // SAFETY: the CPU has AVX2 and FMA.
            unsafe { avx2::plane(d, wo, bo, xc, yo, lo, hi) };
            post(o, yo);
            continue;
        }
        plane(d, wo, bo, xc, yo, lo, hi, tile_portable);
        post(o, yo);
    }
}

/// Kernel rows that read inside the input for one output row: `(ki, offset of the input row)`.
struct Taps {
    rows: [(usize, usize); 16],
    n: usize,
}

/// One output plane of [`forward`], the interior columns `[lo, hi)` by `tile`, the others one
/// by one.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn plane(
    d: &Depthwise,
    wo: &[f32],
    bo: f32,
    xc: &[f32],
    yo: &mut [f32],
    lo: usize,
    hi: usize,
    tile: impl Fn(&Depthwise, &[f32], f32, &[f32], &[(usize, usize)], usize, &mut [f32; TILE]),
) {
    if d.kh > 16 {
        return plane_slow(d, wo, bo, xc, yo);
    }
    let mut valid = [(0usize, 0usize); 16];
    for (ki, v) in valid.iter_mut().enumerate().take(d.kh) {
        *v = d.rows(ki);
    }
    for (oy, yr) in yo.chunks_exact_mut(d.ow).enumerate() {
        let mut taps = Taps {
            rows: [(0, 0); 16],
            n: 0,
        };
        for (ki, &(a, b)) in valid.iter().enumerate().take(d.kh) {
            if oy >= a && oy < b {
                taps.rows[taps.n] = (ki, (oy * d.sh + ki * d.dh - d.pt) * d.w);
                taps.n += 1;
            }
        }
        let rows = &taps.rows[..taps.n];
        let pixel = |ox: usize| {
            let mut acc = bo;
            for &(ki, r) in rows {
                for kj in 0..d.kw {
                    let ix = ox * d.sw + kj * d.dw;
                    if ix >= d.pl && ix - d.pl < d.w {
                        acc += wo[ki * d.kw + kj] * xc[r + ix - d.pl];
                    }
                }
            }
            acc
        };
        for (ox, v) in yr[..lo].iter_mut().enumerate() {
            *v = pixel(ox);
        }
        for (ox, v) in yr.iter_mut().enumerate().skip(hi) {
            *v = pixel(ox);
        }
        if hi - lo < TILE {
            for (ox, v) in yr.iter_mut().enumerate().take(hi).skip(lo) {
                *v = pixel(ox);
            }
            continue;
        }
        // whole tiles, the last one ending at `hi` (overlapping the one before: the same
        // values written twice)
        let mut ox = lo;
        loop {
            let out: &mut [f32; TILE] = (&mut yr[ox..ox + TILE]).try_into().unwrap();
            tile(d, wo, bo, xc, rows, ox, out);
            if ox + TILE == hi {
                break;
            }
            ox = (ox + TILE).min(hi - TILE);
        }
    }
}

/// `TILE` output columns from `ox` on, all taps inside the input: portable.
#[inline(always)]
fn tile_portable(
    d: &Depthwise,
    wo: &[f32],
    bo: f32,
    xc: &[f32],
    rows: &[(usize, usize)],
    ox: usize,
    out: &mut [f32; TILE],
) {
    let mut acc = [bo; TILE];
    for &(ki, r) in rows {
        for kj in 0..d.kw {
            let wv = wo[ki * d.kw + kj];
            let x0 = r + ox * d.sw + kj * d.dw - d.pl;
            let xs = &xc[x0..x0 + (TILE - 1) * d.sw + 1];
            for (l, a) in acc.iter_mut().enumerate() {
                *a += wv * xs[l * d.sw];
            }
        }
    }
    *out = acc;
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{Depthwise, TILE};
    use core::arch::x86_64::*;

    /// [`super::plane`] compiled for AVX2 and FMA, with the tile kernel for the stride and
    /// kernel width (the loops over a kernel row unrolled for widths 3 and 5).
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn plane(
        d: &Depthwise,
        wo: &[f32],
        bo: f32,
        xc: &[f32],
        yo: &mut [f32],
        lo: usize,
        hi: usize,
    ) {
        macro_rules! go {
            ($kw:literal, $s:literal) => {
                super::plane(d, wo, bo, xc, yo, lo, hi, |d, wo, bo, xc, rows, ox, out| {
                    if fits(d, xc, rows, ox, $s) {
                        // SAFETY: AVX2 and FMA (this function's features); loads inside
                        // `xc` (`fits`; interior taps read at `ox·S + kj·D − P ≥ 0`).
                        unsafe { tile::<$kw, $s>(d, wo, bo, xc, rows, ox, out) }
                    } else {
                        super::tile_portable(d, wo, bo, xc, rows, ox, out)
                    }
                })
            };
        }
        let all = d.pt == 0 && d.pl == 0 && lo == 0 && hi == d.ow && d.ow >= TILE;
        if all && d.kh == 3 && d.kw == 3 && d.sw <= 2 {
            // SAFETY: AVX2 and FMA (this function's features).
            return unsafe {
                if d.sw == 1 {
                    plane3x3::<1>(d, wo, bo, xc, yo)
                } else {
                    plane3x3::<2>(d, wo, bo, xc, yo)
                }
            };
        }
        match (d.kw, d.sw) {
            (3, 1) => go!(3, 1),
            (3, 2) => go!(3, 2),
            (5, 1) => go!(5, 1),
            (5, 2) => go!(5, 2),
            (_, 1) => go!(0, 1),
            (_, 2) => go!(0, 2),
            _ => super::plane(d, wo, bo, xc, yo, lo, hi, super::tile_portable),
        }
    }

    /// A 3×3 kernel without padding (the padded plane's view): the nine weights held in
    /// registers for the whole plane, each tile of 16 columns one fused multiply-add per tap
    /// and vector, straight from the input rows.
    ///
    /// # Safety
    /// AVX2 and FMA; `d` unpadded, `d.ow ≥ TILE`.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn plane3x3<const S: usize>(
        d: &Depthwise,
        wo: &[f32],
        bo: f32,
        xc: &[f32],
        yo: &mut [f32],
    ) {
        let wv: [__m256; 9] = core::array::from_fn(|i| _mm256_set1_ps(wo[i]));
        let b = _mm256_set1_ps(bo);
        let (p, dw, rstep) = (xc.as_ptr(), d.dw, d.dh * d.w);
        for (oy, yr) in yo.chunks_exact_mut(d.ow).enumerate() {
            let r = oy * d.sh * d.w;
            let rows = [(0, r), (1, r + rstep), (2, r + 2 * rstep)];
            let mut ox = 0;
            loop {
                let out: &mut [f32; TILE] = (&mut yr[ox..ox + TILE]).try_into().unwrap();
                if fits(d, xc, &rows, ox, S) {
                    let (mut a0, mut a1) = (b, b);
                    for ki in 0..3 {
                        // SAFETY: inside `xc` (`fits`).
                        unsafe {
                            let x = p.add(r + ki * rstep + ox * S);
                            let (mut r0, mut r1) = (_mm256_setzero_ps(), _mm256_setzero_ps());
                            for kj in 0..3 {
                                let (xj, w) = (x.add(kj * dw), wv[ki * 3 + kj]);
                                if S == 1 {
                                    r0 = _mm256_fmadd_ps(w, _mm256_loadu_ps(xj), r0);
                                    r1 = _mm256_fmadd_ps(w, _mm256_loadu_ps(xj.add(8)), r1);
                                } else {
                                    r0 = _mm256_fmadd_ps(w, evens(xj), r0);
                                    r1 = _mm256_fmadd_ps(w, evens(xj.add(16)), r1);
                                }
                            }
                            a0 = _mm256_add_ps(a0, r0);
                            a1 = _mm256_add_ps(a1, r1);
                        }
                    }
                    // SAFETY: `out` holds 16 floats.
                    unsafe {
                        _mm256_storeu_ps(out.as_mut_ptr(), a0);
                        _mm256_storeu_ps(out.as_mut_ptr().add(8), a1);
                    }
                } else {
                    super::tile_portable(d, wo, bo, xc, &rows, ox, out);
                }
                if ox + TILE == d.ow {
                    break;
                }
                ox = (ox + TILE).min(d.ow - TILE);
            }
        }
    }

    /// Whether the vector loads of a tile from `ox` (stride `s`: `s·TILE` floats from each
    /// tap's start) end inside `xc`.
    #[inline(always)]
    fn fits(d: &Depthwise, xc: &[f32], rows: &[(usize, usize)], ox: usize, s: usize) -> bool {
        let r = rows.last().map_or(0, |&(_, r)| r);
        r + (ox + TILE) * s + (d.kw - 1) * d.dw <= xc.len() + d.pl
    }

    /// [`super::tile_portable`] for stride `S` = 1 or 2 and kernel width `KW` (0: `d.kw`):
    /// two 8-float accumulators per kernel row (short independent chains of fused
    /// multiply-adds, then added), stride 2 on the even floats of four loads.
    ///
    /// # Safety
    /// AVX2 and FMA; `xc` holds `x0 + S·TILE` floats for every tap's start `x0`.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn tile<const KW: usize, const S: usize>(
        d: &Depthwise,
        wo: &[f32],
        bo: f32,
        xc: &[f32],
        rows: &[(usize, usize)],
        ox: usize,
        out: &mut [f32; TILE],
    ) {
        let kw = if KW == 0 { d.kw } else { KW };
        let (mut a0, mut a1) = (_mm256_set1_ps(bo), _mm256_set1_ps(bo));
        let p = xc.as_ptr();
        for &(ki, r) in rows {
            let wr = &wo[ki * d.kw..][..kw];
            let (mut r0, mut r1) = (_mm256_setzero_ps(), _mm256_setzero_ps());
            let base = r + ox * S - d.pl;
            for (kj, &wv) in wr.iter().enumerate() {
                let wv = _mm256_set1_ps(wv);
                // SAFETY: inside `xc` by the caller's contract.
                unsafe {
                    let x = p.add(base + kj * d.dw);
                    if S == 1 {
                        r0 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x), r0);
                        r1 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x.add(8)), r1);
                    } else {
                        r0 = _mm256_fmadd_ps(wv, evens(x), r0);
                        r1 = _mm256_fmadd_ps(wv, evens(x.add(16)), r1);
                    }
                }
            }
            a0 = _mm256_add_ps(a0, r0);
            a1 = _mm256_add_ps(a1, r1);
        }
        // SAFETY: `out` holds 16 floats.
        unsafe {
            _mm256_storeu_ps(out.as_mut_ptr(), a0);
            _mm256_storeu_ps(out.as_mut_ptr().add(8), a1);
        }
    }

    /// `x[0], x[2], …, x[14]` (reads `x[0..16]`).
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn evens(x: *const f32) -> __m256 {
        // SAFETY: the caller's contract: `x[0..16]` readable.
        let (a, b) = unsafe { (_mm256_loadu_ps(x), _mm256_loadu_ps(x.add(8))) };
        // [a0 a2 b0 b2 | a4 a6 b4 b6] → [a0 a2 a4 a6 | b0 b2 b4 b6]
        let s = _mm256_shuffle_ps::<0b10_00_10_00>(a, b);
        _mm256_castpd_ps(_mm256_permute4x64_pd::<0b11_01_10_00>(_mm256_castps_pd(s)))
    }
}

/// [`plane`] for kernels of more than 16 rows: every pixel tap by tap.
#[cold]
fn plane_slow(d: &Depthwise, wo: &[f32], bo: f32, xc: &[f32], yo: &mut [f32]) {
    yo.fill(bo);
    for ki in 0..d.kh {
        let (ra, rb) = d.rows(ki);
        for kj in 0..d.kw {
            let (ca, cb) = d.cols(kj);
            let wv = wo[ki * d.kw + kj];
            for oy in ra..rb {
                let xr = &xc[(oy * d.sh + ki * d.dh - d.pt) * d.w..][..d.w];
                for ox in ca..cb {
                    yo[oy * d.ow + ox] += wv * xr[ox * d.sw + kj * d.dw - d.pl];
                }
            }
        }
    }
}

/// One sample's backward: writes `dx` (`[C, H, W]`), adds `∂L/∂w` into `gw` (`[O, KH, KW]`)
/// and the per-channel sums of `dy` into `gb` (nothing for an empty `gb`: no bias).
pub fn backward(
    d: &Depthwise,
    w: &[f32],
    x: &[f32],
    dy: &[f32],
    dx: &mut [f32],
    gw: &mut [f32],
    gb: &mut [f32],
) {
    let (hw, ohw, t) = (d.h * d.w, d.oh * d.ow, d.taps());
    dx[..d.c * hw].fill(0.0);
    simd(|| {
        for o in 0..d.out_channels() {
            let dyo = &dy[o * ohw..][..ohw];
            if let Some(g) = gb.get_mut(o) {
                *g += super::sum(dyo);
            }
            let c = o / d.m;
            let xc = &x[c * hw..][..hw];
            let dxc = &mut dx[c * hw..][..hw];
            for ki in 0..d.kh {
                let (ra, rb) = d.rows(ki);
                for kj in 0..d.kw {
                    let (ca, cb) = d.cols(kj);
                    let tap = o * t + ki * d.kw + kj;
                    let wv = w[tap];
                    let mut gsum = 0.0f32;
                    for oy in ra..rb {
                        let r = (oy * d.sh + ki * d.dh - d.pt) * d.w;
                        let dyr = &dyo[oy * d.ow + ca..oy * d.ow + cb];
                        let x0 = r + ca * d.sw + kj * d.dw - d.pl;
                        if d.sw == 1 {
                            let n = cb - ca;
                            gsum += super::dot(dyr, &xc[x0..x0 + n]);
                            for (v, &g) in dxc[x0..x0 + n].iter_mut().zip(dyr) {
                                *v += wv * g;
                            }
                        } else {
                            for (i, &g) in dyr.iter().enumerate() {
                                gsum += g * xc[x0 + i * d.sw];
                                dxc[x0 + i * d.sw] += wv * g;
                            }
                        }
                    }
                    gw[tap] += gsum;
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition, pixel by pixel.
    fn naive(d: &Depthwise, w: &[f32], b: &[f32], x: &[f32]) -> [f32; 2048] {
        let mut y = [0.0f32; 2048];
        for o in 0..d.out_channels() {
            for oy in 0..d.oh {
                for ox in 0..d.ow {
                    let mut acc = b.get(o).copied().unwrap_or(0.0);
                    for ki in 0..d.kh {
                        for kj in 0..d.kw {
                            let iy = (oy * d.sh + ki * d.dh) as isize - d.pt as isize;
                            let ix = (ox * d.sw + kj * d.dw) as isize - d.pl as isize;
                            if iy >= 0 && ix >= 0 && (iy as usize) < d.h && (ix as usize) < d.w {
                                let xi = (o / d.m) * d.h * d.w + iy as usize * d.w + ix as usize;
                                acc += w[(o * d.kh + ki) * d.kw + kj] * x[xi];
                            }
                        }
                    }
                    y[(o * d.oh + oy) * d.ow + ox] = acc;
                }
            }
        }
        y
    }

    #[test]
    fn forward_is_the_definition_and_backward_its_adjoint() {
        check_all();
    }

    /// The same with the portable tiles (no AVX2 path).
    #[cfg(feature = "std")]
    #[test]
    fn portable_forward_is_the_definition_too() {
        crate::kernels::gemm::force_portable(true);
        check_all();
        crate::kernels::gemm::force_portable(false);
    }

    fn check_all() {
        // (c, m, h, w, kh, kw, sh, sw, pt, pl, dh, dw): square and rectangular windows, rows
        // wider than a tile, strides, padding, dilation, a kernel taller than 16 rows
        for &(c, m, h, w, kh, kw, sh, sw, pt, pl, dh, dw) in &[
            (2, 1, 5, 37, 3, 3, 1, 1, 1, 1, 1, 1),
            (2, 2, 7, 40, 3, 3, 2, 2, 1, 1, 1, 1),
            (1, 3, 9, 35, 3, 3, 1, 1, 2, 2, 2, 2),
            (2, 1, 6, 21, 5, 3, 1, 2, 0, 1, 1, 1),
            (1, 1, 20, 18, 17, 1, 1, 1, 0, 0, 1, 1),
            (3, 1, 4, 4, 3, 3, 3, 3, 2, 2, 2, 2),
        ] {
            let oh = (h + 2 * pt - dh * (kh - 1) - 1) / sh + 1;
            let ow = (w + 2 * pl - dw * (kw - 1) - 1) / sw + 1;
            let d = Depthwise {
                c,
                m,
                h,
                w,
                oh,
                ow,
                kh,
                kw,
                sh,
                sw,
                pt,
                pb: pt,
                pl,
                pr: pl,
                dh,
                dw,
            };
            let o = c * m;
            let x: [f32; 1024] = core::array::from_fn(|i| ((i * 37) % 23) as f32 * 0.1 - 1.1);
            let wt: [f32; 256] = core::array::from_fn(|i| ((i * 11) % 7) as f32 * 0.25 - 0.8);
            let b: [f32; 8] = core::array::from_fn(|i| i as f32 * 0.5 - 1.0);
            let (w_, b_) = (&wt[..o * kh * kw], &b[..o]);
            let mut y = [9.0f32; 2048];
            let mut seen = 0;
            let mut scratch = [5.0f32; 1024];
            forward(&d, w_, b_, &x, &mut y, &mut scratch, |oc, p| {
                assert_eq!((oc, p.len()), (seen, oh * ow));
                seen += 1;
            });
            let want = naive(&d, w_, b_, &x);
            let n = o * oh * ow;
            for (i, (a, e)) in y[..n].iter().zip(&want[..n]).enumerate() {
                assert!((a - e).abs() < 1e-4 * (1.0 + e.abs()), "y[{i}] {a} vs {e}");
            }
            // <forward(x) − b, dy> = <x, dx> and = <w, dw>: both linear maps' adjoints
            let dy: [f32; 2048] = core::array::from_fn(|i| ((i * 5) % 11) as f32 - 5.0);
            let lin: f32 = (0..n).map(|i| (want[i] - b_[i / (oh * ow)]) * dy[i]).sum();
            let (mut dx, mut gw, mut gb) = ([7.0f32; 1024], [0.0f32; 256], [0.0f32; 8]);
            backward(&d, w_, &x, &dy, &mut dx, &mut gw, &mut gb[..o]);
            let via_x: f32 = dx[..c * h * w].iter().zip(&x).map(|(a, b)| a * b).sum();
            let via_w: f32 = gw[..o * kh * kw].iter().zip(w_).map(|(a, b)| a * b).sum();
            for v in [via_x, via_w] {
                assert!((lin - v).abs() < 1e-3 * lin.abs().max(1.0), "{lin} vs {v}");
            }
            for (oc, g) in gb[..o].iter().enumerate() {
                let s: f32 = dy[oc * oh * ow..][..oh * ow].iter().sum();
                assert_eq!(*g, s);
            }
        }
    }
}

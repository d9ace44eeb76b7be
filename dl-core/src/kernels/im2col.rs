//! im2col / col2im for one sample: a `[C, H, W]` image and its `[C·Kh·Kw, H'·W']` column
//! matrix, with per-axis kernel, stride, (asymmetric) padding and dilation.

/// Geometry of a 2-D convolution (or pooling) window over one sample, per axis: height
/// (`…h`, top/bottom padding `pt`/`pb`) and width (`…w`, left/right padding `pl`/`pr`).
#[derive(Clone, Copy, Debug)]
pub struct Geom {
    /// Input channels, height, width.
    pub c: usize,
    pub h: usize,
    pub w: usize,
    /// Kernel height and width.
    pub kh: usize,
    pub kw: usize,
    /// Stride along the height and the width.
    pub sh: usize,
    pub sw: usize,
    /// Padding at the top, bottom, left and right.
    pub pt: usize,
    pub pb: usize,
    pub pl: usize,
    pub pr: usize,
    /// Dilation along the height and the width.
    pub dh: usize,
    pub dw: usize,
    /// Output height and width.
    pub oh: usize,
    pub ow: usize,
}

/// The output size of a window sliding along one axis, `⌊(N + lo + hi − D·(K−1) − 1)/S⌋ + 1`
/// (0 when the dilated window does not fit).
pub const fn out_len(n: usize, k: usize, s: usize, lo: usize, hi: usize, d: usize) -> usize {
    let span = d * k.saturating_sub(1) + 1;
    if n + lo + hi < span {
        0
    } else {
        (n + lo + hi - span) / s + 1
    }
}

/// TF/Keras `padding='same'` along one axis: `(before, after)` with the output `⌈N/S⌉`, the
/// total `max((⌈N/S⌉−1)·S + D·(K−1) + 1 − N, 0)` split with the extra pixel after.
pub const fn same_pad(n: usize, k: usize, s: usize, d: usize) -> (usize, usize) {
    let need = n.div_ceil(s).saturating_sub(1) * s + d * k.saturating_sub(1) + 1;
    let total = need.saturating_sub(n);
    (total / 2, total - total / 2)
}

impl Geom {
    /// A square window (`k`, `s`, `p`, `d` on both axes, padding symmetric), its output size
    /// computed.
    #[allow(clippy::too_many_arguments)]
    pub const fn square(
        c: usize,
        h: usize,
        w: usize,
        k: usize,
        s: usize,
        p: usize,
        d: usize,
    ) -> Geom {
        Geom::new(c, h, w, [k, k], [s, s], [p, p, p, p], [d, d])
    }
    /// A window `k = [kh, kw]`, stride `s = [sh, sw]`, padding `p = [top, bottom, left, right]`,
    /// dilation `d = [dh, dw]`, its output size computed (floor mode).
    pub const fn new(
        c: usize,
        h: usize,
        w: usize,
        k: [usize; 2],
        s: [usize; 2],
        p: [usize; 4],
        d: [usize; 2],
    ) -> Geom {
        Geom {
            c,
            h,
            w,
            kh: k[0],
            kw: k[1],
            sh: s[0],
            sw: s[1],
            pt: p[0],
            pb: p[1],
            pl: p[2],
            pr: p[3],
            dh: d[0],
            dw: d[1],
            oh: out_len(h, k[0], s[0], p[0], p[1], d[0]),
            ow: out_len(w, k[1], s[1], p[2], p[3], d[1]),
        }
    }
    /// `true` when the column matrix is the image itself (1×1, stride 1, no padding).
    pub const fn is_identity(&self) -> bool {
        self.kh == 1
            && self.kw == 1
            && self.sh == 1
            && self.sw == 1
            && self.pt + self.pb + self.pl + self.pr == 0
    }
    /// Rows of the column matrix: `C·Kh·Kw`.
    pub const fn rows(&self) -> usize {
        self.c * self.kh * self.kw
    }
    /// Columns: `H'·W'`.
    pub const fn cols(&self) -> usize {
        self.oh * self.ow
    }
    /// Padded height `H + top + bottom`.
    pub const fn hp(&self) -> usize {
        self.h + self.pt + self.pb
    }
    /// Padded width `W + left + right`.
    pub const fn wp(&self) -> usize {
        self.w + self.pl + self.pr
    }
    /// For kernel offset `ki` along the height: the output rows `[lo, hi)` whose input row
    /// `o·Sh + ki·Dh − Pt` lies in `[0, H)`.
    #[inline]
    pub(crate) fn valid_y(&self, ki: usize) -> (usize, usize) {
        valid(ki * self.dh, self.pt, self.sh, self.h, self.oh)
    }
    /// The same along the width, for kernel offset `kj`.
    #[inline]
    pub(crate) fn valid_x(&self, kj: usize) -> (usize, usize) {
        valid(kj * self.dw, self.pl, self.sw, self.w, self.ow)
    }
}

/// For a kernel tap at offset `off` (padded coordinates) along an axis with padding `p` before,
/// stride `s`, input length `n` and output length `on`: the outputs `[lo, hi)` whose input index
/// `o·s + off − p` lies in `[0, n)`.
#[inline]
fn valid(off: usize, p: usize, s: usize, n: usize, on: usize) -> (usize, usize) {
    // o·s + off ≥ p  ⇔  o ≥ ceil((p − off)/s)
    let lo = if off >= p { 0 } else { (p - off).div_ceil(s) };
    // o·s + off − p ≤ n − 1  ⇔  o ≤ (n − 1 + p − off)/s
    let hi = if n + p > off {
        ((n - 1 + p - off) / s + 1).min(on)
    } else {
        0
    };
    (lo.min(hi), hi)
}

/// Writes the column matrix of `x` (`[C, H, W]`) into `cols` (`[C·Kh·Kw, H'·W']`).
pub fn im2col(g: &Geom, x: &[f32], cols: &mut [f32]) {
    im2col_rows(g, x, 0..g.oh, cols, g.cols());
}

/// Adds the column matrix `cols` back into the image `dx` (the adjoint of [`im2col`]).
pub fn col2im(g: &Geom, cols: &[f32], dx: &mut [f32]) {
    col2im_rows(g, cols, 0..g.oh, g.cols(), dx);
}

/// The columns of output rows `band` only: row `r` of `cols` (`ld` apart) receives the
/// `band.len()·W'` entries of row `r` of the full column matrix that belong to those rows.
pub fn im2col_rows(
    g: &Geom,
    x: &[f32],
    band: core::ops::Range<usize>,
    cols: &mut [f32],
    ld: usize,
) {
    let (ow, oy0) = (g.ow, band.start);
    let width = band.len() * ow;
    let mut row = 0;
    for c in 0..g.c {
        let xc = &x[c * g.h * g.w..(c + 1) * g.h * g.w];
        for ki in 0..g.kh {
            let (ylo, yhi) = g.valid_y(ki);
            let (ylo, yhi) = (
                ylo.clamp(band.start, band.end),
                yhi.clamp(band.start, band.end),
            );
            for kj in 0..g.kw {
                let (xlo, xhi) = g.valid_x(kj);
                let dst = &mut cols[row * ld..row * ld + width];
                row += 1;
                super::zero_short(&mut dst[..(ylo - oy0) * ow]);
                super::zero_short(&mut dst[(yhi - oy0) * ow..]);
                for oy in ylo..yhi {
                    let iy = oy * g.sh + ki * g.dh - g.pt;
                    let d = &mut dst[(oy - oy0) * ow..(oy - oy0 + 1) * ow];
                    super::zero_short(&mut d[..xlo]);
                    super::zero_short(&mut d[xhi..]);
                    let src = &xc[iy * g.w..(iy + 1) * g.w];
                    if g.sw == 1 {
                        let ix0 = xlo + kj * g.dw - g.pl;
                        super::copy_short(&mut d[xlo..xhi], &src[ix0..]);
                    } else {
                        for (ox, v) in d.iter_mut().enumerate().take(xhi).skip(xlo) {
                            *v = src[ox * g.sw + kj * g.dw - g.pl];
                        }
                    }
                }
            }
        }
    }
}

/// The adjoint of [`im2col_rows`]: adds the band's columns back into `dx`.
pub fn col2im_rows(
    g: &Geom,
    cols: &[f32],
    band: core::ops::Range<usize>,
    ld: usize,
    dx: &mut [f32],
) {
    let (ow, oy0) = (g.ow, band.start);
    let mut row = 0;
    for c in 0..g.c {
        let xc = &mut dx[c * g.h * g.w..(c + 1) * g.h * g.w];
        for ki in 0..g.kh {
            let (ylo, yhi) = g.valid_y(ki);
            let (ylo, yhi) = (
                ylo.clamp(band.start, band.end),
                yhi.clamp(band.start, band.end),
            );
            for kj in 0..g.kw {
                let (xlo, xhi) = g.valid_x(kj);
                let src = &cols[row * ld..];
                row += 1;
                for oy in ylo..yhi {
                    let iy = oy * g.sh + ki * g.dh - g.pt;
                    let s = &src[(oy - oy0) * ow..(oy - oy0 + 1) * ow];
                    let d = &mut xc[iy * g.w..(iy + 1) * g.w];
                    if g.sw == 1 {
                        let ix0 = xlo + kj * g.dw - g.pl;
                        for (o, v) in d[ix0..ix0 + (xhi - xlo)].iter_mut().zip(&s[xlo..xhi]) {
                            *o += v;
                        }
                    } else {
                        for (ox, v) in s.iter().enumerate().take(xhi).skip(xlo) {
                            d[ox * g.sw + kj * g.dw - g.pl] += v;
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(g: &Geom, x: &[f32]) -> [f32; 4096] {
        let mut cols = [0.0f32; 4096];
        for c in 0..g.c {
            for ki in 0..g.kh {
                for kj in 0..g.kw {
                    let r = (c * g.kh + ki) * g.kw + kj;
                    for oy in 0..g.oh {
                        for ox in 0..g.ow {
                            let iy = (oy * g.sh + ki * g.dh) as isize - g.pt as isize;
                            let ix = (ox * g.sw + kj * g.dw) as isize - g.pl as isize;
                            let inside =
                                iy >= 0 && ix >= 0 && (iy as usize) < g.h && (ix as usize) < g.w;
                            cols[r * g.oh * g.ow + oy * g.ow + ox] = if inside {
                                x[c * g.h * g.w + iy as usize * g.w + ix as usize]
                            } else {
                                0.0
                            };
                        }
                    }
                }
            }
        }
        cols
    }

    #[test]
    fn same_padding_follows_tf() {
        // KWS conv1: 49×10, kernel 10×4, stride 2: outputs 25×5, pads (4, 5) and (1, 1).
        assert_eq!(same_pad(49, 10, 2, 1), (4, 5));
        assert_eq!(same_pad(10, 4, 2, 1), (1, 1));
        assert_eq!(out_len(49, 10, 2, 4, 5, 1), 25);
        assert_eq!(out_len(10, 4, 2, 1, 1, 1), 5);
        // 3×3 stride 2 on 96 and 32: one extra pixel at the bottom only.
        assert_eq!(same_pad(96, 3, 2, 1), (0, 1));
        assert_eq!(same_pad(32, 3, 2, 1), (0, 1));
        // stride 1: symmetric when K−1 is even, dilation widens the kernel.
        assert_eq!(same_pad(7, 3, 1, 2), (2, 2));
        assert_eq!(same_pad(7, 4, 1, 1), (1, 2));
        // the stride larger than the kernel needs no padding at all
        assert_eq!(same_pad(9, 1, 3, 1), (0, 0));
    }

    #[test]
    fn im2col_matches_the_definition_and_col2im_is_its_adjoint() {
        for &(c, h, w, k, s, p, d) in &[
            (2, 5, 6, [3, 3], [1, 1], [1, 1, 1, 1], [1, 1]),
            (1, 7, 7, [3, 3], [2, 2], [0; 4], [2, 2]),
            (2, 6, 5, [2, 2], [2, 2], [1, 1, 1, 1], [1, 1]),
            (1, 4, 4, [3, 3], [3, 3], [2, 2, 2, 2], [2, 2]),
            (1, 9, 6, [4, 2], [2, 1], [1, 2, 0, 1], [1, 2]),
            (2, 7, 5, [1, 3], [1, 2], [0, 0, 2, 1], [1, 1]),
            (1, 11, 4, [5, 2], [3, 2], [2, 1, 1, 0], [2, 1]),
        ] {
            let g = Geom::new(c, h, w, k, s, p, d);
            let x: [f32; 256] = core::array::from_fn(|i| i as f32 * 0.37 - 3.0);
            let mut cols = [9.0f32; 4096];
            im2col(&g, &x, &mut cols);
            let want = naive(&g, &x);
            assert_eq!(&cols[..g.rows() * g.cols()], &want[..g.rows() * g.cols()]);
            // <im2col(x), y> == <x, col2im(y)>
            let yv: [f32; 4096] = core::array::from_fn(|i| ((i * 7) % 13) as f32 - 6.0);
            let lhs: f32 = cols[..g.rows() * g.cols()]
                .iter()
                .zip(&yv)
                .map(|(a, b)| a * b)
                .sum();
            let mut dx = [0.0f32; 256];
            col2im(&g, &yv[..g.rows() * g.cols()], &mut dx);
            let rhs: f32 = dx[..c * h * w].iter().zip(&x).map(|(a, b)| a * b).sum();
            assert!(
                (lhs - rhs).abs() < 1e-2 * lhs.abs().max(1.0),
                "{lhs} vs {rhs}"
            );
            // bands of output rows, with a wider leading dimension, give the same columns and
            // their col2im adds up to the whole one
            let ld = g.cols() + 5;
            let mut dx2 = [0.0f32; 256];
            for b0 in 0..g.oh {
                for b1 in b0 + 1..=g.oh {
                    let mut band = [7.0f32; 4096];
                    im2col_rows(&g, &x, b0..b1, &mut band, ld);
                    for r in 0..g.rows() {
                        let want = &cols[r * g.cols() + b0 * g.ow..r * g.cols() + b1 * g.ow];
                        assert_eq!(&band[r * ld..r * ld + want.len()], want);
                    }
                }
            }
            for b0 in (0..g.oh).step_by(2) {
                let b1 = (b0 + 2).min(g.oh);
                let mut band = [0.0f32; 4096];
                for r in 0..g.rows() {
                    let src = &yv[r * g.cols() + b0 * g.ow..r * g.cols() + b1 * g.ow];
                    band[r * ld..r * ld + src.len()].copy_from_slice(src);
                }
                col2im_rows(&g, &band, b0..b1, ld, &mut dx2);
            }
            for (a, b) in dx.iter().zip(&dx2) {
                assert!(
                    (a - b).abs() < 1e-4 * (1.0 + a.abs()),
                    "banded col2im {a} vs {b}"
                );
            }
        }
    }
}

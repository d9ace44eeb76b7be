//! im2col / col2im for one sample: a `[C, H, W]` image and its `[C·K·K, H'·W']` column matrix,
//! with stride, padding and dilation.

/// Geometry of a 2-D convolution window over one sample.
#[derive(Clone, Copy, Debug)]
pub struct Geom {
    /// Input channels, height, width.
    pub c: usize,
    pub h: usize,
    pub w: usize,
    /// Kernel size, stride, padding, dilation.
    pub k: usize,
    pub s: usize,
    pub p: usize,
    pub d: usize,
    /// Output height and width.
    pub oh: usize,
    pub ow: usize,
}

impl Geom {
    /// `true` when the column matrix is the image itself (1×1, stride 1, no padding).
    pub const fn is_identity(&self) -> bool {
        self.k == 1 && self.s == 1 && self.p == 0
    }
    /// Rows of the column matrix: `C·K·K`.
    pub const fn rows(&self) -> usize {
        self.c * self.k * self.k
    }
    /// Columns: `H'·W'`.
    pub const fn cols(&self) -> usize {
        self.oh * self.ow
    }
    /// For kernel offset `ki` along an axis: the output range `[lo, hi)` whose input index
    /// `o·S + ki·D − P` lies in `[0, n)`.
    #[inline]
    fn valid(&self, ki: usize, n: usize, on: usize) -> (usize, usize) {
        let off = ki * self.d;
        // o·s + off ≥ p  ⇔  o ≥ ceil((p − off)/s)
        let lo = if off >= self.p {
            0
        } else {
            (self.p - off).div_ceil(self.s)
        };
        // o·s + off − p ≤ n − 1  ⇔  o ≤ (n − 1 + p − off)/s
        let hi = if n + self.p > off {
            ((n - 1 + self.p - off) / self.s + 1).min(on)
        } else {
            0
        };
        (lo.min(hi), hi)
    }
}

/// Writes the column matrix of `x` (`[C, H, W]`) into `cols` (`[C·K·K, H'·W']`).
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
        for ki in 0..g.k {
            let (ylo, yhi) = g.valid(ki, g.h, g.oh);
            let (ylo, yhi) = (
                ylo.clamp(band.start, band.end),
                yhi.clamp(band.start, band.end),
            );
            for kj in 0..g.k {
                let (xlo, xhi) = g.valid(kj, g.w, ow);
                let dst = &mut cols[row * ld..row * ld + width];
                row += 1;
                super::zero_short(&mut dst[..(ylo - oy0) * ow]);
                super::zero_short(&mut dst[(yhi - oy0) * ow..]);
                for oy in ylo..yhi {
                    let iy = oy * g.s + ki * g.d - g.p;
                    let d = &mut dst[(oy - oy0) * ow..(oy - oy0 + 1) * ow];
                    super::zero_short(&mut d[..xlo]);
                    super::zero_short(&mut d[xhi..]);
                    let src = &xc[iy * g.w..(iy + 1) * g.w];
                    if g.s == 1 {
                        let ix0 = xlo + kj * g.d - g.p;
                        super::copy_short(&mut d[xlo..xhi], &src[ix0..]);
                    } else {
                        for (ox, v) in d.iter_mut().enumerate().take(xhi).skip(xlo) {
                            *v = src[ox * g.s + kj * g.d - g.p];
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
        for ki in 0..g.k {
            let (ylo, yhi) = g.valid(ki, g.h, g.oh);
            let (ylo, yhi) = (
                ylo.clamp(band.start, band.end),
                yhi.clamp(band.start, band.end),
            );
            for kj in 0..g.k {
                let (xlo, xhi) = g.valid(kj, g.w, ow);
                let src = &cols[row * ld..];
                row += 1;
                for oy in ylo..yhi {
                    let iy = oy * g.s + ki * g.d - g.p;
                    let s = &src[(oy - oy0) * ow..(oy - oy0 + 1) * ow];
                    let d = &mut xc[iy * g.w..(iy + 1) * g.w];
                    if g.s == 1 {
                        let ix0 = xlo + kj * g.d - g.p;
                        for (o, v) in d[ix0..ix0 + (xhi - xlo)].iter_mut().zip(&s[xlo..xhi]) {
                            *o += v;
                        }
                    } else {
                        for (ox, v) in s.iter().enumerate().take(xhi).skip(xlo) {
                            d[ox * g.s + kj * g.d - g.p] += v;
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
            for ki in 0..g.k {
                for kj in 0..g.k {
                    let r = (c * g.k + ki) * g.k + kj;
                    for oy in 0..g.oh {
                        for ox in 0..g.ow {
                            let iy = (oy * g.s + ki * g.d) as isize - g.p as isize;
                            let ix = (ox * g.s + kj * g.d) as isize - g.p as isize;
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
    fn im2col_matches_the_definition_and_col2im_is_its_adjoint() {
        for &(c, h, w, k, s, p, d) in &[
            (2, 5, 6, 3, 1, 1, 1),
            (1, 7, 7, 3, 2, 0, 2),
            (2, 6, 5, 2, 2, 1, 1),
            (1, 4, 4, 3, 3, 2, 2),
        ] {
            let oh = (h + 2 * p - d * (k - 1) - 1) / s + 1;
            let ow = (w + 2 * p - d * (k - 1) - 1) / s + 1;
            let g = Geom {
                c,
                h,
                w,
                k,
                s,
                p,
                d,
                oh,
                ow,
            };
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

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
    pub fn is_identity(&self) -> bool {
        self.k == 1 && self.s == 1 && self.p == 0
    }
    /// Rows of the column matrix: `C·K·K`.
    pub fn rows(&self) -> usize {
        self.c * self.k * self.k
    }
    /// Columns: `H'·W'`.
    pub fn cols(&self) -> usize {
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
    let (oh, ow) = (g.oh, g.ow);
    let mut row = 0;
    for c in 0..g.c {
        let xc = &x[c * g.h * g.w..(c + 1) * g.h * g.w];
        for ki in 0..g.k {
            let (ylo, yhi) = g.valid(ki, g.h, oh);
            for kj in 0..g.k {
                let (xlo, xhi) = g.valid(kj, g.w, ow);
                let dst = &mut cols[row * oh * ow..(row + 1) * oh * ow];
                row += 1;
                dst[..ylo * ow].fill(0.0);
                dst[yhi * ow..].fill(0.0);
                for oy in ylo..yhi {
                    let iy = oy * g.s + ki * g.d - g.p;
                    let d = &mut dst[oy * ow..(oy + 1) * ow];
                    d[..xlo].fill(0.0);
                    d[xhi..].fill(0.0);
                    let src = &xc[iy * g.w..(iy + 1) * g.w];
                    if g.s == 1 {
                        let ix0 = xlo + kj * g.d - g.p;
                        d[xlo..xhi].copy_from_slice(&src[ix0..ix0 + (xhi - xlo)]);
                    } else {
                        for ox in xlo..xhi {
                            d[ox] = src[ox * g.s + kj * g.d - g.p];
                        }
                    }
                }
            }
        }
    }
}

/// Adds the column matrix `cols` back into the image `dx` (the adjoint of [`im2col`]).
pub fn col2im(g: &Geom, cols: &[f32], dx: &mut [f32]) {
    let (oh, ow) = (g.oh, g.ow);
    let mut row = 0;
    for c in 0..g.c {
        let xc = &mut dx[c * g.h * g.w..(c + 1) * g.h * g.w];
        for ki in 0..g.k {
            let (ylo, yhi) = g.valid(ki, g.h, oh);
            for kj in 0..g.k {
                let (xlo, xhi) = g.valid(kj, g.w, ow);
                let src = &cols[row * oh * ow..(row + 1) * oh * ow];
                row += 1;
                for oy in ylo..yhi {
                    let iy = oy * g.s + ki * g.d - g.p;
                    let s = &src[oy * ow..(oy + 1) * ow];
                    let d = &mut xc[iy * g.w..(iy + 1) * g.w];
                    if g.s == 1 {
                        let ix0 = xlo + kj * g.d - g.p;
                        for (o, v) in d[ix0..ix0 + (xhi - xlo)].iter_mut().zip(&s[xlo..xhi]) {
                            *o += v;
                        }
                    } else {
                        for ox in xlo..xhi {
                            d[ox * g.s + kj * g.d - g.p] += s[ox];
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
        }
    }
}

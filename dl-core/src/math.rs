//! Float functions that work without `std` (`libm`-free: exp and ln by range reduction and
//! polynomials accurate to a few ulp of f32), so every layer's forward runs under `no_std`.

/// `e^x`.
#[inline]
pub fn exp(x: f32) -> f32 {
    #[cfg(feature = "std")]
    {
        x.exp()
    }
    #[cfg(not(feature = "std"))]
    {
        if x > 88.72 {
            return f32::INFINITY;
        }
        if x < -103.9 {
            return 0.0;
        }
        // x = k·ln2 + r, |r| ≤ ln2/2; e^r by a degree-6 Taylor polynomial in f64.
        let k = (x as f64 * core::f64::consts::LOG2_E + if x < 0.0 { -0.5 } else { 0.5 }) as i32;
        let r = x as f64 - k as f64 * core::f64::consts::LN_2;
        let p = 1.0
            + r * (1.0
                + r * (0.5
                    + r * (1.0 / 6.0
                        + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r / 5040.0))))));
        (p * f64::from_bits(((1023 + k as i64) as u64) << 52)) as f32
    }
}

/// Natural logarithm.
#[inline]
pub fn ln(x: f32) -> f32 {
    #[cfg(feature = "std")]
    {
        x.ln()
    }
    #[cfg(not(feature = "std"))]
    {
        if !(x > 0.0) {
            return if x == 0.0 {
                f32::NEG_INFINITY
            } else {
                f32::NAN
            };
        }
        let bits = (x as f64).to_bits();
        let e = ((bits >> 52) & 0x7ff) as i64 - 1023;
        let m = f64::from_bits((bits & !(0x7ffu64 << 52)) | (1023u64 << 52)); // [1, 2)
                                                                              // ln(m) = 2·atanh((m−1)/(m+1))
        let t = (m - 1.0) / (m + 1.0);
        let t2 = t * t;
        let s = t
            * (2.0
                + t2 * (2.0 / 3.0
                    + t2 * (2.0 / 5.0
                        + t2 * (2.0 / 7.0
                            + t2 * (2.0 / 9.0 + t2 * (2.0 / 11.0 + t2 * 2.0 / 13.0))))));
        (s + e as f64 * core::f64::consts::LN_2) as f32
    }
}

/// Square root.
#[inline]
pub fn sqrt(x: f32) -> f32 {
    #[cfg(feature = "std")]
    {
        x.sqrt()
    }
    #[cfg(not(feature = "std"))]
    {
        if !(x > 0.0) {
            return if x == 0.0 { 0.0 } else { f32::NAN };
        }
        let mut y = f32::from_bits((x.to_bits() >> 1) + 0x1fbd_1df5) as f64;
        let xd = x as f64;
        for _ in 0..4 {
            y = 0.5 * (y + xd / y);
        }
        y as f32
    }
}

/// `x^p` for `x > 0`.
#[inline]
pub fn powf(x: f32, p: f32) -> f32 {
    #[cfg(feature = "std")]
    {
        x.powf(p)
    }
    #[cfg(not(feature = "std"))]
    {
        exp(p * ln(x))
    }
}

/// `tanh(x)`.
#[inline]
pub fn tanh(x: f32) -> f32 {
    #[cfg(feature = "std")]
    {
        x.tanh()
    }
    #[cfg(not(feature = "std"))]
    {
        if x.abs() > 9.0 {
            return x.signum();
        }
        let e = exp(2.0 * x);
        (e - 1.0) / (e + 1.0)
    }
}

/// `cos(x)` (used by the Box–Muller transform).
#[inline]
pub fn cos(x: f32) -> f32 {
    #[cfg(feature = "std")]
    {
        x.cos()
    }
    #[cfg(not(feature = "std"))]
    {
        let tau = 2.0 * core::f64::consts::PI;
        let mut r = x as f64 % tau;
        if r > core::f64::consts::PI {
            r -= tau;
        } else if r < -core::f64::consts::PI {
            r += tau;
        }
        let r2 = r * r;
        let mut term = 1.0;
        let mut sum = 1.0;
        for i in 1..12 {
            term *= -r2 / ((2 * i - 1) * (2 * i)) as f64;
            sum += term;
        }
        sum as f32
    }
}

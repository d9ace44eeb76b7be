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
        soft::exp(x)
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
        soft::ln(x)
    }
}

/// The logistic function `1 / (1 + e^−x)` in `f32` arithmetic alone: no library call and no
/// branch, so a loop over a slice vectorises (and gives the same bits on every target, the
/// `no_std` build's included). `e^−x` is [`exp_select`]'s; within 2 ulp of the exact value for
/// `x > −87` (below, the result is `e^−x`'s f32 rounding or 0, never more than 2e-38 off).
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp_select(-x))
}

/// `e^x` by selects and f32 arithmetic (Cody–Waite reduction `x = n·ln2 + r`, `|r| ≤ ln2/2`,
/// `e^r` by its degree-7 Taylor polynomial, `2^n` written into the exponent bits): `+∞` above
/// 88, `e^−87` below −87, NaN for NaN; within 2 ulp in between.
#[inline(always)]
pub fn exp_select(x: f32) -> f32 {
    // 1.5·2^23 + 127: adding it rounds x·log2(e) to an integer n and leaves n + 127 (the
    // biased exponent of 2^n) in the low bits of the sum
    const MAGIC: f32 = 12_582_912.0 + 127.0;
    const LN2_HI: f32 = 0.693_359_4; // 355/512: n·LN2_HI is exact for |n| < 2^15
    const LN2_LO: f32 = -2.121_944_4e-4;
    let big = x > 88.0;
    let v = if x < -87.0 { -87.0 } else { x };
    let v = if big { 88.0 } else { v };
    let t = v * core::f32::consts::LOG2_E + MAGIC;
    let n = t - MAGIC;
    let r = v - n * LN2_HI - n * LN2_LO;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0
                    + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r / 5040.0))))));
    let e = p * f32::from_bits(t.to_bits() << 23);
    if big {
        f32::INFINITY
    } else {
        e
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
        soft::sqrt(x)
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
        soft::powf(x, p)
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
        soft::tanh(x)
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
        soft::cos(x)
    }
}

/// The `no_std` versions (polynomials in f64), compiled always so that the std build's tests
/// can check them against the standard library.
#[cfg_attr(feature = "std", allow(dead_code))]
mod soft {
    pub fn exp(x: f32) -> f32 {
        if x > 88.72 {
            return f32::INFINITY;
        }
        if x < -103.9 {
            return 0.0;
        }
        exp64(x as f64) as f32
    }

    /// `e^x` in f64 for `|x| < 104`: x = k·ln2 + r, |r| ≤ ln2/2; e^r by a degree-7 Taylor
    /// polynomial (truncation below 1e-8 relative).
    fn exp64(x: f64) -> f64 {
        let k = (x * core::f64::consts::LOG2_E + if x < 0.0 { -0.5 } else { 0.5 }) as i32;
        let r = x - k as f64 * core::f64::consts::LN_2;
        let p = 1.0
            + r * (1.0
                + r * (0.5
                    + r * (1.0 / 6.0
                        + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r / 5040.0))))));
        p * f64::from_bits(((1023 + k as i64) as u64) << 52)
    }

    pub fn ln(x: f32) -> f32 {
        if x.is_nan() || x <= 0.0 {
            return if x == 0.0 {
                f32::NEG_INFINITY
            } else {
                f32::NAN
            };
        }
        if x == f32::INFINITY {
            return x;
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

    pub fn sqrt(x: f32) -> f32 {
        if x.is_nan() || x <= 0.0 || x == f32::INFINITY {
            // ±0 and +inf are their own roots; a negative number or NaN has none
            return if x == 0.0 || x == f32::INFINITY {
                x
            } else {
                f32::NAN
            };
        }
        let mut y = f32::from_bits((x.to_bits() >> 1) + 0x1fbd_1df5) as f64;
        let xd = x as f64;
        for _ in 0..4 {
            y = 0.5 * (y + xd / y);
        }
        y as f32
    }

    pub fn powf(x: f32, p: f32) -> f32 {
        exp(p * ln(x))
    }

    pub fn tanh(x: f32) -> f32 {
        if x.abs() > 9.0 {
            return x.signum();
        }
        if x.abs() < 1e-4 {
            // keeps the sign of ±0 and avoids e − 1's cancellation: the next term is x⁵·2/15
            return x * (1.0 - x * x / 3.0);
        }
        if x.is_nan() {
            return x;
        }
        // e − 1 in f64: no cancellation to speak of at f32 precision
        let e = exp64(2.0 * x as f64);
        ((e - 1.0) / (e + 1.0)) as f32
    }

    pub fn cos(x: f32) -> f32 {
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

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::soft;
    use super::{exp_select, sigmoid};

    /// Distance in units of the last place between `a` and the f32 nearest to `exact`.
    fn ulps(a: f32, exact: f64) -> u32 {
        let b = exact as f32;
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs() as u32
    }

    /// `exp_select` within 2 ulp of the f64 exponential on a dense sweep of [−87, 88], and
    /// `sigmoid` within 2 ulp of the f64 logistic there; the clamps and NaN as documented.
    #[test]
    fn select_exp_and_sigmoid_within_two_ulp() {
        let mut worst = (0, 0);
        for i in 0..175_000 {
            let x = -87.0 + i as f32 * 1e-3;
            let u = ulps(exp_select(x), (x as f64).exp());
            assert!(
                u <= 2,
                "exp({x}) = {} vs {}",
                exp_select(x),
                (x as f64).exp()
            );
            worst.0 = worst.0.max(u);
            let s = 1.0 / (1.0 + (-(x as f64)).exp());
            worst.1 = worst.1.max(ulps(sigmoid(x), s));
        }
        assert!(worst.0 <= 2 && worst.1 <= 2, "worst ulps {worst:?}");
        assert_eq!(exp_select(0.0), 1.0);
        assert_eq!(exp_select(89.0), f32::INFINITY);
        assert_eq!(exp_select(f32::INFINITY), f32::INFINITY);
        assert!(exp_select(-1e9) < 2e-38 && exp_select(f32::NEG_INFINITY) >= 0.0);
        assert!(exp_select(f32::NAN).is_nan() && sigmoid(f32::NAN).is_nan());
        assert_eq!(sigmoid(0.0), 0.5);
        assert_eq!(sigmoid(100.0), 1.0);
        assert_eq!(sigmoid(-100.0), 0.0);
        assert_eq!(sigmoid(f32::NEG_INFINITY), 0.0);
        assert!(sigmoid(-87.5) <= 2e-38 && sigmoid(-87.5) >= 0.0);
    }

    /// Relative error of the soft function against std's at ordinary values, and the same
    /// answer at the special ones (±0, ±inf, NaN, negative), as IEEE 754 asks.
    #[test]
    fn soft_functions_match_std_including_special_values() {
        let close = |a: f32, b: f32| (a - b).abs() <= 2e-6 * b.abs().max(1e-30) || a == b;
        for &x in &[1e-30f32, 1e-6, 0.1, 0.5, 1.0, 1.5, 2.0, 10.0, 1e6, 3.4e38] {
            assert!(
                close(soft::ln(x), x.ln()),
                "ln({x}) = {} vs {}",
                soft::ln(x),
                x.ln()
            );
            assert!(close(soft::sqrt(x), x.sqrt()), "sqrt({x})");
        }
        for &x in &[
            -20.0f32, -1.0, -0.1, -1e-3, 1e-5, 0.0, 2e-3, 0.3, 1.0, 5.0, 20.0, 80.0,
        ] {
            assert!(
                close(soft::exp(x), x.exp()),
                "exp({x}) = {} vs {}",
                soft::exp(x),
                x.exp()
            );
            assert!(
                close(soft::tanh(x), x.tanh()),
                "tanh({x}) = {} vs {}",
                soft::tanh(x),
                x.tanh()
            );
        }
        let same = |a: f32, b: f32| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
        for &x in &[
            0.0f32,
            -0.0,
            -1.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
        ] {
            assert!(
                same(soft::ln(x), x.ln()),
                "ln({x}) = {} vs {}",
                soft::ln(x),
                x.ln()
            );
            assert!(
                same(soft::sqrt(x), x.sqrt()),
                "sqrt({x}) = {} vs {}",
                soft::sqrt(x),
                x.sqrt()
            );
            assert!(
                same(soft::exp(x), x.exp()),
                "exp({x}) = {} vs {}",
                soft::exp(x),
                x.exp()
            );
            assert!(
                same(soft::tanh(x), x.tanh()),
                "tanh({x}) = {} vs {}",
                soft::tanh(x),
                x.tanh()
            );
        }
    }
}

//! BatchNorm's ε as a type, `Eps<M, E>` = M·10⁻ᴱ: a decimal with a typenum mantissa and
//! exponent, so a zero ε is a `cargo check` error (a trait bound), and a negative, NaN or
//! infinite one cannot be written at all.
use crate::check::{EpsExponentInRange, EpsNonZero};
use crate::shown::{Dec, Decimal, IfZero, ZeroShown};
use core::marker::PhantomData;
use typenum::Unsigned;

/// ε = `M`·10⁻ᴱ for [`BatchNorm`](super::BatchNorm): `Eps<U1, U5>` is 1e-5 (PyTorch's default,
/// [`DefaultEps`]), `Eps<U1, U3>` is 0.001, `Eps<U25, U2>` is 0.25, `Eps<U2, U0>` is 2.
///
/// `M` ≥ 1 and `E` ≤ 38 are checked by the layer's trait bounds (messages naming the problem);
/// both are unsigned, so ε is positive and finite by construction.
pub struct Eps<M, E>(PhantomData<fn() -> (M, E)>);

/// PyTorch's default batch-norm ε, 1e-5.
pub type DefaultEps = Eps<typenum::consts::U1, typenum::consts::U5>;

/// The `f32` value of an ε type ([`Eps`]).
pub trait EpsValue {
    /// ε, rounded to the nearest `f32` (through `f64`: `M / 10ᴱ`).
    const VALUE: f32;
}

impl<M: Unsigned, E: Unsigned> EpsValue for Eps<M, E> {
    const VALUE: f32 = eps_value(M::U64, E::U32);
}

/// A valid ε type: mantissa non-zero, exponent at most 38 (so M·10⁻ᴱ ≥ 1e-38 stays a normal-ish,
/// non-zero `f32`). The bounds a [`BatchNorm`](super::BatchNorm) layer asks for.
pub trait ValidEps: EpsValue {}
impl<M, E> ValidEps for Eps<M, E>
where
    M: Unsigned + ZeroShown,
    IfZero<M>: EpsNonZero,
    E: Unsigned + Decimal,
    Dec<E>: EpsExponentInRange,
{
}

/// `m / 10ᵉ` as an `f32` (a const fn: the value of `Eps<M, E>`; the macro spells a literal so
/// that this gives back the literal's own `f32`).
pub(crate) const fn eps_value(m: u64, e: u32) -> f32 {
    let mut p = 1.0f64;
    let mut i = 0;
    while i < e {
        p *= 10.0;
        i += 1;
    }
    (m as f64 / p) as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use typenum::consts::*;

    #[test]
    fn values_are_the_decimal_literals() {
        assert_eq!(<DefaultEps as EpsValue>::VALUE, 1e-5);
        assert_eq!(<Eps<U1, U3> as EpsValue>::VALUE, 1e-3);
        assert_eq!(<Eps<U25, U2> as EpsValue>::VALUE, 0.25);
        assert_eq!(<Eps<U2, U0> as EpsValue>::VALUE, 2.0);
        assert_eq!(<Eps<U15, U4> as EpsValue>::VALUE, 1.5e-3);
        assert_eq!(<Eps<U1, U38> as EpsValue>::VALUE, 1e-38);
    }

    /// Every `f32` literal written with up to 4 significant digits and exponents −1 … −12
    /// comes back bit for bit from its (mantissa, exponent) pair.
    #[test]
    fn decimal_round_trip() {
        for e in 1..=12u32 {
            for m in 1..=9999u64 {
                let text = std::format!("{m}e-{e}");
                let want: f32 = text.parse().unwrap();
                assert_eq!(eps_value(m, e), want, "{text}");
            }
        }
    }
}

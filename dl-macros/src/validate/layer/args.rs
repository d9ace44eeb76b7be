//! A layer call's arguments: bound to PyTorch's parameter names (positional or by name), read
//! as whole numbers, booleans, exact decimal fractions or BatchNorm's ε, each mistake (a
//! negative number included) reported on the argument.
use super::*;

/// A parameter of a layer: its names (canonical first) and default.
pub(super) struct P(pub &'static [&'static str], pub Option<u64>);

/// Binds `call`'s arguments to `params`. The first `npos` parameters may be positional; with
/// `lead_opt`, the first parameter is positional only when all `npos` are given.
pub(super) fn bind<'a>(
    cx: &mut Ctxt,
    call: &'a Call,
    params: &[P],
    npos: usize,
    lead_opt: bool,
) -> Option<Vec<Option<&'a Arg>>> {
    let mut out: Vec<Option<&Arg>> = vec![None; params.len()];
    let mut ok = true;
    let positional: Vec<&Arg> = call.args.iter().filter(|a| a.name.is_none()).collect();
    let named_in = |r: core::ops::Range<usize>| {
        call.args
            .iter()
            .filter_map(|a| a.name.as_ref())
            .filter(|n| params[r.clone()].iter().any(|p| p.0.iter().any(|a| n == a)))
            .count()
    };
    let start = if lead_opt && (named_in(0..1) > 0 || positional.len() + named_in(1..npos) < npos) {
        1
    } else {
        0
    };
    let name = call.name.to_string();
    for (i, a) in positional.iter().enumerate() {
        let slot = start + i;
        if slot >= npos {
            ok = false;
            cx.err(
                &a.tokens,
                format!(
                    "{name} takes at most {} positional arguments ({}); give the others \
                     by name (`name = value`)",
                    npos - start,
                    params[start..npos]
                        .iter()
                        .map(|p| p.0[0])
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        } else {
            out[slot] = Some(a);
        }
    }
    for a in call.args.iter().filter(|a| a.name.is_some()) {
        let n = a.name.as_ref().map(|n| n.to_string()).unwrap_or_default();
        match params.iter().position(|p| p.0.contains(&n.as_str())) {
            Some(i) if out[i].is_some() => {
                ok = false;
                cx.err(
                    &a.tokens,
                    format!("{name}: argument `{}` is given twice", params[i].0[0]),
                );
            }
            Some(i) => out[i] = Some(a),
            None => {
                ok = false;
                let valid: Vec<_> = params.iter().map(|p| p.0[0]).collect();
                cx.err(
                    &a.tokens,
                    if valid.is_empty() {
                        format!("unknown argument `{n}`: {name} takes no arguments")
                    } else {
                        format!(
                            "unknown argument `{n}` for {name}; its arguments are: {}",
                            valid.join(", ")
                        )
                    },
                );
            }
        }
    }
    ok.then_some(out)
}

pub(super) fn int(
    cx: &mut Ctxt,
    a: Option<&Arg>,
    default: Option<u64>,
    call: &Call,
    pname: &str,
) -> Option<u64> {
    match a {
        None => {
            if default.is_none() {
                cx.err(
                    &call.tokens,
                    format!("{} is missing its `{pname}` argument", call.name),
                );
            }
            default
        }
        Some(a) if a.negative => {
            cx.err(
                &a.tokens,
                format!(
                    "{}: `{pname}` = {} is negative; it counts {}, so it must be a whole \
                     number ≥ 0",
                    call.name,
                    describe_value(a),
                    counts(pname)
                ),
            );
            None
        }
        Some(a) => match &a.value {
            Value::Int(l) => match l.base10_parse::<u64>() {
                Ok(v) => Some(v),
                Err(e) => {
                    cx.err(l, e);
                    None
                }
            },
            _ => {
                cx.err(&a.tokens, format!("`{pname}` must be a whole number"));
                None
            }
        },
    }
}

/// What an integer hyper-parameter counts, for the message on a negative value.
pub(super) fn counts(pname: &str) -> &'static str {
    match pname {
        "padding" => "rows and columns of zeros added on each side",
        "stride" => "the step between windows",
        "dilation" => "the spacing between kernel taps",
        "kernel_size" => "the window's height and width",
        "in_channels" | "out_channels" | "num_features" => "channels",
        "in_features" | "out_features" => "features",
        "pieces" => "the inputs each output is the max of",
        "size" => "the neighbouring channels summed over",
        "scale_factor" => "how many times each row and column is repeated",
        "output_padding" => "rows and columns added on one side of the output",
        _ => "a size",
    }
}

/// An argument's value as written, sign included.
pub(super) fn describe_value(a: &Arg) -> String {
    let v = match &a.value {
        Value::Int(i) => i.base10_digits().to_string(),
        Value::Float(f) => f.base10_digits().to_string(),
        Value::Ident(i) => i.to_string(),
        Value::Bool(b) => b.value.to_string(),
        Value::Tuple(t) => {
            let v: Vec<String> = t.iter().map(|l| l.base10_digits().to_string()).collect();
            format!("({})", v.join(", "))
        }
        Value::Str(s) => format!("{:?}", s.value()),
    };
    if a.negative {
        format!("-{v}")
    } else {
        v
    }
}

/// A `true`/`false` argument (PyTorch's `True`/`False`), `default` when absent.
pub(super) fn boolean(cx: &mut Ctxt, a: Option<&Arg>, default: bool, pname: &str) -> Option<bool> {
    let Some(a) = a else { return Some(default) };
    match &a.value {
        Value::Bool(b) => Some(b.value),
        _ => {
            cx.err(&a.tokens, format!("`{pname}` must be true or false"));
            None
        }
    }
}

/// A float argument's magnitude as a reduced fraction `num/den` (exact: decimal digits); the
/// caller reads and checks its sign (`Arg::negative`).
pub(super) fn ratio(
    cx: &mut Ctxt,
    a: Option<&Arg>,
    default: (u64, u64),
    pname: &str,
) -> Option<(u64, u64)> {
    let Some(a) = a else { return Some(default) };
    let text = match &a.value {
        Value::Float(f) => f.base10_digits().to_string(),
        Value::Int(i) => i.base10_digits().to_string(),
        Value::Ident(_) | Value::Bool(_) | Value::Tuple(_) | Value::Str(_) => {
            cx.err(&a.tokens, format!("`{pname}` must be a number such as 0.5"));
            return None;
        }
    };
    let (ip, fp) = text.split_once('.').unwrap_or((&text, ""));
    if text.contains(['e', 'E']) || fp.len() > 9 {
        cx.err(
            &a.tokens,
            format!("`{pname}`: write a plain decimal such as 0.25"),
        );
        return None;
    }
    let den = 10u64.pow(fp.len() as u32);
    let Ok(num) = format!("{ip}{fp}").parse::<u64>() else {
        cx.err(
            &a.tokens,
            format!("`{pname}`: write a plain decimal such as 0.25"),
        );
        return None;
    };
    let g = gcd(num, den);
    Some((num / g.max(1), den / g.max(1)))
}
/// BatchNorm's `eps` as a decimal `(m, e)` = m·10⁻ᵉ, the digits of its `f32` (PyTorch's 1e-5 =
/// `(1, 5)` when absent): a positive, finite number such as `0.001` or `1e-3`, at least 1e-38.
/// dl-core's `Eps<M, E>` gives back exactly this `f32` (checked here with the same formula).
pub(super) fn eps_decimal(cx: &mut Ctxt, a: Option<&Arg>, name: &str) -> Option<(u64, u32)> {
    let Some(a) = a else {
        return Some((1, 5));
    };
    let sign = if a.negative { -1.0 } else { 1.0 };
    let v = match &a.value {
        Value::Float(f) => f.base10_parse::<f32>().ok(),
        Value::Int(i) => i.base10_parse::<f32>().ok(),
        Value::Ident(_) | Value::Bool(_) | Value::Tuple(_) | Value::Str(_) => None,
    }
    .map(|v| sign * v);
    let Some(e) = v else {
        cx.err(
            &a.tokens,
            format!("{name}: `eps` must be a number such as 0.001 or 1e-5"),
        );
        return None;
    };
    if !(e > 0.0 && e.is_finite()) {
        cx.err(
            &a.tokens,
            format!(
                "{name}: eps = {e} must be positive and finite (it is added to the variance \
                 before the square root; PyTorch's default is 1e-5)"
            ),
        );
        return None;
    }
    match decimal(e).filter(|&(m, x)| x <= 38 && eps_value(m, x) == e) {
        Some(d) => Some(d),
        None => {
            cx.err(
                &a.tokens,
                format!("{name}: eps = {e:e} is outside what BatchNorm's ε type spells (1e-38 … 1.8e19)"),
            );
            None
        }
    }
}

/// The shortest decimal digits of `v > 0` as `(m, e)` with `v` ≈ m·10⁻ᵉ; `None` if `m`
/// overflows.
fn decimal(v: f32) -> Option<(u64, u32)> {
    let text = format!("{v:e}");
    let (mant, exp) = text.split_once('e')?;
    let exp: i64 = exp.parse().ok()?;
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    let mut m: u64 = format!("{int}{frac}").parse().ok()?;
    let mut e = frac.len() as i64 - exp;
    while e < 0 {
        m = m.checked_mul(10)?;
        e += 1;
    }
    Some((m, u32::try_from(e).ok()?))
}

/// dl-core's `Eps<M, E>` value: `m / 10ᵉ` through `f64`, then rounded to `f32`.
fn eps_value(m: u64, e: u32) -> f32 {
    let mut p = 1.0f64;
    for _ in 0..e {
        p *= 10.0;
    }
    (m as f64 / p) as f32
}

pub(super) fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[cfg(test)]
mod tests {
    use super::{decimal, eps_value};

    #[test]
    fn eps_literals_become_decimals_that_give_back_their_f32() {
        for (v, want) in [
            (1e-5f32, (1, 5)),
            (0.001, (1, 3)),
            (1.5e-3, (15, 4)),
            (0.25, (25, 2)),
            (2.0, (2, 0)),
            (100.0, (100, 0)),
            (1e-38, (1, 38)),
        ] {
            assert_eq!(decimal(v), Some(want), "{v}");
            assert_eq!(eps_value(want.0, want.1), v, "{v}");
        }
        assert_eq!(decimal(1e30), None, "the mantissa 10³⁰ overflows u64");
    }
}

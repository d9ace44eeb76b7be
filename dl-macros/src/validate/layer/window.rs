//! Per-axis window arguments (PyTorch's tuple forms `kernel_size = (10, 4)`, `padding = (1, 0)`,
//! the explicit `(top, bottom, left, right)`, TF's `pad = "same"`) and the output size of a
//! window along each axis, with the messages naming the numbers.
use super::*;

/// Padding as written: four amounts, or TF's `"same"` (resolved against the input later).
#[derive(Clone, Copy)]
pub(super) enum Pad {
    Fixed([u64; 4]),
    Same,
}

/// The whole numbers of a tuple argument.
fn tuple(cx: &mut Ctxt, items: &[syn::LitInt]) -> Option<Vec<u64>> {
    let mut out = Vec::new();
    for l in items {
        match l.base10_parse::<u64>() {
            Ok(v) => out.push(v),
            Err(_) => {
                cx.err(l, format!("`{}`: a size must be a whole number ≥ 0", l));
                return None;
            }
        }
    }
    Some(out)
}

/// A per-axis argument: `n` (both axes) or `(height, width)`.
pub(super) fn pair(
    cx: &mut Ctxt,
    a: Option<&Arg>,
    default: Option<u64>,
    call: &Call,
    pname: &str,
) -> Option<[u64; 2]> {
    if let Some(Arg {
        value: Value::Tuple(items),
        tokens,
        ..
    }) = a
    {
        return match *tuple(cx, items)?.as_slice() {
            [h, w] => Some([h, w]),
            _ => {
                cx.err(
                    tokens,
                    format!(
                        "{}: `{pname}` takes one number or a pair (height, width), not {} numbers",
                        call.name,
                        items.len()
                    ),
                );
                None
            }
        };
    }
    int(cx, a, default, call, pname).map(|v| [v, v])
}

/// `padding`: `p`, `(h, w)`, `(top, bottom, left, right)`, `"same"` or `"valid"` (0).
pub(super) fn padding(cx: &mut Ctxt, a: Option<&Arg>, call: &Call) -> Option<Pad> {
    match a {
        Some(Arg {
            value: Value::Tuple(items),
            tokens,
            ..
        }) => match *tuple(cx, items)?.as_slice() {
            [h, w] => Some(Pad::Fixed([h, h, w, w])),
            [t, b, l, r] => Some(Pad::Fixed([t, b, l, r])),
            _ => {
                cx.err(
                    tokens,
                    format!(
                        "{}: `padding` takes one number, (height, width) or (top, bottom, left, \
                         right), not {} numbers",
                        call.name,
                        items.len()
                    ),
                );
                None
            }
        },
        Some(Arg {
            value: Value::Str(s),
            ..
        }) => match s.value().as_str() {
            "same" => Some(Pad::Same),
            "valid" => Some(Pad::Fixed([0; 4])),
            other => {
                cx.err(
                    s,
                    format!(
                        "{}: padding \"{other}\" is not known; use \"same\" (TF/Keras: output \
                         ⌈N/stride⌉), \"valid\" (no padding) or numbers",
                        call.name
                    ),
                );
                None
            }
        },
        _ => int(cx, a, Some(0), call, "padding").map(|p| Pad::Fixed([p; 4])),
    }
}

/// TF's `'same'` along one axis: `(before, after)`, the output `⌈n/s⌉`, the odd pixel after.
pub(super) fn same_pad(n: u64, k: u64, s: u64, d: u64) -> (u64, u64) {
    let need = (n.div_ceil(s).max(1) - 1) * s + d * (k - 1) + 1;
    let total = need.saturating_sub(n);
    (total / 2, total - total / 2)
}

/// Output size along one axis with padding `lo` before and `hi` after: `⌊L/S⌋ + 1` (floor) or
/// `⌈L/S⌉ + 1` (ceil), the latter minus 1 when the last window would start at or past
/// `n + lo`, with `L = n + lo + hi − D·(K−1) − 1`; `None` when the window does not fit.
/// The formulas of dl-core's `AsymDim` / `PoolDim`.
pub(super) fn dim(n: u64, k: u64, s: u64, (lo, hi): (u64, u64), d: u64, ceil: bool) -> Option<u64> {
    let ext = d.checked_mul(k.checked_sub(1)?)?.checked_add(1)?;
    let padded = n.checked_add(lo)?.checked_add(hi)?;
    if ext > padded || s == 0 {
        return None;
    }
    let span = padded - ext;
    if !ceil {
        return Some(span / s + 1);
    }
    let out = span.div_ceil(s) + 1;
    Some(if (out - 1) * s >= n + lo {
        out - 1
    } else {
        out
    })
}

/// Resolves `pad` against the input `h×w` and computes the output `[oh, ow]`; reports a kernel
/// larger than the padded input (or, with `"same"`, than the input) on `call`.
#[allow(clippy::too_many_arguments)]
pub(super) fn output(
    cx: &mut Ctxt,
    call: &Call,
    name: &str,
    (k, s, pad, d): ([u64; 2], [u64; 2], Pad, [u64; 2]),
    ceil: bool,
    (c, h, w): (u64, u64, u64),
    from: &dyn Fn(Shape) -> String,
) -> Option<(Win, [u64; 2])> {
    let ext = [d[0] * (k[0] - 1) + 1, d[1] * (k[1] - 1) + 1];
    let input = from(Shape::Map(c, h, w));
    let (p, same) = match pad {
        Pad::Fixed(p) => (p, false),
        Pad::Same => {
            if ext[0] > h || ext[1] > w {
                cx.err(
                    &call.tokens,
                    format!(
                        "{name}: padding \"same\" with a kernel {}×{} (dilated {}×{}) larger \
                         than the input {h}×{w} of {input}: TF's 'same' pads \
                         max((⌈N/stride⌉−1)·stride + dilation·(kernel_size−1) + 1 − N, 0) per \
                         axis and needs the dilated kernel to fit in the input",
                        k[0], k[1], ext[0], ext[1]
                    ),
                );
                return None;
            }
            let (t, b) = same_pad(h, k[0], s[0], d[0]);
            let (l, r) = same_pad(w, k[1], s[1], d[1]);
            ([t, b, l, r], true)
        }
    };
    let win = Win { k, s, p, d, same };
    let oh = dim(h, k[0], s[0], (p[0], p[1]), d[0], ceil);
    let ow = dim(w, k[1], s[1], (p[2], p[3]), d[1], ceil);
    if let (Some(oh), Some(ow)) = (oh, ow) {
        return Some((win, [oh, ow]));
    }
    let square = k[0] == k[1] && d[0] == d[1] && p.iter().all(|&v| v == p[0]);
    let what = if name == "Conv2d" { "kernel" } else { "window" };
    let msg = if square && h == 1 && w == 1 && name != "Conv2d" {
        format!(
            "{name} window on a 1×1 map: the {e}×{e} window exceeds its input {input} (padded \
             to {n}×{n}); the map is already 1×1, so remove this pooling",
            e = ext[0],
            n = 1 + 2 * p[0],
        )
    } else if square {
        let (axis, n) = if oh.is_none() {
            ("height", h)
        } else {
            ("width", w)
        };
        let the = if name == "Conv2d" {
            "the dilated kernel "
        } else {
            ""
        };
        format!(
            "{name} {what} larger than its padded input: {the}\
             dilation·(kernel_size−1)+1 = {}·({}−1)+1 = {} exceeds the padded {axis} \
             H+2·padding = {n}+2·{} = {} of its input {input}",
            d[0],
            k[0],
            ext[0],
            p[0],
            n + 2 * p[0],
        )
    } else {
        format!(
            "{name}: {what} {}×{} (dilated {}×{}) is larger than the padded input {}×{} \
             (height {h}+{}+{}, width {w}+{}+{}) of {input}",
            k[0],
            k[1],
            ext[0],
            ext[1],
            h + p[0] + p[1],
            w + p[2] + p[3],
            p[0],
            p[1],
            p[2],
            p[3],
        )
    };
    cx.err(&call.tokens, msg);
    None
}

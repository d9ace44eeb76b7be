//! `MaxPool2d` / `AvgPool2d`: arguments (PyTorch's names, `ceil_mode` by name only) and output
//! size in floor or ceil mode, each mistake naming the numbers.
use super::*;

/// A pooling layer's hyper-parameters as written (`d = 1` for `AvgPool2d`).
#[derive(Clone, Copy)]
pub(super) struct PoolArgs {
    k: u64,
    s: u64,
    p: u64,
    d: u64,
    ceil: bool,
}

/// Output size along one axis: `⌊L/S⌋ + 1` (floor) or `⌈L/S⌉ + 1` (ceil), the latter minus 1 when
/// the last window would start at or past `H + P`, with `L = H + 2P − D·(K−1) − 1`; `None` when
/// the window does not fit the padded input. The same formula as dl-core's `PoolDim`.
pub(super) fn pool_dim(h: u64, a: &PoolArgs, ceil: bool) -> Option<u64> {
    let ext = a.d.checked_mul(a.k.checked_sub(1)?)?.checked_add(1)?;
    let padded = h.checked_add(a.p.checked_mul(2)?)?;
    if ext > padded || a.s == 0 {
        return None;
    }
    let span = padded - ext;
    if !ceil {
        return Some(span / a.s + 1);
    }
    let out = span.div_ceil(a.s) + 1;
    // The last window must start inside the input or the left padding.
    Some(if (out - 1) * a.s >= h + a.p {
        out - 1
    } else {
        out
    })
}

/// Binds and checks the arguments of `MaxPool2d(kernel_size, stride, padding, dilation,
/// ceil_mode = …)` / `AvgPool2d(kernel_size, stride, padding, ceil_mode = …)`.
pub(super) fn args(cx: &mut Ctxt, call: &Call, name: &str) -> Option<PoolArgs> {
    let max = name == "MaxPool2d";
    let mut params = vec![
        P(&["kernel_size", "kernel"], None),
        P(&["stride"], None),
        P(&["padding", "pad"], Some(0)),
    ];
    if max {
        params.push(P(&["dilation"], Some(1)));
    }
    let np = params.len();
    params.push(P(&["ceil_mode"], None));
    let b = bind(cx, call, &params, np, false)?;
    let k = int(cx, b[0], None, call, "kernel_size");
    let s = match b[1] {
        Some(a) => int(cx, Some(a), None, call, "stride"),
        None => k,
    };
    let p = int(cx, b[2], Some(0), call, "padding");
    let d = if max {
        int(cx, b[3], Some(1), call, "dilation")
    } else {
        Some(1)
    };
    let ceil = match b[np] {
        None => Some(false),
        Some(Arg {
            value: Value::Bool(v),
            ..
        }) => Some(v.value),
        Some(a) => {
            cx.err(
                &a.tokens,
                format!("{name}: `ceil_mode` must be `true` or `false`"),
            );
            None
        }
    };
    let (Some(k), Some(s), Some(p), Some(d), Some(ceil)) = (k, s, p, d, ceil) else {
        return None;
    };
    for (v, i, what) in [(k, 0, "kernel_size"), (d, 3, "dilation")] {
        if v == 0 {
            cx.err(
                b.get(i)
                    .copied()
                    .flatten()
                    .map_or(&call.tokens, |a| &a.tokens),
                format!("{what} = 0: {name} needs at least 1"),
            );
            return None;
        }
    }
    if s == 0 {
        cx.err(
            b[1].map_or(&call.tokens, |a| &a.tokens),
            format!(
                "stride = 0 leaves no output: {name}'s output size \
                 ⌊(H + 2·padding − dilation·(kernel_size−1) − 1) / stride⌋ + 1 needs \
                 stride ≥ 1"
            ),
        );
        return None;
    }
    if 2 * p > k {
        cx.err(
            b[2].map_or(&call.tokens, |a| &a.tokens),
            format!(
                "{name} padding = {p} is more than half its kernel_size = {k} \
                 (PyTorch requires padding ≤ kernel_size/2)"
            ),
        );
        return None;
    }
    Some(PoolArgs { k, s, p, d, ceil })
}

/// The layer's kind and output shape on `[c, h, w]`, or an error when the window does not fit.
/// `ceil` is kept in the kind only when it changes the output size (then the same windows are
/// taken either way, and the floor-mode kernels apply).
pub(super) fn output(
    cx: &mut Ctxt,
    call: &Call,
    name: &str,
    a: PoolArgs,
    (c, h, w): (u64, u64, u64),
    from: &dyn Fn(Shape) -> String,
) -> Option<(Kind, Shape)> {
    let (PoolArgs { k, s, p, d, ceil }, dim) = (a, |n| pool_dim(n, &a, a.ceil));
    let (Some(oh), Some(ow)) = (dim(h), dim(w)) else {
        let ext = d * (k - 1) + 1;
        let msg = if h == 1 && w == 1 {
            format!(
                "{name} window on a 1×1 map: the {ext}×{ext} window exceeds its input {} \
                 (padded to {}×{}); the map is already 1×1, so remove this pooling",
                from(Shape::Map(c, h, w)),
                1 + 2 * p,
                1 + 2 * p
            )
        } else {
            let (axis, n) = if dim(h).is_none() {
                ("height", h)
            } else {
                ("width", w)
            };
            format!(
                "{name} window larger than its padded input: \
                 dilation·(kernel_size−1)+1 = {d}·({k}−1)+1 = {ext} exceeds the padded \
                 {axis} H+2·padding = {n}+2·{p} = {} of its input {}",
                n + 2 * p,
                from(Shape::Map(c, h, w))
            )
        };
        cx.err(&call.tokens, msg);
        return None;
    };
    let ceil = ceil && (pool_dim(h, &a, false), pool_dim(w, &a, false)) != (Some(oh), Some(ow));
    let kind = if name == "MaxPool2d" {
        Kind::MaxPool { k, s, p, d, ceil }
    } else {
        Kind::AvgPool { k, s, p, ceil }
    };
    Some((kind, Shape::Map(c, oh, ow)))
}

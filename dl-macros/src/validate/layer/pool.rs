//! `MaxPool2d` / `AvgPool2d`: arguments (PyTorch's names, `ceil_mode` by name only) and output
//! size in floor or ceil mode, each mistake naming the numbers.
use super::*;

/// A pooling layer's hyper-parameters as written (`d = [1, 1]` for `AvgPool2d`).
#[derive(Clone, Copy)]
pub(super) struct PoolArgs {
    k: [u64; 2],
    s: [u64; 2],
    p: window::Pad,
    d: [u64; 2],
    ceil: bool,
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
    let k = window::pair(cx, b[0], None, call, "kernel_size");
    let s = match b[1] {
        Some(a) => window::pair(cx, Some(a), None, call, "stride"),
        None => k,
    };
    let p = window::padding(cx, b[2], call);
    let d = if max {
        window::pair(cx, b[3], Some(1), call, "dilation")
    } else {
        Some([1, 1])
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
        if v[0] == 0 || v[1] == 0 {
            let a = b.get(i).copied().flatten();
            cx.err(
                a.map_or(&call.tokens, |a| &a.tokens),
                format!(
                    "{what} = {}: {name} needs at least 1",
                    a.map_or("0".to_string(), describe_value)
                ),
            );
            return None;
        }
    }
    if s[0] == 0 || s[1] == 0 {
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
    if let window::Pad::Fixed(pp) = p {
        let half = |v: u64, k: u64| 2 * v > k;
        if half(pp[0], k[0]) || half(pp[1], k[0]) || half(pp[2], k[1]) || half(pp[3], k[1]) {
            let (pw, kw) = match b[2] {
                Some(a) if matches!(a.value, Value::Tuple(_)) => {
                    (describe_value(a), format!("({}, {})", k[0], k[1]))
                }
                _ => (pp[0].to_string(), k[0].to_string()),
            };
            cx.err(
                b[2].map_or(&call.tokens, |a| &a.tokens),
                format!(
                    "{name} padding = {pw} is more than half its kernel_size = {kw} \
                     (PyTorch requires padding ≤ kernel_size/2)"
                ),
            );
            return None;
        }
        if ceil && (pp[0] != pp[1] || pp[2] != pp[3]) {
            cx.err(
                b[2].map_or(&call.tokens, |a| &a.tokens),
                format!("{name}: ceil_mode = true needs the same padding on both sides of an axis"),
            );
            return None;
        }
    } else if ceil {
        cx.err(
            &call.tokens,
            format!(
                "{name}: ceil_mode = true with padding \"same\" (whose output is already \
                 ⌈N/stride⌉)"
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
    let PoolArgs { k, s, p, d, ceil } = a;
    let (win, [oh, ow]) = window::output(cx, call, name, (k, s, p, d), ceil, (c, h, w), from)?;
    let floor =
        |n, i: usize| window::dim(n, k[i], s[i], (win.p[2 * i], win.p[2 * i + 1]), d[i], false);
    let ceil = ceil && (floor(h, 0), floor(w, 1)) != (Some(oh), Some(ow));
    let kind = if name == "MaxPool2d" {
        Kind::MaxPool { win, ceil }
    } else {
        Kind::AvgPool { win, ceil }
    };
    Some((kind, Shape::Map(c, oh, ow)))
}

//! One layer call: its arguments bound to PyTorch's parameter names, its output shape computed,
//! and each mistake reported on the layer or the argument.
use super::*;

mod args;
mod pool;
mod window;
use args::*;

const KNOWN: &[&str] = &[
    "Conv2d",
    "ConvTranspose2d",
    "Linear",
    "ReLU",
    "ReLU6",
    "Sigmoid",
    "Tanh",
    "LeakyReLU",
    "Flatten",
    "MaxPool2d",
    "AvgPool2d",
    "GlobalAvgPool2d",
    "AdaptiveAvgPool2d",
    "BatchNorm2d",
    "BatchNorm1d",
    "Dropout",
    "LocalResponseNorm",
    "Maxout",
    "Upsample",
    "Softmax",
];

/// Checks `groups` of a Conv2d with `c` input and `o` output channels: at least 1, dividing
/// both (a depthwise convolution, `groups = in_channels`, needs `out_channels` to be
/// `in_channels × multiplier`). Reports on the `groups` argument (or the layer).
fn groups_fit(
    cx: &mut Ctxt,
    layer: &TokenStream,
    arg: Option<&Arg>,
    c: u64,
    o: u64,
    g: u64,
) -> bool {
    let at = arg.map_or(layer, |a| &a.tokens);
    if g == 0 {
        cx.err(
            at,
            "groups = 0: Conv2d needs at least 1 group (1 = an ordinary convolution)",
        );
        return false;
    }
    if !c.is_multiple_of(g) {
        cx.err(
            at,
            format!(
                "groups = {g} does not divide in_channels = {c}: each group convolves \
                 in_channels / groups input channels ({c} / {g} leaves {})",
                c % g
            ),
        );
        return false;
    }
    if !o.is_multiple_of(g) {
        let msg = if g == c {
            format!(
                "depthwise multiplier does not match out_channels: with groups = in_channels = \
                 {c}, out_channels must be {c} × multiplier, but out_channels = {o} is not a \
                 multiple of {c}"
            )
        } else {
            format!(
                "groups = {g} does not divide out_channels = {o}: each group makes \
                 out_channels / groups output channels ({o} / {g} leaves {})",
                o % g
            )
        };
        cx.err(at, msg);
        return false;
    }
    true
}

/// Validates one layer call; returns the leaf, the output shape and a note on where it comes from.
pub(super) fn layer(
    cx: &mut Ctxt,
    call: &Call,
    input: Option<Shape>,
    origin: Option<&str>,
) -> (Option<Leaf>, Option<Shape>, Option<String>) {
    let name = call.name.to_string();
    let desc = describe(call);
    let from = |s: Shape| match origin {
        Some(o) => format!("{s} (from {o})"),
        None => s.to_string(),
    };
    macro_rules! bind {
        ($params:expr, $npos:expr, $lead:expr) => {
            match bind(cx, call, &$params, $npos, $lead) {
                Some(b) => b,
                None => return (None, None, None),
            }
        };
    }
    macro_rules! need_map {
        () => {
            match input {
                Some(Shape::Map(c, h, w)) => (c, h, w),
                Some(v @ Shape::Vec(_)) => {
                    cx.err(
                        &call.tokens,
                        format!(
                            "{name} needs a [C, H, W] feature map, but its input is the vector {v}"
                        ),
                    );
                    return (None, None, None);
                }
                None => return (None, None, None),
            }
        };
    }
    let leaf =
        |kind: Kind, field: Option<syn::Ident>, i: Shape, o: Shape, params: u64, macs: u64| Leaf {
            kind,
            field,
            tokens: call.tokens.clone(),
            desc: desc.clone(),
            input: i,
            output: o,
            params,
            macs,
        };
    match name.as_str() {
        "Conv2d" | "ConvTranspose2d" => {
            let t = name == "ConvTranspose2d";
            let mut params = vec![
                P(&["in_channels"], None),
                P(&["out_channels"], None),
                P(&["kernel_size", "kernel"], None),
                P(&["stride"], Some(1)),
                P(&["padding", "pad"], Some(0)),
                P(&["dilation"], Some(1)),
            ];
            if t {
                params.push(P(&["output_padding"], Some(0)));
            } else {
                params.push(P(&["groups"], Some(1)));
            }
            // `bias = true | false`, by name only; the numbers come before it
            params.push(P(&["bias"], None));
            let b = bind!(params, 3, true);
            let nb = params.len() - 1;
            let mut v = Vec::new();
            let mut axes = None;
            for (i, p) in params[..nb].iter().enumerate() {
                let dflt = if i == 0 { Some(0) } else { p.1 };
                if t || !(2..=5).contains(&i) {
                    v.push(int(cx, b[i], dflt, call, p.0[0]));
                } else {
                    v.push(Some(0));
                }
            }
            if !t {
                // Conv2d: kernel, stride, dilation per axis, padding also per side or "same"
                let k = window::pair(cx, b[2], None, call, "kernel_size");
                let s = window::pair(cx, b[3], Some(1), call, "stride");
                let p = window::padding(cx, b[4], call);
                let d = window::pair(cx, b[5], Some(1), call, "dilation");
                let (Some(k), Some(s), Some(p), Some(d)) = (k, s, p, d) else {
                    return (None, None, None);
                };
                (v[2], v[3], v[5]) = (Some(k[0]), Some(s[0]), Some(d[0]));
                axes = Some((k, s, p, d));
            }
            let bias = boolean(cx, b[nb], true, "bias");
            let (Some(o), Some(k), Some(s), Some(p), Some(d), Some(bias)) =
                (v[1], v[2], v[3], v[4], v[5], bias)
            else {
                return (None, None, None);
            };
            let nbias = if bias { o } else { 0 };
            let op = if t { v[6].unwrap_or(0) } else { 0 };
            let (kk, ss, dd) = axes.map_or(([k, k], [s, s], [d, d]), |a| (a.0, a.1, a.3));
            let written = |i: usize, v: u64| b[i].map_or(v.to_string(), describe_value);
            let groups = if t { 1 } else { v[6].unwrap_or(1) };
            let gspan = if t { None } else { b[6] };
            for (val, i, what) in [
                (o, 1, "out_channels"),
                (kk[0].min(kk[1]), 2, "kernel_size"),
                (dd[0].min(dd[1]), 5, "dilation"),
            ] {
                if val == 0 {
                    cx.err(
                        b[i].map_or(&call.tokens, |a| &a.tokens),
                        format!("{what} = {}: {name} needs at least 1", written(i, val)),
                    );
                    return (None, None, None);
                }
            }
            if ss[0].min(ss[1]) == 0 {
                cx.err(
                    b[3].map_or(&call.tokens, |a| &a.tokens),
                    format!(
                        "stride = 0 leaves no output: {name}'s output size \
                         ⌊(H + 2·padding − dilation·(kernel_size−1) − 1) / stride⌋ + 1 needs \
                         stride ≥ 1"
                    ),
                );
                return (None, None, None);
            }
            let (c, h, w) = need_map!();
            let i = match b[0] {
                Some(_) => v[0].unwrap_or(c),
                None => c,
            };
            if i != c {
                cx.err(
                    b[0].map_or(&call.tokens, |a| &a.tokens),
                    format!(
                        "channel mismatch: {name} expects in_channels = {i}, but its input {} \
                         has {c} channels",
                        from(Shape::Map(c, h, w))
                    ),
                );
            }
            if t {
                let full = |x: u64| (x - 1) * s + d * (k - 1) + 1 + op;
                let (fh, fw) = (full(h), full(w));
                if fh <= 2 * p || fw <= 2 * p {
                    cx.err(
                        &call.tokens,
                        format!(
                            "transposed convolution has no output: (H−1)·stride + \
                             dilation·(kernel_size−1) + 1 + output_padding = ({h}−1)·{s} + \
                             {d}·({k}−1) + 1 + {op} = {fh} does not exceed 2·padding = {}",
                            2 * p
                        ),
                    );
                    return (None, None, None);
                }
                if op >= s && op >= d {
                    cx.err(
                        &call.tokens,
                        format!("output_padding = {op} must be smaller than stride or dilation"),
                    );
                }
                let out = Shape::Map(o, fh - 2 * p, fw - 2 * p);
                let f = cx.field("deconv");
                let l = leaf(
                    Kind::ConvT {
                        i: c,
                        o,
                        k,
                        s,
                        p,
                        d,
                        op,
                        bias,
                    },
                    Some(f),
                    Shape::Map(c, h, w),
                    out,
                    c * o * k * k + nbias,
                    c * h * w * o * k * k,
                );
                return (Some(l), Some(out), None);
            }
            let Some((k, s, pad, d)) = axes else {
                return (None, None, None);
            };
            let Some((win, [oh, ow])) =
                window::output(cx, call, &name, (k, s, pad, d), false, (c, h, w), &from)
            else {
                return (None, None, None);
            };
            if !groups_fit(cx, &call.tokens, gspan, c, o, groups) {
                return (None, None, None);
            }
            let ig = c / groups;
            let out = Shape::Map(o, oh, ow);
            let f = cx.field("conv");
            let l = leaf(
                Kind::Conv {
                    i: c,
                    o,
                    win,
                    bias,
                    g: groups,
                },
                Some(f),
                Shape::Map(c, h, w),
                out,
                o * ig * win.area() + nbias,
                o * oh * ow * ig * win.area(),
            );
            (Some(l), Some(out), None)
        }
        "Linear" => {
            let params = [P(&["in_features"], None), P(&["out_features"], None)];
            let b = bind!(params, 2, true);
            let o = int(cx, b[1], None, call, "out_features");
            let iv = b[0].and_then(|a| int(cx, Some(a), None, call, "in_features"));
            let Some(o) = o else {
                return (None, None, None);
            };
            if o == 0 {
                cx.err(
                    b[1].map_or(&call.tokens, |a| &a.tokens),
                    "out_features = 0: Linear needs at least 1",
                );
                return (None, None, None);
            }
            let n = match input {
                Some(Shape::Vec(n)) => n,
                Some(m @ Shape::Map(c, h, w)) => {
                    cx.err(
                        &call.tokens,
                        format!(
                            "Linear needs a vector, but its input is the feature map {m}; insert \
                             Flatten before it (giving {c}·{h}·{w} = {} features)",
                            m.numel()
                        ),
                    );
                    return (None, Some(Shape::Vec(o)), None);
                }
                None => return (None, Some(Shape::Vec(o)), None),
            };
            if let Some(i) = iv {
                if i != n {
                    cx.err(
                        b[0].map_or(&call.tokens, |a| &a.tokens),
                        format!(
                            "width mismatch: Linear expects in_features = {i}, but its input {} \
                             has {n} features",
                            from(Shape::Vec(n))
                        ),
                    );
                }
            }
            let out = Shape::Vec(o);
            let f = cx.field("fc");
            let l = leaf(
                Kind::Linear { i: n, o },
                Some(f),
                Shape::Vec(n),
                out,
                n * o + o,
                n * o,
            );
            (Some(l), Some(out), None)
        }
        "ReLU" | "ReLU6" | "Sigmoid" | "Tanh" | "LeakyReLU" | "Softmax" | "Flatten"
        | "GlobalAvgPool2d" => {
            let leaky = name == "LeakyReLU";
            let params: Vec<P> = if leaky {
                vec![P(&["negative_slope"], None)]
            } else {
                vec![]
            };
            let b = bind!(params, params.len(), false);
            let kind = match name.as_str() {
                "ReLU" => Kind::Act(Act::ReLU),
                "ReLU6" => Kind::Act(Act::ReLU6),
                "Sigmoid" => Kind::Act(Act::Sigmoid),
                "Tanh" => Kind::Act(Act::Tanh),
                "LeakyReLU" => {
                    // Any finite slope, as PyTorch (negative included).
                    let Some((n, d)) = ratio(cx, b[0], (1, 100), "negative_slope") else {
                        return (None, None, None);
                    };
                    let neg = b[0].is_some_and(|a| a.negative) && n != 0;
                    Kind::Act(Act::Leaky(neg, n, d))
                }
                "Softmax" => Kind::Softmax,
                "Flatten" => Kind::Flatten,
                _ => Kind::GlobalAvgPool,
            };
            let Some(i) = input else {
                return (None, None, None);
            };
            let (out, note, field) = match kind {
                Kind::Flatten => {
                    let note = match i {
                        Shape::Map(c, h, w) => {
                            format!("Flatten of {i}: {c}·{h}·{w} = {}", i.numel())
                        }
                        v => format!("Flatten of {v}"),
                    };
                    (Shape::Vec(i.numel()), Some(note), Some(cx.field("flatten")))
                }
                Kind::GlobalAvgPool => {
                    let (c, _, _) = need_map!();
                    (Shape::Map(c, 1, 1), None, Some(cx.field("gap")))
                }
                Kind::Softmax => (i, None, Some(cx.field("softmax"))),
                _ => (i, origin.map(str::to_string), None),
            };
            (Some(leaf(kind, field, i, out, 0, 0)), Some(out), note)
        }
        "MaxPool2d" | "AvgPool2d" => {
            let Some(a) = pool::args(cx, call, &name) else {
                return (None, None, None);
            };
            let (c, h, w) = need_map!();
            let Some((kind, out)) = pool::output(cx, call, &name, a, (c, h, w), &from) else {
                return (None, None, None);
            };
            let f = cx.field("pool");
            (
                Some(leaf(kind, Some(f), Shape::Map(c, h, w), out, 0, 0)),
                Some(out),
                None,
            )
        }
        "AdaptiveAvgPool2d" => {
            let b = bind!([P(&["output_size"], None)], 1, false);
            let Some(n) = int(cx, b[0], None, call, "output_size") else {
                return (None, None, None);
            };
            if n != 1 {
                cx.err(
                    b[0].map_or(&call.tokens, |a| &a.tokens),
                    "only AdaptiveAvgPool2d(1) (global average pooling) is supported",
                );
                return (None, None, None);
            }
            let (c, h, w) = need_map!();
            let out = Shape::Map(c, 1, 1);
            let f = cx.field("gap");
            (
                Some(leaf(
                    Kind::GlobalAvgPool,
                    Some(f),
                    Shape::Map(c, h, w),
                    out,
                    0,
                    0,
                )),
                Some(out),
                None,
            )
        }
        "BatchNorm2d" | "BatchNorm1d" => {
            let two = name == "BatchNorm2d";
            let b = bind!([P(&["num_features"], None), P(&["eps"], None)], 1, false);
            let given = b[0].and_then(|a| int(cx, Some(a), None, call, "num_features"));
            let Some(eps) = eps_decimal(cx, b[1], &name) else {
                return (None, None, None);
            };
            let Some(i) = input else {
                return (None, None, None);
            };
            let n = match (two, i) {
                (true, Shape::Map(c, _, _)) => c,
                (false, Shape::Vec(n)) => n,
                (true, v) => {
                    cx.err(&call.tokens, format!("BatchNorm2d needs a [C, H, W] feature map, but its input is the vector {v}; use BatchNorm1d"));
                    return (None, None, None);
                }
                (false, m) => {
                    cx.err(&call.tokens, format!("BatchNorm1d needs a vector, but its input is the feature map {m}; use BatchNorm2d"));
                    return (None, None, None);
                }
            };
            if let Some(g) = given {
                if g != n {
                    cx.err(
                        b[0].map_or(&call.tokens, |a| &a.tokens),
                        format!(
                            "channel mismatch: {name} expects num_features = {g}, but its input {} has {n}",
                            from(i)
                        ),
                    );
                }
            }
            let kind = if two {
                Kind::Bn2d { c: n, eps }
            } else {
                Kind::Bn1d { n, eps }
            };
            let f = cx.field("bn");
            (
                Some(leaf(kind, Some(f), i, i, 2 * n, 0)),
                Some(i),
                origin.map(str::to_string),
            )
        }
        "Dropout" => {
            let b = bind!([P(&["p"], None)], 1, false);
            if let Some(a) = b[0].filter(|a| a.negative) {
                cx.err(
                    &a.tokens,
                    format!(
                        "Dropout: `p` = {} is negative; the drop probability lies in [0, 1) \
                         (PyTorch's default is 0.5)",
                        describe_value(a)
                    ),
                );
                return (None, None, None);
            }
            let Some((num, den)) = ratio(cx, b[0], (1, 2), "p") else {
                return (None, None, None);
            };
            if num >= den {
                cx.err(
                    b[0].map_or(&call.tokens, |a| &a.tokens),
                    "Dropout p must be below 1",
                );
                return (None, None, None);
            }
            let Some(i) = input else {
                return (None, None, None);
            };
            let f = cx.field("dropout");
            (
                Some(leaf(Kind::Dropout { num, den }, Some(f), i, i, 0, 0)),
                Some(i),
                origin.map(str::to_string),
            )
        }
        "LocalResponseNorm" => {
            let b = bind!([P(&["size"], None)], 1, false);
            let Some(size) = int(cx, b[0], None, call, "size") else {
                return (None, None, None);
            };
            if size == 0 {
                cx.err(
                    b[0].map_or(&call.tokens, |a| &a.tokens),
                    "LocalResponseNorm size = 0: the window of neighbouring channels needs at \
                     least 1 (AlexNet uses 5)",
                );
                return (None, None, None);
            }
            let (c, h, w) = need_map!();
            let i = Shape::Map(c, h, w);
            let f = cx.field("lrn");
            (
                Some(leaf(Kind::Lrn { size }, Some(f), i, i, 0, 0)),
                Some(i),
                None,
            )
        }
        "Maxout" => {
            let b = bind!([P(&["pieces", "k"], None)], 1, false);
            let Some(k) = int(cx, b[0], None, call, "pieces") else {
                return (None, None, None);
            };
            if k == 0 {
                cx.err(
                    b[0].map_or(&call.tokens, |a| &a.tokens),
                    "Maxout(0): pieces = 0, but each output is the max of `pieces` inputs, so it \
                     needs at least 1",
                );
                return (None, None, None);
            }
            // a vector's features, or a feature map's channels (pixel by pixel)
            let Some(i) = input else {
                return (None, None, None);
            };
            let (n, what) = match i {
                Shape::Vec(n) => (n, "features"),
                Shape::Map(c, _, _) => (c, "channels"),
            };
            if n % k != 0 {
                cx.err(
                    b[0].map_or(&call.tokens, |a| &a.tokens),
                    format!(
                        "Maxout({k}) cannot split {n} {what} evenly: {n} mod {k} = {}; its input \
                         is {}",
                        n % k,
                        from(i)
                    ),
                );
                return (None, None, None);
            }
            let out = match i {
                Shape::Vec(n) => Shape::Vec(n / k),
                Shape::Map(c, h, w) => Shape::Map(c / k, h, w),
            };
            let f = cx.field("maxout");
            (
                Some(leaf(Kind::Maxout { k }, Some(f), i, out, 0, 0)),
                Some(out),
                None,
            )
        }
        "Upsample" => {
            let params = [P(&["scale_factor"], None), P(&["mode"], None)];
            let b = bind!(params, 2, false);
            let Some(f) = int(cx, b[0], None, call, "scale_factor") else {
                return (None, None, None);
            };
            let bilinear = match b[1].map(|a| &a.value) {
                None => false,
                Some(Value::Ident(m)) if m == "nearest" => false,
                Some(Value::Ident(m)) if m == "bilinear" => true,
                Some(_) => {
                    cx.err(
                        b[1].map_or(&call.tokens, |a| &a.tokens),
                        "mode must be `nearest` or `bilinear`",
                    );
                    return (None, None, None);
                }
            };
            if f == 0 {
                cx.err(
                    b[0].map_or(&call.tokens, |a| &a.tokens),
                    "scale_factor must be at least 1",
                );
                return (None, None, None);
            }
            let (c, h, w) = need_map!();
            let out = Shape::Map(c, h * f, w * f);
            let fd = cx.field("up");
            (
                Some(leaf(
                    Kind::Upsample { f, bilinear },
                    Some(fd),
                    Shape::Map(c, h, w),
                    out,
                    0,
                    0,
                )),
                Some(out),
                None,
            )
        }
        _ => {
            let close: Vec<&str> = KNOWN
                .iter()
                .copied()
                .filter(|k| {
                    k.to_lowercase() == name.to_lowercase()
                        || k.starts_with(&name[..name.len().min(3)])
                })
                .collect();
            cx.err(
                &call.name,
                format!(
                    "unknown layer `{name}`{}; the layers are: {}",
                    if close.is_empty() {
                        String::new()
                    } else {
                        format!(" (did you mean {}?)", close.join(" or "))
                    },
                    KNOWN.join(", ")
                ),
            );
            (None, None, None)
        }
    }
}

/// `Conv2d(1, 6, 5, stride = 2)` as the user wrote it, normalised.
fn describe(call: &Call) -> String {
    if call.args.is_empty() {
        return call.name.to_string();
    }
    let args: Vec<String> = call
        .args
        .iter()
        .map(|a| {
            let v = describe_value(a);
            match &a.name {
                Some(n) => format!("{n}={v}"),
                None => v,
            }
        })
        .collect();
    format!("{}({})", call.name, args.join(", "))
}

//! Shape computation and checks. Every intermediate shape is computed here, in decimal, before
//! anything is expanded; each mistake becomes a `syn::Error` spanned on the offending layer (or
//! argument), and all of them are collected (serde_derive's `Ctxt` style).
use crate::ast::{Arg, Call, Item, Net, Value};
use proc_macro2::TokenStream;
use quote::ToTokens;
use std::collections::HashSet;
use std::fmt;

mod layer;
use layer::layer;

/// A per-sample shape.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Shape {
    Vec(u64),
    Map(u64, u64, u64),
}
impl Shape {
    pub fn numel(self) -> u64 {
        match self {
            Shape::Vec(n) => n,
            Shape::Map(c, h, w) => c * h * w,
        }
    }
}
impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shape::Vec(n) => write!(f, "[{n}]"),
            Shape::Map(c, h, w) => write!(f, "[{c}, {h}, {w}]"),
        }
    }
}

/// An elementwise activation.
#[derive(Clone, Copy, Debug)]
pub enum Act {
    ReLU,
    Sigmoid,
    Tanh,
    Leaky(u64, u64),
}

/// A layer with its hyper-parameters, all numbers.
#[derive(Clone, Debug)]
pub enum Kind {
    Conv {
        i: u64,
        o: u64,
        k: u64,
        s: u64,
        p: u64,
        d: u64,
        /// `bias = true` (the default); `false` is dl-core's `NoBias`.
        bias: bool,
    },
    ConvT {
        i: u64,
        o: u64,
        k: u64,
        s: u64,
        p: u64,
        d: u64,
        op: u64,
        bias: bool,
    },
    Linear {
        i: u64,
        o: u64,
    },
    Act(Act),
    Flatten,
    /// `ceil`: PyTorch's `ceil_mode=True`, kept only when it changes the output size.
    MaxPool {
        k: u64,
        s: u64,
        p: u64,
        d: u64,
        ceil: bool,
    },
    AvgPool {
        k: u64,
        s: u64,
        p: u64,
        ceil: bool,
    },
    GlobalAvgPool,
    /// `eps`: the bits of the `f32` ε (`0x3727_C5AC` = 1e-5, PyTorch's default).
    Bn2d {
        c: u64,
        eps: u32,
    },
    Bn1d {
        n: u64,
        eps: u32,
    },
    Dropout {
        num: u64,
        den: u64,
    },
    Lrn {
        size: u64,
    },
    Maxout {
        k: u64,
    },
    Upsample {
        f: u64,
        bilinear: bool,
    },
    Softmax,
}

/// One layer, placed: its field, shapes and costs.
pub struct Leaf {
    pub kind: Kind,
    pub field: Option<syn::Ident>,
    pub tokens: TokenStream,
    pub desc: String,
    pub input: Shape,
    pub output: Shape,
    pub params: u64,
    pub macs: u64,
}

/// A placed node: a layer or a block.
pub enum Node {
    Leaf(Leaf),
    Residual {
        tokens: TokenStream,
        body: Vec<Node>,
        shortcut: Option<Vec<Node>>,
        input: Shape,
        output: Shape,
    },
    Concat {
        tokens: TokenStream,
        branches: Vec<Vec<Node>>,
        input: Shape,
        output: Shape,
    },
    Skip {
        tokens: TokenStream,
        tap: String,
        body: Vec<Node>,
        branch: Vec<Node>,
        top: u64,
        left: u64,
        input: Shape,
        branch_out: Shape,
        output: Shape,
    },
}
impl Node {
    pub fn input(&self) -> Shape {
        match self {
            Node::Leaf(l) => l.input,
            Node::Residual { input, .. }
            | Node::Concat { input, .. }
            | Node::Skip { input, .. } => *input,
        }
    }
    pub fn output(&self) -> Shape {
        match self {
            Node::Leaf(l) => l.output,
            Node::Residual { output, .. }
            | Node::Concat { output, .. }
            | Node::Skip { output, .. } => *output,
        }
    }
}

/// The validated network.
pub struct Model {
    pub input: Shape,
    pub output: Shape,
    pub body: Vec<Node>,
}

/// Collected errors.
pub struct Ctxt {
    errors: Option<syn::Error>,
    count: usize,
    counters: Vec<(&'static str, usize)>,
    all_taps: HashSet<String>,
    defined_taps: HashSet<String>,
}
impl Ctxt {
    fn err<T: ToTokens>(&mut self, tokens: T, msg: impl fmt::Display) {
        let e = syn::Error::new_spanned(tokens, msg);
        self.count += 1;
        match &mut self.errors {
            Some(all) => all.combine(e),
            None => self.errors = Some(e),
        }
    }
    fn field(&mut self, prefix: &'static str) -> syn::Ident {
        let n = match self.counters.iter_mut().find(|(p, _)| *p == prefix) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                self.counters.push((prefix, 1));
                1
            }
        };
        syn::Ident::new(&format!("{prefix}{n}"), proc_macro2::Span::call_site())
    }
}

/// Checks the whole network; `Err` holds every mistake found.
pub fn validate(net: &Net) -> Result<Model, syn::Error> {
    let mut cx = Ctxt {
        errors: None,
        count: 0,
        counters: Vec::new(),
        all_taps: HashSet::new(),
        defined_taps: HashSet::new(),
    };
    collect_taps(&net.body, &mut cx.all_taps);
    let mut dims = Vec::new();
    for l in &net.input {
        match l.base10_parse::<u64>() {
            Ok(0) => cx.err(l, "a dimension of the input shape is 0"),
            Ok(v) => dims.push(v),
            Err(e) => cx.err(l, e),
        }
    }
    let input = match dims.as_slice() {
        [n] => Some(Shape::Vec(*n)),
        [c, h, w] => Some(Shape::Map(*c, *h, *w)),
        _ => {
            if dims.len() == net.input.len() {
                cx.err(
                    &net.input_tokens,
                    format!(
                        "the input shape has {} dimensions; write [C, H, W] for a feature map \
                         or [N] for a vector (the batch size is not part of it)",
                        dims.len()
                    ),
                );
            }
            None
        }
    };
    let (body, output) = list(&mut cx, &net.body, input);
    match (cx.errors, input, output) {
        (Some(e), _, _) => Err(e),
        (None, Some(input), Some(output)) => Ok(Model {
            input,
            output,
            body,
        }),
        _ => Err(syn::Error::new_spanned(
            &net.name,
            "network shape could not be computed",
        )),
    }
}

fn collect_taps(items: &[Item], out: &mut HashSet<String>) {
    for it in items {
        match it {
            Item::Tap { name, .. } => {
                out.insert(name.to_string());
            }
            Item::Residual { body, shortcut, .. } => {
                collect_taps(body, out);
                if let Some((_, s)) = shortcut {
                    collect_taps(s, out);
                }
            }
            Item::Concat { branches, .. } => branches.iter().for_each(|b| collect_taps(&b.1, out)),
            Item::Skip { branch, .. } => collect_taps(branch, out),
            Item::Repeat { body, .. } => collect_taps(body, out),
            Item::Layer(_) => {}
        }
    }
}

struct OpenTap {
    name: syn::Ident,
    pos: usize,
    shape: Option<Shape>,
}

/// Validates a list starting from `input` (`None`: unknown after an earlier error).
fn list(cx: &mut Ctxt, items: &[Item], input: Option<Shape>) -> (Vec<Node>, Option<Shape>) {
    let mut nodes: Vec<Node> = Vec::new();
    let mut cur = input;
    let mut origin: Option<String> = None;
    let mut open: Vec<OpenTap> = Vec::new();
    for it in items {
        match it {
            Item::Layer(call) => {
                let (leaf, out, note) = layer(cx, call, cur, origin.as_deref());
                if let Some(l) = leaf {
                    nodes.push(Node::Leaf(l));
                }
                cur = out;
                origin = note;
            }
            Item::Residual { kw, body, shortcut } => {
                let (b, bout) = list(cx, body, cur);
                let mut sc = None;
                let mut ok = true;
                if let Some((skw, s)) = shortcut {
                    let (sn, sout) = list(cx, s, cur);
                    if let (Some(bo), Some(so)) = (bout, sout) {
                        if bo != so {
                            ok = false;
                            cx.err(
                                skw,
                                format!(
                                    "residual shortcut and body disagree: the shortcut maps {} \
                                     to {so}, the body to {bo}; both are added, so they must \
                                     give the same [C, H, W]",
                                    fmt_opt(cur)
                                ),
                            );
                        }
                    }
                    sc = Some(sn);
                } else if let (Some(i), Some(bo)) = (cur, bout) {
                    if i != bo {
                        ok = false;
                        cx.err(
                            kw,
                            format!(
                                "residual block changes the shape: its body maps {i} to {bo}, \
                                 but an identity shortcut adds the input {i} unchanged; add \
                                 `shortcut {{ … }}` (e.g. a 1×1 Conv2d with the body's stride) \
                                 that maps {i} to {bo}"
                            ),
                        );
                    }
                }
                match (cur, bout) {
                    (Some(i), Some(o)) if ok => {
                        nodes.push(Node::Residual {
                            tokens: kw.to_token_stream(),
                            body: b,
                            shortcut: sc,
                            input: i,
                            output: o,
                        });
                        cur = Some(o);
                    }
                    _ => cur = None,
                }
                origin = Some("the residual block".into());
            }
            Item::Concat { kw, branches } => {
                let mut outs = Vec::new();
                let mut bn = Vec::new();
                for (toks, b) in branches {
                    let (n, o) = list(cx, b, cur);
                    bn.push(n);
                    outs.push((toks, o));
                }
                let mut result = None;
                if branches.is_empty() {
                    cx.err(kw, "concat needs at least one branch `{ … }`");
                } else if outs.iter().all(|o| o.1.is_some()) {
                    let mut chans = Vec::new();
                    let mut hw = None;
                    let mut ok = true;
                    for (i, (toks, o)) in outs.iter().enumerate() {
                        match o {
                            Some(Shape::Map(c, h, w)) => {
                                chans.push(*c);
                                match hw {
                                    None => hw = Some((*h, *w, i)),
                                    Some((h0, w0, i0)) if (h0, w0) != (*h, *w) => {
                                        ok = false;
                                        cx.err(
                                            toks,
                                            format!(
                                                "concat branches disagree on H×W: branch {} \
                                                 gives {h0}×{w0}, branch {} gives {h}×{w}; a \
                                                 channel concat needs every branch to keep \
                                                 the same height and width",
                                                i0 + 1,
                                                i + 1
                                            ),
                                        );
                                    }
                                    _ => {}
                                }
                            }
                            Some(v @ Shape::Vec(_)) => {
                                ok = false;
                                cx.err(
                                    toks,
                                    format!(
                                        "concat joins feature maps along channels, but branch \
                                         {} gives the vector {v}",
                                        i + 1
                                    ),
                                );
                            }
                            None => ok = false,
                        }
                    }
                    if let (true, Some((h, w, _)), Some(i)) = (ok, hw, cur) {
                        let c: u64 = chans.iter().sum();
                        let o = Shape::Map(c, h, w);
                        nodes.push(Node::Concat {
                            tokens: kw.to_token_stream(),
                            branches: bn,
                            input: i,
                            output: o,
                        });
                        result = Some(o);
                        origin = Some(format!(
                            "the concat of {} = {c} channels",
                            chans
                                .iter()
                                .map(u64::to_string)
                                .collect::<Vec<_>>()
                                .join(" + ")
                        ));
                    }
                }
                cur = result;
            }
            Item::Tap { tokens, name } => {
                let s = name.to_string();
                if !cx.defined_taps.insert(s.clone()) {
                    cx.err(
                        name,
                        format!("duplicate tap name `{s}`: each tap names one activation"),
                    );
                } else {
                    open.push(OpenTap {
                        name: name.clone(),
                        pos: nodes.len(),
                        shape: cur,
                    });
                }
                let _ = tokens;
            }
            Item::Skip {
                kw,
                tokens,
                tap,
                args,
                branch,
            } => {
                let s = tap.to_string();
                let found = open.iter().rposition(|t| t.name == s);
                let crop = skip_crop(cx, args);
                match found {
                    None => {
                        if cx.defined_taps.contains(&s) {
                            cx.err(
                                tap,
                                format!(
                                    "tap `{s}` is not open here: it was already used by another \
                                     skip, or it is defined in a different block (a skip link \
                                     must be in the same layer list as its tap)"
                                ),
                            );
                        } else if cx.all_taps.contains(&s) {
                            cx.err(
                                tap,
                                format!(
                                    "tap `{s}` is used before it is defined: write `tap {s}` \
                                     earlier in the list, at the activation to add"
                                ),
                            );
                        } else {
                            let mut known: Vec<_> = cx.all_taps.iter().cloned().collect();
                            known.sort();
                            cx.err(
                                tap,
                                format!(
                                    "unknown tap `{s}`{}",
                                    if known.is_empty() {
                                        "; name an activation first with `tap name`".into()
                                    } else {
                                        format!("; the taps are: {}", known.join(", "))
                                    }
                                ),
                            );
                        }
                        let _ = list(cx, branch, None);
                        cur = None;
                    }
                    Some(ix) => {
                        if ix + 1 != open.len() {
                            let inner = &open[ix + 1].name;
                            cx.err(
                                tap,
                                format!(
                                    "skip links must nest: tap `{inner}` was defined after \
                                     `{s}` and is still open; close it (skip({inner})) first"
                                ),
                            );
                        }
                        let t = open.remove(ix);
                        let (bn, bout) = list(cx, branch, t.shape);
                        let body: Vec<Node> = nodes.drain(t.pos..).collect();
                        let mut next = None;
                        if let (Some(ti), Some(bo), Some(c)) = (t.shape, bout, cur) {
                            if let Some((top, left)) = align(cx, tokens, &s, bo, c, crop) {
                                let _ = kw;
                                nodes.push(Node::Skip {
                                    tokens: tokens.clone(),
                                    tap: s.clone(),
                                    body,
                                    branch: bn,
                                    top,
                                    left,
                                    input: ti,
                                    branch_out: bo,
                                    output: c,
                                });
                                next = Some(c);
                            }
                        }
                        cur = next;
                        origin = Some(format!("the skip link from `{s}`"));
                    }
                }
            }
            Item::Repeat { kw, count, body } => match count.base10_parse::<u64>() {
                Ok(0) => {
                    cx.err(count, "repeat(0) repeats nothing; remove the block");
                }
                Ok(n) => {
                    for _ in 0..n {
                        let before = cx.count;
                        let (b, o) = list(cx, body, cur);
                        nodes.extend(b);
                        cur = o;
                        if cx.count != before {
                            break;
                        }
                    }
                    let _ = kw;
                    origin = None;
                }
                Err(e) => cx.err(count, e),
            },
        }
    }
    for t in open {
        cx.err(
            &t.name,
            format!(
                "tap `{}` is never used: add `skip({})` after it, or remove the tap",
                t.name, t.name
            ),
        );
    }
    (nodes, cur)
}

fn fmt_opt(s: Option<Shape>) -> String {
    s.map_or_else(|| "?".into(), |s| s.to_string())
}

fn skip_crop(cx: &mut Ctxt, args: &[Arg]) -> Option<u64> {
    let mut crop = None;
    for a in args {
        match (&a.name, &a.value) {
            (Some(n), Value::Int(v)) if n == "crop" => match v.base10_parse::<u64>() {
                Ok(v) => crop = Some(v),
                Err(e) => cx.err(v, e),
            },
            _ => cx.err(&a.tokens, "unknown skip argument; expected `crop = offset`"),
        }
    }
    crop
}

/// The crop offsets that align `t` (the tap branch's output) with `c` (the current map).
fn align(
    cx: &mut Ctxt,
    tokens: &TokenStream,
    tap: &str,
    t: Shape,
    c: Shape,
    crop: Option<u64>,
) -> Option<(u64, u64)> {
    let (Shape::Map(tc, th, tw), Shape::Map(cc, ch, cw)) = (t, c) else {
        if t != c {
            cx.err(
                tokens,
                format!("skip link from `{tap}` adds {t} to {c}: the shapes differ"),
            );
            return None;
        }
        return Some((0, 0));
    };
    if tc != cc {
        cx.err(
            tokens,
            format!(
                "skip link from `{tap}` adds {t} to {c}: the channel counts differ ({tc} vs {cc}); \
                 give the skip a branch that maps the channels, e.g. `{{ Conv2d({cc}, 1) }}`"
            ),
        );
        return None;
    }
    if th < ch || tw < cw {
        cx.err(
            tokens,
            format!(
                "skip link crop cannot align: the tap `{tap}` gives {th}×{tw}, smaller than the \
                 current {ch}×{cw}; a crop only shrinks, so upsample the current map less (or \
                 crop it) before the skip"
            ),
        );
        return None;
    }
    match crop {
        Some(o) => {
            if o + ch > th || o + cw > tw {
                cx.err(
                    tokens,
                    format!(
                        "skip link crop cannot align: offset {o} + current {ch}×{cw} = \
                         {}×{} exceeds the tap `{tap}`'s {th}×{tw} (crop needs offset + H ≤ H_tap)",
                        o + ch,
                        o + cw
                    ),
                );
                return None;
            }
            Some((o, o))
        }
        None => {
            if (th - ch) % 2 != 0 || (tw - cw) % 2 != 0 {
                cx.err(
                    tokens,
                    format!(
                        "skip link crop cannot align: a centre crop of the tap `{tap}`'s {th}×{tw} \
                         to {ch}×{cw} needs an even margin, but {th} − {ch} = {} and {tw} − {cw} \
                         = {}; give the offset with `crop = …`",
                        th - ch,
                        tw - cw
                    ),
                );
                return None;
            }
            Some(((th - ch) / 2, (tw - cw) / 2))
        }
    }
}

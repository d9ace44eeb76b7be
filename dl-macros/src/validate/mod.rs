//! Shape computation and checks. Every intermediate shape is computed here, in decimal, before
//! anything is expanded; each mistake becomes a `syn::Error` spanned on the offending layer (or
//! argument), and all of them are collected (serde_derive's `Ctxt` style).
use crate::ast::{Arg, Call, Item, Net, Value};
use proc_macro2::TokenStream;
use quote::ToTokens;
use std::collections::{HashMap, HashSet};
use std::fmt;

mod blocks;
mod layer;
use blocks::list;
use layer::layer;

/// A per-sample shape.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Shape {
    Vec(u64),
    Map(u64, u64, u64),
}
impl Shape {
    /// The axis a concat joins along: a map's channels, a vector's features.
    pub fn lead(self) -> u64 {
        match self {
            Shape::Vec(n) | Shape::Map(n, _, _) => n,
        }
    }
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
    ReLU6,
    Sigmoid,
    Tanh,
    /// `negative_slope` = ±n/d: `(negative, n, d)`.
    Leaky(bool, u64, u64),
}

/// A 2-D window's hyper-parameters per axis: kernel, stride and dilation `[height, width]`,
/// padding `[top, bottom, left, right]` — for `pad = "same"` (`same`) the amounts TF computes
/// for this layer's input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Win {
    pub k: [u64; 2],
    pub s: [u64; 2],
    pub p: [u64; 4],
    pub d: [u64; 2],
    pub same: bool,
}
impl Win {
    /// No padding, no dilation (the branch-free max-pooling kernels apply).
    pub fn plain(&self) -> bool {
        self.p == [0; 4] && self.d == [1, 1]
    }
    /// `Kh·Kw`.
    pub fn area(&self) -> u64 {
        self.k[0] * self.k[1]
    }
}

/// A layer with its hyper-parameters, all numbers.
#[derive(Clone, Debug)]
pub enum Kind {
    Conv {
        i: u64,
        o: u64,
        win: Win,
        /// `bias = true` (the default); `false` is dl-core's `NoBias`.
        bias: bool,
        /// `groups` (1: an ordinary convolution; `i`: depthwise).
        g: u64,
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
        win: Win,
        ceil: bool,
    },
    /// `win.d` is `[1, 1]`.
    AvgPool {
        win: Win,
        ceil: bool,
    },
    GlobalAvgPool,
    /// `eps`: ε as a decimal `(m, e)` = m·10⁻ᵉ (`(1, 5)` = 1e-5, PyTorch's default).
    Bn2d {
        c: u64,
        eps: (u64, u32),
    },
    Bn1d {
        n: u64,
        eps: (u64, u32),
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

/// Where a tap was defined, and whether a skip has used it.
struct TapState {
    /// The layer list it is in (an id from [`Ctxt::lists`]).
    list: usize,
    used: bool,
}

/// Collected errors.
pub struct Ctxt {
    errors: Option<syn::Error>,
    count: usize,
    counters: Vec<(&'static str, usize)>,
    /// Every tap name written anywhere, and every tap name a `skip(…)` names.
    all_taps: HashSet<String>,
    all_skips: HashSet<String>,
    /// Taps whose skip was found inside a nested block (reported there).
    skipped_inside: HashSet<String>,
    defined_taps: HashMap<String, TapState>,
    /// The layer lists being validated, outermost first (ids), and the next id.
    lists: Vec<usize>,
    next_list: usize,
    /// Appended to every message: where inside `repeat(n)` blocks the mistake is.
    context: Vec<String>,
}
impl Ctxt {
    fn err<T: ToTokens>(&mut self, tokens: T, msg: impl fmt::Display) {
        let mut msg = msg.to_string();
        for c in self.context.iter().rev() {
            msg.push_str(c);
        }
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
        all_skips: HashSet::new(),
        skipped_inside: HashSet::new(),
        defined_taps: HashMap::new(),
        lists: Vec::new(),
        next_list: 0,
        context: Vec::new(),
    };
    collect_taps(&net.body, &mut cx.all_taps, &mut cx.all_skips);
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

/// Every tap name (`taps`) and every name a skip link uses (`skips`), in any block.
fn collect_taps(items: &[Item], taps: &mut HashSet<String>, skips: &mut HashSet<String>) {
    for it in items {
        match it {
            Item::Tap { name, .. } => {
                taps.insert(name.to_string());
            }
            Item::Residual { body, shortcut, .. } => {
                collect_taps(body, taps, skips);
                if let Some((_, s)) = shortcut {
                    collect_taps(s, taps, skips);
                }
            }
            Item::Concat { branches, .. } => {
                for b in branches {
                    collect_taps(&b.1, taps, skips);
                }
            }
            Item::Skip { tap, branch, .. } => {
                skips.insert(tap.to_string());
                collect_taps(branch, taps, skips);
            }
            Item::Repeat { body, .. } => collect_taps(body, taps, skips),
            Item::Layer(_) => {}
        }
    }
}

fn fmt_opt(s: Option<Shape>) -> String {
    s.map_or_else(|| "?".into(), |s| s.to_string())
}

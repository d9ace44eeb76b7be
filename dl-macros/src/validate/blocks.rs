//! Layer lists and the blocks in them: `residual`, `concat`, `tap` / `skip` and `repeat`, each
//! joining shapes computed in decimal, each mistake spanned on the block, branch or tap.
use super::*;
use crate::ast::Count;

/// A tap waiting for its skip in the current list.
struct OpenTap {
    name: syn::Ident,
    pos: usize,
    shape: Option<Shape>,
}

/// Validates a list starting from `input` (`None`: unknown after an earlier error).
pub(super) fn list(
    cx: &mut Ctxt,
    items: &[Item],
    input: Option<Shape>,
) -> (Vec<Node>, Option<Shape>) {
    let id = cx.next_list;
    cx.next_list += 1;
    cx.lists.push(id);
    let mut nodes: Vec<Node> = Vec::new();
    let mut cur = input;
    let mut origin: Option<String> = None;
    let mut open: Vec<OpenTap> = Vec::new();
    for it in items {
        match it {
            Item::Layer(call) => {
                let before = cx.count;
                let (leaf, out, note) = layer(cx, call, cur, origin.as_deref());
                if leaf.is_none() && cur.is_some() && cx.count == before {
                    // never compile a network with a layer left out
                    cx.err(
                        &call.tokens,
                        "network!: this layer's output could not be computed (an internal \
                         error: please report it)",
                    );
                }
                if let Some(l) = leaf {
                    nodes.push(Node::Leaf(l));
                }
                cur = out;
                origin = note;
            }
            Item::Residual { kw, body, shortcut } => {
                cur = residual(cx, &mut nodes, kw, body, shortcut.as_ref(), cur);
                origin = Some("the residual block".into());
            }
            Item::Concat { kw, branches } => {
                cur = match concat(cx, &mut nodes, kw, branches, cur) {
                    Some((s, note)) => {
                        origin = Some(note);
                        Some(s)
                    }
                    None => None,
                };
            }
            Item::Tap { name, .. } => {
                let s = name.to_string();
                match cx.defined_taps.entry(s) {
                    std::collections::hash_map::Entry::Occupied(e) => {
                        let msg = format!(
                            "duplicate tap name `{}`: each tap names one activation",
                            e.key()
                        );
                        cx.err(name, msg);
                    }
                    std::collections::hash_map::Entry::Vacant(v) => {
                        v.insert(TapState {
                            list: id,
                            used: false,
                        });
                        open.push(OpenTap {
                            name: name.clone(),
                            pos: nodes.len(),
                            shape: cur,
                        });
                    }
                }
            }
            Item::Skip {
                tokens,
                tap,
                args,
                branch,
                ..
            } => {
                let s = tap.to_string();
                let crop = skip_crop(cx, args);
                match open.iter().rposition(|t| t.name == s) {
                    None => {
                        not_open(cx, tap);
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
                        if let Some(st) = cx.defined_taps.get_mut(&s) {
                            st.used = true;
                        }
                        let (bn, bout) = list(cx, branch, t.shape);
                        let body: Vec<Node> = nodes.drain(t.pos..).collect();
                        let mut next = None;
                        if let (Some(ti), Some(bo), Some(c)) = (t.shape, bout, cur) {
                            if let Some((top, left)) = align(cx, tokens, &s, bo, c, crop) {
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
            Item::Repeat { count, body, .. } => {
                cur = repeat(cx, &mut nodes, count, body, cur);
                origin = None;
            }
        }
    }
    for t in open {
        let n = t.name.to_string();
        let here = items
            .iter()
            .any(|it| matches!(it, Item::Skip { tap, .. } if *tap == n));
        let msg = if cx.skipped_inside.contains(&n) {
            format!(
                "tap `{n}` is used inside a block: its `skip({n})` is in a nested block, not in \
                 this layer list; a skip link must be in the same layer list as its tap"
            )
        } else if cx.all_skips.contains(&n) && !here {
            format!(
                "tap `{n}` is used outside its block: its `skip({n})` is not in the same layer \
                 list; a skip link must stay inside the block (residual, concat branch, skip \
                 branch or repeat) that defines its tap"
            )
        } else {
            format!("tap `{n}` is never used: add `skip({n})` after it, or remove the tap")
        };
        cx.err(&t.name, msg);
    }
    cx.lists.pop();
    (nodes, cur)
}

/// A skip names a tap that is not open in its list: say why.
fn not_open(cx: &mut Ctxt, tap: &syn::Ident) {
    let s = tap.to_string();
    let msg = match cx.defined_taps.get(&s) {
        Some(TapState { used: true, .. }) => format!(
            "tap `{s}` was already used by an earlier skip link: each tap feeds one skip; tap \
             the activation again under another name"
        ),
        Some(st) if cx.lists.contains(&st.list) => {
            cx.skipped_inside.insert(s.clone());
            format!(
            "tap `{s}` is used inside a block but defined outside it: a skip link must be in the \
             same layer list as its tap (move `tap {s}` into this block, or the skip out of it)"
            )
        }
        Some(_) => format!(
            "tap `{s}` is used outside its block: it is defined inside a block (residual, concat \
             branch, skip branch or repeat) that this skip is not in; a skip link must be in the \
             same layer list as its tap"
        ),
        None if cx.all_taps.contains(&s) => format!(
            "tap `{s}` is used before it is defined: write `tap {s}` earlier in the list, at the \
             activation to add"
        ),
        None => {
            let mut known: Vec<_> = cx.all_taps.iter().cloned().collect();
            known.sort();
            format!(
                "unknown tap `{s}`{}",
                if known.is_empty() {
                    "; name an activation first with `tap name`".into()
                } else {
                    format!("; the taps are: {}", known.join(", "))
                }
            )
        }
    };
    cx.err(tap, msg);
}

/// `residual { body }` or `residual { body } shortcut { … }`; an empty list is the identity.
fn residual(
    cx: &mut Ctxt,
    nodes: &mut Vec<Node>,
    kw: &syn::Ident,
    body: &[Item],
    shortcut: Option<&(syn::Ident, Vec<Item>)>,
    cur: Option<Shape>,
) -> Option<Shape> {
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
                        "residual shortcut and body disagree: the shortcut maps {} to {so}, the \
                         body to {bo}; both are added, so they must give the same shape",
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
                    "residual block changes the shape: its body maps {i} to {bo}, but an \
                     identity shortcut adds the input {i} unchanged; add `shortcut {{ … }}` \
                     (e.g. a 1×1 Conv2d with the body's stride) that maps {i} to {bo}"
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
            Some(o)
        }
        _ => None,
    }
}

/// `concat { { … }, { … } }`: feature maps joined along channels (same H×W), or vectors joined
/// end to end; `{ }` is the identity branch. Returns the output and a note on where it comes from.
fn concat(
    cx: &mut Ctxt,
    nodes: &mut Vec<Node>,
    kw: &syn::Ident,
    branches: &[(TokenStream, Vec<Item>)],
    cur: Option<Shape>,
) -> Option<(Shape, String)> {
    let mut outs = Vec::new();
    let mut bn = Vec::new();
    for (toks, b) in branches {
        let (n, o) = list(cx, b, cur);
        bn.push(n);
        outs.push((toks, o));
    }
    if branches.is_empty() {
        cx.err(kw, "concat needs at least one branch `{ … }`");
        return None;
    }
    let outs: Vec<(&TokenStream, Shape)> = outs
        .into_iter()
        .map(|(t, o)| o.map(|o| (t, o)))
        .collect::<Option<_>>()?;
    let (_, first) = outs[0];
    let mut ok = true;
    for (i, (toks, o)) in outs.iter().enumerate().skip(1) {
        match (first, *o) {
            (Shape::Map(_, h0, w0), Shape::Map(_, h, w)) if (h0, w0) != (h, w) => {
                ok = false;
                cx.err(
                    toks,
                    format!(
                        "concat branches disagree on H×W: branch 1 gives {h0}×{w0}, branch {} \
                         gives {h}×{w}; a channel concat needs every branch to keep the same \
                         height and width",
                        i + 1
                    ),
                );
            }
            (Shape::Map(..), Shape::Vec(_)) | (Shape::Vec(_), Shape::Map(..)) => {
                ok = false;
                cx.err(
                    toks,
                    format!(
                        "concat mixes a vector and a feature map: branch 1 gives {first}, branch \
                         {} gives {o}; join feature maps with feature maps (along channels) or \
                         vectors with vectors",
                        i + 1
                    ),
                );
            }
            _ => {}
        }
    }
    let i = cur?;
    if !ok {
        return None;
    }
    let parts: Vec<u64> = outs.iter().map(|(_, o)| o.lead()).collect();
    let total: u64 = parts.iter().sum();
    let out = match first {
        Shape::Map(_, h, w) => Shape::Map(total, h, w),
        Shape::Vec(_) => Shape::Vec(total),
    };
    nodes.push(Node::Concat {
        tokens: kw.to_token_stream(),
        branches: bn,
        input: i,
        output: out,
    });
    let what = if matches!(out, Shape::Map(..)) {
        "channels"
    } else {
        "features"
    };
    let sum: Vec<String> = parts.iter().map(u64::to_string).collect();
    Some((
        out,
        format!("the concat of {} = {total} {what}", sum.join(" + ")),
    ))
}

/// `repeat(n) { … }`: the body validated `n` times in sequence, each repetition with its own
/// taps; a mistake says which repetition and the input it had.
fn repeat(
    cx: &mut Ctxt,
    nodes: &mut Vec<Node>,
    count: &Count,
    body: &[Item],
    mut cur: Option<Shape>,
) -> Option<Shape> {
    let n = match count_value(cx, count) {
        Some(0) => {
            cx.err(&count.tokens, "repeat(0) repeats nothing; remove the block");
            return cur;
        }
        Some(n) => n,
        None => return None,
    };
    let mut body_taps = HashSet::new();
    collect_taps(body, &mut body_taps, &mut HashSet::new());
    for r in 1..=n {
        // the previous repetition's taps (all closed when it had no error) end with it
        for t in &body_taps {
            cx.defined_taps.remove(t);
        }
        let before = cx.count;
        if n > 1 {
            cx.context.push(format!(
                " (in repetition {r} of repeat({n}), whose input is {})",
                fmt_opt(cur)
            ));
        }
        let (b, o) = list(cx, body, cur);
        if n > 1 {
            cx.context.pop();
        }
        nodes.extend(b);
        cur = o;
        if cx.count != before {
            return None;
        }
    }
    cur
}

/// A `repeat(…)` count; a negative one is reported here.
fn count_value(cx: &mut Ctxt, count: &Count) -> Option<u64> {
    if count.negative {
        cx.err(
            &count.tokens,
            format!(
                "repeat(-{}): a repeat count cannot be negative; write how many times to repeat \
                 the block (≥ 1)",
                count.lit.base10_digits()
            ),
        );
        return None;
    }
    match count.lit.base10_parse::<u64>() {
        Ok(v) => Some(v),
        Err(e) => {
            cx.err(&count.lit, e);
            None
        }
    }
}

/// `skip(tap, crop = offset)`: the offset, when given.
fn skip_crop(cx: &mut Ctxt, args: &[Arg]) -> Option<u64> {
    let mut crop = None;
    for a in args {
        match (&a.name, &a.value) {
            (Some(n), Value::Int(v)) if n == "crop" => {
                if a.negative {
                    cx.err(
                        &a.tokens,
                        format!(
                            "skip crop = -{}: a crop offset cannot be negative (it is where the \
                             crop starts inside the tap's map)",
                            v.base10_digits()
                        ),
                    );
                    continue;
                }
                match v.base10_parse::<u64>() {
                    Ok(v) => crop = Some(v),
                    Err(e) => cx.err(v, e),
                }
            }
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
        if crop.is_some_and(|o| o != 0) {
            cx.err(
                tokens,
                format!(
                    "skip link from `{tap}` adds the vector {t}: `crop` applies to feature maps \
                     only; remove it"
                ),
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

//! Expansion of a validated network: the struct with typed layer fields, one const check per
//! layer (`L: Layer<In, Out = Out>` with the shapes computed in `validate`), the resource
//! consts, allocation-free fused inference over a two-ended arena, and training forward /
//! backward with typed cache and gradient structs.
use crate::ast::Net;
use crate::validate::{Act, Kind, Leaf, Model, Node, Shape};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, ToTokens};

struct Gen {
    k: TokenStream,
    /// Training-cache fields: name and type.
    cache: Vec<(Ident, TokenStream)>,
    next: usize,
}

fn lit(n: u64) -> TokenStream {
    proc_macro2::Literal::u64_unsuffixed(n).to_token_stream()
}

impl Gen {
    /// A type-level number.
    fn num(&self, n: u64) -> TokenStream {
        let k = &self.k;
        if n <= 1024 {
            let u = format_ident!("U{}", n);
            quote!(#k::consts::#u)
        } else {
            // typenum names constants up to 1024; above, spell the binary form.
            let bit = if n & 1 == 1 { quote!(#k::typenum::B1) } else { quote!(#k::typenum::B0) };
            let hi = if n >> 1 == 0 { quote!(#k::typenum::UTerm) } else { self.num(n >> 1) };
            quote!(#k::typenum::UInt<#hi, #bit>)
        }
    }
    fn shape(&self, s: Shape) -> TokenStream {
        let k = &self.k;
        match s {
            Shape::Vec(n) => {
                let n = self.num(n);
                quote!(#k::Shape1<#n>)
            }
            Shape::Map(c, h, w) => {
                let (c, h, w) = (self.num(c), self.num(h), self.num(w));
                quote!(#k::Shape3<#c, #h, #w>)
            }
        }
    }
    fn act_fn(&self, a: Act) -> TokenStream {
        let k = &self.k;
        match a {
            Act::ReLU => quote!(#k::layers::activation::fns::ReLU),
            Act::Sigmoid => quote!(#k::layers::activation::fns::Sigmoid),
            Act::Tanh => quote!(#k::layers::activation::fns::Tanh),
            Act::Leaky(n, d) => {
                let (n, d) = (self.num(n), self.num(d));
                quote!(#k::layers::activation::fns::LeakyReLU<#n, #d>)
            }
        }
    }
    /// The dl-core type of a layer.
    fn layer_ty(&self, kind: &Kind) -> TokenStream {
        let k = &self.k;
        let n = |v: u64| self.num(v);
        match *kind {
            Kind::Conv { i, o, k: kk, s, p, d } => {
                let (i, o, kk, s, p, d) = (n(i), n(o), n(kk), n(s), n(p), n(d));
                quote!(#k::Conv2d<#i, #o, #kk, #s, #p, #d>)
            }
            Kind::ConvT { i, o, k: kk, s, p, d, op } => {
                let (i, o, kk, s, p, d, op) = (n(i), n(o), n(kk), n(s), n(p), n(d), n(op));
                quote!(#k::ConvTranspose2d<#i, #o, #kk, #s, #p, #d, #op>)
            }
            Kind::Linear { i, o } => {
                let (i, o) = (n(i), n(o));
                quote!(#k::Linear<#i, #o>)
            }
            Kind::Act(a) => {
                let f = self.act_fn(a);
                quote!(#k::layers::activation::Act<#f>)
            }
            Kind::Flatten => quote!(#k::Flatten),
            Kind::MaxPool { k: kk, s, p, d } => {
                let (kk, s, p, d) = (n(kk), n(s), n(p), n(d));
                quote!(#k::MaxPool2d<#kk, #s, #p, #d>)
            }
            Kind::AvgPool { k: kk, s, p } => {
                let (kk, s, p) = (n(kk), n(s), n(p));
                quote!(#k::AvgPool2d<#kk, #s, #p>)
            }
            Kind::GlobalAvgPool => quote!(#k::GlobalAvgPool2d),
            Kind::Bn2d { c } => {
                let c = n(c);
                quote!(#k::BatchNorm2d<#c>)
            }
            Kind::Bn1d { n: f } => {
                let f = n(f);
                quote!(#k::BatchNorm1d<#f>)
            }
            Kind::Dropout { num, den } => {
                let (a, b) = (n(num), n(den));
                quote!(#k::Dropout<#a, #b>)
            }
            Kind::Lrn { size } => {
                let s = n(size);
                quote!(#k::LocalResponseNorm<#s>)
            }
            Kind::Maxout { k: kk } => {
                let kk = n(kk);
                quote!(#k::Maxout<#kk>)
            }
            Kind::Upsample { f, bilinear } => {
                let f = n(f);
                if bilinear {
                    quote!(#k::Upsample<#f, #k::Bilinear>)
                } else {
                    quote!(#k::Upsample<#f, #k::Nearest>)
                }
            }
            Kind::Softmax => quote!(#k::Softmax),
        }
    }
    fn fresh(&mut self) -> usize {
        self.next += 1;
        self.next
    }
    fn add_cache(&mut self, name: Ident, ty: TokenStream) {
        self.cache.push((name, ty));
    }
}

fn has_params(kind: &Kind) -> bool {
    matches!(
        kind,
        Kind::Conv { .. } | Kind::Linear { .. } | Kind::ConvT { .. } | Kind::Bn2d { .. } | Kind::Bn1d { .. }
    )
}

/// Every leaf in order (blocks flattened: body, shortcut / branches).
fn leaves<'a>(nodes: &'a [Node], out: &mut Vec<&'a Leaf>) {
    for n in nodes {
        match n {
            Node::Leaf(l) => out.push(l),
            Node::Residual { body, shortcut, .. } => {
                leaves(body, out);
                if let Some(s) = shortcut {
                    leaves(s, out);
                }
            }
            Node::Concat { branches, .. } => branches.iter().for_each(|b| leaves(b, out)),
            Node::Skip { body, branch, .. } => {
                leaves(body, out);
                leaves(branch, out);
            }
        }
    }
}

/// A node with the activations applied in place on its output.
struct Op<'a> {
    node: &'a Node,
    /// Inference only: a BatchNorm2d folded into the convolution before it.
    bn: Option<&'a Leaf>,
    posts: Vec<Act>,
    /// Training-op number (cache field suffix).
    u: usize,
}

fn act_of(n: &Node) -> Option<Act> {
    match n {
        Node::Leaf(Leaf { kind: Kind::Act(a), .. }) => Some(*a),
        _ => None,
    }
}

/// Groups a list into ops. Inference: every activation runs in place on the op before it.
/// Training: one activation in place after Conv2d/Linear/blocks, whose backward does not read
/// their own output (the activation's derivative is computed from its output).
fn group<'a>(nodes: &'a [Node], train: bool) -> Vec<Op<'a>> {
    let mut ops: Vec<Op> = Vec::new();
    for n in nodes {
        if let (Some(a), Some(last)) = (act_of(n), ops.last_mut()) {
            let fusable = !train
                || (last.posts.is_empty()
                    && match last.node {
                        Node::Leaf(l) => matches!(l.kind, Kind::Conv { .. } | Kind::Linear { .. }),
                        _ => true,
                    });
            if fusable {
                last.posts.push(a);
                continue;
            }
        }
        if let (false, Node::Leaf(b @ Leaf { kind: Kind::Bn2d { .. }, .. }), Some(last)) =
            (train, n, ops.last_mut())
        {
            if last.posts.is_empty()
                && last.bn.is_none()
                && matches!(last.node, Node::Leaf(Leaf { kind: Kind::Conv { .. }, .. }))
            {
                last.bn = Some(b);
                continue;
            }
        }
        ops.push(Op {
            node: n,
            bn: None,
            posts: Vec::new(),
            u: 0,
        });
    }
    ops
}

// ---------------------------------------------------------------- inference

impl Gen {
    fn posts(&self, posts: &[Act], y: TokenStream) -> TokenStream {
        let k = &self.k;
        let calls = posts.iter().map(|a| {
            let f = self.act_fn(*a);
            quote!(#k::fused::act::<#f>(#y);)
        });
        quote!(#(#calls)*)
    }

    /// The arena (f32 count) a list needs, as a const expression.
    fn chain_arena(&self, nodes: &[Node]) -> TokenStream {
        let ops = group(nodes, false);
        let k = &self.k;
        let n = ops.len();
        if n == 0 {
            return quote!(0usize);
        }
        if n == 1 {
            return self.op_arena(&ops[0]);
        }
        let sz = |i: usize| lit(ops[i].node.output().numel());
        let mut terms = Vec::new();
        for (j, op) in ops.iter().enumerate() {
            let a = self.op_arena(op);
            terms.push(if j == 0 {
                let s = sz(0);
                quote!(#s + #a)
            } else if j + 1 == n {
                let s = sz(j - 1);
                quote!(#s + #a)
            } else {
                let (s0, s1) = (sz(j - 1), sz(j));
                quote!(#s0 + #s1 + #a)
            });
        }
        quote!(#k::fused::max_of(&[#(#terms),*]))
    }

    fn op_arena(&self, op: &Op) -> TokenStream {
        let k = &self.k;
        match op.node {
            Node::Leaf(l) => match l.kind {
                Kind::Conv { i, k: kk, s, p, .. } => {
                    let Shape::Map(_, oh, ow) = l.output else { return quote!(0usize) };
                    if kk == 1 && s == 1 && p == 0 {
                        quote!(0usize)
                    } else {
                        lit(i * kk * kk * oh * ow)
                    }
                }
                Kind::Linear { .. } | Kind::Act(_) => quote!(0usize),
                _ => {
                    let (si, lt) = (self.shape(l.input), self.layer_ty(&l.kind));
                    quote!(#k::fused::scratch::<#si, #lt>())
                }
            },
            Node::Residual { body, shortcut, output, .. } => {
                let b = self.chain_arena(body);
                match shortcut {
                    None => b,
                    Some(s) => {
                        let (sa, no) = (self.chain_arena(s), lit(output.numel()));
                        quote!(#k::fused::max_of(&[#b, #no + #sa]))
                    }
                }
            }
            Node::Concat { branches, .. } => {
                let t = branches.iter().map(|b| self.chain_arena(b));
                quote!(#k::fused::max_of(&[#(#t),*]))
            }
            Node::Skip { body, branch, branch_out, .. } => {
                let b = self.chain_arena(body);
                if branch.is_empty() {
                    b
                } else {
                    let (ba, no) = (self.chain_arena(branch), lit(branch_out.numel()));
                    quote!(#k::fused::max_of(&[#b, #no + #ba]))
                }
            }
        }
    }

    /// Inference of a list: `x` (`&[f32]`) to `y` (`&mut [f32]`), intermediates at the two ends
    /// of `arena`, each op's scratch between them.
    fn chain_infer(&self, nodes: &[Node], x: TokenStream, y: TokenStream, arena: TokenStream) -> TokenStream {
        let ops = group(nodes, false);
        let n = ops.len();
        if n == 0 {
            return quote! {{
                let __x: &[f32] = #x;
                let __y: &mut [f32] = #y;
                let __n = __x.len();
                __y[..__n].copy_from_slice(__x);
            }};
        }
        if n == 1 {
            return self.op_infer(&ops[0], x, y, arena);
        }
        let sz = |i: usize| lit(ops[i].node.output().numel());
        let mut steps = Vec::new();
        for (j, op) in ops.iter().enumerate() {
            let step = if j == 0 {
                let s = sz(0);
                let call = self.op_infer(op, quote!(__x), quote!(__out), quote!(__scr));
                quote! {{ let (__out, __scr) = __arena.split_at_mut(#s); #call }}
            } else if j + 1 == n {
                let s = sz(j - 1);
                let call = self.op_infer(op, quote!(&*__inp), quote!(&mut *__y), quote!(__scr));
                if (j - 1) % 2 == 0 {
                    quote! {{ let (__inp, __scr) = __arena.split_at_mut(#s); #call }}
                } else {
                    quote! {{
                        let __l = __arena.len();
                        let (__scr, __inp) = __arena.split_at_mut(__l - #s);
                        #call
                    }}
                }
            } else {
                let (s0, s1) = (sz(j - 1), sz(j));
                let call = self.op_infer(op, quote!(&*__inp), quote!(__out), quote!(__scr));
                if (j - 1) % 2 == 0 {
                    quote! {{
                        let (__inp, __rest) = __arena.split_at_mut(#s0);
                        let __l = __rest.len();
                        let (__scr, __out) = __rest.split_at_mut(__l - #s1);
                        #call
                    }}
                } else {
                    quote! {{
                        let (__out, __rest) = __arena.split_at_mut(#s1);
                        let __l = __rest.len();
                        let (__scr, __inp) = __rest.split_at_mut(__l - #s0);
                        #call
                    }}
                }
            };
            steps.push(step);
        }
        quote! {{
            let __x: &[f32] = #x;
            let __y: &mut [f32] = #y;
            let __arena: &mut [f32] = #arena;
            #(#steps)*
        }}
    }

    fn op_infer(&self, op: &Op, x: TokenStream, y: TokenStream, scr: TokenStream) -> TokenStream {
        let k = &self.k;
        let on = lit(op.node.output().numel());
        let inn = lit(op.node.input().numel());
        let posts = self.posts(&op.posts, quote!(&mut *__row));
        let posts_y = self.posts(&op.posts, quote!(&mut __y[..#on]));
        let body = match op.node {
            Node::Leaf(l) => {
                let f = l.field.as_ref();
                match l.kind {
                    Kind::Conv { i, k: kk, s, p, d, .. } => {
                        let Shape::Map(_, h, w) = l.input else { return quote!() };
                        let (i, h, w, kk, s, p, d) = (lit(i), lit(h), lit(w), lit(kk), lit(s), lit(p), lit(d));
                        let fold = op.bn.map(|b| {
                            let bf = b.field.as_ref();
                            let bt = self.layer_ty(&b.kind);
                            quote!(#k::fused::bn_fold(&mut *__row, _o, &self.#bf.weight, &self.#bf.bias,
                                &self.#bf.running_mean, &self.#bf.running_var, <#bt>::EPS);)
                        });
                        quote! {
                            const __G: #k::kernels::im2col::Geom = #k::fused::geom(#i, #h, #w, #kk, #s, #p, #d);
                            #k::fused::conv2d_infer(&self.#f.weight, &self.#f.bias, &__G, &__x[..#inn], &mut __y[..#on], __scr,
                                |_o: usize, __row: &mut [f32]| { #fold #posts });
                        }
                    }
                    Kind::Linear { .. } => quote! {
                        #k::fused::linear_infer(&self.#f.weight, &self.#f.bias, &__x[..#inn], &mut __y[..#on],
                            |_o: usize, __row: &mut [f32]| { #posts });
                    },
                    Kind::Act(a) => {
                        let af = self.act_fn(a);
                        quote! {
                            #k::fused::act_copy::<#af>(&__x[..#inn], &mut __y[..#on]);
                            #posts_y
                        }
                    }
                    _ => {
                        let (si, lt) = (self.shape(l.input), self.layer_ty(&l.kind));
                        quote! {
                            <#lt as #k::Layer<#si>>::infer(&self.#f, __x, __y, __scr);
                            #posts_y
                        }
                    }
                }
            }
            Node::Residual { body, shortcut, .. } => {
                let b = self.chain_infer(body, quote!(__x), quote!(&mut *__y), quote!(&mut *__scr));
                let add = match shortcut {
                    None => quote!(#k::fused::add(&mut __y[..#on], &__x[..#on]);),
                    Some(s) => {
                        let sc = self.chain_infer(s, quote!(__x), quote!(&mut *__t), quote!(__rest));
                        quote! {
                            let (__t, __rest) = __scr.split_at_mut(#on);
                            #sc
                            #k::fused::add(&mut __y[..#on], __t);
                        }
                    }
                };
                quote! { #b #add #posts_y }
            }
            Node::Concat { branches, .. } => {
                let mut off = 0u64;
                let parts = branches.iter().map(|b| {
                    let len = b.last().map_or(op.node.input(), |n| n.output()).numel();
                    let (lo, hi) = (lit(off), lit(off + len));
                    off += len;
                    self.chain_infer(b, quote!(__x), quote!(&mut __y[#lo..#hi]), quote!(&mut *__scr))
                });
                quote! { #(#parts)* #posts_y }
            }
            Node::Skip { body, branch, top, left, branch_out, output, .. } => {
                let b = self.chain_infer(body, quote!(__x), quote!(&mut *__y), quote!(&mut *__scr));
                let (Shape::Map(c, th, tw), Shape::Map(_, h, w)) = (*branch_out, *output) else {
                    return quote!();
                };
                let (c, th, tw, h, w, top, left) = (lit(c), lit(th), lit(tw), lit(h), lit(w), lit(*top), lit(*left));
                let tn = lit(branch_out.numel());
                if branch.is_empty() {
                    quote! {
                        #b
                        #k::fused::crop_add(&mut __y[..#on], &__x[..#tn], #c, #th, #tw, #h, #w, #top, #left);
                        #posts_y
                    }
                } else {
                    let br = self.chain_infer(branch, quote!(__x), quote!(&mut *__t), quote!(__rest));
                    quote! {
                        #b
                        let (__t, __rest) = __scr.split_at_mut(#tn);
                        #br
                        #k::fused::crop_add(&mut __y[..#on], &__t[..#tn], #c, #th, #tw, #h, #w, #top, #left);
                        #posts_y
                    }
                }
            }
        };
        quote! {{
            let __x: &[f32] = #x;
            let __y: &mut [f32] = #y;
            let __scr: &mut [f32] = #scr;
            let _ = &__scr;
            #body
        }}
    }
}

// ---------------------------------------------------------------- training

impl Gen {
    /// Numbers the training ops of a list and registers their cache fields.
    fn plan<'a>(&mut self, nodes: &'a [Node]) -> Vec<Op<'a>> {
        let mut ops = group(nodes, true);
        let k = self.k.clone();
        for op in &mut ops {
            op.u = self.fresh();
            let so = self.shape(op.node.output());
            let si = self.shape(op.node.input());
            self.add_cache(format_ident!("a{}", op.u), quote!(#k::Batch<#so>));
            self.add_cache(format_ident!("d{}", op.u), quote!(#k::Batch<#so>));
            match op.node {
                Node::Leaf(l) => {
                    if !matches!(l.kind, Kind::Conv { .. } | Kind::Linear { .. } | Kind::Act(_)) {
                        let lt = self.layer_ty(&l.kind);
                        self.add_cache(format_ident!("c{}", op.u), quote!(<#lt as #k::Train<#si>>::Cache));
                    }
                }
                Node::Residual { shortcut, .. } => {
                    if shortcut.is_some() {
                        self.add_cache(format_ident!("rx{}", op.u), quote!(#k::Batch<#si>));
                    }
                }
                Node::Concat { branches, .. } => {
                    self.add_cache(format_ident!("cx{}", op.u), quote!(#k::Batch<#si>));
                    for (j, b) in branches.iter().enumerate() {
                        let bo = self.shape(b.last().map_or(op.node.input(), |n| n.output()));
                        self.add_cache(format_ident!("cb{}_{}", op.u, j), quote!(#k::Batch<#bo>));
                        self.add_cache(format_ident!("cd{}_{}", op.u, j), quote!(#k::Batch<#bo>));
                    }
                }
                Node::Skip { branch_out, branch, .. } => {
                    let bo = self.shape(*branch_out);
                    self.add_cache(format_ident!("kd{}", op.u), quote!(#k::Batch<#bo>));
                    if !branch.is_empty() {
                        self.add_cache(format_ident!("kx{}", op.u), quote!(#k::Batch<#si>));
                    }
                }
            }
        }
        ops
    }

    /// Block sub-lists need their own output buffer (`b{u}_{j}`) besides the op's `a{u}`.
    fn sub_out(&mut self, u: usize, j: usize, s: Shape) -> Ident {
        let k = self.k.clone();
        let name = format_ident!("b{}_{}", u, j);
        let so = self.shape(s);
        self.add_cache(name.clone(), quote!(#k::Batch<#so>));
        name
    }

    /// Training forward of a list: `x` (`&Batch`) to `y` (`&mut Batch`); returns (forward,
    /// backward) code, the backward taking `x`, `y`, `dy` (`&Batch`) and `dx` (`&mut Batch`).
    #[allow(clippy::too_many_arguments)]
    fn chain_train(
        &mut self,
        nodes: &[Node],
        x: TokenStream,
        y: TokenStream,
        yr: TokenStream,
        dy: TokenStream,
        dx: TokenStream,
    ) -> (TokenStream, TokenStream) {
        let ops = self.plan(nodes);
        let n = ops.len();
        if n == 0 {
            return (
                quote! {{ let __x = #x; let __y = #y; __y.resize(__x.len()); __y.as_mut_slice().copy_from_slice(__x.as_slice()); }},
                quote! {{ let __dy = #dy; let __dx = #dx; __dx.resize(__dy.len()); __dx.as_mut_slice().copy_from_slice(__dy.as_slice()); }},
            );
        }
        let mut fwd = Vec::new();
        let mut bwd = Vec::new();
        for j in 0..n {
            let u = ops[j].u;
            let xin = if j == 0 { x.clone() } else { let a = format_ident!("a{}", ops[j - 1].u); quote!(&c.#a) };
            let yout = if j + 1 == n { y.clone() } else { let a = format_ident!("a{}", u); quote!(&mut c.#a) };
            let yref = if j + 1 == n { yr.clone() } else { let a = format_ident!("a{}", u); quote!(&c.#a) };
            let dxo = if j == 0 { dx.clone() } else { let d = format_ident!("d{}", ops[j - 1].u); quote!(&mut c.#d) };
            let (f, b) = self.op_train(&ops[j], xin, yout, yref, dxo);
            fwd.push(f);
            bwd.push(b);
        }
        bwd.reverse();
        let dl = format_ident!("d{}", ops[n - 1].u);
        (
            quote! { #(#fwd)* },
            quote! {
                c.#dl.resize(#dy.len());
                c.#dl.as_mut_slice().copy_from_slice(#dy.as_slice());
                #(#bwd)*
            },
        )
    }

    fn op_train(
        &mut self,
        op: &Op,
        x: TokenStream,
        y: TokenStream,
        yref: TokenStream,
        dx: TokenStream,
    ) -> (TokenStream, TokenStream) {
        let k = self.k.clone();
        let u = op.u;
        let d = format_ident!("d{}", u);
        let posts_f = self.posts(&op.posts, quote!(&mut *__row));
        let posts_y = self.posts(&op.posts, quote!(__y.as_mut_slice()));
        let post_b = op.posts.first().map(|a| {
            let f = self.act_fn(*a);
            quote!(#k::fused::act_backward::<#f>((#yref).as_slice(), c.#d.as_mut_slice());)
        });
        match op.node {
            Node::Leaf(l) => {
                let f = l.field.as_ref();
                let si = self.shape(l.input);
                match l.kind {
                    Kind::Conv { i, k: kk, s, p, d: dd, .. } => {
                        let Shape::Map(_, h, w) = l.input else { return (quote!(), quote!()) };
                        let (i, h, w, kk, s, p, dd) = (lit(i), lit(h), lit(w), lit(kk), lit(s), lit(p), lit(dd));
                        let g = quote!(#k::fused::geom(#i, #h, #w, #kk, #s, #p, #dd));
                        (
                            quote! {{
                                const __G: #k::kernels::im2col::Geom = #g;
                                let __x = #x; let __y = #y; let __n = __x.len(); __y.resize(__n);
                                #k::fused::conv2d_forward(&self.#f.weight, &self.#f.bias, &__G, __n, __x.as_slice(), __y.as_mut_slice(), &mut c.cols,
                                    |_o: usize, __row: &mut [f32]| { #posts_f });
                            }},
                            quote! {{
                                const __G: #k::kernels::im2col::Geom = #g;
                                #post_b
                                let __x = #x; let __dx = #dx; let __n = __x.len(); __dx.resize(__n);
                                #k::fused::conv2d_backward(&self.#f.weight, &__G, __n, __x.as_slice(), c.#d.as_slice(), __dx.as_mut_slice(),
                                    &mut c.cols, &mut c.dcols, &mut g.#f.weight, &mut g.#f.bias);
                            }},
                        )
                    }
                    Kind::Linear { .. } => (
                        quote! {{
                            let __x = #x; let __y = #y; let __n = __x.len(); __y.resize(__n);
                            #k::fused::linear_forward(&self.#f.weight, &self.#f.bias, __n, __x.as_slice(), __y.as_mut_slice(),
                                |_o: usize, __row: &mut [f32]| { #posts_f });
                        }},
                        quote! {{
                            #post_b
                            let __x = #x; let __dx = #dx; let __n = __x.len(); __dx.resize(__n);
                            #k::fused::linear_backward(&self.#f.weight, __n, __x.as_slice(), c.#d.as_slice(), __dx.as_mut_slice(),
                                &mut g.#f.weight, &mut g.#f.bias);
                        }},
                    ),
                    Kind::Act(a) => {
                        let af = self.act_fn(a);
                        (
                            quote! {{
                                let __x = #x; let __y = #y; __y.resize(__x.len());
                                #k::fused::act_copy::<#af>(__x.as_slice(), __y.as_mut_slice());
                            }},
                            quote! {{
                                let __x = #x; let __dx = #dx; __dx.resize(__x.len());
                                #k::fused::act_grad::<#af>(__x.as_slice(), (#yref).as_slice(), c.#d.as_slice(), __dx.as_mut_slice());
                            }},
                        )
                    }
                    _ => {
                        let lt = self.layer_ty(&l.kind);
                        let cc = format_ident!("c{}", u);
                        let gr = if has_params(&l.kind) { quote!(&mut g.#f) } else { quote!(&mut ()) };
                        (
                            quote! { <#lt as #k::Train<#si>>::forward_train(&mut self.#f, #x, #y, &mut c.#cc); },
                            quote! { <#lt as #k::Train<#si>>::backward(&self.#f, #x, #yref, &c.#d, #dx, &mut c.#cc, #gr); },
                        )
                    }
                }
            }
            Node::Residual { body, shortcut, .. } => {
                let bo = self.sub_out(u, 0, op.node.output());
                let (bf, bb) = self.chain_train(body, x.clone(), quote!(&mut c.#bo), quote!(&c.#bo), quote!(c.#d), dx.clone());
                let (sf, sb, add_f, add_b) = match shortcut {
                    None => (quote!(), quote!(), quote!(#k::fused::add(__y.as_mut_slice(), (#x).as_slice());),
                        quote!(#k::fused::add((#dx).as_mut_slice(), c.#d.as_slice());)),
                    Some(s) => {
                        let so = self.sub_out(u, 1, op.node.output());
                        let rx = format_ident!("rx{}", u);
                        let (sf, sb) = self.chain_train(s, x.clone(), quote!(&mut c.#so), quote!(&c.#so), quote!(c.#d), quote!(&mut c.#rx));
                        (sf, sb, quote!(#k::fused::add(__y.as_mut_slice(), c.#so.as_slice());),
                            quote!(#k::fused::add((#dx).as_mut_slice(), c.#rx.as_slice());))
                    }
                };
                (
                    quote! {
                        #bf #sf
                        { let __y = #y; __y.resize(c.#bo.len()); __y.as_mut_slice().copy_from_slice(c.#bo.as_slice()); #add_f #posts_y }
                    },
                    quote! { #post_b #bb #sb #add_b },
                )
            }
            Node::Concat { branches, output, .. } => {
                let total = lit(output.numel());
                let cx = format_ident!("cx{}", u);
                let mut f = Vec::new();
                let mut b = Vec::new();
                let mut join = Vec::new();
                let mut off = 0u64;
                for (j, br) in branches.iter().enumerate() {
                    let cb = format_ident!("cb{}_{}", u, j);
                    let cd = format_ident!("cd{}_{}", u, j);
                    let per = br.last().map_or(op.node.input(), |n| n.output()).numel();
                    let (o, p) = (lit(off), lit(per));
                    off += per;
                    let dxj = if j == 0 { dx.clone() } else { quote!(&mut c.#cx) };
                    let (bf, bb) = self.chain_train(br, x.clone(), quote!(&mut c.#cb), quote!(&c.#cb), quote!(c.#cd), dxj);
                    f.push(bf);
                    join.push(quote!(#k::fused::concat_part(__y.as_mut_slice(), c.#cb.as_slice(), #total, #o, #p);));
                    let acc = if j == 0 { quote!() } else { quote!(#k::fused::add((#dx).as_mut_slice(), c.#cx.as_slice());) };
                    b.push(quote! {
                        c.#cd.resize(c.#d.len());
                        #k::fused::split_part(c.#d.as_slice(), c.#cd.as_mut_slice(), #total, #o, #p);
                        #bb
                        #acc
                    });
                }
                (
                    quote! {
                        #(#f)*
                        { let __y = #y; __y.resize((#x).len()); #(#join)* #posts_y }
                    },
                    quote! { #post_b #(#b)* },
                )
            }
            Node::Skip { body, branch, top, left, branch_out, output, .. } => {
                let (Shape::Map(cc, th, tw), Shape::Map(_, h, w)) = (*branch_out, *output) else {
                    return (quote!(), quote!());
                };
                let (cc, th, tw, h, w, top, left) = (lit(cc), lit(th), lit(tw), lit(h), lit(w), lit(*top), lit(*left));
                let bo = self.sub_out(u, 0, *output);
                let kd = format_ident!("kd{}", u);
                let (bf, bb) = self.chain_train(body, x.clone(), quote!(&mut c.#bo), quote!(&c.#bo), quote!(c.#d), dx.clone());
                let (tf, tb, src, accb) = if branch.is_empty() {
                    (quote!(), quote!(), quote!((#x).as_slice()), quote!(#k::fused::add((#dx).as_mut_slice(), c.#kd.as_slice());))
                } else {
                    let to = self.sub_out(u, 1, *branch_out);
                    let kx = format_ident!("kx{}", u);
                    let (tf, tb) = self.chain_train(branch, x.clone(), quote!(&mut c.#to), quote!(&c.#to), quote!(c.#kd), quote!(&mut c.#kx));
                    (tf, tb, quote!(c.#to.as_slice()), quote!(#k::fused::add((#dx).as_mut_slice(), c.#kx.as_slice());))
                };
                (
                    quote! {
                        #bf #tf
                        {
                            let __y = #y; __y.resize(c.#bo.len());
                            __y.as_mut_slice().copy_from_slice(c.#bo.as_slice());
                            #k::fused::crop_add(__y.as_mut_slice(), #src, #cc, #th, #tw, #h, #w, #top, #left);
                            #posts_y
                        }
                    },
                    quote! {
                        #post_b
                        #bb
                        c.#kd.resize(c.#d.len());
                        #k::fused::crop_backward(c.#d.as_slice(), c.#kd.as_mut_slice(), #cc, #th, #tw, #h, #w, #top, #left);
                        #tb
                        #accb
                    },
                )
            }
        }
    }
}

// ---------------------------------------------------------------- the whole network

/// Summary rows: (layer text, field, output shape, params, macs).
fn rows(nodes: &[Node], depth: usize, out: &mut Vec<(String, String, String, u64, u64)>) {
    let ind = "  ".repeat(depth);
    for n in nodes {
        match n {
            Node::Leaf(l) => out.push((
                format!("{ind}{}", l.desc),
                l.field.as_ref().map_or_else(String::new, |f| f.to_string()),
                l.output.to_string(),
                l.params,
                l.macs,
            )),
            Node::Residual { body, shortcut, output, .. } => {
                out.push((format!("{ind}residual"), String::new(), output.to_string(), 0, 0));
                rows(body, depth + 1, out);
                if let Some(s) = shortcut {
                    out.push((format!("{ind}shortcut"), String::new(), output.to_string(), 0, 0));
                    rows(s, depth + 1, out);
                }
            }
            Node::Concat { branches, output, .. } => {
                out.push((format!("{ind}concat"), String::new(), output.to_string(), 0, 0));
                for (j, b) in branches.iter().enumerate() {
                    out.push((format!("{ind}  branch {}", j + 1), String::new(), String::new(), 0, 0));
                    rows(b, depth + 2, out);
                }
            }
            Node::Skip { body, branch, tap, output, .. } => {
                out.push((format!("{ind}tap {tap}"), String::new(), n.input().to_string(), 0, 0));
                rows(body, depth, out);
                out.push((format!("{ind}skip({tap})"), String::new(), output.to_string(), 0, 0));
                rows(branch, depth + 1, out);
            }
        }
    }
}

/// Type-level checks of the block joins.
fn block_checks(g: &Gen, nodes: &[Node], out: &mut Vec<TokenStream>) {
    let k = &g.k;
    for n in nodes {
        match n {
            Node::Leaf(_) => {}
            Node::Residual { body, shortcut, input, output, tokens, .. } => {
                let span = crate::ast::first_span(tokens);
                let last = body.last().map_or(*input, |b| b.output());
                let (a, b) = (g.shape(last), g.shape(*output));
                out.push(respan(quote!(const _: () = #k::fused::same::<#a, #b>();), span));
                if shortcut.is_none() {
                    let i = g.shape(*input);
                    out.push(respan(quote!(const _: () = #k::fused::same::<#i, #b>();), span));
                }
                block_checks(g, body, out);
                if let Some(s) = shortcut {
                    if let Some(l) = s.last() {
                        let so = g.shape(l.output());
                        out.push(respan(quote!(const _: () = #k::fused::same::<#so, #b>();), span));
                    }
                    block_checks(g, s, out);
                }
            }
            Node::Concat { branches, output, input, tokens, .. } => {
                let span = crate::ast::first_span(tokens);
                // Σ channels as a typenum sum, checked against the computed channel count.
                let mut sum: Option<TokenStream> = None;
                for b in branches {
                    if let Shape::Map(c, _, _) = b.last().map_or(*input, |n| n.output()) {
                        let c = g.num(c);
                        sum = Some(match sum {
                            None => c,
                            Some(s) => quote!(#k::typenum::Sum<#s, #c>),
                        });
                    }
                    block_checks(g, b, out);
                }
                if let (Some(s), Shape::Map(c, _, _)) = (sum, output) {
                    let c = g.num(*c);
                    out.push(respan(quote!(const _: () = #k::fused::same::<#s, #c>();), span));
                }
            }
            Node::Skip { body, branch, tokens, .. } => {
                let _ = tokens;
                block_checks(g, body, out);
                block_checks(g, branch, out);
            }
        }
    }
}

pub fn expand(net: &Net, m: &Model) -> TokenStream {
    let k = net.krate.as_ref().map_or_else(|| quote!(::dl), |p| p.to_token_stream());
    let mut g = Gen { k: k.clone(), cache: Vec::new(), next: 0 };
    let name = &net.name;
    let vis = &net.vis;
    let attrs = &net.attrs;
    let mut all = Vec::new();
    leaves(&m.body, &mut all);
    let (si, so) = (g.shape(m.input), g.shape(m.output));

    // Fields and per-layer checks.
    let mut fields = Vec::new();
    let mut checks = Vec::new();
    let mut field_list = Vec::new();
    for l in &all {
        let lt = g.layer_ty(&l.kind);
        let (li, lo) = (g.shape(l.input), g.shape(l.output));
        let span = crate::ast::first_span(&l.tokens);
        checks.push(respan(quote!(const _: () = #k::fused::check::<#li, #lo, #lt>();), span));
        if let Some(f) = &l.field {
            let doc = format!("`{}`: {} → {}", l.desc, l.input, l.output);
            fields.push(quote!(#[doc = #doc] pub #f: #lt,));
            field_list.push((f.clone(), lt, li, has_params(&l.kind), l.params));
        }
    }
    block_checks(&g, &m.body, &mut checks);

    let params: u64 = all.iter().map(|l| l.params).sum();
    let macs: u64 = all.iter().map(|l| l.macs).sum();
    let (params_l, macs_l) = (lit(params), lit(macs));
    let arena = g.chain_arena(&m.body);
    let infer = g.chain_infer(&m.body, quote!(x), quote!(y), quote!(scratch));

    let fnames: Vec<&Ident> = field_list.iter().map(|f| &f.0).collect();
    let ftys: Vec<&TokenStream> = field_list.iter().map(|f| &f.1).collect();
    let param_checks = field_list.iter().map(|(f, lt, _, _, p)| {
        let p = lit(*p);
        let msg = format!("network!: parameter count of `{f}` disagrees with the layer type");
        quote!(const _: () = ::core::assert!(#k::fused::params::<#lt>() == #p, #msg);)
    });

    // Summary.
    let mut rs = Vec::new();
    rows(&m.body, 0, &mut rs);
    let row_toks = rs.iter().map(|(l, f, s, p, mc)| {
        let (p, mc) = (lit(*p), lit(*mc));
        quote!(#k::fused::Row { layer: #l, field: #f, shape: #s, params: #p, macs: #mc })
    });
    let name_s = name.to_string();
    let input_s = m.input.to_string();

    // Training.
    let (fwd, bwd) = g.chain_train(&m.body, quote!(&*x), quote!(&mut *y), quote!(&*y), quote!(dy), quote!(&mut *dx));
    let grad_name = format_ident!("{}Grad", name);
    let cache_name = format_ident!("{}Cache", name);
    let pf: Vec<_> = field_list.iter().filter(|f| f.3).collect();
    let gnames: Vec<&Ident> = pf.iter().map(|f| &f.0).collect();
    let gtys: Vec<TokenStream> = pf
        .iter()
        .map(|(_, lt, li, _, _)| quote!(<#lt as #k::Train<#li>>::Grad))
        .collect();
    let gtrain: Vec<TokenStream> = pf
        .iter()
        .map(|(f, lt, li, _, _)| quote!(<#lt as #k::Train<#li>>::visit_with_grad(&mut self.#f, &g.#f, f);))
        .collect();
    let (cnames, ctys): (Vec<Ident>, Vec<TokenStream>) = g.cache.iter().cloned().unzip();
    let grad_doc = format!("Parameter gradients of [`{name}`], one field per layer with parameters.");
    let cache_doc = format!("What [`{name}`]'s training forward keeps for backward: every activation and its gradient, allocated once per batch size.");

    quote! {
        #(#attrs)*
        #vis struct #name {
            #(#fields)*
        }

        #(#checks)*
        #(#param_checks)*
        const _: () = { #(#k::fused::module::<#ftys>();)* };

        // SAFETY: every field is a dl layer (plain f32 arrays and markers), checked `Zeroable` above.
        unsafe impl #k::Zeroable for #name {}

        impl #k::Module for #name {
            const PARAMS: usize = 0 #(+ #k::fused::params::<#ftys>())*;
            fn init(&mut self, rng: &mut #k::rng::Rng) { #(#k::Module::init(&mut self.#fnames, rng);)* }
            fn visit(&self, f: &mut dyn FnMut(&[f32])) { #(#k::Module::visit(&self.#fnames, f);)* }
            fn visit_mut(&mut self, f: &mut dyn FnMut(&mut [f32])) { #(#k::Module::visit_mut(&mut self.#fnames, f);)* }
        }
        const _: () = ::core::assert!(<#name as #k::Module>::PARAMS == #params_l, "network!: parameter count disagrees with the layer types");

        #[allow(clippy::all)]
        impl #name {
            /// Trainable parameters (computed by `network!`, checked against the layer types).
            pub const PARAMS: usize = #params_l;
            /// Multiply-accumulates per sample (convolutions, transposed convolutions, Linear).
            pub const MACS: usize = #macs_l;
            /// Bytes of the stored weights (parameters and running statistics).
            pub const WEIGHT_BYTES: usize = ::core::mem::size_of::<Self>();
            /// `f32`s of the inference workspace: exactly what [`Layer::infer`](#k::Layer::infer) touches.
            pub const ARENA_LEN: usize = #arena;
            /// Bytes of the inference workspace.
            pub const ARENA_BYTES: usize = Self::ARENA_LEN * 4;
            /// A Keras-style table: layer, output shape, parameters, MACs.
            pub fn summary() -> #k::fused::Summary {
                #k::fused::Summary {
                    name: #name_s,
                    input: #input_s,
                    rows: &[#(#row_toks),*],
                    params: Self::PARAMS,
                    macs: Self::MACS,
                    weight_bytes: Self::WEIGHT_BYTES,
                    arena_bytes: Self::ARENA_BYTES,
                }
            }
        }

        #[allow(clippy::all, unused_variables, unused_braces)]
        impl #k::Layer<#si> for #name {
            type Out = #so;
            const SCRATCH: usize = #name::ARENA_LEN;
            fn infer(&self, x: &[f32], y: &mut [f32], scratch: &mut [f32]) {
                #infer
            }
        }

        #k::fused::if_alloc! {
            #[doc = #grad_doc]
            #vis struct #grad_name {
                #(pub #gnames: #gtys,)*
            }
            // SAFETY: gradients of dl layers are plain f32 arrays.
            unsafe impl #k::Zeroable for #grad_name {}
            impl #k::Module for #grad_name {
                const PARAMS: usize = 0 #(+ <#gtys as #k::Module>::PARAMS)*;
                fn visit(&self, f: &mut dyn FnMut(&[f32])) { #(#k::Module::visit(&self.#gnames, f);)* }
                fn visit_mut(&mut self, f: &mut dyn FnMut(&mut [f32])) { #(#k::Module::visit_mut(&mut self.#gnames, f);)* }
            }

            #[doc = #cache_doc]
            #[derive(Default)]
            #[allow(non_snake_case)]
            #vis struct #cache_name {
                #(#cnames: #ctys,)*
                cols: #k::fused::Vec<f32>,
                dcols: #k::fused::Vec<f32>,
            }

            #[allow(clippy::all, unused_variables, unused_braces)]
            impl #k::Train<#si> for #name {
                type Grad = #grad_name;
                type Cache = #cache_name;
                fn forward_train(&mut self, x: &#k::Batch<#si>, y: &mut #k::Batch<#so>, c: &mut #cache_name) {
                    #fwd
                }
                fn backward(
                    &self,
                    x: &#k::Batch<#si>,
                    y: &#k::Batch<#so>,
                    dy: &#k::Batch<#so>,
                    dx: &mut #k::Batch<#si>,
                    c: &mut #cache_name,
                    g: &mut #grad_name,
                ) {
                    #bwd
                }
                fn visit_with_grad(&mut self, g: &#grad_name, f: &mut dyn FnMut(&mut [f32], &[f32])) {
                    #(#gtrain)*
                }
            }

            impl #name {
                /// The network on the heap, initialised from `seed` (PyTorch's default schemes).
                pub fn new(seed: u64) -> #k::fused::Box<Self> {
                    #k::new_boxed(seed)
                }
            }
        }
    }
}

/// Gives every token of `ts` the span `span`, so a failed check points at the layer.
fn respan(ts: TokenStream, span: Span) -> TokenStream {
    ts.into_iter()
        .map(|mut tt| {
            if let proc_macro2::TokenTree::Group(g) = &tt {
                let mut ng = proc_macro2::Group::new(g.delimiter(), respan(g.stream(), span));
                ng.set_span(span);
                tt = proc_macro2::TokenTree::Group(ng);
            } else {
                tt.set_span(span);
            }
            tt
        })
        .collect()
}

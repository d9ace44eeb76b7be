//! Expansion of a validated network: the struct with typed layer fields, one const check per
//! layer (`L: Layer<In, Out = Out>` with the shapes computed in `validate`), the resource
//! consts, allocation-free fused inference over a two-ended arena, and training forward /
//! backward with typed cache and gradient structs.
use crate::ast::Net;
use crate::validate::{Act, Kind, Leaf, Model, Node, Shape, Win};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, ToTokens};

mod checks;
mod infer;
mod names;
mod summary;
mod train;
mod typed;

use checks::block_checks;
use summary::rows;

struct Gen {
    k: TokenStream,
    /// Training-cache fields: name and type.
    cache: Vec<(Ident, TokenStream)>,
    next: usize,
    /// Spell numbers above 1024 as `Prod<Ua, Ub>` (field types, for the docs) rather than in
    /// binary.
    readable: bool,
    /// Set while planning the network's own list: its first op may be asked for no `dx`
    /// (`__want_dx` false in the generated backward), which a convolution or `Linear` then
    /// skips; taken by that op, so lists inside blocks never see it.
    top_dx: bool,
}

fn lit(n: u64) -> TokenStream {
    proc_macro2::Literal::u64_unsuffixed(n).to_token_stream()
}

/// `[a, b]` (or `[a, b, c, d]`) as an array expression of literals.
fn lits(v: &[u64]) -> TokenStream {
    let v = v.iter().map(|&x| lit(x));
    quote!([#(#v),*])
}

/// `fused::geom(c, h, w, k, s, p, d)` of a convolution window on a `c×h×w` input.
fn geom(k: &TokenStream, c: u64, h: u64, w: u64, win: &Win) -> TokenStream {
    let (c, h, w) = (lit(c), lit(h), lit(w));
    let (kk, s, p, d) = (lits(&win.k), lits(&win.s), lits(&win.p), lits(&win.d));
    quote!(#k::fused::geom(#c, #h, #w, #kk, #s, #p, #d))
}

/// A BatchNorm's ε parameter: nothing for PyTorch's default 1e-5, else `, Eps<M, E>` (M·10⁻ᴱ).
fn eps_arg(g: &Gen, (m, e): (u64, u32)) -> Option<TokenStream> {
    ((m, e) != (1, 5)).then(|| {
        let (k, m, e) = (&g.k, g.num(m), g.num(u64::from(e)));
        quote!(, #k::Eps<#m, #e>)
    })
}

impl Gen {
    /// A type-level number.
    fn num(&self, n: u64) -> TokenStream {
        let k = &self.k;
        if n <= 1024 {
            let u = format_ident!("U{}", n);
            quote!(#k::consts::#u)
        } else if let Some(t) = self.readable.then(|| typed::product(k, n)).flatten() {
            t
        } else {
            // typenum names constants up to 1024; above, spell the binary form.
            let bit = if n & 1 == 1 {
                quote!(#k::typenum::B1)
            } else {
                quote!(#k::typenum::B0)
            };
            let hi = if n >> 1 == 0 {
                quote!(#k::typenum::UTerm)
            } else {
                self.num(n >> 1)
            };
            quote!(#k::typenum::UInt<#hi, #bit>)
        }
    }
    /// A per-axis hyper-parameter: `U3` when both axes agree, else `(Uh, Uw)`.
    fn axes(&self, v: [u64; 2]) -> TokenStream {
        let (h, w) = (self.num(v[0]), self.num(v[1]));
        if v[0] == v[1] {
            h
        } else {
            quote!((#h, #w))
        }
    }
    /// A window's `K, S, P, D` type arguments; the padding `Same`, `U1`, `(Uh, Uw)` or
    /// `(Top, Bottom, Left, Right)`.
    fn window(&self, w: &Win, dilation: bool) -> TokenStream {
        let k = &self.k;
        let (kk, s) = (self.axes(w.k), self.axes(w.s));
        let [t, b, l, r] = w.p;
        let p = if w.same {
            quote!(#k::Same)
        } else if t == b && l == r {
            self.axes([t, l])
        } else {
            let (t, b, l, r) = (self.num(t), self.num(b), self.num(l), self.num(r));
            quote!((#t, #b, #l, #r))
        };
        if dilation {
            let d = self.axes(w.d);
            quote!(#kk, #s, #p, #d)
        } else {
            quote!(#kk, #s, #p)
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
            Act::ReLU6 => quote!(#k::layers::activation::fns::ReLU6),
            Act::Sigmoid => quote!(#k::layers::activation::fns::Sigmoid),
            Act::Tanh => quote!(#k::layers::activation::fns::Tanh),
            Act::Leaky(neg, n, d) => {
                let (n, d) = (self.num(n), self.num(d));
                let n = if neg {
                    quote!(#k::typenum::NInt<#n>)
                } else {
                    n
                };
                quote!(#k::layers::activation::fns::LeakyReLU<#n, #d>)
            }
        }
    }
    /// The dl-core type of a layer.
    fn layer_ty(&self, kind: &Kind) -> TokenStream {
        let k = &self.k;
        let n = |v: u64| self.num(v);
        match *kind {
            Kind::Conv { i, o, win, bias, g } => {
                let (i, o, w) = (n(i), n(o), self.window(&win, true));
                if g != 1 {
                    let b = if bias {
                        quote!(#k::layers::conv::Bias)
                    } else {
                        quote!(#k::layers::conv::NoBias)
                    };
                    let g = n(g);
                    quote!(#k::Conv2d<#i, #o, #w, #b, #g>)
                } else if bias {
                    quote!(#k::Conv2d<#i, #o, #w>)
                } else {
                    quote!(#k::Conv2d<#i, #o, #w, #k::layers::conv::NoBias>)
                }
            }
            Kind::ConvT {
                i,
                o,
                k: kk,
                s,
                p,
                d,
                op,
                bias,
            } => {
                let (i, o, kk, s, p, d, op) = (n(i), n(o), n(kk), n(s), n(p), n(d), n(op));
                if bias {
                    quote!(#k::ConvTranspose2d<#i, #o, #kk, #s, #p, #d, #op>)
                } else {
                    let nb = quote!(#k::layers::conv::NoBias);
                    quote!(#k::ConvTranspose2d<#i, #o, #kk, #s, #p, #d, #op, #nb>)
                }
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
            Kind::MaxPool { win, ceil } => {
                let w = self.window(&win, true);
                let m = ceil.then(|| quote!(, #k::Ceil));
                quote!(#k::MaxPool2d<#w #m>)
            }
            Kind::AvgPool { win, ceil } => {
                let w = self.window(&win, false);
                let m = ceil.then(|| quote!(, #k::Ceil));
                quote!(#k::AvgPool2d<#w #m>)
            }
            Kind::GlobalAvgPool => quote!(#k::GlobalAvgPool2d),
            Kind::Bn2d { c, eps } => {
                let (c, e) = (n(c), eps_arg(self, eps));
                quote!(#k::BatchNorm2d<#c #e>)
            }
            Kind::Bn1d { n: f, eps } => {
                let (f, e) = (n(f), eps_arg(self, eps));
                quote!(#k::BatchNorm1d<#f #e>)
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

/// A shape as `(C, H, W)`: a vector `[N]` is `[1, 1, N]` (for the crop-add of a skip link).
fn dims3(s: Shape) -> (u64, u64, u64) {
    match s {
        Shape::Vec(n) => (1, 1, n),
        Shape::Map(c, h, w) => (c, h, w),
    }
}

/// Emitted where a layer's shapes are not those the validator gave it: a bug in `network!`,
/// reported rather than compiled into code that silently computes something else.
fn unreachable_shape() -> TokenStream {
    quote!(::core::compile_error!(
        "network!: internal error: a layer's computed shape does not fit its kind; please report"
    );)
}

fn has_params(kind: &Kind) -> bool {
    matches!(
        kind,
        Kind::Conv { .. }
            | Kind::Linear { .. }
            | Kind::ConvT { .. }
            | Kind::Bn2d { .. }
            | Kind::Bn1d { .. }
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
        Node::Leaf(Leaf {
            kind: Kind::Act(a), ..
        }) => Some(*a),
        _ => None,
    }
}

/// Groups a list into ops. Inference: every activation runs in place on the op before it.
/// Training: one activation in place after Conv2d/Linear/blocks, whose backward does not read
/// their own output (the activation's derivative is computed from its output, so not a
/// LeakyReLU with a negative slope, whose output does not tell the input's sign).
fn group<'a>(nodes: &'a [Node], train: bool) -> Vec<Op<'a>> {
    let mut ops: Vec<Op> = Vec::new();
    for n in nodes {
        if let (Some(a), Some(last)) = (act_of(n), ops.last_mut()) {
            let fusable = !train
                || (last.posts.is_empty()
                    && !matches!(a, Act::Leaky(true, ..))
                    && match last.node {
                        Node::Leaf(l) => {
                            matches!(l.kind, Kind::Conv { g: 1, .. } | Kind::Linear { .. })
                        }
                        _ => true,
                    });
            if fusable {
                last.posts.push(a);
                continue;
            }
        }
        if let (
            false,
            Node::Leaf(
                b @ Leaf {
                    kind: Kind::Bn2d { .. },
                    ..
                },
            ),
            Some(last),
        ) = (train, n, ops.last_mut())
        {
            if last.posts.is_empty()
                && last.bn.is_none()
                && matches!(
                    last.node,
                    Node::Leaf(Leaf {
                        kind: Kind::Conv { .. },
                        ..
                    })
                )
            {
                last.bn = Some(b);
                continue;
            }
        }
        // Inference: ReLUs before a max-pool run after it, on a quarter of the values (for
        // 2×2): ReLU is non-decreasing, sends everything ≤ 0 to +0 and keeps NaNs, so the
        // maximum of the ReLUs is the ReLU of the maximum, to the bit.
        let posts = match (train, n, ops.last_mut()) {
            (
                false,
                Node::Leaf(Leaf {
                    kind: Kind::MaxPool { win, ceil: false },
                    ..
                }),
                Some(last),
            ) if win.plain() && last.posts.iter().all(|a| matches!(a, Act::ReLU)) => {
                core::mem::take(&mut last.posts)
            }
            _ => Vec::new(),
        };
        ops.push(Op {
            node: n,
            bn: None,
            posts,
            u: 0,
        });
    }
    ops
}

// ---------------------------------------------------------------- the whole network

pub fn expand(net: &Net, m: &Model) -> TokenStream {
    let k = net
        .krate
        .as_ref()
        .map_or_else(|| quote!(::dl), |p| p.to_token_stream());
    let mut g = Gen {
        k: k.clone(),
        cache: Vec::new(),
        next: 0,
        readable: false,
        top_dx: false,
    };
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
    let mut batch_checks = Vec::new();
    for l in &all {
        let lt = g.layer_ty(&l.kind);
        let (li, lo) = (g.shape(l.input), g.shape(l.output));
        let span = crate::ast::first_span(&l.tokens);
        checks.push(respan(
            quote!(const _: () = #k::fused::check::<#li, #lo, #lt>();),
            span,
        ));
        if let Some(f) = &l.field {
            let doc = format!("`{}`: {} → {}", l.desc, l.input, l.output);
            g.readable = true;
            let shown = g.layer_ty(&l.kind);
            g.readable = false;
            fields.push(quote!(#[doc = #doc] pub #f: #shown,));
            if matches!(l.kind, Kind::Bn1d { .. } | Kind::Bn2d { .. }) {
                // the layers whose training batch can be too small (one value per channel)
                let fs = f.to_string();
                batch_checks.push(quote!(
                    <#lt as #k::Train<#li>>::check_train_batch(&self.#f, n).map_err(|mut e| {
                        e.at = Some(#k::guard::At::Field(#fs));
                        e
                    })?;
                ));
            }
            field_list.push((f.clone(), lt, li, has_params(&l.kind), l.params));
        }
    }
    block_checks(&g, &m.body, &mut checks);

    let params: u64 = all.iter().map(|l| l.params).sum();
    let macs: u64 = all.iter().map(|l| l.macs).sum();
    // BatchNorm's running mean and variance: stored with the weights, not trained.
    let buffers: u64 = all
        .iter()
        .map(|l| match l.kind {
            Kind::Bn2d { c, .. } => 2 * c,
            Kind::Bn1d { n, .. } => 2 * n,
            _ => 0,
        })
        .sum();
    let (params_l, macs_l, weight_bytes_l) = (lit(params), lit(macs), lit(4 * (params + buffers)));
    let arena = g.chain_arena(&m.body, false);
    let infer = g.chain_infer(
        &m.body,
        m.input,
        quote!(x),
        quote!(y),
        quote!(scratch),
        false,
    );
    let place = g.place_entry(name, m, true);
    let infer_batch = g.chain_infer_batch(&m.body);

    let fnames: Vec<&Ident> = field_list.iter().map(|f| &f.0).collect();
    let ftys: Vec<&TokenStream> = field_list.iter().map(|f| &f.1).collect();
    let param_checks = field_list.iter().map(|(f, lt, _, _, p)| {
        let p = lit(*p);
        let msg = format!("network!: parameter count of `{f}` disagrees with the layer type");
        quote!(
            const _: () = ::core::assert!(#k::fused::params::<#lt>() == #p, #msg);
        )
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
    let named = names::named_impl(&k, name, &m.body);

    let typed = typed::typed_entry(&g, net, m);
    let shape_doc = typed::shape_doc(net, m, &rs);
    // Training.
    g.top_dx = true;
    let (fwd, bwd) = g.chain_train(
        &m.body,
        quote!(&*x),
        quote!(&mut *y),
        quote!(&*y),
        quote!(dy),
        quote!(&mut *__dxo),
    );
    g.top_dx = false;
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
    let grad_doc =
        format!("Parameter gradients of [`{name}`], one field per layer with parameters.");
    let cache_doc = format!("What [`{name}`]'s training forward keeps for backward: every activation and its gradient, allocated once per batch size.");

    quote! {
        #(#attrs)*
        #shape_doc
        #[repr(C)]
        #vis struct #name {
            #(#fields)*
        }

        #(#checks)*
        #(#param_checks)*
        const _: () = { #(#k::fused::module::<#ftys>();)* };

        // SAFETY: every field is a dl layer (plain f32 arrays and markers), checked `Zeroable` above.
        unsafe impl #k::Zeroable for #name {}
        const _: () = { #(#k::fused::pod::<#ftys>();)* };
        // SAFETY: `#[repr(C)]` and every field `Pod` (checked above): 4-byte-multiple plain data
        // with alignment ≤ 4, so no padding.
        unsafe impl #k::Pod for #name {}

        impl #k::Module for #name {
            const PARAMS: usize = 0 #(+ #k::fused::params::<#ftys>())*;
            fn init(&mut self, rng: &mut #k::rng::Rng) { #(#k::Module::init(&mut self.#fnames, rng);)* }
            fn visit(&self, f: &mut dyn FnMut(&[f32])) { #(#k::Module::visit(&self.#fnames, f);)* }
            fn visit_mut(&mut self, f: &mut dyn FnMut(&mut [f32])) { #(#k::Module::visit_mut(&mut self.#fnames, f);)* }
            fn visit_buffers(&self, f: &mut dyn FnMut(&[f32])) { #(#k::Module::visit_buffers(&self.#fnames, f);)* }
            fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(&mut [f32])) { #(#k::Module::visit_buffers_mut(&mut self.#fnames, f);)* }
            fn visit_generators(&self, f: &mut dyn FnMut(&#k::rng::Rng)) { #(#k::Module::visit_generators(&self.#fnames, f);)* }
            fn visit_generators_mut(&mut self, f: &mut dyn FnMut(&mut #k::rng::Rng)) { #(#k::Module::visit_generators_mut(&mut self.#fnames, f);)* }
        }
        const _: () = ::core::assert!(<#name as #k::Module>::PARAMS == #params_l, "network!: parameter count disagrees with the layer types");
        #named

        #[allow(clippy::all)]
        impl #name {
            /// Trainable parameters (computed by `network!`, checked against the layer types).
            pub const PARAMS: usize = #params_l;
            /// Multiply-accumulates per sample (convolutions, transposed convolutions, Linear).
            pub const MACS: usize = #macs_l;
            /// Bytes of the stored weights: 4 per parameter and per BatchNorm running statistic,
            /// the length of the raw weight file [`io::load_raw`](#k::io::load_raw) reads.
            pub const WEIGHT_BYTES: usize = #weight_bytes_l;
            /// Bytes of the struct itself: the weights plus any per-layer state (a Dropout's
            /// random generator), what a copy of the network takes in RAM.
            pub const STRUCT_BYTES: usize = ::core::mem::size_of::<Self>();
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

        #typed
        #place

        #[allow(clippy::all, unused_variables, unused_braces)]
        #[doc(hidden)] // rustdoc would spell its typenum arguments in binary: see "Shapes"
        impl #k::Layer<#si> for #name {
            type Out = #so;
            const SCRATCH: usize = #name::ARENA_LEN;
            fn infer(&self, x: &[f32], y: &mut [f32], scratch: &mut [f32]) {
                #infer
            }
            #infer_batch
        }
        // It can be a link of a hand-composed `Seq` (its own checks ran inside).
        impl<const AT: usize> #k::link::LinkFits<#si, AT> for #name {}

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
                work: #k::fused::Work,
                /// The input gradient nobody asked for, of a first op that computes it anyway.
                __dx0: #k::Batch<#si>,
            }

            #[allow(clippy::all, unused_variables, unused_braces)]
            #[doc(hidden)]
            impl #k::Train<#si> for #name {
                type Grad = #grad_name;
                type Cache = #cache_name;
                fn forward_train(&mut self, x: &#k::Batch<#si>, y: &mut #k::Batch<#so>, c: &mut #cache_name) {
                    #fwd
                }
                fn check_train_batch(&self, n: usize) -> Result<(), #k::guard::TrainBatchError> {
                    #(#batch_checks)*
                    Ok(())
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
                    self.__backward(x, y, dy, Some(dx), c, g)
                }
                fn backward_params(
                    &self,
                    x: &#k::Batch<#si>,
                    y: &#k::Batch<#so>,
                    dy: &#k::Batch<#so>,
                    c: &mut #cache_name,
                    g: &mut #grad_name,
                ) {
                    self.__backward(x, y, dy, None, c, g)
                }
                fn visit_with_grad(&mut self, g: &#grad_name, f: &mut dyn FnMut(&mut [f32], &[f32])) {
                    #(#gtrain)*
                }
            }

            #[allow(clippy::all, unused_variables, unused_braces)]
            impl #name {
                /// `Train::backward` with `dx`, or without (`None`: the first op skips its `dx`
                /// where it can, else writes it into the cache's `__dx0`).
                #[doc(hidden)]
                fn __backward(
                    &self,
                    x: &#k::Batch<#si>,
                    y: &#k::Batch<#so>,
                    dy: &#k::Batch<#so>,
                    dx: Option<&mut #k::Batch<#si>>,
                    c: &mut #cache_name,
                    g: &mut #grad_name,
                ) {
                    #k::guard::assert_batches(x.len(), y.len(), dy.len());
                    let __want_dx = dx.is_some();
                    let __dxo: &mut #k::Batch<#si> = match dx {
                        Some(d) => d,
                        None => &mut c.__dx0,
                    };
                    #bwd
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

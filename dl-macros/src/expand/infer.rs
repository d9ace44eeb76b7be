//! Inference: allocation-free, intermediates at the two ends of one arena, each op's scratch
//! between them; activations (and a following BatchNorm2d) applied in place on each output row.
use super::*;

impl Gen {
    pub(super) fn posts(&self, posts: &[Act], y: TokenStream) -> TokenStream {
        let k = &self.k;
        let calls = posts.iter().map(|a| {
            let f = self.act_fn(*a);
            quote!(#k::fused::act::<#f>(#y);)
        });
        quote!(#(#calls)*)
    }

    /// The arena (f32 count) a list needs, as a const expression. `direct`: the in-place plan,
    /// where a convolution takes no scratch of its own (it runs the direct kernel when the
    /// arena left between its input and output cannot hold its fast kernel's scratch).
    pub(super) fn chain_arena(&self, nodes: &[Node], direct: bool) -> TokenStream {
        let ops = group(nodes, false);
        let k = &self.k;
        let n = ops.len();
        if n == 0 {
            return quote!(0usize);
        }
        if n == 1 {
            return self.op_arena(&ops[0], direct);
        }
        let sz = |i: usize| lit(ops[i].node.output().numel());
        let mut terms = Vec::new();
        for (j, op) in ops.iter().enumerate() {
            let a = self.op_arena(op, direct);
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

    pub(super) fn op_arena(&self, op: &Op, direct: bool) -> TokenStream {
        let k = &self.k;
        match op.node {
            Node::Leaf(l) => match l.kind {
                Kind::Conv {
                    i,
                    o,
                    win,
                    g: groups,
                    ..
                } => {
                    let Shape::Map(_, h, w) = l.input else {
                        return quote!(0usize);
                    };
                    if direct {
                        return quote!(0usize);
                    }
                    let (g, o) = (geom(k, i, h, w, &win), lit(o));
                    if groups != 1 {
                        let groups = lit(groups);
                        return quote!(#k::fused::grouped_scratch(#g, #o, #groups));
                    }
                    quote!(#k::fused::conv_scratch(#g, #o))
                }
                Kind::Linear { .. } | Kind::Act(_) => quote!(0usize),
                _ => {
                    let (si, lt) = (self.shape(l.input), self.layer_ty(&l.kind));
                    quote!(#k::fused::scratch::<#si, #lt>())
                }
            },
            Node::Residual {
                body,
                shortcut,
                output,
                ..
            } => {
                let b = self.chain_arena(body, direct);
                match shortcut {
                    None => b,
                    Some(s) => {
                        let (sa, no) = (self.chain_arena(s, direct), lit(output.numel()));
                        quote!(#k::fused::max_of(&[#b, #no + #sa]))
                    }
                }
            }
            Node::Concat { branches, .. } => {
                let t = branches.iter().map(|b| self.chain_arena(b, direct));
                quote!(#k::fused::max_of(&[#(#t),*]))
            }
            Node::Skip {
                body,
                branch,
                branch_out,
                ..
            } => {
                let b = self.chain_arena(body, direct);
                if branch.is_empty() {
                    b
                } else {
                    let (ba, no) = (self.chain_arena(branch, direct), lit(branch_out.numel()));
                    quote!(#k::fused::max_of(&[#b, #no + #ba]))
                }
            }
        }
    }

    /// Inference of a list from `input`: `x` (`&[f32]`) to `y` (`&mut [f32]`), intermediates at the two ends
    /// of `arena`, each op's scratch between them (`direct`: the in-place plan, see
    /// [`chain_arena`](Self::chain_arena)).
    pub(super) fn chain_infer(
        &self,
        nodes: &[Node],
        input: Shape,
        x: TokenStream,
        y: TokenStream,
        arena: TokenStream,
        direct: bool,
    ) -> TokenStream {
        let ops = group(nodes, false);
        let n = ops.len();
        if n == 0 {
            // an empty list (`residual { }`, a `{ }` concat branch): the identity
            let len = lit(input.numel());
            return quote! {{
                let __x: &[f32] = #x;
                let __y: &mut [f32] = #y;
                __y[..#len].copy_from_slice(&__x[..#len]);
            }};
        }
        if n == 1 {
            return self.op_infer(&ops[0], x, y, arena, direct);
        }
        let sz = |i: usize| lit(ops[i].node.output().numel());
        let mut steps = Vec::new();
        for (j, op) in ops.iter().enumerate() {
            let step = if j == 0 {
                let s = sz(0);
                let call = self.op_infer(op, quote!(__x), quote!(__out), quote!(__scr), direct);
                quote! {{ let (__out, __scr) = __arena.split_at_mut(#s); #call }}
            } else if j + 1 == n {
                let s = sz(j - 1);
                let call = self.op_infer(
                    op,
                    quote!(&*__inp),
                    quote!(&mut *__y),
                    quote!(__scr),
                    direct,
                );
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
                let call = self.op_infer(op, quote!(&*__inp), quote!(__out), quote!(__scr), direct);
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

    pub(super) fn op_infer(
        &self,
        op: &Op,
        x: TokenStream,
        y: TokenStream,
        scr: TokenStream,
        direct: bool,
    ) -> TokenStream {
        let k = &self.k;
        let on = lit(op.node.output().numel());
        let inn = lit(op.node.input().numel());
        let posts = self.posts(&op.posts, quote!(&mut *__row));
        let posts_y = self.posts(&op.posts, quote!(&mut __y[..#on]));
        let body = match op.node {
            Node::Leaf(l) => {
                let f = l.field.as_ref();
                match l.kind {
                    Kind::Conv {
                        i, win, g: groups, ..
                    } => {
                        let Shape::Map(_, h, w) = l.input else {
                            return unreachable_shape();
                        };
                        let g = geom(k, i, h, w, &win);
                        let (conv, garg) = if direct {
                            let groups = lit(groups);
                            (quote!(#k::fused::conv_fit), quote!(#groups,))
                        } else if groups == 1 {
                            (quote!(#k::fused::conv2d_infer), quote!())
                        } else {
                            let groups = lit(groups);
                            (quote!(#k::fused::grouped_infer), quote!(#groups,))
                        };
                        let fold = op.bn.map(|b| {
                            let bf = b.field.as_ref();
                            let bt = self.layer_ty(&b.kind);
                            quote!(#k::fused::bn_fold(&mut *__row, _o, &self.#bf.weight, &self.#bf.bias,
                                &self.#bf.running_mean, &self.#bf.running_var, <#bt>::EPS);)
                        });
                        quote! {
                            const __G: #k::kernels::im2col::Geom = #g;
                            #conv(&self.#f.weight, &self.#f.bias, &__G, #garg &__x[..#inn], &mut __y[..#on], __scr,
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
                    Kind::MaxPool { win, ceil: false } if win.plain() => {
                        let (Shape::Map(c, h, w), Shape::Map(_, oh, ow)) = (l.input, l.output)
                        else {
                            return unreachable_shape();
                        };
                        let (c, h, w, kk, s, oh, ow) = (
                            lit(c),
                            lit(h),
                            lit(w),
                            lits(&win.k),
                            lits(&win.s),
                            lit(oh),
                            lit(ow),
                        );
                        // non-overlapping square windows: the vector kernel the hand
                        // `MaxPool2d` runs (the same maximum, NaN included)
                        let square = win.k[0] == win.k[1] && win.s == win.k;
                        let pool = if square {
                            let kk = lit(win.k[0]);
                            quote!(#k::kernels::maxpool::max_pool_k(&__x[..#inn], [#c, #h, #w], #kk,
                                [#oh, #ow], &mut __y[..#on], &mut []))
                        } else {
                            quote!(#k::fused::max_pool(#c, #h, #w, #kk, #s, #oh, #ow, &__x[..#inn], &mut __y[..#on]))
                        };
                        quote! {
                            #pool;
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
                let i = op.node.input();
                let b = self.chain_infer(
                    body,
                    i,
                    quote!(__x),
                    quote!(&mut *__y),
                    quote!(&mut *__scr),
                    direct,
                );
                let add = match shortcut {
                    None => quote!(#k::fused::add(&mut __y[..#on], &__x[..#on]);),
                    Some(s) => {
                        let sc = self.chain_infer(
                            s,
                            i,
                            quote!(__x),
                            quote!(&mut *__t),
                            quote!(__rest),
                            direct,
                        );
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
                    self.chain_infer(
                        b,
                        op.node.input(),
                        quote!(__x),
                        quote!(&mut __y[#lo..#hi]),
                        quote!(&mut *__scr),
                        direct,
                    )
                });
                quote! { #(#parts)* #posts_y }
            }
            Node::Skip {
                body,
                branch,
                top,
                left,
                branch_out,
                output,
                ..
            } => {
                let b = self.chain_infer(
                    body,
                    op.node.input(),
                    quote!(__x),
                    quote!(&mut *__y),
                    quote!(&mut *__scr),
                    direct,
                );
                // a vector `[N]` adds as the map `[1, 1, N]` (no crop: the validator checked it)
                let ((c, th, tw), (_, h, w)) = (dims3(*branch_out), dims3(*output));
                let (c, th, tw, h, w, top, left) = (
                    lit(c),
                    lit(th),
                    lit(tw),
                    lit(h),
                    lit(w),
                    lit(*top),
                    lit(*left),
                );
                let tn = lit(branch_out.numel());
                if branch.is_empty() {
                    quote! {
                        #b
                        #k::fused::crop_add(&mut __y[..#on], &__x[..#tn], #c, #th, #tw, #h, #w, #top, #left);
                        #posts_y
                    }
                } else {
                    let br = self.chain_infer(
                        branch,
                        op.node.input(),
                        quote!(__x),
                        quote!(&mut *__t),
                        quote!(__rest),
                        direct,
                    );
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
    /// `Layer::infer_batch` of a network's top-level list (the method): op by op over all `__n`
    /// samples of `__bx` into `__by`, intermediates in two batch-sized buffers; a one-group
    /// convolution runs [`conv2d_infer_batch`] (Winograd over the batch where it applies), a
    /// Linear one product over the batch, every other op sample by sample on its `infer`.
    pub(super) fn chain_infer_batch(&self, nodes: &[Node]) -> TokenStream {
        let ops = group(nodes, false);
        let k = &self.k;
        let n = ops.len();
        if n == 0 {
            return quote!(); // the identity: the default (sample by sample) is as good
        }
        let mid = lit(ops[..n - 1]
            .iter()
            .map(|o| o.node.output().numel())
            .max()
            .unwrap_or(0));
        let mut steps = Vec::new();
        for (j, op) in ops.iter().enumerate() {
            let inp = match j {
                0 => quote!(&__bx[..]),
                _ if (j - 1) % 2 == 0 => quote!(&__bufs.a[..]),
                _ => quote!(&__bufs.b[..]),
            };
            let out = match j {
                _ if j + 1 == n => quote!(&mut __by[..]),
                _ if j % 2 == 0 => quote!(&mut __bufs.a[..]),
                _ => quote!(&mut __bufs.b[..]),
            };
            steps.push(self.op_infer_batch(op, inp, out));
        }
        quote! {
            #k::fused::if_alloc! {
                fn infer_batch(&self, __n: usize, __bx: &[f32], __by: &mut [f32]) {
                    let mut __bufs = #k::fused::BatchBufs::take();
                    #k::fused::reserve(&mut __bufs.a, __n * #mid);
                    #k::fused::reserve(&mut __bufs.b, __n * #mid);
                    #(#steps)*
                    __bufs.give();
                }
            }
        }
    }

    /// One op of [`chain_infer_batch`](Self::chain_infer_batch), `x` to `y` over `__n` samples.
    fn op_infer_batch(&self, op: &Op, x: TokenStream, y: TokenStream) -> TokenStream {
        let k = &self.k;
        let (on, inn) = (lit(op.node.output().numel()), lit(op.node.input().numel()));
        let posts = self.posts(&op.posts, quote!(&mut *__row));
        let call = match op.node {
            Node::Leaf(l) => {
                let f = l.field.as_ref();
                match l.kind {
                    Kind::Conv { g: 1, .. } if op.posts.is_empty() && op.bn.is_none() => {
                        // nothing to fuse: the layer's own batch kernel, the very code a hand
                        // chain runs
                        let lt = self.layer_ty(&l.kind);
                        let si = self.shape(l.input);
                        Some(quote! {
                            <#lt as #k::Layer<#si>>::infer_batch(&self.#f, __n,
                                &__x[..__n * #inn], &mut __y[..__n * #on]);
                        })
                    }
                    Kind::Conv { i, win, g: 1, .. } => {
                        let Shape::Map(_, h, w) = l.input else {
                            return unreachable_shape();
                        };
                        let g = geom(k, i, h, w, &win);
                        let fold = op.bn.map(|b| {
                            let bf = b.field.as_ref();
                            let bt = self.layer_ty(&b.kind);
                            quote!(#k::fused::bn_fold(&mut *__row, _o, &self.#bf.weight, &self.#bf.bias,
                                &self.#bf.running_mean, &self.#bf.running_var, <#bt>::EPS);)
                        });
                        Some(quote! {
                            const __G: #k::kernels::im2col::Geom = #g;
                            #k::fused::conv2d_infer_batch(&self.#f.weight, &self.#f.bias, &__G, __n,
                                &__x[..__n * #inn], &mut __y[..__n * #on], &mut __bufs.s,
                                |_o: usize, __row: &mut [f32]| { #fold #posts });
                        })
                    }
                    Kind::Linear { .. } => Some(quote! {
                        #k::fused::linear_infer_batch(&self.#f.weight, &self.#f.bias, __n,
                            &__x[..__n * #inn], &mut __y[..__n * #on], &mut __bufs.s,
                            |_o: usize, __row: &mut [f32]| { #posts });
                    }),
                    _ => None,
                }
            }
            _ => None,
        };
        let body = call.unwrap_or_else(|| {
            let arena = self.op_arena(op, false);
            let one = self.op_infer(
                op,
                quote!(&__x[__i * #inn..][..#inn]),
                quote!(&mut __y[__i * #on..][..#on]),
                quote!(&mut __bufs.s[..]),
                false,
            );
            quote! {
                #k::fused::reserve(&mut __bufs.s, #arena);
                for __i in 0..__n { #one }
            }
        });
        quote! {{
            let __x: &[f32] = #x;
            let __y: &mut [f32] = #y;
            #body
        }}
    }

    /// The in-place plan of the whole network (`direct`: convolutions take no scratch of their
    /// own): the sample at the back of the arena, op `j`'s output at the front (`j` even) or
    /// the back (`j` odd), so op `j` reads one end, writes the other and gets the middle as
    /// scratch. Returns the arena length (f32s, a const expression), the inference steps over
    /// `__arena` and whether the output ends at the front.
    fn place_plan(
        &self,
        nodes: &[Node],
        input: Shape,
        direct: bool,
    ) -> (TokenStream, TokenStream, bool) {
        let ops = group(nodes, false);
        let k = &self.k;
        if ops.is_empty() {
            return (lit(input.numel()), quote!(), false);
        }
        let size = |j: usize| {
            if j == 0 {
                input.numel()
            } else {
                ops[j - 1].node.output().numel()
            }
        };
        let (mut terms, mut steps) = (Vec::new(), Vec::new());
        for (j, op) in ops.iter().enumerate() {
            let (si, so) = (lit(size(j)), lit(op.node.output().numel()));
            let a = self.op_arena(op, direct);
            terms.push(quote!(#si + #so + #a));
            let call = self.op_infer(op, quote!(&*__inp), quote!(__out), quote!(__scr), direct);
            steps.push(if j % 2 == 0 {
                quote! {{
                    let (__out, __rest) = __arena.split_at_mut(#so);
                    let __l = __rest.len();
                    let (__scr, __inp) = __rest.split_at_mut(__l - #si);
                    #call
                }}
            } else {
                quote! {{
                    let (__inp, __rest) = __arena.split_at_mut(#si);
                    let __l = __rest.len();
                    let (__scr, __out) = __rest.split_at_mut(__l - #so);
                    #call
                }}
            });
        }
        let len = quote!(#k::fused::max_of(&[#(#terms),*]));
        (len, quote!(#(#steps)*), !ops.len().is_multiple_of(2))
    }

    /// `IN_PLACE_LEN`, `input_mut` and `infer_in_place` of network `name`.
    pub(super) fn place_entry(&self, name: &Ident, m: &Model, direct: bool) -> TokenStream {
        let (len, steps, front) = self.place_plan(&m.body, m.input, direct);
        let (il, ol) = (lit(m.input.numel()), lit(m.output.numel()));
        let out = if front {
            quote!(arena.first_chunk::<#ol>())
        } else {
            quote!(arena.last_chunk::<#ol>())
        };
        let len_doc = format!(
            "`f32`s of the in-place arena of [`infer_in_place`](Self::infer_in_place): \
             everything one inference touches — the {} input, every intermediate, the {} \
             output and any scratch. The sample is written into it \
             ([`input_mut`](Self::input_mut)) and the output read from it; nothing else is \
             needed (compare `ARENA_LEN + IN_LEN + OUT_LEN` for `Layer::infer`, whose input \
             and output are separate buffers). Each layer reads one end and writes the other; \
             a convolution whose fast kernel's scratch does not fit between them runs a direct \
             kernel that needs none.",
            m.input, m.output
        );
        quote! {
            #[allow(clippy::all, unused_variables, unused_braces)]
            impl #name {
                #[doc = #len_doc]
                pub const IN_PLACE_LEN: usize = #len;
                /// Bytes of the in-place arena (`IN_PLACE_LEN · 4`).
                pub const IN_PLACE_BYTES: usize = Self::IN_PLACE_LEN * 4;
                /// The place of the input sample in an in-place arena (its last `IN_LEN`
                /// floats, `[C, H, W]` order): write the sample here, then call
                /// [`infer_in_place`](Self::infer_in_place). Inference overwrites it.
                pub fn input_mut(arena: &mut [f32; #name::IN_PLACE_LEN]) -> &mut [f32; #il] {
                    match arena.last_chunk_mut::<#il>() {
                        Some(x) => x,
                        None => unreachable!(),
                    }
                }
                /// Inference of the sample in [`input_mut`](Self::input_mut)`(arena)` inside
                /// `arena` alone (no other buffer, no allocation, no copy of the input);
                /// returns the output, which lives in the arena. The same values as
                /// [`infer_into`](Self::infer_into) — bit for bit, unless a convolution ran
                /// the direct kernel (see [`IN_PLACE_LEN`](Self::IN_PLACE_LEN)), which differs
                /// in rounding only.
                pub fn infer_in_place<'a>(
                    &self,
                    arena: &'a mut [f32; #name::IN_PLACE_LEN],
                ) -> &'a [f32; #ol] {
                    {
                        let __arena: &mut [f32] = &mut arena[..];
                        #steps
                    }
                    match #out {
                        Some(y) => y,
                        None => unreachable!(),
                    }
                }
            }
        }
    }
}

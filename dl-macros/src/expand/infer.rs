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

    /// The arena (f32 count) a list needs, as a const expression.
    pub(super) fn chain_arena(&self, nodes: &[Node]) -> TokenStream {
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

    pub(super) fn op_arena(&self, op: &Op) -> TokenStream {
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
            Node::Skip {
                body,
                branch,
                branch_out,
                ..
            } => {
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

    /// Inference of a list from `input`: `x` (`&[f32]`) to `y` (`&mut [f32]`), intermediates at the two ends
    /// of `arena`, each op's scratch between them.
    pub(super) fn chain_infer(
        &self,
        nodes: &[Node],
        input: Shape,
        x: TokenStream,
        y: TokenStream,
        arena: TokenStream,
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

    pub(super) fn op_infer(
        &self,
        op: &Op,
        x: TokenStream,
        y: TokenStream,
        scr: TokenStream,
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
                        let (conv, garg) = if groups == 1 {
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
                        quote! {
                            #k::fused::max_pool(#c, #h, #w, #kk, #s, #oh, #ow, &__x[..#inn], &mut __y[..#on]);
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
                let b =
                    self.chain_infer(body, i, quote!(__x), quote!(&mut *__y), quote!(&mut *__scr));
                let add = match shortcut {
                    None => quote!(#k::fused::add(&mut __y[..#on], &__x[..#on]);),
                    Some(s) => {
                        let sc =
                            self.chain_infer(s, i, quote!(__x), quote!(&mut *__t), quote!(__rest));
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
}

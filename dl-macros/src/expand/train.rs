//! Training: forward keeping every activation, backward in reverse filling a typed gradient;
//! buffers live in the cache struct and grow on the first step only.
use super::*;

impl Gen {
    /// Numbers the training ops of a list and registers their cache fields.
    pub(super) fn plan<'a>(&mut self, nodes: &'a [Node]) -> Vec<Op<'a>> {
        let mut ops = group(nodes, true);
        let k = self.k.clone();
        let alias = aliased(&ops);
        for (op, alias) in ops.iter_mut().zip(alias) {
            op.u = self.fresh();
            if alias {
                // no buffers: see `chain_train`
                continue;
            }
            let so = self.shape(op.node.output());
            let si = self.shape(op.node.input());
            self.add_cache(format_ident!("a{}", op.u), quote!(#k::Batch<#so>));
            self.add_cache(format_ident!("d{}", op.u), quote!(#k::Batch<#so>));
            match op.node {
                Node::Leaf(l) => {
                    if !matches!(
                        l.kind,
                        Kind::Conv { g: 1, .. } | Kind::Linear { .. } | Kind::Act(_)
                    ) && !matches!(l.kind, Kind::MaxPool { win, ceil: false } if win.plain())
                    {
                        let lt = self.layer_ty(&l.kind);
                        self.add_cache(
                            format_ident!("c{}", op.u),
                            quote!(<#lt as #k::Train<#si>>::Cache),
                        );
                    }
                    if let Kind::MaxPool { win, ceil: false } = l.kind {
                        if win.plain() && win.k == win.s && win.k[0] == win.k[1] {
                            // each window's argmax, kept for backward
                            self.add_cache(format_ident!("m{}", op.u), quote!(#k::fused::Vec<u32>));
                        }
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
                Node::Skip {
                    branch_out, branch, ..
                } => {
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
    pub(super) fn sub_out(&mut self, u: usize, j: usize, s: Shape) -> Ident {
        let k = self.k.clone();
        let name = format_ident!("b{}_{}", u, j);
        let so = self.shape(s);
        self.add_cache(name.clone(), quote!(#k::Batch<#so>));
        name
    }

    /// Training forward of a list: `x` (`&Batch`) to `y` (`&mut Batch`); returns (forward,
    /// backward) code, the backward taking `x`, `y`, `dy` (`&Batch`) and `dx` (`&mut Batch`).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn chain_train(
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
                quote! {{ let __dy = &#dy; let __dx = #dx; __dx.resize(__dy.len()); __dx.as_mut_slice().copy_from_slice(__dy.as_slice()); }},
            );
        }
        let mut fwd = Vec::new();
        let mut bwd = Vec::new();
        // a `Flatten` followed by a fused kernel (which reads its input as a slice of samples)
        // is no op at all: the next op reads the `Flatten`'s input and writes its input
        // gradient, the same floats in the same order (no copy each way, 100 KB a step each
        // for LeNet-5 at batch 64, on one thread)
        let alias = aliased(&ops);
        // the network's first op may skip `dx` (taken here, before any inner list is planned)
        let top_dx = core::mem::take(&mut self.top_dx);
        let first = alias.iter().take_while(|&&a| a).count();
        for j in 0..n {
            let u = ops[j].u;
            if alias[j] {
                continue;
            }
            // the op whose output this one reads, past aliased `Flatten`s
            let prev = (0..j).rev().find(|&i| !alias[i]);
            let xin = match prev {
                None => x.clone(),
                Some(p) => {
                    let a = format_ident!("a{}", ops[p].u);
                    quote!(&c.#a)
                }
            };
            let yout = if j + 1 == n {
                y.clone()
            } else {
                let a = format_ident!("a{}", u);
                quote!(&mut c.#a)
            };
            let yref = if j + 1 == n {
                yr.clone()
            } else {
                let a = format_ident!("a{}", u);
                quote!(&c.#a)
            };
            let dxo = match prev {
                None => dx.clone(),
                Some(p) => {
                    let d = format_ident!("d{}", ops[p].u);
                    quote!(&mut c.#d)
                }
            };
            // the last op reads `dy` where it is: a leaf with no activation after it does not
            // change its output gradient, so the copy into its own buffer is skipped (4 MB a
            // step for a 64-channel 32×32 map at batch 16)
            let direct = j + 1 == n && direct_dy(&ops[j]);
            let dyv = if direct {
                dy.clone()
            } else {
                let d = format_ident!("d{}", u);
                quote!(c.#d)
            };
            let dx_opt = j == first && top_dx;
            // a max-pool with its argmax applies the activation fused into the op before it
            // while it scatters, and that op's backward skips it
            let pool_act = prev.and_then(|i| pool_takes_act(&ops[i], &ops[j]));
            let act_done = ops
                .get(j + 1)
                .is_some_and(|p| pool_takes_act(&ops[j], p).is_some());
            let (f, b) = self.op_train(
                &ops[j],
                xin,
                yout,
                yref,
                dxo,
                dyv,
                Flags {
                    dx_opt,
                    pool_act,
                    act_done,
                },
            );
            fwd.push(f);
            bwd.push(b);
        }
        bwd.reverse();
        let copy = (!direct_dy(&ops[n - 1])).then(|| {
            let dl = format_ident!("d{}", ops[n - 1].u);
            quote! {
                c.#dl.resize(#dy.len());
                c.#dl.as_mut_slice().copy_from_slice(#dy.as_slice());
            }
        });
        (quote! { #(#fwd)* }, quote! { #copy #(#bwd)* })
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn op_train(
        &mut self,
        op: &Op,
        x: TokenStream,
        y: TokenStream,
        yref: TokenStream,
        dx: TokenStream,
        dyv: TokenStream,
        flags: Flags,
    ) -> (TokenStream, TokenStream) {
        let Flags {
            dx_opt,
            pool_act,
            act_done,
        } = flags;
        let k = self.k.clone();
        // a convolution's or `Linear`'s `dx`: `None` when the network's caller asked for none
        let dxs = if dx_opt {
            quote! {
                let __dx = if __want_dx { let __d = #dx; __d.resize(__n); Some(__d.as_mut_slice()) } else { None };
            }
        } else {
            quote!(let __dx = #dx; __dx.resize(__n); let __dx = Some(__dx.as_mut_slice());)
        };
        let u = op.u;
        let d = format_ident!("d{}", u);
        let posts_f = self.posts(&op.posts, quote!(&mut *__row));
        let posts_y = self.posts(&op.posts, quote!(__y.as_mut_slice()));
        let post_b = op.posts.first().filter(|_| !act_done).map(|a| {
            let f = self.act_fn(*a);
            quote!(#k::fused::act_backward::<#f>((#yref).as_slice(), c.#d.as_mut_slice());)
        });
        match op.node {
            Node::Leaf(l) => {
                let f = l.field.as_ref();
                let si = self.shape(l.input);
                match l.kind {
                    Kind::Conv { i, win, g: 1, .. } => {
                        let Shape::Map(_, h, w) = l.input else {
                            return (unreachable_shape(), unreachable_shape());
                        };
                        let g = geom(&k, i, h, w, &win);
                        (
                            quote! {{
                                const __G: #k::kernels::im2col::Geom = #g;
                                let __x = #x; let __y = #y; let __n = __x.len(); __y.resize(__n);
                                #k::fused::conv2d_forward(&self.#f.weight, &self.#f.bias, &__G, __n, __x.as_slice(), __y.as_mut_slice(), &mut c.work,
                                    |_o: usize, __row: &mut [f32]| { #posts_f });
                            }},
                            quote! {{
                                const __G: #k::kernels::im2col::Geom = #g;
                                #post_b
                                let __x = #x; let __n = __x.len(); #dxs
                                #k::fused::conv2d_backward(&self.#f.weight, &__G, __n, __x.as_slice(), (#dyv).as_slice(), __dx,
                                    &mut c.work, &mut g.#f.weight, &mut g.#f.bias);
                            }},
                        )
                    }
                    Kind::Linear { .. } => (
                        quote! {{
                            let __x = #x; let __y = #y; let __n = __x.len(); __y.resize(__n);
                            #k::fused::linear_forward(&self.#f.weight, &self.#f.bias, __n, __x.as_slice(), __y.as_mut_slice(), &mut c.work,
                                |_o: usize, __row: &mut [f32]| { #posts_f });
                        }},
                        quote! {{
                            #post_b
                            let __x = #x; let __n = __x.len(); #dxs
                            #k::fused::linear_backward(&self.#f.weight, __n, __x.as_slice(), (#dyv).as_slice(), __dx, &mut c.work,
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
                                #k::fused::act_grad::<#af>(__x.as_slice(), (#yref).as_slice(), (#dyv).as_slice(), __dx.as_mut_slice());
                            }},
                        )
                    }
                    Kind::MaxPool { win, ceil: false } if win.plain() => {
                        let (Shape::Map(cc, h, w), Shape::Map(_, oh, ow)) = (l.input, l.output)
                        else {
                            return (unreachable_shape(), unreachable_shape());
                        };
                        let non_overlapping = win.k == win.s && win.k[0] == win.k[1];
                        let (cc, h, w, k1, kk, s, oh, ow) = (
                            lit(cc),
                            lit(h),
                            lit(w),
                            lit(win.k[0]),
                            lits(&win.k),
                            lits(&win.s),
                            lit(oh),
                            lit(ow),
                        );
                        if non_overlapping {
                            // non-overlapping square windows: the branch-free kernel, argmax kept
                            let m = format_ident!("m{}", u);
                            let a = quote!(#cc, #h, #w, #k1, #oh, #ow);
                            let (xn, yn) = (lit(l.input.numel()), lit(l.output.numel()));
                            return (
                                quote! {{
                                    let __x = #x; let __y = #y; let __n = __x.len(); __y.resize(__n);
                                    #k::fused::max_pool_forward_arg(#a, __n, __x.as_slice(), __y.as_mut_slice(), &mut c.#m);
                                }},
                                match pool_act.map(|a| self.act_fn(a)) {
                                    Some(af) => quote! {{
                                        let __x = #x; let __dx = #dx; let __n = __x.len(); __dx.resize(__n);
                                        #k::fused::max_pool_backward_arg_act::<#af>(#xn, #yn, __n, &c.#m, __x.as_slice(), (#dyv).as_slice(), __dx.as_mut_slice());
                                    }},
                                    None => quote! {{
                                        let __dx = #dx; let __n = (#x).len(); __dx.resize(__n);
                                        #k::fused::max_pool_backward_arg(#xn, #yn, __n, &c.#m, (#dyv).as_slice(), __dx.as_mut_slice());
                                    }},
                                },
                            );
                        }
                        let a = quote!(#cc, #h, #w, #kk, #s, #oh, #ow);
                        (
                            quote! {{
                                let __x = #x; let __y = #y; let __n = __x.len(); __y.resize(__n);
                                #k::fused::max_pool_forward(#a, __n, __x.as_slice(), __y.as_mut_slice());
                            }},
                            quote! {{
                                let __x = #x; let __dx = #dx; let __n = __x.len(); __dx.resize(__n);
                                #k::fused::max_pool_backward(#a, __n, __x.as_slice(), (#yref).as_slice(), (#dyv).as_slice(), __dx.as_mut_slice());
                            }},
                        )
                    }
                    _ => {
                        let lt = self.layer_ty(&l.kind);
                        let cc = format_ident!("c{}", u);
                        let gr = if has_params(&l.kind) {
                            quote!(&mut g.#f)
                        } else {
                            quote!(&mut ())
                        };
                        let full = quote! { <#lt as #k::Train<#si>>::backward(&self.#f, #x, #yref, &#dyv, #dx, &mut c.#cc, #gr); };
                        let b = if dx_opt {
                            quote! {
                                if __want_dx { #full } else {
                                    <#lt as #k::Train<#si>>::backward_params(&self.#f, #x, #yref, &#dyv, &mut c.#cc, #gr);
                                }
                            }
                        } else {
                            full
                        };
                        (
                            quote! { <#lt as #k::Train<#si>>::forward_train(&mut self.#f, #x, #y, &mut c.#cc); },
                            b,
                        )
                    }
                }
            }
            Node::Residual { body, shortcut, .. } => {
                let bo = self.sub_out(u, 0, op.node.output());
                let (bf, bb) = self.chain_train(
                    body,
                    x.clone(),
                    quote!(&mut c.#bo),
                    quote!(&c.#bo),
                    quote!(c.#d),
                    dx.clone(),
                );
                let (sf, sb, add_f, add_b) = match shortcut {
                    None => (
                        quote!(),
                        quote!(),
                        quote!(#k::fused::add(__y.as_mut_slice(), (#x).as_slice());),
                        quote!(#k::fused::add((#dx).as_mut_slice(), c.#d.as_slice());),
                    ),
                    Some(s) => {
                        let so = self.sub_out(u, 1, op.node.output());
                        let rx = format_ident!("rx{}", u);
                        let (sf, sb) = self.chain_train(
                            s,
                            x.clone(),
                            quote!(&mut c.#so),
                            quote!(&c.#so),
                            quote!(c.#d),
                            quote!(&mut c.#rx),
                        );
                        (
                            sf,
                            sb,
                            quote!(#k::fused::add(__y.as_mut_slice(), c.#so.as_slice());),
                            quote!(#k::fused::add((#dx).as_mut_slice(), c.#rx.as_slice());),
                        )
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
            Node::Concat {
                branches, output, ..
            } => {
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
                    let dxj = if j == 0 {
                        dx.clone()
                    } else {
                        quote!(&mut c.#cx)
                    };
                    let (bf, bb) = self.chain_train(
                        br,
                        x.clone(),
                        quote!(&mut c.#cb),
                        quote!(&c.#cb),
                        quote!(c.#cd),
                        dxj,
                    );
                    f.push(bf);
                    join.push(quote!(#k::fused::concat_part(__y.as_mut_slice(), c.#cb.as_slice(), #total, #o, #p);));
                    let acc = if j == 0 {
                        quote!()
                    } else {
                        quote!(#k::fused::add((#dx).as_mut_slice(), c.#cx.as_slice());)
                    };
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
            Node::Skip {
                body,
                branch,
                top,
                left,
                branch_out,
                output,
                ..
            } => {
                // a vector `[N]` adds as the map `[1, 1, N]` (no crop: the validator checked it)
                let ((cc, th, tw), (_, h, w)) = (dims3(*branch_out), dims3(*output));
                let (cc, th, tw, h, w, top, left) = (
                    lit(cc),
                    lit(th),
                    lit(tw),
                    lit(h),
                    lit(w),
                    lit(*top),
                    lit(*left),
                );
                let bo = self.sub_out(u, 0, *output);
                let kd = format_ident!("kd{}", u);
                let (bf, bb) = self.chain_train(
                    body,
                    x.clone(),
                    quote!(&mut c.#bo),
                    quote!(&c.#bo),
                    quote!(c.#d),
                    dx.clone(),
                );
                let (tf, tb, src, accb) = if branch.is_empty() {
                    (
                        quote!(),
                        quote!(),
                        quote!((#x).as_slice()),
                        quote!(#k::fused::add((#dx).as_mut_slice(), c.#kd.as_slice());),
                    )
                } else {
                    let to = self.sub_out(u, 1, *branch_out);
                    let kx = format_ident!("kx{}", u);
                    let (tf, tb) = self.chain_train(
                        branch,
                        x.clone(),
                        quote!(&mut c.#to),
                        quote!(&c.#to),
                        quote!(c.#kd),
                        quote!(&mut c.#kx),
                    );
                    (
                        tf,
                        tb,
                        quote!(c.#to.as_slice()),
                        quote!(#k::fused::add((#dx).as_mut_slice(), c.#kx.as_slice());),
                    )
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

/// Whether an op's backward reads its output gradient where it is instead of from its own
/// buffer: a leaf with no activation fused after it (whose backward would scale the gradient
/// in place first).
/// What [`Gen::op_train`] does besides the op itself: skip the network's input gradient when
/// not asked for (`dx_opt`, the first op), apply the activation of the op before while
/// scattering (`pool_act`, a max-pool with its argmax), or leave its own activation's
/// backward to the max-pool after it (`act_done`).
#[derive(Clone, Copy)]
pub(super) struct Flags {
    pub dx_opt: bool,
    pub pool_act: Option<Act>,
    pub act_done: bool,
}

/// The activation fused into `op` when `next` is a max-pool that keeps its argmax (square,
/// non-overlapping windows) and can apply it as it scatters: `op` a convolution (one group) or
/// `Linear` with one activation.
fn pool_takes_act(op: &Op, next: &Op) -> Option<Act> {
    let Node::Leaf(l) = op.node else { return None };
    let Node::Leaf(p) = next.node else {
        return None;
    };
    let argmax = matches!(p.kind, Kind::MaxPool { win, ceil: false }
        if win.plain() && win.k == win.s && win.k[0] == win.k[1]);
    let fused = matches!(l.kind, Kind::Conv { g: 1, .. } | Kind::Linear { .. });
    match op.posts.as_slice() {
        [a] if argmax && fused && next.posts.is_empty() => Some(*a),
        _ => None,
    }
}

/// Which ops of a list are a `Flatten` that the next op reads through (see `chain_train`).
fn aliased(ops: &[Op]) -> Vec<bool> {
    (0..ops.len())
        .map(|j| {
            matches!(
                ops[j].node,
                Node::Leaf(Leaf {
                    kind: Kind::Flatten,
                    ..
                })
            ) && ops.get(j + 1).is_some_and(reads_slices)
        })
        .collect()
}

/// Whether an op's training code reads its input and writes its input gradient only as flat
/// slices of whole samples (the fused kernels), so any buffer with the same floats will do.
fn reads_slices(op: &Op) -> bool {
    let Node::Leaf(l) = op.node else { return false };
    match l.kind {
        Kind::Conv { g: 1, .. } | Kind::Linear { .. } | Kind::Act(_) => true,
        Kind::MaxPool { win, ceil: false } => win.plain(),
        _ => false,
    }
}

fn direct_dy(op: &Op) -> bool {
    matches!(op.node, Node::Leaf(_)) && op.posts.is_empty()
}

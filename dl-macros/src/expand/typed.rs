//! The typed inference entry of a `network!` struct: `infer_one` / `infer_into` take the
//! network's own sample arrays (`[[[f32; W]; H]; C]` or `[f32; N]`) and an arena array of
//! exactly `ARENA_LEN` floats, so a wrong size is a compile error naming the shapes in decimal,
//! not a slice-length panic at run time. `{Name}Sample` / `{Name}Output` / `{Name}Arena` carry
//! the messages.
use super::*;

/// `[[[f32; W]; H]; C]` for a map, `[f32; N]` for a vector; with the flat `[f32; C·H·W]` of a
/// map as the second form (`None` for a vector).
fn arrays(s: Shape) -> (TokenStream, Option<TokenStream>) {
    match s {
        Shape::Vec(n) => {
            let n = lit(n);
            (quote!([f32; #n]), None)
        }
        Shape::Map(c, h, w) => {
            let (c, h, w, n) = (lit(c), lit(h), lit(w), lit(s.numel()));
            (quote!([[[f32; #w]; #h]; #c]), Some(quote!([f32; #n])))
        }
    }
}

/// How an array type reads in a message.
fn spelled(s: Shape) -> String {
    match s {
        Shape::Vec(n) => format!("`[f32; {n}]`"),
        Shape::Map(c, h, w) => format!("`[[[f32; {w}]; {h}]; {c}]` or `[f32; {}]`", s.numel()),
    }
}

/// The sample traits and the typed methods of network `name`.
pub(super) fn typed_entry(g: &Gen, net: &Net, m: &Model) -> TokenStream {
    let (name, vis, k) = (&net.name, &net.vis, &g.k);
    let si = g.shape(m.input);
    let sample = format_ident!("{}Sample", name);
    let output = format_ident!("{}Output", name);
    let (in_arr, in_flat) = arrays(m.input);
    let (out_arr, out_flat) = arrays(m.output);
    let (in_len, out_len) = (lit(m.input.numel()), lit(m.output.numel()));
    let in_msg = format!(
        "`{{Self}}` is not an input of `{name}`: it takes one {} sample, {}",
        m.input,
        spelled(m.input)
    );
    let in_label = format!("expected one {} sample", m.input);
    let out_msg = format!(
        "`{{Self}}` cannot hold the output of `{name}`: it gives one {} sample, {}",
        m.output,
        spelled(m.output)
    );
    let out_label = format!("expected room for one {} sample", m.output);
    let arena = format_ident!("{}Arena", name);
    let arena_msg =
        format!("`{{Self}}` is not an arena of `{name}`: it takes `[f32; {name}::ARENA_LEN]`");
    let arena_label = format!("expected `[f32; {name}::ARENA_LEN]`");
    let arena_doc = format!(
        "The inference workspace of [`{name}`]: `[f32; {name}::ARENA_LEN]`, exactly what \
         `Layer::infer` touches."
    );
    let in_doc = format!(
        "One input sample of [`{name}`]: {} (a feature map `[C, H, W]` as nested arrays or flat).",
        spelled(m.input)
    );
    let out_doc = format!("One output sample of [`{name}`]: {}.", spelled(m.output));
    let nested_flat = |flat: &Option<TokenStream>, tr: &Ident, mutable: bool| {
        flat.as_ref().map(|f| {
            if mutable {
                quote!(impl #tr for #f { fn flat_mut(&mut self) -> &mut [f32] { self } })
            } else {
                quote!(impl #tr for #f { fn flat(&self) -> &[f32] { self } })
            }
        })
    };
    let in_nested = if in_flat.is_some() {
        quote!(impl #sample for #in_arr { fn flat(&self) -> &[f32] { self.as_flattened().as_flattened() } })
    } else {
        quote!(impl #sample for #in_arr { fn flat(&self) -> &[f32] { self } })
    };
    let out_nested = if out_flat.is_some() {
        quote!(impl #output for #out_arr { fn flat_mut(&mut self) -> &mut [f32] { self.as_flattened_mut().as_flattened_mut() } })
    } else {
        quote!(impl #output for #out_arr { fn flat_mut(&mut self) -> &mut [f32] { self } })
    };
    // the impls point at the input shape as written: rustc lists them as the accepted types
    let at = crate::ast::first_span(&net.input_tokens);
    let (in_nested, out_nested) = (respan(in_nested, at), respan(out_nested, at));
    let in_flat_impl = nested_flat(&in_flat, &sample, false).map(|t| respan(t, at));
    let arena_impl = respan(
        quote!(impl #arena for [f32; #name::ARENA_LEN] { fn floats(&mut self) -> &mut [f32] { self } }),
        at,
    );
    let out_flat_impl = nested_flat(&out_flat, &output, true).map(|t| respan(t, at));
    let zero = match m.output {
        Shape::Vec(n) => {
            let n = lit(n);
            quote!([0.0f32; #n])
        }
        Shape::Map(c, h, w) => {
            let (c, h, w) = (lit(c), lit(h), lit(w));
            quote!([[[0.0f32; #w]; #h]; #c])
        }
    };
    let one_doc = format!(
        "Inference of one {} sample to one {} output, with no allocation: the input, output \
         and arena sizes are checked by the compiler (a wrong one names both shapes). The arena \
         can be a `static`, a local `[0.0; {name}::ARENA_LEN]`, or (large networks) \
         `dl::zeroed_box::<[f32; {name}::ARENA_LEN]>()`. Returns the output by value; \
         [`infer_into`](Self::infer_into) writes into a caller's array instead.",
        m.input, m.output
    );
    quote! {
        #[doc = #in_doc]
        #[diagnostic::on_unimplemented(message = #in_msg, label = #in_label)]
        #vis trait #sample {
            /// The sample's floats, in `[C, H, W]` order.
            fn flat(&self) -> &[f32];
        }
        #in_nested
        #in_flat_impl

        #[doc = #out_doc]
        #[diagnostic::on_unimplemented(message = #out_msg, label = #out_label)]
        #vis trait #output {
            /// The sample's floats, in `[C, H, W]` order.
            fn flat_mut(&mut self) -> &mut [f32];
        }
        #out_nested
        #out_flat_impl

        #[doc = #arena_doc]
        #[diagnostic::on_unimplemented(message = #arena_msg, label = #arena_label)]
        #vis trait #arena {
            /// The workspace's floats.
            fn floats(&mut self) -> &mut [f32];
        }
        #arena_impl

        #[allow(clippy::all)]
        impl #name {
            /// Floats in one input sample.
            pub const IN_LEN: usize = #in_len;
            /// Floats in one output sample.
            pub const OUT_LEN: usize = #out_len;
            #[doc = #one_doc]
            pub fn infer_one(
                &self,
                x: &impl #sample,
                arena: &mut impl #arena,
            ) -> #out_arr {
                let mut y = #zero;
                self.infer_into(x, &mut y, arena);
                y
            }
            /// [`infer_one`](Self::infer_one) writing into `y`.
            pub fn infer_into(
                &self,
                x: &impl #sample,
                y: &mut impl #output,
                arena: &mut impl #arena,
            ) {
                <Self as #k::Layer<#si>>::infer(self, x.flat(), y.flat_mut(), arena.floats());
            }
        }
    }
}

//! The typed inference entry of a `network!` struct: `infer_one` / `infer_into` take the
//! network's own sample arrays (`[[[f32; W]; H]; C]` or `[f32; N]`) and an arena array of
//! exactly `ARENA_LEN` floats, so a wrong size is a compile error naming the shapes in decimal,
//! not a slice-length panic at run time. `{Name}Sample` / `{Name}Output` / `{Name}Arena` carry
//! the messages.
use super::*;

mod batch;

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
    let batch = batch::batch_entry(g, net, m);
    quote! {
        #batch

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

/// `n` above 1024 (typenum's last named constant) as `Prod<Ua, Ub>` of two named ones, the
/// first as large as possible (`25088` is `Prod<U896, U28>`), or `Sum<Prod<Uq, U1024>, Ur>`;
/// `None` past `1024 · 1025`. For field types, which rustdoc prints as written.
pub(super) fn product(k: &TokenStream, n: u64) -> Option<TokenStream> {
    let u = |v: u64| {
        let id = format_ident!("U{}", v);
        quote!(#k::consts::#id)
    };
    if let Some(a) = (2..=1024)
        .rev()
        .find(|a| n.is_multiple_of(*a) && n / a <= 1024)
    {
        let (a, b) = (u(a), u(n / a));
        return Some(quote!(#k::typenum::Prod<#a, #b>));
    }
    let (q, r) = (n / 1024, n % 1024);
    (q <= 1024).then(|| {
        let (q, r, kb) = (u(q), u(r), u(1024));
        quote!(#k::typenum::Sum<#k::typenum::Prod<#q, #kb>, #r>)
    })
}

/// `Shape3<U1, U32, U32>`, when every size has a typenum name.
fn spelled_type(s: Shape) -> Option<String> {
    match s {
        Shape::Vec(n) if n <= 1024 => Some(format!("Shape1<U{n}>")),
        Shape::Map(c, h, w) if c.max(h).max(w) <= 1024 => Some(format!("Shape3<U{c}, U{h}, U{w}>")),
        _ => None,
    }
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The doc sections every `network!` struct gets: its shapes in decimal (the `Layer` / `Train`
/// impls are hidden from rustdoc, which would print their typenum arguments in binary) and
/// its layer table (`rows` as `summary()` prints them).
pub(super) fn shape_doc(
    net: &Net,
    m: &Model,
    rows: &[(String, String, String, u64, u64)],
) -> TokenStream {
    let name = &net.name;
    let (si, so) = (spelled_type(m.input), spelled_type(m.output));
    let layer = match (&si, &so) {
        (Some(i), Some(o)) => format!("`Layer<{i}>` with `Out = {o}`, and `Train<{i}>`"),
        _ => "`Layer` and `Train` of that input shape".to_string(),
    };
    let mut doc = format!(
        "\n# Shapes\n\nInput `{}`, output `{}`: `{name}` implements {layer} (`forward`, \
         `infer`, `forward_train`, `backward`; also `infer_one`, below). Those two impls are \
         hidden from these pages, where rustdoc would print their typenum arguments in binary \
         (nested `UInt`s of bits).\n\n# Layers\n\n```text\n",
        m.input, m.output
    );
    let w = rows
        .iter()
        .map(|r| r.0.chars().count())
        .max()
        .unwrap_or(5)
        .max(5)
        + 2;
    let s = rows.iter().map(|r| r.2.len()).max().unwrap_or(12).max(12) + 2;
    doc += &format!(
        "{:<w$}{:<s$}{:>12}{:>14}\n",
        "Layer", "Output shape", "Params", "MACs"
    );
    for (l, _, shape, p, mc) in rows {
        let (p, mc) = (thousands(*p), thousands(*mc));
        doc += &format!("{l:<w$}{shape:<s$}{p:>12}{mc:>14}\n");
    }
    let (p, mc) = (
        rows.iter().map(|r| r.3).sum(),
        rows.iter().map(|r| r.4).sum(),
    );
    doc += &format!(
        "Total params: {}; MACs per sample: {}\n```",
        thousands(p),
        thousands(mc)
    );
    quote!(#[doc = #doc])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_above_1024_are_spelled_with_named_constants() {
        let k = quote!(::dl);
        let s = |n| product(&k, n).map(|t| t.to_string().replace(' ', ""));
        assert_eq!(
            s(4096).unwrap(),
            "::dl::typenum::Prod<::dl::consts::U1024,::dl::consts::U4>"
        );
        assert_eq!(
            s(25088).unwrap(),
            "::dl::typenum::Prod<::dl::consts::U896,::dl::consts::U28>"
        );
        // a prime: q·1024 + r
        assert_eq!(
            s(1031).unwrap(),
            "::dl::typenum::Sum<::dl::typenum::Prod<::dl::consts::U1,::dl::consts::U1024>,::dl::consts::U7>"
        );
        assert_eq!(s(1024 * 1025 + 1), None);
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(
            spelled_type(Shape::Map(1, 32, 32)).unwrap(),
            "Shape3<U1, U32, U32>"
        );
        assert_eq!(spelled_type(Shape::Vec(25088)), None);
    }
}

//! Type-level checks of the block joins (residual adds, concats, skips): one const item per
//! join, asked of dl-core's traits so the error names the numbers.
use super::{respan, Gen};
use crate::validate::Node;
use proc_macro2::TokenStream;
use quote::quote;

/// Type-level checks of the block joins.
pub(super) fn block_checks(g: &Gen, nodes: &[Node], out: &mut Vec<TokenStream>) {
    let k = &g.k;
    for n in nodes {
        match n {
            Node::Leaf(_) => {}
            Node::Residual {
                body,
                shortcut,
                input,
                output,
                tokens,
                ..
            } => {
                let span = crate::ast::first_span(tokens);
                let last = body.last().map_or(*input, |b| b.output());
                let (a, b) = (g.shape(last), g.shape(*output));
                out.push(respan(
                    quote!(const _: () = #k::fused::same::<#a, #b>();),
                    span,
                ));
                if shortcut.is_none() {
                    let i = g.shape(*input);
                    out.push(respan(
                        quote!(const _: () = #k::fused::same::<#i, #b>();),
                        span,
                    ));
                }
                block_checks(g, body, out);
                if let Some(s) = shortcut {
                    if let Some(l) = s.last() {
                        let so = g.shape(l.output());
                        out.push(respan(
                            quote!(const _: () = #k::fused::same::<#so, #b>();),
                            span,
                        ));
                    }
                    block_checks(g, s, out);
                }
            }
            Node::Concat {
                branches,
                output,
                input,
                tokens,
                ..
            } => {
                let span = crate::ast::first_span(tokens);
                // Σ channels (features of vectors) as a typenum sum, checked against the
                // computed count.
                let mut sum: Option<TokenStream> = None;
                for b in branches {
                    let c = g.num(b.last().map_or(*input, |n| n.output()).lead());
                    sum = Some(match sum {
                        None => c,
                        Some(s) => quote!(#k::typenum::Sum<#s, #c>),
                    });
                    block_checks(g, b, out);
                }
                if let Some(s) = sum {
                    let c = g.num(output.lead());
                    out.push(respan(
                        quote!(const _: () = #k::fused::same::<#s, #c>();),
                        span,
                    ));
                }
            }
            Node::Skip {
                body,
                branch,
                tokens,
                ..
            } => {
                let _ = tokens;
                block_checks(g, body, out);
                block_checks(g, branch, out);
            }
        }
    }
}

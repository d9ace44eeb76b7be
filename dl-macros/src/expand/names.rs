//! The name and PyTorch shape of every tensor a network visits — parameters in visit order,
//! then buffers — as `nn.Sequential` would name the same layers, so `io::save(path, &net)` and
//! `io::load` need no hand-written table.
//!
//! Every layer of a list takes the next index, activations, pooling, Flatten and Dropout
//! included (as in an `nn.Sequential`): `0.weight`, `0.bias`, `2.weight`, …. A block takes one
//! index and numbers its own lists under it: a residual's body `3.body.0.weight` and shortcut
//! `3.shortcut.0.weight`, a concat's branches `4.0.0.weight`, `4.1.0.weight`; the layers between
//! a `tap` and its `skip` stay in the list around them and the skip's branch is `9.0.weight`.
//! The walk follows `leaves` (struct field order), which is the visit order.
use crate::validate::{Kind, Node};
use proc_macro2::TokenStream;
use quote::quote;

/// Names with shapes: parameters, then buffers.
#[derive(Default)]
struct Tensors {
    params: Vec<(String, Vec<u64>)>,
    buffers: Vec<(String, Vec<u64>)>,
}

/// Adds the tensors of one layer named `p` (`"0"`, `"3.body.1"`).
fn leaf(kind: &Kind, p: &str, t: &mut Tensors) {
    let mut param = |n: &str, s: Vec<u64>| t.params.push((format!("{p}.{n}"), s));
    match *kind {
        Kind::Conv { i, o, win, bias, g } => {
            param("weight", vec![o, i / g.max(1), win.k[0], win.k[1]]);
            if bias {
                param("bias", vec![o]);
            }
        }
        Kind::ConvT { i, o, k, bias, .. } => {
            param("weight", vec![i, o, k, k]);
            if bias {
                param("bias", vec![o]);
            }
        }
        Kind::Linear { i, o } => {
            param("weight", vec![o, i]);
            param("bias", vec![o]);
        }
        Kind::Bn2d { c, .. } | Kind::Bn1d { n: c, .. } => {
            param("weight", vec![c]);
            param("bias", vec![c]);
            t.buffers.push((format!("{p}.running_mean"), vec![c]));
            t.buffers.push((format!("{p}.running_var"), vec![c]));
        }
        _ => {}
    }
}

/// Names the nodes of one list under `prefix` (`""` or `"3.body."`), counting from `*next`.
fn list(nodes: &[Node], prefix: &str, next: &mut usize, t: &mut Tensors) {
    for n in nodes {
        match n {
            Node::Leaf(l) => leaf(&l.kind, &format!("{prefix}{next}"), t),
            Node::Residual { body, shortcut, .. } => {
                list(body, &format!("{prefix}{next}.body."), &mut 0, t);
                if let Some(s) = shortcut {
                    list(s, &format!("{prefix}{next}.shortcut."), &mut 0, t);
                }
            }
            Node::Concat { branches, .. } => {
                for (b, br) in branches.iter().enumerate() {
                    list(br, &format!("{prefix}{next}.{b}."), &mut 0, t);
                }
            }
            Node::Skip { body, branch, .. } => {
                list(body, prefix, next, t);
                list(branch, &format!("{prefix}{next}."), &mut 0, t);
            }
        }
        *next += 1;
    }
}

/// `#name::TENSORS`, the const table of every visited tensor's name and shape, and
/// `impl Named for #name` visiting it.
pub(super) fn named_impl(k: &TokenStream, name: &syn::Ident, body: &[Node]) -> TokenStream {
    let mut t = Tensors::default();
    list(body, "", &mut 0, &mut t);
    let entries = t.params.iter().chain(&t.buffers).map(|(n, s)| {
        let s = s
            .iter()
            .map(|&d| proc_macro2::Literal::usize_unsuffixed(d as usize));
        quote!((#n, &[#(#s),*]))
    });
    quote! {
        impl #name {
            /// `(name, PyTorch shape)` of every visited tensor, parameters first, then buffers:
            /// the `state_dict` keys of an `nn.Sequential` of the same layers.
            pub const TENSORS: &'static [(&'static str, &'static [usize])] = &[#(#entries),*];
        }
        impl #k::io::Named for #name {
            fn visit_names(f: &mut dyn FnMut(&dyn ::core::fmt::Display, &[usize])) {
                for (n, s) in Self::TENSORS {
                    f(n, s);
                }
            }
        }
    }
}

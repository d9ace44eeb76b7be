//! `network!` for `dl`: a layer list in PyTorch's vocabulary becomes a concrete struct with typed
//! layer fields, allocation-free fused inference, training forward/backward with a typed
//! gradient, and compile-time resource facts (`PARAMS`, `MACS`, `WEIGHT_BYTES`, `ARENA_BYTES`).
//!
//! `lib.rs` (entry) → [`ast`] (parse) → [`validate`] (every shape computed in decimal, each
//! mistake a spanned error, all collected) → [`expand`].
mod ast;
mod expand;
mod validate;

/// Declares a network. See the `dl` crate documentation for the syntax.
#[proc_macro]
pub fn network(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    let net = match syn::parse::<ast::Net>(input) {
        Ok(n) => n,
        Err(e) => return e.to_compile_error().into(),
    };
    match validate::validate(&net) {
        Ok(model) => expand::expand(&net, &model).into(),
        Err(e) => e.to_compile_error().into(),
    }
}

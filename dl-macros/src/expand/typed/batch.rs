//! The batch entry points of a `network!` struct: inherent `forward`, `forward_train` and
//! `backward` (which win method resolution over `Layer::forward` / `Train::…` and delegate to
//! them) taking `impl {Name}InputBatch` / `impl {Name}OutputBatch`. Each trait is implemented
//! only for the batch of the network's own shape, so a batch of another shape fails with
//! "`Net` takes batches of [1, 28, 28] samples …" in decimal instead of rustc's `mismatched
//! types` between typenum numbers; a `Batch::zeros(n)` is still inferred (one impl).
use super::*;

/// `Batch<Shape3<U1, U28, U28>>` when every size has a typenum name, else `Batch<…>` of `s`.
fn batch_type(s: Shape) -> String {
    spelled_type(s).map_or_else(
        || format!("a `Batch` of {s} samples"),
        |t| format!("`Batch<{t}>`"),
    )
}

/// The two batch traits and the inherent batch methods of network `name`.
pub(super) fn batch_entry(g: &Gen, net: &Net, m: &Model) -> TokenStream {
    let (name, vis, k) = (&net.name, &net.vis, &g.k);
    let (si, so) = (g.shape(m.input), g.shape(m.output));
    let input = format_ident!("{}InputBatch", name);
    let output = format_ident!("{}OutputBatch", name);
    let (grad, cache) = (
        format_ident!("{}Grad", name),
        format_ident!("{}Cache", name),
    );
    let in_msg = format!(
        "`{name}` takes batches of {} samples; this batch's samples have another shape",
        m.input
    );
    let in_label = format!("expected a batch of {} samples", m.input);
    let in_note = format!(
        "`{name}`'s input is {}; the `help:` line spells the given batch's type in typenum \
         (`UInt<UInt<UTerm, B1>, B0>` is 2)",
        batch_type(m.input)
    );
    let out_msg = format!(
        "`{name}` gives batches of {} samples; this batch's samples have another shape",
        m.output
    );
    let out_label = format!("expected a batch of {} samples", m.output);
    let out_note = format!(
        "`{name}`'s output (and its gradient `dy`) is {}; the `help:` line spells the given \
         batch's type in typenum (`UInt<UInt<UTerm, B1>, B0>` is 2)",
        batch_type(m.output)
    );
    let in_doc = format!(
        "A batch of [`{name}`]'s input, {}: what `forward`, `forward_train` and `backward` \
         (`x`, `dx`) take.",
        batch_type(m.input)
    );
    let out_doc = format!(
        "A batch of [`{name}`]'s output, {}: `y` and `dy` of `forward_train` and `backward`.",
        batch_type(m.output)
    );
    let fwd_doc = format!(
        "Inference (eval mode) on a batch of {} samples, giving {} samples (`Layer::forward`; \
         threads split the batch under `std`).",
        m.input, m.output
    );
    let ft_doc = format!(
        "Training forward on a batch of {} samples into `y` ({} samples), keeping what \
         [`backward`](Self::backward) needs (`Train::forward_train`).",
        m.input, m.output
    );
    let bw_doc = "Backward after [`forward_train`](Self::forward_train): writes `dx` and adds \
                  into `grad` (`Train::backward`).";
    quote! {
        #k::fused::if_alloc! {
            #[doc = #in_doc]
            #[diagnostic::on_unimplemented(message = #in_msg, label = #in_label, note = #in_note)]
            #vis trait #input {
                /// The batch, typed.
                #[doc(hidden)]
                fn batch(&self) -> &#k::Batch<#si>;
                /// The batch, typed, mutably.
                #[doc(hidden)]
                fn batch_mut(&mut self) -> &mut #k::Batch<#si>;
            }
            #[diagnostic::do_not_recommend]
            impl #input for #k::Batch<#si> {
                fn batch(&self) -> &#k::Batch<#si> { self }
                fn batch_mut(&mut self) -> &mut #k::Batch<#si> { self }
            }

            #[doc = #out_doc]
            #[diagnostic::on_unimplemented(message = #out_msg, label = #out_label, note = #out_note)]
            #vis trait #output {
                /// The batch, typed.
                #[doc(hidden)]
                fn batch(&self) -> &#k::Batch<#so>;
                /// The batch, typed, mutably.
                #[doc(hidden)]
                fn batch_mut(&mut self) -> &mut #k::Batch<#so>;
            }
            #[diagnostic::do_not_recommend]
            impl #output for #k::Batch<#so> {
                fn batch(&self) -> &#k::Batch<#so> { self }
                fn batch_mut(&mut self) -> &mut #k::Batch<#so> { self }
            }

            #[allow(clippy::all)]
            impl #name {
                #[doc = #fwd_doc]
                pub fn forward(&self, x: &impl #input) -> #k::Batch<#so> {
                    <Self as #k::Layer<#si>>::forward(self, x.batch())
                }
                #[doc = #ft_doc]
                pub fn forward_train(
                    &mut self,
                    x: &impl #input,
                    y: &mut impl #output,
                    cache: &mut #cache,
                ) {
                    <Self as #k::Train<#si>>::forward_train(self, x.batch(), y.batch_mut(), cache)
                }
                #[doc = #bw_doc]
                pub fn backward(
                    &self,
                    x: &impl #input,
                    y: &impl #output,
                    dy: &impl #output,
                    dx: &mut impl #input,
                    cache: &mut #cache,
                    grad: &mut #grad,
                ) {
                    <Self as #k::Train<#si>>::backward(
                        self,
                        x.batch(),
                        y.batch(),
                        dy.batch(),
                        dx.batch_mut(),
                        cache,
                        grad,
                    )
                }
            }
        }
    }
}

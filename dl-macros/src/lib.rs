//! `network!` for `dl`: a layer list in PyTorch's vocabulary becomes a concrete struct with typed
//! layer fields, allocation-free fused inference, training forward/backward with a typed
//! gradient, and compile-time resource facts (`PARAMS`, `MACS`, `WEIGHT_BYTES`, `ARENA_BYTES`).
//!
//! `lib.rs` (entry) → `ast.rs` (parse) → `validate` (every shape computed in decimal, each
//! mistake a spanned error, all collected) → `expand`.
mod ast;
mod expand;
mod validate;

/// Declares a network from its input shape and a layer list; every intermediate shape is computed.
///
/// ```text
/// network! {
///     /// LeNet-5 (docs and visibility pass through).
///     #[network(crate = ::dl_core)]      // optional; default `::dl`
///     pub struct LeNet5: [1, 32, 32] {   // [C, H, W] or [N]; no batch dimension
///         Conv2d(1, 6, 5), ReLU,         // Conv2d(in, out, kernel) or Conv2d(out, kernel)
///         MaxPool2d(2),                  // stride defaults to the kernel, as in PyTorch
///         Conv2d(6, 16, 5, stride = 1, pad = 0, dilation = 1), ReLU,
///         MaxPool2d(2),
///         Flatten,
///         Linear(400, 120), ReLU,        // Linear(in, out) or Linear(out)
///         Linear(120, 84), ReLU,
///         Linear(84, 10),
///     }
/// }
/// ```
///
/// Pools take `ceil_mode = true` (PyTorch's `ceil_mode=True`: `MaxPool2d(3, stride = 2,
/// ceil_mode = true)` maps 112 → 56), batch norms `eps = 0.001` (default 1e-5), by name only.
///
/// Blocks: `residual { … }` (identity) or `residual { … } shortcut { … }` (projection);
/// `concat { { … }, { … } }` (feature maps joined along channels, vectors end to end);
/// `tap name`, later `skip(name, crop = k) { … }` (adds the tap, through the optional branch,
/// cropped — centred when `crop` is omitted; on maps and on vectors); `repeat(n) { … }` (a tap
/// and its skip may sit inside: each repetition has its own). An empty list `{ }` is the
/// identity (`residual { }`, a DenseNet-style concat branch, an empty shortcut).
///
/// Generated: the struct with one typed field per layer, `Module`, `Layer<In>`
/// (allocation-free inference in an arena of `ARENA_LEN` f32s), `Train<In>` with
/// `NameGrad`/`NameCache`, `Name::new(seed)`, `Name::summary()`, the consts `PARAMS`, `MACS`,
/// `WEIGHT_BYTES`, `ARENA_BYTES`, `IN_LEN`, `OUT_LEN`, and the typed entry
/// `net.infer_one(&x, &mut arena) -> y` / `net.infer_into(&x, &mut y, &mut arena)`: `x` is one
/// sample as the network's own array (`[[[f32; W]; H]; C]` or flat `[f32; C·H·W]`, `[f32; N]`
/// for a vector; the traits `NameSample` / `NameOutput` list them), `arena` a
/// `[f32; Name::ARENA_LEN]` (`NameArena`), so a wrong size fails `cargo check` naming both.
/// In place: `*Name::input_mut(&mut arena) = x; net.infer_in_place(&mut arena) -> &y` with
/// one `[f32; Name::IN_PLACE_LEN]` holding the sample, the intermediates, the output and all
/// scratch (`IN_PLACE_BYTES`: the layer-by-layer two-buffer bound — the largest input +
/// output of any layer, a residual block's input counted while its body runs — plus the
/// scratch of layers other than convolutions, which run a direct kernel when theirs does not
/// fit).
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

// `dl`: the facade. Re-exports `dl_core` (shapes, tensors, layers, losses, optimisers, data,
// kernels), the `network!` macro and, with a model feature, `dl_models`. Its crate docs are the README, whose Rust
// blocks run as doctests.
#![no_std]
#![doc = include_str!("../README.md")]

pub use dl_core::*;
pub use dl_macros::network;
/// Classic architectures (`dl-models`), with the cargo feature `models` (every family) or one
/// feature per family (`lenet`, `resnet`, …); off by default.
#[cfg(any(
    feature = "models",
    feature = "mlp",
    feature = "lenet",
    feature = "alexnet",
    feature = "nin",
    feature = "vgg",
    feature = "googlenet",
    feature = "resnet",
    feature = "fcn",
    feature = "dilated",
    feature = "mlperf"
))]
pub use dl_models as models;

/// Everything a training or inference program needs: `use dl::prelude::*;` brings the layer
/// traits, `Network`, shapes, type-level numbers, tensors, layers, losses, optimisers, `io`,
/// `data` and the `network!` macro (see [`dl_core::prelude`]).
pub mod prelude {
    pub use dl_core::prelude::*;
    pub use dl_macros::network;
}

// `dl`: the facade. Re-exports `dl_core` (shapes, tensors, layers, losses, optimisers, data,
// kernels), the `network!` macro and `dl_models`. Its crate docs are the README, whose Rust
// blocks run as doctests.
#![no_std]
#![doc = include_str!("../README.md")]

pub use dl_core::*;
pub use dl_macros::network;
pub use dl_models as models;

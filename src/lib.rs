//! `dl`: deep learning in which every tensor's shape is part of its type.
//!
//! This facade re-exports [`dl_core`] (shapes, tensors, layers, losses, kernels),
//! `dl_macros` and `dl_models`.
#![no_std]

pub use dl_core::*;
pub use dl_macros::network;
pub use dl_models as models;

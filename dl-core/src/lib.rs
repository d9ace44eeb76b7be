//! Core of `dl`: per-sample shapes as typenum types, tensors, layers with forward and backward,
//! losses and the kernels under them.
//!
//! * [`shape`] — [`Shape1`], [`Shape2`], [`Shape3`] and the named size formulas
//!   ([`ConvOut`], [`PoolOut`], [`UpConvOut`], …). A layer that does not fit its input is a
//!   compile error that names the problem.
//! * [`tensor`] — [`Tensor`] (inline, no allocator) and [`Batch`] (heap, run-time batch size).
//! * [`layer`] — the [`Layer`] (inference, no allocator) and [`Train`] (forward + backward)
//!   traits, and [`Seq`](struct@Seq), the typed sequential chain.
//! * [`layers`] — every building block; [`loss`] — the losses.
//! * [`io`] — weights from `include_bytes!` data (no allocator) and safetensors files (`std`).
//! * [`prelude`] — `use dl_core::prelude::*;` brings all of the above a program needs.
#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(any(feature = "std", test))]
#[macro_use]
extern crate std;

pub mod budget;
pub mod check;
#[cfg(feature = "std")]
pub mod data;
pub mod describe;
#[cfg(feature = "std")]
pub mod fit;
#[doc(hidden)]
pub mod fused;
#[cfg(feature = "alloc")]
pub mod guard;
pub mod init;
pub mod io;
pub mod kernels;
pub mod layer;
pub mod layers;
pub mod link;
#[cfg(feature = "alloc")]
pub mod loss;
pub mod math;
#[cfg(feature = "alloc")]
pub mod optim;
pub mod prelude;
pub mod rng;
pub mod shape;
pub mod shown;
pub mod tensor;
#[cfg(all(test, feature = "std"))]
mod testing;

pub use budget::Thousands;
pub use describe::Describe;
pub use fused::{ChainSummary, Row, Summary};
#[cfg(feature = "alloc")]
pub use layer::{new_boxed, zeroed_box, Train};
pub use layer::{InferLenError, Layer, Module, Network, Pod, Seq, Zeroable};
pub use layers::*;
pub use shape::*;
pub use shown::ShowShape;
pub use tensor::Tensor;
#[cfg(feature = "alloc")]
pub use tensor::{Batch, LengthError};

pub use generic_array;
pub use typenum;
pub use typenum::consts;

//! Weights in and out of a network.
//!
//! * [`raw`] — the raw layout for `include_bytes!` data: every tensor a network visits,
//!   little-endian `f32`, concatenated, no header. Loads into a (statically placed) network
//!   with no allocator.
//! * [`view`](mod@view) — a network's own bytes (`#[repr(C)]` layers) used in place: weights in flash
//!   viewed as `&Net` without copying, after a length and alignment check.
//! * [`safetensors`] (feature `std`) — the format PyTorch users share weights in, read and
//!   written with the `safetensors` crate; every tensor is checked by name, shape and dtype.
//!   [`save`] / [`load`] name the tensors as the network itself does ([`Named`], written by
//!   `network!`: `nn.Sequential`-style); [`save_with_names`] / [`load_with_names`] take a table
//!   of other names (torchvision's). [`save_optimizer`] / [`load_optimizer`] keep an
//!   optimiser's state (Adam's moments and step counts), and [`save_generators`] /
//!   [`load_generators`] every Dropout's mask generator, so training resumes exactly.
//!
//! Both walk the network in one order: the parameters in [`Module::visit`] order, then the
//! buffers (BatchNorm's `running_mean`, `running_var`) in [`Module::visit_buffers`] order.
//!
//! [`Module::visit`]: crate::Module::visit
//! [`Module::visit_buffers`]: crate::Module::visit_buffers
#[cfg(feature = "std")]
mod file;
#[cfg(feature = "std")]
pub mod generators;
#[cfg(feature = "std")]
mod header;
pub mod named;
#[cfg(feature = "std")]
pub mod optimizer;
pub mod raw;
#[cfg(feature = "std")]
pub mod safetensors;
pub mod view;

#[cfg(feature = "std")]
pub use generators::{
    generators_from_bytes, generators_to_bytes, load_generators, save_generators,
};
pub use named::Named;
#[cfg(feature = "std")]
pub use named::{from_bytes, load, save, to_bytes};
#[cfg(feature = "std")]
pub use optimizer::{load_optimizer, optimizer_from_bytes, optimizer_to_bytes, save_optimizer};
pub use raw::{load_raw, raw_len, write_raw, RawLengthError};
#[cfg(feature = "std")]
pub use safetensors::{
    from_bytes_with_names, load_with_names, save_with_names, to_bytes_with_names, TensorName,
    WeightsError,
};
pub use view::{image, view, Aligned, ViewError};

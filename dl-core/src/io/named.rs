//! Networks that know their tensors' names: [`Named`], written by `network!` and implemented by
//! hand-composed `Network<In, Seq![…]>` chains (PyTorch `nn.Sequential`-style names: `0.weight`,
//! `0.bias`, `3.running_mean`, …, see [`crate::describe`]), and, with feature
//! `std`, [`save`] / [`load`] / [`to_bytes`] / [`from_bytes`] that use those names, so no table
//! is written by hand. For other names (torchvision's `layer1.0.conv1.weight`) pass a table to
//! [`save_with_names`](super::save_with_names) and its siblings.
#[cfg(feature = "std")]
use super::safetensors::{from_bytes_with_names, to_bytes_with_names, WeightsError};
#[cfg(feature = "std")]
use crate::layer::Module;
#[cfg(feature = "std")]
use std::path::Path;
#[cfg(feature = "std")]
use std::vec::Vec;

/// The name and PyTorch shape of every tensor the network visits: the parameters in
/// [`Module::visit`] order, then the buffers in
/// [`Module::visit_buffers`] order.
///
/// `network!` implements it (and gives the struct the same list as a const, `Net::TENSORS`),
/// and so does a hand-composed `Network<In, Seq![…]>` (walking the chain's type); for a net of
/// `Conv2d(1, 8, 3), ReLU, Flatten, Linear(…)` the names are `0.weight` `[8, 1, 3, 3]`,
/// `0.bias` `[8]`, `3.weight`, `3.bias`: the `state_dict` keys of an `nn.Sequential` of the
/// same layers.
pub trait Named {
    /// Calls `f` with the name and PyTorch shape of every visited tensor, parameters first,
    /// then buffers.
    fn visit_names(f: &mut dyn FnMut(&dyn core::fmt::Display, &[usize]));
}

/// The box `new` returns is named as the network it holds.
#[cfg(feature = "alloc")]
impl<T: Named + ?Sized> Named for alloc::boxed::Box<T> {
    fn visit_names(f: &mut dyn FnMut(&dyn core::fmt::Display, &[usize])) {
        T::visit_names(f)
    }
}

/// `M`'s names and shapes as a table for [`save_with_names`](super::save_with_names) and its
/// siblings.
#[cfg(feature = "std")]
pub fn names<M: Named + ?Sized>() -> Vec<(std::string::String, Vec<usize>)> {
    let mut t = Vec::new();
    M::visit_names(&mut |n, s| t.push((std::string::ToString::to_string(n), s.to_vec())));
    t
}

/// Loads a safetensors file's bytes into `net` by its own names (see [`Named`]); every tensor
/// is checked (present, F32, shape) before anything is written.
#[cfg(feature = "std")]
pub fn from_bytes<M: Module + Named>(bytes: &[u8], net: &mut M) -> Result<(), WeightsError> {
    from_bytes_with_names(bytes, net, &names::<M>())
}

/// `net`'s tensors as a safetensors file's bytes, under its own names (see [`Named`]).
#[cfg(feature = "std")]
pub fn to_bytes<M: Module + Named>(net: &M) -> Result<Vec<u8>, WeightsError> {
    to_bytes_with_names(net, &names::<M>())
}

/// Loads the safetensors file at `path` into `net` by its own names (see [`Named`]).
#[cfg(feature = "std")]
pub fn load<M: Module + Named>(path: impl AsRef<Path>, net: &mut M) -> Result<(), WeightsError> {
    super::safetensors::load_with_names(path, net, &names::<M>())
}

/// Saves `net` as a safetensors file at `path` under its own names (see [`Named`]); PyTorch
/// loads it into an `nn.Sequential` of the same layers with `load_state_dict(strict=True)`.
#[cfg(feature = "std")]
pub fn save<M: Module + Named>(path: impl AsRef<Path>, net: &M) -> Result<(), WeightsError> {
    super::safetensors::save_with_names(path, net, &names::<M>())
}

//! Classic architectures as `dl` types, each built with `network!`: every intermediate shape is
//! computed at compile time and every parameter count is checked by a const assertion.
//!
//! | model | file | parameters |
//! |---|---|---|
//! | [`Mlp`] (3-16-16-1 sigmoid) | `mlp.rs` | 353 |
//! | [`LeNet5`] | `lenet.rs` | 61,706 |
#![no_std]

pub mod lenet;
pub mod mlp;
pub mod resnet;

pub use lenet::LeNet5;
pub use mlp::Mlp;
pub use resnet::{ResNet101, ResNet152, ResNet18, ResNet34, ResNet50, ResNetInput};

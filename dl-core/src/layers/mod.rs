//! Every building block, one file per family. Each layer implements [`crate::Layer`]
//! (inference, no allocator) and [`crate::Train`] (forward and backward over a batch).
pub mod activation;
pub mod conv;
pub mod linear;
pub mod maxout;
pub mod pool;
pub mod reshape;

pub use activation::{Activation, LeakyReLU, ReLU, Sigmoid, Tanh};
pub use conv::Conv2d;
pub use linear::Linear;
pub use reshape::Flatten;
pub use maxout::Maxout;
pub use pool::{AvgPool2d, GlobalAvgPool2d, MaxPool2d};

//! Everything a training or inference program needs, in one line: `use dl::prelude::*;`
//! (or `use dl_core::prelude::*;`).
//!
//! The layer traits ([`Layer`] for `forward`/`infer`, [`Train`] for `forward_train`/`backward`,
//! [`Module`] for parameters), [`Network`] and the chain types (`Seq![…]`), the shapes and the
//! type-level numbers (`U0`…`U1024`), tensors, every layer, the loss functions, the optimisers
//! and schedules, and the `io` and `data` modules.
pub use crate::consts::*;
pub use crate::layer::{Layer, Module, Network, Pod, Zeroable};
pub use crate::layers::*;
pub use crate::shape::{Shape, Shape1, Shape2, Shape3};
pub use crate::shown::ShowShape;
pub use crate::tensor::Tensor;
pub use crate::{assert_arena_le, assert_le, io, seq, Seq};

#[cfg(feature = "std")]
pub use crate::data;
#[cfg(feature = "alloc")]
pub use crate::layer::{new_boxed, zeroed_box, Train};
#[cfg(feature = "alloc")]
pub use crate::loss::{self, accuracy, mse, pixel_cross_entropy, softmax_cross_entropy};
#[cfg(feature = "alloc")]
pub use crate::optim::{
    self, Adagrad, Adam, ExponentialLr, Optimizer, ReduceLrOnPlateau, RmsProp, Schedule, Sgd,
    StepLr,
};
#[cfg(feature = "alloc")]
pub use crate::tensor::Batch;

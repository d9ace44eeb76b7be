//! Classic architectures as `dl` types, each built with `network!`: every intermediate shape is
//! computed at compile time and every parameter count is checked by a const assertion.
//!
//! Where the architecture allows any input size (global pooling, fully convolutional nets), the
//! size is a type parameter: `ResNet18<U224>`, `ResNet18<U32>`. `network!` takes its input shape
//! as literal numbers, so each supported size is its own expansion (`ResNet18x224`,
//! `ResNet18x32`) and the alias picks one.
//!
//! | model | file | parameters | published |
//! |---|---|---|---|
//! | [`Mlp`] (3-16-16-1 sigmoid) | `mlp.rs` | 353 | 353 |
//! | [`LeNet5`] (ReLU, max-pool) | `lenet.rs` | 61,706 | 61,706 |
//! | [`AlexNet`] (torchvision) | `alexnet.rs` | 61,100,840 | 61,100,840 |
//! | [`AlexNetLrn`] (paper, one tower) | `alexnet.rs` | 62,378,344 | 62,378,344 ungrouped |
//! | [`Nin`] (CIFAR-10) | `nin.rs` | 966,986 | 966,986 |
//! | [`Vgg11`] / [`Vgg16`] | `vgg.rs` | 132,863,336 / 138,357,544 | same |
//! | [`GoogLeNet`] | `googlenet.rs` | 6,624,904 | 6,624,904 |
//! | [`ResNet18`] … [`ResNet152`] | `resnet.rs` | 11,689,512 … 60,192,808 | same |
//! | [`Fcn32s`], [`Fcn16s`], [`Fcn8s`] | `fcn.rs` | 136,152,917 / 134,815,994 / 134,489,759 | reference nets |
//! | [`Context`] (dilated, Yu & Koltun) | `dilated.rs` | 28,392 | 64·C² + 8·C |
//! | [`Ad01`] (MLPerf Tiny anomaly detection) | `mlperf.rs` | 265,864 | the `.tflite`'s |
//! | [`Ic01`] (MLPerf Tiny image classification, ResNet-8) | `mlperf.rs` | 77,706 | the `.tflite`'s |
//! | [`Kws01`] / [`Vww01`] (MLPerf Tiny keyword spotting, visual wake words) | `mlperf.rs` | 22,604 / 210,850 | the `.tflite`'s |
//!
//! Each family is behind a cargo feature of the same name (`mlp`, `lenet`, `alexnet`, `nin`,
//! `vgg`, `googlenet`, `resnet`, `fcn`, `dilated`, `mlperf`; `all` is every one and this crate's default),
//! so a crate that uses LeNet-5 compiles LeNet-5 only. Through the `dl` facade the families are
//! off by default: `dl = { …, features = ["lenet"] }`, or `features = ["models"]` for all.
//!
//! torchvision's ResNet and GoogLeNet convolutions and the reference FCN up-convolutions have
//! no bias (`bias=False`); here they are `Conv2d(…, bias = false)` / `ConvTranspose2d(…, bias =
//! false)`, so every count equals the published one exactly.
#![no_std]

#[cfg(feature = "alloc")]
extern crate alloc;

#[cfg(feature = "alexnet")]
pub mod alexnet;
#[cfg(feature = "dilated")]
pub mod dilated;
#[cfg(feature = "fcn")]
pub mod fcn;
#[cfg(feature = "googlenet")]
pub mod googlenet;
#[cfg(feature = "lenet")]
pub mod lenet;
#[cfg(feature = "mlp")]
pub mod mlp;
#[cfg(feature = "mlperf")]
pub mod mlperf;
#[cfg(feature = "alloc")]
pub mod names;
#[cfg(feature = "nin")]
pub mod nin;
#[cfg(feature = "resnet")]
pub mod resnet;
#[cfg(feature = "vgg")]
pub mod vgg;

#[cfg(feature = "alexnet")]
pub use alexnet::{AlexNet, AlexNetLrn};
#[cfg(feature = "dilated")]
pub use dilated::Context;
#[cfg(feature = "fcn")]
pub use fcn::{Fcn16s, Fcn32s, Fcn8s};
#[cfg(feature = "googlenet")]
pub use googlenet::GoogLeNet;
#[cfg(feature = "lenet")]
pub use lenet::LeNet5;
#[cfg(feature = "mlp")]
pub use mlp::Mlp;
#[cfg(feature = "mlperf")]
pub use mlperf::{Ad01, Ic01, Kws01, Vww01};
#[cfg(feature = "nin")]
pub use nin::Nin;
#[cfg(feature = "resnet")]
pub use resnet::{ResNet101, ResNet152, ResNet18, ResNet34, ResNet50};
#[cfg(feature = "vgg")]
pub use vgg::{Vgg11, Vgg16};

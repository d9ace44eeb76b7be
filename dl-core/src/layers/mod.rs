//! Every building block, one file per family. Each layer implements [`crate::Layer`]
//! (inference, no allocator) and [`crate::Train`] (forward and backward over a batch).
pub mod activation;
pub mod concat;
pub mod conv;
pub mod conv_transpose;
pub mod dropout;
pub mod linear;
pub mod maxout;
pub mod norm;
pub mod pool;
pub mod reshape;
pub mod residual;
pub mod softmax;
pub mod upsample;

pub use activation::{Act, Activation, LeakyReLU, ReLU, ReLU6, Sigmoid, Tanh};
pub use concat::{Concat, ConcatShape, Concatenated};
pub use conv::Conv2d;
pub use conv::{Bias, ConvBias, NoBias};
pub use conv_transpose::ConvTranspose2d;
pub use dropout::Dropout;
pub use linear::Linear;
pub use maxout::Maxout;
pub use norm::{BatchNorm, BatchNorm1d, BatchNorm2d, BatchNormGrad, LocalResponseNorm};
pub use norm::{DefaultEps, Eps, EpsValue, ValidEps};
pub use pool::{AvgPool2d, GlobalAvgPool2d, MaxPool2d};
pub use reshape::Flatten;
pub use residual::{Identity, Residual, SameShape, ShapeEq};
pub use softmax::{ClassAxis, Softmax};
pub use upsample::{Bilinear, Crop, Nearest, Upsample};

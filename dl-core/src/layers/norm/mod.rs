//! Normalisation: [`BatchNorm1d`] / [`BatchNorm2d`] (train mode with batch statistics and
//! running averages, eval mode with the running ones) and AlexNet's [`LocalResponseNorm`]
//! across channels.
mod batch;
mod lrn;

#[cfg(feature = "alloc")]
pub use batch::BatchNormCache;
pub use batch::{
    BatchNorm, BatchNorm1d, BatchNorm2d, BatchNormGrad, BatchNormKind, Features, Maps,
};
pub use batch::{DefaultEps, Eps, EpsValue, ValidEps};
#[cfg(feature = "alloc")]
pub use lrn::LrnCache;
pub use lrn::{LocalResponseNorm, SizeCheck};

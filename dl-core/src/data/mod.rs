//! Data: CSV loading with errors that name the file, line and column; standardisation fitted
//! on the training split; shuffled mini-batches; image augmentation.
mod augment;
mod batches;
mod csv;
mod slices;
mod standardize;

pub use augment::{add_noise, color_jitter, hflip, random_crop, translate, Augment};
pub use batches::{gather, shuffled_batches};
pub use csv::{DataError, Table};
pub use slices::SliceError;
pub use standardize::{least_squares, Standardizer};

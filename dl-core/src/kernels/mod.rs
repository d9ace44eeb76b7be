//! Compute kernels: matrix products ([`gemm`]), tiny dense layers ([`dense`]), direct convolution
//! across output channels for small maps ([`chanconv`]) or across output pixels for few filters
//! ([`rowconv`]), im2col/col2im, depthwise convolution
//! ([`depthwise`]), direct convolution with no workspace ([`direct`]), splitting work across threads
//! ([`par`] on a persistent pool), max pooling over non-overlapping windows ([`maxpool`]), and
//! Winograd convolution for 3×3 stride-1 layers ([`winograd`]), and
//! short vector loops ([`vector`]: dot, sum, add, the matrix-vector product, copies of short
//! rows, and [`simd`] to run a loop 8 floats wide).
pub mod chanconv;
pub mod dense;
pub mod depthwise;
pub mod direct;
pub mod gemm;
pub mod im2col;
pub mod maxpool;
pub mod par;
pub mod rowconv;
#[cfg(feature = "std")]
mod threadpool;
pub mod vector;
#[cfg(feature = "alloc")]
pub mod winograd;

pub use vector::{add_to, copy_short, dot, gemv, simd, sum, zero_short};

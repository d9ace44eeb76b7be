//! Storage: [`Tensor`] holds one sample inline (no allocator), [`Batch`] holds a run-time number
//! of samples on the heap.
use crate::shape::Shape;
#[cfg(feature = "alloc")]
use core::marker::PhantomData;
use generic_array::GenericArray;

/// One sample of shape `S`, stored inline. Works without an allocator; for large shapes use
/// [`Tensor::boxed`], which never builds the array on the stack.
#[repr(transparent)]
pub struct Tensor<S: Shape> {
    /// Elements in row-major (`C, H, W`) order.
    pub data: GenericArray<f32, S::Len>,
}

impl<S: Shape> Tensor<S> {
    /// A zero tensor built in place (fine for small shapes; see [`Tensor::boxed`]).
    pub fn zeros() -> Self {
        Tensor {
            data: GenericArray::default(),
        }
    }
    /// A zero tensor allocated directly on the heap.
    #[cfg(feature = "alloc")]
    pub fn boxed() -> alloc::boxed::Box<Self> {
        crate::layer::zeroed_box()
    }
    /// The elements.
    pub fn as_slice(&self) -> &[f32] {
        &self.data
    }
    /// The elements, mutably.
    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        &mut self.data
    }
}

// SAFETY: a GenericArray of f32 is plain data; all-zero bits are 0.0.
unsafe impl<S: Shape> crate::layer::Zeroable for Tensor<S> {}

/// Data whose length is not a whole number of samples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LengthError {
    /// The sample shape (`[C, H, W]`, padded with 1s).
    pub dims: [usize; 3],
    /// Elements per sample.
    pub sample: usize,
    /// Elements found.
    pub found: usize,
}

impl core::fmt::Display for LengthError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{} values are not a whole number of samples of shape {:?} ({} values each)",
            self.found, self.dims, self.sample
        )
    }
}

#[cfg(feature = "std")]
impl std::error::Error for LengthError {}

/// A batch of samples of shape `S`: the batch size is a run-time value.
#[cfg(feature = "alloc")]
pub struct Batch<S: Shape> {
    data: alloc::vec::Vec<f32>,
    n: usize,
    _shape: PhantomData<S>,
}

#[cfg(feature = "alloc")]
impl<S: Shape> Batch<S> {
    /// `n` samples of zeros.
    pub fn zeros(n: usize) -> Self {
        Batch {
            data: alloc::vec![0.0; n * S::NUMEL],
            n,
            _shape: PhantomData,
        }
    }
    /// Wraps `data` (`n·S::NUMEL` elements, sample after sample). An error if the length is
    /// not a whole number of samples.
    pub fn from_vec(data: alloc::vec::Vec<f32>) -> Result<Self, LengthError> {
        if S::NUMEL == 0 || !data.len().is_multiple_of(S::NUMEL) {
            return Err(LengthError {
                dims: S::DIMS,
                sample: S::NUMEL,
                found: data.len(),
            });
        }
        let n = data.len() / S::NUMEL;
        Ok(Batch {
            data,
            n,
            _shape: PhantomData,
        })
    }
    /// Builds a batch by calling `f(i)` for each element index.
    pub fn from_fn(n: usize, f: impl FnMut(usize) -> f32) -> Self {
        Batch {
            data: (0..n * S::NUMEL).map(f).collect(),
            n,
            _shape: PhantomData,
        }
    }
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.n
    }
    /// `true` for a batch of zero samples.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }
    /// Changes the batch size to `n`, keeping the allocation when it is large enough. New
    /// elements are zero; existing ones are left as they are.
    pub fn resize(&mut self, n: usize) {
        self.data.resize(n * S::NUMEL, 0.0);
        self.n = n;
    }
    /// All elements, sample after sample.
    pub fn as_slice(&self) -> &[f32] {
        &self.data
    }
    /// All elements, mutably.
    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        &mut self.data
    }
    /// Sample `i`.
    pub fn sample(&self, i: usize) -> &[f32] {
        &self.data[i * S::NUMEL..(i + 1) * S::NUMEL]
    }
    /// Sample `i`, mutably.
    pub fn sample_mut(&mut self, i: usize) -> &mut [f32] {
        &mut self.data[i * S::NUMEL..(i + 1) * S::NUMEL]
    }
    /// The elements as a `Vec`.
    pub fn into_vec(self) -> alloc::vec::Vec<f32> {
        self.data
    }
}

#[cfg(feature = "alloc")]
impl<S: Shape> Clone for Batch<S> {
    fn clone(&self) -> Self {
        Batch {
            data: self.data.clone(),
            n: self.n,
            _shape: PhantomData,
        }
    }
}

#[cfg(feature = "alloc")]
impl<S: Shape> Default for Batch<S> {
    fn default() -> Self {
        Batch::zeros(0)
    }
}

#[cfg(feature = "alloc")]
impl<S: Shape> core::fmt::Debug for Batch<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Batch<{:?}>(n = {}, {:?})", S::DIMS, self.n, &self.data)
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::shape::{Shape1, Shape3};
    use std::string::ToString;
    use typenum::consts::*;

    #[test]
    fn boxed_tensor_never_touches_the_stack() {
        // 32 MiB: far more than a test thread's 2 MiB stack.
        let t = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                let t = Tensor::<Shape3<U512, U128, U128>>::boxed();
                t.as_slice().len()
            })
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(t, 512 * 128 * 128);
    }

    #[test]
    fn batch_from_vec_checks_the_length() {
        let b = Batch::<Shape1<U3>>::from_vec(std::vec![1.0; 6]).unwrap();
        assert_eq!(b.len(), 2);
        let e = Batch::<Shape3<U2, U2, U2>>::from_vec(std::vec![1.0; 7]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "7 values are not a whole number of samples of shape [2, 2, 2] (8 values each)"
        );
    }
}

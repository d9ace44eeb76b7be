//! An optimiser's state as plain data, for checkpoints: with it saved next to the weights
//! (`io::save_optimizer`), training resumes exactly where it stopped.
use super::{Slot, Slots};
use alloc::vec::Vec;
use core::fmt;

/// Everything an optimiser carries from step to step: the learning rate (a schedule or
/// `ReduceLrOnPlateau` may have changed it) and, for each parameter tensor in visit order, its
/// step count and buffers (Adam: first and second moments; SGD: the momentum buffer; an
/// unused buffer is empty). Hyper-parameters (betas, momentum, weight decay) are not state:
/// they come from the code that builds the optimiser.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct State {
    /// The learning rate at the time of the snapshot.
    pub lr: f32,
    /// Per tensor, in visit order.
    pub tensors: Vec<TensorState>,
}

/// One parameter tensor's optimiser state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TensorState {
    /// Steps taken on this tensor.
    pub step: u32,
    /// The optimiser's buffers for this tensor (each as long as the tensor, or empty).
    pub buffers: Vec<Vec<f32>>,
}

/// A [`State`] that does not fit the optimiser it is given to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StateError {
    /// Tensor `tensor` has `found` buffers; this optimiser keeps `expected` per tensor (a
    /// state saved from another kind of optimiser, most likely).
    Buffers {
        tensor: usize,
        expected: usize,
        found: usize,
    },
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateError::Buffers {
                tensor,
                expected,
                found,
            } => write!(
                f,
                "optimiser state of tensor {tensor} has {found} buffers, this optimiser keeps \
                 {expected} per tensor (state saved from another kind of optimiser?)"
            ),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for StateError {}

impl<const K: usize> Slots<K> {
    /// The per-tensor state as plain data.
    pub fn export(&self) -> Vec<TensorState> {
        self.0
            .iter()
            .map(|s| TensorState {
                step: s.t,
                buffers: s.buf.to_vec(),
            })
            .collect()
    }
    /// Replaces the state by `tensors`, each of which must have `K` buffers.
    pub fn import(&mut self, tensors: Vec<TensorState>) -> Result<(), StateError> {
        let mut slots = Vec::with_capacity(tensors.len());
        for (i, t) in tensors.into_iter().enumerate() {
            let found = t.buffers.len();
            let buf: [Vec<f32>; K] = t.buffers.try_into().map_err(|_| StateError::Buffers {
                tensor: i,
                expected: K,
                found,
            })?;
            slots.push(Slot { t: t.step, buf });
        }
        self.0 = slots;
        Ok(())
    }
}

//! Shuffled mini-batches with a run-time batch size.
use crate::rng::Rng;
use crate::shape::Shape;
use crate::tensor::Batch;
use std::vec::Vec;

/// The indices `0..n` shuffled (Fisher–Yates, seeded) and cut into batches of `batch_size`
/// (the last one may be smaller). `batch_size = n` gives batch gradient descent, 1 gives SGD.
pub fn shuffled_batches(n: usize, batch_size: usize, rng: &mut Rng) -> Vec<Vec<usize>> {
    let mut idx: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = rng.below(i as u32 + 1) as usize;
        idx.swap(i, j);
    }
    idx.chunks(batch_size.max(1)).map(|c| c.to_vec()).collect()
}

/// Gathers rows `idx` of `data` (samples of shape `S`, back to back) into a batch.
pub fn gather<S: Shape>(data: &[f32], idx: &[usize]) -> Batch<S> {
    let mut b = Batch::<S>::zeros(idx.len());
    for (k, &i) in idx.iter().enumerate() {
        b.sample_mut(k)
            .copy_from_slice(&data[i * S::NUMEL..(i + 1) * S::NUMEL]);
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn every_index_once_and_seeded() {
        let b = shuffled_batches(10, 4, &mut Rng::new(1));
        assert_eq!(b.iter().map(|c| c.len()).collect::<Vec<_>>(), [4, 4, 2]);
        let mut all: Vec<usize> = b.concat();
        assert_ne!(all, (0..10).collect::<Vec<_>>(), "shuffled");
        all.sort();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        assert_eq!(b, shuffled_batches(10, 4, &mut Rng::new(1)));
        let g = gather::<crate::Shape1<typenum::U2>>(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0], &[2, 0]);
        assert_eq!(g.as_slice(), [4.0, 5.0, 0.0, 1.0]);
    }
}

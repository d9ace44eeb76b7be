//! Shuffled mini-batches with a run-time batch size.
use super::slices::{whole_rows, SliceError};
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

/// Gathers rows `idx` of `data` (samples of shape `S`, back to back) into a batch. An error if
/// `data` is not a whole number of samples or an index is past the last one.
pub fn gather<S: Shape>(data: &[f32], idx: &[usize]) -> Result<Batch<S>, SliceError> {
    let rows = whole_rows("gather: data", data.len(), S::NUMEL)?;
    let mut b = Batch::<S>::zeros(idx.len());
    for (k, &i) in idx.iter().enumerate() {
        let at = i.checked_mul(S::NUMEL).and_then(|o| data.get(o..));
        let Some(src) = at.and_then(|d| d.get(..S::NUMEL)) else {
            let (what, position, index) = ("gather", k, i);
            return Err(SliceError::IndexOutOfRange {
                what,
                position,
                index,
                rows,
            });
        };
        b.sample_mut(k).copy_from_slice(src);
    }
    Ok(b)
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
        assert_eq!(g.unwrap().as_slice(), [4.0, 5.0, 0.0, 1.0]);
    }

    #[test]
    fn gather_rejects_an_index_past_the_data_and_a_partial_sample() {
        use std::string::ToString;
        type S = crate::Shape1<typenum::U2>;
        let e = gather::<S>(&[0.0; 6], &[2, 0, 3]).unwrap_err();
        assert_eq!(
            e,
            SliceError::IndexOutOfRange {
                what: "gather",
                position: 2,
                index: 3,
                rows: 3
            }
        );
        assert_eq!(
            e.to_string(),
            "gather: idx[2] = 3 is out of range: the data holds 3 rows (valid indices are 0..3)"
        );
        // an index so large that index · NUMEL overflows is out of range too, not a panic
        assert!(gather::<S>(&[0.0; 6], &[usize::MAX / 2 + 1]).is_err());
        let e = gather::<S>(&[0.0; 5], &[0]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "gather: data: 5 values are not a whole number of rows of 2 (2 rows and 1 values left over)"
        );
    }
}

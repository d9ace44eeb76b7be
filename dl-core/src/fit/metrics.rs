//! Metrics on predictions, as a person reads them: [`accuracy`] for classes, [`mse`], [`rmse`]
//! and [`mae`] for values (in the targets' units once the predictions are de-standardised).
pub use crate::loss::accuracy;

/// Mean squared error `mean((p − t)²)`; `None` when the lengths differ or are zero.
pub fn mse(pred: &[f32], truth: &[f32]) -> Option<f32> {
    mean_of(pred, truth, |e| e * e)
}

/// Root mean squared error `√mean((p − t)²)`; `None` when the lengths differ or are zero.
pub fn rmse(pred: &[f32], truth: &[f32]) -> Option<f32> {
    mse(pred, truth).map(f32::sqrt)
}

/// Mean absolute error `mean(|p − t|)`; `None` when the lengths differ or are zero.
pub fn mae(pred: &[f32], truth: &[f32]) -> Option<f32> {
    mean_of(pred, truth, f64::abs)
}

/// `mean(f(p − t))` accumulated in `f64`.
fn mean_of(pred: &[f32], truth: &[f32], f: impl Fn(f64) -> f64) -> Option<f32> {
    if pred.len() != truth.len() || pred.is_empty() {
        return None;
    }
    let s: f64 = pred
        .iter()
        .zip(truth)
        .map(|(&p, &t)| f(p as f64 - t as f64))
        .sum();
    Some((s / pred.len() as f64) as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_hand() {
        let (p, t) = ([1.0, 2.0, 4.0], [1.0, 0.0, 1.0]);
        assert_eq!(mse(&p, &t), Some(13.0 / 3.0));
        assert_eq!(rmse(&p, &t), Some((13.0f32 / 3.0).sqrt()));
        assert_eq!(mae(&p, &t), Some(5.0 / 3.0));
        assert_eq!(mse(&p, &t[..2]), None);
        assert_eq!(mae(&[], &[]), None);
    }
}

//! Standardisation ("whitening" in the lecture *What is Deep Learning?*): per feature, subtract the training mean and
//! divide by the training standard deviation. Fit on the training split, apply to both.
use super::slices::{whole_rows, SliceError};
use std::vec::Vec;

/// Per-feature mean and standard deviation.
#[derive(Debug, Clone, PartialEq)]
pub struct Standardizer {
    /// Mean of each feature.
    pub mean: Vec<f32>,
    /// Standard deviation of each feature (1 where a feature is constant).
    pub std: Vec<f32>,
}

impl Standardizer {
    /// Fits on `data`: rows of `features` values each. An error if `features` is 0 or `data`
    /// is not a whole number of rows (a tail would otherwise be ignored).
    pub fn fit(data: &[f32], features: usize) -> Result<Standardizer, SliceError> {
        let rows = whole_rows("Standardizer::fit: data", data.len(), features)?;
        let mut mean = std::vec![0.0f64; features];
        let mut sq = std::vec![0.0f64; features];
        for r in data.chunks_exact(features) {
            for (j, &v) in r.iter().enumerate() {
                mean[j] += v as f64;
                sq[j] += v as f64 * v as f64;
            }
        }
        // no rows: mean 0, std 1 (the identity)
        let n = rows.max(1) as f64;
        let mean: Vec<f64> = mean.iter().map(|m| m / n).collect();
        let std = sq
            .iter()
            .zip(&mean)
            .map(|(s, m)| {
                let v = (s / n - m * m).max(0.0).sqrt();
                if v > 1e-12 {
                    v as f32
                } else {
                    1.0
                }
            })
            .collect();
        Ok(Standardizer {
            mean: mean.iter().map(|&m| m as f32).collect(),
            std,
        })
    }

    /// Standardises `data` in place: rows of as many features as it was fitted on (an error,
    /// with nothing changed, if `data` is not a whole number of them).
    pub fn apply(&self, data: &mut [f32]) -> Result<(), SliceError> {
        let width = self.mean.len().min(self.std.len());
        whole_rows("Standardizer::apply: data", data.len(), width)?;
        for r in data.chunks_exact_mut(width) {
            for ((v, m), s) in r.iter_mut().zip(&self.mean).zip(&self.std) {
                *v = (*v - m) / s;
            }
        }
        Ok(())
    }

    /// Undoes [`Standardizer::apply`] for one feature (e.g. to report a prediction in °C);
    /// `None` if there is no such feature.
    pub fn invert(&self, feature: usize, v: f32) -> Option<f32> {
        Some(v * self.std.get(feature)? + self.mean.get(feature)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn fit_then_apply_gives_zero_mean_unit_variance() {
        let mut d = std::vec![1.0, 10.0, 3.0, 10.0, 5.0, 10.0];
        let s = Standardizer::fit(&d, 2).unwrap();
        assert_eq!(s.mean, [3.0, 10.0]);
        assert!((s.std[0] - (8.0f32 / 3.0).sqrt()).abs() < 1e-6);
        assert_eq!(s.std[1], 1.0);
        s.apply(&mut d).unwrap();
        assert!((d[0] + d[2] + d[4]).abs() < 1e-6);
        assert!((s.invert(0, d[4]).unwrap() - 5.0).abs() < 1e-6);
        assert_eq!(s.invert(2, 1.0), None);
    }

    #[test]
    fn zero_features_and_partial_rows_are_errors() {
        use std::string::ToString;
        let e = Standardizer::fit(&[1.0, 2.0], 0).unwrap_err();
        assert_eq!(
            e,
            SliceError::ZeroWidth {
                what: "Standardizer::fit: data"
            }
        );
        assert_eq!(
            e.to_string(),
            "Standardizer::fit: data: rows of 0 values (features must be at least 1)"
        );
        let e = Standardizer::fit(&[1.0; 7], 3).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Standardizer::fit: data: 7 values are not a whole number of rows of 3 (2 rows and 1 values left over)"
        );
        let s = Standardizer::fit(&[1.0, 2.0, 3.0, 4.0], 2).unwrap();
        let mut d = [5.0; 5];
        let e = s.apply(&mut d).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Standardizer::apply: data: 5 values are not a whole number of rows of 2 (2 rows and 1 values left over)"
        );
        assert_eq!(d, [5.0; 5], "nothing changed on error");
    }
}

/// Ordinary least squares with an intercept: the weights `w` (one per feature, then the bias)
/// minimising `Σ (x·w + b − y)²`, by the normal equations (a baseline for regression examples).
/// An error when `x` is not `y.len()` rows of `features` values, or when the features are
/// collinear.
pub fn least_squares(x: &[f32], y: &[f32], features: usize) -> Result<Vec<f32>, SliceError> {
    let rows = whole_rows("least_squares: x", x.len(), features)?;
    if rows != y.len() {
        let what = "least_squares";
        return Err(SliceError::RowCount {
            what,
            x: rows,
            y: y.len(),
        });
    }
    let d = features + 1;
    let mut a = std::vec![0.0f64; d * (d + 1)]; // augmented [XᵀX | Xᵀy]
    for (row, &t) in x.chunks_exact(features).zip(y) {
        let xi = |j: usize| if j < features { row[j] as f64 } else { 1.0 };
        for i in 0..d {
            for j in 0..d {
                a[i * (d + 1) + j] += xi(i) * xi(j);
            }
            a[i * (d + 1) + d] += xi(i) * t as f64;
        }
    }
    // Gauss–Jordan with partial pivoting.
    for c in 0..d {
        let p = (c..d)
            .max_by(|&i, &j| {
                a[i * (d + 1) + c]
                    .abs()
                    .total_cmp(&a[j * (d + 1) + c].abs())
            })
            .unwrap_or(c);
        let pivot = a[p * (d + 1) + c].abs();
        if pivot.is_nan() || pivot < 1e-12 {
            return Err(SliceError::Collinear);
        }
        for k in 0..=d {
            a.swap(c * (d + 1) + k, p * (d + 1) + k);
        }
        for r in 0..d {
            if r != c {
                let f = a[r * (d + 1) + c] / a[c * (d + 1) + c];
                for k in c..=d {
                    a[r * (d + 1) + k] -= f * a[c * (d + 1) + k];
                }
            }
        }
    }
    Ok((0..d)
        .map(|i| (a[i * (d + 1) + d] / a[i * (d + 1) + i]) as f32)
        .collect())
}

#[cfg(test)]
mod ols_tests {
    use std::string::ToString;
    #[test]
    fn recovers_an_exact_plane() {
        let x = [0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 2.0, 3.0, -1.0, 4.0];
        let y: std::vec::Vec<f32> = x.chunks(2).map(|r| 2.0 * r[0] - 0.5 * r[1] + 3.0).collect();
        let w = super::least_squares(&x, &y, 2).unwrap();
        assert!(
            (w[0] - 2.0).abs() < 1e-5 && (w[1] + 0.5).abs() < 1e-5 && (w[2] - 3.0).abs() < 1e-5
        );
        let e = super::least_squares(&[1.0, 1.0, 2.0, 2.0], &[1.0, 2.0], 2).unwrap_err();
        assert_eq!(e, super::SliceError::Collinear);
        let e = super::least_squares(&x, &y[..4], 2).unwrap_err();
        assert_eq!(
            e.to_string(),
            "least_squares: 5 rows of inputs but 4 targets"
        );
        assert!(super::least_squares(&x, &y, 0).is_err());
    }
}

//! Losses: each takes the network's output batch and returns the loss and `∂loss/∂output`,
//! ready for `backward`:
//!
//! ```ignore
//! net.forward_train(&x, &mut logits, &mut cache);
//! let (loss, dlogits) = softmax_cross_entropy(&logits, &labels)?;
//! net.backward(&x, &logits, &dlogits, &mut dx, &mut cache, &mut grad);
//! ```
//!
//! Means follow PyTorch's defaults (`reduction="mean"`). Labels come from the user, so a wrong
//! count or an out-of-range label is a [`LossError`], never a panic.
use crate::check::TargetBatch;
use crate::layers::softmax::{exp_shifted, normalise, ClassAxis};
use crate::math;
use crate::shape::{Shape, Shape1, Shape3};
use crate::tensor::Batch;
use alloc::vec;
use core::fmt;

/// Bad input to a loss function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LossError {
    /// The batch holds no samples, so the mean is undefined.
    EmptyBatch,
    /// Output and target batches have different sizes.
    LengthMismatch {
        /// Samples in the output.
        y: usize,
        /// Samples in the target.
        target: usize,
    },
    /// The number of labels is not one per sample (per pixel for segmentation).
    LabelCount {
        /// Labels expected: `samples · per_sample`.
        expected: usize,
        /// Samples in the batch.
        samples: usize,
        /// Labels per sample (1, or `H·W`).
        per_sample: usize,
        /// Labels given.
        got: usize,
    },
    /// A label is not a class index (and not the `ignore_index`).
    LabelOutOfRange {
        /// Position in the label slice.
        index: usize,
        /// The label found there.
        label: usize,
        /// Number of classes: valid labels are `0..classes`.
        classes: usize,
    },
}

impl fmt::Display for LossError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            LossError::EmptyBatch => write!(f, "empty batch: the mean loss over 0 samples is undefined"),
            LossError::LengthMismatch { y, target } => {
                write!(f, "length mismatch: the output batch has {y} samples but the target has {target}")
            }
            LossError::LabelCount { expected, samples, per_sample, got } => write!(
                f,
                "wrong label count: expected {expected} labels ({samples} samples × {per_sample} per sample), got {got}"
            ),
            LossError::LabelOutOfRange { index, label, classes } => write!(
                f,
                "label out of range: labels[{index}] = {label}, but there are {classes} classes (valid labels are 0..{classes})"
            ),
        }
    }
}

impl core::error::Error for LossError {}

/// A loss and its gradient with respect to the output batch, or why the input was rejected.
pub type LossResult<S> = Result<(f32, Batch<S>), LossError>;

/// Mean squared error over all elements (`nn.MSELoss()`): returns
/// `(mean((y − target)²), 2·(y − target)/numel)`. The target is a `Batch<S>` (a type parameter
/// bounded by [`TargetBatch`], so another shape fails with a message naming the mistake).
pub fn mse<S: Shape, T: TargetBatch<S>>(y: &Batch<S>, target: &T) -> LossResult<S> {
    mse_of(y, target.typed())
}

/// [`mse`] for code generic over the shape (no [`TargetBatch`] check to prove).
pub(crate) fn mse_of<S: Shape>(y: &Batch<S>, target: &Batch<S>) -> LossResult<S> {
    if y.len() != target.len() {
        return Err(LossError::LengthMismatch {
            y: y.len(),
            target: target.len(),
        });
    }
    if y.is_empty() {
        return Err(LossError::EmptyBatch);
    }
    let count = y.as_slice().len();
    let scale = 2.0 / count as f32;
    let mut dy = Batch::<S>::zeros(y.len());
    let mut total = 0.0f64;
    for ((d, &a), &t) in dy
        .as_mut_slice()
        .iter_mut()
        .zip(y.as_slice())
        .zip(target.as_slice())
    {
        let e = a - t;
        total += (e as f64) * (e as f64);
        *d = scale * e;
    }
    Ok(((total / count as f64) as f32, dy))
}

/// Softmax followed by cross-entropy against integer labels, fused (`nn.CrossEntropyLoss()`):
/// one label in `0..N` per sample; returns the mean loss over the batch and
/// `∂loss/∂logits = (softmax(logits) − onehot(label)) / batch`.
///
/// Stable for any finite logits: the loss of a sample is `(max − x_label) + ln Σ e^(x − max)`.
pub fn softmax_cross_entropy<N>(
    logits: &Batch<Shape1<N>>,
    labels: &[usize],
) -> LossResult<Shape1<N>>
where
    Shape1<N>: ClassAxis,
{
    cross_entropy(logits, labels, None)
}

/// Per-pixel cross-entropy for segmentation (`nn.CrossEntropyLoss(ignore_index=…)` on NCHW
/// logits): one label per pixel, `labels[n·H·W + h·W + w]`, each in `0..K` or equal to
/// `ignore_index`. The loss is the mean over the pixels not ignored; ignored pixels get a zero
/// gradient. If every pixel is ignored the loss is 0 with a zero gradient (PyTorch gives NaN).
pub fn pixel_cross_entropy<K, H, W>(
    logits: &Batch<Shape3<K, H, W>>,
    labels: &[usize],
    ignore_index: Option<usize>,
) -> LossResult<Shape3<K, H, W>>
where
    Shape3<K, H, W>: ClassAxis,
{
    cross_entropy(logits, labels, ignore_index)
}

/// Checks that `labels` holds one label per position, each a class or `ignore`; returns how
/// many are not ignored.
fn check_labels<S: ClassAxis>(
    n: usize,
    labels: &[usize],
    ignore: Option<usize>,
) -> Result<usize, LossError> {
    if n == 0 {
        return Err(LossError::EmptyBatch);
    }
    let expected = n * S::PLANE;
    if labels.len() != expected {
        return Err(LossError::LabelCount {
            expected,
            samples: n,
            per_sample: S::PLANE,
            got: labels.len(),
        });
    }
    let mut count = 0;
    for (index, &label) in labels.iter().enumerate() {
        if Some(label) == ignore {
            continue;
        }
        if label >= S::CLASSES {
            return Err(LossError::LabelOutOfRange {
                index,
                label,
                classes: S::CLASSES,
            });
        }
        count += 1;
    }
    Ok(count)
}

fn cross_entropy<S: ClassAxis>(
    logits: &Batch<S>,
    labels: &[usize],
    ignore: Option<usize>,
) -> LossResult<S> {
    let n = logits.len();
    let count = check_labels::<S>(n, labels, ignore)?;
    let mut g = Batch::<S>::zeros(n);
    if count == 0 {
        return Ok((0.0, g));
    }
    let p = S::PLANE;
    let (mut m, mut s) = (vec![0.0f32; p], vec![0.0f32; p]);
    let inv = 1.0 / count as f32;
    let mut total = 0.0f64;
    for (i, (xi, gi)) in logits
        .as_slice()
        .chunks_exact(S::NUMEL)
        .zip(g.as_mut_slice().chunks_exact_mut(S::NUMEL))
        .enumerate()
    {
        exp_shifted(xi, gi, &mut m);
        normalise(gi, &mut s);
        for (q, &label) in labels[i * p..(i + 1) * p].iter().enumerate() {
            if Some(label) == ignore {
                for k in 0..S::CLASSES {
                    gi[k * p + q] = 0.0;
                }
                continue;
            }
            total += ((m[q] - xi[label * p + q]) + math::ln(s[q])) as f64;
            gi[label * p + q] -= 1.0;
        }
        gi.iter_mut().for_each(|v| *v *= inv);
    }
    Ok(((total / count as f64) as f32, g))
}

/// Fraction of positions whose largest logit is at the label (the first maximum on ties): per
/// sample for `[N]` logits, per pixel for `[K, H, W]`. Labels are checked as for the losses.
pub fn accuracy<S: ClassAxis>(logits: &Batch<S>, labels: &[usize]) -> Result<f32, LossError> {
    let n = logits.len();
    check_labels::<S>(n, labels, None)?;
    let p = S::PLANE;
    let mut correct = 0usize;
    for (i, xi) in logits.as_slice().chunks_exact(S::NUMEL).enumerate() {
        for (q, &label) in labels[i * p..(i + 1) * p].iter().enumerate() {
            let mut best = 0;
            for k in 1..S::CLASSES {
                if xi[k * p + q] > xi[best * p + q] {
                    best = k;
                }
            }
            correct += (best == label) as usize;
        }
    }
    Ok(correct as f32 / labels.len() as f32)
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use crate::testing::{assert_close, fixture};
    use std::string::ToString;
    use std::vec::Vec;
    use typenum::consts::*;

    fn labels_of(v: &[f32]) -> Vec<usize> {
        v.iter().map(|&l| l as usize).collect()
    }

    /// Central differences of `loss(x)` at every element, compared with `grad`.
    fn check_fd(x: &[f32], grad: &[f32], loss: impl Fn(&[f32]) -> f32) {
        let eps = 1e-2f32;
        let mut xp = x.to_vec();
        for i in 0..x.len() {
            xp[i] = x[i] + eps;
            let lp = loss(&xp) as f64;
            xp[i] = x[i] - eps;
            let lm = loss(&xp) as f64;
            xp[i] = x[i];
            let num = (lp - lm) / (2.0 * eps as f64);
            let g = grad[i] as f64;
            assert!(
                (g - num).abs() <= 1e-2 * g.abs().max(num.abs()) + 2e-4,
                "grad[{i}]: analytic {g} vs finite difference {num}"
            );
        }
    }

    #[test]
    fn mse_gradient_by_finite_differences() {
        let mut r = Rng::new(1);
        let y = Batch::<Shape3<U2, U3, U2>>::from_fn(3, |_| r.normal());
        let t = Batch::<Shape3<U2, U3, U2>>::from_fn(3, |_| r.normal());
        let (_, dy) = mse(&y, &t).unwrap();
        check_fd(y.as_slice(), dy.as_slice(), |v| {
            mse(&Batch::from_vec(v.to_vec()).unwrap(), &t).unwrap().0
        });
    }

    #[test]
    fn cross_entropy_gradients_by_finite_differences() {
        let mut r = Rng::new(2);
        let x = Batch::<Shape1<U5>>::from_fn(4, |_| 2.0 * r.normal());
        let labels = [3, 0, 4, 4];
        let (_, g) = softmax_cross_entropy(&x, &labels).unwrap();
        check_fd(x.as_slice(), g.as_slice(), |v| {
            softmax_cross_entropy(&Batch::<Shape1<U5>>::from_vec(v.to_vec()).unwrap(), &labels)
                .unwrap()
                .0
        });

        let x = Batch::<Shape3<U3, U2, U3>>::from_fn(2, |_| 2.0 * r.normal());
        let labels = [0, 1, 2, 9, 1, 0, 2, 2, 9, 1, 0, 0];
        let (_, g) = pixel_cross_entropy(&x, &labels, Some(9)).unwrap();
        check_fd(x.as_slice(), g.as_slice(), |v| {
            pixel_cross_entropy(
                &Batch::<Shape3<U3, U2, U3>>::from_vec(v.to_vec()).unwrap(),
                &labels,
                Some(9),
            )
            .unwrap()
            .0
        });
        // ignored pixels (3 and 8) get no gradient
        for k in 0..3 {
            assert_eq!(g.sample(0)[k * 6 + 3], 0.0);
            assert_eq!(g.sample(1)[k * 6 + 2], 0.0);
        }
    }

    #[test]
    fn large_logits_give_finite_loss_and_gradients() {
        let x = Batch::<Shape1<U3>>::from_vec(vec![1e4, -1e4, 0.0, -1e4, 1e4, 1e4 - 2.0]).unwrap();
        let (loss, g) = softmax_cross_entropy(&x, &[1, 2]).unwrap();
        // sample 0: 2e4 (the label's logit is 2e4 below the max); sample 1: 2 + ln(1 + e^−2)
        let want = (2e4 + 2.0 + (1.0 + (-2.0f64).exp()).ln()) / 2.0;
        assert!(loss.is_finite() && g.as_slice().iter().all(|v| v.is_finite()));
        assert!((loss as f64 - want).abs() < 1e-3, "{loss} vs {want}");
        let x = Batch::<Shape3<U2, U1, U2>>::from_vec(vec![1e4, -1e4, -1e4, 1e4]).unwrap();
        let (loss, g) = pixel_cross_entropy(&x, &[0, 0], None).unwrap();
        assert_eq!(loss, 1e4); // (0 + 2e4) / 2
        assert!(g.as_slice().iter().all(|v| v.is_finite()));
    }

    #[test]
    fn bad_input_is_an_error_naming_the_numbers() {
        let x = Batch::<Shape1<U4>>::zeros(2);
        let e = softmax_cross_entropy(&x, &[1]).unwrap_err();
        assert_eq!(
            e,
            LossError::LabelCount {
                expected: 2,
                samples: 2,
                per_sample: 1,
                got: 1
            }
        );
        assert_eq!(
            e.to_string(),
            "wrong label count: expected 2 labels (2 samples × 1 per sample), got 1"
        );
        let e = softmax_cross_entropy(&x, &[1, 4]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "label out of range: labels[1] = 4, but there are 4 classes (valid labels are 0..4)"
        );
        let e = accuracy(&x, &[7, 0]).unwrap_err();
        assert_eq!(
            e,
            LossError::LabelOutOfRange {
                index: 0,
                label: 7,
                classes: 4
            }
        );
        let e = mse(&x, &Batch::zeros(3)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "length mismatch: the output batch has 2 samples but the target has 3"
        );
        assert_eq!(
            mse(&Batch::<Shape1<U4>>::zeros(0), &Batch::zeros(0)).unwrap_err(),
            LossError::EmptyBatch
        );
        let px = Batch::<Shape3<U3, U2, U2>>::zeros(1);
        assert!(matches!(
            pixel_cross_entropy(&px, &[0, 1, 2], None),
            Err(LossError::LabelCount {
                expected: 4,
                per_sample: 4,
                ..
            })
        ));
        assert!(matches!(
            pixel_cross_entropy(&px, &[0, 1, 255, 3], Some(255)),
            Err(LossError::LabelOutOfRange {
                index: 3,
                label: 3,
                classes: 3
            })
        ));
        let (loss, g) = pixel_cross_entropy(&px, &[255; 4], Some(255)).unwrap();
        assert_eq!(loss, 0.0);
        assert!(g.as_slice().iter().all(|&v| v == 0.0));
    }

    #[test]
    fn accuracy_per_sample_and_per_pixel() {
        let x = Batch::<Shape1<U3>>::from_vec(vec![0.1, 2.0, 0.3, 5.0, 1.0, 1.0, 0.0, 0.0, 0.0])
            .unwrap();
        assert_eq!(accuracy(&x, &[1, 0, 2]).unwrap(), 2.0 / 3.0); // tie → class 0
        let px = Batch::<Shape3<U2, U1, U2>>::from_vec(vec![1.0, 0.0, 0.0, 1.0]).unwrap();
        assert_eq!(accuracy(&px, &[0, 0]).unwrap(), 0.5);
    }

    #[test]
    fn matches_pytorch() {
        let fx = fixture("loss_mse");
        let y = Batch::<Shape1<U5>>::from_vec(fx.get("y").to_vec()).unwrap();
        let t = Batch::<Shape1<U5>>::from_vec(fx.get("target").to_vec()).unwrap();
        let (loss, dy) = mse(&y, &t).unwrap();
        assert_close("mse loss", &[loss], fx.get("loss"), 1e-5);
        assert_close("mse dy", dy.as_slice(), fx.get("dy"), 1e-5);

        for name in ["loss_ce", "loss_ce_large"] {
            let fx = fixture(name);
            let x = Batch::<Shape1<U6>>::from_vec(fx.get("logits").to_vec()).unwrap();
            let (loss, g) = softmax_cross_entropy(&x, &labels_of(fx.get("labels"))).unwrap();
            assert_close(&format!("{name} loss"), &[loss], fx.get("loss"), 1e-5);
            assert_close(
                &format!("{name} dlogits"),
                g.as_slice(),
                fx.get("dlogits"),
                1e-5,
            );
            let acc = accuracy(&x, &labels_of(fx.get("labels"))).unwrap();
            assert_close(
                &format!("{name} accuracy"),
                &[acc],
                fx.get("accuracy"),
                1e-6,
            );
        }

        let fx = fixture("loss_pixel_ce");
        let x = Batch::<Shape3<U4, U3, U5>>::from_vec(fx.get("logits").to_vec()).unwrap();
        let (loss, g) = pixel_cross_entropy(&x, &labels_of(fx.get("labels")), Some(255)).unwrap();
        assert_close("pixel ce loss", &[loss], fx.get("loss"), 1e-5);
        assert_close("pixel ce dlogits", g.as_slice(), fx.get("dlogits"), 1e-5);
    }
}

//! An optional training loop for the common case: epochs of shuffled mini-batches, a
//! learning-rate decay, a metric on a validation set after each epoch, a progress bar on
//! stderr when it is a terminal and one line per epoch when it is not. It is a convenience
//! over the public steps (`forward_train` → loss → `backward` → `Optimizer::step`); a custom
//! loop (augmentation, several losses, gradient clipping) writes those steps itself.
//!
//! ```
//! use dl_core::fit::{Decay, Fit, Values};
//! use dl_core::optim::Adam;
//! use dl_core::{consts::*, Linear, Network, Seq, Shape1, Tanh};
//! type Net = Network<Shape1<U2>, Seq![Linear<U2, U8>, Tanh, Linear<U8, U1>]>;
//! let x: Vec<f32> = (0..64).map(|i| (i % 9) as f32 / 4.0 - 1.0).collect();
//! let y: Vec<f32> = x.chunks(2).map(|p| p[0] - 0.5 * p[1]).collect();
//! let mut net = Net::new(0);
//! let mut opt = Adam::new(1e-2); // the learning rate is given here only
//! let fit = Fit::new(200, 8).decay(Decay::Step { every: 100, gamma: 0.5 }).quiet();
//! let log = fit.run(&mut *net, &mut opt, &x, &Values(&y), Some((&x, &Values(&y)))).unwrap();
//! assert!(log.last().unwrap().loss < 0.1 * log[0].loss);
//! assert_eq!(log[150].lr, 5e-3);
//! ```
pub mod metrics;

use crate::data::{shuffled_batches, SliceError};
use crate::guard::{FiniteGuard, NonFinite, TrainBatchError};
use crate::layer::{zeroed_box, Layer, Module, Train};
use crate::layers::softmax::ClassAxis;
use crate::loss::{self, LossError, LossResult};
use crate::optim::{ExponentialLr, OptimError, Optimizer, Schedule, StepLr, Steps};
use crate::rng::Rng;
use crate::shape::{Shape, Shape1};
use crate::tensor::Batch;
use std::io::{IsTerminal, Write};
use std::string::String;
use std::time::Instant;
use std::vec::Vec;
use std::{eprint, eprintln, fmt};

/// How the learning rate changes from epoch to epoch, relative to the optimiser's learning
/// rate when [`Fit::run`] starts (so it is written once, on the optimiser).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Decay {
    /// The optimiser's rate throughout.
    Constant,
    /// Multiplied by `gamma` every `every` epochs ([`StepLr`]).
    Step { every: usize, gamma: f32 },
    /// Multiplied by `gamma` every epoch ([`ExponentialLr`]; the lecture *What is Deep Learning?*'s `lr0·e^(−k·t)` is
    /// `gamma = e^(−k)`).
    Exponential { gamma: f32 },
}

/// What [`Fit::run`] prints on stderr.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// A bar redrawn after every batch when stderr is a terminal, else a line per epoch.
    Auto,
    /// A line per epoch.
    Lines,
    /// Nothing.
    Quiet,
}

/// The settings of a training run; see the [module docs](self).
#[derive(Clone, Debug)]
pub struct Fit {
    /// Passes over the training set.
    pub epochs: usize,
    /// Samples per mini-batch (the last batch of an epoch may be smaller).
    pub batch_size: usize,
    /// Seed of the shuffling.
    pub seed: u64,
    /// Learning-rate decay.
    pub decay: Decay,
    /// What is printed.
    pub progress: Progress,
    /// A line every `every` epochs (and after the last).
    pub every: usize,
}

/// The targets of a data set: how a batch's loss and a set's metric are computed.
pub trait Targets<S: Shape> {
    /// Samples.
    fn len(&self) -> usize;
    /// True for no samples.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The loss of outputs `y` of samples `idx` (in that order) and its gradient.
    fn loss(&self, y: &Batch<S>, idx: &[usize]) -> LossResult<S>;
    /// The metric of outputs `y` of every sample, in order.
    fn metric(&self, y: &Batch<S>) -> Result<Metric, LossError>;
}

/// Class labels, one per sample: softmax cross-entropy, metric [`Metric::Accuracy`].
pub struct Classes<'a>(pub &'a [usize]);

/// Target values, `S::NUMEL` per sample: mean squared error, metric [`Metric::Rmse`].
pub struct Values<'a>(pub &'a [f32]);

impl<N> Targets<Shape1<N>> for Classes<'_>
where
    Shape1<N>: ClassAxis,
{
    fn len(&self) -> usize {
        self.0.len()
    }
    fn loss(&self, y: &Batch<Shape1<N>>, idx: &[usize]) -> LossResult<Shape1<N>> {
        let labels: Vec<usize> = idx.iter().map(|&i| self.0[i]).collect();
        loss::softmax_cross_entropy(y, &labels)
    }
    fn metric(&self, y: &Batch<Shape1<N>>) -> Result<Metric, LossError> {
        loss::accuracy(y, self.0).map(Metric::Accuracy)
    }
}

impl<S: Shape> Targets<S> for Values<'_> {
    fn len(&self) -> usize {
        self.0.len() / S::NUMEL.max(1)
    }
    fn loss(&self, y: &Batch<S>, idx: &[usize]) -> LossResult<S> {
        let target =
            crate::data::gather::<S>(self.0, idx).map_err(|_| LossError::LengthMismatch {
                y: y.len(),
                target: Targets::<S>::len(self),
            })?;
        loss::mse_of(y, &target)
    }
    fn metric(&self, y: &Batch<S>) -> Result<Metric, LossError> {
        metrics::rmse(y.as_slice(), self.0)
            .map(Metric::Rmse)
            .ok_or(LossError::LengthMismatch {
                y: y.len(),
                target: Targets::<S>::len(self),
            })
    }
}

/// A validation metric.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Metric {
    /// Fraction of samples classified right.
    Accuracy(f32),
    /// Root mean squared error (in the targets' units).
    Rmse(f32),
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Metric::Accuracy(a) => write!(f, "accuracy {:.2} %", 100.0 * a),
            Metric::Rmse(r) => write!(f, "RMSE {r:.4}"),
        }
    }
}

/// One epoch of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Epoch {
    /// From 0.
    pub epoch: usize,
    /// The learning rate used.
    pub lr: f32,
    /// Mean training loss over the epoch's samples.
    pub loss: f32,
    /// The metric on the validation set, when one was given.
    pub val: Option<Metric>,
}

/// Why a run stopped.
#[derive(Debug, PartialEq)]
pub enum FitError {
    /// The inputs hold `x_len` floats, not a whole number of samples of `numel`, or not as many
    /// samples as there are targets.
    Samples {
        set: &'static str,
        x_len: usize,
        numel: usize,
        targets: usize,
    },
    /// The loss or metric refused its input (a label out of range, say).
    Loss(LossError),
    /// The loss became NaN or infinite: the learning rate is too high, or the data hold NaN.
    NonFinite {
        epoch: usize,
        batch: usize,
        loss: f32,
    },
    /// A gradient became NaN or infinite (the [`FiniteGuard`]'s report: step, tensor, index).
    Gradient {
        epoch: usize,
        batch: usize,
        error: NonFinite,
    },
    /// A mini-batch could not be gathered from the inputs.
    Data(SliceError),
    /// The optimiser's or the decay's hyper-parameters are invalid (`Optimizer::check`,
    /// `Schedule::check`): checked before the first step.
    Hyper(OptimError),
    /// A mini-batch does not suit a layer (a BatchNorm would see one value per channel: a
    /// last batch of one sample, say; choose a batch size that leaves no single sample).
    Batch {
        epoch: usize,
        batch: usize,
        error: TrainBatchError,
    },
}

impl fmt::Display for FitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FitError::Samples {
                set,
                x_len,
                numel,
                targets,
            } => write!(
                f,
                "{set} set: {x_len} input floats are not {targets} samples of {numel} floats \
                 (one per target)"
            ),
            FitError::Loss(e) => write!(f, "{e}"),
            FitError::NonFinite { epoch, batch, loss } => write!(
                f,
                "the training loss is {loss} at epoch {epoch}, batch {batch}: lower the learning \
                 rate, or check the data for NaN"
            ),
            FitError::Gradient {
                epoch,
                batch,
                error,
            } => write!(f, "epoch {epoch}, batch {batch}: {error}"),
            FitError::Data(e) => write!(f, "{e}"),
            FitError::Hyper(e) => write!(f, "{e}"),
            FitError::Batch {
                epoch,
                batch,
                error,
            } => write!(f, "epoch {epoch}, batch {batch}: {error}"),
        }
    }
}

impl std::error::Error for FitError {}

impl From<LossError> for FitError {
    fn from(e: LossError) -> Self {
        FitError::Loss(e)
    }
}

/// Checks that `x` holds one sample of `numel` floats per target.
fn check(set: &'static str, x: &[f32], numel: usize, targets: usize) -> Result<(), FitError> {
    if numel == 0 || !x.len().is_multiple_of(numel) || x.len() / numel != targets || targets == 0 {
        return Err(FitError::Samples {
            set,
            x_len: x.len(),
            numel,
            targets,
        });
    }
    Ok(())
}

impl Fit {
    /// `epochs` passes in mini-batches of `batch_size`, seed 0, constant rate, [`Progress::Auto`].
    pub fn new(epochs: usize, batch_size: usize) -> Self {
        Fit {
            epochs,
            batch_size,
            seed: 0,
            decay: Decay::Constant,
            progress: Progress::Auto,
            every: 1,
        }
    }
    /// Prints a line every `every` epochs (and after the last) instead of after each.
    pub fn every(mut self, every: usize) -> Self {
        self.every = every.max(1);
        self
    }
    /// Sets the shuffling seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Sets the learning-rate decay.
    pub fn decay(mut self, decay: Decay) -> Self {
        self.decay = decay;
        self
    }
    /// Prints nothing.
    pub fn quiet(mut self) -> Self {
        self.progress = Progress::Quiet;
        self
    }
    /// Prints a line per epoch, terminal or not.
    pub fn lines(mut self) -> Self {
        self.progress = Progress::Lines;
        self
    }

    /// Trains `net` with `opt` on inputs `x` (samples back to back) and targets `t`, measuring
    /// on `val` after each epoch; returns every epoch's record.
    /// `net` is the network or the box `new` returns ([`Steps`]).
    pub fn run<In, Via, B, O, T>(
        &self,
        net: &mut B,
        opt: &mut O,
        x: &[f32],
        t: &T,
        val: Option<(&[f32], &T)>,
    ) -> Result<Vec<Epoch>, FitError>
    where
        In: Shape,
        B: Steps<In, Via> + ?Sized,
        B::Net: Sync,
        O: Optimizer,
        T: Targets<<B::Net as Layer<In>>::Out>,
    {
        self.run_net(net.net_mut(), opt, x, t, val)
    }

    fn run_net<In, N, O, T>(
        &self,
        net: &mut N,
        opt: &mut O,
        x: &[f32],
        t: &T,
        val: Option<(&[f32], &T)>,
    ) -> Result<Vec<Epoch>, FitError>
    where
        In: Shape,
        N: Train<In> + Sync,
        O: Optimizer,
        T: Targets<N::Out>,
    {
        check("training", x, In::NUMEL, t.len())?;
        if let Some((vx, vt)) = val {
            check("validation", vx, In::NUMEL, vt.len())?;
        }
        opt.check().map_err(FitError::Hyper)?;
        let lr0 = opt.lr();
        match self.decay {
            Decay::Constant => Ok(()),
            Decay::Step { every, gamma } => StepLr::new(lr0, every, gamma).check(),
            Decay::Exponential { gamma } => ExponentialLr::new(lr0, gamma).check(),
        }
        .map_err(FitError::Hyper)?;
        let lr_at = |e: usize| match self.decay {
            Decay::Constant => lr0,
            Decay::Step { every, gamma } => StepLr::new(lr0, every, gamma).lr(e),
            Decay::Exponential { gamma } => ExponentialLr::new(lr0, gamma).lr(e),
        };
        let bar = self.progress == Progress::Auto && std::io::stderr().is_terminal();
        let lines = self.progress != Progress::Quiet;
        let mut grad = zeroed_box::<N::Grad>();
        let (mut y, mut cache) = (Batch::default(), Default::default());
        let mut rng = Rng::new(self.seed);
        let mut guard = FiniteGuard::new();
        let mut log = Vec::with_capacity(self.epochs);
        let start = Instant::now();
        for epoch in 0..self.epochs {
            let lr = lr_at(epoch);
            opt.set_lr(lr);
            let batches = shuffled_batches(t.len(), self.batch_size, &mut rng);
            let (mut total, mut seen) = (0.0f64, 0usize);
            for (b, idx) in batches.iter().enumerate() {
                let xb = crate::data::gather::<In>(x, idx).map_err(FitError::Data)?;
                net.try_forward_train(&xb, &mut y, &mut cache)
                    .map_err(|error| FitError::Batch {
                        epoch,
                        batch: b,
                        error,
                    })?;
                let (l, dy) = t.loss(&y, idx)?;
                if !l.is_finite() {
                    return Err(FitError::NonFinite {
                        epoch,
                        batch: b,
                        loss: l,
                    });
                }
                grad.zero();
                // the data needs no gradient: the first layer skips its `dx`
                net.backward_params(&xb, &y, &dy, &mut cache, &mut grad);
                guard.check(l, &*grad).map_err(|error| FitError::Gradient {
                    epoch,
                    batch: b,
                    error,
                })?;
                opt.step(net, &grad);
                total += l as f64 * idx.len() as f64;
                seen += idx.len();
                if bar {
                    let done = 30 * (b + 1) / batches.len();
                    eprint!(
                        "\repoch {:>w$}/{} [{:=<done$}{:<rest$}] loss {:.4}",
                        epoch + 1,
                        self.epochs,
                        "",
                        "",
                        total / seen as f64,
                        w = digits(self.epochs),
                        rest = 30 - done,
                    );
                    let _ = std::io::stderr().flush();
                }
            }
            let val = match val {
                Some((vx, vt)) => {
                    let vb = Batch::<In>::from_vec(vx.to_vec()).map_err(|_| FitError::Samples {
                        set: "validation",
                        x_len: vx.len(),
                        numel: In::NUMEL,
                        targets: vt.len(),
                    })?;
                    Some(vt.metric(&Layer::forward(&*net, &vb))?)
                }
                None => None,
            };
            let rec = Epoch {
                epoch,
                lr,
                loss: (total / seen.max(1) as f64) as f32,
                val,
            };
            if lines && (epoch % self.every.max(1) == 0 || epoch + 1 == self.epochs) {
                eprintln!(
                    "{}epoch {:>w$}/{}  lr {:.3e}  loss {:.4}{}  {:.1} s",
                    if bar { "\r\x1b[K" } else { "" },
                    epoch + 1,
                    self.epochs,
                    lr,
                    rec.loss,
                    rec.val.map_or(String::new(), |m| std::format!("  val {m}")),
                    start.elapsed().as_secs_f32(),
                    w = digits(self.epochs),
                );
            }
            log.push(rec);
        }
        Ok(log)
    }
}

/// Decimal digits of `n`.
fn digits(n: usize) -> usize {
    n.max(1).ilog10() as usize + 1
}

#[cfg(test)]
mod tests;

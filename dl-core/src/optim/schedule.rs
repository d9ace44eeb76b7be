//! Learning-rate schedules ("annealing the learning rate"): step decay, exponential decay and
//! reduce-on-plateau, with PyTorch's semantics.
//!
//! The closed-form schedules implement [`Schedule`]: `lr(t)` for epoch (or step) `t = 0, 1, …`;
//! call `sched.apply(epoch, &mut opt)` before each epoch, which is what PyTorch's
//! `scheduler.step()` after each epoch amounts to. [`ReduceLrOnPlateau`] watches a metric
//! instead: call `plateau.step(val_loss, &mut opt)` after each epoch.
//!
//! Constructors take any values; `check()` / `checked()` refuse what would give a negative,
//! NaN or infinite rate, a step size of 0 (PyTorch divides by zero) or a plateau factor ≥ 1
//! (PyTorch: "Factor should be < 1.0."), naming the schedule, the argument and its value.
use super::check::{at_least_one, finite, non_negative, OptimError};
use super::{powi, Optimizer};

/// A learning rate as a function of the epoch (or step) count.
pub trait Schedule {
    /// The learning rate for epoch `t` (`t = 0` gives the initial rate).
    fn lr(&self, t: usize) -> f32;
    /// Sets `opt`'s learning rate to [`Schedule::lr`]`(t)`.
    fn apply<O: Optimizer + ?Sized>(&self, t: usize, opt: &mut O) {
        opt.set_lr(self.lr(t));
    }
    /// `Ok` if every rate this schedule gives is finite and `≥ 0`; otherwise the error names
    /// the schedule, the argument, its value and the rule (a schedule of your own accepts
    /// everything unless it says otherwise).
    fn check(&self) -> Result<(), OptimError> {
        Ok(())
    }
    /// `self` if [`Schedule::check`] passes: `let s = StepLr::new(0.1, 10, 0.5).checked()?;`.
    fn checked(self) -> Result<Self, OptimError>
    where
        Self: Sized,
    {
        self.check().map(|()| self)
    }
}

fn pow(gamma: f32, t: usize) -> f64 {
    powi(gamma as f64, u32::try_from(t).unwrap_or(u32::MAX))
}

/// Step ("stairstep") decay, `torch.optim.lr_scheduler.StepLR`: `lr0·γ^⌊t / step_size⌋`; e.g.
/// halve the rate every 10 epochs with `StepLr::new(lr0, 10, 0.5)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepLr {
    /// Initial learning rate.
    pub lr0: f32,
    /// Epochs between decays, ≥ 1 ([`Schedule::check`] refuses 0, which [`Schedule::lr`] takes
    /// as 1).
    pub step_size: usize,
    /// Factor per decay.
    pub gamma: f32,
}

impl StepLr {
    /// `lr0·gamma^⌊t / step_size⌋`.
    pub fn new(lr0: f32, step_size: usize, gamma: f32) -> Self {
        StepLr {
            lr0,
            step_size,
            gamma,
        }
    }
}

impl Schedule for StepLr {
    fn lr(&self, t: usize) -> f32 {
        (self.lr0 as f64 * pow(self.gamma, t / self.step_size.max(1))) as f32
    }
    /// `lr0` and `gamma` finite and ≥ 0, `step_size` ≥ 1.
    fn check(&self) -> Result<(), OptimError> {
        non_negative("StepLr", "lr0", self.lr0)?;
        at_least_one("StepLr", "step_size", self.step_size)?;
        non_negative("StepLr", "gamma", self.gamma)
    }
}

/// `torch.optim.lr_scheduler.ExponentialLR`: `lr0·γ^t`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ExponentialLr {
    /// Initial learning rate.
    pub lr0: f32,
    /// Factor per epoch.
    pub gamma: f32,
}

impl ExponentialLr {
    /// `lr0·gamma^t`.
    pub fn new(lr0: f32, gamma: f32) -> Self {
        ExponentialLr { lr0, gamma }
    }
}

impl Schedule for ExponentialLr {
    fn lr(&self, t: usize) -> f32 {
        (self.lr0 as f64 * pow(self.gamma, t)) as f32
    }
    /// `lr0` and `gamma` finite and ≥ 0 (γ > 1, a growing rate, is allowed as in PyTorch).
    fn check(&self) -> Result<(), OptimError> {
        non_negative("ExponentialLr", "lr0", self.lr0)?;
        non_negative("ExponentialLr", "gamma", self.gamma)
    }
}

/// Exponential decay as the lecture *What is Deep Learning?* states it: `lr0·e^(−k·t)` where `t` is the current step
/// (the same curve as [`ExponentialLr`] with `γ = e^(−k)`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ExpDecay {
    /// Initial learning rate.
    pub lr0: f32,
    /// Decay rate `k`.
    pub k: f32,
}

impl ExpDecay {
    /// `lr0·e^(−k·t)`.
    pub fn new(lr0: f32, k: f32) -> Self {
        ExpDecay { lr0, k }
    }
}

impl Schedule for ExpDecay {
    fn lr(&self, t: usize) -> f32 {
        self.lr0 * crate::math::exp(-self.k * t as f32)
    }
    /// `lr0` finite and ≥ 0, `k` finite (negative: a growing rate).
    fn check(&self) -> Result<(), OptimError> {
        non_negative("ExpDecay", "lr0", self.lr0)?;
        finite("ExpDecay", "k", self.k)
    }
}

/// Whether the watched metric should go down (a loss) or up (an accuracy).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// Lower is better.
    #[default]
    Min,
    /// Higher is better.
    Max,
}

/// How [`ReduceLrOnPlateau::threshold`] measures a significant improvement.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ThresholdMode {
    /// Better than `best·(1 ∓ threshold)`.
    #[default]
    Rel,
    /// Better than `best ∓ threshold`.
    Abs,
}

/// "On-demand" decay, `torch.optim.lr_scheduler.ReduceLROnPlateau`: when the metric has not
/// improved (by more than `threshold`) for more than `patience` epochs, multiply the learning
/// rate by `factor` (not below `min_lr`), then wait `cooldown` epochs before counting again.
#[derive(Clone, Debug)]
pub struct ReduceLrOnPlateau {
    /// Lower or higher is better (default [`Mode::Min`]).
    pub mode: Mode,
    /// Factor applied on a plateau (default 0.1; in `[0, 1)`, as PyTorch requires).
    pub factor: f32,
    /// Epochs without improvement tolerated (default 10).
    pub patience: usize,
    /// Smallest significant improvement (default 1e-4).
    pub threshold: f32,
    /// Relative or absolute threshold (default [`ThresholdMode::Rel`]).
    pub threshold_mode: ThresholdMode,
    /// Epochs to wait after a reduction (default 0).
    pub cooldown: usize,
    /// Lower bound of the learning rate (default 0).
    pub min_lr: f32,
    /// Reductions smaller than this are skipped (default 1e-8).
    pub eps: f32,
    best: f64,
    num_bad_epochs: usize,
    cooldown_counter: usize,
}

impl Default for ReduceLrOnPlateau {
    /// PyTorch's defaults.
    fn default() -> Self {
        ReduceLrOnPlateau {
            mode: Mode::Min,
            factor: 0.1,
            patience: 10,
            threshold: 1e-4,
            threshold_mode: ThresholdMode::Rel,
            cooldown: 0,
            min_lr: 0.0,
            eps: 1e-8,
            best: f64::INFINITY,
            num_bad_epochs: 0,
            cooldown_counter: 0,
        }
    }
}

impl ReduceLrOnPlateau {
    /// PyTorch's defaults with the given `factor` and `patience`.
    pub fn new(factor: f32, patience: usize) -> Self {
        ReduceLrOnPlateau {
            factor,
            patience,
            ..Self::default()
        }
    }
    /// Watches a metric that should go up.
    pub fn max(mut self) -> Self {
        self.mode = Mode::Max;
        self.best = f64::NEG_INFINITY;
        self
    }
    /// Sets the threshold and how it is measured.
    pub fn threshold(mut self, threshold: f32, mode: ThresholdMode) -> Self {
        self.threshold = threshold;
        self.threshold_mode = mode;
        self
    }
    /// Sets the cooldown.
    pub fn cooldown(mut self, cooldown: usize) -> Self {
        self.cooldown = cooldown;
        self
    }
    /// Sets the lower bound of the learning rate.
    pub fn min_lr(mut self, min_lr: f32) -> Self {
        self.min_lr = min_lr;
        self
    }
    /// `Ok` if `factor` is in `[0, 1)` (PyTorch: "Factor should be < 1.0."; a negative one
    /// would give a negative rate), `threshold`, `min_lr` and `eps` are finite and `≥ 0`;
    /// otherwise the error names the argument and its value.
    pub fn check(&self) -> Result<(), OptimError> {
        let name = "ReduceLrOnPlateau";
        match (0.0..1.0).contains(&self.factor) {
            true => Ok(()),
            false => Err(OptimError {
                optimizer: name,
                param: "factor",
                value: self.factor,
                rule: "in [0, 1): the rate is multiplied by it on a plateau",
            }),
        }?;
        non_negative(name, "threshold", self.threshold)?;
        non_negative(name, "min_lr", self.min_lr)?;
        non_negative(name, "eps", self.eps)
    }
    /// `self` if [`ReduceLrOnPlateau::check`] passes.
    pub fn checked(self) -> Result<Self, OptimError> {
        self.check().map(|()| self)
    }
    /// The best metric seen so far.
    pub fn best(&self) -> f32 {
        self.best as f32
    }

    fn is_better(&self, a: f64) -> bool {
        let (best, th) = (self.best, self.threshold as f64);
        match (self.mode, self.threshold_mode) {
            (Mode::Min, ThresholdMode::Rel) => a < best * (1.0 - th),
            (Mode::Min, ThresholdMode::Abs) => a < best - th,
            (Mode::Max, ThresholdMode::Rel) => a > best * (1.0 + th),
            (Mode::Max, ThresholdMode::Abs) => a > best + th,
        }
    }

    /// Records the metric of one epoch and lowers `opt`'s learning rate on a plateau; returns
    /// whether it did.
    pub fn step<O: Optimizer + ?Sized>(&mut self, metric: f32, opt: &mut O) -> bool {
        let a = metric as f64;
        if self.is_better(a) {
            self.best = a;
            self.num_bad_epochs = 0;
        } else {
            self.num_bad_epochs += 1;
        }
        if self.cooldown_counter > 0 {
            self.cooldown_counter -= 1;
            self.num_bad_epochs = 0;
        }
        if self.num_bad_epochs <= self.patience {
            return false;
        }
        self.cooldown_counter = self.cooldown;
        self.num_bad_epochs = 0;
        let old = opt.lr();
        let new = (old * self.factor).max(self.min_lr);
        if old - new > self.eps {
            opt.set_lr(new);
            return true;
        }
        false
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::optim::tests::replay_with;
    use crate::optim::Sgd;
    use crate::testing::{assert_close, fixture};
    use alloc::vec::Vec;

    /// Learning rates of epochs 0..n, tolerance 1e-6 (|got − want| ≤ 1e-6·(1 + |want|)).
    fn check(name: &str, lrs: impl Fn(usize) -> f32) {
        let fx = fixture(name);
        let want = fx.get("lr");
        let got: Vec<f32> = (0..want.len()).map(lrs).collect();
        assert_close(name, &got, want, 1e-6);
    }

    #[test]
    fn step_and_exponential_match_pytorch() {
        let s = StepLr::new(0.1, 3, 0.5);
        check("sched_steplr", |t| s.lr(t));
        let e = ExponentialLr::new(0.1, 0.8);
        check("sched_exponentiallr", |t| e.lr(t));
    }

    /// The lecture's `lr0·e^(−kt)` is ExponentialLR with `γ = e^(−k)`, and by hand at t = 10.
    #[test]
    fn lecture_exponential_decay() {
        let d = ExpDecay::new(0.1, 0.2);
        let e = ExponentialLr::new(0.1, (-0.2f32).exp());
        for t in 0..30 {
            assert!((d.lr(t) - e.lr(t)).abs() <= 1e-6 * e.lr(t), "t = {t}");
        }
        assert!((d.lr(10) - 0.1 * (-2.0f32).exp()).abs() < 1e-9);
    }

    /// ReduceLROnPlateau on a fixed loss sequence, against PyTorch's learning rate after each
    /// epoch: relative threshold (an improvement below 1e-4 is no improvement), patience,
    /// cooldown and `min_lr`; then the same in max mode with an absolute threshold.
    #[test]
    fn plateau_matches_pytorch() {
        let fx = fixture("sched_plateau");
        let mut opt = Sgd::new(0.1);
        let mut p = ReduceLrOnPlateau::new(0.5, 2).cooldown(1).min_lr(0.02);
        let got: Vec<f32> = fx
            .get("loss")
            .iter()
            .map(|&l| {
                p.step(l, &mut opt);
                opt.lr()
            })
            .collect();
        assert_close("plateau lr", &got, fx.get("lr"), 1e-6);

        let mut opt = Sgd::new(1.0);
        let mut p = ReduceLrOnPlateau::new(0.1, 1)
            .max()
            .threshold(0.01, ThresholdMode::Abs);
        let got: Vec<f32> = fx
            .get("acc")
            .iter()
            .map(|&a| {
                p.step(a, &mut opt);
                opt.lr()
            })
            .collect();
        assert_close("plateau max/abs lr", &got, fx.get("lr_max"), 1e-6);
    }

    /// SGD with momentum under StepLR: the schedule sets the rate the optimiser steps with
    /// (PyTorch: one `opt.step()` then `sched.step()` per epoch).
    #[test]
    fn schedule_drives_an_optimiser() {
        let s = StepLr::new(0.1, 2, 0.5);
        replay_with(
            &mut Sgd::with_momentum(0.1, 0.9),
            "optim_momentum_steplr",
            |t, opt| s.apply(t, opt),
        );
    }

    /// What PyTorch refuses (plateau factor ≥ 1) or breaks on (step size 0: ZeroDivisionError)
    /// is refused, and so is anything that gives a negative, NaN or infinite rate; each
    /// message names the schedule, the argument and its value. PyTorch's defaults pass.
    #[test]
    fn schedules_are_checked() {
        use std::string::ToString;
        let msg = |r: Result<(), OptimError>| r.unwrap_err().to_string();
        assert_eq!(StepLr::new(0.1, 10, 0.1).check(), Ok(()));
        assert_eq!(
            ExponentialLr::new(0.1, 1.5).check(),
            Ok(()),
            "growth allowed"
        );
        assert_eq!(ExpDecay::new(0.1, -0.1).check(), Ok(()));
        assert_eq!(ReduceLrOnPlateau::default().check(), Ok(()));
        assert_eq!(ReduceLrOnPlateau::new(0.0, 1).check(), Ok(()));
        assert_eq!(
            msg(ReduceLrOnPlateau::new(1.0, 5).check()),
            "ReduceLrOnPlateau: invalid factor = 1: it must be in [0, 1): the rate is \
             multiplied by it on a plateau"
        );
        assert_eq!(
            msg(ReduceLrOnPlateau::new(-0.5, 5).check()),
            "ReduceLrOnPlateau: invalid factor = -0.5: it must be in [0, 1): the rate is \
             multiplied by it on a plateau"
        );
        assert_eq!(
            ReduceLrOnPlateau::new(f32::NAN, 5)
                .check()
                .unwrap_err()
                .param,
            "factor"
        );
        assert_eq!(
            msg(ReduceLrOnPlateau::default().min_lr(-1e-3).check()),
            "ReduceLrOnPlateau: invalid min_lr = -0.001: it must be finite and ≥ 0"
        );
        assert_eq!(
            msg(ReduceLrOnPlateau::default()
                .threshold(f32::NAN, ThresholdMode::Abs)
                .check()),
            "ReduceLrOnPlateau: invalid threshold = NaN: it must be finite and ≥ 0"
        );
        assert_eq!(
            msg(StepLr::new(0.1, 0, 0.5).check()),
            "StepLr: invalid step_size = 0: it must be ≥ 1"
        );
        assert_eq!(
            msg(StepLr::new(0.1, 10, -0.5).check()),
            "StepLr: invalid gamma = -0.5: it must be finite and ≥ 0"
        );
        assert_eq!(
            msg(StepLr::new(-0.1, 10, 0.5).check()),
            "StepLr: invalid lr0 = -0.1: it must be finite and ≥ 0"
        );
        assert_eq!(
            msg(ExponentialLr::new(f32::NAN, 0.9).check()),
            "ExponentialLr: invalid lr0 = NaN: it must be finite and ≥ 0"
        );
        assert_eq!(
            msg(ExponentialLr::new(0.1, f32::INFINITY).check()),
            "ExponentialLr: invalid gamma = inf: it must be finite and ≥ 0"
        );
        assert_eq!(
            msg(ExpDecay::new(0.1, f32::NAN).check()),
            "ExpDecay: invalid k = NaN: it must be finite"
        );
        let e = StepLr::new(0.1, 0, 0.5).checked().unwrap_err();
        assert_eq!(
            (e.optimizer, e.param, e.value),
            ("StepLr", "step_size", 0.0)
        );
        assert!(ReduceLrOnPlateau::new(0.5, 2).checked().is_ok());
    }
}

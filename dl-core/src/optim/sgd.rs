//! Gradient descent: plain, with momentum, and Nesterov's (torch.optim.SGD).
use super::check::{non_negative, OptimError};
use super::{decayed, Optimizer, Slots};

/// `torch.optim.SGD(lr, momentum, dampening, weight_decay, nesterov)`.
///
/// With `d = g + weight_decay·w` the update is
/// * plain: `w ← w − lr·d`;
/// * momentum `μ`: `v ← μ·v + (1 − dampening)·d` (`v = d` on the first step), `w ← w − lr·v`;
/// * Nesterov: the same `v`, then `w ← w − lr·(d + μ·v)`.
///
/// Batch gradient descent, stochastic gradient descent and mini-batch SGD are this one rule;
/// they differ only in the gradient the caller feeds each step: the gradient of the loss
/// averaged over the whole training set (batch GD, one update per pass), over one sample (SGD),
/// or over a mini-batch of, say, 128 samples (mini-batch SGD).
///
/// [`Optimizer::check`] refuses, as PyTorch does, a negative or non-finite `lr`, `momentum`,
/// `dampening` or `weight_decay`, and Nesterov without momentum or with dampening.
#[derive(Clone, Debug)]
pub struct Sgd {
    /// Learning rate.
    pub lr: f32,
    /// Momentum factor `μ` (0: no momentum, no buffer).
    pub momentum: f32,
    /// Dampening of the gradient added to the momentum buffer.
    pub dampening: f32,
    /// L2 penalty added to the gradient.
    pub weight_decay: f32,
    /// Nesterov momentum.
    pub nesterov: bool,
    state: Slots<1>,
}

impl Sgd {
    /// Plain (mini-batch) SGD with learning rate `lr`.
    pub fn new(lr: f32) -> Self {
        Sgd {
            lr,
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
            state: Slots::default(),
        }
    }
    /// SGD with momentum `momentum` (CS231n's "Momentum update").
    pub fn with_momentum(lr: f32, momentum: f32) -> Self {
        Sgd {
            momentum,
            ..Sgd::new(lr)
        }
    }
    /// Nesterov momentum.
    pub fn nesterov(lr: f32, momentum: f32) -> Self {
        Sgd {
            momentum,
            nesterov: true,
            ..Sgd::new(lr)
        }
    }
    /// Sets the dampening.
    pub fn dampening(mut self, dampening: f32) -> Self {
        self.dampening = dampening;
        self
    }
    super::weight_decay_builder!();
}

impl Optimizer for Sgd {
    fn check(&self) -> Result<(), OptimError> {
        non_negative("Sgd", "lr", self.lr)?;
        non_negative("Sgd", "momentum", self.momentum)?;
        non_negative("Sgd", "dampening", self.dampening)?;
        non_negative("Sgd", "weight_decay", self.weight_decay)?;
        if self.nesterov && self.momentum <= 0.0 {
            let rule = "> 0 for Nesterov momentum";
            let (optimizer, param, value) = ("Sgd", "momentum", self.momentum);
            return Err(OptimError {
                optimizer,
                param,
                value,
                rule,
            });
        }
        if self.nesterov && self.dampening != 0.0 {
            let rule = "0 for Nesterov momentum";
            let (optimizer, param, value) = ("Sgd", "dampening", self.dampening);
            return Err(OptimError {
                optimizer,
                param,
                value,
                rule,
            });
        }
        Ok(())
    }
    super::lr_and_state!();
    fn update(&mut self, i: usize, param: &mut [f32], grad: &[f32]) {
        let (lr, mu, wd) = (self.lr, self.momentum, self.weight_decay);
        if mu == 0.0 {
            for (w, &g) in param.iter_mut().zip(grad) {
                *w -= lr * decayed(g, *w, wd);
            }
            return;
        }
        let (keep, nesterov) = (1.0 - self.dampening, self.nesterov);
        let s = self.state.get(i, [param.len()]);
        let first = s.t == 0;
        s.t = s.t.saturating_add(1);
        for ((w, &g), v) in param.iter_mut().zip(grad).zip(s.buf[0].iter_mut()) {
            let d = decayed(g, *w, wd);
            *v = if first { d } else { mu * *v + keep * d };
            *w -= lr * if nesterov { d + mu * *v } else { *v };
        }
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::Sgd;
    use crate::optim::tests::replay;
    use crate::optim::Optimizer;

    #[test]
    fn matches_pytorch() {
        replay(&mut Sgd::new(0.1), "optim_sgd");
        replay(&mut Sgd::new(0.1).weight_decay(0.05), "optim_sgd_wd");
        replay(&mut Sgd::with_momentum(0.1, 0.9), "optim_momentum");
        replay(
            &mut Sgd::with_momentum(0.05, 0.8)
                .dampening(0.3)
                .weight_decay(0.01),
            "optim_momentum_damp_wd",
        );
        replay(&mut Sgd::nesterov(0.1, 0.9), "optim_nesterov");
        replay(
            &mut Sgd::nesterov(0.05, 0.7).weight_decay(0.02),
            "optim_nesterov_wd",
        );
    }

    /// Plain SGD walks downhill on a quadratic and reaches the minimum; momentum gets there too.
    #[test]
    fn minimises_a_quadratic() {
        for mut opt in [
            Sgd::new(0.1),
            Sgd::with_momentum(0.05, 0.9),
            Sgd::nesterov(0.05, 0.9),
        ] {
            let mut w = [3.0f32, -2.0];
            for _ in 0..300 {
                let g = [2.0 * (w[0] - 1.0), 4.0 * (w[1] + 0.5)];
                opt.step_slices(&mut [(&mut w[..], &g[..])]);
            }
            assert!(
                (w[0] - 1.0).abs() < 1e-4 && (w[1] + 0.5).abs() < 1e-4,
                "{opt:?}: {w:?}"
            );
        }
    }

    /// State is per tensor: reset forgets the momentum, so the next step equals a first step.
    #[test]
    fn reset_forgets_momentum() {
        let mut opt = Sgd::with_momentum(1.0, 0.9);
        let mut w = [0.0f32];
        opt.step_slices(&mut [(&mut w[..], &[1.0][..])]);
        opt.step_slices(&mut [(&mut w[..], &[1.0][..])]);
        assert_eq!(w, [-2.9]);
        opt.reset();
        opt.step_slices(&mut [(&mut w[..], &[1.0][..])]);
        assert_eq!(w, [-3.9]);
    }
}

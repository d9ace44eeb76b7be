//! Per-parameter adaptive step sizes: Adagrad, RMSProp, Adam (torch.optim's update rules).
//! Throughout, `d = g + weight_decay·w` and products, squares and quotients are elementwise.
use super::check::{non_negative, unit, OptimError};
use super::{decayed, powi, Optimizer, Slots};
use crate::math::sqrt;

/// `torch.optim.Adagrad(lr, lr_decay, weight_decay, initial_accumulator_value, eps)` (Duchi
/// et al.): `s ← s + d²`, `w ← w − lr_t·d / (√s + eps)` with `lr_t = lr / (1 + (t−1)·lr_decay)`.
/// Weights with large gradients get a smaller effective learning rate.
#[derive(Clone, Debug)]
pub struct Adagrad {
    /// Learning rate (PyTorch's default 1e-2).
    pub lr: f32,
    /// Learning-rate decay per step.
    pub lr_decay: f32,
    /// L2 penalty added to the gradient.
    pub weight_decay: f32,
    /// Starting value of the sum of squares.
    pub initial_accumulator_value: f32,
    /// Added to the denominator (default 1e-10).
    pub eps: f32,
    state: Slots<1>,
}

impl Adagrad {
    /// Adagrad with PyTorch's defaults and learning rate `lr`.
    pub fn new(lr: f32) -> Self {
        Adagrad {
            lr,
            lr_decay: 0.0,
            weight_decay: 0.0,
            initial_accumulator_value: 0.0,
            eps: 1e-10,
            state: Slots::default(),
        }
    }
    /// Sets the learning-rate decay.
    pub fn lr_decay(mut self, lr_decay: f32) -> Self {
        self.lr_decay = lr_decay;
        self
    }
    super::weight_decay_builder!();
    /// Sets the initial sum of squares.
    pub fn initial_accumulator_value(mut self, v: f32) -> Self {
        self.initial_accumulator_value = v;
        self
    }
}

impl Optimizer for Adagrad {
    super::lr_and_state!();
    fn check(&self) -> Result<(), OptimError> {
        non_negative("Adagrad", "lr", self.lr)?;
        non_negative("Adagrad", "lr_decay", self.lr_decay)?;
        non_negative("Adagrad", "weight_decay", self.weight_decay)?;
        let v = self.initial_accumulator_value;
        non_negative("Adagrad", "initial_accumulator_value", v)?;
        non_negative("Adagrad", "eps", self.eps)
    }
    fn update(&mut self, i: usize, param: &mut [f32], grad: &[f32]) {
        let (wd, eps) = (self.weight_decay, self.eps);
        let s = self.state.get(i, [param.len()]);
        if s.t == 0 {
            s.buf[0].fill(self.initial_accumulator_value);
        }
        s.t = s.t.saturating_add(1);
        let clr = (self.lr as f64 / (1.0 + (s.t - 1) as f64 * self.lr_decay as f64)) as f32;
        for ((w, &g), sum) in param.iter_mut().zip(grad).zip(s.buf[0].iter_mut()) {
            let d = decayed(g, *w, wd);
            *sum += d * d;
            *w -= clr * (d / (sqrt(*sum) + eps));
        }
    }
}

/// `torch.optim.RMSprop(lr, alpha, eps, weight_decay, momentum, centered)` (Hinton): a moving
/// average of squared gradients instead of Adagrad's ever-growing sum,
/// `a ← α·a + (1−α)·d²`, `w ← w − lr·d / (√a + eps)`.
///
/// `centered` also averages the gradient, `m ← α·m + (1−α)·d`, and divides by `√(a − m²) + eps`
/// (an estimate of the variance); `momentum > 0` keeps `b ← momentum·b + d / (…)` and steps
/// `w ← w − lr·b`.
#[derive(Clone, Debug)]
pub struct RmsProp {
    /// Learning rate (PyTorch's default 1e-2).
    pub lr: f32,
    /// Smoothing constant `α` (default 0.99).
    pub alpha: f32,
    /// Added to the denominator (default 1e-8).
    pub eps: f32,
    /// L2 penalty added to the gradient.
    pub weight_decay: f32,
    /// Momentum factor (0: none).
    pub momentum: f32,
    /// Normalise by the estimated variance of the gradient.
    pub centered: bool,
    state: Slots<3>,
}

impl RmsProp {
    /// RMSProp with PyTorch's defaults and learning rate `lr`.
    pub fn new(lr: f32) -> Self {
        RmsProp {
            lr,
            alpha: 0.99,
            eps: 1e-8,
            weight_decay: 0.0,
            momentum: 0.0,
            centered: false,
            state: Slots::default(),
        }
    }
    /// Sets the smoothing constant `α`.
    pub fn alpha(mut self, alpha: f32) -> Self {
        self.alpha = alpha;
        self
    }
    super::weight_decay_builder!();
    /// Sets the momentum factor.
    pub fn momentum(mut self, momentum: f32) -> Self {
        self.momentum = momentum;
        self
    }
    /// Centred RMSProp.
    pub fn centered(mut self) -> Self {
        self.centered = true;
        self
    }
}

impl Optimizer for RmsProp {
    super::lr_and_state!();
    fn check(&self) -> Result<(), OptimError> {
        non_negative("RmsProp", "lr", self.lr)?;
        // α = 1 never updates the average (PyTorch allows any α ≥ 0; above 1 it diverges)
        unit("RmsProp", "alpha", self.alpha)?;
        non_negative("RmsProp", "eps", self.eps)?;
        non_negative("RmsProp", "weight_decay", self.weight_decay)?;
        non_negative("RmsProp", "momentum", self.momentum)
    }
    fn update(&mut self, i: usize, param: &mut [f32], grad: &[f32]) {
        let (lr, a, eps, wd, mu) = (
            self.lr,
            self.alpha,
            self.eps,
            self.weight_decay,
            self.momentum,
        );
        let n = param.len();
        let lens = [
            n,
            if self.centered { n } else { 0 },
            if mu > 0.0 { n } else { 0 },
        ];
        let s = self.state.get(i, lens);
        s.t = s.t.saturating_add(1);
        let [sq, avg, buf] = &mut s.buf;
        for (j, (w, &g)) in param.iter_mut().zip(grad).enumerate() {
            let d = decayed(g, *w, wd);
            sq[j] = a * sq[j] + (1.0 - a) * d * d;
            let var = if let Some(m) = avg.get_mut(j) {
                *m += (1.0 - a) * (d - *m);
                sq[j] - *m * *m
            } else {
                sq[j]
            };
            let step = d / (sqrt(var) + eps);
            if let Some(b) = buf.get_mut(j) {
                *b = mu * *b + step;
                *w -= lr * *b;
            } else {
                *w -= lr * step;
            }
        }
    }
}

/// `torch.optim.Adam(lr, betas, eps, weight_decay, decoupled_weight_decay)` (Kingma & Ba):
/// smoothed gradient and squared gradient with bias correction,
/// `m ← β₁·m + (1−β₁)·d`, `v ← β₂·v + (1−β₂)·d²`,
/// `w ← w − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + eps)`.
///
/// With `decoupled_weight_decay` (AdamW) the decay is not added to the gradient; instead
/// `w ← (1 − lr·weight_decay)·w` before the step.
#[derive(Clone, Debug)]
pub struct Adam {
    /// Learning rate (PyTorch's default 1e-3).
    pub lr: f32,
    /// `(β₁, β₂)`, default `(0.9, 0.999)`.
    pub betas: (f32, f32),
    /// Added to the denominator (default 1e-8).
    pub eps: f32,
    /// L2 penalty added to the gradient (or decoupled, see above).
    pub weight_decay: f32,
    /// AdamW's decoupled weight decay.
    pub decoupled_weight_decay: bool,
    state: Slots<2>,
}

impl Adam {
    /// Adam with PyTorch's defaults and learning rate `lr`.
    pub fn new(lr: f32) -> Self {
        Adam {
            lr,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            decoupled_weight_decay: false,
            state: Slots::default(),
        }
    }
    /// Sets `(β₁, β₂)`.
    pub fn betas(mut self, beta1: f32, beta2: f32) -> Self {
        self.betas = (beta1, beta2);
        self
    }
    super::weight_decay_builder!();
    /// AdamW: decoupled weight decay `weight_decay` (PyTorch's AdamW default is 1e-2).
    pub fn decoupled(mut self, weight_decay: f32) -> Self {
        self.weight_decay = weight_decay;
        self.decoupled_weight_decay = true;
        self
    }
}

impl Optimizer for Adam {
    super::lr_and_state!();
    fn check(&self) -> Result<(), OptimError> {
        non_negative("Adam", "lr", self.lr)?;
        unit("Adam", "betas.0", self.betas.0)?;
        unit("Adam", "betas.1", self.betas.1)?;
        non_negative("Adam", "eps", self.eps)?;
        non_negative("Adam", "weight_decay", self.weight_decay)
    }
    fn update(&mut self, i: usize, param: &mut [f32], grad: &[f32]) {
        let ((b1, b2), eps, lr) = (self.betas, self.eps, self.lr);
        let (wd, shrink) = match self.decoupled_weight_decay {
            false => (self.weight_decay, 1.0),
            true => (0.0, 1.0 - lr * self.weight_decay),
        };
        let n = param.len();
        let s = self.state.get(i, [n, n]);
        s.t = s.t.saturating_add(1);
        // Bias corrections in f64, as PyTorch computes them on Python floats.
        let bc1 = 1.0 - powi(b1 as f64, s.t);
        let bc2 = 1.0 - powi(b2 as f64, s.t);
        let step = (lr as f64 / bc1) as f32;
        let bc2_sqrt = sqrt(bc2 as f32);
        let [m, v] = &mut s.buf;
        for ((w, &g), (m, v)) in param
            .iter_mut()
            .zip(grad)
            .zip(m.iter_mut().zip(v.iter_mut()))
        {
            if shrink != 1.0 {
                *w *= shrink;
            }
            let d = decayed(g, *w, wd);
            *m += (1.0 - b1) * (d - *m);
            *v = b2 * *v + (1.0 - b2) * d * d;
            *w -= step * (*m / (sqrt(*v) / bc2_sqrt + eps));
        }
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::optim::tests::replay;

    #[test]
    fn adagrad_matches_pytorch() {
        replay(&mut Adagrad::new(0.1), "optim_adagrad");
        replay(
            &mut Adagrad::new(0.1)
                .lr_decay(0.05)
                .weight_decay(0.02)
                .initial_accumulator_value(0.1),
            "optim_adagrad_decay_wd",
        );
    }

    #[test]
    fn rmsprop_matches_pytorch() {
        replay(&mut RmsProp::new(0.01), "optim_rmsprop");
        replay(
            &mut RmsProp::new(0.01).alpha(0.9).weight_decay(0.02),
            "optim_rmsprop_wd",
        );
        replay(
            &mut RmsProp::new(0.01).momentum(0.5),
            "optim_rmsprop_momentum",
        );
        replay(
            &mut RmsProp::new(0.01)
                .alpha(0.9)
                .centered()
                .momentum(0.5)
                .weight_decay(0.01),
            "optim_rmsprop_centered",
        );
    }

    #[test]
    fn adam_matches_pytorch() {
        replay(&mut Adam::new(0.01), "optim_adam");
        replay(
            &mut Adam::new(0.01).betas(0.8, 0.99).weight_decay(0.1),
            "optim_adam_wd",
        );
        replay(&mut Adam::new(0.01).decoupled(0.1), "optim_adamw");
    }

    /// Each adaptive rule reaches the minimum of a badly scaled quadratic.
    #[test]
    fn minimise_a_quadratic() {
        let mut opts: [std::boxed::Box<dyn Optimizer>; 3] = [
            std::boxed::Box::new(Adagrad::new(0.5)),
            std::boxed::Box::new(RmsProp::new(0.01)),
            std::boxed::Box::new(Adam::new(0.05)),
        ];
        for (k, opt) in opts.iter_mut().enumerate() {
            let mut w = [3.0f32, -2.0];
            for t in 0..2000 {
                if t == 1500 {
                    opt.set_lr(opt.lr() * 0.1); // settle the RMSProp / Adam jitter
                }
                let g = [2.0 * (w[0] - 1.0), 200.0 * (w[1] + 0.5)];
                opt.step_slices(&mut [(&mut w[..], &g[..])]);
            }
            assert!(
                (w[0] - 1.0).abs() < 1e-2 && (w[1] + 0.5).abs() < 1e-2,
                "optimiser {k}: {w:?}"
            );
        }
    }
}

//! Weight penalties: L1, L2 and elastic net (`l1·Σ|w| + l2/2·Σw²`), as a loss term and its
//! gradient, on the tensors the caller picks.
use super::Optimizer;
use crate::layer::Module;
use alloc::vec::Vec;

/// `l1·Σ|w| + l2/2·Σw²`: L1 (`l2 = 0`, encourages sparse weights), L2 (`l1 = 0`, small and
/// distributed weights) or both (elastic net). Its gradient is `l1·sign(w) + l2·w` (`sign(0) =
/// 0`), so `Penalty::l2(λ)` is the same as an optimiser's `weight_decay = λ`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Penalty {
    /// Weight of `Σ|w|`.
    pub l1: f32,
    /// Weight of `½Σw²`.
    pub l2: f32,
}

impl Penalty {
    /// `λ·Σ|w|`.
    pub fn l1(lambda: f32) -> Self {
        Penalty {
            l1: lambda,
            l2: 0.0,
        }
    }
    /// `λ/2·Σw²`.
    pub fn l2(lambda: f32) -> Self {
        Penalty {
            l1: 0.0,
            l2: lambda,
        }
    }
    /// `l1·Σ|w| + l2/2·Σw²`.
    pub fn elastic(l1: f32, l2: f32) -> Self {
        Penalty { l1, l2 }
    }

    /// The penalty of one tensor.
    pub fn value(&self, w: &[f32]) -> f32 {
        let (a, b) = w.iter().fold((0.0f64, 0.0f64), |(a, b), &x| {
            (a + x.abs() as f64, b + (x as f64) * (x as f64))
        });
        (self.l1 as f64 * a + 0.5 * self.l2 as f64 * b) as f32
    }

    /// Adds the penalty's gradient with respect to `w` into `g`.
    pub fn add_grad(&self, w: &[f32], g: &mut [f32]) {
        let (l1, l2) = (self.l1, self.l2);
        for (g, &x) in g.iter_mut().zip(w) {
            let sign = if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                0.0
            };
            *g += l1 * sign + l2 * x;
        }
    }

    /// The penalty summed over the parameter tensors of `net` for which `select(index, len)`
    /// holds (index in visit order) — the term to add to the reported loss.
    pub fn total<M: Module>(&self, net: &M, mut select: impl FnMut(usize, usize) -> bool) -> f32 {
        let (mut i, mut sum) = (0, 0.0f64);
        net.visit(&mut |w| {
            if select(i, w.len()) {
                sum += self.value(w) as f64;
            }
            i += 1;
        });
        sum as f32
    }
}

/// An optimiser that first adds a [`Penalty`]'s gradient to the gradient of every tensor for
/// which `select(index, len)` holds (index in visit order), e.g. `|i, _| i % 2 == 0` for the
/// weights (not the biases) of a chain of `Linear`/`Conv2d` layers.
pub struct Penalized<O, F> {
    /// The optimiser that takes the penalised gradient.
    pub inner: O,
    /// The penalty.
    pub penalty: Penalty,
    select: F,
    scratch: Vec<f32>,
}

impl<O: Optimizer, F: FnMut(usize, usize) -> bool> Penalized<O, F> {
    /// `inner` stepping on `grad + ∂penalty/∂w` for the selected tensors.
    pub fn new(inner: O, penalty: Penalty, select: F) -> Self {
        Penalized {
            inner,
            penalty,
            select,
            scratch: Vec::new(),
        }
    }
}

impl<O: Optimizer, F: FnMut(usize, usize) -> bool> Optimizer for Penalized<O, F> {
    fn lr(&self) -> f32 {
        self.inner.lr()
    }
    fn set_lr(&mut self, lr: f32) {
        self.inner.set_lr(lr);
    }
    fn reset(&mut self) {
        self.inner.reset();
    }
    /// The inner optimiser's check, and the penalty's weights finite and `≥ 0`.
    fn check(&self) -> Result<(), super::OptimError> {
        self.inner.check()?;
        super::check::non_negative("Penalty", "l1", self.penalty.l1)?;
        super::check::non_negative("Penalty", "l2", self.penalty.l2)
    }
    fn state(&self) -> super::State {
        self.inner.state()
    }
    fn set_state(&mut self, state: super::State) -> Result<(), super::StateError> {
        self.inner.set_state(state)
    }
    fn update(&mut self, i: usize, param: &mut [f32], grad: &[f32]) {
        if !(self.select)(i, param.len()) {
            return self.inner.update(i, param, grad);
        }
        self.scratch.clear();
        self.scratch.extend_from_slice(grad);
        self.penalty.add_grad(param, &mut self.scratch);
        self.inner.update(i, param, &self.scratch);
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::optim::{Adam, Sgd};
    use crate::rng::Rng;
    use alloc::vec::Vec;

    /// Central finite differences (f64 steps on an f32 value, eps 1e-3) agree with `add_grad`
    /// to 1e-3 relative, away from the L1 kink at 0; and `sign(0) = 0` at the kink.
    #[test]
    fn gradients_match_finite_differences() {
        let mut rng = Rng::new(5);
        let w: Vec<f32> = (0..40)
            .map(|_| {
                let x = rng.normal();
                x + 0.1 * x.signum()
            })
            .collect();
        for pen in [
            Penalty::l1(0.3),
            Penalty::l2(0.7),
            Penalty::elastic(0.2, 0.5),
        ] {
            let mut g = std::vec![0.25f32; w.len()];
            pen.add_grad(&w, &mut g);
            let eps = 1e-3f32;
            for i in 0..w.len() {
                let mut wp = w.clone();
                wp[i] += eps;
                let mut wm = w.clone();
                wm[i] -= eps;
                let num =
                    (pen.value(&wp) as f64 - pen.value(&wm) as f64) / (wp[i] as f64 - wm[i] as f64);
                let got = g[i] as f64 - 0.25;
                assert!(
                    (got - num).abs() <= 1e-3 * (1.0 + num.abs()),
                    "{pen:?} [{i}]: {got} vs {num}"
                );
            }
        }
        let mut g = [0.0f32; 3];
        Penalty::elastic(1.0, 1.0).add_grad(&[0.0, 2.0, -3.0], &mut g);
        assert_eq!(g, [0.0, 3.0, -4.0]);
        assert_eq!(
            Penalty::elastic(1.0, 1.0).value(&[0.0, 2.0, -3.0]),
            5.0 + 6.5
        );
    }

    /// `Penalty::l2(λ)` through `Penalized` is exactly an optimiser's `weight_decay = λ`;
    /// unselected tensors get the plain step; `total` sums the selected tensors only.
    #[test]
    fn penalized_optimiser() {
        let w0 = [0.5f32, -1.5, 2.0];
        let b0 = [0.3f32, -0.2];
        let (gw, gb) = ([0.1f32, 0.2, -0.3], [1.0f32, -1.0]);
        let mut a = Penalized::new(Adam::new(0.01), Penalty::l2(0.1), |i, _| i == 0);
        let mut b = Adam::new(0.01).weight_decay(0.1);
        let mut c = Adam::new(0.01);
        let (mut wa, mut ba, mut wb, mut bc) = (w0, b0, w0, b0);
        for _ in 0..3 {
            a.step_slices(&mut [(&mut wa[..], &gw[..]), (&mut ba[..], &gb[..])]);
            b.step_slices(&mut [(&mut wb[..], &gw[..])]);
            c.step_slices(&mut [(&mut [0.0f32; 3][..], &gw[..]), (&mut bc[..], &gb[..])]);
        }
        assert_eq!(wa, wb);
        assert_eq!(ba, bc);

        let mut sgd = Penalized::new(Sgd::new(1.0), Penalty::l1(0.5), |_, len| len > 1);
        let mut w = [1.0f32, -2.0];
        let mut s = [3.0f32];
        sgd.step_slices(&mut [(&mut w[..], &[0.0, 0.0][..]), (&mut s[..], &[0.0][..])]);
        assert_eq!((w, s), ([0.5, -1.5], [3.0]));

        use crate::layer::Module;
        let net = (
            crate::layer::new_boxed::<crate::Linear<typenum::U3, typenum::U2>>(1),
            (),
        );
        let (mut all, mut weights) = (0.0, 0.0);
        net.0.visit(&mut |p| all += Penalty::l1(1.0).value(p));
        net.0.visit(&mut |p| {
            if p.len() == 6 {
                weights += Penalty::l1(1.0).value(p)
            }
        });
        assert_eq!(Penalty::l1(1.0).total(&*net.0, |_, _| true), all);
        assert_eq!(Penalty::l1(1.0).total(&*net.0, |i, _| i == 0), weights);
    }
}

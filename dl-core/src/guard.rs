//! Run-time checks of a training step that the types cannot make:
//!
//! * [`BatchLenError`] — `y` or `dy` handed to a backward pass holds another number of samples
//!   than `x` ([`Train::try_backward`](crate::Train::try_backward) returns it; `backward` panics
//!   with its message).
//! * [`TrainBatchError`] — a training batch too small for a layer: a BatchNorm would see one
//!   value per channel, whose batch variance is undefined
//!   ([`Train::try_forward_train`](crate::Train::try_forward_train) returns it).
//! * [`FiniteGuard`] — stops training on the first NaN or infinite loss, gradient or parameter,
//!   naming the step, the tensor (its position in [`Module::visit`] order, and its name if
//!   given) and the index: one pass over the gradients, about the cost of adding them up.
//!
//! ```
//! use dl_core::guard::FiniteGuard;
//! use dl_core::{consts::*, Batch, Linear, Network, Seq, Shape1, Train};
//! type Net = Network<Shape1<U2>, Seq![Linear<U2, U1>]>;
//! let mut net = Net::new(0);
//! let x = Batch::<Shape1<U2>>::from_vec(vec![1.0, f32::NAN]).unwrap();
//! let (mut y, mut dx, mut cache) = (Batch::default(), Batch::default(), Default::default());
//! let mut grad = net.zero_grad();
//! let mut guard = FiniteGuard::new().names(&["fc.weight", "fc.bias"]);
//! net.forward_train(&x, &mut y, &mut cache);
//! let dy = Batch::from_vec(vec![1.0]).unwrap();
//! net.try_backward(&x, &y, &dy, &mut dx, &mut cache, &mut grad).unwrap();
//! let e = guard.check(0.5, &*grad).unwrap_err();
//! assert_eq!(
//!     e.to_string(),
//!     "step 1: the gradient of tensor 0 of 2 (`fc.weight`, 2 values) holds NaN at index 1"
//! );
//! ```
use crate::layer::Module;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

/// A backward pass was handed a `y` or `dy` of another number of samples than its `x`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchLenError {
    /// Samples in `x`.
    pub x: usize,
    /// Samples in `y` (the forward output).
    pub y: usize,
    /// Samples in `dy` (`∂L/∂y`).
    pub dy: usize,
}

impl fmt::Display for BatchLenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let BatchLenError { x, y, dy } = *self;
        let (what, n) = if dy != x { ("dy", dy) } else { ("y", y) };
        write!(
            f,
            "backward: {what} holds {n} samples but x holds {x} (x {x}, y {y}, dy {dy}): y and dy must be the forward output of this x and the loss's gradient for it"
        )
    }
}

impl core::error::Error for BatchLenError {}

/// `Ok` if `y` and `dy` hold as many samples as `x`.
pub fn check_batches(x: usize, y: usize, dy: usize) -> Result<(), BatchLenError> {
    match x == y && x == dy {
        true => Ok(()),
        false => Err(BatchLenError { x, y, dy }),
    }
}

/// Panics with [`BatchLenError`]'s message unless `y` and `dy` hold as many samples as `x`
/// (what an unchecked `backward` does before any work).
#[track_caller]
pub fn assert_batches(x: usize, y: usize, dy: usize) {
    if let Err(e) = check_batches(x, y, dy) {
        panic!("{e} (Train::try_backward returns this as an error)");
    }
}

/// A training forward would normalise one value per channel: a `BatchNorm1d` on a batch of one
/// sample, or a `BatchNorm2d` where `N·H·W = 1`. The batch's variance is then undefined and
/// the output would be β whatever the input (PyTorch raises "Expected more than 1 value per
/// channel when training"). [`Train::try_forward_train`](crate::Train::try_forward_train)
/// returns this before anything runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrainBatchError {
    /// `"BatchNorm1d"` or `"BatchNorm2d"`.
    pub layer: &'static str,
    /// The layer's channels (features).
    pub channels: usize,
    /// Values per channel in one sample: 1 for `BatchNorm1d`, `H·W` for `BatchNorm2d`.
    pub per_sample: usize,
    /// Samples in the batch.
    pub samples: usize,
    /// The layer's position: its link in a [`Seq`](struct@crate::Seq) chain (from 0, a block counting
    /// as one link), or its field in a `network!` struct.
    pub at: Option<At>,
}

/// Where a [`TrainBatchError`]'s layer sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum At {
    /// Link `i` of a `Seq` chain (`Network<In, Seq![…]>`), counted from 0.
    Link(usize),
    /// The field of a `network!` struct.
    Field(&'static str),
}

impl fmt::Display for TrainBatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let TrainBatchError {
            layer,
            channels,
            per_sample,
            samples,
            ..
        } = *self;
        write!(f, "training {layer}({channels})")?;
        match self.at {
            Some(At::Link(i)) => write!(f, " (link {i} of the chain)")?,
            Some(At::Field(name)) => write!(f, " (field `{name}`)")?,
            None => {}
        }
        write!(
            f,
            ": expected more than 1 value per channel, got {} ({samples} sample{} × {per_sample} \
             value{} per channel): the batch variance of one value is undefined; train on more samples \
             per batch (or a larger map), or use eval mode (`forward` / `infer`)",
            samples * per_sample,
            if samples == 1 { "" } else { "s" },
            if per_sample == 1 { "" } else { "s" },
        )
    }
}

impl core::error::Error for TrainBatchError {}

/// What held the non-finite value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Held {
    /// The loss itself.
    Loss,
    /// A gradient tensor.
    Gradient,
    /// A parameter tensor (after an optimiser step).
    Parameter,
}

/// The first NaN or infinity a [`FiniteGuard`] found.
#[derive(Clone, Debug, PartialEq)]
pub struct NonFinite {
    /// The step: the guard's count of [`FiniteGuard::check`] calls, from 1.
    pub step: usize,
    /// The loss, a gradient or a parameter.
    pub held: Held,
    /// The tensor's position in [`Module::visit`] order (0 for the loss).
    pub tensor: usize,
    /// Tensors visited (1 for the loss).
    pub tensors: usize,
    /// The tensor's name, if the guard was given names.
    pub name: Option<String>,
    /// Values in the tensor.
    pub len: usize,
    /// Index of the first non-finite value in the tensor.
    pub index: usize,
    /// The value (NaN, `inf` or `-inf`).
    pub value: f32,
}

impl fmt::Display for NonFinite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (step, value) = (self.step, self.value);
        let what = match self.held {
            Held::Loss => return write!(f, "step {step}: the loss is {value}"),
            Held::Gradient => "the gradient of tensor",
            Held::Parameter => "parameter tensor",
        };
        let (t, n, len, i) = (self.tensor, self.tensors, self.len, self.index);
        match &self.name {
            Some(name) => write!(
                f,
                "step {step}: {what} {t} of {n} (`{name}`, {len} values) holds {value} at index {i}"
            ),
            None => write!(
                f,
                "step {step}: {what} {t} of {n} in visit order ({len} values) holds {value} at index {i}"
            ),
        }
    }
}

impl core::error::Error for NonFinite {}

/// Stops training on the first non-finite loss, gradient or parameter. Call
/// [`FiniteGuard::check`] once per step, after the backward pass and before the optimiser's
/// step (so the weights are still the last finite ones when it fails); [`FiniteGuard::params`]
/// checks the weights themselves.
#[derive(Clone, Debug, Default)]
pub struct FiniteGuard {
    step: usize,
    names: Vec<String>,
}

impl FiniteGuard {
    /// A guard at step 0 with no tensor names.
    pub fn new() -> Self {
        Self::default()
    }
    /// Names for the tensors in [`Module::visit`] order (e.g. PyTorch's `state_dict` keys),
    /// used in the error; a tensor past the end of the list is named by its position only.
    pub fn names<S: AsRef<str>>(mut self, names: &[S]) -> Self {
        self.names = names.iter().map(|s| s.as_ref().to_string()).collect();
        self
    }
    /// Steps checked so far.
    pub fn steps(&self) -> usize {
        self.step
    }
    /// Counts a step, then checks `loss` and every tensor of `grad`.
    pub fn check<G: Module>(&mut self, loss: f32, grad: &G) -> Result<(), NonFinite> {
        self.step += 1;
        if !loss.is_finite() {
            return Err(self.error(Held::Loss, 0, 1, 1, 0, loss));
        }
        self.scan(Held::Gradient, grad)
    }
    /// Checks every parameter of `net` (at the current step, not counting a new one).
    pub fn params<M: Module>(&self, net: &M) -> Result<(), NonFinite> {
        self.scan(Held::Parameter, net)
    }

    fn scan<M: Module>(&self, held: Held, m: &M) -> Result<(), NonFinite> {
        let mut tensors = 0;
        m.visit(&mut |_| tensors += 1);
        let (mut t, mut found) = (0, None);
        m.visit(&mut |v| {
            if found.is_none() {
                if let Some(i) = first_non_finite(v) {
                    found = Some(self.error(held, t, tensors, v.len(), i, v[i]));
                }
            }
            t += 1;
        });
        found.map_or(Ok(()), Err)
    }

    fn error(
        &self,
        held: Held,
        tensor: usize,
        tensors: usize,
        len: usize,
        index: usize,
        value: f32,
    ) -> NonFinite {
        let name = match held {
            Held::Loss => None,
            _ => self.names.get(tensor).cloned(),
        };
        NonFinite {
            step: self.step,
            held,
            tensor,
            tensors,
            name,
            len,
            index,
            value,
        }
    }
}

/// The index of the first NaN or infinity in `v`: 64 values at a time without a branch (so it
/// vectorises), then the exact index in the block that has one.
fn first_non_finite(v: &[f32]) -> Option<usize> {
    crate::kernels::simd(|| {
        for (b, c) in v.chunks(64).enumerate() {
            if c.iter().fold(false, |bad, x| bad | !x.is_finite()) {
                return c.iter().position(|x| !x.is_finite()).map(|i| b * 64 + i);
            }
        }
        None
    })
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::consts::*;
    use crate::{Batch, Linear, Network, ReLU, Shape1, Train};

    type Net = Network<Shape1<U3>, crate::Seq![Linear<U3, U4>, ReLU, Linear<U4, U2>]>;
    const NAMES: [&str; 4] = ["0.weight", "0.bias", "2.weight", "2.bias"];

    fn batch<S: crate::Shape>(v: &[f32]) -> Batch<S> {
        Batch::from_vec(v.to_vec()).unwrap()
    }

    #[test]
    fn backward_checks_the_sample_counts() {
        let net = Net::new(0);
        let mut net2 = Net::new(0);
        let x = batch::<Shape1<U3>>(&[0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
        let (mut y, mut dx, mut c) = (Batch::default(), Batch::default(), Default::default());
        net2.forward_train(&x, &mut y, &mut c);
        let mut g = net.zero_grad();
        for dy_n in [1, 3] {
            let dy = Batch::<Shape1<U2>>::zeros(dy_n);
            let e = net2
                .try_backward(&x, &y, &dy, &mut dx, &mut c, &mut g)
                .unwrap_err();
            assert_eq!(
                e,
                BatchLenError {
                    x: 2,
                    y: 2,
                    dy: dy_n
                }
            );
            assert_eq!(
                e.to_string(),
                format!("backward: dy holds {dy_n} samples but x holds 2 (x 2, y 2, dy {dy_n}): y and dy must be the forward output of this x and the loss's gradient for it")
            );
        }
        let mut g0 = Vec::new();
        g.visit(&mut |t| g0.extend_from_slice(t));
        assert!(g0.iter().all(|&v| v == 0.0), "nothing ran on error");
        let e = net2
            .try_backward(
                &x,
                &Batch::zeros(1),
                &Batch::zeros(2),
                &mut dx,
                &mut c,
                &mut g,
            )
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("backward: y holds 1 samples but x holds 2"),
            "{e}"
        );
        let dy = Batch::<Shape1<U2>>::zeros(2);
        assert_eq!(
            net2.try_backward(&x, &y, &dy, &mut dx, &mut c, &mut g),
            Ok(())
        );
        // the unchecked backward panics with the same words, before the kernels
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            net2.backward(&x, &y, &Batch::zeros(1), &mut dx, &mut c, &mut g)
        }));
        let msg = r.unwrap_err();
        let msg = msg.downcast_ref::<String>().unwrap();
        assert!(
            msg.starts_with("backward: dy holds 1 samples but x holds 2"),
            "{msg}"
        );
    }

    /// One training step on input `x` with an MSE-like gradient `dy = y`.
    fn step(net: &mut Net, x: &[f32], guard: &mut FiniteGuard) -> Result<(), NonFinite> {
        let x = batch::<Shape1<U3>>(x);
        let (mut y, mut dx, mut c) = (Batch::default(), Batch::default(), Default::default());
        net.forward_train(&x, &mut y, &mut c);
        let loss = y.as_slice().iter().map(|v| v * v).sum::<f32>();
        let mut g = net.zero_grad();
        let dy = y.clone();
        net.try_backward(&x, &y, &dy, &mut dx, &mut c, &mut g)
            .unwrap();
        guard.check(loss, &*g)?;
        guard.params(&*net)
    }

    /// Sets value `i` of tensor `t` (in visit order) of `m`.
    fn set<M: Module>(m: &mut M, t: usize, i: usize, v: f32) {
        let mut k = 0;
        m.visit_mut(&mut |p| {
            if k == t {
                p[i] = v;
            }
            k += 1;
        });
    }

    #[test]
    fn guard_names_step_tensor_and_index() {
        let mut net = Net::new(3);
        let mut guard = FiniteGuard::new().names(&NAMES);
        step(&mut net, &[0.1, 0.2, 0.3], &mut guard).unwrap();
        step(&mut net, &[0.3, -0.2, 0.1], &mut guard).unwrap();
        // a NaN input: through ReLU (which keeps it) the loss is NaN
        let e = step(&mut net, &[0.3, f32::NAN, 0.1], &mut guard).unwrap_err();
        assert_eq!((e.step, e.held), (3, Held::Loss));
        assert_eq!(e.to_string(), "step 3: the loss is NaN");
        // a gradient: checked without the loss being bad
        let mut g = net.zero_grad();
        set(&mut *g, 2, 7, f32::INFINITY);
        let e = guard.check(1.0, &*g).unwrap_err();
        assert_eq!((e.step, e.tensor, e.index, e.len), (4, 2, 7, 8));
        assert_eq!(
            e.to_string(),
            "step 4: the gradient of tensor 2 of 4 (`2.weight`, 8 values) holds inf at index 7"
        );
        // without names, the position in visit order
        let e = FiniteGuard::new().check(1.0, &*g).unwrap_err();
        assert_eq!(
            e.to_string(),
            "step 1: the gradient of tensor 2 of 4 in visit order (8 values) holds inf at index 7"
        );
        set(&mut *net, 1, 3, f32::NEG_INFINITY);
        let e = guard.params(&*net).unwrap_err();
        assert_eq!(
            e.to_string(),
            "step 4: parameter tensor 1 of 4 (`0.bias`, 4 values) holds -inf at index 3"
        );
    }

    #[test]
    fn first_non_finite_at_every_position() {
        for n in [1, 7, 63, 64, 65, 200] {
            assert_eq!(first_non_finite(&vec![1.0; n]), None);
            for i in 0..n {
                let mut v = vec![1.0f32; n];
                v[i] = f32::NAN;
                if i + 1 < n {
                    v[n - 1] = f32::INFINITY;
                }
                assert_eq!(first_non_finite(&v), Some(i), "n {n} i {i}");
            }
        }
    }

    /// SGD at lr 1e6 diverges: the guard stops it at the first step whose loss or gradient is
    /// no longer finite (before, the weights went to inf and NaN without a word).
    #[test]
    fn divergence_is_caught_at_its_first_step() {
        use crate::optim::{Optimizer, Sgd};
        let mut net = Net::new(1);
        let mut opt = Sgd::new(1e6);
        let mut guard = FiniteGuard::new();
        let x = batch::<Shape1<U3>>(&[0.5, -0.3, 0.8]);
        let (mut y, mut dx, mut c) = (Batch::default(), Batch::default(), Default::default());
        let e = loop {
            net.forward_train(&x, &mut y, &mut c);
            let loss = y.as_slice().iter().map(|v| v * v).sum::<f32>();
            let mut g = net.zero_grad();
            let dy = batch::<Shape1<U2>>(&y.as_slice().iter().map(|v| 2.0 * v).collect::<Vec<_>>());
            net.try_backward(&x, &y, &dy, &mut dx, &mut c, &mut g)
                .unwrap();
            if let Err(e) = guard.check(loss, &*g) {
                break e;
            }
            opt.step(&mut net, &g);
            assert!(guard.steps() < 50, "never diverged");
        };
        assert!(e.step >= 2 && e.held != Held::Parameter, "{e}");
        assert!(
            e.to_string().starts_with(&format!("step {}: ", e.step)),
            "{e}"
        );
        std::println!("SGD lr 1e6 stopped: {e}");
    }
}

//! Optimisers, learning-rate schedules and weight penalties (torch.optim's update rules).
//!
//! * [`Optimizer`] — one trait for every update rule: `opt.step(&mut net, &grad)` after a
//!   backward pass, or [`Optimizer::step_slices`] over plain `(param, grad)` slices.
//! * [`sgd`] — [`Sgd`]: batch GD, SGD and mini-batch SGD, Momentum, Nesterov.
//! * [`adaptive`] — [`Adagrad`], [`RmsProp`], [`Adam`] (per-parameter step sizes).
//! * [`schedule`] — [`StepLr`], [`ExponentialLr`], [`ExpDecay`] and [`ReduceLrOnPlateau`].
//! * [`regularize`] — L1, L2 and elastic-net [`Penalty`], and [`Penalized`], an optimiser that
//!   adds a penalty's gradient to the tensors the caller picks.
//!
//! Every optimiser has `weight_decay` (L2 added to the gradient, `g + λ·w`, as torch.optim does)
//! and a settable learning rate ([`Optimizer::set_lr`]) for the schedules. State (momentum and
//! moment buffers) is kept per parameter tensor in visit order and allocated, zeroed, the first
//! time a step reaches the tensor, so one optimiser serves one network.
//!
//! ```
//! use dl_core::optim::{Adam, Optimizer, Schedule, StepLr};
//! use dl_core::{consts::*, Batch, Linear, Network, Seq, Shape1, Sigmoid};
//! type Net = Network<Shape1<U3>, Seq![Linear<U3, U8>, Sigmoid, Linear<U8, U1>]>;
//! let mut net = Net::new(0);
//! let x = Batch::<Shape1<U3>>::from_vec(vec![0.1, 0.2, 0.3, -0.5, 0.0, 0.5]).unwrap();
//! let mut opt = Adam::new(1e-2);
//! let sched = StepLr::new(1e-2, 10, 0.5);
//! let (mut y, mut dx, mut cache) = (Batch::default(), Batch::default(), Default::default());
//! let mut grad = net.zero_grad();
//! for epoch in 0..20 {
//!     sched.apply(epoch, &mut opt);
//!     net.forward_train(&x, &mut y, &mut cache);
//!     // dL/dy of L = mean(y²)/2
//!     let dy = Batch::from_vec(y.as_slice().iter().map(|v| v / 2.0).collect()).unwrap();
//!     dl_core::Module::zero(&mut *grad);
//!     net.backward(&x, &y, &dy, &mut dx, &mut cache, &mut grad);
//!     opt.step(&mut net, &grad);
//! }
//! assert_eq!(opt.lr(), 5e-3);
//! //! ```
use crate::layer::Train;
use crate::shape::Shape;
use alloc::boxed::Box;
use alloc::vec::Vec;

pub mod adaptive;
mod check;
pub mod regularize;
pub mod schedule;
pub mod sgd;
pub mod state;

pub use adaptive::{Adagrad, Adam, RmsProp};
pub use check::OptimError;
pub use regularize::{Penalized, Penalty};
pub use schedule::{
    ExpDecay, ExponentialLr, Mode, ReduceLrOnPlateau, Schedule, StepLr, ThresholdMode,
};
pub use sgd::Sgd;
pub use state::{State, StateError, TensorState};

/// The parts every optimiser here shares: the `lr` / `set_lr` / `reset` methods of
/// [`Optimizer`] over the fields `lr` and `state`, written inside its `impl Optimizer`.
macro_rules! lr_and_state {
    () => {
        fn lr(&self) -> f32 {
            self.lr
        }
        fn set_lr(&mut self, lr: f32) {
            self.lr = lr;
        }
        fn reset(&mut self) {
            self.state.clear();
        }
        fn state(&self) -> $crate::optim::State {
            $crate::optim::State {
                lr: self.lr,
                tensors: self.state.export(),
            }
        }
        fn set_state(
            &mut self,
            state: $crate::optim::State,
        ) -> Result<(), $crate::optim::StateError> {
            self.state.import(state.tensors)?;
            self.lr = state.lr;
            Ok(())
        }
    };
}
pub(crate) use lr_and_state;

/// The `weight_decay` builder (L2 added to the gradient) of an optimiser with that field.
macro_rules! weight_decay_builder {
    () => {
        /// Sets the weight decay (L2 added to the gradient, `g + weight_decay·w`).
        pub fn weight_decay(mut self, weight_decay: f32) -> Self {
            self.weight_decay = weight_decay;
            self
        }
    };
}
pub(crate) use weight_decay_builder;

/// An update rule. Implementors write [`Optimizer::update`] for one tensor; the provided
/// methods walk a network (or a list of slices) and call it for each tensor in visit order.
pub trait Optimizer {
    /// The current learning rate.
    fn lr(&self) -> f32;
    /// Sets the learning rate used by the next steps (schedules call this).
    fn set_lr(&mut self, lr: f32);
    /// Updates tensor `i` (its position in visit order) from its gradient. Its state is created
    /// zeroed when first seen, and again if the tensor's length changes.
    fn update(&mut self, i: usize, param: &mut [f32], grad: &[f32]);
    /// Forgets all state (momentum, moments, step counts); the learning rate stays.
    fn reset(&mut self);
    /// Checks every hyper-parameter as torch.optim's constructors do (a NaN, negative or
    /// infinite learning rate, a β outside `[0, 1)`, an `eps ≤ 0`, a negative momentum or
    /// weight decay…), the error naming the optimiser, the parameter and its value. The
    /// constructors and builders do not check, so a chain of them ends with [`checked`].
    ///
    /// [`checked`]: Optimizer::checked
    fn check(&self) -> Result<(), OptimError> {
        check::non_negative("optimizer", "lr", self.lr())
    }
    /// `self` if [`Optimizer::check`] passes: `let opt = Adam::new(1e-3).betas(0.9, 0.99).checked()?;`.
    fn checked(self) -> Result<Self, OptimError>
    where
        Self: Sized,
    {
        self.check().map(|()| self)
    }
    /// A snapshot of the state (learning rate, per-tensor step counts and buffers), for a
    /// checkpoint (`io::save_optimizer`). The default, for a rule without state, holds the
    /// learning rate only.
    fn state(&self) -> State {
        State {
            lr: self.lr(),
            tensors: Vec::new(),
        }
    }
    /// Restores a snapshot taken by [`Optimizer::state`] of the same kind of optimiser, so the
    /// next step is the one that would have followed it. The default accepts no per-tensor
    /// state.
    fn set_state(&mut self, state: State) -> Result<(), StateError> {
        if let Some(t) = state.tensors.first() {
            return Err(StateError::Buffers {
                tensor: 0,
                expected: 0,
                found: t.buffers.len(),
            });
        }
        self.set_lr(state.lr);
        Ok(())
    }

    /// One step over every parameter of `net` with the gradient a backward pass filled in
    /// `grad`, paired by [`Train::visit_with_grad`]. `net` is the network or the box `new`
    /// returns (`opt.step(&mut net, &grad)` either way; see [`Steps`]). `In` is inferred for a
    /// [`crate::Network`] or a `network!` struct (each trains on one input shape); for a bare
    /// chain of shape-generic layers name it: `opt.step::<Shape1<U3>, _, _>(&mut net, &grad)`.
    fn step<In: Shape, Via, N: Steps<In, Via> + ?Sized>(
        &mut self,
        net: &mut N,
        grad: &<N::Net as Train<In>>::Grad,
    ) where
        Self: Sized,
    {
        let net = net.net_mut();
        self.step_with(|f| net.visit_with_grad(grad, f));
    }

    /// One step over `(param, grad)` pairs; the pair's position is its tensor index.
    fn step_slices(&mut self, pairs: &mut [(&mut [f32], &[f32])])
    where
        Self: Sized,
    {
        self.step_with(|f| pairs.iter_mut().for_each(|(p, g)| f(p, g)));
    }

    /// One step over whatever `visit` hands to its callback, numbered in the order visited.
    fn step_with(&mut self, visit: impl FnOnce(&mut dyn FnMut(&mut [f32], &[f32])))
    where
        Self: Sized,
    {
        let mut i = 0;
        visit(&mut |p, g| {
            self.update(i, p, g);
            i += 1;
        });
    }
}

/// What [`Optimizer::step`] steps: a trainable network `T` itself (`Via` = [`Direct`]) or the
/// `Box<T>` that `new` returns (`Via` = [`Boxed`]). The `Via` marker keeps the two impls apart
/// (a blanket impl for `T` and one for `Box<T>` would overlap), and is inferred: only one of
/// them applies to a given type, so callers never name it.
pub trait Steps<In: Shape, Via> {
    /// The network being trained.
    type Net: Train<In>;
    /// The network itself.
    fn net_mut(&mut self) -> &mut Self::Net;
}
/// [`Steps`] marker: the network itself.
pub enum Direct {}
/// [`Steps`] marker: the network in a `Box`.
pub enum Boxed {}
impl<In: Shape, T: Train<In>> Steps<In, Direct> for T {
    type Net = T;
    fn net_mut(&mut self) -> &mut T {
        self
    }
}
impl<In: Shape, T: Train<In>> Steps<In, Boxed> for Box<T> {
    type Net = T;
    fn net_mut(&mut self) -> &mut T {
        self
    }
}

/// Forwards to the boxed optimiser, so `Box<dyn Optimizer>` steps a network too.
impl<O: Optimizer + ?Sized> Optimizer for Box<O> {
    fn lr(&self) -> f32 {
        (**self).lr()
    }
    fn set_lr(&mut self, lr: f32) {
        (**self).set_lr(lr)
    }
    fn update(&mut self, i: usize, param: &mut [f32], grad: &[f32]) {
        (**self).update(i, param, grad)
    }
    fn reset(&mut self) {
        (**self).reset()
    }
    fn check(&self) -> Result<(), OptimError> {
        (**self).check()
    }
    fn state(&self) -> State {
        (**self).state()
    }
    fn set_state(&mut self, state: State) -> Result<(), StateError> {
        (**self).set_state(state)
    }
}

/// The state of one tensor: a step count and `K` buffers.
#[derive(Clone, Debug)]
pub(crate) struct Slot<const K: usize> {
    /// Steps taken so far on this tensor.
    pub t: u32,
    pub buf: [Vec<f32>; K],
}

impl<const K: usize> Default for Slot<K> {
    fn default() -> Self {
        Slot {
            t: 0,
            buf: core::array::from_fn(|_| Vec::new()),
        }
    }
}

/// Per-tensor state in visit order.
#[derive(Clone, Debug)]
pub(crate) struct Slots<const K: usize>(Vec<Slot<K>>);

impl<const K: usize> Default for Slots<K> {
    fn default() -> Self {
        Slots(Vec::new())
    }
}

impl<const K: usize> Slots<K> {
    /// The state of tensor `i` with buffer `k` holding `lens[k]` values (0 for an unused
    /// buffer); created zeroed on first use or when the lengths changed.
    pub fn get(&mut self, i: usize, lens: [usize; K]) -> &mut Slot<K> {
        if i >= self.0.len() {
            self.0.resize_with(i + 1, Slot::default);
        }
        let s = &mut self.0[i];
        if s.buf.iter().zip(lens).any(|(b, n)| b.len() != n) {
            s.t = 0;
            for (b, n) in s.buf.iter_mut().zip(lens) {
                b.clear();
                b.resize(n, 0.0);
            }
        }
        s
    }
    pub fn clear(&mut self) {
        self.0.clear();
    }
}

/// The gradient with weight decay: `g + λ·w`.
#[inline]
pub(crate) fn decayed(g: f32, w: f32, weight_decay: f32) -> f32 {
    if weight_decay != 0.0 {
        g + weight_decay * w
    } else {
        g
    }
}

/// `x^n` by repeated squaring (f64; `powi` needs `std`).
pub(crate) fn powi(mut x: f64, mut n: u32) -> f64 {
    let mut r = 1.0;
    while n > 0 {
        if n & 1 == 1 {
            r *= x;
        }
        x *= x;
        n >>= 1;
    }
    r
}

#[cfg(all(test, feature = "std"))]
pub(crate) mod tests {
    use super::Optimizer;
    use crate::testing::{assert_close, fixture};
    use alloc::string::{String, ToString};
    use alloc::vec::Vec;

    /// Replays `dl-core/fixtures/<name>.txt` (written by scripts/torch_fixtures_optim.py):
    /// tensors `w` and `b`, five steps with gradients `gw<t>`, `gb<t>`, and PyTorch's
    /// parameters after each step in `w<t>`, `b<t>`. Tolerance 1e-6 in `assert_close`'s sense
    /// (|got − want| ≤ 1e-6·(1 + |want|)).
    pub fn replay(opt: &mut impl Optimizer, name: &str) {
        replay_with(opt, name, |_, _| {});
    }

    /// [`replay`], calling `before(t, opt)` before step `t = 0..5`.
    pub fn replay_with<O: Optimizer>(
        opt: &mut O,
        name: &str,
        mut before: impl FnMut(usize, &mut O),
    ) {
        let fx = fixture(name);
        let (mut w, mut b) = (fx.get("w").to_vec(), fx.get("b").to_vec());
        for t in 1..=5usize {
            let key = |s: &str| String::from(s) + &t.to_string();
            let (gw, gb) = (fx.get(&key("gw")), fx.get(&key("gb")));
            before(t - 1, opt);
            opt.step_slices(&mut [(&mut w[..], gw), (&mut b[..], gb)]);
            assert_close(
                &std::format!("{name} w after step {t}"),
                &w,
                fx.get(&key("w")),
                1e-6,
            );
            assert_close(
                &std::format!("{name} b after step {t}"),
                &b,
                fx.get(&key("b")),
                1e-6,
            );
        }
    }

    /// `Net::new` returns a box; `opt.step(&mut net, …)` takes it as it is (no `&mut *net`)
    /// and steps exactly as on the network itself.
    #[test]
    fn the_box_steps_like_the_network() {
        use crate::layer::Module;
        use crate::tensor::Batch;
        use crate::{Linear, Network, Shape1, Tanh};
        use typenum::consts::*;
        type Net = Network<Shape1<U2>, crate::Seq![Linear<U2, U3>, Tanh, Linear<U3, U1>]>;
        let (mut boxed, mut plain) = (Net::new(1), Net::new(1));
        let x = Batch::<Shape1<U2>>::from_vec(std::vec![0.5, -1.0, 2.0, 0.25]).unwrap();
        let (mut y, mut dx, mut c) = (Batch::default(), Batch::default(), Default::default());
        boxed.forward_train(&x, &mut y, &mut c);
        let dy = Batch::from_vec(std::vec![1.0, -2.0]).unwrap();
        let mut g = boxed.zero_grad();
        boxed.backward(&x, &y, &dy, &mut dx, &mut c, &mut g);
        let (mut a, mut b) = (super::Adam::new(0.1), super::Adam::new(0.1));
        a.step(&mut boxed, &g);
        b.step(&mut *plain, &g);
        let params = |n: &Net| {
            let mut v = Vec::new();
            n.visit(&mut |p| v.extend_from_slice(p));
            v
        };
        assert_eq!(params(&boxed), params(&plain));
        assert_ne!(
            params(&boxed),
            params(&Net::new(1)),
            "the step moved the weights"
        );
    }

    /// Every optimiser must step a real network through `Train::visit_with_grad`, boxed as
    /// `dyn Optimizer` too.
    #[test]
    fn steps_a_network_in_visit_order() {
        use crate::layer::{new_boxed, zeroed_box, Module, Train};
        use crate::tensor::Batch;
        use crate::{Linear, Shape1, Sigmoid};
        use typenum::consts::*;
        type Net = crate::Seq![Linear<U3, U4>, Sigmoid, Linear<U4, U1>];
        let mut net = new_boxed::<Net>(3);
        let x =
            Batch::<Shape1<U3>>::from_vec((0..6).map(|i| i as f32 * 0.3 - 1.0).collect()).unwrap();
        let mut y = Batch::default();
        let mut c = Default::default();
        net.forward_train(&x, &mut y, &mut c);
        let dy = Batch::<Shape1<U1>>::from_vec(std::vec![1.0, -0.5]).unwrap();
        let mut dx = Batch::default();
        let mut g = zeroed_box::<<Net as Train<Shape1<U3>>>::Grad>();
        net.backward(&x, &y, &dy, &mut dx, &mut c, &mut g);

        // Expected: plain SGD applied tensor by tensor.
        let mut before: Vec<Vec<f32>> = Vec::new();
        net.visit(&mut |p| before.push(p.to_vec()));
        let mut grads: Vec<Vec<f32>> = Vec::new();
        g.visit(&mut |p| grads.push(p.to_vec()));
        let mut opt: std::boxed::Box<dyn Optimizer> = std::boxed::Box::new(super::Sgd::new(0.5));
        opt.step::<Shape1<U3>, _, _>(&mut *net, &g);
        let mut k = 0;
        net.visit(&mut |p| {
            let want: Vec<f32> = before[k]
                .iter()
                .zip(&grads[k])
                .map(|(w, g)| w - 0.5 * g)
                .collect();
            assert_eq!(p, &want[..], "tensor {k}");
            k += 1;
        });
        assert_eq!(k, 4);
        assert!(grads.iter().all(|g| g.iter().any(|v| *v != 0.0)));
    }
}

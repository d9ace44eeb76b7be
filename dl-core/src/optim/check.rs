//! Hyper-parameter validation: [`OptimError`] names the optimiser, the parameter, its value and
//! the rule it breaks, as torch.optim's `ValueError`s do.
use core::fmt;

/// A hyper-parameter outside its valid range (see [`Optimizer::check`](super::Optimizer::check)
/// and [`Schedule::check`](super::Schedule::check)).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OptimError {
    /// `"Sgd"`, `"Adam"`, … or a schedule: `"StepLr"`, `"ReduceLrOnPlateau"`, …
    pub optimizer: &'static str,
    /// The parameter's name (`"lr"`, `"betas.0"`, …).
    pub param: &'static str,
    /// The value given.
    pub value: f32,
    /// What it must be (`"finite and ≥ 0"`, `"in [0, 1)"`, …).
    pub rule: &'static str,
}

impl fmt::Display for OptimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let OptimError {
            optimizer,
            param,
            value,
            rule,
        } = *self;
        write!(
            f,
            "{optimizer}: invalid {param} = {value}: it must be {rule}"
        )
    }
}

impl core::error::Error for OptimError {}

/// `value` is finite and `≥ 0` (a learning rate, a decay, a momentum).
pub(crate) fn non_negative(
    optimizer: &'static str,
    param: &'static str,
    value: f32,
) -> Result<(), OptimError> {
    let rule = "finite and ≥ 0";
    match value.is_finite() && value >= 0.0 {
        true => Ok(()),
        false => Err(OptimError {
            optimizer,
            param,
            value,
            rule,
        }),
    }
}

/// `value` is `≥ 1` (a count of epochs between decays).
pub(crate) fn at_least_one(
    optimizer: &'static str,
    param: &'static str,
    value: usize,
) -> Result<(), OptimError> {
    match value >= 1 {
        true => Ok(()),
        false => Err(OptimError {
            optimizer,
            param,
            value: value as f32,
            rule: "≥ 1",
        }),
    }
}

/// `value` is finite (a rate that may be negative: an exponent).
pub(crate) fn finite(
    optimizer: &'static str,
    param: &'static str,
    value: f32,
) -> Result<(), OptimError> {
    match value.is_finite() {
        true => Ok(()),
        false => Err(OptimError {
            optimizer,
            param,
            value,
            rule: "finite",
        }),
    }
}

/// `value` is in `[0, 1)` (a smoothing factor of a running average).
pub(crate) fn unit(
    optimizer: &'static str,
    param: &'static str,
    value: f32,
) -> Result<(), OptimError> {
    let rule = "in [0, 1)";
    match (0.0..1.0).contains(&value) {
        true => Ok(()),
        false => Err(OptimError {
            optimizer,
            param,
            value,
            rule,
        }),
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use crate::optim::{Adagrad, Adam, Optimizer, Penalized, Penalty, RmsProp, Sgd};
    use std::string::ToString;

    /// Every value torch.optim refuses is refused here, with the optimiser, the parameter, the
    /// value and the rule in the message; PyTorch's defaults pass.
    #[test]
    fn hyper_parameters_are_checked_like_torch_optim() {
        let msg = |r: Result<(), super::OptimError>| r.unwrap_err().to_string();
        assert!(Sgd::new(0.1).check().is_ok());
        assert!(Sgd::nesterov(0.1, 0.9).check().is_ok());
        assert!(Adam::new(1e-3).checked().is_ok());
        assert!(Adagrad::new(1e-2).check().is_ok());
        assert!(RmsProp::new(1e-2).momentum(0.9).centered().check().is_ok());
        assert_eq!(
            msg(Sgd::new(f32::NAN).check()),
            "Sgd: invalid lr = NaN: it must be finite and ≥ 0"
        );
        assert_eq!(
            msg(Sgd::new(-0.1).check()),
            "Sgd: invalid lr = -0.1: it must be finite and ≥ 0"
        );
        assert_eq!(
            msg(Sgd::new(f32::INFINITY).check()),
            "Sgd: invalid lr = inf: it must be finite and ≥ 0"
        );
        assert_eq!(
            msg(Sgd::with_momentum(0.1, -0.5).check()),
            "Sgd: invalid momentum = -0.5: it must be finite and ≥ 0"
        );
        assert_eq!(
            msg(Sgd::new(0.1).weight_decay(-1e-4).check()),
            "Sgd: invalid weight_decay = -0.0001: it must be finite and ≥ 0"
        );
        assert_eq!(
            msg(Sgd::nesterov(0.1, 0.0).check()),
            "Sgd: invalid momentum = 0: it must be > 0 for Nesterov momentum"
        );
        assert_eq!(
            msg(Sgd::nesterov(0.1, 0.9).dampening(0.1).check()),
            "Sgd: invalid dampening = 0.1: it must be 0 for Nesterov momentum"
        );
        assert_eq!(
            msg(Adam::new(1e-3).betas(1.0, 0.999).check()),
            "Adam: invalid betas.0 = 1: it must be in [0, 1)"
        );
        assert_eq!(
            msg(Adam::new(1e-3).betas(0.9, -0.1).check()),
            "Adam: invalid betas.1 = -0.1: it must be in [0, 1)"
        );
        // eps = 0 is accepted, as torch.optim does (`0.0 <= eps`); negative or NaN is not
        let eps = |e: f32| {
            let mut a = Adam::new(1e-3);
            a.eps = e;
            a
        };
        assert_eq!(eps(0.0).check(), Ok(()));
        let mut ada = Adagrad::new(1e-2);
        ada.eps = 0.0;
        assert_eq!(ada.check(), Ok(()));
        let mut rms = RmsProp::new(1e-2);
        rms.eps = 0.0;
        assert_eq!(rms.check(), Ok(()));
        assert_eq!(
            msg(eps(-1e-8).check()),
            "Adam: invalid eps = -0.00000001: it must be finite and ≥ 0"
        );
        assert_eq!(
            msg(eps(f32::NAN).check()),
            "Adam: invalid eps = NaN: it must be finite and ≥ 0"
        );
        assert_eq!(
            msg(Adam::new(1e-3).decoupled(-0.01).check()),
            "Adam: invalid weight_decay = -0.01: it must be finite and ≥ 0"
        );
        assert_eq!(
            msg(Adagrad::new(1e-2).lr_decay(-1.0).check()),
            "Adagrad: invalid lr_decay = -1: it must be finite and ≥ 0"
        );
        assert_eq!(
            msg(Adagrad::new(1e-2).initial_accumulator_value(-1.0).check()),
            "Adagrad: invalid initial_accumulator_value = -1: it must be finite and ≥ 0"
        );
        assert_eq!(
            msg(RmsProp::new(1e-2).alpha(1.5).check()),
            "RmsProp: invalid alpha = 1.5: it must be in [0, 1)"
        );
        assert_eq!(
            msg(RmsProp::new(1e-2).momentum(-0.9).check()),
            "RmsProp: invalid momentum = -0.9: it must be finite and ≥ 0"
        );
        // wrappers check what they wrap
        let boxed: std::boxed::Box<dyn Optimizer> = std::boxed::Box::new(Adam::new(-1.0));
        assert_eq!(
            msg(boxed.check()),
            "Adam: invalid lr = -1: it must be finite and ≥ 0"
        );
        let p = Penalized::new(Sgd::new(0.1), Penalty::l1(-0.5), |_, _| true);
        assert_eq!(
            msg(p.check()),
            "Penalty: invalid l1 = -0.5: it must be finite and ≥ 0"
        );
        let e = Adam::new(f32::NAN).checked().unwrap_err();
        assert_eq!((e.optimizer, e.param), ("Adam", "lr"));
        assert!(e.value.is_nan());
    }
}

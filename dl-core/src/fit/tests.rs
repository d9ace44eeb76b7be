use super::*;
use crate::layers::{Linear, ReLU};
use crate::optim::{Adam, Sgd};
use crate::Network;
use std::string::ToString;
use std::vec;
use typenum::consts::*;

type Clf = Network<Shape1<U2>, crate::Seq![Linear<U2, U16>, ReLU, Linear<U16, U3>]>;

/// Three clusters around (−1, 0), (1, 0), (0, 1.5), 30 points each, labels 0, 1, 2.
fn clusters(seed: u64) -> (Vec<f32>, Vec<usize>) {
    let mut rng = Rng::new(seed);
    let centres = [(-1.0, 0.0), (1.0, 0.0), (0.0, 1.5)];
    let (mut x, mut y) = (vec![], vec![]);
    for i in 0..90 {
        let (cx, cy) = centres[i % 3];
        x.push(cx + 0.2 * rng.normal());
        x.push(cy + 0.2 * rng.normal());
        y.push(i % 3);
    }
    (x, y)
}

fn params(net: &Clf) -> Vec<f32> {
    let mut v = vec![];
    net.visit(&mut |p| v.extend_from_slice(p));
    v
}

#[test]
fn learns_three_clusters_and_reports_each_epoch() {
    let ((x, y), (vx, vy)) = (clusters(1), clusters(2));
    let mut net = Clf::new(0);
    let mut opt = Adam::new(2e-2);
    let log = Fit::new(40, 16)
        .quiet()
        .run(
            &mut net,
            &mut opt,
            &x,
            &Classes(&y),
            Some((&vx, &Classes(&vy))),
        )
        .unwrap();
    assert_eq!(log.len(), 40);
    assert_eq!(log[39].val, Some(Metric::Accuracy(1.0)));
    assert!(
        log[39].loss < 0.1 * log[0].loss,
        "{} → {}",
        log[0].loss,
        log[39].loss
    );
}

/// The helper is the hand-written loop: same seed, same parameters to the bit.
#[test]
fn equals_the_hand_written_loop() {
    let (x, y) = clusters(3);
    let mut a = Clf::new(5);
    let mut opt = Sgd::with_momentum(0.1, 0.9);
    let fit = Fit::new(3, 32)
        .seed(9)
        .decay(Decay::Step {
            every: 2,
            gamma: 0.1,
        })
        .quiet();
    fit.run(&mut *a, &mut opt, &x, &Classes(&y), None).unwrap();

    let mut b = Clf::new(5);
    let mut opt = Sgd::with_momentum(0.1, 0.9);
    let mut rng = Rng::new(9);
    let mut grad = zeroed_box::<<Clf as Train<Shape1<U2>>>::Grad>();
    let (mut out, mut dx, mut cache) = (Batch::default(), Batch::default(), Default::default());
    for epoch in 0..3 {
        opt.set_lr(if epoch < 2 { 0.1 } else { 0.1 * 0.1 });
        for idx in shuffled_batches(90, 32, &mut rng) {
            let xb = crate::data::gather::<Shape1<U2>>(&x, &idx).unwrap();
            b.forward_train(&xb, &mut out, &mut cache);
            let labels: Vec<usize> = idx.iter().map(|&i| y[i]).collect();
            let (_, dy) = loss::softmax_cross_entropy(&out, &labels).unwrap();
            grad.zero();
            b.backward(&xb, &out, &dy, &mut dx, &mut cache, &mut grad);
            opt.step(&mut *b, &grad);
        }
    }
    assert_eq!(params(&a), params(&b));
}

#[test]
fn the_rate_is_the_optimisers_decayed() {
    let (x, y) = clusters(1);
    let mut net = Clf::new(0);
    let mut opt = Adam::new(0.04);
    let log = Fit::new(5, 45)
        .decay(Decay::Exponential { gamma: 0.5 })
        .quiet()
        .run(&mut *net, &mut opt, &x, &Classes(&y), None)
        .unwrap();
    let lrs: Vec<f32> = log.iter().map(|e| e.lr).collect();
    assert_eq!(lrs, [0.04, 0.02, 0.01, 0.005, 0.0025]);
}

#[test]
fn regression_metric_is_rmse() {
    type Reg = Network<Shape1<U2>, crate::Seq![Linear<U2, U1>]>;
    let x: Vec<f32> = (0..40).map(|i| (i % 7) as f32 / 3.0 - 1.0).collect();
    let t: Vec<f32> = x.chunks(2).map(|p| 2.0 * p[0] - p[1] + 0.5).collect();
    let mut net = Reg::new(0);
    let log = Fit::new(300, 20)
        .quiet()
        .run(
            &mut net,
            &mut Adam::new(5e-2),
            &x,
            &Values(&t),
            Some((&x, &Values(&t))),
        )
        .unwrap();
    let Some(Metric::Rmse(r)) = log[299].val else {
        panic!("{:?}", log[299].val)
    };
    assert!(r < 1e-2, "RMSE {r}");
    // The metric is the RMSE of the net's own predictions.
    let pred = Layer::forward(&*net, &Batch::<Shape1<U2>>::from_vec(x.clone()).unwrap());
    assert_eq!(metrics::rmse(pred.as_slice(), &t), Some(r));
}

#[test]
fn bad_input_is_an_error_naming_it() {
    let (x, y) = clusters(1);
    let mut net = Clf::new(0);
    let fit = Fit::new(2, 16).quiet();
    let e = fit
        .run(&mut *net, &mut Adam::new(1e-2), &x[..7], &Classes(&y), None)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "training set: 7 input floats are not 90 samples of 2 floats (one per target)"
    );
    let mut bad = y.clone();
    bad[4] = 3;
    let e = fit
        .run(&mut *net, &mut Adam::new(1e-2), &x, &Classes(&bad), None)
        .unwrap_err();
    assert!(
        matches!(
            e,
            FitError::Loss(LossError::LabelOutOfRange { label: 3, .. })
        ),
        "{e}"
    );
    // A learning rate that makes a regression diverge to infinity.
    type Reg = Network<Shape1<U2>, crate::Seq![Linear<U2, U1>]>;
    let t: Vec<f32> = x.chunks(2).map(|p| p[0] + p[1]).collect();
    let e = Fit::new(50, 10)
        .quiet()
        .run(&mut *Reg::new(0), &mut Sgd::new(1e3), &x, &Values(&t), None)
        .unwrap_err();
    assert!(matches!(e, FitError::NonFinite { .. }), "{e}");
    assert!(e.to_string().contains("lower the learning rate"), "{e}");
}

/// A last mini-batch of one sample through a BatchNorm1d: PyTorch raises, `fit` stops with an
/// error naming the epoch, the batch and the layer (before, it trained on β silently).
#[test]
fn a_batch_of_one_through_batchnorm_is_an_error() {
    type Bn = Network<
        Shape1<U2>,
        crate::Seq![Linear<U2, U8>, crate::BatchNorm1d<U8>, ReLU, Linear<U8, U3>],
    >;
    let (x, y) = clusters(4);
    let e = Fit::new(2, 16)
        .quiet()
        .run(
            &mut *Bn::new(0),
            &mut Adam::new(1e-2),
            &x[..66],
            &Classes(&y[..33]),
            None,
        )
        .unwrap_err();
    assert!(
        matches!(e, FitError::Batch { epoch: 0, batch: 2, error } if error.samples == 1),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "epoch 0, batch 2: training BatchNorm1d(8) (link 1 of the chain): expected more than 1 \
         value per channel, got 1 (1 sample × 1 value per channel): the batch variance of one \
         value is undefined; train on more samples per batch (or a larger map), or use eval mode \
         (`forward` / `infer`)"
    );
    // 32 samples: batches of 16, 16; trains.
    let log = Fit::new(2, 16)
        .quiet()
        .run(
            &mut *Bn::new(0),
            &mut Adam::new(1e-2),
            &x[..64],
            &Classes(&y[..32]),
            None,
        )
        .unwrap();
    assert_eq!(log.len(), 2);
}

/// The optimiser and the decay are checked before the first step.
#[test]
fn hyper_parameters_are_checked_first() {
    let (x, y) = clusters(5);
    let run = |fit: Fit, lr: f32| {
        fit.quiet()
            .run(&mut *Clf::new(0), &mut Sgd::new(lr), &x, &Classes(&y), None)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        run(Fit::new(3, 16), -0.1),
        "Sgd: invalid lr = -0.1: it must be finite and ≥ 0"
    );
    let step0 = Fit::new(3, 16).decay(Decay::Step {
        every: 0,
        gamma: 0.5,
    });
    assert_eq!(
        run(step0, 0.1),
        "StepLr: invalid step_size = 0: it must be ≥ 1"
    );
    let neg = Fit::new(3, 16).decay(Decay::Exponential { gamma: -0.9 });
    assert_eq!(
        run(neg, 0.1),
        "ExponentialLr: invalid gamma = -0.9: it must be finite and ≥ 0"
    );
}

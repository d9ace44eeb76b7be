//! The first network of the lecture *What is Deep Learning?* (slides after Stanford CS231n): predict tomorrow's average temperature in Seattle from the last
//! three days', with sigmoid hidden layers and an L2 loss. Trains on 2012–2014, tests on 2015,
//! next to two baselines computed here: "tomorrow = today" and linear regression.
//!
//!     cargo run --release --example temperature
use dl::consts::*;
use dl::data::{least_squares, shuffled_batches, Standardizer, Table};
use dl::optim::{Adam, ExpDecay, Optimizer, Schedule};
use dl::rng::Rng;
use dl::{network, zeroed_box, Batch, Layer, Module, Shape1, Train};

network! {
    /// Three inputs, two sigmoid hidden layers of 16, one output.
    struct Mlp: [3] { Linear(3, 16), Sigmoid, Linear(16, 16), Sigmoid, Linear(16, 1) }
}

fn rmse(pred: impl Iterator<Item = f32>, truth: &[f32]) -> f32 {
    let se: f32 = pred.zip(truth).map(|(p, t)| (p - t) * (p - t)).sum();
    (se / truth.len() as f32).sqrt()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let table = Table::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/seattle-weather.csv"
    ))?;
    let (hi, lo, dates) = (
        table.numbers("temp_max")?,
        table.numbers("temp_min")?,
        table.text("date")?,
    );
    let avg: Vec<f32> = hi.iter().zip(&lo).map(|(h, l)| (h + l) / 2.0).collect();
    // Day t's features are the averages of days t−2, t−1, t; the target is day t+1.
    let (mut train, mut test) = ((vec![], vec![]), (vec![], vec![]));
    for t in 2..avg.len() - 1 {
        let split = if dates[t + 1] < "2015" {
            &mut train
        } else {
            &mut test
        };
        split.0.extend_from_slice(&avg[t - 2..=t]);
        split.1.push(avg[t + 1]);
    }
    println!(
        "{} training days (2012–2014), {} test days (2015)",
        train.1.len(),
        test.1.len()
    );

    // Baselines.
    let persistence = rmse(test.0.chunks(3).map(|d| d[2]), &test.1);
    let w = least_squares(&train.0, &train.1, 3).ok_or("collinear features")?;
    let linear = rmse(
        test.0
            .chunks(3)
            .map(|d| d[0] * w[0] + d[1] * w[1] + d[2] * w[2] + w[3]),
        &test.1,
    );

    // Standardise inputs and target with the training statistics.
    let (sx, sy) = (
        Standardizer::fit(&train.0, 3),
        Standardizer::fit(&train.1, 1),
    );
    let (mut xtr, mut ytr, mut xte) = (train.0.clone(), train.1.clone(), test.0.clone());
    sx.apply(&mut xtr);
    sx.apply(&mut xte);
    sy.apply(&mut ytr);

    let seed: u64 = std::env::var("SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let mut net = Mlp::new(seed);
    let mut grad = zeroed_box::<MlpGrad>();
    // Adam with a little L2 weight decay; lr = 0.01 · e^(−0.03·epoch).
    let mut opt = Adam::new(1e-2).weight_decay(1e-3);
    let schedule = ExpDecay::new(1e-2, 0.03);
    let (mut rng, mut y, mut dx, mut cache) = (
        Rng::new(7),
        Batch::default(),
        Batch::default(),
        Default::default(),
    );
    let epochs = 150;
    for epoch in 0..epochs {
        schedule.apply(epoch, &mut opt);
        let mut total = 0.0;
        for idx in shuffled_batches(ytr.len(), 32, &mut rng) {
            let x = dl::data::gather::<Shape1<U3>>(&xtr, &idx);
            let target = dl::data::gather::<Shape1<U1>>(&ytr, &idx);
            net.forward_train(&x, &mut y, &mut cache);
            let (loss, dy) = dl::loss::mse(&y, &target)?;
            total += loss * idx.len() as f32;
            grad.zero();
            net.backward(&x, &y, &dy, &mut dx, &mut cache, &mut grad);
            opt.step(&mut *net, &grad);
        }
        if epoch % 50 == 0 || epoch + 1 == epochs {
            println!(
                "epoch {epoch:3}  train MSE (standardised) {:.4}",
                total / ytr.len() as f32
            );
        }
    }
    let pred = net.forward(&Batch::from_vec(xte)?);
    let mlp = rmse(pred.as_slice().iter().map(|&p| sy.invert(0, p)), &test.1);

    println!("tomorrow = today     RMSE {persistence:.3} °C");
    println!("linear regression    RMSE {linear:.3} °C");
    println!("3-16-16-1 sigmoid    RMSE {mlp:.3} °C");
    println!("test RMSE: {mlp:.3} °C");
    Ok(())
}

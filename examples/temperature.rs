//! The first network of the lecture *What is Deep Learning?* (slides after Stanford CS231n): predict tomorrow's average temperature in Seattle from the last
//! three days', with sigmoid hidden layers and an L2 loss. Trains on 2012–2014, tests on 2015,
//! next to two baselines computed here: "tomorrow = today" and linear regression.
//!
//!     cargo run --release --example temperature
use dl::data::{least_squares, Standardizer, Table};
use dl::fit::metrics::rmse;
use dl::fit::{Decay, Fit, Values};
use dl::optim::{Adam, Optimizer};
use dl::{network, Batch};

network! {
    /// Three inputs, two sigmoid hidden layers of 16, one output.
    struct Mlp: [3] { Linear(3, 16), Sigmoid, Linear(16, 16), Sigmoid, Linear(16, 1) }
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
    let rmse = |pred: Vec<f32>, truth: &[f32]| rmse(&pred, truth).ok_or("no test days");
    let persistence = rmse(test.0.chunks(3).map(|d| d[2]).collect(), &test.1)?;
    let w = least_squares(&train.0, &train.1, 3)?;
    let linear = rmse(
        test.0
            .chunks(3)
            .map(|d| d[0] * w[0] + d[1] * w[1] + d[2] * w[2] + w[3])
            .collect(),
        &test.1,
    )?;

    // Standardise inputs and target with the training statistics.
    let (sx, sy) = (
        Standardizer::fit(&train.0, 3)?,
        Standardizer::fit(&train.1, 1)?,
    );
    let (mut xtr, mut ytr, mut xte) = (train.0.clone(), train.1.clone(), test.0.clone());
    sx.apply(&mut xtr)?;
    sx.apply(&mut xte)?;
    sy.apply(&mut ytr)?;

    let seed: u64 = std::env::var("SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let mut net = Mlp::new(seed);
    // Adam with a little L2 weight decay; lr = 0.01 · e^(−0.03·epoch), 150 epochs of 32.
    let mut opt = Adam::new(1e-2).weight_decay(1e-3).checked()?;
    let fit = Fit::new(150, 32)
        .seed(7)
        .decay(Decay::Exponential {
            gamma: (-0.03f32).exp(),
        })
        .every(50); // a line on stderr every 50 epochs: lr, train MSE (standardised)
    fit.run(&mut net, &mut opt, &xtr, &Values(&ytr), None)?;
    let pred = net.forward(&Batch::from_vec(xte)?);
    let mlp = rmse(
        pred.as_slice()
            .iter()
            .map(|&p| sy.invert(0, p).unwrap_or(f32::NAN))
            .collect(),
        &test.1,
    )?;

    println!("tomorrow = today     RMSE {persistence:.3} °C");
    println!("linear regression    RMSE {linear:.3} °C");
    println!("3-16-16-1 sigmoid    RMSE {mlp:.3} °C");
    println!("test RMSE: {mlp:.3} °C");
    Ok(())
}

//! A small CNN on real handwritten digits (8×8, UCI optical digits): augmentation (±1 pixel
//! translation, Gaussian noise σ = 0.05),
//! dropout and a step learning-rate schedule. First 1,437 rows train, last 360 test (different
//! writers). Writes the training curves (plotters, SVG) to `target/digits-curve.svg`.
//!
//!     cargo run --release --example digits            (SEED=2 for another run)
//!
//! With `-- --save target/digits.safetensors` it also writes the trained weights under PyTorch's
//! `nn.Sequential` names and, beside them, `digits.check.safetensors`: the test images with dl's
//! logits, predictions and labels, for `python3 scripts/digits_torch_check.py`.
mod common;

use dl::consts::*;
use dl::data::{gather, shuffled_batches, Augment, Table};
use dl::loss::{accuracy, softmax_cross_entropy};
use dl::optim::{Adam, Optimizer, Schedule, StepLr};
use dl::rng::Rng;
use dl::*;
use indicatif::{ProgressBar, ProgressStyle};

type Digit = Shape3<U1, U8, U8>;

network! {
    /// Three 3×3 convolutions, two max-pools, dropout and a linear classifier.
    struct Cnn: [1, 8, 8] {
        Conv2d(1, 32, 3, pad = 1), ReLU,
        Conv2d(32, 32, 3, pad = 1), ReLU, MaxPool2d(2),   // 32 × 4 × 4
        Conv2d(32, 64, 3, pad = 1), ReLU, MaxPool2d(2),   // 64 × 2 × 2
        Flatten, Dropout(0.25), Linear(256, 10),
    }
}

/// Writes the weights to `path` and the test images with dl's logits, predictions and labels
/// to `<stem>.check.safetensors` beside it.
fn save(
    path: &str,
    net: &Cnn,
    test: &Batch<Digit>,
    labels: &[usize],
) -> Result<(), Box<dyn std::error::Error>> {
    use safetensors::tensor::{serialize_to_file, Dtype, TensorView};
    dl::io::save(path, net)?; // nn.Sequential names: 0.weight, 0.bias, 2.weight, …
    let logits = net.forward(test);
    let n = test.len();
    let le = |v: &[f32]| v.iter().flat_map(|f| f.to_le_bytes()).collect::<Vec<u8>>();
    let pred: Vec<u8> = (0..n)
        .map(|i| {
            let l = logits.sample(i);
            (0..10).fold(0, |b, j| if l[j] > l[b] { j } else { b }) as i64
        })
        .flat_map(i64::to_le_bytes)
        .collect();
    let lab: Vec<u8> = labels
        .iter()
        .flat_map(|&l| (l as i64).to_le_bytes())
        .collect();
    let (x, y) = (le(test.as_slice()), le(logits.as_slice()));
    let check = std::path::Path::new(path).with_extension("check.safetensors");
    serialize_to_file(
        [
            ("images", TensorView::new(Dtype::F32, vec![n, 1, 8, 8], &x)?),
            ("logits", TensorView::new(Dtype::F32, vec![n, 10], &y)?),
            ("predictions", TensorView::new(Dtype::I64, vec![n], &pred)?),
            ("labels", TensorView::new(Dtype::I64, vec![n], &lab)?),
        ],
        None,
        &check,
    )?;
    println!(
        "weights written to {path}; test images, logits and predictions to {}",
        check.display()
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seed: u64 = std::env::var("SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let table = Table::load(concat!(env!("CARGO_MANIFEST_DIR"), "/data/digits.csv"))?;
    let pixels: Vec<String> = (0..64).map(|i| format!("p{i}")).collect();
    let x: Vec<f32> = table.matrix(&pixels)?.iter().map(|v| v / 16.0).collect();
    let labels = table.labels("label", 10)?;
    let (x_train, x_test) = x.split_at(1437 * 64);
    let (y_train, y_test) = labels.split_at(1437);
    let test = Batch::<Digit>::from_vec(x_test.to_vec())?;

    let mut net = Cnn::new(seed);
    let mut grad = zeroed_box::<CnnGrad>();
    // stops on the first NaN or infinite loss or gradient, naming the step and the tensor
    let names: Vec<&str> = Cnn::TENSORS.iter().map(|t| t.0).collect();
    let mut guard = dl::guard::FiniteGuard::new().names(&names);
    let (epochs, mut opt, schedule) = (40, Adam::new(2e-3).checked()?, StepLr::new(2e-3, 15, 0.3));
    let augment = Augment {
        translate: 1,
        noise: 0.05,
        ..Augment::default()
    };
    let (mut rng, mut y, mut dx, mut cache) = (
        Rng::new(seed),
        Batch::default(),
        Batch::default(),
        Default::default(),
    );
    let bar = ProgressBar::new(epochs).with_style(ProgressStyle::with_template(
        "{bar:30} epoch {pos}/{len} {msg}",
    )?);
    let (mut loss_curve, mut acc_curve) = (vec![], vec![]);
    let start = std::time::Instant::now();
    for epoch in 0..epochs {
        schedule.apply(epoch as usize, &mut opt);
        let mut total = 0.0;
        for idx in shuffled_batches(y_train.len(), 32, &mut rng) {
            let mut xb = gather::<Digit>(x_train, &idx)?;
            for i in 0..idx.len() {
                augment.apply(xb.sample_mut(i), 1, 8, 8, &mut rng)?;
            }
            let yb: Vec<usize> = idx.iter().map(|&i| y_train[i]).collect();
            net.forward_train(&xb, &mut y, &mut cache);
            let (loss, dy) = softmax_cross_entropy(&y, &yb)?;
            total += loss * idx.len() as f32;
            grad.zero();
            net.try_backward(&xb, &y, &dy, &mut dx, &mut cache, &mut grad)?;
            guard.check(loss, &*grad)?;
            opt.step(&mut net, &grad);
        }
        let acc = accuracy(&net.forward(&test), y_test)?;
        let loss = total / y_train.len() as f32;
        loss_curve.push((epoch as f32 + 1.0, loss));
        acc_curve.push((epoch as f32 + 1.0, acc * 100.0));
        let msg = format!("loss {loss:.4}  test accuracy {:.2} %", acc * 100.0);
        if bar.is_hidden() {
            // Not a terminal (piped, CI): a line per epoch instead of a silent bar.
            eprintln!("epoch {}/{epochs}  {msg}", epoch + 1);
        }
        bar.set_message(msg);
        bar.inc(1);
    }
    bar.finish();
    let blue = |name, points| common::Series {
        name,
        colour: (31, 119, 180),
        points,
    };
    let curve = concat!(env!("CARGO_MANIFEST_DIR"), "/target/digits-curve.svg");
    common::write_svg(
        curve,
        &[
            ("training loss", &[blue("cross-entropy", loss_curve)]),
            ("test accuracy (%)", &[blue("accuracy", acc_curve.clone())]),
        ],
    )?;
    let threads = dl::kernels::par::threads();
    println!(
        "training time: {:.1} s ({epochs} epochs, {threads} thread{}); curve written to {curve}",
        start.elapsed().as_secs_f32(),
        if threads == 1 { "" } else { "s" },
    );
    println!(
        "test accuracy: {:.2} %",
        acc_curve.last().map_or(0.0, |p| p.1)
    );
    let mut args = std::env::args().skip_while(|a| a != "--save").skip(1);
    if let Some(path) = args.next() {
        save(&path, &net, &test, y_test)?;
    }
    Ok(())
}

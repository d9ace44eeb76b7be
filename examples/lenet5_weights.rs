//! Trains LeNet-5 (28×28 input) on the digits and writes what the embedded demo embeds:
//! `embedded/lenet5.bin` (raw little-endian weights, `dl::io` layout) and `embedded/digits.bin`
//! (20 test digits: 64 grey levels 0–16, then the label, one byte each).
//!
//! Each 8×8 digit is upscaled ×3 (nearest) to 24×24 and centred on a 28×28 zero canvas.
//!
//!     cargo run --release --example lenet5_weights

use dl::data::{gather, shuffled_batches, Augment, Table};
use dl::loss::{accuracy, softmax_cross_entropy};
use dl::optim::{Adam, Optimizer, Schedule, StepLr};
use dl::rng::Rng;
use dl::*;

network! {
    /// LeNet-5, ReLU and max-pool, on 28×28 (the embedded demo declares the same net).
    pub struct LeNet5: [1, 28, 28] {
        Conv2d(1, 6, 5, pad = 2), ReLU,
        MaxPool2d(2),
        Conv2d(6, 16, 5), ReLU,
        MaxPool2d(2),
        Flatten,
        Linear(400, 120), ReLU,
        Linear(120, 84), ReLU,
        Linear(84, 10),
    }
}
type Canvas = Shape3<dl::consts::U1, dl::consts::U28, dl::consts::U28>;

/// An 8×8 digit (grey levels 0–16) as a 28×28 image in [0, 1]: ×3 nearest, 2-pixel border.
fn canvas(d: &[f32]) -> Vec<f32> {
    let mut c = vec![0.0; 28 * 28];
    for (i, v) in c.iter_mut().enumerate() {
        let (r, col) = (i / 28, i % 28);
        if (2..26).contains(&r) && (2..26).contains(&col) {
            *v = d[(r - 2) / 3 * 8 + (col - 2) / 3] / 16.0;
        }
    }
    c
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let table = Table::load(concat!(env!("CARGO_MANIFEST_DIR"), "/data/digits.csv"))?;
    let pixels: Vec<String> = (0..64).map(|i| format!("p{i}")).collect();
    let raw = table.matrix(&pixels)?;
    let labels = table.labels("label", 10)?;
    let x: Vec<f32> = raw.chunks_exact(64).flat_map(canvas).collect();
    let (x_train, x_test) = x.split_at(1437 * 784);
    let (y_train, y_test) = labels.split_at(1437);
    let test = Batch::<Canvas>::from_vec(x_test.to_vec())?;

    let mut net = LeNet5::new(1);
    let mut grad = zeroed_box::<LeNet5Grad>();
    let (mut opt, schedule) = (Adam::new(1e-3), StepLr::new(1e-3, 10, 0.3));
    let augment = Augment {
        translate: 2,
        noise: 0.05,
        ..Augment::default()
    };
    let (mut rng, mut y, mut cache) = (Rng::new(1), Batch::default(), Default::default());
    for epoch in 1..=20 {
        schedule.apply(epoch - 1, &mut opt);
        for idx in shuffled_batches(y_train.len(), 32, &mut rng) {
            let mut xb = gather::<Canvas>(x_train, &idx)?;
            for i in 0..idx.len() {
                augment.apply(xb.sample_mut(i), 1, 28, 28, &mut rng)?;
            }
            let yb: Vec<usize> = idx.iter().map(|&i| y_train[i]).collect();
            net.forward_train(&xb, &mut y, &mut cache);
            let (_, dy) = softmax_cross_entropy(&y, &yb)?;
            grad.zero();
            net.backward_params(&xb, &y, &dy, &mut cache, &mut grad);
            opt.step(&mut net, &grad);
        }
        let acc = accuracy(&net.forward(&test), y_test)?;
        println!("epoch {epoch:2}: test accuracy {:.2} %", acc * 100.0);
    }

    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/embedded");
    let mut weights = vec![0u8; LeNet5::WEIGHT_BYTES];
    io::write_raw(&net, &mut weights)?;
    std::fs::write(format!("{dir}/lenet5.bin"), &weights)?;
    // 20 test digits, two of each class where possible (the first found).
    let mut digits = Vec::new();
    for class in 0..10 {
        let rows = (1437..labels.len()).filter(|&i| labels[i] == class).take(2);
        for i in rows {
            digits.extend(raw[i * 64..(i + 1) * 64].iter().map(|&v| v as u8));
            digits.push(class as u8);
        }
    }
    std::fs::write(format!("{dir}/digits.bin"), &digits)?;
    println!(
        "wrote embedded/lenet5.bin ({} bytes) and embedded/digits.bin ({} digits)",
        weights.len(),
        digits.len() / 65
    );
    Ok(())
}

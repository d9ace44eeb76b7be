//! LeNet-5 built with `network!` (fused conv/linear + bias + activation kernels) against the
//! same net composed by hand from dl-core layers (`Seq`): a training step at batch 64, inference
//! at batch 1 (into a preallocated arena) and batch 64, on 1 and 2 threads. Both nets are
//! measured in the same run, alternating, several rounds; each number is the median of the
//! rounds' medians.
//!
//! ```text
//! cargo run --release --example bench_network
//! ```
//! `DL_BENCH_ONLY=case,…` picks cases, `DL_BENCH_SECS` (time per case and round, default 1 s), `DL_BENCH_ROUNDS` (default 3),
//! `DL_BENCH_TORCH=path` (PyTorch's numbers, default target/bench_torch.txt, written by
//! scripts/bench_torch.py with the same case names).
mod common;

use common::bench::*;
use dl::consts::*;
use dl::kernels::par::set_threads;
use dl::{
    network, new_boxed, zeroed_box, Batch, Conv2d, Flatten, Linear, MaxPool2d, Module, ReLU, Shape,
    Shape3, Train,
};
use std::hint::black_box;

type Hand = dl::Seq![
    Conv2d<U1, U6, U5, U1, U2>, ReLU, MaxPool2d<U2>,
    Conv2d<U6, U16, U5>, ReLU, MaxPool2d<U2>,
    Flatten, Linear<U400, U120>, ReLU, Linear<U120, U84>, ReLU, Linear<U84, U10>
];

network! {
    /// LeNet-5 on 28×28 digits, as in examples/bench_core.rs.
    pub struct Macro: [1, 28, 28] {
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

type Digit = Shape3<U1, U28, U28>;

/// One net's state for the three cases (buffers kept across calls, as in a training loop).
struct Bench<N: Train<Digit>> {
    net: Box<N>,
    grad: Box<N::Grad>,
    cache: N::Cache,
    y: Batch<N::Out>,
    dy: Batch<N::Out>,
    scratch: Vec<f32>,
    logits: Vec<f32>,
    /// The initial parameters, restored before each measurement (the training case moves
    /// them, and a net trained thousands of steps on one batch computes on other numbers).
    p0: Vec<Vec<f32>>,
}

impl<N: Train<Digit> + Sync> Bench<N> {
    fn new(net: Box<N>) -> Self {
        let mut p0 = Vec::new();
        net.visit(&mut |p| p0.push(p.to_vec()));
        Bench {
            p0,
            net,
            grad: zeroed_box(),
            cache: Default::default(),
            y: Batch::default(),
            dy: Batch::default(),
            scratch: vec![0.0; N::SCRATCH],
            logits: vec![0.0; <N::Out as Shape>::NUMEL],
        }
    }
    /// Median milliseconds of case `c` (0: train b64, 1: infer b1, 2: infer b64).
    fn time(
        &mut self,
        c: usize,
        secs: f64,
        x: &Batch<Digit>,
        x1: &Batch<Digit>,
        labels: &[usize],
    ) -> f64 {
        let mut it = self.p0.iter();
        self.net
            .visit_mut(&mut |p| p.copy_from_slice(it.next().expect("same parameters")));
        let s = self;
        match c {
            0 => median_ms(secs, &mut || {
                s.net.forward_train(x, &mut s.y, &mut s.cache);
                s.dy.resize(x.len());
                softmax_xent_grad(s.y.as_slice(), labels, s.dy.as_mut_slice());
                s.grad.zero();
                s.net
                    .backward_params(x, &s.y, &s.dy, &mut s.cache, &mut s.grad);
                s.net
                    .visit_with_grad(&s.grad, &mut |p: &mut [f32], g: &[f32]| {
                        for (p, g) in p.iter_mut().zip(g) {
                            *p -= 0.01 * g;
                        }
                    });
            }),
            1 => median_ms(secs, &mut || {
                s.net
                    .infer(black_box(x1.sample(0)), &mut s.logits, &mut s.scratch);
                black_box(&s.logits);
            }),
            _ => median_ms(secs, &mut || drop(black_box(s.net.forward(x)))),
        }
    }
}

fn main() {
    let secs: f64 = env_or("DL_BENCH_SECS", 1.0);
    let rounds: usize = env_or("DL_BENCH_ROUNDS", 3);
    let path = std::env::var("DL_BENCH_TORCH")
        .unwrap_or_else(|_| format!("{}/target/bench_torch.txt", env!("CARGO_MANIFEST_DIR")));
    let torch = read_torch(&path);
    let names = [
        ("lenet_train_b64", "LeNet-5 train step, batch 64"),
        ("lenet_infer_b1", "LeNet-5 inference, batch 1"),
        ("lenet_infer_b64", "LeNet-5 inference, batch 64"),
    ];

    let hand_net = new_boxed::<Hand>(1);
    let mut macro_net = Macro::new(1);
    // the same parameters in both nets (same visiting order)
    let mut params = Vec::new();
    hand_net.visit(&mut |p| params.push(p.to_vec()));
    let mut it = params.into_iter();
    macro_net.visit_mut(&mut |p| p.copy_from_slice(&it.next().expect("same parameter count")));
    let mut hand = Bench::new(hand_net);
    let mut mac = Bench::new(macro_net);
    let x = random_batch::<Digit>(64, 2);
    let x1 = random_batch::<Digit>(1, 3);
    let labels: Vec<usize> = (0..64).map(|i| (i * 7 + 3) % 10).collect();

    println!(
        "{:<30} {:>3} {:>10} {:>10} {:>10} {:>11} {:>11}",
        "case", "thr", "hand ms", "macro ms", "hand/macro", "torch ms", "torch/macro"
    );
    for threads in [1, 2] {
        set_threads(threads);
        for (c, (key, what)) in names.iter().enumerate() {
            if std::env::var("DL_BENCH_ONLY").is_ok_and(|o| !o.split(',').any(|k| k == *key)) {
                continue;
            }
            let (mut th, mut tm) = (Vec::new(), Vec::new());
            for r in 0..rounds {
                // alternate which goes first, so drift on a shared machine hits both alike
                if r % 2 == 0 {
                    th.push(hand.time(c, secs, &x, &x1, &labels));
                    tm.push(mac.time(c, secs, &x, &x1, &labels));
                } else {
                    tm.push(mac.time(c, secs, &x, &x1, &labels));
                    th.push(hand.time(c, secs, &x, &x1, &labels));
                }
            }
            let (h, m) = (median(&mut th), median(&mut tm));
            let p = torch.get(&(key.to_string(), threads)).copied();
            println!(
                "{:<30} {:>3} {:>10.4} {:>10.4} {:>9.2}x {:>11} {:>11}",
                what,
                threads,
                h,
                m,
                h / m,
                p.map_or("-".into(), |p| format!("{p:.4}")),
                p.map_or("-".into(), |p| format!("{:.2}x", p / m)),
            );
        }
    }
}

//! dl's side of `scripts/bench_refs.py`: the cases of issue 13's table, each for the net built
//! with `network!` and for the same net composed by hand from dl-core layers, on 1 and 2 threads.
//! Prints `case threads impl milliseconds` lines (impl `dl_macro` or `dl_hand`), the format
//! `bench_refs.py` merges with the reference runtimes' numbers into one table.
//!
//! ```text
//! python3 scripts/bench_refs.py          # runs this example itself, in the same run
//! cargo run --release --example bench_refs [-- --out PATH]
//! ```
//! `DL_BENCH_SECS` (per case, thread count and implementation, default 1 s), `DL_BENCH_ROUNDS`
//! (default 3; the two implementations alternate, each number is the median of the rounds'
//! medians), `DL_BENCH_ONLY=case,…`, `DL_BENCH_THREADS=1,2`, `DL_BENCH_NO_AVX512=1` (the AVX2
//! kernels on a CPU with AVX-512), `DL_BENCH_NO_WINOGRAD=1` (the direct convolution).
mod common;

use common::bench::*;
use dl::consts::*;
use dl::kernels::par::set_threads;
use dl::{
    network, new_boxed, zeroed_box, Batch, Conv2d, Flatten, Linear, MaxPool2d, Module, ReLU, Shape,
    Shape1, Shape3, Sigmoid, Train,
};
use std::hint::black_box;

type LeNetHand = dl::Seq![
    Conv2d<U1, U6, U5, U1, U2>, ReLU, MaxPool2d<U2>,
    Conv2d<U6, U16, U5>, ReLU, MaxPool2d<U2>,
    Flatten, Linear<U400, U120>, ReLU, Linear<U120, U84>, ReLU, Linear<U84, U10>
];
type MlpHand = dl::Seq![Linear<U3, U16>, Sigmoid, Linear<U16, U16>, Sigmoid, Linear<U16, U1>];
type ConvHand = Conv2d<U64, U64, U3, U1, U1>;

network! {
    /// LeNet-5 on 28×28 digits.
    pub struct LeNetMacro: [1, 28, 28] {
        Conv2d(1, 6, 5, pad = 2), ReLU, MaxPool2d(2),
        Conv2d(6, 16, 5), ReLU, MaxPool2d(2),
        Flatten, Linear(400, 120), ReLU, Linear(120, 84), ReLU, Linear(84, 10),
    }
}
network! {
    /// The 3→16→16→1 sigmoid MLP of examples/temperature.rs.
    pub struct MlpMacro: [3] { Linear(3, 16), Sigmoid, Linear(16, 16), Sigmoid, Linear(16, 1) }
}
network! {
    /// One 64→64 3×3 convolution, padding 1.
    pub struct ConvMacro: [64, 32, 32] { Conv2d(64, 64, 3, pad = 1) }
}

type Digit = Shape3<U1, U28, U28>;
type Map64 = Shape3<U64, U32, U32>;
type Three = Shape1<U3>;

/// The loss gradient of a training step: softmax cross-entropy over rows of 10, or the mean
/// squared error against zero for one output.
fn loss_grad(y: &[f32], labels: &[usize], dy: &mut [f32]) {
    if y.len() == labels.len() * 10 {
        softmax_xent_grad(y, labels, dy);
    } else {
        let n = y.len() as f32;
        dy.iter_mut().zip(y).for_each(|(d, &v)| *d = 2.0 * v / n);
    }
}

/// One net's buffers, kept across calls as in a training loop.
struct Case<S: Shape, N: Train<S>> {
    net: Box<N>,
    grad: Box<N::Grad>,
    cache: N::Cache,
    y: Batch<N::Out>,
    dy: Batch<N::Out>,
    dx: Batch<S>,
    scratch: Vec<f32>,
    out1: Vec<f32>,
    p0: Vec<Vec<f32>>,
}

impl<S: Shape, N: Train<S> + Sync> Case<S, N> {
    fn new(net: Box<N>) -> Self {
        let mut p0 = Vec::new();
        net.visit(&mut |p| p0.push(p.to_vec()));
        Case {
            p0,
            net,
            grad: zeroed_box(),
            cache: Default::default(),
            y: Batch::default(),
            dy: Batch::default(),
            dx: Batch::default(),
            scratch: vec![0.0; N::SCRATCH],
            out1: vec![0.0; <N::Out as Shape>::NUMEL],
        }
    }
    /// Gives the net `other`'s parameters (same visiting order).
    fn copy_from<M: Module>(&mut self, other: &M) {
        let mut ps = Vec::new();
        other.visit(&mut |p| ps.push(p.to_vec()));
        let mut it = ps.into_iter();
        self.net
            .visit_mut(&mut |p| p.copy_from_slice(&it.next().expect("same parameters")));
        self.p0.clear();
        let p0 = &mut self.p0;
        self.net.visit(&mut |p| p0.push(p.to_vec()));
    }
    /// Median milliseconds of `what` on `x`.
    fn time(&mut self, what: Kind, secs: f64, x: &Batch<S>, labels: &[usize]) -> f64 {
        let mut it = self.p0.iter();
        self.net
            .visit_mut(&mut |p| p.copy_from_slice(it.next().expect("same parameters")));
        let s = self;
        match what {
            Kind::Train => median_ms(secs, &mut || {
                s.net.forward_train(x, &mut s.y, &mut s.cache);
                s.dy.resize(x.len());
                loss_grad(s.y.as_slice(), labels, s.dy.as_mut_slice());
                s.grad.zero();
                // no input gradient: the references do not compute one for the data either
                s.net
                    .backward_params(x, &s.y, &s.dy, &mut s.cache, &mut s.grad);
                s.net
                    .visit_with_grad(&s.grad, &mut |p: &mut [f32], g: &[f32]| {
                        p.iter_mut().zip(g).for_each(|(p, g)| *p -= 0.01 * g);
                    });
            }),
            Kind::FwdBwd => {
                if s.dy.len() != x.len() {
                    s.dy = random_batch(x.len(), 6);
                }
                median_ms(secs, &mut || {
                    s.net.forward_train(x, &mut s.y, &mut s.cache);
                    s.grad.zero();
                    s.net
                        .backward(x, &s.y, &s.dy, &mut s.dx, &mut s.cache, &mut s.grad);
                })
            }
            Kind::Fwd => median_ms(secs, &mut || drop(black_box(s.net.forward(x)))),
            Kind::One => median_ms(secs, &mut || {
                s.net
                    .infer(black_box(x.sample(0)), &mut s.out1, &mut s.scratch);
                black_box(&s.out1);
            }),
        }
    }
}

#[derive(Clone, Copy)]
enum Kind {
    /// Forward, loss gradient, backward (parameter gradients only), SGD.
    Train,
    /// Forward and backward (all gradients) for a fixed random output gradient.
    FwdBwd,
    /// Batched inference (`forward`).
    Fwd,
    /// One sample into a preallocated buffer (`infer`).
    One,
}

/// Times `case` for both implementations on `x`, alternating, and records the medians.
#[allow(clippy::too_many_arguments)]
fn both<S: Shape, H: Train<S> + Sync, M: Train<S> + Sync>(
    case: &str,
    kind: Kind,
    threads: usize,
    hand: &mut Case<S, H>,
    mac: &mut Case<S, M>,
    x: &Batch<S>,
    labels: &[usize],
    out: &mut Vec<String>,
) {
    if std::env::var("DL_BENCH_ONLY").is_ok_and(|o| !o.split(',').any(|k| k == case)) {
        return;
    }
    let secs: f64 = env_or("DL_BENCH_SECS", 1.0);
    let rounds: usize = env_or("DL_BENCH_ROUNDS", 3);
    let (mut th, mut tm) = (Vec::new(), Vec::new());
    for r in 0..rounds {
        if r % 2 == 0 {
            th.push(hand.time(kind, secs, x, labels));
            tm.push(mac.time(kind, secs, x, labels));
        } else {
            tm.push(mac.time(kind, secs, x, labels));
            th.push(hand.time(kind, secs, x, labels));
        }
    }
    for (name, v) in [("dl_hand", &mut th), ("dl_macro", &mut tm)] {
        let line = format!("{case} {threads} {name} {:.6}", median(v));
        println!("{line}");
        out.push(line);
    }
}

/// One thread against two for `case`, in rounds: the step timed on one thread, then on two,
/// between two looks at where the two vCPUs sit ([`core_to_core_ns`]).
/// A 2-vCPU VM's vCPUs move between the host's cores every few hundred milliseconds: two
/// SMT siblings of one core (a fast round trip, half the multiply-adds each), two cores under
/// one L3, or two dies (a slow round trip: every layer's output read by the other thread
/// crosses between them). Prints, as `scaling` lines, the median ratio (1 thread / 2) over
/// the rounds of each kind, and over all of them.
#[allow(clippy::too_many_arguments)]
fn scaling<S: Shape, N: Train<S> + Sync>(
    case: &str,
    name: &str,
    kind: Kind,
    net: &mut Case<S, N>,
    x: &Batch<S>,
    labels: &[usize],
    out: &mut Vec<String>,
) {
    if !std::env::var("DL_BENCH_ONLY").is_ok_and(|o| o.split(',').any(|k| k == "scaling")) {
        return;
    }
    let rounds: usize = env_or("DL_BENCH_SCALING_ROUNDS", 40);
    // (ratio, round trips before and after, other processes quiet)
    let mut runs = Vec::new();
    for _ in 0..rounds {
        let busy0 = others_cpu_ticks();
        let rt0 = core_to_core_ns();
        set_threads(1);
        let t1 = net.time(kind, 0.05, x, labels);
        set_threads(2);
        let t2 = net.time(kind, 0.05, x, labels);
        let rt1 = core_to_core_ns();
        let quiet = busy0
            .zip(others_cpu_ticks())
            .is_none_or(|(b0, b1)| b1.saturating_sub(b0) < 2);
        runs.push((t1 / t2, [rt0, rt1], quiet));
    }
    // round-trip bands (this VM's: ~35 ns siblings, 80–140 ns one L3, 340–440 ns two dies)
    let band = |ns: f64| match ns {
        t if t < 60.0 => 0,
        t if t < 250.0 => 1,
        _ => 2,
    };
    let names = [
        "SMT siblings (round trip < 60 ns)",
        "two cores, one L3 (60-250 ns)",
        "two dies (> 250 ns)",
        "moved during the round",
    ];
    let mut by: [Vec<f64>; 4] = Default::default();
    let mut busy = 0;
    for (ratio, rt, quiet) in &runs {
        let (b0, b1) = (band(rt[0]), band(rt[1]));
        if !quiet {
            busy += 1;
        } else if b0 != b1 {
            by[3].push(*ratio);
        } else {
            by[b0].push(*ratio);
        }
    }
    let mut all: Vec<f64> = runs.iter().map(|r| r.0).collect();
    let mut line = format!(
        "scaling {case} {name}: 1 thread / 2 threads over {rounds} rounds {:.2}x;",
        median(&mut all)
    );
    for (v, what) in by.iter_mut().zip(names) {
        if !v.is_empty() {
            line += &format!(" {what}: {:.2}x ({} rounds);", median(v), v.len());
        }
    }
    line += &format!(" other processes busy: {busy} rounds");
    println!("{line}");
    out.push(line);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = args
        .iter()
        .position(|a| a == "--out")
        .and_then(|i| args.get(i + 1).cloned());
    let counts: Vec<usize> = std::env::var("DL_BENCH_THREADS").map_or(vec![1, 2], |t| {
        t.split(',').filter_map(|v| v.parse().ok()).collect()
    });

    if std::env::var("DL_BENCH_NO_AVX512").is_ok_and(|v| v == "1") {
        dl::kernels::gemm::allow_avx512(false);
    }
    if std::env::var("DL_BENCH_NO_WINOGRAD").is_ok_and(|v| v == "1") {
        dl::kernels::winograd::allow(false);
    }
    let mut lenet_h = Case::<Digit, LeNetHand>::new(new_boxed(1));
    let mut lenet_m = Case::<Digit, LeNetMacro>::new(LeNetMacro::new(1));
    lenet_m.copy_from(&*lenet_h.net);
    let mut mlp_h = Case::<Three, MlpHand>::new(new_boxed(2));
    let mut mlp_m = Case::<Three, MlpMacro>::new(MlpMacro::new(2));
    mlp_m.copy_from(&*mlp_h.net);
    let mut conv_h = Case::<Map64, ConvHand>::new(new_boxed(4));
    let mut conv_m = Case::<Map64, ConvMacro>::new(ConvMacro::new(4));
    conv_m.copy_from(&*conv_h.net);

    let x64 = random_batch::<Digit>(64, 2);
    let x1 = random_batch::<Digit>(1, 3);
    let labels: Vec<usize> = (0..64).map(|i| (i * 7 + 3) % 10).collect();
    let xm = random_batch::<Three>(32, 7);
    let xc = random_batch::<Map64>(16, 5);

    let mut out = Vec::new();
    for threads in counts {
        set_threads(threads);
        let o = &mut out;
        let (h, m) = (&mut lenet_h, &mut lenet_m);
        both("lenet_infer_b1", Kind::One, threads, h, m, &x1, &labels, o);
        both(
            "lenet_infer_b64",
            Kind::Fwd,
            threads,
            h,
            m,
            &x64,
            &labels,
            o,
        );
        both(
            "lenet_train_b64",
            Kind::Train,
            threads,
            h,
            m,
            &x64,
            &labels,
            o,
        );
        if threads == 2 {
            scaling(
                "lenet_train_b64",
                "dl_macro",
                Kind::Train,
                m,
                &x64,
                &labels,
                o,
            );
            scaling(
                "lenet_train_b64",
                "dl_hand",
                Kind::Train,
                h,
                &x64,
                &labels,
                o,
            );
        }
        let (h, m) = (&mut mlp_h, &mut mlp_m);
        both("mlp_train_b32", Kind::Train, threads, h, m, &xm, &[], o);
        let (h, m) = (&mut conv_h, &mut conv_m);
        both("conv64_fwd_b16", Kind::Fwd, threads, h, m, &xc, &[], o);
        both(
            "conv64_fwdbwd_b16",
            Kind::FwdBwd,
            threads,
            h,
            m,
            &xc,
            &[],
            o,
        );
    }
    if let Some(p) = path {
        if let Err(e) = std::fs::write(&p, out.join("\n") + "\n") {
            eprintln!("cannot write {p}: {e}");
            std::process::exit(1);
        }
    }
}

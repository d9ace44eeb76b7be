//! Speed of the core against PyTorch CPU: LeNet-5 training and inference, and a 64→64 3×3
//! convolution, each on 1 and 2 threads (median of many repetitions after warm-up).
//!
//! ```text
//! python3 scripts/bench_torch.py                 # writes target/bench_torch.txt
//! cargo run --release --example bench_core       # our numbers, PyTorch's, the ratios
//! cargo run --release --example bench_core -- --torch   # runs the PyTorch script first
//! ```
//! `DL_BENCH_TORCH=path` reads PyTorch's numbers from another file; `DL_BENCH_SECS` sets the
//! time spent on each case (default 2 s), `DL_BENCH_ONLY=case,…` and `DL_BENCH_THREADS=1,2` pick
//! cases and thread counts, `DL_BENCH_STAT=min` reports the fastest sample instead of the median,
//! `DL_BENCH_NO_AVX512=1` times the AVX2 kernels on a CPU with AVX-512, `DL_BENCH_NO_WINOGRAD=1`
//! the direct convolution where Winograd would run. GFLOP/s are printed for
//! a 1024³ sgemm and the convolution.
mod common;

use common::bench::*;
use dl::consts::*;
use dl::kernels::par::set_threads;
use dl::{
    new_boxed, zeroed_box, Batch, Conv2d, Flatten, Layer, Linear, MaxPool2d, Module, ReLU, Shape3,
    Train,
};
use std::collections::BTreeMap;
use std::hint::black_box;

type LeNet = dl::Seq![
    Conv2d<U1, U6, U5, U1, U2>, ReLU, MaxPool2d<U2>,
    Conv2d<U6, U16, U5>, ReLU, MaxPool2d<U2>,
    Flatten, Linear<U400, U120>, ReLU, Linear<U120, U84>, ReLU, Linear<U84, U10>
];
type Digit = Shape3<U1, U28, U28>;
type Conv64 = Conv2d<U64, U64, U3, U1, U1>;
type Map64 = Shape3<U64, U32, U32>;

/// `DL_BENCH_ONLY=case` runs only that case (for profiling); `DL_BENCH_THREADS=1` one count.
fn wanted(case: &str) -> bool {
    std::env::var("DL_BENCH_ONLY").map_or(true, |o| o.split(',').any(|c| c == case))
}

fn bench_ours(secs: f64) -> BTreeMap<(&'static str, usize), f64> {
    let mut out = BTreeMap::new();
    let counts: Vec<usize> = match std::env::var("DL_BENCH_THREADS") {
        Ok(t) => t.split(',').filter_map(|v| v.parse().ok()).collect(),
        Err(_) => vec![1, 2],
    };
    for threads in counts {
        set_threads(threads);
        let mut put = |k, f: &mut dyn FnMut()| {
            if wanted(k) {
                out.insert((k, threads), median_ms(secs, f));
            }
        };

        // LeNet-5 training step, batch 64: forward, loss gradient, backward, SGD.
        let mut net = new_boxed::<LeNet>(1);
        let mut grad = zeroed_box::<<LeNet as Train<Digit>>::Grad>();
        let mut cache = <LeNet as Train<Digit>>::Cache::default();
        let x = random_batch::<Digit>(64, 2);
        let labels: Vec<usize> = (0..64).map(|i| (i * 7 + 3) % 10).collect();
        let (mut y, mut dy, mut dx) = (Batch::default(), Batch::default(), Batch::default());
        put("lenet_train_b64", &mut || {
            Train::<Digit>::forward_train(&mut *net, &x, &mut y, &mut cache);
            dy.resize(64);
            softmax_xent_grad(y.as_slice(), &labels, dy.as_mut_slice());
            grad.zero();
            Train::<Digit>::backward(&*net, &x, &y, &dy, &mut dx, &mut cache, &mut grad);
            Train::<Digit>::visit_with_grad(&mut *net, &grad, &mut |p: &mut [f32], g: &[f32]| {
                for (p, g) in p.iter_mut().zip(g) {
                    *p -= 0.01 * g;
                }
            });
        });

        // LeNet-5 inference: one sample into a preallocated buffer, and a batch of 64.
        let mut scratch = vec![0.0f32; <LeNet as Layer<Digit>>::SCRATCH];
        let mut logits = [0.0f32; 10];
        let x1 = random_batch::<Digit>(1, 3);
        put("lenet_infer_b1", &mut || {
            Layer::<Digit>::infer(&*net, black_box(x1.sample(0)), &mut logits, &mut scratch);
            black_box(&logits);
        });
        put("lenet_infer_b64", &mut || {
            drop(black_box(Layer::<Digit>::forward(&*net, &x)))
        });

        // Conv2d 64→64 3×3 pad 1 on 32×32, batch 16.
        let mut conv = new_boxed::<Conv64>(4);
        let mut cgrad = zeroed_box::<Conv64>();
        let mut ccache = Default::default();
        let cx = random_batch::<Map64>(16, 5);
        let cdy = random_batch::<Map64>(16, 6);
        let (mut cy, mut cdx) = (Batch::default(), Batch::default());
        put("conv64_fwd_b16", &mut || {
            Train::<Map64>::forward_train(&mut *conv, &cx, &mut cy, &mut ccache)
        });
        put("conv64_fwdbwd_b16", &mut || {
            Train::<Map64>::forward_train(&mut *conv, &cx, &mut cy, &mut ccache);
            cgrad.zero();
            Train::<Map64>::backward(&*conv, &cx, &cy, &cdy, &mut cdx, &mut ccache, &mut cgrad);
        });

        // C = A·B, all 1024×1024.
        let a = random_batch::<Shape3<U1, U1024, U1024>>(2, 8);
        let mut c = vec![0.0f32; 1024 * 1024];
        put("sgemm_1024", &mut || {
            let (a, b) = a.as_slice().split_at(1024 * 1024);
            dl::kernels::gemm::nn(1024, 1024, 1024, a, b, 0.0, black_box(&mut c));
        });
    }
    out
}

fn main() {
    let secs: f64 = env_or("DL_BENCH_SECS", 2.0);
    let path = std::env::var("DL_BENCH_TORCH")
        .unwrap_or_else(|_| format!("{}/target/bench_torch.txt", env!("CARGO_MANIFEST_DIR")));
    if std::env::args().any(|a| a == "--torch") {
        let script = format!("{}/scripts/bench_torch.py", env!("CARGO_MANIFEST_DIR"));
        let ok = std::process::Command::new("python3")
            .args([&script, "--out", &path, "--secs", &secs.to_string()])
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("{script} failed; continuing without fresh PyTorch numbers");
        }
    }
    let load = || {
        std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|l| l.split_whitespace().next().map(String::from))
    };
    let before = load();
    if std::env::var("DL_BENCH_NO_AVX512").is_ok_and(|v| v == "1") {
        dl::kernels::gemm::allow_avx512(false);
    }
    if std::env::var("DL_BENCH_NO_WINOGRAD").is_ok_and(|v| v == "1") {
        dl::kernels::winograd::allow(false);
    }
    println!(
        "GEMM tile: {}",
        if dl::kernels::gemm::use_avx512() {
            "AVX-512"
        } else if dl::kernels::gemm::use_avx2() {
            "AVX2+FMA"
        } else {
            "portable"
        }
    );
    let ours = bench_ours(secs);
    let torch = read_torch(&path);

    // (case, description, target: PyTorch time / ours on one thread)
    let cases = [
        ("lenet_train_b64", "LeNet-5 train step, batch 64", Some(2.0)),
        ("lenet_infer_b1", "LeNet-5 inference, batch 1", Some(10.0)),
        ("lenet_infer_b64", "LeNet-5 inference, batch 64", None),
        ("conv64_fwd_b16", "Conv 64→64 3×3 32², b16, fwd", None),
        (
            "conv64_fwdbwd_b16",
            "Conv 64→64 3×3 32², b16, fwd+bwd",
            Some(1.0 / 1.5),
        ),
    ];
    println!(
        "{:<34} {:>3} {:>10} {:>10} {:>8}   target (torch/dl, 1 thread)",
        "case", "thr", "dl ms", "torch ms", "torch/dl"
    );
    for (key, what, target) in cases {
        for t in [1, 2] {
            let Some(&o) = ours.get(&(key, t)) else {
                continue;
            };
            let p = torch.get(&(key.to_string(), t)).copied();
            let ratio = p.map(|p| p / o);
            let fmt = |v: Option<f64>, prec: usize| v.map_or("-".into(), |v| format!("{v:.prec$}"));
            let verdict = match (t, target, ratio) {
                (1, Some(g), Some(r)) => {
                    format!(">= {g:.2}x  {}", if r >= g { "met" } else { "NOT met" })
                }
                (1, Some(g), None) => format!(">= {g:.2}x  (no PyTorch number)"),
                _ => String::new(),
            };
            println!(
                "{:<34} {:>3} {:>10.4} {:>10} {:>8}   {}",
                what,
                t,
                o,
                fmt(p, 4),
                ratio.map_or("-".into(), |r| format!("{r:.2}x")),
                verdict
            );
        }
    }
    for (key, flop) in [
        ("sgemm_1024", 2.0 * 1024f64.powi(3)),
        ("conv64_fwd_b16", 2.0 * 16.0 * 64.0 * 64.0 * 9.0 * 1024.0),
        (
            "conv64_fwdbwd_b16",
            3.0 * 2.0 * 16.0 * 64.0 * 64.0 * 9.0 * 1024.0,
        ),
    ] {
        for t in [1, 2] {
            if let Some(&ms) = ours.get(&(key, t)) {
                println!(
                    "{key} {t} thread(s): {ms:.3} ms, {:.1} GFLOP/s",
                    flop / ms / 1e6
                );
            }
        }
    }
    if let (Some(b), Some(a)) = (before, load()) {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        println!("load average {b} before, {a} after ({cores} cores): other work on the machine slows both columns");
    }
    let (Some(a), Some(b)) = (
        ours.get(&("lenet_train_b64", 1)),
        ours.get(&("lenet_train_b64", 2)),
    ) else {
        return;
    };
    let s = a / b;
    println!(
        "LeNet-5 train step, 2 threads vs 1: {s:.2}x faster (target >= 1.60x  {})",
        if s >= 1.6 { "met" } else { "NOT met" }
    );
}

//! Depthwise 3×3 convolution (stride 1, padding 1, bias) on one 64×48×48 sample, inference,
//! one thread: `Layer::infer` of `Conv2d<64, 64, 3, …, groups = 64>` (the direct kernel) and
//! the same layer as 64 groups of the ordinary per-group plan would cost, for scale.
//!
//! ```text
//! python3 scripts/bench_depthwise.py     # LiteRT, onnxruntime and PyTorch, then this, same run
//! cargo run --release --example bench_depthwise   # only ours: `dl_depthwise_ms …` lines
//! ```
//! `DL_BENCH_SECS` sets the time spent on each case (default 2 s); `DL_BENCH_STAT=min` reports
//! the fastest sample instead of the median.
mod common;

use common::bench::*;
use dl::consts::*;
use dl::kernels::par::set_threads;
use dl::{new_boxed, Bias, Conv2d, Layer, Shape, Shape3};
use std::hint::black_box;

type Map = Shape3<U64, U48, U48>;
/// `nn.Conv2d(64, 64, 3, padding=1, groups=64)`.
type Dw = Conv2d<U64, U64, U3, U1, U1, U1, Bias, U64>;
/// A grouped convolution with 2 channels per group: the per-group plan (for comparison).
type G32 = Conv2d<U64, U64, U3, U1, U1, U1, Bias, U32>;

dl::network! {
    /// The same depthwise layer through `network!`.
    struct DwNet: [64, 48, 48] { Conv2d(64, 64, 3, pad = 1, groups = 64) }
}

fn main() {
    set_threads(1);
    let secs: f64 = env_or("DL_BENCH_SECS", 2.0);
    let x = random_batch::<Map>(1, 7);
    let mut y = vec![0.0f32; <Map as Shape>::NUMEL];

    let dw = new_boxed::<Dw>(1);
    let mut scratch = vec![0.0f32; <Dw as Layer<Map>>::SCRATCH];
    let t = median_ms(secs, &mut || {
        Layer::<Map>::infer(&*dw, black_box(x.as_slice()), &mut y, &mut scratch);
        black_box(&y);
    });
    println!("dl_depthwise_ms {t:.4}");

    let net = DwNet::new(1);
    let mut arena = vec![0.0f32; DwNet::ARENA_LEN];
    let t = median_ms(secs, &mut || {
        net.infer(black_box(x.as_slice()), &mut y, &mut arena);
        black_box(&y);
    });
    println!("dl_depthwise_network_ms {t:.4}");

    let g32 = new_boxed::<G32>(1);
    let mut scratch = vec![0.0f32; <G32 as Layer<Map>>::SCRATCH];
    let t = median_ms(secs, &mut || {
        Layer::<Map>::infer(&*g32, black_box(x.as_slice()), &mut y, &mut scratch);
        black_box(&y);
    });
    println!("dl_grouped32_ms {t:.4}");
}

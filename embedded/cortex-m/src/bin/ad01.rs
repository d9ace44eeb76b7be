//! MLPerf Tiny's anomaly detector (`dl_models::Ad01`, 265,864 parameters) on a Cortex-M4F in
//! QEMU (`mps2-an386`: 4 MiB for code and 4 MiB for data; the 1,063,456 bytes of weights do not
//! fit a 1 MiB STM32F405): `#![no_std]`, no allocator, the weights and the real ToyCar sample
//! viewed in flash where they lie (`io::view`), the arena a static in RAM. Runs all 196 windows
//! of the sample, checks every window's reconstruction error against LiteRT's (within 1e-4,
//! relative) and the clip's anomaly score (within 1e-5), and counts instructions per inference
//! as every binary here does (`board.rs`: SysTick under `-icount shift=0`, calibrated by a loop).
//! Built and run by `run-mlperf.sh`, which compares the score and the hash of all outputs with
//! the host's no-std build of the same program (`embedded/src/bin/ad01.rs`).
#![no_std]
#![no_main]

#[path = "../board.rs"]
mod board;
#[path = "../mlperf.rs"]
mod mlperf;

use board::fail;
use cortex_m_rt::entry;
use cortex_m_semihosting::hprintln;
use dl_core::io::Aligned;
use dl_core::Layer;
use dl_models::mlperf::{window_error, AD01_BINS};
use dl_models::Ad01;
use mlperf::floats;

/// Flash: the weights (build.rs: the data section of data/mlperf/ad01.safetensors).
static WEIGHTS: &Aligned<[u8]> = &Aligned(*include_bytes!(concat!(env!("OUT_DIR"), "/ad01.bin")));
const _: () = assert!(
    WEIGHTS.0.len() == Ad01::WEIGHT_BYTES && Ad01::WEIGHT_BYTES == Ad01::STRUCT_BYTES,
    "ad01.bin does not fit Ad01"
);
/// Flash: the real sample, 200 frames × 128 log-mel bins, little-endian f32.
static SAMPLE: &Aligned<[u8]> = &Aligned(*include_bytes!(
    "../../../../data/mlperf/normal_id_01_00000000_hist_librosa.bin"
));
const FRAMES: usize = 200;
const WINDOWS: usize = FRAMES - 4;
const _: () = assert!(SAMPLE.0.len() == FRAMES * AD01_BINS * 4);
/// Flash: LiteRT's error of each window, then its score (build.rs, from ad01_io.safetensors).
static EXPECTED: &Aligned<[u8]> = &Aligned(*include_bytes!(concat!(
    env!("OUT_DIR"),
    "/ad01_expected.bin"
)));
const _: () = assert!(EXPECTED.0.len() == (WINDOWS + 1) * 4);

/// RAM: the inference arena (exactly `ARENA_BYTES`) and one output window.
static mut ARENA: [f32; Ad01::ARENA_LEN] = [0.0; Ad01::ARENA_LEN];
static mut OUTPUT: [f32; 640] = [0.0; 640];

#[entry]
fn main() -> ! {
    let spin_ticks = board::start_clock();

    // SAFETY: single-threaded program; the statics are only touched here, one borrow each.
    let (arena, out) = unsafe { (&mut *(&raw mut ARENA), &mut *(&raw mut OUTPUT)) };
    let Ok(net) = dl_core::io::view::<Ad01>(&WEIGHTS.0) else {
        fail("weights: wrong length or alignment")
    };
    let (sample, expected) = (floats(SAMPLE), floats(EXPECTED));
    hprintln!(
        "Ad01: {} parameters, flash (weights) {} bytes, RAM arena {} bytes, {} MACs per window",
        Ad01::PARAMS,
        Ad01::WEIGHT_BYTES,
        Ad01::ARENA_BYTES,
        Ad01::MACS
    );
    let mut timing = board::Timing::new();
    let (mut total, mut worst, mut h) = (0.0f64, 0.0f32, 0x811c_9dc5u32);
    for w in 0..WINDOWS {
        let x: &[f32; 640] = sample[w * AD01_BINS..w * AD01_BINS + 640]
            .try_into()
            .unwrap();
        let t0 = board::now();
        net.infer(&x[..], &mut out[..], &mut arena[..]);
        timing.add(board::ticks(t0, board::now()));
        let e = window_error(x, out);
        total += e as f64;
        worst = worst.max((e - expected[w]).abs() / expected[w]);
        // FNV-1a of every output's bits, to compare runs bit for bit
        for b in out.iter().flat_map(|v| v.to_bits().to_le_bytes()) {
            h = (h ^ b as u32).wrapping_mul(0x0100_0193);
        }
    }
    let score = (total / WINDOWS as f64) as f32;
    let litert = expected[WINDOWS];
    hprintln!("anomaly score: {:.6}", score);
    hprintln!("LiteRT's anomaly score: {:.6}", litert);
    hprintln!(
        "window errors: largest relative difference from LiteRT's {:.2e} (limit 1e-4)",
        worst
    );
    hprintln!(
        "outputs: {:08x} (FNV-1a of the f32 bits of all {} windows)",
        h,
        WINDOWS
    );
    timing.report("Ad01", Ad01::MACS, spin_ticks);
    board::finish(worst <= 1e-4 && (score - litert).abs() <= 1e-5 * litert)
}

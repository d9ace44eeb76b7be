//! MLPerf Tiny's anomaly detector (`dl_models::Ad01`, 265,864 parameters) on a Cortex-M4F in
//! QEMU (`mps2-an386`: 4 MiB for code and 4 MiB for data; the 1,063,456 bytes of weights do not
//! fit a 1 MiB STM32F405): `#![no_std]`, no allocator, the weights and the real ToyCar sample
//! viewed in flash where they lie (`io::view`), the arena a static in RAM. Runs all 196 windows
//! of the sample, checks every window's reconstruction error against LiteRT's (within 1e-4,
//! relative) and the clip's anomaly score (within 1e-5), and counts instructions per inference
//! as `main.rs` does (SysTick under `-icount shift=0`, calibrated by a loop of known length).
//! Built and run by `run-ad01.sh`, which compares the score and the hash of all outputs with the
//! host's no-std build of the same program (`embedded/src/bin/ad01.rs`).
#![no_std]
#![no_main]

use core::arch::asm;
use cortex_m::peripheral::{syst::SystClkSource, SYST};
use cortex_m_rt::{entry, exception, ExceptionFrame};
use cortex_m_semihosting::{debug, hprintln};
use dl_core::io::Aligned;
use dl_core::Layer;
use dl_models::mlperf::{window_error, AD01_BINS};
use dl_models::Ad01;

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

/// 4-aligned little-endian bytes as `f32`s (the target is little-endian).
fn floats(b: &'static Aligned<[u8]>) -> &'static [f32] {
    // SAFETY: `Aligned` is 4-aligned, the length is rounded down to whole floats, every bit
    // pattern is an f32, and the bytes are immutable statics.
    unsafe { core::slice::from_raw_parts(b.0.as_ptr().cast::<f32>(), b.0.len() / 4) }
}

/// SysTick ticks from `start` to `end` (a 24-bit down counter; spans under 2^24 ticks).
fn ticks(start: u32, end: u32) -> u32 {
    start.wrapping_sub(end) & 0x00FF_FFFF
}

/// `2 * n` instructions (`subs`, `bne`), for calibration.
#[inline(never)]
fn spin(n: u32) {
    // SAFETY: touches only its own register.
    unsafe { asm!("2:", "subs {0}, #1", "bne 2b", inout(reg) n => _, options(nomem, nostack)) };
}

extern "C" {
    static _stack_start: u32;
    static _stack_end: u32;
}

/// Deepest stack use so far: bytes below `_stack_start` no longer holding cortex-m-rt's paint.
fn stack_used() -> u32 {
    // SAFETY: the words between `_stack_end` and `_stack_start` are RAM (cortex-m-rt's layout).
    unsafe {
        let (lo, hi) = (
            &raw const _stack_end as *const u32,
            &raw const _stack_start as *const u32,
        );
        let mut p = lo;
        while p < hi && p.read_volatile() == cortex_m_rt::STACK_PAINT_VALUE {
            p = p.add(1);
        }
        hi as u32 - p as u32
    }
}

fn fail(msg: &str) -> ! {
    hprintln!("{}", msg);
    debug::exit(debug::EXIT_FAILURE);
    loop {}
}

#[entry]
fn main() -> ! {
    let mut cp = cortex_m::Peripherals::take().unwrap();
    cp.SYST.set_clock_source(SystClkSource::Core);
    cp.SYST.set_reload(0x00FF_FFFF);
    cp.SYST.clear_current();
    cp.SYST.enable_counter();
    const SPIN: u32 = 500_000;
    let t0 = SYST::get_current();
    spin(SPIN);
    let spin_ticks = ticks(t0, SYST::get_current());

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
    let (mut min, mut max, mut sum) = (u32::MAX, 0u32, 0u64);
    let (mut total, mut worst, mut h) = (0.0f64, 0.0f32, 0x811c_9dc5u32);
    for w in 0..WINDOWS {
        let x: &[f32; 640] = sample[w * AD01_BINS..w * AD01_BINS + 640]
            .try_into()
            .unwrap();
        let t0 = SYST::get_current();
        net.infer(&x[..], &mut out[..], &mut arena[..]);
        let t = ticks(t0, SYST::get_current());
        (min, max, sum) = (min.min(t), max.max(t), sum + t as u64);
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
    let insns = |t: u64| (t as f64 * (2 * SPIN) as f64 / spin_ticks.max(1) as f64 + 0.5) as u64;
    let mean = sum / WINDOWS as u64;
    hprintln!(
        "SysTick ticks per inference: min {} max {} mean {} (calibration: {} ticks for {} instructions)",
        min,
        max,
        mean,
        spin_ticks,
        2 * SPIN
    );
    hprintln!(
        "instructions per inference (valid under -icount): min {} max {} mean {}",
        insns(min as u64),
        insns(max as u64),
        insns(mean)
    );
    hprintln!(
        "instructions per MAC: {:.2}",
        insns(mean) as f64 / Ad01::MACS as f64
    );
    hprintln!("stack used (deepest): {} bytes", stack_used());
    let ok = worst <= 1e-4 && (score - litert).abs() <= 1e-5 * litert;
    debug::exit(if ok {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    loop {}
}

#[exception]
unsafe fn HardFault(ef: &ExceptionFrame) -> ! {
    hprintln!("HardFault at pc {:#010x}", ef.pc());
    debug::exit(debug::EXIT_FAILURE);
    loop {}
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    hprintln!("panic: {}", info);
    debug::exit(debug::EXIT_FAILURE);
    loop {}
}

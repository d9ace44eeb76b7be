//! MLPerf Tiny's anomaly detector (`dl_models::Ad01`) on the real ToyCar sample with no `std`
//! and no allocator, on the host: the same program as `cortex-m/src/bin/ad01.rs`, so its output
//! lines (the anomaly score and the FNV-1a hash of every window's outputs) can be compared with
//! the Cortex-M run's bit for bit. Without `std`, dl-core runs its portable kernels, whose sums
//! the Arm kernels reproduce exactly.
//!
//!     cargo run --release --features ad01 --bin ad01          (in this folder)
#![no_std]
#![no_main]

use dl_core::io::Aligned;
use dl_core::Layer;
use dl_models::mlperf::{window_error, AD01_BINS};
use dl_models::Ad01;

/// The weights (build.rs: the data section of data/mlperf/ad01.safetensors).
static WEIGHTS: &Aligned<[u8]> = &Aligned(*include_bytes!(concat!(env!("OUT_DIR"), "/ad01.bin")));
/// The real sample, 200 frames × 128 log-mel bins, little-endian f32.
static SAMPLE: &Aligned<[u8]> = &Aligned(*include_bytes!(
    "../../../data/mlperf/normal_id_01_00000000_hist_librosa.bin"
));
const WINDOWS: usize = 200 - 4;
const _: () = assert!(SAMPLE.0.len() == 200 * AD01_BINS * 4);

static mut ARENA: [f32; Ad01::ARENA_LEN] = [0.0; Ad01::ARENA_LEN];
static mut OUTPUT: [f32; 640] = [0.0; 640];

#[link(name = "c")]
extern "C" {
    fn printf(format: *const u8, ...) -> i32;
}

#[no_mangle]
pub extern "C" fn main(_argc: i32, _argv: *const *const u8) -> i32 {
    // SAFETY: single-threaded program; the statics are only touched here, one borrow each.
    let (arena, out) = unsafe { (&mut *(&raw mut ARENA), &mut *(&raw mut OUTPUT)) };
    let Ok(net) = dl_core::io::view::<Ad01>(&WEIGHTS.0) else {
        unsafe { printf(c"weights: wrong length or alignment\n".as_ptr().cast()) };
        return 1;
    };
    // SAFETY: `Aligned` is 4-aligned, the length is whole floats, every bit pattern is an f32.
    let sample: &[f32] =
        unsafe { core::slice::from_raw_parts(SAMPLE.0.as_ptr().cast(), SAMPLE.0.len() / 4) };
    let (mut total, mut h) = (0.0f64, 0x811c_9dc5u32);
    for w in 0..WINDOWS {
        let x: &[f32; 640] = sample[w * AD01_BINS..w * AD01_BINS + 640]
            .try_into()
            .unwrap();
        net.infer(&x[..], &mut out[..], &mut arena[..]);
        total += window_error(x, out) as f64;
        for b in out.iter().flat_map(|v| v.to_bits().to_le_bytes()) {
            h = (h ^ b as u32).wrapping_mul(0x0100_0193);
        }
    }
    let score = (total / WINDOWS as f64) as f32;
    unsafe {
        printf(c"anomaly score: %.6f\n".as_ptr().cast(), score as f64);
        printf(
            c"outputs: %08x (FNV-1a of the f32 bits of all %u windows)\n"
                .as_ptr()
                .cast(),
            h,
            WINDOWS as u32,
        );
    }
    0
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    extern "C" {
        fn abort() -> !;
    }
    // SAFETY: libc's abort never returns.
    unsafe { abort() }
}

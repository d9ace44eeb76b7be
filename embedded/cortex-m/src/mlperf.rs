//! One MLPerf Tiny classifier (`Kws01`, `Vww01`, `Ic01` of `dl_models`) on the Cortex-M4F:
//! `#![no_std]`, no allocator, the weights viewed in flash where they lie (`io::view`), the arena
//! a static of exactly the model's `ARENA_LEN` floats (`infer`), or with the feature `in-place`
//! exactly `IN_PLACE_LEN` (`infer_in_place`: the sample, intermediates and output in one buffer,
//! the layer-by-layer two-buffer bound). [`classifier!`] writes a binary's items;
//! `src/bin/{kws01,vww01,ic01}.rs` are one line each. Built and run by `run-mlperf.sh`.
//!
//! The inputs are the script's pseudo-random ones (`scripts/mlperf_convert.py`,
//! tests/mlperf_parity.rs), made by `build.rs` on the host and placed in flash. Each output is
//! checked twice, and the program exits 1 unless both hold for every input:
//! - bit for bit against the host: `build.rs` runs the same model (dl-models for x86_64 without
//!   `std`, so dl-core's portable kernels, whose sums in `k` order the Arm kernels reproduce) on
//!   the same inputs and stores its outputs;
//! - within 1e-4 (absolute, on probabilities) of LiteRT's (`data/mlperf/<model>_io.safetensors`),
//!   the parity tests' limit.
#![allow(dead_code)] // `classifier!` uses what it needs

use cortex_m_semihosting::hprintln;

/// 4-aligned little-endian bytes as `f32`s (the target is little-endian).
pub fn floats(b: &'static dl_core::io::Aligned<[u8]>) -> &'static [f32] {
    // SAFETY: `Aligned` is 4-aligned, the length is rounded down to whole floats, every bit
    // pattern is an f32, and the bytes are immutable statics.
    unsafe { core::slice::from_raw_parts(b.0.as_ptr().cast::<f32>(), b.0.len() / 4) }
}

/// FNV-1a of the floats' bits, continuing from `h` (start: `0x811c_9dc5`).
fn fnv(mut h: u32, v: &[f32]) -> u32 {
    for b in v.iter().flat_map(|v| v.to_bits().to_le_bytes()) {
        h = (h ^ b as u32).wrapping_mul(0x0100_0193);
    }
    h
}

/// What [`run`] reports of a model, from its constants.
pub struct Facts {
    pub name: &'static str,
    pub params: usize,
    pub weight_bytes: usize,
    pub arena_bytes: usize,
    pub macs: usize,
    /// Floats per input.
    pub in_len: usize,
}

/// Runs `infer` on every input (`inputs`: back to back, `x_len` floats each) into `out`, checks
/// each output against `host`'s (bit for bit) and `litert`'s (within 1e-4), prints the results,
/// the instruction counts and the stack depth, and exits (status 0 when every check holds).
pub fn run(
    facts: &Facts,
    (inputs, host, litert): (&[f32], &[f32], &[f32]),
    out: &mut [f32],
    mut infer: impl FnMut(&[f32], &mut [f32]),
    spin_ticks: u32,
) -> ! {
    let (x_len, n) = (facts.in_len, host.len() / out.len());
    hprintln!(
        "{}: {} parameters, flash (weights) {} bytes, RAM arena {} bytes, {} MACs, {} inputs",
        facts.name,
        facts.params,
        facts.weight_bytes,
        facts.arena_bytes,
        facts.macs,
        n
    );
    let ok_shapes = n > 0 && inputs.len() == n * x_len && litert.len() == host.len();
    if !ok_shapes {
        crate::board::fail("inputs, host outputs and LiteRT outputs do not match in number");
    }
    let mut timing = crate::board::Timing::new();
    let (mut same, mut worst, mut h) = (0, 0.0f32, 0x811c_9dc5u32);
    for k in 0..n {
        let x = &inputs[k * x_len..(k + 1) * x_len];
        let t0 = crate::board::now();
        infer(x, out);
        timing.add(crate::board::ticks(t0, crate::board::now()));
        let want = &host[k * out.len()..(k + 1) * out.len()];
        let bits = out
            .iter()
            .zip(want)
            .all(|(a, b)| a.to_bits() == b.to_bits());
        same += bits as usize;
        let diff = out
            .iter()
            .zip(&litert[k * out.len()..])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        worst = worst.max(diff);
        let class = (0..out.len()).fold(0, |c, i| if out[i] > out[c] { i } else { c });
        hprintln!(
            "input {}: class {} (p {:.6}), outputs {:08x}, host's bits {}, |dl - LiteRT| <= {:.2e}",
            k,
            class,
            out[class],
            fnv(0x811c_9dc5, out),
            if bits { "equal" } else { "DIFFERENT" },
            diff
        );
        h = fnv(h, out);
    }
    hprintln!(
        "outputs: {:08x} (FNV-1a of the f32 bits of all {} outputs)",
        h,
        n
    );
    hprintln!(
        "host (x86_64 no-std, portable kernels): {} of {} outputs bit-identical",
        same,
        n
    );
    hprintln!("LiteRT: largest |difference| {:.2e} (limit 1e-4)", worst);
    timing.report(facts.name, facts.macs, spin_ticks);
    crate::board::finish(same == n && worst <= 1e-4)
}

/// The items of a classifier binary: `classifier!(Kws01, "kws01")` puts `OUT_DIR/kws01.bin` (the
/// weights: the data section of `data/mlperf/kws01.safetensors`), `kws01_inputs.bin`,
/// `kws01_host.bin` and `kws01_litert.bin` (build.rs) in flash, the arena
/// (`[f32; Kws01::ARENA_LEN]`) and one output in RAM, and writes `main`.
#[allow(unused_macros)] // ad01 uses this module for `floats` only
macro_rules! classifier {
    ($net:ident, $file:literal) => {
        use dl_core::io::Aligned;
        use dl_models::$net;

        /// Flash: the weights, viewed as the network in place.
        static WEIGHTS: &Aligned<[u8]> = &Aligned(*include_bytes!(concat!(
            env!("OUT_DIR"),
            "/",
            $file,
            ".bin"
        )));
        const _: () = assert!(
            WEIGHTS.0.len() == $net::WEIGHT_BYTES && $net::WEIGHT_BYTES == $net::STRUCT_BYTES,
            concat!($file, ".bin does not fit the network")
        );
        /// Flash: the inputs, and the host's and LiteRT's outputs for them (build.rs).
        static INPUTS: &Aligned<[u8]> = &Aligned(*include_bytes!(concat!(
            env!("OUT_DIR"),
            "/",
            $file,
            "_inputs.bin"
        )));
        static HOST: &Aligned<[u8]> = &Aligned(*include_bytes!(concat!(
            env!("OUT_DIR"),
            "/",
            $file,
            "_host.bin"
        )));
        static LITERT: &Aligned<[u8]> = &Aligned(*include_bytes!(concat!(
            env!("OUT_DIR"),
            "/",
            $file,
            "_litert.bin"
        )));
        const _: () = assert!(INPUTS.0.len() % (4 * $net::IN_LEN) == 0);

        /// RAM: the inference arena — exactly `ARENA_BYTES` for `infer`, or with the feature
        /// `in-place` exactly `IN_PLACE_BYTES` for `infer_in_place` (sample, intermediates and
        /// output in one buffer) — and one output.
        #[cfg(not(feature = "in-place"))]
        const ARENA_LEN: usize = $net::ARENA_LEN;
        #[cfg(feature = "in-place")]
        const ARENA_LEN: usize = $net::IN_PLACE_LEN;
        static mut ARENA: [f32; ARENA_LEN] = [0.0; ARENA_LEN];
        static mut OUTPUT: [f32; $net::OUT_LEN] = [0.0; $net::OUT_LEN];

        #[cortex_m_rt::entry]
        fn main() -> ! {
            let spin_ticks = board::start_clock();
            // SAFETY: single-threaded program; the statics are only touched here, one borrow
            // each.
            let (arena, out) = unsafe { (&mut *(&raw mut ARENA), &mut *(&raw mut OUTPUT)) };
            let Ok(net) = dl_core::io::view::<$net>(&WEIGHTS.0) else {
                board::fail("weights: wrong length or alignment")
            };
            let facts = mlperf::Facts {
                name: stringify!($net),
                params: $net::PARAMS,
                weight_bytes: $net::WEIGHT_BYTES,
                arena_bytes: ARENA_LEN * 4,
                macs: $net::MACS,
                in_len: $net::IN_LEN,
            };
            let data = (
                mlperf::floats(INPUTS),
                mlperf::floats(HOST),
                mlperf::floats(LITERT),
            );
            #[cfg(not(feature = "in-place"))]
            let infer = |x: &[f32], y: &mut [f32]| dl_core::Layer::infer(net, x, y, &mut arena[..]);
            #[cfg(feature = "in-place")]
            let infer = |x: &[f32], y: &mut [f32]| {
                $net::input_mut(arena).copy_from_slice(x);
                y.copy_from_slice(net.infer_in_place(arena));
            };
            mlperf::run(
                &facts,
                data,
                &mut out[..],
                infer,
                spin_ticks,
            )
        }
    };
}

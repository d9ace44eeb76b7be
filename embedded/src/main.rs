//! LeNet-5 on a device-like target: `#![no_std]`, `#![no_main]`, no allocator. The only thing
//! linked is the C library, for the entry point and `printf`. The trained weights (written by
//! `cargo run --release --example lenet5_weights`) and 20 test digits are embedded with
//! `include_bytes!`; the network is used in place, straight from those bytes (`io::view`: no
//! copy in RAM), and the inference arena is a static whose size is a `network!` const.
//!
//!     cargo run --release          (in this folder)
#![no_std]
#![no_main]

use dl_core::io::Aligned;
use dl_core::Layer;
use dl_macros::network;

network! {
    /// LeNet-5, ReLU and max-pool, on 28×28 (as trained by the `lenet5_weights` example).
    #[network(crate = ::dl_core)]
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

/// Flash: the weights, 4-aligned so they can be viewed as the network in place, checked against
/// the network's size at compile time. LeNet-5 has no BatchNorm or Dropout, so its raw weight
/// file (`WEIGHT_BYTES`) is also its image (`STRUCT_BYTES`).
static WEIGHTS: &Aligned<[u8]> = &Aligned(*include_bytes!("../lenet5.bin"));
const _: () = assert!(
    WEIGHTS.0.len() == LeNet5::WEIGHT_BYTES && LeNet5::WEIGHT_BYTES == LeNet5::STRUCT_BYTES,
    "lenet5.bin does not fit LeNet5"
);
/// Flash: 8×8 digits (grey 0–16), each followed by its label.
static DIGITS: &[u8] = include_bytes!("../digits.bin");
const _: () = assert!(DIGITS.len() % 65 == 0);

/// RAM: the inference arena, exactly `ARENA_BYTES`, plus one input image.
static mut ARENA: [f32; LeNet5::ARENA_LEN] = [0.0; LeNet5::ARENA_LEN];
const _: () = assert!(core::mem::size_of::<[f32; LeNet5::ARENA_LEN]>() == LeNet5::ARENA_BYTES);
static mut IMAGE: [f32; 28 * 28] = [0.0; 28 * 28];

#[link(name = "c")]
extern "C" {
    fn printf(format: *const u8, ...) -> i32;
}

/// An 8×8 digit as a 28×28 image in [0, 1]: ×3 nearest, 2-pixel zero border.
fn canvas(d: &[u8], out: &mut [f32; 784]) {
    for (i, v) in out.iter_mut().enumerate() {
        let (r, c) = (i / 28, i % 28);
        *v = if (2..26).contains(&r) && (2..26).contains(&c) {
            d[(r - 2) / 3 * 8 + (c - 2) / 3] as f32 / 16.0
        } else {
            0.0
        };
    }
}

#[no_mangle]
pub extern "C" fn main(_argc: i32, _argv: *const *const u8) -> i32 {
    // SAFETY: single-threaded program; the statics are only touched here, one borrow each.
    let (arena, image) = unsafe { (&mut *(&raw mut ARENA), &mut *(&raw mut IMAGE)) };
    let net: &LeNet5 = match dl_core::io::view(&WEIGHTS.0) {
        Ok(net) => net,
        Err(_) => {
            unsafe { printf(c"weights: wrong length or alignment\n".as_ptr().cast()) };
            return 1;
        }
    };
    unsafe {
        printf(
            c"LeNet-5: %u parameters, flash (weights) %u bytes, RAM arena %u bytes\n"
                .as_ptr()
                .cast(),
            LeNet5::PARAMS as u32,
            LeNet5::WEIGHT_BYTES as u32,
            LeNet5::ARENA_BYTES as u32,
        )
    };
    let mut correct = 0;
    let n = DIGITS.len() / 65;
    for (i, d) in DIGITS.chunks_exact(65).enumerate() {
        canvas(&d[..64], image);
        let mut logits = [0.0f32; 10];
        net.infer(&image[..], &mut logits, &mut arena[..]);
        let mut best = 0;
        for (k, &v) in logits.iter().enumerate() {
            if v > logits[best] {
                best = k;
            }
        }
        let label = d[64] as usize;
        correct += (best == label) as u32;
        let mark = if best == label { c"" } else { c"  <- wrong" };
        unsafe {
            printf(
                c"digit %2u: predicted %u, label %u%s\n".as_ptr().cast(),
                i as u32,
                best as u32,
                label as u32,
                mark.as_ptr(),
            )
        };
        // FNV-1a of the logits' bits, as the cortex-m demo prints it.
        let mut h = 0x811c_9dc5u32;
        for b in logits.iter().flat_map(|v| v.to_bits().to_le_bytes()) {
            h = (h ^ b as u32).wrapping_mul(0x0100_0193);
        }
        unsafe { printf(c"logits %2u: %08x (FNV-1a of the f32 bits)\n".as_ptr().cast(), i as u32, h) };
    }
    unsafe { printf(c"correct: %u/%u\n".as_ptr().cast(), correct, n as u32) };
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

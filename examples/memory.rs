//! Flash and RAM of every dl-models network at batch 1, from the types alone.
//!
//!     cargo run --release --example memory
//!
//! - params: trainable parameters (`Module::PARAMS`).
//! - weights: bytes of the weight file in the raw layout (`dl::io::raw_len`): parameters plus
//!   BatchNorm running statistics, 4 bytes each. This is the flash an `include_bytes!` file takes.
//! - struct: `size_of` of the network type (a `network!` struct's `STRUCT_BYTES`; its
//!   `WEIGHT_BYTES` is the raw length above): the weights plus any per-layer state (a Dropout's
//!   16-byte generator). `io::load_raw` copies the file into
//!   such a struct, so a device that loads that way (as `embedded/` does, into a `static mut`)
//!   holds this much in RAM too.
//! - arena: `Layer::SCRATCH` × 4, the workspace `infer` needs: every intermediate activation and
//!   every layer's own scratch (a convolution's im2col columns) live in it.
//! - RAM: input + output + arena, the read-write memory of one inference besides the network
//!   struct and the stack frames (a few hundred bytes per layer call, not counted).
//!
//! Every figure is a compile-time constant of the type except the raw length, which is counted
//! by visiting a zeroed network (no page of it is touched). `dl-models/tests/no_alloc.rs` runs
//! `infer` with exactly that arena, with zero allocations, and checks that one float less is
//! refused.
use dl::consts::*;
use dl::{zeroed_box, Layer, Module, Shape, Shape1, Shape3, Thousands, Zeroable};
use dl_models::*;

/// Bytes in KiB / MiB, for reading.
fn human(b: usize) -> String {
    if b >= 1 << 20 {
        format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64)
    } else {
        format!("{:.1} KiB", b as f64 / 1024.0)
    }
}

fn row<In: Shape, N: Layer<In> + Module + Zeroable>(model: &str, input: &str) {
    let weights = dl::io::raw_len(&*zeroed_box::<N>());
    let net = std::mem::size_of::<N>();
    let (x, y, arena) = (4 * In::NUMEL, 4 * <N::Out as Shape>::NUMEL, 4 * N::SCRATCH);
    let ram = x + y + arena;
    println!(
        "| {model} | {input} | {} | {} ({}) | {} | {} | {} | {} | {} ({}) |",
        Thousands(N::PARAMS),
        Thousands(weights),
        human(weights),
        Thousands(net),
        Thousands(x),
        Thousands(y),
        Thousands(arena),
        Thousands(ram),
        human(ram),
    );
}

type Img<C, H> = Shape3<C, H, H>;

fn main() {
    println!("Batch 1, f32. Bytes are exact (from the types); RAM = input + output + arena.\n");
    println!("| model | input | params | weights = flash | struct | input | output | arena (SCRATCH) | RAM |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    row::<Shape1<U3>, Mlp>("MLP", "[3]");
    row::<Img<U1, U32>, LeNet5>("LeNet-5", "1×32×32");
    row::<Img<U3, U224>, AlexNet<U224>>("AlexNet", "3×224×224");
    row::<Img<U3, U63>, AlexNet<U63>>("AlexNet", "3×63×63");
    row::<Img<U3, U227>, AlexNetLrn>("AlexNet-LRN", "3×227×227");
    row::<Img<U3, U64>, Nin<U64>>("NiN", "3×64×64");
    row::<Img<U3, U32>, Nin<U32>>("NiN", "3×32×32");
    row::<Img<U3, U224>, Vgg11<U224>>("VGG-11", "3×224×224");
    row::<Img<U3, U32>, Vgg11<U32>>("VGG-11", "3×32×32");
    row::<Img<U3, U224>, Vgg16<U224>>("VGG-16", "3×224×224");
    row::<Img<U3, U32>, Vgg16<U32>>("VGG-16", "3×32×32");
    row::<Img<U3, U224>, GoogLeNet<U224>>("GoogLeNet", "3×224×224");
    row::<Img<U3, U32>, GoogLeNet<U32>>("GoogLeNet", "3×32×32");
    row::<Img<U3, U224>, ResNet18<U224>>("ResNet-18", "3×224×224");
    row::<Img<U3, U32>, ResNet18<U32>>("ResNet-18", "3×32×32");
    row::<Img<U3, U224>, ResNet34<U224>>("ResNet-34", "3×224×224");
    row::<Img<U3, U32>, ResNet34<U32>>("ResNet-34", "3×32×32");
    row::<Img<U3, U224>, ResNet50<U224>>("ResNet-50", "3×224×224");
    row::<Img<U3, U32>, ResNet50<U32>>("ResNet-50", "3×32×32");
    row::<Img<U3, U224>, ResNet101<U224>>("ResNet-101", "3×224×224");
    row::<Img<U3, U32>, ResNet101<U32>>("ResNet-101", "3×32×32");
    row::<Img<U3, U224>, ResNet152<U224>>("ResNet-152", "3×224×224");
    row::<Img<U3, U32>, ResNet152<U32>>("ResNet-152", "3×32×32");
    row::<Img<U3, U224>, Fcn32s<U224>>("FCN-32s", "3×224×224");
    row::<Img<U3, U64>, Fcn32s<U64>>("FCN-32s", "3×64×64");
    row::<Img<U3, U32>, Fcn32s<U32>>("FCN-32s", "3×32×32");
    row::<Img<U3, U224>, Fcn16s<U224>>("FCN-16s", "3×224×224");
    row::<Img<U3, U64>, Fcn16s<U64>>("FCN-16s", "3×64×64");
    row::<Img<U3, U32>, Fcn16s<U32>>("FCN-16s", "3×32×32");
    row::<Img<U3, U224>, Fcn8s<U224>>("FCN-8s", "3×224×224");
    row::<Img<U3, U64>, Fcn8s<U64>>("FCN-8s", "3×64×64");
    row::<Img<U3, U32>, Fcn8s<U32>>("FCN-8s", "3×32×32");
    row::<Img<U21, U97>, Context<U97>>("Context (dilated)", "21×97×97");
    row::<Img<U21, U64>, Context<U64>>("Context (dilated)", "21×64×64");
    row::<Img<U21, U32>, Context<U32>>("Context (dilated)", "21×32×32");
    row::<Shape1<U640>, Ad01>("MLPerf Tiny AD01", "[640]");
    row::<Img<U3, U32>, Ic01>("MLPerf Tiny IC01", "3×32×32");
    row::<Shape3<U1, U49, U10>, Kws01>("MLPerf Tiny KWS01", "1×49×10");
    row::<Img<U3, U96>, Vww01>("MLPerf Tiny VWW01", "3×96×96");

    // MLPerf Tiny: the published activation figures count every float activation alive at
    // once, the model's input and output included (the layer-by-layer two-buffer
    // bound; Bosch HALE f32 reports AD 3,072 B); dl's arena holds neither, so the comparable
    // figure is input + output + arena, and the arena alone is what dl adds to the caller's
    // input and output buffers.
    println!("\nMLPerf Tiny, float32, batch 1 (bytes; bound = largest set of activations alive at one layer, input and output included):\n");
    println!("| model | params | weight bytes | MACs | `ARENA_BYTES` | input + output + arena | two-buffer bound |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let x = 4 * <Shape1<U640> as Shape>::NUMEL;
    println!(
        "| AD01 (`dl_models::Ad01`) | {} | {} | {} | {} | {} | 3,072 |",
        Thousands(Ad01::PARAMS),
        Thousands(Ad01::WEIGHT_BYTES),
        Thousands(Ad01::MACS),
        Thousands(Ad01::ARENA_BYTES),
        Thousands(2 * x + Ad01::ARENA_BYTES),
    );
    let (x, y) = (4 * <Img<U3, U32> as Shape>::NUMEL, 4 * 10);
    println!(
        "| IC01 (`dl_models::Ic01`) | {} | {} | {} | {} | {} | 196,608 |",
        Thousands(Ic01::PARAMS),
        Thousands(Ic01::WEIGHT_BYTES),
        Thousands(Ic01::MACS),
        Thousands(Ic01::ARENA_BYTES),
        Thousands(x + y + Ic01::ARENA_BYTES),
    );
    let (x, y) = (4 * <Shape3<U1, U49, U10> as Shape>::NUMEL, 4 * 12);
    println!(
        "| KWS01 (`dl_models::Kws01`) | {} | {} | {} | {} | {} | 64,000 |",
        Thousands(Kws01::PARAMS),
        Thousands(Kws01::WEIGHT_BYTES),
        Thousands(Kws01::MACS),
        Thousands(Kws01::ARENA_BYTES),
        Thousands(x + y + Kws01::ARENA_BYTES),
    );
    let (x, y) = (4 * <Img<U3, U96> as Shape>::NUMEL, 4 * 2);
    println!(
        "| VWW01 (`dl_models::Vww01`) | {} | {} | {} | {} | {} | 221,184 |",
        Thousands(Vww01::PARAMS),
        Thousands(Vww01::WEIGHT_BYTES),
        Thousands(Vww01::MACS),
        Thousands(Vww01::ARENA_BYTES),
        Thousands(x + y + Vww01::ARENA_BYTES),
    );
}

//! MLPerf Tiny's float reference models (MLCommons `tiny`, Apache License 2.0): the workloads
//! embedded inference engines are measured with. Their weights, converted from the `.tflite`
//! files by `scripts/mlperf_convert.py` into safetensors under the names `network!` gives the
//! layers, are in the repository's `data/mlperf/` (with LiteRT's outputs, which
//! `tests/mlperf_parity.rs` checks these types against).
//!
//! | model | task | input | output | parameters |
//! |---|---|---|---|---|
//! | [`Ad01`] | anomaly detection (ToyADMOS ToyCar), dense autoencoder | 640 (5 log-mel frames) | 640 | 265,864 |
//! | [`Ic01`] | image classification (CIFAR-10), ResNet-8 | 3×32×32 | 10 probabilities | 77,706 |
//! | [`Kws01`] | keyword spotting (Speech Commands), DS-CNN | 1×49×10 MFCC | 12 probabilities | 22,604 |
//! | [`Vww01`] | visual wake words, MobileNetV1 α = 0.25 | 3×96×96 | 2 probabilities | 210,850 |
//!
//! Memory of one inference (float32 bytes, const-asserted below): with the in-place entry
//! (`input_mut` / `infer_in_place`), everything lives in one arena of `IN_PLACE_BYTES` —
//! the sample, every intermediate, the output and all scratch — which is exactly the
//! layer-by-layer two-buffer bound of MLPerf Tiny's float models (the largest input + output of
//! any layer, a residual block's input counted while its body runs): [`Ad01`] 3,072 (640 + 128
//! floats), [`Kws01`] 64,000 (two 64×25×5 maps), [`Vww01`] 221,184 (8×48×48 + 16×48×48 at the
//! first pointwise layer), [`Ic01`] 196,608 (three 16×32×32 maps in the first residual block).
//! A convolution whose fast kernel's scratch does not fit between its input and output runs
//! the direct kernel instead (IC01's residual bodies, VWW01's first layer, KWS01's depthwise
//! layers). `infer_into` keeps the input and output apart and its `ARENA_BYTES` includes the
//! fast kernels' scratch: 1,024 / 64,884 / 322,560 / 340,232.
use dl_macros::network;
#[cfg(feature = "std")]
extern crate std;

/// Declares a classifier twice with one layer list: `$name` ends in `Softmax` (the `.tflite`'s
/// output, probabilities), `$logits` stops before it (the softmax's input). Softmax has no
/// parameters, so both have the same weight names and image: one safetensors file loads either,
/// and `io::view` takes the same bytes.
macro_rules! with_logits {
    (
        $(#[$doc:meta])* $name:ident, $logits:ident: [$($input:tt)*] { $($layers:tt)* }
    ) => {
        network! {
            $(#[$doc])*
            #[network(crate = ::dl_core)]
            pub struct $name: [$($input)*] { $($layers)* Softmax, }
        }
        network! {
            #[doc = concat!("[`", stringify!($name), "`] without its final Softmax: the logits ")]
            #[doc = "(the `.tflite`'s softmax input). The same weights, names and image."]
            #[network(crate = ::dl_core)]
            pub struct $logits: [$($input)*] { $($layers)* }
        }
        const _: () = assert!($name::WEIGHT_BYTES == $logits::WEIGHT_BYTES);
        const _: () = assert!($name::STRUCT_BYTES == $logits::STRUCT_BYTES);
    };
}

network! {
    /// MLPerf Tiny `ad01`: the DCASE 2020 baseline's dense autoencoder, as in
    /// `ad01_fp32.tflite` (batch normalisation folded into the linear layers).
    ///
    /// Input `[640]`: 5 consecutive frames of a 128-bin log-mel spectrogram (dB), frame after
    /// frame. Output `[640]`: their reconstruction. The anomaly score of a window is the mean
    /// squared difference between the two; a clip's is the mean over its windows
    /// ([`anomaly_score`]).
    ///
    /// ```text
    /// Ad01: input [640]
    /// Layer               Output shape    Params     MACs
    /// Linear(640, 128)    [128]           82,048   81,920
    /// ReLU                [128]                0        0
    /// Linear(128, 128)    [128]           16,512   16,384   (× 3, each followed by ReLU)
    /// Linear(128, 8)      [8]              1,032    1,024
    /// ReLU                [8]                  0        0
    /// Linear(8, 128)      [128]            1,152    1,024
    /// ReLU                [128]                0        0
    /// Linear(128, 128)    [128]           16,512   16,384   (× 3, each followed by ReLU)
    /// Linear(128, 640)    [640]           82,560   81,920
    /// Total params: 265,864 (1,063,456 weight bytes); MACs per sample: 264,192
    /// ```
    #[network(crate = ::dl_core)]
    pub struct Ad01: [640] {
        Linear(640, 128), ReLU,
        Linear(128, 128), ReLU,
        Linear(128, 128), ReLU,
        Linear(128, 128), ReLU,
        Linear(128, 8), ReLU,
        Linear(8, 128), ReLU,
        Linear(128, 128), ReLU,
        Linear(128, 128), ReLU,
        Linear(128, 128), ReLU,
        Linear(128, 640),
    }
}

/// The parameter count of `ad01_fp32.tflite`: the elements of its constant tensors (the ten
/// weight matrices and bias vectors), as `scripts/mlperf_convert.py` counts them.
pub const AD01_PARAMS: usize = 265_864;
const _: () = assert!(Ad01::PARAMS == AD01_PARAMS);
const _: () = assert!(Ad01::MACS == 264_192);
const _: () = assert!(Ad01::IN_PLACE_BYTES == 3_072);
const _: () = assert!(Ad01::ARENA_BYTES == 1_024);

with_logits! {
    /// MLPerf Tiny `ic01`: the ResNet-8 of `pretrainedResnet.tflite` (CIFAR-10), batch
    /// normalisation folded into the convolutions, TensorFlow's 'same' padding (on the stride-2
    /// convolutions it pads only bottom and right: 0/1/0/1).
    ///
    /// Input `[3, 32, 32]`: an RGB image, channels first (dl's layout; the `.tflite` takes
    /// NHWC), values as the reference feeds them (`[0, 1)` in the parity tests). Output `[10]`:
    /// the CIFAR-10 class probabilities (the `.tflite` ends in a softmax).
    ///
    /// ```text
    /// Ic01: input [3, 32, 32]
    /// Layer                                   Output shape    Params       MACs
    /// Conv2d(3, 16, 3, 'same'), ReLU          [16, 32, 32]       448    442,368
    /// residual (16 → 16), ReLU                [16, 32, 32]     4,640  4,718,592
    /// residual (16 → 32, /2; 1×1 shortcut)    [32, 16, 16]    14,432  3,670,016
    /// residual (32 → 64, /2; 1×1 shortcut)    [64, 8, 8]      57,536  3,670,016
    /// AvgPool2d(8), Flatten                   [64]                 0          0
    /// Linear(64, 10), Softmax                 [10]               650        640
    /// Total params: 77,706 (310,824 weight bytes); MACs per sample: 12,501,632
    /// ```
    Ic01, Ic01Logits: [3, 32, 32] {
        Conv2d(3, 16, 3, pad = "same"), ReLU,
        residual {
            Conv2d(16, 16, 3, pad = "same"), ReLU,
            Conv2d(16, 16, 3, pad = "same"),
        },
        ReLU,
        residual {
            Conv2d(16, 32, 3, stride = 2, pad = "same"), ReLU,
            Conv2d(32, 32, 3, pad = "same"),
        } shortcut {
            Conv2d(16, 32, 1, stride = 2),
        },
        ReLU,
        residual {
            Conv2d(32, 64, 3, stride = 2, pad = "same"), ReLU,
            Conv2d(64, 64, 3, pad = "same"),
        } shortcut {
            Conv2d(32, 64, 1, stride = 2),
        },
        ReLU,
        AvgPool2d(8),
        Flatten,
        Linear(64, 10),
    }
}

/// The parameter count of `pretrainedResnet.tflite` (`ic01`): the elements of its constant
/// tensors (eleven weight tensors and their biases), as `scripts/mlperf_convert.py` counts them.
pub const IC01_PARAMS: usize = 77_706;
const _: () = assert!(Ic01::PARAMS == IC01_PARAMS);
const _: () = assert!(Ic01::MACS == 12_501_632);
const _: () = assert!(Ic01::IN_PLACE_BYTES == 196_608);
const _: () = assert!(Ic01::ARENA_BYTES == 340_232);

/// Loads `ic01`'s weights from the safetensors file `scripts/mlperf_convert.py` writes
/// (`data/mlperf/ic01.safetensors` in the repository): every tensor is checked by name, shape
/// and dtype.
#[cfg(feature = "std")]
pub fn load_ic01(
    path: impl AsRef<std::path::Path>,
) -> Result<std::boxed::Box<Ic01>, dl_core::io::WeightsError> {
    let mut net = Ic01::new(0);
    dl_core::io::load(path, &mut *net)?;
    Ok(net)
}

with_logits! {
    /// MLPerf Tiny `kws01`: the DS-CNN of `kws_ref_model_float32.tflite` (batch normalisation
    /// folded; the file's int8 convolution weights dequantized, see `scripts/mlperf_convert.py`).
    /// Input `[1, 49, 10]`: 49 frames × 10 MFCCs. Output `[12]`: class probabilities.
    /// 22,604 params (90,416 weight bytes), 2,656,768 MACs.
    Kws01, Kws01Logits: [1, 49, 10] {
        Conv2d(1, 64, (10, 4), stride = 2, pad = "same"), ReLU,
        Conv2d(64, 64, 3, pad = "same", groups = 64), ReLU,
        Conv2d(64, 64, 1), ReLU,
        Conv2d(64, 64, 3, pad = "same", groups = 64), ReLU,
        Conv2d(64, 64, 1), ReLU,
        Conv2d(64, 64, 3, pad = "same", groups = 64), ReLU,
        Conv2d(64, 64, 1), ReLU,
        Conv2d(64, 64, 3, pad = "same", groups = 64), ReLU,
        Conv2d(64, 64, 1), ReLU,
        AvgPool2d((25, 5)),
        Flatten,
        Linear(64, 12),
    }
}

/// The parameter count of `kws_ref_model_float32.tflite` (`kws01`), as the script counts it.
pub const KWS01_PARAMS: usize = 22_604;
const _: () = assert!(Kws01::PARAMS == KWS01_PARAMS);
const _: () = assert!(Kws01::MACS == 2_656_768);
const _: () = assert!(Kws01::IN_PLACE_BYTES == 64_000);
const _: () = assert!(Kws01::ARENA_BYTES == 64_884);

with_logits! {
    /// MLPerf Tiny `vww01`: the MobileNetV1 (α = 0.25) of `vww_96_float.tflite` (batch
    /// normalisation folded). Input `[3, 96, 96]`: an RGB image, channels first. Output `[2]`:
    /// the probabilities of "no person" / "person". 210,850 params (843,400 weight bytes),
    /// 7,489,664 MACs.
    Vww01, Vww01Logits: [3, 96, 96] {
        Conv2d(3, 8, 3, stride = 2, pad = "same"), ReLU,
        Conv2d(8, 8, 3, pad = "same", groups = 8), ReLU,
        Conv2d(8, 16, 1), ReLU,
        Conv2d(16, 16, 3, stride = 2, pad = "same", groups = 16), ReLU,
        Conv2d(16, 32, 1), ReLU,
        Conv2d(32, 32, 3, pad = "same", groups = 32), ReLU,
        Conv2d(32, 32, 1), ReLU,
        Conv2d(32, 32, 3, stride = 2, pad = "same", groups = 32), ReLU,
        Conv2d(32, 64, 1), ReLU,
        Conv2d(64, 64, 3, pad = "same", groups = 64), ReLU,
        Conv2d(64, 64, 1), ReLU,
        Conv2d(64, 64, 3, stride = 2, pad = "same", groups = 64), ReLU,
        Conv2d(64, 128, 1), ReLU,
        Conv2d(128, 128, 3, pad = "same", groups = 128), ReLU,
        Conv2d(128, 128, 1), ReLU,
        Conv2d(128, 128, 3, pad = "same", groups = 128), ReLU,
        Conv2d(128, 128, 1), ReLU,
        Conv2d(128, 128, 3, pad = "same", groups = 128), ReLU,
        Conv2d(128, 128, 1), ReLU,
        Conv2d(128, 128, 3, pad = "same", groups = 128), ReLU,
        Conv2d(128, 128, 1), ReLU,
        Conv2d(128, 128, 3, pad = "same", groups = 128), ReLU,
        Conv2d(128, 128, 1), ReLU,
        Conv2d(128, 128, 3, stride = 2, pad = "same", groups = 128), ReLU,
        Conv2d(128, 256, 1), ReLU,
        Conv2d(256, 256, 3, pad = "same", groups = 256), ReLU,
        Conv2d(256, 256, 1), ReLU,
        AvgPool2d(3),
        Flatten,
        Linear(256, 2),
    }
}

/// The parameter count of `vww_96_float.tflite` (`vww01`), as the script counts it.
pub const VWW01_PARAMS: usize = 210_850;
const _: () = assert!(Vww01::PARAMS == VWW01_PARAMS);
const _: () = assert!(Vww01::MACS == 7_489_664);
const _: () = assert!(Vww01::IN_PLACE_BYTES == 221_184);
const _: () = assert!(Vww01::ARENA_BYTES == 322_560);

/// Loads `kws01`'s weights from `data/mlperf/kws01.safetensors` (checked by name, shape, dtype).
#[cfg(feature = "std")]
pub fn load_kws01(
    path: impl AsRef<std::path::Path>,
) -> Result<std::boxed::Box<Kws01>, dl_core::io::WeightsError> {
    let mut net = Kws01::new(0);
    dl_core::io::load(path, &mut *net)?;
    Ok(net)
}

/// Loads `vww01`'s weights from `data/mlperf/vww01.safetensors` (checked by name, shape, dtype).
#[cfg(feature = "std")]
pub fn load_vww01(
    path: impl AsRef<std::path::Path>,
) -> Result<std::boxed::Box<Vww01>, dl_core::io::WeightsError> {
    let mut net = Vww01::new(0);
    dl_core::io::load(path, &mut *net)?;
    Ok(net)
}

/// Log-mel bins per frame of an `ad01` input.
pub const AD01_BINS: usize = 128;
/// Frames per `ad01` window (its input is `AD01_FRAMES × AD01_BINS` = 640 values).
pub const AD01_FRAMES: usize = 5;

/// The mean squared difference between a window and its reconstruction: `ad01`'s anomaly score
/// of one window (MLPerf Tiny's and DCASE 2020's baseline definition).
pub fn window_error(input: &[f32; 640], output: &[f32; 640]) -> f32 {
    let sum: f32 = input
        .iter()
        .zip(output)
        .map(|(x, y)| (y - x) * (y - x))
        .sum();
    sum / 640.0
}

/// The anomaly score of a spectrogram (`frames × 128` log-mel values, frame after frame) as
/// MLPerf Tiny's AD reference computes it: every 5-frame window, sliding one frame at a time
/// (`frames − 4` windows), is reconstructed by `net`, and the score is the mean of the windows'
/// [`window_error`]s. `arena` is the network's inference arena. Returns `None` if `spectrogram`
/// is not a whole number of 128-bin frames, at least 5 of them.
pub fn anomaly_score(
    net: &Ad01,
    spectrogram: &[f32],
    arena: &mut [f32; Ad01::ARENA_LEN],
) -> Option<f32> {
    if !spectrogram.len().is_multiple_of(AD01_BINS) || spectrogram.len() < 640 {
        return None;
    }
    let windows = spectrogram.len() / AD01_BINS - (AD01_FRAMES - 1);
    let mut total = 0.0f64;
    for w in 0..windows {
        let x: &[f32; 640] = spectrogram[w * AD01_BINS..w * AD01_BINS + 640]
            .try_into()
            .ok()?;
        let y = net.infer_one(x, arena);
        total += window_error(x, &y) as f64;
    }
    Some((total / windows as f64) as f32)
}

/// Loads `ad01`'s weights from the safetensors file `scripts/mlperf_convert.py` writes
/// (`data/mlperf/ad01.safetensors` in the repository): every tensor is checked by name, shape
/// and dtype.
#[cfg(feature = "std")]
pub fn load_ad01(
    path: impl AsRef<std::path::Path>,
) -> Result<std::boxed::Box<Ad01>, dl_core::io::WeightsError> {
    let mut net = Ad01::new(0);
    dl_core::io::load(path, &mut *net)?;
    Ok(net)
}

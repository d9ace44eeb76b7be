//! MLPerf Tiny's float reference models (MLCommons `tiny`, Apache License 2.0): the workloads
//! embedded inference engines are measured with. Their weights, converted from the `.tflite`
//! files by `scripts/mlperf_convert.py` into safetensors under the names `network!` gives the
//! layers, are in the repository's `data/mlperf/` (with LiteRT's outputs, which
//! `tests/mlperf_parity.rs` checks these types against).
//!
//! | model | task | input | output | parameters |
//! |---|---|---|---|---|
//! | [`Ad01`] | anomaly detection (ToyADMOS ToyCar), dense autoencoder | 640 (5 log-mel frames) | 640 | 265,864 |
//!
//! The keyword-spotting (DS-CNN), visual-wake-words (MobileNetV1 0.25) and image-classification
//! (ResNet-8) models need depthwise convolution, rectangular kernels and TensorFlow's asymmetric
//! 'same' padding; their converted weights and fixtures are already in `data/mlperf/`.
use dl_macros::network;
#[cfg(feature = "std")]
extern crate std;

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

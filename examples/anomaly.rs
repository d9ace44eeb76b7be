//! MLPerf Tiny's anomaly detector (`dl_models::Ad01`, weights converted from `ad01_fp32.tflite`)
//! on a real ToyCar recording: its anomaly score, next to LiteRT's for the same clip.
//!
//!     cargo run --release --example anomaly [spectrogram.bin]
//!
//! The input is a log-mel spectrogram, 128 bins per frame, little-endian f32, frame after frame
//! (default: `data/mlperf/normal_id_01_00000000_hist_librosa.bin`, 200 frames of a normal clip).
//! Every 5-frame window (sliding by one frame) is reconstructed by the autoencoder; a window's
//! error is the mean squared difference between it and its reconstruction, and the clip's
//! anomaly score is the mean over its windows — MLPerf Tiny's AD reference and the DCASE 2020
//! baseline it comes from. A machine sound unlike the normal sounds the model was trained on
//! reconstructs badly and scores high; the decision threshold is chosen on validation clips.
use dl_models::mlperf::{anomaly_score, load_ad01, window_error, AD01_BINS};
use dl_models::Ad01;
use std::process::ExitCode;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/mlperf");

fn main() -> ExitCode {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| format!("{DATA}/normal_id_01_00000000_hist_librosa.bin"));
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let x: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    let net = match load_ad01(format!("{DATA}/ad01.safetensors")) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let mut arena = [0.0f32; Ad01::ARENA_LEN];
    let Some(score) = anomaly_score(&net, &x, &mut arena) else {
        eprintln!(
            "{path}: {} bytes is not a spectrogram of at least 5 frames of {AD01_BINS} f32 bins",
            bytes.len()
        );
        return ExitCode::FAILURE;
    };
    let frames = x.len() / AD01_BINS;
    let windows = frames - 4;
    let errors: Vec<f32> = (0..windows)
        .map(|w| {
            let v: &[f32; 640] = x[w * AD01_BINS..w * AD01_BINS + 640].try_into().unwrap();
            window_error(v, &net.infer_one(v, &mut arena))
        })
        .collect();
    let (lo, hi) = errors
        .iter()
        .fold((f32::MAX, f32::MIN), |(l, h), &e| (l.min(e), h.max(e)));
    println!("{path}: {frames} frames × {AD01_BINS} log-mel bins, {windows} windows of 5 frames");
    println!(
        "Ad01: {} parameters, {} MACs per window, arena {} bytes",
        Ad01::PARAMS,
        Ad01::MACS,
        Ad01::ARENA_BYTES
    );
    println!("window reconstruction error (mean squared, dB²): min {lo:.4}, max {hi:.4}");
    println!("anomaly score (mean over the windows): {score:.6}");
    // LiteRT's score for the bundled clip, computed the same way by scripts/mlperf_convert.py
    if let Ok(io) = std::fs::read(format!("{DATA}/ad01_io.safetensors")) {
        if path.ends_with("normal_id_01_00000000_hist_librosa.bin") {
            let st = safetensors::SafeTensors::deserialize(&io).expect("ad01_io.safetensors");
            let t = st.tensor("sample_score").expect("sample_score");
            let litert = f32::from_le_bytes(t.data()[..4].try_into().unwrap());
            println!(
                "LiteRT (ad01_fp32.tflite, builtin float kernels): {litert:.6}; difference {:.1e}",
                (score - litert).abs()
            );
        }
    }
    ExitCode::SUCCESS
}

//! MLPerf Tiny's `ad01` in dl computes what LiteRT computes from `ad01_fp32.tflite`.
//!
//! `scripts/mlperf_convert.py` wrote `data/mlperf/ad01.safetensors` (the weights under dl's
//! names) and `ad01_io.safetensors` (LiteRT's float outputs, builtin kernels without XNNPACK, for
//! four pseudo-random inputs made by the hash below, and for the real sample's windows). Every
//! output must be within 1e-4 of LiteRT's, absolute (ad01's outputs are log-mel dB values of
//! magnitude up to about 60; measured: at most 3.4e-5 away; LiteRT's own XNNPACK and reference
//! kernels are up to 1.0e-4 away from its builtin ones). Each window's error is within 1e-4
//! relative of LiteRT's, the clip's anomaly score within 1e-5 relative.
use dl::io;
use dl_models::mlperf::{anomaly_score, load_ad01, window_error, AD01_PARAMS};
use dl_models::Ad01;
use safetensors::SafeTensors;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/mlperf");

/// The script's `uniform(name, n)`: a Weyl sequence scrambled by murmur3's finaliser, in
/// `[-0.5, 0.5)` (the same generator as tests/torchvision_parity.rs).
fn uniform(name: &str, n: usize) -> Vec<f64> {
    let h = name.bytes().fold(0x811C_9DC5u32, |h, b| {
        (h ^ b as u32).wrapping_mul(0x0100_0193)
    });
    (0..n as u32)
        .map(|i| {
            let mut k = i.wrapping_mul(2_654_435_761).wrapping_add(h);
            k ^= k >> 16;
            k = k.wrapping_mul(0x85EB_CA6B);
            k ^= k >> 13;
            k = k.wrapping_mul(0xC2B2_AE35);
            k ^= k >> 16;
            k as f64 / 4_294_967_296.0 - 0.5
        })
        .collect()
}

fn tensor(st: &SafeTensors, name: &str) -> (Vec<usize>, Vec<f32>) {
    let t = st.tensor(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    let v = t
        .data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    (t.shape().to_vec(), v)
}

fn read(file: &str) -> Vec<u8> {
    std::fs::read(format!("{DATA}/{file}")).unwrap_or_else(|e| panic!("{DATA}/{file}: {e}"))
}

/// Largest |a − b| and the tolerance, 1e-4 absolute.
fn close(a: &[f32], b: &[f32]) -> (f32, f32) {
    assert_eq!(a.len(), b.len());
    let diff = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max);
    (diff, 1e-4)
}

fn net() -> Box<Ad01> {
    load_ad01(format!("{DATA}/ad01.safetensors")).expect("ad01.safetensors loads")
}

#[test]
fn ad01_has_the_tflite_parameter_count_and_layout() {
    assert_eq!(Ad01::PARAMS, AD01_PARAMS);
    let bytes = read("ad01.safetensors");
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let total: usize = st
        .tensors()
        .iter()
        .map(|(_, t)| t.shape().iter().product::<usize>())
        .sum();
    assert_eq!(total, AD01_PARAMS, "tensors in ad01.safetensors");
    // The file stores the tensors in visit order, back to back: its data section is the
    // network's raw image (what embedded/cortex-m includes and views in flash).
    let header = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let net = net();
    assert_eq!(
        &bytes[8 + header..],
        io::image(&*net),
        "data section = io::image"
    );
    assert_eq!(Ad01::WEIGHT_BYTES, bytes.len() - 8 - header);
}

#[test]
fn ad01_matches_litert_on_random_inputs() {
    let net = net();
    let bytes = read("ad01_io.safetensors");
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let (shape, want) = tensor(&st, "outputs");
    assert_eq!(shape, [4, 640]);
    let mut arena = [0.0f32; Ad01::ARENA_LEN];
    for (k, want) in want.chunks_exact(640).enumerate() {
        let x: Vec<f32> = uniform(&format!("ad01.input{k}"), 640)
            .iter()
            .map(|u| (40.0 * u - 28.0) as f32)
            .collect();
        let x: &[f32; 640] = x[..].try_into().unwrap();
        let y = net.infer_one(x, &mut arena);
        let (diff, tol) = close(&y, want);
        println!("random input {k}: max |dl − LiteRT| = {diff:e} (tolerance {tol:e})");
        assert!(
            diff <= tol,
            "random input {k}: max |dl − LiteRT| = {diff:e} > {tol:e}"
        );
        // the inputs are not degenerate: far from anything the autoencoder reproduces
        assert!(window_error(x, &y) > 20.0, "{}", window_error(x, &y));
    }
}

#[test]
fn ad01_matches_litert_on_the_real_sample() {
    let net = net();
    let sample: Vec<f32> = read("normal_id_01_00000000_hist_librosa.bin")
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    assert_eq!(sample.len(), 200 * 128);
    let bytes = read("ad01_io.safetensors");
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let (_, windows) = tensor(&st, "sample_windows");
    let (_, outputs) = tensor(&st, "sample_outputs");
    let (_, mse) = tensor(&st, "sample_mse");
    let (_, score) = tensor(&st, "sample_score");
    assert_eq!(mse.len(), 196);
    let mut arena = [0.0f32; Ad01::ARENA_LEN];
    for (w, want) in windows.iter().zip(outputs.chunks_exact(640)) {
        let w = *w as usize;
        let x: &[f32; 640] = sample[128 * w..128 * w + 640].try_into().unwrap();
        let (diff, tol) = close(&net.infer_one(x, &mut arena), want);
        println!("sample window {w}: max |dl − LiteRT| = {diff:e} (tolerance {tol:e})");
        assert!(
            diff <= tol,
            "sample window {w}: max |dl − LiteRT| = {diff:e} > {tol:e}"
        );
    }
    for (w, want) in mse.iter().enumerate() {
        let x: &[f32; 640] = sample[128 * w..128 * w + 640].try_into().unwrap();
        let got = window_error(x, &net.infer_one(x, &mut arena));
        assert!(
            (got - want).abs() <= 1e-4 * want,
            "window {w}: MSE {got} vs LiteRT's {want}"
        );
    }
    let got = anomaly_score(&net, &sample, &mut arena).unwrap();
    println!("anomaly score: dl {got}, LiteRT {}", score[0]);
    assert!(
        (got - score[0]).abs() <= 1e-5 * score[0],
        "score {got} vs LiteRT's {}",
        score[0]
    );
    // a spectrogram that is not whole 128-bin frames, or shorter than one window, has no score
    assert_eq!(anomaly_score(&net, &sample[..639], &mut arena), None);
    assert_eq!(anomaly_score(&net, &sample[..128 * 4], &mut arena), None);
}

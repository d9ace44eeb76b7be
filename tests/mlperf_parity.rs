//! MLPerf Tiny's `ad01` and `ic01` in dl compute what LiteRT computes from `ad01_fp32.tflite`
//! and `pretrainedResnet.tflite`.
//!
//! `scripts/mlperf_convert.py` wrote `data/mlperf/ad01.safetensors` (the weights under dl's
//! names) and `ad01_io.safetensors` (LiteRT's float outputs, builtin kernels without XNNPACK, for
//! four pseudo-random inputs made by the hash below, and for the real sample's windows). Every
//! output must be within 1e-4 of LiteRT's, absolute (ad01's outputs are log-mel dB values of
//! magnitude up to about 60; measured: at most 3.4e-5 away; LiteRT's own XNNPACK and reference
//! kernels are up to 1.0e-4 away from its builtin ones). Each window's error is within 1e-4
//! relative of LiteRT's, the clip's anomaly score within 1e-5 relative.
//!
//! `ic01_io.safetensors` holds LiteRT's probabilities (`outputs`) and the softmax's input
//! (`logits`) for four pseudo-random images; dl's are within 1e-4 of both (the logits through
//! `Ic01Logits`, the same layers without the final Softmax, loaded from the same file). So are
//! `kws01`'s and `vww01`'s.
use dl::io;
use dl_models::mlperf::{
    anomaly_score, load_ad01, load_ic01, load_kws01, load_vww01, window_error, Ic01Logits,
    Kws01Logits, Vww01Logits, AD01_PARAMS, IC01_PARAMS, KWS01_PARAMS, VWW01_PARAMS,
};
use dl_models::{Ad01, Ic01, Kws01, Vww01};
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
    // (what embedded/cortex-m includes and views in flash)
    check_layout("ad01.safetensors", AD01_PARAMS, io::image(&*net()));
    assert_eq!(Ad01::WEIGHT_BYTES, 4 * AD01_PARAMS);
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
        // in place: the sample written into the arena, no conv, so the same bits
        let mut place = [f32::NAN; Ad01::IN_PLACE_LEN];
        *Ad01::input_mut(&mut place) = *x;
        assert_eq!(net.infer_in_place(&mut place), &y);
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

/// The tensors in a weights file hold exactly `params` floats, stored in visit order back to
/// back (its data section is the network's `io::image`).
fn check_layout(file: &str, params: usize, image: &[u8]) {
    let bytes = read(file);
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let total: usize = st
        .tensors()
        .iter()
        .map(|(_, t)| t.shape().iter().product::<usize>())
        .sum();
    assert_eq!(total, params, "tensors in {file}");
    let header = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    assert_eq!(
        &bytes[8 + header..],
        image,
        "{file}: data section = io::image"
    );
}

/// Random input `k` of `model` as the script makes it: `scale · uniform + offset`, CHW order.
fn input(model: &str, k: usize, n: usize, scale: f64, offset: f64) -> Vec<f32> {
    uniform(&format!("{model}.input{k}"), n)
        .iter()
        .map(|u| (scale * u + offset) as f32)
        .collect()
}

/// Runs `infer` on the fixture's random inputs and compares each result with the rows of
/// `outputs` and `logits` (both within 1e-4 absolute); `infer` returns (probabilities, logits).
fn check_classifier(
    model: &str,
    n_in: usize,
    (scale, offset): (f64, f64),
    mut infer: impl FnMut(&[f32]) -> (Vec<f32>, Vec<f32>),
) {
    let bytes = read(&format!("{model}_io.safetensors"));
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let (shape, outputs) = tensor(&st, "outputs");
    let (lshape, logits) = tensor(&st, "logits");
    assert_eq!(shape, lshape);
    let classes = shape[1];
    assert!(shape[0] >= 4, "{model}: {} random inputs", shape[0]);
    let mut argmax = Vec::new();
    for (k, (want_p, want_z)) in outputs
        .chunks_exact(classes)
        .zip(logits.chunks_exact(classes))
        .enumerate()
    {
        let x = input(model, k, n_in, scale, offset);
        let (p, z) = infer(&x);
        for (what, got, want) in [("probabilities", &p, want_p), ("logits", &z, want_z)] {
            let (diff, tol) = close(got, want);
            println!("{model} input {k}: {what} max |dl − LiteRT| = {diff:e} (tolerance {tol:e})");
            assert!(
                diff <= tol,
                "{model} input {k}: {what} max |dl − LiteRT| = {diff:e} > {tol:e}"
            );
        }
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        argmax.push((0..classes).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap());
    }
    // the logits are not degenerate: they spread over more than the tolerance
    let spread = logits.iter().fold(f32::MIN, |m, &v| m.max(v))
        - logits.iter().fold(f32::MAX, |m, &v| m.min(v));
    assert!(spread > 1.0, "{model}: logits spread {spread}");
    println!("{model}: classes chosen {argmax:?}");
}

#[test]
fn ic01_has_the_tflite_parameter_count_and_layout() {
    assert_eq!(Ic01::PARAMS, IC01_PARAMS);
    let net = load_ic01(format!("{DATA}/ic01.safetensors")).expect("ic01.safetensors loads");
    check_layout("ic01.safetensors", IC01_PARAMS, io::image(&*net));
    assert_eq!(Ic01::WEIGHT_BYTES, 4 * IC01_PARAMS);
    println!(
        "Ic01: ARENA_BYTES {}, + input {} + output {}",
        Ic01::ARENA_BYTES,
        4 * Ic01::IN_LEN,
        4 * Ic01::OUT_LEN
    );
    println!("{}", Ic01::summary());
}

#[test]
fn ic01_matches_litert_on_random_images() {
    let net = load_ic01(format!("{DATA}/ic01.safetensors")).expect("ic01.safetensors loads");
    let mut head = Ic01Logits::new(0);
    io::load(format!("{DATA}/ic01.safetensors"), &mut *head).expect("the same names");
    let mut arena: Box<[f32; Ic01::ARENA_LEN]> = vec![0.0; Ic01::ARENA_LEN].try_into().unwrap();
    let mut arena_z: Box<[f32; Ic01Logits::ARENA_LEN]> =
        vec![0.0; Ic01Logits::ARENA_LEN].try_into().unwrap();
    check_classifier("ic01", Ic01::IN_LEN, (1.0, 0.5), |x| {
        let x: &[f32; 3 * 32 * 32] = x.try_into().unwrap();
        let p = net.infer_one(x, &mut *arena);
        let z = head.infer_one(x, &mut *arena_z);
        (p.to_vec(), z.to_vec())
    });
    // in place: the sample written into the arena, the output read from it
    let mut place: Box<[f32; Ic01::IN_PLACE_LEN]> =
        vec![f32::NAN; Ic01::IN_PLACE_LEN].try_into().unwrap();
    let mut place_z: Box<[f32; Ic01Logits::IN_PLACE_LEN]> =
        vec![f32::NAN; Ic01Logits::IN_PLACE_LEN].try_into().unwrap();
    check_classifier("ic01", Ic01::IN_LEN, (1.0, 0.5), |x| {
        Ic01::input_mut(&mut place).copy_from_slice(x);
        Ic01Logits::input_mut(&mut place_z).copy_from_slice(x);
        let p = net.infer_in_place(&mut place).to_vec();
        (p, head.infer_in_place(&mut place_z).to_vec())
    });
}

#[test]
fn kws01_and_vww01_have_the_tflite_parameter_counts_and_layout() {
    let kws = load_kws01(format!("{DATA}/kws01.safetensors")).expect("kws01.safetensors loads");
    check_layout("kws01.safetensors", KWS01_PARAMS, io::image(&*kws));
    let vww = load_vww01(format!("{DATA}/vww01.safetensors")).expect("vww01.safetensors loads");
    check_layout("vww01.safetensors", VWW01_PARAMS, io::image(&*vww));
    println!(
        "Kws01: ARENA_BYTES {}; Vww01: ARENA_BYTES {}",
        Kws01::ARENA_BYTES,
        Vww01::ARENA_BYTES
    );
}

#[test]
fn kws01_matches_litert_on_random_inputs() {
    let net = load_kws01(format!("{DATA}/kws01.safetensors")).expect("kws01.safetensors loads");
    let mut head = Kws01Logits::new(0);
    io::load(format!("{DATA}/kws01.safetensors"), &mut *head).expect("the same names");
    let mut arena: Box<[f32; Kws01::ARENA_LEN]> = vec![0.0; Kws01::ARENA_LEN].try_into().unwrap();
    let mut arena_z: Box<[f32; Kws01Logits::ARENA_LEN]> =
        vec![0.0; Kws01Logits::ARENA_LEN].try_into().unwrap();
    check_classifier("kws01", Kws01::IN_LEN, (20.0, 0.0), |x| {
        let x: &[f32; 490] = x.try_into().unwrap();
        let p = net.infer_one(x, &mut *arena);
        let z = head.infer_one(x, &mut *arena_z);
        (p.to_vec(), z.to_vec())
    });
    // in place: the sample written into the arena, the output read from it
    let mut place: Box<[f32; Kws01::IN_PLACE_LEN]> =
        vec![f32::NAN; Kws01::IN_PLACE_LEN].try_into().unwrap();
    let mut place_z: Box<[f32; Kws01Logits::IN_PLACE_LEN]> =
        vec![f32::NAN; Kws01Logits::IN_PLACE_LEN]
            .try_into()
            .unwrap();
    check_classifier("kws01", Kws01::IN_LEN, (20.0, 0.0), |x| {
        Kws01::input_mut(&mut place).copy_from_slice(x);
        Kws01Logits::input_mut(&mut place_z).copy_from_slice(x);
        let p = net.infer_in_place(&mut place).to_vec();
        (p, head.infer_in_place(&mut place_z).to_vec())
    });
}

#[test]
fn vww01_matches_litert_on_random_images() {
    let net = load_vww01(format!("{DATA}/vww01.safetensors")).expect("vww01.safetensors loads");
    let mut head = Vww01Logits::new(0);
    io::load(format!("{DATA}/vww01.safetensors"), &mut *head).expect("the same names");
    let mut arena: Box<[f32; Vww01::ARENA_LEN]> = vec![0.0; Vww01::ARENA_LEN].try_into().unwrap();
    let mut arena_z: Box<[f32; Vww01Logits::ARENA_LEN]> =
        vec![0.0; Vww01Logits::ARENA_LEN].try_into().unwrap();
    check_classifier("vww01", Vww01::IN_LEN, (1.0, 0.5), |x| {
        let x: &[f32; 3 * 96 * 96] = x.try_into().unwrap();
        let p = net.infer_one(x, &mut *arena);
        let z = head.infer_one(x, &mut *arena_z);
        (p.to_vec(), z.to_vec())
    });
    // in place: the sample written into the arena, the output read from it
    let mut place: Box<[f32; Vww01::IN_PLACE_LEN]> =
        vec![f32::NAN; Vww01::IN_PLACE_LEN].try_into().unwrap();
    let mut place_z: Box<[f32; Vww01Logits::IN_PLACE_LEN]> =
        vec![f32::NAN; Vww01Logits::IN_PLACE_LEN]
            .try_into()
            .unwrap();
    check_classifier("vww01", Vww01::IN_LEN, (1.0, 0.5), |x| {
        Vww01::input_mut(&mut place).copy_from_slice(x);
        Vww01Logits::input_mut(&mut place_z).copy_from_slice(x);
        let p = net.infer_in_place(&mut place).to_vec();
        (p, head.infer_in_place(&mut place_z).to_vec())
    });
}

/// The targets (float32 bytes): the layer-by-layer two-buffer bound, the largest input +
/// output of any layer (a residual block's input counted while its body runs), the network's
/// input and output included. `IN_PLACE_BYTES` counts everything one in-place inference touches.
#[test]
fn in_place_arenas_are_at_most_the_layer_by_layer_bound() {
    let rows = [
        (
            "AD01",
            Ad01::IN_PLACE_BYTES,
            3_072,
            Ad01::ARENA_BYTES,
            Ad01::IN_LEN + Ad01::OUT_LEN,
        ),
        (
            "KWS01",
            Kws01::IN_PLACE_BYTES,
            64_000,
            Kws01::ARENA_BYTES,
            Kws01::IN_LEN + Kws01::OUT_LEN,
        ),
        (
            "VWW01",
            Vww01::IN_PLACE_BYTES,
            221_184,
            Vww01::ARENA_BYTES,
            Vww01::IN_LEN + Vww01::OUT_LEN,
        ),
        (
            "IC01",
            Ic01::IN_PLACE_BYTES,
            196_608,
            Ic01::ARENA_BYTES,
            Ic01::IN_LEN + Ic01::OUT_LEN,
        ),
    ];
    for (model, place, bound, arena, io) in rows {
        println!(
            "{model}: IN_PLACE_BYTES {place} (bound {bound}); infer_into: ARENA_BYTES {arena} + \
             input and output {}",
            4 * io
        );
        assert!(place <= bound, "{model}: {place} > {bound}");
    }
    // each at its bound exactly: 640 + 128 floats (first and last Linear); two 64×25×5 maps;
    // 8×48×48 + 16×48×48 (the first pointwise layer); three 16×32×32 maps (the first block)
    assert_eq!(Ad01::IN_PLACE_LEN, 640 + 128);
    assert_eq!(Kws01::IN_PLACE_LEN, 2 * 64 * 25 * 5);
    assert_eq!(Vww01::IN_PLACE_LEN, (8 + 16) * 48 * 48);
    assert_eq!(Ic01::IN_PLACE_LEN, 3 * 16 * 32 * 32);
}

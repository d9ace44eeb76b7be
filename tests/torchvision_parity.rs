//! dl-models' torchvision architectures compute what torchvision's own models compute.
//!
//! scripts/torchvision_fixtures.py builds each model with torchvision, fills every `state_dict`
//! tensor with `he_pattern(name, shape)`, runs a deterministic input and commits only the output
//! (tests/fixtures/tv_<model>_<size>.safetensors, 4 KB each). Here the same tensors are made
//! from the names dl-models lists (`dl_models::names`), written into a safetensors file exactly
//! as PyTorch's `state_dict` has it (BatchNorm running statistics included), loaded with
//! `io::from_bytes` and run through `infer` on the same input. A wrong layer, order, stride,
//! padding, pooling mode, BatchNorm eps or parameter name makes the outputs differ: the script
//! checks that a 1 % change of the first layer's weights alone moves the output by at least ten
//! times the tolerance used here, `1e-4 · max(1, max |y|)`.
use dl::consts::{U224, U32, U63};
use dl::io;
use dl::*;
use dl_models::names::{self, Names};
use dl_models::{AlexNet, GoogLeNet, ResNet18, ResNet50, Vgg11, Vgg16};
use safetensors::SafeTensors;
use std::sync::Mutex;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// The big models need up to ~2 GB each; one at a time.
static BIG: Mutex<()> = Mutex::new(());

fn fnv1a(name: &str) -> u32 {
    name.bytes().fold(0x811C_9DC5u32, |h, b| {
        (h ^ b as u32).wrapping_mul(0x0100_0193)
    })
}

/// The script's `uniform(name, n)`: a Weyl sequence scrambled by murmur3's finaliser, in
/// `[-0.5, 0.5)`.
fn uniform(name: &str, n: usize) -> impl Iterator<Item = f64> {
    let h = fnv1a(name);
    (0..n as u32).map(move |i| {
        let mut k = i.wrapping_mul(2_654_435_761).wrapping_add(h);
        k ^= k >> 16;
        k = k.wrapping_mul(0x85EB_CA6B);
        k ^= k >> 13;
        k = k.wrapping_mul(0xC2B2_AE35);
        k ^= k >> 16;
        k as f64 / 4_294_967_296.0 - 0.5
    })
}

/// The script's `he_pattern(name, shape)` as little-endian f32 bytes.
fn he_pattern(name: &str, shape: &[usize]) -> Vec<u8> {
    let n: usize = shape.iter().product();
    let weight = shape.len() >= 2;
    let scale = if weight {
        2.0 * (6.0 / (n / shape[0]) as f64).sqrt()
    } else {
        0.0
    };
    uniform(name, n)
        .map(|u| {
            let v = if weight {
                u * scale
            } else if name.ends_with("running_var") {
                1.0 + 0.5 * u
            } else if name.ends_with("running_mean") || name.ends_with("bias") {
                0.01 * u
            } else {
                1.0 + 0.2 * u
            };
            v as f32
        })
        .flat_map(f32::to_le_bytes)
        .collect()
}

/// Every tensor the net visits, in order: the trainable parameters dl-models names, then
/// `running_mean` and `running_var` of each BatchNorm (a 1-D `.weight`) in the same order.
fn with_buffers(params: Names) -> Vec<(String, Vec<usize>)> {
    let mut all: Vec<_> = params
        .0
        .iter()
        .map(|p| (p.name.clone(), p.shape.clone()))
        .collect();
    for p in &params.0 {
        if let (Some(prefix), [c]) = (p.name.strip_suffix(".weight"), p.shape.as_slice()) {
            all.push((format!("{prefix}.running_mean"), vec![*c]));
            all.push((format!("{prefix}.running_var"), vec![*c]));
        }
    }
    all
}

/// A safetensors file with every named tensor filled by `he_pattern`, as PyTorch saves it.
fn torch_file(names: &[(String, Vec<usize>)]) -> Vec<u8> {
    let data: Vec<Vec<u8>> = names.iter().map(|(n, s)| he_pattern(n, s)).collect();
    let views = names.iter().zip(&data).map(|((n, s), d)| {
        let view = safetensors::tensor::TensorView::new(safetensors::Dtype::F32, s.clone(), d)
            .expect("length matches the shape");
        (n.clone(), view)
    });
    safetensors::serialize(views, None).expect("serializes")
}

/// Loads the pattern into `net` through `names`, runs the fixture's inputs and compares.
fn check<In: Shape, L: Layer<In> + Module>(net: &mut L, names: Names, fixture: &str) {
    let names = with_buffers(names);
    io::from_bytes_with_names(&torch_file(&names), net, &names)
        .expect("loads PyTorch's state_dict");
    let bytes = std::fs::read(format!("{FIXTURES}/tv_{fixture}.safetensors")).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let y: Vec<f32> = st
        .tensor("y")
        .unwrap()
        .data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    let no = <L::Out as Shape>::NUMEL;
    let n = y.len() / no;
    let x: Vec<f32> = uniform("input", n * In::NUMEL)
        .map(|u| (4.0 * u) as f32)
        .collect();
    let tol = 1e-4 * y.iter().fold(1.0f32, |m, v| m.max(v.abs()));
    let (mut out, mut scratch) = (vec![0.0; no], vec![0.0; L::SCRATCH]);
    for (i, (xi, yi)) in x
        .chunks_exact(In::NUMEL)
        .zip(y.chunks_exact(no))
        .enumerate()
    {
        net.infer(xi, &mut out, &mut scratch);
        let (j, err) = out
            .iter()
            .zip(yi)
            .map(|(a, b)| (a - b).abs())
            .enumerate()
            .fold((0, 0.0f32), |m, (j, e)| if e > m.1 { (j, e) } else { m });
        assert!(
            err <= tol,
            "{fixture}, sample {i}: output {j} is {} in dl, {} in torchvision (tolerance {tol})",
            out[j],
            yi[j]
        );
    }
}

#[test]
fn resnet18_at_32() {
    let _g = BIG.lock();
    check(
        &mut *ResNet18::<U32>::new(0),
        names::resnet([2, 2, 2, 2], false),
        "resnet18_32",
    );
}

#[test]
fn resnet50_at_32() {
    let _g = BIG.lock();
    check(
        &mut *ResNet50::<U32>::new(0),
        names::resnet([3, 4, 6, 3], true),
        "resnet50_32",
    );
}

#[test]
fn googlenet_at_32_and_224() {
    let _g = BIG.lock();
    check(
        &mut *GoogLeNet::<U32>::new(0),
        names::googlenet(),
        "googlenet_32",
    );
    check(
        &mut *GoogLeNet::<U224>::new(0),
        names::googlenet(),
        "googlenet_224",
    );
}

#[test]
fn alexnet_at_63() {
    let _g = BIG.lock();
    check(&mut *AlexNet::<U63>::new(0), names::alexnet(), "alexnet_63");
}

#[test]
fn vgg11_and_vgg16_at_32() {
    let _g = BIG.lock();
    check(
        &mut *Vgg11::<U32>::new(0),
        names::vgg(names::VGG11_CFG),
        "vgg11_32",
    );
    check(
        &mut *Vgg16::<U32>::new(0),
        names::vgg(names::VGG16_CFG),
        "vgg16_32",
    );
}

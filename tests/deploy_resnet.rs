//! ResNet-18 (dl-models, input 3×32×32) with the same weights as PyTorch's ResNet-18 gives
//! PyTorch's output (tests/fixtures/resnet18_io.safetensors from scripts/deploy_fixtures.py).
//! The 46 MB of weights are not committed: both sides fill every `state_dict` tensor with the
//! same deterministic pattern of its name; here they go through `io::to_bytes`/`io::from_bytes`
//! by the torchvision names that dl-models lists (its convolutions have `bias = false`, as
//! torchvision's, so the names match the `state_dict` one to one), BatchNorm running
//! statistics included.
mod common;

use common::assert_matches;
use dl::consts::U32;
use dl::io;
use dl_models::names::resnet;
use dl_models::ResNet18;
use safetensors::SafeTensors;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// `(name, shape, in_file)` for every tensor ResNet-18 visits: dl-models' parameter names, then
/// `running_mean`, `running_var` of each BatchNorm (its 1-D `.weight`) in the same order.
fn resnet18_names() -> Vec<(String, Vec<usize>, bool)> {
    let params = resnet([2, 2, 2, 2], false).0;
    let mut all: Vec<_> = params
        .iter()
        .map(|p| (p.name.clone(), p.shape.clone(), true))
        .collect();
    for p in &params {
        if let (Some(prefix), [c]) = (p.name.strip_suffix(".weight"), p.shape.as_slice()) {
            all.push((format!("{prefix}.running_mean"), vec![*c], true));
            all.push((format!("{prefix}.running_var"), vec![*c], true));
        }
    }
    all
}

fn fnv1a(name: &str) -> u32 {
    name.bytes().fold(0x811C_9DC5u32, |h, b| {
        (h ^ b as u32).wrapping_mul(0x0100_0193)
    })
}

/// The values scripts/deploy_fixtures.py's `pattern(name, shape)` gives (same f64 arithmetic,
/// rounded once to f32).
fn pattern(name: &str, shape: &[usize]) -> Vec<f32> {
    let n: usize = shape.iter().product();
    let h = fnv1a(name) as u64;
    (0..n as u64)
        .map(|i| {
            let u = ((i * 2_654_435_761 + h) % (1 << 32)) as f64 / 4_294_967_296.0 - 0.5;
            let v = if shape.len() >= 2 {
                u * 2.0 * (3.0 / (n / shape[0]) as f64).sqrt()
            } else if name.ends_with("running_var") {
                1.0 + 0.5 * (u + 0.5)
            } else if name.ends_with("running_mean") || name.ends_with("bias") {
                0.1 * u
            } else {
                1.0 + 0.2 * u
            };
            v as f32
        })
        .collect()
}

fn io_fixture(name: &str) -> (Vec<f32>, Vec<f32>) {
    let bytes = std::fs::read(format!("{FIXTURES}/{name}_io.safetensors")).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let get = |k: &str| {
        let t = st.tensor(k).unwrap();
        t.data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
            .collect()
    };
    (get("x"), get("y"))
}

#[test]
fn resnet18_at_32_with_pytorch_weights_matches_pytorch_1e4() {
    let names = resnet18_names();
    // A safetensors file as PyTorch's state_dict has it (running stats included).
    let data: Vec<Vec<u8>> = names
        .iter()
        .map(|(n, s, _)| pattern(n, s).iter().flat_map(|v| v.to_le_bytes()).collect())
        .collect();
    let views = names
        .iter()
        .zip(&data)
        .filter(|((_, _, in_file), _)| *in_file)
        .map(|((n, s, _), d)| {
            (
                n.clone(),
                safetensors::tensor::TensorView::new(safetensors::Dtype::F32, s.clone(), d)
                    .unwrap(),
            )
        });
    let file = safetensors::serialize(views, None).unwrap();
    let mut net = ResNet18::<U32>::new(0);
    io::from_bytes_with_names(&file, &mut *net, &names).unwrap();
    let (x, y) = io_fixture("resnet18");
    assert_matches(&*net, &x, &y, 1e-4);
    // Saving writes exactly the keys of PyTorch's state_dict (122 = 62 weights and biases,
    // 20 BatchNorms × running_mean, running_var, num_batches_tracked).
    let saved = io::to_bytes_with_names(&*net, &names).unwrap();
    let st = SafeTensors::deserialize(&saved).unwrap();
    assert_eq!(st.len(), 122);
    assert!(st.tensor("layer4.1.bn2.num_batches_tracked").is_ok());
}

/// Loads PyTorch's own file: `python3 scripts/deploy_fixtures.py resnet18 --resnet-weights`
/// writes target/resnet18.safetensors (46 MB, not committed).
#[test]
#[ignore]
fn resnet18_from_pytorch_written_file() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/target/resnet18.safetensors");
    let mut net = ResNet18::<U32>::new(0);
    io::load_with_names(path, &mut *net, &resnet18_names()).unwrap();
    let (x, y) = io_fixture("resnet18");
    assert_matches(&*net, &x, &y, 1e-4);
    // And back for PyTorch: `python3 scripts/deploy_fixtures.py --check-dl` loads this file
    // with `load_state_dict(strict=True)` and compares the output.
    let out = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/target/resnet18_from_dl.safetensors"
    );
    io::save_with_names(out, &*net, &resnet18_names()).unwrap();
}

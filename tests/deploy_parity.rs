//! Whole networks loaded from safetensors files written by PyTorch give PyTorch's outputs
//! (scripts/deploy_fixtures.py writes tests/fixtures/): LeNet-5 to 1e-4.
mod common;

use common::assert_matches;
use dl::io::{self, WeightsError};
use dl::*;
use safetensors::SafeTensors;

network! {
    /// LeNet-5, ReLU and max-pool, on 28×28 digits (PyTorch: conv1 padding=2).
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

/// PyTorch `state_dict` names of [`LeNet5`] in visit order.
const LENET5_NAMES: [(&str, &[usize]); 10] = [
    ("conv1.weight", &[6, 1, 5, 5]),
    ("conv1.bias", &[6]),
    ("conv2.weight", &[16, 6, 5, 5]),
    ("conv2.bias", &[16]),
    ("fc1.weight", &[120, 400]),
    ("fc1.bias", &[120]),
    ("fc2.weight", &[84, 120]),
    ("fc2.bias", &[84]),
    ("fc3.weight", &[10, 84]),
    ("fc3.bias", &[10]),
];

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// A tensor, flat, with its shape.
type Flat = (Vec<f32>, Vec<usize>);

/// `(x, y)` of an `_io` fixture, each flat with its shape.
fn io_fixture(name: &str) -> (Flat, Flat) {
    let bytes = std::fs::read(format!("{FIXTURES}/{name}_io.safetensors")).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let get = |k: &str| {
        let t = st.tensor(k).unwrap();
        let v = t
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap()));
        (v.collect(), t.shape().to_vec())
    };
    (get("x"), get("y"))
}

#[test]
fn lenet5_from_pytorch_safetensors_matches_pytorch_1e4() {
    let mut net = LeNet5::new(0);
    io::load_with_names(
        format!("{FIXTURES}/lenet5.safetensors"),
        &mut *net,
        &LENET5_NAMES,
    )
    .unwrap();
    let ((x, xs), (y, ys)) = io_fixture("lenet5");
    assert_eq!((xs, ys), (vec![3, 1, 28, 28], vec![3, 10]));
    assert_matches(&*net, &x, &y, 1e-4);
}

#[test]
fn lenet5_save_load_round_trip_and_raw_layout_agree() {
    let mut a = LeNet5::new(0);
    io::load_with_names(
        format!("{FIXTURES}/lenet5.safetensors"),
        &mut *a,
        &LENET5_NAMES,
    )
    .unwrap();
    // safetensors written here opens again with identical values.
    let bytes = io::to_bytes_with_names(&*a, &LENET5_NAMES).unwrap();
    let mut b = LeNet5::new(1);
    io::from_bytes_with_names(&bytes, &mut *b, &LENET5_NAMES).unwrap();
    let mut raw_a = vec![0u8; LeNet5::WEIGHT_BYTES];
    io::write_raw(&*a, &mut raw_a).unwrap();
    let mut raw_b = vec![0u8; io::raw_len(&*b)];
    io::write_raw(&*b, &mut raw_b).unwrap();
    assert_eq!(raw_a, raw_b);
    // The raw layout is the network's WEIGHT_BYTES and loads back.
    let mut c = LeNet5::new(2);
    io::load_raw(&raw_a, &mut *c).unwrap();
    let ((x, _), (y, _)) = io_fixture("lenet5");
    assert_matches(&*c, &x, &y, 1e-4);
}

#[test]
fn lenet5_wrong_names_are_reported_not_panicked() {
    let mut net = LeNet5::new(0);
    let path = format!("{FIXTURES}/lenet5.safetensors");
    let mut names = LENET5_NAMES;
    names[4] = ("fc1.weight", &[400, 120]);
    let e = io::load_with_names(&path, &mut *net, &names).unwrap_err();
    assert!(matches!(e, WeightsError::Shape { .. }));
    assert_eq!(
        e.to_string(),
        "`fc1.weight`: expected shape [400, 120], found [120, 400]"
    );
    names[4] = ("fc.weight", &[120, 400]);
    let e = io::load_with_names(&path, &mut *net, &names).unwrap_err();
    assert_eq!(
        e.to_string(),
        "`fc.weight` (F32 [120, 400]) is not in the file"
    );
}

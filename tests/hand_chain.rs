//! A hand-composed `Network<In, Seq![…]>` has what a `network!` struct has: a summary table and
//! generated tensor names, so `io::save(path, &net)` / `io::load` need no table. LeNet-5 both
//! ways: same shapes, parameters, MACs and names; save → load → the same predictions.
use dl::consts::*;
use dl::io::{self, Named};
use dl::*;

network! {
    /// LeNet-5 (ReLU, max-pooling variant).
    pub struct LeNet5: [1, 32, 32] {
        Conv2d(1, 6, 5), ReLU,
        MaxPool2d(2),
        Conv2d(6, 16, 5), ReLU,
        MaxPool2d(2),
        Flatten,
        Linear(400, 120), ReLU,
        Linear(120, 84), ReLU,
        Linear(84, 10),
    }
}

/// The same layers composed by hand.
type HandLeNet5 = Network<
    Shape3<U1, U32, U32>,
    Seq![
        Conv2d<U1, U6, U5>,
        ReLU,
        MaxPool2d<U2>,
        Conv2d<U6, U16, U5>,
        ReLU,
        MaxPool2d<U2>,
        Flatten,
        Linear<U400, U120>,
        ReLU,
        Linear<U120, U84>,
        ReLU,
        Linear<U84, U10>,
    ],
>;

#[test]
fn the_hand_chain_prints_the_lenet_table() {
    let s = HandLeNet5::summary().to_string();
    println!("{s}\n\n{}", LeNet5::summary());
    // Counted by hand: conv1 6·25 + 6 weights, 6·28·28·25 MACs; conv2 16·6·25 + 16,
    // 16·10·10·150; then 400·120 + 120, 120·84 + 84, 84·10 + 10.
    let want = "\
Network: input [1, 32, 32]
----------------------------------------------------------------
Layer             Output shape            Params            MACs
----------------------------------------------------------------
Conv2d(1, 6, 5)   [6, 28, 28]                156         117,600
ReLU              [6, 28, 28]                  0               0
MaxPool2d(2)      [6, 14, 14]                  0               0
Conv2d(6, 16, 5)  [16, 10, 10]             2,416         240,000
ReLU              [16, 10, 10]                 0               0
MaxPool2d(2)      [16, 5, 5]                   0               0
Flatten           [400]                        0               0
Linear(400, 120)  [120]                   48,120          48,000
ReLU              [120]                        0               0
Linear(120, 84)   [84]                    10,164          10,080
ReLU              [84]                         0               0
Linear(84, 10)    [10]                       850             840
----------------------------------------------------------------
Total params: 61,706 (246,824 weight bytes)
MACs per sample: 416,520
Inference arena: ";
    assert!(s.starts_with(want), "{s}");
    let arena = HandLeNet5::ARENA_BYTES;
    assert!(arena > 0 && s.ends_with(&format!("{} bytes", dl::Thousands(arena))));
    // network!'s table of the same layers differs only in the title and the (fused) arena.
    let m = LeNet5::summary().to_string();
    let inner = |t: &str| {
        t.lines()
            .skip(1)
            .take(t.lines().count() - 2)
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(inner(&s), inner(&m));
    assert_eq!(m.lines().count(), s.lines().count());
}

#[test]
fn the_hand_chain_and_network_agree_on_shapes_params_and_macs() {
    let mut hand = Vec::new();
    HandLeNet5::summary()
        .rows(&mut |l| {
            hand.push((l.layer.to_string(), l.shape.to_string(), l.params, l.macs));
            Ok(())
        })
        .unwrap();
    let macro_rows: Vec<_> = LeNet5::summary()
        .rows
        .iter()
        .map(|r| (r.layer.to_string(), r.shape.to_string(), r.params, r.macs))
        .collect();
    assert_eq!(hand.len(), 12);
    assert_eq!(hand, macro_rows);
    assert_eq!(<HandLeNet5 as Module>::PARAMS, LeNet5::PARAMS);
    assert_eq!(<HandLeNet5 as Describe<_>>::MACS, LeNet5::MACS);
}

#[test]
fn the_hand_chain_is_named_as_network_names_lenet() {
    let hand = io::named::names::<HandLeNet5>();
    let ours: Vec<(String, Vec<usize>)> = LeNet5::TENSORS
        .iter()
        .map(|(n, s)| (n.to_string(), s.to_vec()))
        .collect();
    assert_eq!(hand, ours);
    let keys: Vec<&str> = hand.iter().map(|t| &t.0[..]).collect();
    assert_eq!(
        keys,
        [
            "0.weight",
            "0.bias",
            "3.weight",
            "3.bias",
            "7.weight",
            "7.bias",
            "9.weight",
            "9.bias",
            "11.weight",
            "11.bias"
        ]
    );
    assert_eq!(hand[2].1, [16, 6, 5, 5]);
    // The box is named as the network, as `io::save(…, &net)` needs.
    let mut n = 0;
    <Box<HandLeNet5> as Named>::visit_names(&mut |_, _| n += 1);
    assert_eq!(n, 10);
}

fn predictions<N: Layer<Shape3<U1, U32, U32>> + Sync>(
    net: &N,
    x: &Batch<Shape3<U1, U32, U32>>,
) -> Vec<f32> {
    net.forward(x).as_slice().to_vec()
}

#[test]
fn save_then_load_gives_identical_predictions_with_generated_names() {
    let dir = std::env::temp_dir().join(format!("dl-hand-chain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let x = Batch::<Shape3<U1, U32, U32>>::from_vec(
        (0..3 * 1024)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 50.0)
            .collect(),
    )
    .unwrap();
    let net = HandLeNet5::new(1);
    let path = dir.join("hand.safetensors");
    io::save(&path, &net).unwrap();
    let mut other = HandLeNet5::new(2);
    assert_ne!(predictions(&*net, &x), predictions(&*other, &x));
    io::load(&path, &mut other).unwrap();
    assert_eq!(predictions(&*net, &x), predictions(&*other, &x));

    // The file opens in the network! LeNet (same names) and predicts the same.
    let mut lenet = LeNet5::new(3);
    io::load(&path, &mut lenet).unwrap();
    let (a, b) = (predictions(&*net, &x), predictions(&*lenet, &x));
    assert!(a
        .iter()
        .zip(&b)
        .all(|(p, q)| (p - q).abs() <= 1e-5 * (1.0 + p.abs())));

    // An explicit table still works, and is the only way to other names.
    let table: Vec<(String, Vec<usize>)> = io::named::names::<HandLeNet5>()
        .into_iter()
        .map(|(n, s)| (format!("features.{n}"), s))
        .collect();
    let renamed = dir.join("renamed.safetensors");
    io::save_with_names(&renamed, &net, &table).unwrap();
    let mut third = HandLeNet5::new(4);
    let e = io::load(&renamed, &mut third).unwrap_err().to_string();
    assert!(e.contains("0.weight"), "{e}");
    io::load_with_names(&renamed, &mut third, &table).unwrap();
    assert_eq!(predictions(&*net, &x), predictions(&*third, &x));
    std::fs::remove_dir_all(&dir).unwrap();
}

network! {
    /// Sizes above 1024, which typenum does not name: the fields spell them `Prod<…>` / `Sum<…>`.
    pub struct Wide: [1031] { Linear(1031, 2050), ReLU, Linear(2050, 2) }
}

#[test]
fn sizes_above_1024_are_the_same_types_however_spelled() {
    use dl::typenum::{Prod, Sum};
    let w = Wide::new(0);
    let fc1: &Linear<Sum<U1000, U31>, Prod<U50, U41>> = &w.fc1;
    assert_eq!(fc1.weight.len(), 1031 * 2050);
    assert_eq!(Wide::PARAMS, 1031 * 2050 + 2050 + 2050 * 2 + 2);
    let x = Batch::<Shape1<Sum<U1000, U31>>>::zeros(1);
    assert_eq!(w.forward(&x).as_slice().len(), 2);
}

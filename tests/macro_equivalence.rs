//! A `network!` net and the same net composed by hand from dl-core layers (`Seq`, `Residual`,
//! `Concat`, `Crop`) give the same inference output, training output, input gradient and every
//! parameter gradient (within 1e-6 relative to max(1, |value|)) after copying the parameters.
use dl::consts::*;
use dl::rng::Rng;
use dl::*;

#[path = "common/equiv.rs"]
mod equiv;
use equiv::*;

network! {
    /// LeNet-5 without pooling (strided convolutions), Tanh like the original.
    pub struct Chain: [1, 16, 16] {
        Conv2d(1, 6, 5, pad = 2), Tanh,
        Conv2d(6, 16, 5, stride = 2, dilation = 1), ReLU,
        Conv2d(16, 8, 3, stride = 2, pad = 1, dilation = 2), Sigmoid,
        Flatten,
        Linear(32, 20), ReLU,
        Linear(20, 10),
    }
}

type ChainHand = Seq![
    Conv2d<U1, U6, U5, U1, U2>, Tanh,
    Conv2d<U6, U16, U5, U2>, ReLU,
    Conv2d<U16, U8, U3, U2, U1, U2>, Sigmoid,
    Flatten,
    Linear<U32, U20>, ReLU,
    Linear<U20, U10>,
];

#[test]
fn chain_matches_hand_composed() {
    let mut m = Chain::new(1);
    let mut h = new_boxed::<ChainHand>(2);
    compare::<Shape3<U1, U16, U16>, _, _>(&mut *m, &mut *h, 3);
}

network! {
    /// Basic residual blocks: identity, then a projection shortcut with stride 2.
    pub struct Res: [4, 9, 9] {
        Conv2d(4, 8, 3, pad = 1), ReLU,
        residual {
            Conv2d(8, 8, 3, pad = 1), ReLU,
            Conv2d(8, 8, 3, pad = 1),
        },
        ReLU,
        residual {
            Conv2d(8, 16, 3, stride = 2, pad = 1), ReLU,
            Conv2d(16, 16, 3, pad = 1),
        } shortcut {
            Conv2d(8, 16, 1, stride = 2),
        },
        ReLU,
        Flatten,
        Linear(400, 5),
    }
}

type ResHand = Seq![
    Conv2d<U4, U8, U3, U1, U1>, ReLU,
    Residual<Seq![Conv2d<U8, U8, U3, U1, U1>, ReLU, Conv2d<U8, U8, U3, U1, U1>]>,
    ReLU,
    Residual<
        Seq![Conv2d<U8, U16, U3, U2, U1>, ReLU, Conv2d<U16, U16, U3, U1, U1>],
        Conv2d<U8, U16, U1, U2>,
    >,
    ReLU,
    Flatten,
    Linear<U400, U5>,
];

#[test]
fn residual_matches_hand_composed() {
    let mut m = Res::new(3);
    let mut h = new_boxed::<ResHand>(4);
    compare::<Shape3<U4, U9, U9>, _, _>(&mut *m, &mut *h, 2);
}

network! {
    /// An Inception block: 1×1, 1×1→3×3, 1×1→5×5 branches joined along channels.
    pub struct Incep: [6, 7, 7] {
        concat {
            { Conv2d(6, 4, 1), ReLU },
            { Conv2d(6, 3, 1), ReLU, Conv2d(3, 5, 3, pad = 1), ReLU },
            { Conv2d(6, 2, 1), ReLU, Conv2d(2, 3, 5, pad = 2), ReLU },
        },
        Conv2d(12, 4, 3),
        Flatten,
        Linear(100, 3),
    }
}

type IncepHand = Seq![
    Concat<
        Seq![Conv2d<U6, U4, U1>, ReLU],
        Concat<
            Seq![Conv2d<U6, U3, U1>, ReLU, Conv2d<U3, U5, U3, U1, U1>, ReLU],
            Seq![Conv2d<U6, U2, U1>, ReLU, Conv2d<U2, U3, U5, U1, U2>, ReLU],
        >,
    >,
    Conv2d<U12, U4, U3>,
    Flatten,
    Linear<U100, U3>,
];

#[test]
fn inception_matches_hand_composed() {
    let mut m = Incep::new(5);
    let mut h = new_boxed::<IncepHand>(6);
    compare::<Shape3<U6, U7, U7>, _, _>(&mut *m, &mut *h, 2);
}

network! {
    /// FCN-style skip link: tap a map, go down and back up, add the tap (scored by a 1×1
    /// convolution, centre-cropped) to the upsampled map.
    pub struct Fcn: [3, 10, 10] {
        Conv2d(3, 4, 3), ReLU,
        tap pool4,
        Conv2d(4, 6, 3, stride = 2), ReLU,
        ConvTranspose2d(6, 2, 2, stride = 2),
        skip(pool4) { Conv2d(4, 2, 1) },
        ReLU,
    }
}

/// The skip link by hand: `Residual<Seq![down, up], Seq![score, crop]>`.
type FcnHand = Seq![
    Conv2d<U3, U4, U3>, ReLU,
    Residual<
        Seq![Conv2d<U4, U6, U3, U2>, ReLU, ConvTranspose2d<U6, U2, U2, U2>],
        Seq![Conv2d<U4, U2, U1>, Crop<U6, U6, U1, U1>],
    >,
    ReLU,
];

#[test]
fn skip_link_matches_hand_composed() {
    let mut m = Fcn::new(7);
    let mut h = new_boxed::<FcnHand>(8);
    compare::<Shape3<U3, U10, U10>, _, _>(&mut *m, &mut *h, 2);
}

network! {
    /// LeNet-5, ReLU and max-pooling variant.
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

type LeNet5Hand = Seq![
    Conv2d<U1, U6, U5>, ReLU,
    MaxPool2d<U2, U2>,
    Conv2d<U6, U16, U5>, ReLU,
    MaxPool2d<U2, U2>,
    Flatten,
    Linear<U400, U120>, ReLU,
    Linear<U120, U84>, ReLU,
    Linear<U84, U10>,
];

#[test]
fn lenet5_matches_hand_composed() {
    let mut m = LeNet5::new(9);
    let mut h = new_boxed::<LeNet5Hand>(10);
    compare::<Shape3<U1, U32, U32>, _, _>(&mut *m, &mut *h, 4);
}

network! {
    /// Conv + BatchNorm + ReLU: batch-norm folded into the convolution for inference.
    pub struct ConvBn: [3, 8, 8] {
        Conv2d(3, 4, 3, pad = 1), BatchNorm2d(4), ReLU,
        Conv2d(4, 4, 3), BatchNorm2d, Tanh,
        Flatten,
        Linear(144, 3),
    }
}

type ConvBnHand = Seq![
    Conv2d<U3, U4, U3, U1, U1>, BatchNorm2d<U4>, ReLU,
    Conv2d<U4, U4, U3>, BatchNorm2d<U4>, Tanh,
    Flatten,
    Linear<U144, U3>,
];

#[test]
fn batchnorm_fold_matches_hand_composed() {
    let mut m = ConvBn::new(11);
    let mut h = new_boxed::<ConvBnHand>(12);
    // Non-trivial running statistics and affine parameters, the same in both.
    let mut r = Rng::new(5);
    for bn in [&mut m.bn1, &mut m.bn2] {
        for v in bn.running_mean.iter_mut() {
            *v = r.uniform_in(-0.5, 0.5);
        }
        for v in bn.running_var.iter_mut() {
            *v = r.uniform_in(0.5, 2.0);
        }
        for v in bn.weight.iter_mut() {
            *v = r.uniform_in(0.5, 1.5);
        }
        for v in bn.bias.iter_mut() {
            *v = r.uniform_in(-0.5, 0.5);
        }
    }
    h.1 .0.running_mean.copy_from_slice(&m.bn1.running_mean);
    h.1 .0.running_var.copy_from_slice(&m.bn1.running_var);
    h.1 .1
         .1
         .1
         .0
        .running_mean
        .copy_from_slice(&m.bn2.running_mean);
    h.1 .1
         .1
         .1
         .0
        .running_var
        .copy_from_slice(&m.bn2.running_var);
    compare_infer::<Shape3<U3, U8, U8>, _, _>(&mut *m, &mut *h);
    compare_with::<Shape3<U3, U8, U8>, _, _>(&mut *m, &mut *h, 3, false);
}

network! {
    /// `bias = false`: convolutions before a batch-norm (strided: im2col; stride 1: shifted
    /// windows; 1×1: the input itself) and a bias-less up-convolution, as in ResNet and FCN.
    pub struct NoBias: [3, 9, 9] {
        Conv2d(3, 8, 3, stride = 2, pad = 1, bias = false), BatchNorm2d(8), ReLU,
        Conv2d(8, 8, 3, pad = 1, bias = false), ReLU,
        ConvTranspose2d(8, 4, 4, stride = 2, padding = 1, bias = false),
        Conv2d(4, 4, 1, bias = false), Tanh,
        Conv2d(4, 2, 3, bias = true),
        Flatten,
        Linear(128, 3),
    }
}

type NoBiasHand = Seq![
    Conv2d<U3, U8, U3, U2, U1, U1, dl::layers::conv::NoBias>, BatchNorm2d<U8>, ReLU,
    Conv2d<U8, U8, U3, U1, U1, U1, dl::layers::conv::NoBias>, ReLU,
    ConvTranspose2d<U8, U4, U4, U2, U1, U1, U0, dl::layers::conv::NoBias>,
    Conv2d<U4, U4, U1, U1, U0, U1, dl::layers::conv::NoBias>, Tanh,
    Conv2d<U4, U2, U3>,
    Flatten,
    Linear<U128, U3>,
];

#[test]
fn bias_false_matches_hand_composed() {
    // Only the last convolution and the Linear carry biases.
    let want = 8 * 3 * 9 + 2 * 8 + 8 * 8 * 9 + 8 * 4 * 16 + 4 * 4 + (2 * 4 * 9 + 2) + 128 * 3 + 3;
    assert_eq!(<NoBias as Module>::PARAMS, want);
    assert_eq!(<NoBiasHand as Module>::PARAMS, want);
    let mut m = NoBias::new(13);
    let mut h = new_boxed::<NoBiasHand>(14);
    let mut r = Rng::new(6);
    for v in m.bn1.running_mean.iter_mut() {
        *v = r.uniform_in(-0.5, 0.5);
    }
    for v in m.bn1.running_var.iter_mut() {
        *v = r.uniform_in(0.5, 2.0);
    }
    h.1 .0.running_mean.copy_from_slice(&m.bn1.running_mean);
    h.1 .0.running_var.copy_from_slice(&m.bn1.running_var);
    compare_infer::<Shape3<U3, U9, U9>, _, _>(&mut *m, &mut *h);
    compare_with::<Shape3<U3, U9, U9>, _, _>(&mut *m, &mut *h, 3, false);
}

network! {
    /// GoogLeNet's pieces: `BatchNorm2d(eps = 0.001)` folded into the convolution, ceil-mode
    /// pools whose last windows run past the input, a ceil-mode pool that divides exactly (the
    /// floor-mode kernels then apply), and batch norms with a large ε.
    pub struct CeilEps: [3, 16, 16] {
        Conv2d(3, 4, 3, pad = 1), BatchNorm2d(4, eps = 0.001), ReLU,
        MaxPool2d(3, stride = 2, ceil_mode = true),             // 16 → 8 (floor: 7)
        AvgPool2d(3, stride = 2, ceil_mode = true),             // 8 → 4 (floor: 3)
        MaxPool2d(2, ceil_mode = true),                         // 4 → 2, as floor
        BatchNorm2d(eps = 0.5),
        Flatten,
        Linear(16, 3), BatchNorm1d(3, eps = 1e-3),
    }
}

type CeilEpsHand = Seq![
    Conv2d<U3, U4, U3, U1, U1>, BatchNorm2d<U4, Eps<U1, U3>>, ReLU,
    MaxPool2d<U3, U2, U0, U1, Ceil>,
    AvgPool2d<U3, U2, U0, Ceil>,
    MaxPool2d<U2>,
    BatchNorm2d<U4, Eps<U5, U1>>,
    Flatten,
    Linear<U16, U3>, BatchNorm1d<U3, Eps<U1, U3>>,
];

#[test]
fn ceil_mode_and_eps_match_hand_composed() {
    let mut m = CeilEps::new(13);
    let mut h = new_boxed::<CeilEpsHand>(14);
    // The macro's layer types carry ε and the rounding mode.
    let _: &BatchNorm2d<U4, Eps<U1, U3>> = &m.bn1;
    let _: &BatchNorm2d<U4, Eps<U5, U1>> = &m.bn2;
    let _: &BatchNorm1d<U3, Eps<U1, U3>> = &m.bn3;
    let _: &MaxPool2d<U3, U2, U0, U1, Ceil> = &m.pool1;
    let _: &AvgPool2d<U3, U2, U0, Ceil> = &m.pool2;
    compare_infer::<Shape3<U3, U16, U16>, _, _>(&mut *m, &mut *h);
    compare_with::<Shape3<U3, U16, U16>, _, _>(&mut *m, &mut *h, 3, false);
}

network! {
    /// LeakyReLU with a negative slope (valid in PyTorch) after a convolution and a Linear: its
    /// derivative needs the input's sign, which the output does not tell.
    pub struct NegativeSlope: [2, 6, 6] {
        Conv2d(2, 3, 3, pad = 1), LeakyReLU(-0.5),
        Flatten,
        Linear(108, 5), LeakyReLU(negative_slope = -2),
        Linear(5, 3), LeakyReLU(1.5),
    }
}

type NegativeSlopeHand = Seq![
    Conv2d<U2, U3, U3, U1, U1>, LeakyReLU<typenum::N1, U2>,
    Flatten,
    Linear<U108, U5>, LeakyReLU<typenum::N2, U1>,
    Linear<U5, U3>, LeakyReLU<U3, U2>,
];

#[test]
fn negative_leaky_slope_matches_hand_composed() {
    let mut m = NegativeSlope::new(21);
    let mut h = new_boxed::<NegativeSlopeHand>(22);
    compare::<Shape3<U2, U6, U6>, _, _>(&mut *m, &mut *h, 4);
}

network! {
    /// A ReLU before a max-pool, which `network!`'s inference runs after the pool.
    pub struct ReluPool: [2, 6, 8] {
        Conv2d(2, 3, 1), ReLU,
        MaxPool2d(2),
    }
}

network! {
    /// [`ReluPool`]'s convolution alone: the same kernel, its output before the ReLU.
    pub struct ReluPoolConv: [2, 6, 8] {
        Conv2d(2, 3, 1),
    }
}

#[test]
fn relu_before_max_pool_keeps_the_bits_of_relu_then_pool() {
    type In = Shape3<U2, U6, U8>;
    let m = ReluPool::new(5);
    let mut c = ReluPoolConv::new(6);
    copy_params(&*m, &mut *c);
    // NaNs, zeros of both signs, negative and positive values, ties
    let x: Vec<f32> = (0..2 * 6 * 8)
        .map(|i| match i % 9 {
            0 => f32::NAN,
            1 => -0.0,
            2 => 0.0,
            3 => 0.5,
            _ => ((i * 37 % 23) as f32 - 11.0) / 8.0,
        })
        .collect();
    let mut map = vec![0.0; 3 * 6 * 8];
    let mut s = vec![0.0; <ReluPoolConv as Layer<In>>::SCRATCH];
    <ReluPoolConv as Layer<In>>::infer(&c, &x, &mut map, &mut s);
    assert!(map.iter().any(|v| v.is_nan()) && map.iter().any(|&v| v < 0.0));
    // the definition: ReLU on the map, then each window's first maximum (a NaN wins)
    let relu = |v: f32| if v <= 0.0 { 0.0 } else { v };
    let mut want = vec![0.0f32; 3 * 3 * 4];
    for (o, w) in want.iter_mut().enumerate() {
        let (ch, oy, ox) = (o / 12, o / 4 % 3, o % 4);
        let mut best = f32::NEG_INFINITY;
        for (r, t) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
            let v = relu(map[(ch * 6 + 2 * oy + r) * 8 + 2 * ox + t]);
            if v > best || v.is_nan() {
                best = v;
            }
        }
        *w = best;
    }
    let mut y = vec![0.0; 3 * 3 * 4];
    let mut s = vec![0.0; <ReluPool as Layer<In>>::SCRATCH];
    <ReluPool as Layer<In>>::infer(&m, &x, &mut y, &mut s);
    let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&y), bits(&want));
    assert!(y.iter().any(|v| v.is_nan()) && y.contains(&0.0));
}

network! {
    /// `Flatten` first: the `Linear` after it reads the network's input and writes its `dx`.
    pub struct FlattenFirst: [2, 3, 3] { Flatten, Linear(18, 5), Tanh, Linear(5, 4) }
}
type FlattenFirstHand = Seq![Flatten, Linear<U18, U5>, Tanh, Linear<U5, U4>];
network! {
    /// `Flatten` last (its output is the network's: copied), and twice in a row (the first
    /// feeds no kernel: copied too).
    pub struct FlattenLast: [2, 3, 3] { Conv2d(2, 3, 3, pad = 1), ReLU, Flatten, Flatten }
}
type FlattenLastHand = Seq![Conv2d<U2, U3, U3, U1, U1>, ReLU, Flatten, Flatten];

/// A `Flatten` before a fused kernel is no op in training (the kernel reads through it); the
/// others copy. Both match the hand chain, with and without the input gradient.
#[test]
fn flatten_read_through_or_copied_matches_hand_composed() {
    let mut m = FlattenFirst::new(1);
    let mut h = new_boxed::<FlattenFirstHand>(2);
    compare::<Shape3<U2, U3, U3>, _, _>(&mut *m, &mut *h, 5);
    let mut m = FlattenLast::new(1);
    let mut h = new_boxed::<FlattenLastHand>(2);
    compare::<Shape3<U2, U3, U3>, _, _>(&mut *m, &mut *h, 5);
}

//! Rectangular kernels, strides and dilations, per-side padding and TF's `pad = "same"` through
//! `network!`, against the same network composed by hand from dl-core layers: inference,
//! training output, input gradient and every parameter gradient agree after copying the
//! parameters; the resource consts count the rectangular kernels.
use dl::consts::*;
use dl::*;

#[path = "common/equiv.rs"]
mod equiv;
use equiv::*;

network! {
    /// A keyword-spotting front end (DS-CNN's first conv: 10×4, stride 2, TF 'same' on 49×10
    /// MFCCs → 25×5), then per-axis padding, per-side padding with a per-axis dilation, a
    /// rectangular max pool and an average pool over the whole non-square map.
    pub struct Kws: [1, 49, 10] {
        Conv2d(1, 8, (10, 4), stride = (2, 2), pad = "same"), ReLU,
        Conv2d(8, 8, 3, padding = (1, 0)), ReLU,
        Conv2d(8, 4, 2, pad = (0, 1, 0, 1), dilation = (1, 2)),
        MaxPool2d((3, 2), stride = (2, 1)),
        AvgPool2d((12, 1)),
        Flatten, Linear(4, 3),
    }
}
type KwsHand = Seq![
    Conv2d<U1, U8, (U10, U4), U2, Same>, ReLU,
    Conv2d<U8, U8, U3, U1, (U1, U0)>, ReLU,
    Conv2d<U8, U4, U2, U1, (U0, U1, U0, U1), (U1, U2)>,
    MaxPool2d<(U3, U2), (U2, U1)>,
    AvgPool2d<(U12, U1)>,
    Flatten, Linear<U4, U3>,
];

#[test]
fn kws_front_end_matches_hand_composed() {
    compare::<Shape3<U1, U49, U10>, _, _>(&mut *Kws::new(1), &mut *new_boxed::<KwsHand>(2), 3);
}

#[test]
fn kws_resources_count_rectangular_kernels() {
    // conv1 8·1·10·4 + 8, conv2 8·8·3·3 + 8, conv3 4·8·2·2 + 4, linear 4·3 + 3
    assert_eq!(Kws::PARAMS, 328 + 584 + 132 + 15);
    assert_eq!(Kws::PARAMS, <KwsHand as Module>::PARAMS);
    // MACs: out pixels × in channels × Kh·Kw per output channel
    let macs = 8 * 25 * 5 * 40 + 8 * 25 * 3 * 72 + 4 * 25 * 2 * 32 + 12;
    assert_eq!(Kws::MACS, macs);
    let s = Kws::summary().to_string();
    assert!(s.contains("(10, 4)") && s.contains("[8, 25, 5]"), "{s}");
    assert!(s.contains("[4, 25, 2]") && s.contains("[4, 12, 1]"), "{s}");
}

network! {
    /// TF 'same' pools (max pads with −∞; average divides by the taps inside), a 'same'
    /// convolution with a per-axis stride, and `kernel_size` by name.
    pub struct SamePools: [2, 9, 8] {
        MaxPool2d(3, stride = 2, pad = "same"),
        Conv2d(2, 3, kernel_size = (3, 2), stride = (1, 2), padding = "same"), Tanh,
        AvgPool2d((2, 2), stride = 2, pad = "same"),
        MaxPool2d(kernel_size = (3, 1), stride = 1, padding = (1, 0)),
        Flatten, Linear(9, 2),
    }
}
type SamePoolsHand = Seq![
    MaxPool2d<U3, U2, Same>,
    Conv2d<U2, U3, (U3, U2), (U1, U2), Same>, Tanh,
    AvgPool2d<U2, U2, Same>,
    MaxPool2d<(U3, U1), U1, (U1, U0)>,
    Flatten, Linear<U9, U2>,
];

#[test]
fn same_pools_match_hand_composed() {
    compare::<Shape3<U2, U9, U8>, _, _>(
        &mut *SamePools::new(3),
        &mut *new_boxed::<SamePoolsHand>(4),
        2,
    );
}

network! {
    /// Stride-1 'same' with a dilated rectangular kernel (the shifted-window path), bias off.
    pub struct SameDilated: [3, 7, 11] {
        Conv2d(3, 5, (3, 4), pad = "same", dilation = (2, 1), bias = false), ReLU,
        Conv2d(5, 2, (1, 3), stride = (1, 3)),
    }
}
type SameDilatedHand = Seq![
    Conv2d<U3, U5, (U3, U4), U1, Same, (U2, U1), layers::conv::NoBias>, ReLU,
    Conv2d<U5, U2, (U1, U3), (U1, U3)>,
];

#[test]
fn same_dilated_matches_hand_composed() {
    compare::<Shape3<U3, U7, U11>, _, _>(
        &mut *SameDilated::new(5),
        &mut *new_boxed::<SameDilatedHand>(6),
        2,
    );
}

//! Every `network!` block kind — residual, concat, tap/skip, repeat — on vectors and on feature
//! maps, empty bodies and branches included, against the same network composed by hand from
//! dl-core layers: inference, training output, input gradient and every parameter gradient agree
//! (within 1e-6 relative to max(1, |value|)) after copying the parameters.
use dl::consts::*;
use dl::*;

#[path = "common/equiv.rs"]
mod equiv;
use equiv::*;

// ------------------------------------------------------------------ tap / skip

network! {
    /// A skip link over two Linear layers on vectors (was miscompiled: the layers between the
    /// tap and the skip, and the add, were dropped).
    pub struct SkipVec: [6] {
        Linear(6, 8), ReLU,
        tap a,
        Linear(8, 8), Tanh,
        Linear(8, 8),
        skip(a),
        ReLU,
        Linear(8, 3),
    }
}
type SkipVecHand = Seq![
    Linear<U6, U8>, ReLU,
    Residual<Seq![Linear<U8, U8>, Tanh, Linear<U8, U8>]>,
    ReLU,
    Linear<U8, U3>,
];

#[test]
fn skip_on_vectors_matches_hand_composed() {
    compare::<Shape1<U6>, _, _>(&mut *SkipVec::new(1), &mut *new_boxed::<SkipVecHand>(2), 3);
}

network! {
    /// A skip link whose tap goes through its own branch, on vectors; the add is followed by
    /// a Sigmoid (fused into the block's output).
    pub struct SkipVecBranch: [5] {
        tap t,
        Linear(5, 4), ReLU, Linear(4, 3),
        skip(t) { Linear(5, 3) },
        Sigmoid,
    }
}
type SkipVecBranchHand = Seq![
    Residual<Seq![Linear<U5, U4>, ReLU, Linear<U4, U3>], Linear<U5, U3>>,
    Sigmoid,
];

#[test]
fn skip_with_branch_on_vectors_matches_hand_composed() {
    compare::<Shape1<U5>, _, _>(
        &mut *SkipVecBranch::new(3),
        &mut *new_boxed::<SkipVecBranchHand>(4),
        2,
    );
}

network! {
    /// Feature maps: a same-size skip with no branch, and a skip with nothing between tap and
    /// skip (`y = x + x`).
    pub struct SkipMap: [3, 6, 6] {
        Conv2d(3, 4, 3, pad = 1), ReLU,
        tap a,
        Conv2d(4, 4, 3, pad = 1),
        skip(a),
        ReLU,
        tap b,
        skip(b),
        Conv2d(4, 2, 3),
    }
}
type SkipMapHand = Seq![
    Conv2d<U3, U4, U3, U1, U1>, ReLU,
    Residual<Conv2d<U4, U4, U3, U1, U1>>,
    ReLU,
    Residual<Identity>,
    Conv2d<U4, U2, U3>,
];

#[test]
fn skip_on_feature_maps_matches_hand_composed() {
    compare::<Shape3<U3, U6, U6>, _, _>(
        &mut *SkipMap::new(5),
        &mut *new_boxed::<SkipMapHand>(6),
        2,
    );
}

// ------------------------------------------------------------------ residual

network! {
    /// Residual blocks on vectors: identity, projection, and an empty body (`y = 2x`).
    pub struct ResVec: [5] {
        Linear(5, 5),
        residual { Linear(5, 5), ReLU, Linear(5, 5) },
        Tanh,
        residual { Linear(5, 3) } shortcut { Linear(5, 3) },
        residual { },
        Sigmoid,
    }
}
type ResVecHand = Seq![
    Linear<U5, U5>,
    Residual<Seq![Linear<U5, U5>, ReLU, Linear<U5, U5>]>,
    Tanh,
    Residual<Linear<U5, U3>, Linear<U5, U3>>,
    Residual<Identity>,
    Sigmoid,
];

#[test]
fn residual_on_vectors_matches_hand_composed() {
    compare::<Shape1<U5>, _, _>(&mut *ResVec::new(7), &mut *new_boxed::<ResVecHand>(8), 3);
}

network! {
    /// An empty residual body and an empty shortcut on a feature map.
    pub struct ResMapEmpty: [2, 4, 4] {
        Conv2d(2, 3, 3, pad = 1),
        residual { },
        ReLU,
        residual { Conv2d(3, 3, 3, pad = 1) } shortcut { },
        Conv2d(3, 2, 1),
    }
}
type ResMapEmptyHand = Seq![
    Conv2d<U2, U3, U3, U1, U1>,
    Residual<Identity>,
    ReLU,
    Residual<Conv2d<U3, U3, U3, U1, U1>, Identity>,
    Conv2d<U3, U2, U1>,
];

#[test]
fn empty_residual_on_feature_maps_matches_hand_composed() {
    compare::<Shape3<U2, U4, U4>, _, _>(
        &mut *ResMapEmpty::new(9),
        &mut *new_boxed::<ResMapEmptyHand>(10),
        2,
    );
}

// ------------------------------------------------------------------ concat

network! {
    /// Concat of vectors, with an identity branch `{ }`.
    pub struct ConcatVec: [4] {
        concat {
            { Linear(4, 3), ReLU },
            { },
            { Linear(4, 2) },
        },
        Tanh,
        Linear(9, 2),
    }
}
type ConcatVecHand = Seq![
    Concat<Seq![Linear<U4, U3>, ReLU], Concat<Identity, Linear<U4, U2>>>,
    Tanh,
    Linear<U9, U2>,
];

#[test]
fn concat_of_vectors_matches_hand_composed() {
    compare::<Shape1<U4>, _, _>(
        &mut *ConcatVec::new(11),
        &mut *new_boxed::<ConcatVecHand>(12),
        3,
    );
}

network! {
    /// DenseNet-style: the input itself joined with new channels, twice.
    pub struct Dense: [3, 5, 5] {
        concat { { }, { Conv2d(3, 2, 3, pad = 1), ReLU } },
        concat { { Conv2d(5, 2, 3, pad = 1), ReLU }, { } },
        Conv2d(7, 2, 1),
    }
}
type DenseHand = Seq![
    Concat<Identity, Seq![Conv2d<U3, U2, U3, U1, U1>, ReLU]>,
    Concat<Seq![Conv2d<U5, U2, U3, U1, U1>, ReLU], Identity>,
    Conv2d<U7, U2, U1>,
];

#[test]
fn concat_with_identity_branch_matches_hand_composed() {
    compare::<Shape3<U3, U5, U5>, _, _>(&mut *Dense::new(13), &mut *new_boxed::<DenseHand>(14), 2);
}

// ------------------------------------------------------------------ repeat

network! {
    /// A basic block repeated twice, its skip link inside the repeated body (a tap per
    /// repetition).
    pub struct RepeatMap: [4, 6, 6] {
        repeat(2) {
            tap t,
            Conv2d(4, 4, 3, pad = 1), ReLU,
            Conv2d(4, 4, 3, pad = 1),
            skip(t),
            ReLU,
        },
        Flatten,
        Linear(144, 2),
    }
}
type Block = Residual<Seq![Conv2d<U4, U4, U3, U1, U1>, ReLU, Conv2d<U4, U4, U3, U1, U1>]>;
type RepeatMapHand = Seq![Block, ReLU, Block, ReLU, Flatten, Linear<U144, U2>];

#[test]
fn repeat_with_skip_on_feature_maps_matches_hand_composed() {
    compare::<Shape3<U4, U6, U6>, _, _>(
        &mut *RepeatMap::new(15),
        &mut *new_boxed::<RepeatMapHand>(16),
        2,
    );
}

network! {
    /// Repeated Linear + Tanh on vectors, then a repeated residual block.
    pub struct RepeatVec: [6] {
        repeat(3) { Linear(6, 6), Tanh },
        repeat(2) { residual { Linear(6, 6), ReLU } },
        Linear(6, 2),
    }
}
type RepeatVecHand = Seq![
    Linear<U6, U6>, Tanh,
    Linear<U6, U6>, Tanh,
    Linear<U6, U6>, Tanh,
    Residual<Seq![Linear<U6, U6>, ReLU]>,
    Residual<Seq![Linear<U6, U6>, ReLU]>,
    Linear<U6, U2>,
];

#[test]
fn repeat_on_vectors_matches_hand_composed() {
    compare::<Shape1<U6>, _, _>(
        &mut *RepeatVec::new(17),
        &mut *new_boxed::<RepeatVecHand>(18),
        3,
    );
}

// ------------------------------------------------------------------ Maxout, nesting

network! {
    /// Maxout on a feature map (groups of channels) and on a vector.
    pub struct MaxoutNet: [6, 4, 4] {
        Conv2d(6, 6, 3, pad = 1),
        Maxout(3),
        Flatten,
        Linear(32, 8),
        Maxout(pieces = 2),
        Linear(4, 2),
    }
}
type MaxoutNetHand = Seq![
    Conv2d<U6, U6, U3, U1, U1>,
    Maxout<U3>,
    Flatten,
    Linear<U32, U8>,
    Maxout<U2>,
    Linear<U4, U2>,
];

#[test]
fn maxout_on_feature_maps_and_vectors_matches_hand_composed() {
    compare::<Shape3<U6, U4, U4>, _, _>(
        &mut *MaxoutNet::new(19),
        &mut *new_boxed::<MaxoutNetHand>(20),
        2,
    );
}

network! {
    /// Blocks inside blocks on vectors: a residual inside a concat branch, a skip link inside a
    /// residual body.
    pub struct Nested: [4] {
        concat {
            { residual { Linear(4, 4), ReLU } },
            { Linear(4, 2) },
        },
        residual {
            tap s,
            Linear(6, 6), Tanh,
            skip(s),
            Linear(6, 6),
        },
        Linear(6, 2),
    }
}
type NestedHand = Seq![
    Concat<Residual<Seq![Linear<U4, U4>, ReLU]>, Linear<U4, U2>>,
    Residual<Seq![Residual<Seq![Linear<U6, U6>, Tanh]>, Linear<U6, U6>]>,
    Linear<U6, U2>,
];

#[test]
fn nested_blocks_on_vectors_match_hand_composed() {
    compare::<Shape1<U4>, _, _>(&mut *Nested::new(21), &mut *new_boxed::<NestedHand>(22), 3);
}

// ------------------------------------------------------------------ the typed entry

#[test]
fn typed_inference_matches_slice_inference() {
    // a feature map in, a feature map out: nested arrays, flat arrays and slices agree
    let net = SkipMap::new(23);
    let mut x = [[[0.0f32; 6]; 6]; 3];
    for (i, v) in x
        .as_flattened_mut()
        .as_flattened_mut()
        .iter_mut()
        .enumerate()
    {
        *v = (i as f32 * 0.37).sin();
    }
    let mut arena = [0.0f32; SkipMap::ARENA_LEN];
    let y: [[[f32; 4]; 4]; 2] = net.infer_one(&x, &mut arena);
    let flat: [f32; 108] = x.as_flattened().as_flattened().try_into().unwrap();
    let mut y_flat = [0.0f32; SkipMap::OUT_LEN];
    net.infer_into(&flat, &mut y_flat, &mut arena);
    let mut y_slice = vec![0.0f32; SkipMap::OUT_LEN];
    let mut scratch = vec![0.0f32; SkipMap::ARENA_LEN];
    Layer::<Shape3<U3, U6, U6>>::infer(&*net, &flat, &mut y_slice, &mut scratch);
    assert_eq!(y.as_flattened().as_flattened(), &y_slice[..]);
    assert_eq!(&y_flat[..], &y_slice[..]);
    assert!(y_slice.iter().any(|v| *v != 0.0));
    assert_eq!((SkipMap::IN_LEN, SkipMap::OUT_LEN), (108, 32));

    // vectors
    let net = ConcatVec::new(24);
    let x = [0.5f32, -1.0, 0.25, 2.0];
    let mut arena = [0.0f32; ConcatVec::ARENA_LEN];
    let y: [f32; 2] = net.infer_one(&x, &mut arena);
    let mut y_slice = [0.0f32; 2];
    Layer::<Shape1<U4>>::infer(&*net, &x, &mut y_slice, &mut arena);
    assert_eq!(y, y_slice);
}

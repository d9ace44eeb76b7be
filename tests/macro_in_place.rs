//! `network!`'s in-place entry: the sample written into the arena (`input_mut`), the output
//! read from it (`infer_in_place`), `IN_PLACE_LEN` floats in all. Against `infer_into` on
//! the same network: bit for bit where every layer runs the kernel `infer_into` runs, within
//! rounding where a convolution had to take the direct kernel; and the arena lengths against
//! the layer-by-layer count done by hand.
use dl::*;

network! {
    /// Vectors, an odd number of ops (the output ends at the front of the arena).
    pub struct Mlp3: [6] {
        Linear(6, 16), ReLU,
        Linear(16, 4), Tanh,
        Linear(4, 10),
    }
}

network! {
    /// Vectors, an even number of ops (the output ends at the back), a residual block.
    pub struct Mlp4: [5] {
        Linear(5, 8), ReLU,
        residual { Linear(8, 8), ReLU, Linear(8, 8) },
        ReLU,
        Linear(8, 7), Sigmoid,
        Linear(7, 3),
    }
}

network! {
    /// A convolution whose fast kernel's scratch fits under the Linear layers' two buffers:
    /// the in-place run uses the same kernels, so the same bits.
    pub struct Roomy: [1, 8, 8] {
        Conv2d(1, 2, 3, pad = 1), ReLU,
        Flatten,
        Linear(128, 512), ReLU,
        Linear(512, 4),
    }
}

network! {
    /// Every block kind on feature maps: 'same' stride-1 and stride-2 convolutions in a
    /// residual body with a projection shortcut, BatchNorm folding, depthwise, concat, a skip
    /// link, max-pooling.
    pub struct Sink: [3, 12, 12] {
        Conv2d(3, 8, 3, pad = 1), BatchNorm2d(8), ReLU,
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
        Conv2d(16, 16, 3, pad = 1, groups = 16), ReLU6,
        concat { { Conv2d(16, 4, 1) }, { Conv2d(16, 4, 3, pad = 1), ReLU } },
        tap a,
        Conv2d(8, 8, 3, pad = 1), ReLU,
        skip(a),
        MaxPool2d(2),
        Flatten,
        Linear(72, 5),
    }
}

/// A deterministic sample in [-1, 1).
fn sample<const N: usize>(seed: u32) -> [f32; N] {
    core::array::from_fn(|i| {
        let v = (i as u32)
            .wrapping_mul(2_654_435_761)
            .wrapping_add(seed.wrapping_mul(97))
            >> 8;
        v as f32 / (1u32 << 23) as f32 - 1.0
    })
}

macro_rules! both {
    ($net:ident, $seed:expr) => {{
        let net = $net::new($seed);
        let x = sample::<{ $net::IN_LEN }>($seed as u32);
        let mut y = [0.0f32; $net::OUT_LEN];
        let mut arena = vec![0.0f32; $net::ARENA_LEN];
        let arena: &mut [f32; $net::ARENA_LEN] = arena.as_mut_slice().try_into().unwrap();
        net.infer_into(&x, &mut y, arena);
        let mut place = vec![f32::NAN; $net::IN_PLACE_LEN];
        let place: &mut [f32; $net::IN_PLACE_LEN] = place.as_mut_slice().try_into().unwrap();
        *$net::input_mut(place) = x;
        let got = *net.infer_in_place(place);
        assert!(y.iter().all(|v| v.is_finite()));
        assert!(y.iter().any(|&v| v != 0.0));
        (y, got)
    }};
}

#[test]
fn vectors_are_bit_for_bit_and_the_arena_is_two_buffers() {
    for seed in 1..4 {
        let (y, got) = both!(Mlp3, seed);
        assert_eq!(y.map(f32::to_bits), got.map(f32::to_bits));
        let (y, got) = both!(Mlp4, seed);
        assert_eq!(y.map(f32::to_bits), got.map(f32::to_bits));
    }
    // the largest input + output of a layer: 6+16, 16+4, 4+10
    assert_eq!(Mlp3::IN_PLACE_LEN, 22);
    // 5+8; the residual block: its input and output (8+8) and the body's intermediate (8)
    assert_eq!(Mlp4::IN_PLACE_LEN, 24);
    assert_eq!(Mlp4::IN_PLACE_BYTES, 96);
}

#[test]
fn a_convolution_with_room_runs_its_own_kernel() {
    for seed in 1..4 {
        let (y, got) = both!(Roomy, seed);
        assert_eq!(y.map(f32::to_bits), got.map(f32::to_bits));
    }
    assert_eq!(Roomy::IN_PLACE_LEN, 128 + 512);
}

#[test]
fn every_block_kind_in_place() {
    // the convolutions whose fast kernel does not fit run the direct one: rounding differs
    for seed in 1..4 {
        let (y, got) = both!(Sink, seed);
        assert_ne!(y.map(f32::to_bits), got.map(f32::to_bits));
        for (a, b) in y.iter().zip(&got) {
            assert!((a - b).abs() <= 1e-5 * a.abs().max(1.0), "{y:?} vs {got:?}");
        }
    }
    // the first residual block: its input, its output and the body's intermediate, 8×12×12
    // each (the layer-by-layer bound, no convolution scratch)
    assert_eq!(Sink::IN_PLACE_LEN, 3 * 8 * 12 * 12);
    const { assert!(Sink::IN_PLACE_LEN < Sink::ARENA_LEN + Sink::IN_LEN + Sink::OUT_LEN) };
}

//! Pooling tests: finite-difference gradients, PyTorch fixtures, output shapes.
use super::*;
use crate::shape::Ceil;
use crate::testing::{assert_close, check_layer_grads, check_layer_grads_with, fixture, run_train};
use typenum::consts::*;

/// N(0, 10²): random normal, spread so that no two values of a window lie within the
/// finite-difference step (±3e-3) of each other, where the max has a kink.
fn spread(r: &mut crate::rng::Rng) -> f32 {
    10.0 * r.normal()
}

fn same<A: typenum::Same<B>, B>() {}

#[test]
fn gradients_on_several_shapes() {
    // odd sizes, stride 2, padding; batch 2
    check_layer_grads_with::<Shape3<U2, U7, U9>, _>(
        &mut MaxPool2d::<U3, U2, U1>::default(),
        2,
        11,
        spread,
    );
    // default stride = kernel, odd sizes (floor drops the last row and column)
    check_layer_grads_with::<Shape3<U3, U5, U7>, _>(&mut MaxPool2d::<U2>::default(), 3, 2, spread);
    // dilation 2 with padding, overlapping windows
    check_layer_grads_with::<Shape3<U2, U9, U8>, _>(
        &mut MaxPool2d::<U3, U1, U1, U2>::default(),
        2,
        3,
        spread,
    );
    check_layer_grads::<Shape3<U2, U7, U9>, _>(&mut AvgPool2d::<U3, U2, U1>::default(), 2, 4);
    check_layer_grads::<Shape3<U3, U5, U7>, _>(&mut AvgPool2d::<U2>::default(), 3, 5);
    check_layer_grads::<Shape3<U2, U6, U5>, _>(&mut AvgPool2d::<U3, U1>::default(), 2, 6);
    check_layer_grads::<Shape3<U3, U5, U7>, _>(&mut GlobalAvgPool2d, 2, 7);
}

#[test]
fn ceil_mode_gradients() {
    // Last windows running past the end: K3 S2 on 8 (and exact on 7), K2 S2 on 5 (the
    // non-overlapping case the fast kernel must not take), padding and dilation 2.
    check_layer_grads_with::<Shape3<U2, U8, U7>, _>(
        &mut MaxPool2d::<U3, U2, U0, U1, Ceil>::default(),
        2,
        12,
        spread,
    );
    check_layer_grads_with::<Shape3<U3, U5, U5>, _>(
        &mut MaxPool2d::<U2, U2, U0, U1, Ceil>::default(),
        2,
        13,
        spread,
    );
    check_layer_grads_with::<Shape3<U2, U9, U10>, _>(
        &mut MaxPool2d::<U3, U2, U1, U2, Ceil>::default(),
        2,
        14,
        spread,
    );
    check_layer_grads::<Shape3<U2, U8, U7>, _>(
        &mut AvgPool2d::<U3, U2, U0, Ceil>::default(),
        2,
        15,
    );
    check_layer_grads::<Shape3<U2, U6, U7>, _>(
        &mut AvgPool2d::<U3, U3, U1, Ceil>::default(),
        2,
        16,
    );
}

#[test]
fn ceil_mode_output_shapes() {
    fn out<In: Shape, O, L: Layer<In, Out = O>>(_: &L) {}
    type G = MaxPool2d<U3, U2, U0, U1, Ceil>;
    // GoogLeNet's nn.MaxPool2d(3, stride=2, ceil_mode=True) chain: 112 → 56 → 28 → 14 → 7.
    out::<Shape3<U64, U112, U112>, Shape3<U64, U56, U56>, _>(&G::default());
    out::<Shape3<U192, U56, U56>, Shape3<U192, U28, U28>, _>(&G::default());
    out::<Shape3<U480, U28, U28>, Shape3<U480, U14, U14>, _>(&G::default());
    out::<Shape3<U832, U14, U14>, Shape3<U832, U7, U7>, _>(&G::default());
    out::<Shape3<U3, U5, U5>, Shape3<U3, U3, U3>, _>(&MaxPool2d::<U2, U2, U0, U1, Ceil>::default());
    out::<Shape3<U2, U6, U7>, Shape3<U2, U3, U3>, _>(&AvgPool2d::<U3, U3, U1, Ceil>::default());
    // The default mode is floor: existing code is unchanged.
    same::<MaxPool2d<U3, U2>, MaxPool2d<U3, U2, U0, U1, crate::shape::Floor>>();
    same::<AvgPool2d<U3>, AvgPool2d<U3, U3, U0, crate::shape::Floor>>();
    out::<Shape3<U64, U112, U112>, Shape3<U64, U55, U55>, _>(&MaxPool2d::<U3, U2>::default());
}

#[test]
fn ceil_mode_avg_divides_by_the_window_inside_the_padded_input() {
    // 1×3 input, K1 S2 ceil: every other input, the last one included.
    let x = [2.0f32, 4.0, 8.0];
    let mut y = [0.0f32; 2];
    Layer::<Shape3<U1, U1, U3>>::infer(
        &AvgPool2d::<U1, U2, U0, Ceil>::default(),
        &x,
        &mut y,
        &mut [],
    );
    assert_eq!(y, [2.0, 8.0]);
    // 2×3 input, K2 S2 ceil: the second window's columns [2, 4) are cut at 3, so it is
    // divided by 2·1, not 4 (PyTorch's count_include_pad=True with ceil_mode=True).
    let x = [2.0f32, 4.0, 8.0, 1.0, 3.0, 5.0];
    Layer::<Shape3<U1, U2, U3>>::infer(
        &AvgPool2d::<U2, U2, U0, Ceil>::default(),
        &x,
        &mut y,
        &mut [],
    );
    assert_eq!(y, [(2.0 + 4.0 + 1.0 + 3.0) / 4.0, (8.0 + 5.0) / 2.0]);
}

#[test]
fn output_shapes_and_default_stride() {
    // The stride defaults to the kernel size: MaxPool2d<U2> is nn.MaxPool2d(2).
    same::<MaxPool2d<U2>, MaxPool2d<U2, U2, U0, U1>>();
    same::<AvgPool2d<U3>, AvgPool2d<U3, U3, U0>>();
    fn out<In: Shape, O, L: Layer<In, Out = O>>(_: &L) {}
    // LeNet: 28 → 14; AlexNet's overlapping pool: 55, K3 S2 → 27.
    out::<Shape3<U6, U28, U28>, Shape3<U6, U14, U14>, _>(&MaxPool2d::<U2>::default());
    out::<Shape3<U96, U55, U55>, Shape3<U96, U27, U27>, _>(&MaxPool2d::<U3, U2>::default());
    // ResNet stem: 112, K3 S2 P1 → 56; dilation 2 widens K3 to 5: 9 + 2 − 5 + 1 = 7.
    out::<Shape3<U64, U112, U112>, Shape3<U64, U56, U56>, _>(&MaxPool2d::<U3, U2, U1>::default());
    out::<Shape3<U2, U9, U8>, Shape3<U2, U7, U6>, _>(&MaxPool2d::<U3, U1, U1, U2>::default());
    out::<Shape3<U3, U7, U9>, Shape3<U3, U4, U5>, _>(&AvgPool2d::<U3, U2, U1>::default());
    out::<Shape3<U512, U7, U7>, Shape3<U512, U1, U1>, _>(&GlobalAvgPool2d);
}

#[test]
fn padding_is_minus_infinity_for_max_and_zero_for_avg() {
    // All-negative input: a padded border must not win the max, and counts as 0 in the mean.
    let x = [-1.0f32, -2.0, -3.0, -4.0];
    let mut z = [0.0f32; 9];
    Layer::<Shape3<U1, U2, U2>>::infer(
        &MaxPool2d::<U2, U1, U1>::default(),
        &x,
        &mut z[..9],
        &mut [],
    );
    assert_eq!(z, [-1.0, -1.0, -2.0, -1.0, -1.0, -2.0, -3.0, -3.0, -4.0]);
    Layer::<Shape3<U1, U2, U2>>::infer(
        &AvgPool2d::<U2, U1, U1>::default(),
        &x,
        &mut z[..9],
        &mut [],
    );
    assert_eq!(
        z,
        [-0.25, -0.75, -0.5, -1.0, -2.5, -1.5, -0.75, -1.75, -1.0]
    );
    // Dilation can put a whole window in the padding (taps −1 and 4 of a 4-wide input):
    // PyTorch gives −∞ there, and no gradient flows.
    let x = crate::Batch::<Shape3<U1, U4, U4>>::from_fn(1, |i| i as f32);
    let (y, dx, _) = run_train::<Shape3<U1, U4, U4>, _>(
        &mut MaxPool2d::<U2, U1, U1, U5>::default(),
        x.as_slice(),
        &[1.0],
    );
    assert_eq!(y, [f32::NEG_INFINITY]);
    assert!(dx.iter().all(|&d| d == 0.0));
}

#[test]
fn backward_without_its_forward_recomputes_the_argmax() {
    use crate::layer::Train;
    let x = crate::Batch::<Shape3<U2, U5, U6>>::from_fn(3, |i| ((i * 37) % 29) as f32);
    let mut l = MaxPool2d::<U3, U2, U1>::default();
    let dy = crate::Batch::from_fn(3, |i| i as f32 * 0.5 - 3.0);
    let (_, want, _) = run_train::<Shape3<U2, U5, U6>, _>(&mut l, x.as_slice(), dy.as_slice());
    let (y, mut dx, mut cache) = (
        crate::Batch::default(),
        crate::Batch::default(),
        Default::default(),
    );
    l.backward(&x, &y, &dy, &mut dx, &mut cache, &mut ());
    assert_eq!(dx.as_slice(), &want[..]);
}

#[test]
fn matches_pytorch() {
    for (name, case) in [
        ("maxpool_k3s2p1", 0),
        ("maxpool_k2", 1),
        ("maxpool_k3s2p1d2", 2),
        ("avgpool_k3s2p1", 3),
        ("avgpool_k2", 4),
        ("global_avgpool", 5),
        ("maxpool_k3s2_ceil_112", 6),
        ("maxpool_k3s2_ceil_7", 7),
        ("maxpool_k2_ceil_5", 8),
        ("maxpool_k3s2p1d2_ceil", 9),
        ("avgpool_k3s2_ceil", 10),
        ("avgpool_k2_ceil_5", 11),
        ("avgpool_k3s3p1_ceil", 12),
    ] {
        let fx = fixture(name);
        macro_rules! go {
            ($in:ty, $l:expr) => {{
                let (y, dx, _) = run_train::<$in, _>(&mut $l, fx.get("x"), fx.get("dy"));
                assert_close(&format!("{name} y"), &y, fx.get("y"), 1e-5);
                assert_close(&format!("{name} dx"), &dx, fx.get("dx"), 1e-5);
            }};
        }
        match case {
            0 => go!(Shape3<U3, U7, U9>, MaxPool2d::<U3, U2, U1>::default()),
            1 => go!(Shape3<U3, U5, U7>, MaxPool2d::<U2>::default()),
            2 => go!(Shape3<U2, U9, U10>, MaxPool2d::<U3, U2, U1, U2>::default()),
            3 => go!(Shape3<U3, U7, U9>, AvgPool2d::<U3, U2, U1>::default()),
            4 => go!(Shape3<U3, U5, U7>, AvgPool2d::<U2>::default()),
            5 => go!(Shape3<U4, U5, U7>, GlobalAvgPool2d),
            6 => go!(Shape3<U2, U112, U9>, MaxPool2d::<U3, U2, U0, U1, Ceil>::default()),
            7 => go!(Shape3<U3, U7, U8>, MaxPool2d::<U3, U2, U0, U1, Ceil>::default()),
            8 => go!(Shape3<U3, U5, U5>, MaxPool2d::<U2, U2, U0, U1, Ceil>::default()),
            9 => go!(Shape3<U2, U9, U10>, MaxPool2d::<U3, U2, U1, U2, Ceil>::default()),
            10 => go!(Shape3<U3, U8, U7>, AvgPool2d::<U3, U2, U0, Ceil>::default()),
            11 => go!(Shape3<U3, U5, U5>, AvgPool2d::<U2, U2, U0, Ceil>::default()),
            _ => go!(Shape3<U2, U6, U7>, AvgPool2d::<U3, U3, U1, Ceil>::default()),
        }
    }
}

#[test]
fn a_batch_split_across_threads_equals_sample_by_sample() {
    type In = Shape3<U8, U16, U16>;
    crate::kernels::par::set_threads(2);
    let x = crate::Batch::<In>::from_fn(16, |i| ((i * 7919) % 1013) as f32);
    let dy: std::vec::Vec<f32> = (0..16 * 8 * 8 * 8)
        .map(|i| ((i * 31) % 17) as f32)
        .collect();
    let (y, dx, _) = run_train::<In, _>(&mut MaxPool2d::<U2>::default(), x.as_slice(), &dy);
    for s in 0..16 {
        let (ys, dxs, _) = run_train::<In, _>(
            &mut MaxPool2d::<U2>::default(),
            x.sample(s),
            &dy[s * 512..(s + 1) * 512],
        );
        assert_eq!(&y[s * 512..(s + 1) * 512], &ys[..], "y of sample {s}");
        assert_eq!(&dx[s * 2048..(s + 1) * 2048], &dxs[..], "dx of sample {s}");
    }
}

/// NaN and ±∞ through every pool as through PyTorch's (`*_nonfinite*` fixtures): a NaN wins a
/// max window and takes its gradient (the last NaN of a window, as PyTorch keeps replacing
/// it), a window of −∞ only gives −∞, averages carry NaN and ±∞.
#[test]
fn nan_and_infinity_match_pytorch() {
    use crate::testing::assert_close_nonfinite;
    for (name, case) in [
        ("maxpool_nonfinite_k3s2p1", 0),
        ("maxpool_nonfinite_k2", 1),
        ("avgpool_nonfinite_k3s2p1", 2),
        ("global_avgpool_nonfinite", 3),
    ] {
        let fx = fixture(name);
        macro_rules! go {
            ($l:expr) => {{
                type In = Shape3<U2, U7, U9>;
                let (y, dx, _) = run_train::<In, _>(&mut $l, fx.get("x"), fx.get("dy"));
                assert_close_nonfinite(&format!("{name} y"), &y, fx.get("y"), 1e-5);
                assert_close_nonfinite(&format!("{name} dx"), &dx, fx.get("dx"), 1e-5);
                let mut yi = vec![0.0; y.len() / 2];
                let l = $l;
                crate::layer::Layer::<In>::infer(&l, &fx.get("x")[..126], &mut yi, &mut []);
                assert_close_nonfinite(
                    &format!("{name} infer"),
                    &yi,
                    &fx.get("y")[..yi.len()],
                    1e-5,
                );
            }};
        }
        match case {
            0 => go!(MaxPool2d::<U3, U2, U1>::default()),
            1 => go!(MaxPool2d::<U2>::default()),
            2 => go!(AvgPool2d::<U3, U2, U1>::default()),
            _ => go!(GlobalAvgPool2d),
        }
    }
}

#[test]
fn rectangular_and_same_match_pytorch() {
    use crate::shape::Same;
    // scripts/torch_fixtures_geom.py; TF 'same' average pooling divides by the taps inside
    for (name, case) in [
        ("geom_maxpool_k3x2_s2x1", 0),
        ("geom_maxpool_p1x0_d1x2", 1),
        ("geom_avgpool_25x5", 2),
        ("geom_avgpool_k3x2_p1x0", 3),
        ("geom_maxpool_same", 4),
        ("geom_avgpool_same", 5),
    ] {
        let fx = fixture(name);
        macro_rules! go {
            ($in:ty, $l:expr) => {{
                let (y, dx, _) = run_train::<$in, _>(&mut $l, fx.get("x"), fx.get("dy"));
                assert_close(&format!("{name} y"), &y, fx.get("y"), 1e-5);
                assert_close(&format!("{name} dx"), &dx, fx.get("dx"), 1e-5);
                let x = crate::Batch::<$in>::from_vec(fx.get("x").to_vec()).unwrap();
                let yi = crate::layer::Layer::forward(&$l, &x);
                assert_close(&format!("{name} infer"), yi.as_slice(), fx.get("y"), 1e-5);
            }};
        }
        match case {
            0 => go!(Shape3<U3, U7, U6>, MaxPool2d::<(U3, U2), (U2, U1)>::default()),
            1 => go!(Shape3<U2, U9, U8>, MaxPool2d::<U3, (U2, U1), (U1, U0), (U1, U2)>::default()),
            2 => go!(Shape3<U4, U25, U5>, AvgPool2d::<(U25, U5)>::default()),
            3 => go!(Shape3<U2, U7, U8>, AvgPool2d::<(U3, U2), U2, (U1, U0)>::default()),
            4 => go!(Shape3<U2, U7, U8>, MaxPool2d::<U3, U2, Same>::default()),
            _ => go!(Shape3<U2, U7, U8>, AvgPool2d::<(U3, U2), (U2, U3), Same>::default()),
        }
    }
}

#[test]
fn rectangular_and_same_gradients() {
    use crate::shape::Same;
    check_layer_grads_with::<Shape3<U2, U7, U9>, _>(
        &mut MaxPool2d::<(U3, U2), (U2, U1), (U1, U0, U0, U1)>::default(),
        2,
        31,
        spread,
    );
    check_layer_grads_with::<Shape3<U2, U7, U8>, _>(
        &mut MaxPool2d::<U3, U2, Same>::default(),
        2,
        32,
        spread,
    );
    check_layer_grads::<Shape3<U2, U7, U9>, _>(
        &mut AvgPool2d::<(U2, U3), (U2, U3), Same>::default(),
        2,
        33,
    );
    check_layer_grads::<Shape3<U3, U25, U5>, _>(&mut AvgPool2d::<(U25, U5)>::default(), 2, 34);
    same::<<AvgPool2d<(U25, U5)> as Layer<Shape3<U64, U25, U5>>>::Out, Shape3<U64, U1, U1>>();
}

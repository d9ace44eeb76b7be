use super::*;
use crate::layer::new_boxed;
use crate::testing::{assert_close, check_layer_grads, fixture, load_params, run_train};
use typenum::consts::*;

#[test]
fn gradients_on_several_shapes() {
    // odd sizes, padding
    check_layer_grads::<Shape3<U2, U5, U7>, _>(
        &mut *new_boxed::<Conv2d<U2, U3, U3, U1, U1>>(1),
        2,
        1,
    );
    // stride 2 (few filters: the weight gradient as dW = dY·colsᵀ)
    check_layer_grads::<Shape3<U3, U7, U6>, _>(
        &mut *new_boxed::<Conv2d<U3, U2, U3, U2, U1>>(2),
        3,
        2,
    );
    // stride 2, more filters than column rows per tile: dWᵀ = cols·dYᵀ
    assert!(sample::Plan::new(Geom::square(2, 7, 6, 3, 2, 1, 1), 8).dw_t);
    check_layer_grads::<Shape3<U2, U7, U6>, _>(
        &mut *new_boxed::<Conv2d<U2, U8, U3, U2, U1>>(7),
        2,
        7,
    );
    // dilation 2
    check_layer_grads::<Shape3<U2, U9, U8>, _>(
        &mut *new_boxed::<Conv2d<U2, U2, U3, U1, U2, U2>>(3),
        2,
        3,
    );
    // 1×1 (Network-in-Network)
    check_layer_grads::<Shape3<U4, U3, U3>, _>(&mut *new_boxed::<Conv2d<U4, U5, U1>>(4), 2, 4);
}

#[test]
fn gradients_across_several_bands() {
    // inputs large enough that one sample is cut into several bands of output rows
    let wide = sample::Plan::new(Geom::square(64, 7, 64, 3, 1, 1, 1), 3);
    assert!(wide.rows < 7, "one band only");
    check_layer_grads::<Shape3<U64, U7, U64>, _>(
        &mut *new_boxed::<Conv2d<U64, U3, U3, U1, U1>>(5),
        2,
        5,
    );
    let strided = sample::Plan::new(Geom::square(64, 31, 64, 3, 2, 1, 1), 3);
    assert!(strided.rows < 16, "one band only");
    check_layer_grads::<Shape3<U64, U31, U64>, _>(
        &mut *new_boxed::<Conv2d<U64, U3, U3, U2, U1>>(6),
        2,
        6,
    );
}

#[test]
fn a_batch_split_across_threads_gives_the_same_numbers() {
    // enough work that forward and backward split the batch; the weight gradient is summed
    // from per-thread parts, so in a different order
    type L = Conv2d<U3, U8, U3, U1, U1>;
    let mut l = new_boxed::<L>(8);
    let mut r = crate::rng::Rng::new(9);
    let x: std::vec::Vec<f32> = (0..8 * 3 * 256).map(|_| r.normal()).collect();
    let dy: std::vec::Vec<f32> = (0..8 * 8 * 256).map(|_| r.normal()).collect();
    let before = crate::kernels::par::threads();
    let mut run = |t| {
        crate::kernels::par::set_threads(t);
        run_train::<Shape3<U3, U16, U16>, _>(&mut *l, &x, &dy)
    };
    let (y1, dx1, g1) = run(1);
    let (y2, dx2, g2) = run(2);
    crate::kernels::par::set_threads(before);
    assert_eq!((y1, dx1), (y2, dx2));
    assert_close("dweight", &g2.weight, &g1.weight, 1e-5);
    assert_close("dbias", &g2.bias, &g1.bias, 1e-5);
}

#[test]
fn lecture_example_shape() {
    // 5×5×3 input, 3×3 kernel, 2 filters, pad 1, stride 2 → 3×3×2
    fn out<L: Layer<Shape3<U3, U5, U5>, Out = Shape3<U2, U3, U3>>>(_: &L) {}
    out(&*new_boxed::<Conv2d<U3, U2, U3, U2, U1>>(0));
}

#[test]
fn matches_pytorch() {
    for (name, case) in [
        ("conv_s1p1", 0),
        ("conv_s2p1", 1),
        ("conv_d2", 2),
        ("conv_1x1", 3),
    ] {
        let fx = fixture(name);
        macro_rules! go {
            ($in:ty, $l:ty) => {{
                let mut l = new_boxed::<$l>(0);
                load_params(&mut *l, &fx, &["weight", "bias"]);
                let (y, dx, g) = run_train::<$in, _>(&mut *l, fx.get("x"), fx.get("dy"));
                assert_close(&format!("{name} y"), &y, fx.get("y"), 1e-4);
                assert_close(&format!("{name} dx"), &dx, fx.get("dx"), 1e-4);
                assert_close(
                    &format!("{name} dweight"),
                    &g.weight,
                    fx.get("dweight"),
                    1e-4,
                );
                assert_close(&format!("{name} dbias"), &g.bias, fx.get("dbias"), 1e-4);
            }};
        }
        match case {
            0 => go!(Shape3<U3, U5, U7>, Conv2d<U3, U4, U3, U1, U1>),
            1 => go!(Shape3<U3, U7, U6>, Conv2d<U3, U4, U3, U2, U1>),
            2 => go!(Shape3<U2, U9, U8>, Conv2d<U2, U3, U3, U1, U2, U2>),
            _ => go!(Shape3<U4, U3, U5>, Conv2d<U4, U2, U1>),
        }
    }
}

#[test]
fn gradients_without_bias() {
    // stride 2, padding 1, batch 3 (the column-matrix path)
    check_layer_grads::<Shape3<U3, U7, U6>, _>(
        &mut *new_boxed::<Conv2d<U3, U2, U3, U2, U1, U1, NoBias>>(11),
        3,
        11,
    );
    // stride 1, padding 1 (the shifted-window path), more filters (dWᵀ)
    check_layer_grads::<Shape3<U2, U5, U7>, _>(
        &mut *new_boxed::<Conv2d<U2, U8, U3, U1, U1, U1, NoBias>>(12),
        2,
        12,
    );
}

#[test]
fn without_bias_stores_and_visits_only_the_weight() {
    type With = Conv2d<U3, U4, U3, U2, U1>;
    type Without = Conv2d<U3, U4, U3, U2, U1, U1, NoBias>;
    assert_eq!(<With as Module>::PARAMS, 4 * 3 * 9 + 4);
    assert_eq!(<Without as Module>::PARAMS, <With as Module>::PARAMS - 4);
    assert_eq!(
        core::mem::size_of::<Without>(),
        4 * 3 * 9 * core::mem::size_of::<f32>()
    );
    let l = new_boxed::<Without>(0);
    let mut lens = std::vec::Vec::new();
    l.visit(&mut |p| lens.push(p.len()));
    assert_eq!(lens, [4 * 3 * 9]);
    // Existing spellings keep the bias: the default is `Bias`.
    fn same<T>(_: core::marker::PhantomData<T>, _: core::marker::PhantomData<T>) {}
    same(
        core::marker::PhantomData::<Conv2d<U3, U4, U3, U2, U1, U1>>,
        core::marker::PhantomData::<Conv2d<U3, U4, U3, U2, U1, U1, Bias>>,
    );
}

#[test]
fn matches_pytorch_without_bias() {
    for (name, case) in [("conv_nobias_s1p1", 0), ("conv_nobias_s2p1", 1)] {
        let fx = fixture(name);
        macro_rules! go {
            ($in:ty, $l:ty) => {{
                let mut l = new_boxed::<$l>(0);
                load_params(&mut *l, &fx, &["weight"]);
                let (y, dx, g) = run_train::<$in, _>(&mut *l, fx.get("x"), fx.get("dy"));
                assert_close(&format!("{name} y"), &y, fx.get("y"), 1e-4);
                assert_close(&format!("{name} dx"), &dx, fx.get("dx"), 1e-4);
                assert_close(
                    &format!("{name} dweight"),
                    &g.weight,
                    fx.get("dweight"),
                    1e-4,
                );
                assert!(g.bias.is_empty());
                // Inference (no allocator path) gives the same output.
                let x = crate::Batch::<$in>::from_vec(fx.get("x").to_vec()).unwrap();
                assert_close(
                    &format!("{name} infer"),
                    l.forward(&x).as_slice(),
                    fx.get("y"),
                    1e-4,
                );
            }};
        }
        match case {
            0 => go!(Shape3<U3, U5, U7>, Conv2d<U3, U4, U3, U1, U1, U1, NoBias>),
            _ => go!(Shape3<U3, U7, U6>, Conv2d<U3, U4, U3, U2, U1, U1, NoBias>),
        }
    }
}

#[test]
fn rectangular_and_asymmetric_match_pytorch() {
    use crate::shape::Same;
    // The fixtures of scripts/torch_fixtures_geom.py: per-axis kernel/stride/padding/dilation,
    // explicit (top, bottom, left, right) padding and TF 'same' (PyTorch with an explicit
    // F.pad of TF's amounts). Stride 1 runs on shifted windows, other strides on im2col.
    for (name, case) in [
        ("geom_conv_k3x2_s2x1", 0),
        ("geom_conv_p1x0_d1x2", 1),
        ("geom_conv_k2x4_s1x3_p2x1", 2),
        ("geom_conv_tblr_0101", 3),
        ("geom_conv_tblr_2013", 4),
        ("geom_conv_same_kws", 5),
        ("geom_conv_same_96", 6),
        ("geom_conv_same_32", 7),
        ("geom_conv_same_s1_d", 8),
    ] {
        let fx = fixture(name);
        macro_rules! go {
            ($in:ty, $l:ty) => {{
                let mut l = new_boxed::<$l>(0);
                load_params(&mut *l, &fx, &["weight", "bias"]);
                let (y, dx, g) = run_train::<$in, _>(&mut *l, fx.get("x"), fx.get("dy"));
                assert_close(&format!("{name} y"), &y, fx.get("y"), 1e-4);
                assert_close(&format!("{name} dx"), &dx, fx.get("dx"), 1e-4);
                assert_close(&format!("{name} dw"), &g.weight, fx.get("dweight"), 1e-4);
                assert_close(&format!("{name} db"), &g.bias, fx.get("dbias"), 1e-4);
                let x = crate::Batch::<$in>::from_vec(fx.get("x").to_vec()).unwrap();
                let yi = l.forward(&x);
                assert_close(&format!("{name} infer"), yi.as_slice(), fx.get("y"), 1e-4);
            }};
        }
        match case {
            0 => go!(Shape3<U3, U7, U6>, Conv2d<U3, U4, (U3, U2), (U2, U1)>),
            1 => go!(Shape3<U2, U6, U9>, Conv2d<U2, U3, U3, U1, (U1, U0), (U1, U2)>),
            2 => go!(Shape3<U3, U5, U11>, Conv2d<U3, U2, (U2, U4), (U1, U3), (U2, U1)>),
            3 => go!(Shape3<U2, U5, U5>, Conv2d<U2, U3, U2, U2, (U0, U1, U0, U1)>),
            4 => go!(Shape3<U2, U6, U5>, Conv2d<U2, U3, (U3, U2), U1, (U2, U0, U1, U3)>),
            5 => go!(Shape3<U1, U49, U10>, Conv2d<U1, U4, (U10, U4), U2, Same>),
            6 => go!(Shape3<U1, U96, U96>, Conv2d<U1, U2, U3, U2, Same>),
            7 => go!(Shape3<U3, U32, U32>, Conv2d<U3, U4, U3, U2, Same>),
            _ => go!(Shape3<U2, U7, U8>, Conv2d<U2, U3, (U4, U3), U1, Same, (U1, U2)>),
        }
    }
}

#[test]
fn rectangular_and_asymmetric_gradients() {
    use crate::shape::Same;
    // the column-matrix path: rectangular kernel, per-axis stride, asymmetric padding
    check_layer_grads::<Shape3<U2, U7, U6>, _>(
        &mut *new_boxed::<Conv2d<U2, U3, (U3, U2), (U2, U1), (U1, U0, U0, U2)>>(21),
        2,
        21,
    );
    // the shifted-window path: stride 1, per-axis dilation, TF 'same'
    check_layer_grads::<Shape3<U2, U6, U9>, _>(
        &mut *new_boxed::<Conv2d<U2, U4, (U2, U3), U1, Same, (U2, U1)>>(22),
        2,
        22,
    );
    // 'same' with stride 2 on odd sizes (one more pixel at the bottom/right)
    check_layer_grads::<Shape3<U1, U9, U7>, _>(
        &mut *new_boxed::<Conv2d<U1, U2, (U4, U3), (U2, U2), Same>>(23),
        2,
        23,
    );
    // the weight holds O·I·Kh·Kw values
    assert_eq!(<Conv2d<U1, U64, (U10, U4)> as Module>::PARAMS, 64 * 40 + 64);
}

/// `infer` of each of `n` random samples, and `infer_batch` of all of them.
fn per_sample_and_batch<S: Shape, L: Layer<S>>(
    l: &L,
    n: usize,
    seed: u64,
) -> [std::vec::Vec<f32>; 2] {
    let mut r = crate::rng::Rng::new(seed);
    let x: std::vec::Vec<f32> = (0..n * S::NUMEL).map(|_| r.uniform_in(-1.0, 1.0)).collect();
    let on = <L::Out as Shape>::NUMEL;
    let (mut one, mut all) = (vec![0.0; n * on], vec![0.0; n * on]);
    let mut scratch = vec![0.0; L::SCRATCH];
    for i in 0..n {
        l.infer(
            &x[i * S::NUMEL..][..S::NUMEL],
            &mut one[i * on..][..on],
            &mut scratch,
        );
    }
    l.infer_batch(n, &x, &mut all);
    [one, all]
}

/// Whole-batch inference against sample-by-sample `infer`, on every kernel path: a 3×3
/// stride-1 convolution with enough channels runs Winograd over the batch (its rounding
/// differs), others and `Linear` (one product over the batch) agree closely.
#[test]
fn infer_batch_matches_per_sample_infer() {
    use crate::kernels::gemm::{force_path, paths};
    use crate::layers::linear::Linear;
    use crate::shape::Shape1;
    type Wino = Conv2d<U16, U16, U3, U1, U1>;
    type Strided = Conv2d<U3, U5, U3, U2, U1>;
    let (wino, strided) = (new_boxed::<Wino>(5), new_boxed::<Strided>(6));
    let lin = new_boxed::<Linear<U37, U19>>(7);
    assert!(Wino::batched(&Wino::plan(8, 8, 8, 8)));
    assert!(!Strided::batched(&Strided::plan(9, 7, 5, 4)));
    for p in paths() {
        force_path(Some(p));
        for n in [1, 5] {
            let [one, all] = per_sample_and_batch::<Shape3<U16, U8, U8>, _>(&*wino, n, 1);
            assert_close(&format!("winograd {p:?} n={n}"), &all, &one, 1e-4);
            let [one, all] = per_sample_and_batch::<Shape3<U3, U9, U7>, _>(&*strided, n, 2);
            assert_eq!(
                all, one,
                "strided {p:?} n={n}: the same kernel, the same bits"
            );
            let [one, all] = per_sample_and_batch::<Shape1<U37>, _>(&*lin, n, 3);
            assert_close(&format!("linear {p:?} n={n}"), &all, &one, 1e-5);
        }
    }
    force_path(None);
}

/// The backward on every kernel path the CPU allows (one thread, so the path forced on this
/// thread is the one that runs): LeNet-5's two layers — under AVX-512 their weight gradients
/// are formed directly across pixels and across filters, and the second layer's input
/// gradient as a forward convolution of `dY` — and 3×3 and 5×5 layers with padding and
/// filter counts that leave lanes idle. Finite differences check each path, and every path
/// agrees closely with the first (the portable one).
#[test]
fn backward_on_every_path() {
    use crate::kernels::gemm::{force_path, paths};
    use crate::kernels::par::{set_threads, threads};
    use crate::Train;
    use std::vec::Vec;
    fn check<S: Shape, L: Train<S>>(
        l: &mut L,
        n: usize,
        seed: u64,
        flat: impl Fn(&L::Grad) -> Vec<f32>,
    ) {
        let mut r = crate::rng::Rng::new(seed);
        let x: Vec<f32> = (0..n * S::NUMEL).map(|_| r.normal()).collect();
        let dy: Vec<f32> = (0..n * <L::Out as Shape>::NUMEL)
            .map(|_| r.normal())
            .collect();
        let mut first: Option<[Vec<f32>; 3]> = None;
        for p in paths() {
            force_path(Some(p));
            check_layer_grads::<S, L>(l, n, seed);
            let (y, dx, g) = run_train::<S, L>(l, &x, &dy);
            let got = [y, dx, flat(&g)];
            match &first {
                None => first = Some(got),
                Some(want) => {
                    for (k, name) in ["y", "dx", "gradients"].iter().enumerate() {
                        let what = format!("seed {seed}, {p:?}, {name}");
                        assert_close(&what, &got[k], &want[k], 1e-4);
                    }
                }
            }
        }
        force_path(None);
    }
    let before = threads();
    set_threads(1);
    let grads = |w: &[f32], b: &[f32]| [w, b].concat();
    type C1 = Conv2d<U1, U6, U5, U1, U2>;
    check::<Shape3<U1, U28, U28>, _>(&mut *new_boxed::<C1>(31), 2, 31, |g| {
        grads(&g.weight, &g.bias)
    });
    type C2 = Conv2d<U6, U16, U5>;
    check::<Shape3<U6, U14, U14>, _>(&mut *new_boxed::<C2>(32), 2, 32, |g| {
        grads(&g.weight, &g.bias)
    });
    type C3 = Conv2d<U3, U5, U3, U1, U1>;
    check::<Shape3<U3, U9, U21>, _>(&mut *new_boxed::<C3>(33), 2, 33, |g| {
        grads(&g.weight, &g.bias)
    });
    type C4 = Conv2d<U2, U13, U5, U1, U2>;
    check::<Shape3<U2, U6, U12>, _>(&mut *new_boxed::<C4>(34), 2, 34, |g| {
        grads(&g.weight, &g.bias)
    });
    set_threads(before);
}

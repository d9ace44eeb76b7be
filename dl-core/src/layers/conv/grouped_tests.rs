//! Grouped and depthwise convolution: PyTorch fixtures (`scripts/torch_fixtures_grouped.py`),
//! finite-difference gradients, inference against training forward, thread independence.
use super::*;
use crate::layer::new_boxed;
use crate::testing::{assert_close, check_layer_grads, fixture, load_params, run_train};
use crate::Batch;
use typenum::consts::*;

/// Loads the fixture's weights, runs forward and backward with its `dy`, compares `y`, `dx`,
/// the parameter gradients, and the allocation-free `infer` output.
fn parity<In: Shape, L: crate::layer::Train<In, Grad = L> + Module + Zeroable + Sync>(name: &str)
where
    L::Out: Shape,
{
    let fx = fixture(name);
    let mut l = new_boxed::<L>(0);
    let has_bias = fx.tensors.contains_key("bias");
    let names: &[&str] = if has_bias {
        &["weight", "bias"]
    } else {
        &["weight"]
    };
    load_params(&mut *l, &fx, names);
    let (y, dx, g) = run_train::<In, L>(&mut *l, fx.get("x"), fx.get("dy"));
    assert_close(&format!("{name} y"), &y, fx.get("y"), 1e-4);
    assert_close(&format!("{name} dx"), &dx, fx.get("dx"), 1e-4);
    let mut grads = std::vec::Vec::new();
    l.visit_with_grad(&g, &mut |_, gr| grads.push(gr.to_vec()));
    assert_eq!(grads.len(), names.len(), "{name}: parameters visited");
    for (gr, n) in grads.iter().zip(names) {
        assert_close(&format!("{name} d{n}"), gr, fx.get(&format!("d{n}")), 1e-4);
    }
    let x = Batch::<In>::from_vec(fx.get("x").to_vec()).unwrap();
    assert_close(
        &format!("{name} infer"),
        l.forward(&x).as_slice(),
        fx.get("y"),
        1e-4,
    );
}

#[test]
fn grouped_matches_pytorch() {
    parity::<Shape3<U4, U5, U7>, Conv2d<U4, U6, U3, U1, U1, U1, Bias, U2>>("grouped_g2");
    parity::<Shape3<U8, U7, U6>, Conv2d<U8, U4, U3, U2, U1, U1, Bias, U4>>("grouped_g4_s2");
    parity::<Shape3<U4, U9, U8>, Conv2d<U4, U4, U3, U1, U2, U2, NoBias, U2>>(
        "grouped_g2_d2_nobias",
    );
}

#[test]
fn depthwise_matches_pytorch() {
    parity::<Shape3<U3, U5, U7>, Conv2d<U3, U3, U3, U1, U1, U1, Bias, U3>>("dw_m1_p1");
    parity::<Shape3<U3, U7, U8>, Conv2d<U3, U6, U3, U2, U1, U1, Bias, U3>>("dw_m2_s2p1");
    parity::<Shape3<U4, U9, U8>, Conv2d<U4, U4, U3, U1, U2, U2, Bias, U4>>("dw_m1_d2");
    parity::<Shape3<U2, U9, U11>, Conv2d<U2, U4, U3, U2, U1, U2, NoBias, U2>>("dw_m2_s2d2_nobias");
    parity::<Shape3<U2, U7, U9>, Conv2d<U2, U2, U5, U1, U0, U1, Bias, U2>>("dw_k5");
    parity::<Shape3<U5, U9, U10>, Conv2d<U5, U5, U3, U2, U0, U1, Bias, U5>>("dw_m1_s2_p0");
}

#[test]
fn grouped_gradients() {
    // groups 2, stride 1 padding 1 (shifted windows), odd sizes
    check_layer_grads::<Shape3<U4, U5, U7>, _>(
        &mut *new_boxed::<Conv2d<U4, U6, U3, U1, U1, U1, Bias, U2>>(21),
        2,
        21,
    );
    // groups 3, stride 2 (im2col bands), no bias
    check_layer_grads::<Shape3<U6, U7, U6>, _>(
        &mut *new_boxed::<Conv2d<U6, U3, U3, U2, U1, U1, NoBias, U3>>(22),
        3,
        22,
    );
}

#[test]
fn depthwise_gradients() {
    // multiplier 1, stride 1, padding 1
    check_layer_grads::<Shape3<U3, U6, U7>, _>(
        &mut *new_boxed::<Conv2d<U3, U3, U3, U1, U1, U1, Bias, U3>>(31),
        2,
        31,
    );
    // multiplier 2, stride 2, padding 1, odd sizes
    check_layer_grads::<Shape3<U2, U7, U9>, _>(
        &mut *new_boxed::<Conv2d<U2, U4, U3, U2, U1, U1, Bias, U2>>(32),
        3,
        32,
    );
    // multiplier 3, dilation 2, padding 2, no bias
    check_layer_grads::<Shape3<U2, U8, U7>, _>(
        &mut *new_boxed::<Conv2d<U2, U6, U3, U1, U2, U2, NoBias, U2>>(33),
        2,
        33,
    );
    // a row wider than the kernel's vector tile (interior and both borders), stride 1 and 2
    check_layer_grads::<Shape3<U2, U5, U41>, _>(
        &mut *new_boxed::<Conv2d<U2, U2, U3, U1, U1, U1, Bias, U2>>(34),
        1,
        34,
    );
    check_layer_grads::<Shape3<U2, U5, U41>, _>(
        &mut *new_boxed::<Conv2d<U2, U2, U3, U2, U1, U1, Bias, U2>>(35),
        1,
        35,
    );
}

#[test]
fn weight_and_parameter_counts_follow_the_groups() {
    type G2 = Conv2d<U4, U6, U3, U1, U1, U1, Bias, U2>;
    type Dw = Conv2d<U64, U64, U3, U1, U1, U1, Bias, U64>;
    assert_eq!(<G2 as Module>::PARAMS, 6 * 2 * 9 + 6);
    assert_eq!(<Dw as Module>::PARAMS, 64 * 9 + 64);
    assert_eq!(new_boxed::<Dw>(0).weight.len(), 64 * 9);
    // the default is one group: existing spellings are unchanged
    fn same<T>(_: PhantomData<T>, _: PhantomData<T>) {}
    same(
        PhantomData::<Conv2d<U3, U4, U3>>,
        PhantomData::<Conv2d<U3, U4, U3, U1, U0, U1, Bias, U1>>,
    );
    // PyTorch's bound: 1/√((I/G)·K·K)
    let l = new_boxed::<G2>(3);
    let b = 1.0 / (2.0f32 * 9.0).sqrt();
    assert!(l.weight.iter().all(|w| w.abs() <= b));
    assert!(l
        .weight
        .iter()
        .any(|w| w.abs() > 1.0 / (4.0f32 * 9.0).sqrt()));
}

#[test]
fn a_grouped_batch_split_across_threads_gives_the_same_bits() {
    fn run<L: crate::layer::Train<Shape3<U4, U16, U16>, Grad = L>>(l: &mut L) {
        let mut r = crate::rng::Rng::new(9);
        let xn = 8 * 4 * 256;
        let x: std::vec::Vec<f32> = (0..xn).map(|_| r.normal()).collect();
        let yn = 8 * <L::Out as Shape>::NUMEL;
        let dy: std::vec::Vec<f32> = (0..yn).map(|_| r.normal()).collect();
        let before = crate::kernels::par::threads();
        let mut go = |t| {
            crate::kernels::par::set_threads(t);
            let (y, dx, g) = run_train::<Shape3<U4, U16, U16>, _>(l, &x, &dy);
            let mut gs = std::vec::Vec::new();
            l.visit_with_grad(&g, &mut |_, gr| gs.extend_from_slice(gr));
            (y, dx, gs)
        };
        let one = go(1);
        let two = go(2);
        crate::kernels::par::set_threads(before);
        assert_eq!(one, two);
    }
    run(&mut *new_boxed::<Conv2d<U4, U8, U3, U1, U1, U1, Bias, U2>>(
        8,
    ));
    run(&mut *new_boxed::<Conv2d<U4, U8, U3, U1, U1, U1, Bias, U4>>(
        9,
    ));
}

//! Buffers (BatchNorm's running statistics) are visited by `Module::visit_buffers` through every
//! container (`Seq`, tuples, `Network`, `Residual`, `Concat`) and every `network!` struct, in
//! the order of `Module::visit`, and writing them through `visit_buffers_mut` changes inference.
use dl::consts::*;
use dl::rng::Rng;
use dl::*;

network! {
    /// BatchNorm in the chain, in a residual branch and shortcut, and in a concat branch.
    pub struct Bufs: [3, 6, 6] {
        Conv2d(3, 4, 3, pad = 1), BatchNorm2d(4), ReLU,
        residual {
            Conv2d(4, 5, 3, pad = 1), BatchNorm2d(5), ReLU,
        } shortcut {
            Conv2d(4, 5, 1), BatchNorm2d(5),
        },
        concat {
            { Conv2d(5, 2, 1), BatchNorm2d(2) },
            { Conv2d(5, 3, 1) },
        },
        Flatten,
        Linear(180, 7), BatchNorm1d(7),
    }
}

type Hand = Network<
    Shape3<U3, U6, U6>,
    Seq![
        Conv2d<U3, U4, U3, U1, U1>,
        BatchNorm2d<U4>,
        ReLU,
        Residual<Seq![Conv2d<U4, U5, U3, U1, U1>, BatchNorm2d<U5>, ReLU], Seq![Conv2d<U4, U5, U1>, BatchNorm2d<U5>]>,
        Concat<Seq![Conv2d<U5, U2, U1>, BatchNorm2d<U2>], Conv2d<U5, U3, U1>>,
        Flatten,
        Linear<U180, U7>,
        BatchNorm1d<U7>,
    ],
>;

/// Lengths of the visited buffers, in order.
fn buffer_lens<M: Module>(m: &M) -> Vec<usize> {
    let mut v = Vec::new();
    m.visit_buffers(&mut |b| v.push(b.len()));
    v
}

/// `[running_mean, running_var]` lengths of BatchNorms with these channel counts.
fn expected(channels: &[usize]) -> Vec<usize> {
    channels.iter().flat_map(|&c| [c, c]).collect()
}

#[test]
fn buffers_visited_through_every_container_in_visit_order() {
    let want = expected(&[4, 5, 5, 2, 7]);
    assert_eq!(buffer_lens(&*Bufs::new(1)), want);
    assert_eq!(buffer_lens(&*Hand::new(1)), want);
    // A tuple (the gradient pairs of `Seq`) forwards too.
    let pair = (
        *zeroed_box::<BatchNorm1d<U3>>(),
        *zeroed_box::<BatchNorm2d<U2>>(),
    );
    assert_eq!(buffer_lens(&pair), expected(&[3, 2]));
    // Layers without buffers visit none.
    assert!(buffer_lens(&*zeroed_box::<Linear<U3, U2>>()).is_empty());
}

#[test]
fn buffers_are_running_mean_then_var_and_reach_inference() {
    let mut net = Bufs::new(2);
    // init: running_mean 0, running_var 1.
    let mut vals = Vec::new();
    net.visit_buffers(&mut |b| vals.push(b.to_vec()));
    for (i, b) in vals.iter().enumerate() {
        let want = if i % 2 == 0 { 0.0 } else { 1.0 };
        assert!(b.iter().all(|&v| v == want), "buffer {i}: {b:?}");
    }
    let mut r = Rng::new(3);
    let mut x = Tensor::<Shape3<U3, U6, U6>>::zeros();
    x.as_mut_slice()
        .iter_mut()
        .for_each(|v| *v = r.uniform_in(-1.0, 1.0));
    let mut arena = vec![0.0; Bufs::ARENA_LEN];
    let mut y0 = Tensor::<Shape1<U7>>::zeros();
    let mut y1 = Tensor::<Shape1<U7>>::zeros();
    net.infer(x.as_slice(), y0.as_mut_slice(), &mut arena);
    // Changing only the last BatchNorm1d's running mean shifts the output by -mean/sqrt(var+eps).
    let mut k = 0;
    net.visit_buffers_mut(&mut |b| {
        if k == 8 {
            b.fill(0.5);
        }
        k += 1;
    });
    net.infer(x.as_slice(), y1.as_mut_slice(), &mut arena);
    let shift = 0.5 / (1.0f32 + 1e-5).sqrt();
    for (a, b) in y0.as_slice().iter().zip(y1.as_slice()) {
        assert!((a - shift - b).abs() < 1e-5, "{a} - {shift} vs {b}");
    }
}

//! Whole-batch inference (`Layer::forward`: each thread's piece op by op, a product over the
//! piece per convolution or linear layer, Winograd for 3×3 stride-1 convolutions with enough
//! channels) against per-sample `infer`, for `network!` and the same net composed by hand; the
//! same bits on 1 and 2 threads; and `network!`'s max-pooling against the hand `MaxPool2d`
//! on NaNs.
use dl::consts::*;
use dl::kernels::par;
use dl::rng::Rng;
use dl::*;

network! {
    /// LeNet-5.
    pub struct LeNet: [1, 28, 28] {
        Conv2d(1, 6, 5, pad = 2), ReLU, MaxPool2d(2),
        Conv2d(6, 16, 5), ReLU, MaxPool2d(2),
        Flatten, Linear(400, 120), ReLU, Linear(120, 84), ReLU, Linear(84, 10),
    }
}
type LeNetHand = Seq![
    Conv2d<U1, U6, U5, U1, U2>, ReLU, MaxPool2d<U2>,
    Conv2d<U6, U16, U5>, ReLU, MaxPool2d<U2>,
    Flatten, Linear<U400, U120>, ReLU, Linear<U120, U84>, ReLU, Linear<U84, U10>
];

network! {
    /// Winograd-sized 3×3 convolutions, one with a folded batch-norm, and a residual block
    /// (run sample by sample inside the batched chain).
    pub struct Wino: [16, 10, 10] {
        Conv2d(16, 16, 3, pad = 1), ReLU,
        Conv2d(16, 32, 3, pad = 1, bias = false), BatchNorm2d(32), ReLU,
        residual { Conv2d(32, 32, 3, pad = 1), ReLU },
        MaxPool2d(2), Flatten, Linear(800, 7),
    }
}
type WinoHand = Seq![
    Conv2d<U16, U16, U3, U1, U1>, ReLU,
    Conv2d<U16, U32, U3, U1, U1, U1, dl::layers::conv::NoBias>, BatchNorm2d<U32>, ReLU,
    Residual<Seq![Conv2d<U32, U32, U3, U1, U1>, ReLU]>,
    MaxPool2d<U2>, Flatten, Linear<U800, U7>
];

network! {
    /// Max-pooling alone.
    pub struct Pool: [3, 6, 8] { MaxPool2d(2) }
}

fn batch<S: Shape>(n: usize, seed: u64) -> Batch<S> {
    let mut r = Rng::new(seed);
    Batch::from_fn(n, |_| r.uniform_in(-1.0, 1.0))
}

fn per_sample<In: Shape, L: Layer<In>>(l: &L, x: &Batch<In>) -> Vec<f32> {
    let on = <L::Out as Shape>::NUMEL;
    let mut y = vec![0.0; x.len() * on];
    let mut scratch = vec![0.0; L::SCRATCH];
    for i in 0..x.len() {
        l.infer(x.sample(i), &mut y[i * on..][..on], &mut scratch);
    }
    y
}

fn copy_params<A: Module, B: Module>(from: &A, to: &mut B) {
    let mut ps = Vec::new();
    from.visit(&mut |p| ps.push(p.to_vec()));
    let mut it = ps.into_iter();
    to.visit_mut(&mut |p| p.copy_from_slice(&it.next().expect("same parameters")));
}

fn close(what: &str, got: &[f32], want: &[f32], tol: f32) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * (1.0 + w.abs()),
            "{what}[{i}]: {g} against {w}"
        );
    }
}

/// `forward` of both nets against the per-sample `infer` of the hand chain (the old path), and
/// 1 thread against 2 to the bit.
fn check<In: Shape, M, H>(m: &M, h: &H, n: usize, tol: f32)
where
    M: Layer<In> + Sync,
    H: Layer<In, Out = M::Out> + Sync,
{
    let x = batch::<In>(n, 9);
    let want = per_sample(h, &x);
    close("network! infer", &per_sample(m, &x), &want, 1e-5);
    let mut runs = Vec::new();
    for t in [1, 2] {
        par::set_threads(t);
        let (fm, fh) = (m.forward(&x), h.forward(&x));
        close("network! forward", fm.as_slice(), &want, tol);
        close("hand forward", fh.as_slice(), &want, tol);
        runs.push((fm.as_slice().to_vec(), fh.as_slice().to_vec()));
    }
    let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(
        bits(&runs[0].0),
        bits(&runs[1].0),
        "network!: 1 vs 2 threads"
    );
    assert_eq!(bits(&runs[0].1), bits(&runs[1].1), "hand: 1 vs 2 threads");
}

#[test]
fn lenet_batched_forward_matches_per_sample() {
    let h = new_boxed::<LeNetHand>(1);
    let mut m = LeNet::new(2);
    copy_params(&*h, &mut *m);
    check::<Shape3<U1, U28, U28>, _, _>(&*m, &*h, 19, 1e-5);
}

#[test]
fn winograd_batched_forward_matches_per_sample() {
    let mut h = new_boxed::<WinoHand>(3);
    // running statistics away from 0 and 1, so the folding is exercised
    let mut r = Rng::new(4);
    h.visit_buffers_mut(&mut |b| b.iter_mut().for_each(|v| *v = r.uniform_in(0.5, 1.5)));
    let mut m = Wino::new(5);
    copy_params(&*h, &mut *m);
    let mut bufs = Vec::new();
    h.visit_buffers(&mut |b| bufs.push(b.to_vec()));
    let mut it = bufs.into_iter();
    m.visit_buffers_mut(&mut |b| b.copy_from_slice(&it.next().expect("same buffers")));
    for avx512 in [true, false] {
        dl::kernels::gemm::allow_avx512(avx512);
        check::<Shape3<U16, U10, U10>, _, _>(&*m, &*h, 6, 1e-4);
    }
    dl::kernels::gemm::allow_avx512(true);
}

#[test]
fn network_max_pool_propagates_nan_as_the_hand_layer() {
    let h = MaxPool2d::<U2>::default();
    let m = Pool::new(0);
    let mut x = batch::<Shape3<U3, U6, U8>>(3, 6);
    // NaNs of different payloads, some in the same window (the later one wins), next to ±∞
    let s = x.as_mut_slice();
    let (a, b) = (f32::from_bits(0x7fc0_0001), f32::from_bits(0xffc0_0002));
    for (i, v) in [
        (0, a),
        (1, b),
        (9, a),
        (17, f32::INFINITY),
        (18, b),
        (40, f32::NEG_INFINITY),
    ] {
        s[i] = v;
        s[150 + i] = v;
    }
    let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    let (hm, mm) = (per_sample(&h, &x), per_sample(&*m, &x));
    assert!(hm.iter().any(|v| v.is_nan()));
    assert_eq!(
        bits(&mm),
        bits(&hm),
        "network! max-pool against MaxPool2d, NaN payloads"
    );
    assert_eq!(bits(m.forward(&x).as_slice()), bits(&hm), "batched");
}

//! Same seed, same result, whatever the thread count: a backward pass splits a batch into
//! pieces fixed by the batch (`par::partials`), not by the threads, and adds the pieces'
//! partial gradients in piece order, so training with one thread and with two gives the same
//! parameters to the bit. Batched inference splits samples, each computed alone: the same too.
use dl::consts::*;
use dl::kernels::par;
use dl::optim::{Adam, Optimizer};
use dl::*;

network! {
    /// Fused kernels (`network!`): convolutions, BatchNorm, pooling, dropout, linear.
    struct Fused: [1, 16, 16] {
        Conv2d(1, 16, 3, pad = 1), BatchNorm2d(16), ReLU, MaxPool2d(2),
        Conv2d(16, 16, 3, pad = 1), ReLU, MaxPool2d(2),
        Flatten, Dropout(0.2), Linear(256, 64), ReLU, Linear(64, 10),
    }
}

/// The layer types composed by hand: Conv2d and ConvTranspose2d's own backward passes.
type Hand = Network<
    Shape3<U1, U16, U16>,
    Seq![
        Conv2d<U1, U8, U3, U1, U1>, ReLU, ConvTranspose2d<U8, U4, U2, U2>, ReLU,
        MaxPool2d<U4>, Flatten, Linear<U256, U10>,
    ],
>;

fn batch(step: u64) -> (Vec<f32>, Vec<usize>) {
    let mut rng = dl::rng::Rng::new(step);
    let x = (0..64 * 256).map(|_| rng.normal()).collect();
    (x, (0..64).map(|i| (i * 3 + step as usize) % 10).collect())
}

/// Parameters (as bits) after three Adam steps on batches of 64 with `threads` threads.
fn train<In: Shape, N: Train<In, Out = Shape1<U10>> + Module>(
    net: &mut N,
    threads: usize,
) -> Vec<u32> {
    par::set_threads(threads);
    let mut opt = Adam::new(1e-2);
    let mut grad = zeroed_box::<N::Grad>();
    let (mut y, mut dx, mut cache) = (Batch::default(), Batch::default(), Default::default());
    for step in 0..3 {
        let (x, labels) = batch(step);
        let x = Batch::<In>::from_vec(x).unwrap();
        net.forward_train(&x, &mut y, &mut cache);
        let (_, dy) = dl::loss::softmax_cross_entropy(&y, &labels).unwrap();
        grad.zero();
        net.backward(&x, &y, &dy, &mut dx, &mut cache, &mut grad);
        opt.step(net, &grad);
    }
    let mut v = Vec::new();
    net.visit(&mut |p| v.extend(p.iter().map(|f| f.to_bits())));
    net.visit_buffers(&mut |p| v.extend(p.iter().map(|f| f.to_bits())));
    v
}

/// One test (the thread count is global to the process): both kinds of network, 1 vs 2 threads.
#[test]
fn one_and_two_threads_train_to_the_same_bits() {
    // The first convolution's backward really is split (4 pieces at batch 64).
    assert_eq!(par::partials(64, 2 * 16 * 16 * 16 * 9, 16 * 9), par::PARTS);
    let one = train::<Shape3<U1, U16, U16>, _>(&mut *Fused::new(7), 1);
    let two = train::<Shape3<U1, U16, U16>, _>(&mut *Fused::new(7), 2);
    assert_eq!(one.len(), two.len());
    assert!(
        one == two,
        "network!: parameters differ between 1 and 2 threads"
    );

    let one = train::<Shape3<U1, U16, U16>, _>(&mut *Hand::new(7), 1);
    let two = train::<Shape3<U1, U16, U16>, _>(&mut *Hand::new(7), 2);
    assert!(
        one == two,
        "composed layers: parameters differ between 1 and 2 threads"
    );

    // Batched inference: split across both threads at batch 64, the same bits as one thread.
    type In16 = Shape3<U1, U16, U16>;
    par::set_threads(2);
    let work = par::infer_work(256, 10, <Fused as Layer<In16>>::SCRATCH);
    assert_eq!(par::pieces(64, work), 2);
    let (x, _) = batch(9);
    let x = Batch::<In16>::from_vec(x).unwrap();
    let (fused, hand) = (Fused::new(3), Hand::new(3));
    let bits =
        |b: Batch<Shape1<U10>>| -> Vec<u32> { b.as_slice().iter().map(|v| v.to_bits()).collect() };
    let two = (bits(fused.forward(&x)), bits(hand.forward(&x)));
    par::set_threads(1);
    let one = (bits(fused.forward(&x)), bits(hand.forward(&x)));
    assert!(
        one.0 == two.0,
        "network!: inference differs between 1 and 2 threads"
    );
    assert!(
        one.1 == two.1,
        "composed layers: inference differs between 1 and 2 threads"
    );
    let mut y1 = [0.0f32; 10];
    let mut scr = vec![0.0; <Fused as Layer<In16>>::SCRATCH];
    fused.infer(x.sample(63), &mut y1, &mut scr);
    // `forward` runs whole-batch kernels (one product over the batch per Linear), `infer` one
    // sample's: the same sums in another order, so close, not the same bits
    for (a, b) in y1.iter().zip(&one.0[630..]) {
        let b = f32::from_bits(*b);
        assert!(
            (a - b).abs() <= 1e-5 * (1.0 + b.abs()),
            "infer {a} against forward {b}"
        );
    }
}

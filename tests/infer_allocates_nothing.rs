//! Every layer's inference (`Layer::infer`) runs without touching the allocator: a counting
//! global allocator sees zero allocations during the calls.
use dl::consts::*;
use dl::*;
#[path = "common/counting.rs"]
mod counting;
use counting::ALLOCS;
use std::sync::atomic::Ordering;

/// Runs `infer` on a random sample with exactly `SCRATCH` scratch; returns allocations made.
fn allocations<In: Shape, L: Layer<In> + Module + Zeroable>(seed: u64) -> usize {
    let layer = new_boxed::<Network<In, L>>(seed);
    let mut rng = rng::Rng::new(seed);
    let x: Vec<f32> = (0..In::NUMEL).map(|_| rng.normal()).collect();
    let mut y = vec![0.0f32; <L::Out as Shape>::NUMEL];
    let mut scratch = vec![f32::NAN; L::SCRATCH];
    let before = ALLOCS.load(Ordering::SeqCst);
    layer.layers.infer(&x, &mut y, &mut scratch);
    let n = ALLOCS.load(Ordering::SeqCst) - before;
    assert!(
        y.iter().all(|v| v.is_finite()),
        "{}: non-finite output",
        std::any::type_name::<L>()
    );
    n
}

#[test]
fn no_layer_allocates_during_inference() {
    type Img = Shape3<U3, U9, U8>;
    let counts = [
        allocations::<Img, Conv2d<U3, U4, U3, U2, U1, U2>>(1),
        allocations::<Img, ConvTranspose2d<U3, U2, U4, U2, U1>>(2),
        allocations::<Shape1<U12>, Linear<U12, U5>>(3),
        allocations::<Img, ReLU>(4),
        allocations::<Img, Sigmoid>(5),
        allocations::<Img, Tanh>(6),
        allocations::<Img, LeakyReLU>(7),
        allocations::<Img, MaxPool2d<U3, U2, U1>>(8),
        allocations::<Img, AvgPool2d<U2>>(9),
        allocations::<Img, GlobalAvgPool2d>(10),
        allocations::<Shape1<U12>, Maxout<U3>>(11),
        allocations::<Img, Upsample<U2>>(12),
        allocations::<Img, Upsample<U3, Bilinear>>(13),
        allocations::<Img, Crop<U5, U4, U2, U1>>(14),
        allocations::<Img, BatchNorm2d<U3>>(15),
        allocations::<Shape1<U12>, BatchNorm1d<U12>>(16),
        allocations::<Img, LocalResponseNorm<U3>>(17),
        allocations::<Img, Dropout>(18),
        allocations::<Shape1<U12>, Softmax>(19),
        allocations::<Img, Softmax>(20),
        allocations::<Img, Flatten>(21),
        allocations::<Img, Residual<Seq![Conv2d<U3, U3, U3, U1, U1>, ReLU]>>(22),
        allocations::<Img, Residual<Conv2d<U3, U4, U3, U2, U1>, Conv2d<U3, U4, U1, U2>>>(23),
        allocations::<Img, Concat<Conv2d<U3, U2, U1>, Concat<Identity, MaxPool2d<U3, U1, U1>>>>(24),
        allocations::<
            Shape3<U1, U28, U28>,
            Seq![
                Conv2d<U1, U6, U5, U1, U2>, ReLU, MaxPool2d<U2>,
                Conv2d<U6, U16, U5>, ReLU, MaxPool2d<U2>,
                Flatten, Linear<U400, U120>, ReLU, Linear<U120, U84>, ReLU, Linear<U84, U10>,
            ],
        >(25),
    ];
    assert_eq!(counts, [0; 25]);
}

//! Compile-time resource facts of `network!` nets against independent counts, the arena the
//! inference actually touches, and allocations counted by a global allocator.
use dl::consts::*;
use dl::rng::Rng;
use dl::*;
#[path = "common/counting.rs"]
mod counting;
use counting::ALLOCS;
use std::sync::atomic::Ordering;
/// Tests in this file run one at a time so the counter sees only the measured code.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

network! {
    /// LeNet-5 (ReLU, max-pooling variant), read aloud: a 32×32 grey image; a 5×5 convolution
    /// to 6 maps, ReLU, 2×2 max-pool; 5×5 to 16 maps, ReLU, pool; flatten; 120, 84, 10.
    pub struct LeNet5: [1, 32, 32] {
        Conv2d(1, 6, 5), ReLU,
        MaxPool2d(2),
        Conv2d(6, 16, 5), ReLU,
        MaxPool2d(2),
        Flatten,
        Linear(400, 120), ReLU,
        Linear(120, 84), ReLU,
        Linear(84, 10),
    }
}
const _: () = assert!(LeNet5::ARENA_BYTES <= 64 * 1024);

#[test]
fn lenet5_consts_match_independent_counts() {
    // Independent counts: weights + biases of each layer.
    let params =
        (6 * 25 + 6) + (16 * 6 * 25 + 16) + (400 * 120 + 120) + (120 * 84 + 84) + (84 * 10 + 10);
    assert_eq!(params, 61_706);
    assert_eq!(LeNet5::PARAMS, 61_706);
    assert_eq!(<LeNet5 as Module>::PARAMS, 61_706);
    let mut visited = 0;
    LeNet5::new(0).visit(&mut |p| visited += p.len());
    assert_eq!(visited, 61_706);
    // MACs: 6·28·28·25 + 16·10·10·150 + 400·120 + 120·84 + 84·10.
    assert_eq!(LeNet5::MACS, 117_600 + 240_000 + 48_000 + 10_080 + 840);
    assert_eq!(LeNet5::WEIGHT_BYTES, 61_706 * 4);
    // Arena: the largest of (conv1 out + its padded input and wide output, the stride-1
    // shifted-window scratch: 1·32·32 + 4 tail, 6·28 rows of 32), (conv1 out + pool1 out),
    // (pool1 out + conv2 out + its scratch: 6·14·14 + 4, 16·10 rows of 14), (conv2 out + pool2
    // out), (pool2 out + flatten out), …
    let a = [
        4704 + (32 * 32 + 4) + 6 * 28 * 32,
        4704 + 1176,
        1176 + 1600 + (6 * 14 * 14 + 4) + 16 * 10 * 14,
        1600 + 400,
        400 + 400,
        400 + 120,
        120 + 84,
        84,
    ];
    assert_eq!(LeNet5::ARENA_LEN, *a.iter().max().unwrap());
    println!("{}", LeNet5::summary());
}

network! {
    /// BatchNorm's running statistics are stored weights; Dropout's random generator is state.
    pub struct BnDrop: [3, 8, 8] {
        Conv2d(3, 4, 3, pad = 1, bias = false), BatchNorm2d, ReLU,
        Flatten, Dropout(0.5),
        Linear(256, 5), BatchNorm1d,
    }
}

#[test]
fn weight_bytes_is_the_raw_file_length_struct_bytes_the_struct() {
    let params = 4 * 3 * 9 + 2 * 4 + 256 * 5 + 5 + 2 * 5;
    let buffers = 2 * 4 + 2 * 5;
    assert_eq!(BnDrop::PARAMS, params);
    assert_eq!(BnDrop::WEIGHT_BYTES, 4 * (params + buffers));
    let net = BnDrop::new(0);
    assert_eq!(io::raw_len(&*net), BnDrop::WEIGHT_BYTES);
    assert_eq!(BnDrop::STRUCT_BYTES, std::mem::size_of::<BnDrop>());
    const {
        assert!(
            BnDrop::STRUCT_BYTES > BnDrop::WEIGHT_BYTES,
            "the Dropout's state is in the struct"
        )
    };
    // A file of exactly WEIGHT_BYTES loads; one byte less is refused.
    let mut bytes = vec![0u8; BnDrop::WEIGHT_BYTES];
    io::write_raw(&*net, &mut bytes).unwrap();
    let mut other = BnDrop::new(1);
    io::load_raw(&bytes, &mut *other).unwrap();
    assert!(io::load_raw(&bytes[1..], &mut *other).is_err());
}

#[test]
fn a_network_struct_is_viewed_in_place_from_its_image() {
    let _g = SERIAL.lock();
    let mut net = BnDrop::new(2);
    net.bn1.running_var[2] = 2.5;
    let img = io::image(&*net);
    assert_eq!(img.len(), BnDrop::STRUCT_BYTES);
    // 4-aligned storage for the image, as `io::Aligned` gives `include_bytes!` data.
    let mut store = vec![0.0f32; img.len() / 4];
    // SAFETY: `store` holds exactly `img.len()` bytes.
    let bytes: &mut [u8] =
        unsafe { std::slice::from_raw_parts_mut(store.as_mut_ptr().cast(), img.len()) };
    bytes.copy_from_slice(img);
    let viewed: &BnDrop = io::view(bytes).unwrap();
    let x: Vec<f32> = (0..3 * 64).map(|i| (i as f32 * 0.1).cos()).collect();
    let (mut a, mut b) = (vec![0.0; 5], vec![0.0; 5]);
    let mut arena = vec![0.0; BnDrop::ARENA_LEN];
    net.infer(&x, &mut a, &mut arena);
    viewed.infer(&x, &mut b, &mut arena);
    assert_eq!(a, b);
    assert!(io::view::<BnDrop>(&bytes[4..]).is_err());
}

/// Fills the arena with a sentinel, runs inference, and finds how much was written.
fn touched<L: Layer<In>, In: Shape>(l: &L, len: usize) -> usize {
    const SENTINEL: u32 = 0x7fc0_dead;
    let mut arena = vec![f32::from_bits(SENTINEL); len + 1024];
    let mut r = Rng::new(3);
    let x: Vec<f32> = (0..In::NUMEL).map(|_| r.uniform_in(-1.0, 1.0)).collect();
    let mut y = vec![0.0; <L::Out as Shape>::NUMEL];
    l.infer(&x, &mut y, &mut arena[..len]);
    assert!(arena[len..].iter().all(|v| v.to_bits() == SENTINEL));
    arena[..len]
        .iter()
        .filter(|v| v.to_bits() != SENTINEL)
        .count()
}

network! {
    /// Every block kind, to measure the arena.
    pub struct Blocks: [3, 12, 12] {
        Conv2d(3, 8, 3, pad = 1), ReLU,
        tap t,
        residual { Conv2d(8, 8, 3, pad = 1), ReLU, Conv2d(8, 8, 3, pad = 1) } shortcut { Conv2d(8, 8, 1) },
        ReLU,
        concat { { Conv2d(8, 4, 1) }, { MaxPool2d(3, stride = 1, pad = 1), Conv2d(8, 4, 3, pad = 1) } },
        MaxPool2d(2),
        ConvTranspose2d(8, 8, 2, stride = 2),
        skip(t) { Conv2d(8, 8, 1) },
        Flatten,
        Linear(1152, 4),
    }
}

#[test]
fn inference_touches_exactly_the_arena() {
    let _s = SERIAL.lock();
    // The arena is the same on every CPU; the matrix-product path (no AVX-512) uses all of it.
    // Under AVX-512 the direct convolution kernels write straight into the output and leave the
    // wide product's scratch untouched (`touched` checks nothing past the arena either way).
    dl::kernels::gemm::allow_avx512(false);
    let lenet = LeNet5::new(1);
    let blocks = Blocks::new(1);
    let product = (
        touched(&*lenet, LeNet5::ARENA_LEN),
        touched(&*blocks, Blocks::ARENA_LEN),
    );
    dl::kernels::gemm::allow_avx512(true);
    assert_eq!(product, (LeNet5::ARENA_LEN, Blocks::ARENA_LEN));
    // the default kernels (AVX-512 where the CPU has it) stay inside the arena too
    touched(&*lenet, LeNet5::ARENA_LEN);
    touched(&*blocks, Blocks::ARENA_LEN);
}

#[test]
fn batch1_inference_and_steady_training_allocate_nothing() {
    let _s = SERIAL.lock();
    // Two threads and a batch of 64, so dl-core's layers split the batch over the persistent
    // thread pool: handing work to the pool must not allocate either.
    dl::kernels::par::set_threads(2);
    let mut net = LeNet5::new(2);
    let x = Batch::<Shape3<U1, U32, U32>>::from_fn(64, |i| ((i * 7) % 13) as f32 / 13.0);
    let mut arena = vec![0.0f32; LeNet5::ARENA_LEN];
    let mut y = vec![0.0f32; 10];
    let before = ALLOCS.load(Ordering::SeqCst);
    net.infer(x.sample(0), &mut y, &mut arena);
    assert_eq!(
        ALLOCS.load(Ordering::SeqCst) - before,
        0,
        "batch-1 inference allocated"
    );

    let dy = Batch::<Shape1<U10>>::from_fn(64, |i| (i % 5) as f32 * 0.1);
    let mut out = Batch::zeros(0);
    let mut dx = Batch::zeros(0);
    let mut cache = Default::default();
    let mut g = zeroed_box::<<LeNet5 as Train<_>>::Grad>();
    let mut step = |net: &mut LeNet5| {
        g.zero();
        net.forward_train(&x, &mut out, &mut cache);
        net.backward(&x, &out, &dy, &mut dx, &mut cache, &mut g);
        net.visit_with_grad(&g, &mut |p, gr| {
            for (a, b) in p.iter_mut().zip(gr) {
                *a -= 0.01 * b;
            }
        });
    };
    step(&mut net);
    let before = ALLOCS.load(Ordering::SeqCst);
    for _ in 0..3 {
        step(&mut net);
    }
    let n = ALLOCS.load(Ordering::SeqCst) - before;
    assert_eq!(n, 0, "steady-state training steps allocated {n} times");
}

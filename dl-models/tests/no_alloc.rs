//! Every dl-models network runs inference (`Layer::infer`, batch 1) without touching the
//! allocator: a counting global allocator sees zero allocations during the call, and the output
//! is finite. The network, the input, the output and a scratch of exactly `SCRATCH` floats are
//! all allocated before counting starts; nothing is warmed up first.
//!
//! The arena is exact: `infer` runs with `SCRATCH` floats, and one float fewer is refused (the
//! call panics on a slice bound inside the generated code before finishing; it is a caller
//! error, documented on `Layer::infer` as "`scratch` has at least `SCRATCH` elements").
//!
//! Each model runs at its smallest input (`ResNet18<U32>`, `Fcn8s<U32>`, …; AlexNet-LRN only
//! exists at 227), and AlexNet, GoogLeNet and ResNet-18 also at 224; VGG-16, ResNet-152 and
//! FCN-8s at 224 are `--ignored` (seconds each). `examples/memory.rs` prints the same `SCRATCH`
//! figures in bytes. Allocations are counted per thread (inference is single-threaded), so the
//! test harness's own allocations on other threads do not count and tests may run in parallel;
//! the big models still take `BIG` one at a time to bound memory.
use dl_core::consts::*;
use dl_core::rng::Rng;
use dl_core::{new_boxed, Layer, Module, Shape, Shape1, Shape3, Zeroable};
use dl_models::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;

struct Counting;
std::thread_local! {
    /// Allocations (and reallocations) made by this thread. Const-initialised and without a
    /// destructor, so reading it never allocates.
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}
fn count() {
    let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
}
fn allocs() -> usize {
    ALLOCS.with(|c| c.get())
}
// SAFETY: forwards to the system allocator, counting calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc_zeroed(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(p, l, n) }
    }
}
#[global_allocator]
static A: Counting = Counting;

/// Models of hundreds of MB run one at a time.
static BIG: Mutex<()> = Mutex::new(());

/// Builds `N` on the heap, runs one `infer` on a random input with exactly `N::SCRATCH`
/// scratch, and asserts zero allocations during the call and a finite output; then checks
/// that a scratch one float shorter is refused (the call panics).
fn no_alloc<In: Shape, N: Layer<In> + Module + Zeroable>(name: &str, seed: u64) {
    let net = new_boxed::<N>(seed);
    let mut rng = Rng::new(seed);
    let x: Vec<f32> = (0..In::NUMEL).map(|_| rng.uniform_in(-1.0, 1.0)).collect();
    let mut y = vec![f32::NAN; <N::Out as Shape>::NUMEL];
    let mut scratch = vec![f32::NAN; N::SCRATCH];

    let (before, t) = (allocs(), std::time::Instant::now());
    net.infer(&x, &mut y, &mut scratch);
    let (n, t) = (allocs() - before, t.elapsed());
    println!(
        "{name}: SCRATCH {} floats, infer {:.3} s",
        N::SCRATCH,
        t.as_secs_f64()
    );

    assert_eq!(n, 0, "{name}: {n} allocations during infer");
    assert!(y.iter().all(|v| v.is_finite()), "{name}: non-finite output");
    if N::SCRATCH > 0 {
        let mut y2 = vec![0.0f32; y.len()];
        let r = catch_unwind(AssertUnwindSafe(|| {
            net.infer(&x, &mut y2, &mut scratch[..N::SCRATCH - 1])
        }));
        assert!(
            r.is_err(),
            "{name}: infer accepted a scratch of SCRATCH - 1 floats"
        );
    }
}

type Img<C, H> = Shape3<C, H, H>;

/// One test per model: `$ty` at input `$in`, `$big` takes the `BIG` lock.
macro_rules! no_alloc_test {
    ($test:ident, $ty:ty, $in:ty, $seed:expr, big = $big:expr $(, $ignore:meta)?) => {
        #[test]
        $(#[$ignore])?
        fn $test() {
            let _g = if $big { Some(BIG.lock().unwrap_or_else(|e| e.into_inner())) } else { None };
            no_alloc::<$in, $ty>(stringify!($ty), $seed);
        }
    };
}

no_alloc_test!(mlp, Mlp, Shape1<U3>, 1, big = false);
no_alloc_test!(lenet5, LeNet5, Img<U1, U32>, 2, big = false);
no_alloc_test!(alexnet_63, AlexNet<U63>, Img<U3, U63>, 3, big = true);
no_alloc_test!(alexnet_lrn_227, AlexNetLrn, Img<U3, U227>, 4, big = true);
no_alloc_test!(nin_32, Nin<U32>, Img<U3, U32>, 5, big = false);
no_alloc_test!(vgg11_32, Vgg11<U32>, Img<U3, U32>, 6, big = true);
no_alloc_test!(vgg16_32, Vgg16<U32>, Img<U3, U32>, 7, big = true);
no_alloc_test!(googlenet_32, GoogLeNet<U32>, Img<U3, U32>, 8, big = true);
no_alloc_test!(resnet18_32, ResNet18<U32>, Img<U3, U32>, 9, big = true);
no_alloc_test!(resnet34_32, ResNet34<U32>, Img<U3, U32>, 10, big = true);
no_alloc_test!(resnet50_32, ResNet50<U32>, Img<U3, U32>, 11, big = true);
no_alloc_test!(resnet101_32, ResNet101<U32>, Img<U3, U32>, 12, big = true);
no_alloc_test!(resnet152_32, ResNet152<U32>, Img<U3, U32>, 13, big = true);
no_alloc_test!(fcn32s_32, Fcn32s<U32>, Img<U3, U32>, 14, big = true);
no_alloc_test!(fcn16s_32, Fcn16s<U32>, Img<U3, U32>, 15, big = true);
no_alloc_test!(fcn8s_32, Fcn8s<U32>, Img<U3, U32>, 16, big = true);
no_alloc_test!(context_32, Context<U32>, Img<U21, U32>, 17, big = false);
no_alloc_test!(ad01, Ad01, Shape1<U640>, 18, big = false);
no_alloc_test!(ic01, Ic01, Img<U3, U32>, 19, big = false);
no_alloc_test!(kws01, Kws01, Shape3<U1, U49, U10>, 26, big = false);
no_alloc_test!(vww01, Vww01, Img<U3, U96>, 27, big = false);

// ImageNet sizes. ResNet-18 at 224 is the figure the README quotes (`examples/memory.rs`);
// these three take well under a second each. The slower ones are `--ignored`.
no_alloc_test!(alexnet_224, AlexNet<U224>, Img<U3, U224>, 20, big = true);
no_alloc_test!(googlenet_224, GoogLeNet<U224>, Img<U3, U224>, 22, big = true);
no_alloc_test!(resnet18_224, ResNet18<U224>, Img<U3, U224>, 23, big = true);
no_alloc_test!(vgg16_224, Vgg16<U224>, Img<U3, U224>, 21, big = true, ignore = "~5 s at 224×224");
no_alloc_test!(resnet152_224, ResNet152<U224>, Img<U3, U224>, 24, big = true, ignore = "~3 s at 224×224");
no_alloc_test!(fcn8s_224, Fcn8s<U224>, Img<U3, U224>, 25, big = true, ignore = "~20 s at 224×224");

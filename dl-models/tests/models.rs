//! Every model: parameter count (const and visited), a forward pass, training steps whose loss
//! is finite and decreases on a repeated mini-batch. Big models at their smallest input, batch
//! 1 forward / batch 2 training, one at a time (`common::BIG`).
mod common;
use common::*;
use dl_core::consts::*;
use dl_core::{Batch, Layer, Module, Shape1, Shape3};
use dl_models::fcn::BilinearUpsampling;
use dl_models::*;

#[test]
fn mlp_count_forward_train() {
    assert_eq!(visited(&*Mlp::new(0)), 353);
    let mut net = Mlp::new(1);
    forward::<Shape1<U3>, _>(&*net, 4);
    let x = input::<Shape1<U3>>(16, 2);
    let t = Batch::<Shape1<U1>>::from_fn(16, |i| (i as f32 * 0.37).sin());
    let l = train(&mut *net, &x, 0.5, 30, mse_to(&t));
    assert_decreases("mlp", &l);
}

#[test]
fn lenet5_count_names_forward_train() {
    let net = LeNet5::new(0);
    assert_eq!(visited(&*net), 61_706);
    // PyTorch names in visit order, each with the visited tensor's length.
    let mut lens = Vec::new();
    net.visit(&mut |p| lens.push(p.len()));
    let want: Vec<usize> = lenet::LENET5_STATE_DICT
        .iter()
        .map(|(_, s)| s.iter().product())
        .collect();
    assert_eq!(lens, want);
    let mut net = LeNet5::new(1);
    forward::<Shape3<U1, U32, U32>, _>(&*net, 2);
    let x = input::<Shape3<U1, U32, U32>>(8, 3);
    assert_decreases("lenet5", &train(&mut *net, &x, 0.05, 10, ce));
}

#[test]
fn alexnet_torchvision_count_forward_train() {
    let _g = BIG.lock();
    let mut net = AlexNet::<U63>::new(0);
    assert_eq!(visited(&*net), 61_100_840);
    forward::<Shape3<U3, U63, U63>, _>(&*net, 1);
    let x = input::<Shape3<U3, U63, U63>>(2, 3);
    assert_decreases("alexnet63", &train(&mut *net, &x, 0.01, 3, ce));
}

#[test]
fn alexnet_at_224_forward() {
    let _g = BIG.lock();
    let net = AlexNet::<U224>::new(0);
    forward::<Shape3<U3, U224, U224>, _>(&*net, 1);
}

#[test]
fn alexnet_lrn_count_forward_train() {
    let _g = BIG.lock();
    let mut net = alexnet::AlexNetLrn::paper(0);
    assert_eq!(visited(&*net), 62_378_344);
    assert_eq!(net.lrn1.k, 2.0);
    forward::<Shape3<U3, U227, U227>, _>(&*net, 1);
    let x = input::<Shape3<U3, U227, U227>>(2, 3);
    assert_decreases("alexnet-lrn", &train(&mut *net, &x, 0.01, 3, ce));
}

#[test]
fn nin_count_forward_train() {
    assert_eq!(visited(&*Nin::<U32>::new(0)), 966_986);
    forward::<Shape3<U3, U64, U64>, _>(&*Nin::<U64>::new(0), 1);
    let mut net = Nin::<U32>::new(1);
    forward::<Shape3<U3, U32, U32>, _>(&*net, 2);
    let x = input::<Shape3<U3, U32, U32>>(4, 3);
    assert_decreases("nin", &train(&mut *net, &x, 0.1, 4, ce));
}

#[test]
fn vgg11_count_forward_train() {
    let _g = BIG.lock();
    let mut net = Vgg11::<U32>::new(0);
    assert_eq!(visited(&*net), 132_863_336);
    forward::<Shape3<U3, U32, U32>, _>(&*net, 1);
    let x = input::<Shape3<U3, U32, U32>>(2, 3);
    assert_decreases("vgg11", &train(&mut *net, &x, 0.01, 3, ce));
}

#[test]
fn vgg16_count_forward_train() {
    let _g = BIG.lock();
    let mut net = Vgg16::<U32>::new(0);
    assert_eq!(visited(&*net), 138_357_544);
    forward::<Shape3<U3, U32, U32>, _>(&*net, 1);
    let x = input::<Shape3<U3, U32, U32>>(2, 3);
    assert_decreases("vgg16", &train(&mut *net, &x, 0.01, 3, ce));
}

#[test]
fn googlenet_count_forward_train() {
    let _g = BIG.lock();
    let mut net = GoogLeNet::<U32>::new(0);
    let n = visited(&*net);
    assert_eq!(n, googlenet::GOOGLENET_PARAMS);
    assert_eq!(n, 6_624_904);
    forward::<Shape3<U3, U32, U32>, _>(&*net, 1);
    let x = input::<Shape3<U3, U32, U32>>(2, 3);
    assert_decreases("googlenet", &train(&mut *net, &x, 0.01, 3, ce));
}

/// Count, forward at 32×32, training at 32×32 (batch 2: BatchNorm needs two values per
/// channel on the 1×1 last stage).
macro_rules! resnet_test {
    ($test:ident, $ty:ident, $published:expr) => {
        #[test]
        fn $test() {
            let _g = BIG.lock();
            let mut net = $ty::<U32>::new(0);
            assert_eq!(visited(&*net), $published);
            assert_eq!(<$ty<U32> as Module>::PARAMS, $published);
            forward::<Shape3<U3, U32, U32>, _>(&*net, 1);
            let x = input::<Shape3<U3, U32, U32>>(2, 3);
            assert_decreases(stringify!($ty), &train(&mut *net, &x, 0.01, 3, ce));
        }
    };
}
resnet_test!(
    resnet18_count_forward_train,
    ResNet18,
    resnet::RESNET18_PARAMS
);
resnet_test!(
    resnet34_count_forward_train,
    ResNet34,
    resnet::RESNET34_PARAMS
);
resnet_test!(
    resnet50_count_forward_train,
    ResNet50,
    resnet::RESNET50_PARAMS
);
resnet_test!(
    resnet101_count_forward_train,
    ResNet101,
    resnet::RESNET101_PARAMS
);
resnet_test!(
    resnet152_count_forward_train,
    ResNet152,
    resnet::RESNET152_PARAMS
);

#[test]
fn resnet_published_counts() {
    // torchvision's numbers, written out (the constants above are these).
    assert_eq!(
        [
            resnet::RESNET18_PARAMS,
            resnet::RESNET34_PARAMS,
            resnet::RESNET50_PARAMS,
            resnet::RESNET101_PARAMS,
            resnet::RESNET152_PARAMS
        ],
        [11_689_512, 21_797_672, 25_557_032, 44_549_160, 60_192_808]
    );
}

#[test]
fn resnet18_at_224_forward() {
    let _g = BIG.lock();
    let net = ResNet18::<U224>::new(0);
    let y = forward::<Shape3<U3, U224, U224>, _>(&*net, 1);
    assert_eq!(y.as_slice().len(), 1000);
}

/// The output type of an FCN is `[21, H, H]` for its input `[3, H, H]` (a compile-time check).
macro_rules! same_size {
    ($n:ty, $h:ty) => {{
        fn check<N: Layer<Shape3<U3, $h, $h>, Out = Shape3<U21, $h, $h>>>() {}
        check::<$n>();
    }};
}

#[test]
fn fcn_counts() {
    let _g = BIG.lock();
    assert_eq!(visited(&*Fcn32s::<U32>::new(0)), fcn::FCN32S_PARAMS);
    assert_eq!(visited(&*Fcn16s::<U32>::new(0)), fcn::FCN16S_PARAMS);
    assert_eq!(
        [fcn::FCN32S_PARAMS, fcn::FCN16S_PARAMS, fcn::FCN8S_PARAMS],
        [136_152_917, 134_815_994, 134_489_759]
    );
}

#[test]
fn fcn_output_size_equals_input_size() {
    same_size!(Fcn32s<U32>, U32);
    same_size!(Fcn32s<U64>, U64);
    same_size!(Fcn32s<U224>, U224);
    same_size!(Fcn16s<U32>, U32);
    same_size!(Fcn16s<U64>, U64);
    same_size!(Fcn16s<U224>, U224);
    same_size!(Fcn8s<U32>, U32);
    same_size!(Fcn8s<U64>, U64);
    same_size!(Fcn8s<U224>, U224);
}

#[test]
fn fcn_skip_links_align() {
    // At 224: score 7×7; ×2 → 16×16 = pool4's 26×26 scores cropped by 5; ×2 → 34×34 = pool3's
    // 52×52 scores cropped by 9; ×8 (padding 28) → 224×224.
    let s = fcn::at224::Head8s::summary();
    let shapes: Vec<(&str, &str)> = s.rows.iter().map(|r| (r.layer.trim(), r.shape)).collect();
    let find = |l: &str| {
        shapes
            .iter()
            .filter(|(a, _)| *a == l)
            .map(|(_, s)| *s)
            .collect::<Vec<_>>()
    };
    assert_eq!(find("skip(pool4)"), ["[21, 16, 16]"]);
    assert_eq!(find("skip(pool3)"), ["[21, 34, 34]"]);
    assert_eq!(find("Conv2d(512, 21, 1)"), ["[21, 26, 26]"]);
    assert_eq!(find("Conv2d(256, 21, 1)"), ["[21, 52, 52]"]);
    assert_eq!(find("Conv2d(4096, 21, 1)"), ["[21, 7, 7]"]);
    assert_eq!(
        find("ConvTranspose2d(21, 21, 4, stride=2, bias=false)"),
        ["[21, 16, 16]", "[21, 34, 34]"]
    );
    println!("{s}");
}

// The FCNs pad the image by 97 (the paper: 100), so even a 32×32 input runs VGG-16 on a
// 224×224 map: ~15.5 G MACs a forward pass. Each FCN: its count, a forward pass, and two
// training steps (the second loss below the first) at the smallest input, from the paper's
// bilinear up-convolutions (with PyTorch's default random ones the scores barely reach the loss
// and the change is lost in dropout's noise).
macro_rules! fcn_test {
    ($test:ident, $ty:ident, $params:expr) => {
        #[test]
        fn $test() {
            let _g = BIG.lock();
            let mut net = $ty::<U32>::new(0);
            assert_eq!(visited(&*net), $params);
            let y = forward::<Shape3<U3, U32, U32>, _>(&*net, 1);
            assert_eq!(y.as_slice().len(), 21 * 32 * 32);
            let x = input::<Shape3<U3, U32, U32>>(1, 3);
            net.bilinear_upsampling();
            let losses = train(&mut *net, &x, 0.1, 2, pixel_ce);
            assert_decreases(stringify!($ty), &losses);
            assert!(losses[0] - losses[1] > 1e-3, "a clear decrease: {losses:?}");
        }
    };
}
/// `fcn::bilinear` makes a ×2 up-convolution interpolate: a constant map stays constant
/// (away from the border) and a ramp stays a ramp.
#[test]
fn fcn_bilinear_upsampling_interpolates() {
    use dl_core::layers::conv::NoBias;
    type Up = dl_core::ConvTranspose2d<U2, U2, U4, U2, U1, U1, U0, NoBias>;
    let mut up = dl_core::new_boxed::<Up>(0);
    fcn::bilinear(&mut up.weight, 2, 4);
    // channel 0 constant 3, channel 1 the ramp 0, 1, …, 7 along each row
    let x: Vec<f32> = (0..2 * 64)
        .map(|i| if i < 64 { 3.0 } else { (i % 8) as f32 })
        .collect();
    let mut y = vec![0.0f32; 2 * 16 * 16];
    let mut scratch = vec![0.0; <Up as Layer<Shape3<U2, U8, U8>>>::SCRATCH];
    Layer::<Shape3<U2, U8, U8>>::infer(&*up, &x, &mut y, &mut scratch);
    for r in 1..15 {
        for c in 1..15 {
            assert!(
                (y[r * 16 + c] - 3.0).abs() < 1e-6,
                "constant at ({r}, {c}): {}",
                y[r * 16 + c]
            );
            let ramp = y[256 + r * 16 + c] - y[256 + r * 16 + c - 1];
            assert!(
                c < 2 || (ramp - 0.5).abs() < 1e-6,
                "ramp step at ({r}, {c}): {ramp}"
            );
        }
    }
}

fcn_test!(fcn32s_count_forward_train, Fcn32s, fcn::FCN32S_PARAMS);
fcn_test!(fcn16s_count_forward_train, Fcn16s, fcn::FCN16S_PARAMS);
fcn_test!(fcn8s_count_forward_train, Fcn8s, fcn::FCN8S_PARAMS);

#[test]
fn context_count_forward_train() {
    assert_eq!(visited(&*Context::<U64>::new(0)), 28_392);
    forward::<Shape3<U21, U64, U64>, _>(&*Context::<U64>::new(0), 1);
    forward::<Shape3<U21, U97, U97>, _>(&*Context::<U97>::new(0), 1);
    let mut net = Context::<U32>::new(1);
    let y = forward::<Shape3<U21, U32, U32>, _>(&*net, 2);
    assert_eq!(y.as_slice().len(), 2 * 21 * 32 * 32);
    let x = input::<Shape3<U21, U32, U32>>(2, 3);
    assert_decreases("context", &train(&mut *net, &x, 0.5, 6, pixel_ce));
}

#[test]
fn ad01_count_forward_train() {
    assert_eq!(visited(&*Ad01::new(0)), mlperf::AD01_PARAMS);
    let mut net = Ad01::new(1);
    forward::<Shape1<U640>, _>(&*net, 2);
    // an autoencoder: trained to reproduce its input
    let x = input::<Shape1<U640>>(8, 4);
    assert_decreases("ad01", &train(&mut *net, &x, 0.05, 10, mse_to(&x)));
}

#[test]
fn ic01_count_forward_train() {
    assert_eq!(visited(&*Ic01::new(0)), mlperf::IC01_PARAMS);
    let mut net = Ic01::new(1);
    forward::<Shape3<U3, U32, U32>, _>(&*net, 2);
    // ends in Softmax (as the .tflite does): the loss's own softmax sits on probabilities, and
    // training through both still lowers it
    let x = input::<Shape3<U3, U32, U32>>(4, 5);
    assert_decreases("ic01", &train(&mut *net, &x, 0.1, 6, ce));
}

#[test]
fn kws01_count_forward_train() {
    assert_eq!(visited(&*Kws01::new(0)), mlperf::KWS01_PARAMS);
    let mut net = Kws01::new(1);
    forward::<Shape3<U1, U49, U10>, _>(&*net, 2);
    // ends in Softmax too (see ic01)
    let x = input::<Shape3<U1, U49, U10>>(4, 6);
    assert_decreases("kws01", &train(&mut *net, &x, 0.1, 6, ce));
}

#[test]
fn vww01_count_forward_train() {
    assert_eq!(visited(&*Vww01::new(0)), mlperf::VWW01_PARAMS);
    let mut net = Vww01::new(1);
    forward::<Shape3<U3, U96, U96>, _>(&*net, 2);
    // ends in Softmax too (see ic01)
    let x = input::<Shape3<U3, U96, U96>>(4, 7);
    assert_decreases("vww01", &train(&mut *net, &x, 0.1, 6, ce));
}

/// The PyTorch names line up with the visited tensors (count and length, in order) and the
/// tensors torchvision has add up to its published count.
fn check_names<M: Module>(net: &M, names: &dl_models::names::Names, published: usize) {
    let mut lens = Vec::new();
    net.visit(&mut |p| lens.push(p.len()));
    let want: Vec<usize> = names.0.iter().map(|p| p.shape.iter().product()).collect();
    assert_eq!(lens, want);
    assert_eq!(names.torch_params(), published);
}

#[test]
fn torchvision_names_resnet() {
    let _g = BIG.lock();
    use dl_models::names::resnet;
    check_names(
        &*ResNet18::<U32>::new(0),
        &resnet([2, 2, 2, 2], false),
        11_689_512,
    );
    check_names(
        &*ResNet34::<U32>::new(0),
        &resnet([3, 4, 6, 3], false),
        21_797_672,
    );
    check_names(
        &*ResNet50::<U32>::new(0),
        &resnet([3, 4, 6, 3], true),
        25_557_032,
    );
    check_names(
        &*ResNet101::<U32>::new(0),
        &resnet([3, 4, 23, 3], true),
        44_549_160,
    );
    check_names(
        &*ResNet152::<U32>::new(0),
        &resnet([3, 8, 36, 3], true),
        60_192_808,
    );
    let n = resnet([3, 4, 6, 3], true);
    assert_eq!(n.0[0].name, "conv1.weight");
    assert!(n.0.iter().any(|p| p.name == "layer3.5.bn3.bias"));
    assert!(n
        .0
        .iter()
        .any(|p| p.name == "layer4.0.downsample.0.weight" && p.shape == [2048, 1024, 1, 1]));
    // bias=False: no convolution bias is listed (nor visited: the lengths above line up)
    let biases = n.0.iter().filter(|p| p.name.ends_with(".bias")).count();
    let bns =
        n.0.iter()
            .filter(|p| p.name.ends_with(".weight") && p.shape.len() == 1)
            .count();
    assert_eq!(biases, bns + 1, "only the BatchNorms and fc have a bias");
}

#[test]
fn torchvision_names_vgg_alexnet_googlenet() {
    let _g = BIG.lock();
    use dl_models::names::*;
    check_names(&*Vgg11::<U32>::new(0), &vgg(VGG11_CFG), 132_863_336);
    check_names(&*Vgg16::<U32>::new(0), &vgg(VGG16_CFG), 138_357_544);
    check_names(&*AlexNet::<U63>::new(0), &alexnet(), 61_100_840);
    check_names(&*GoogLeNet::<U32>::new(0), &googlenet(), 6_624_904);
    let v = vgg(VGG16_CFG);
    let convs: Vec<&str> =
        v.0.iter()
            .filter(|p| p.shape.len() == 4)
            .map(|p| p.name.as_str())
            .collect();
    let idx: Vec<String> = vgg::VGG16_FEATURES
        .iter()
        .map(|i| format!("features.{i}.weight"))
        .collect();
    assert_eq!(convs, idx);
}

//! Fully convolutional networks for semantic segmentation (J. Long, E. Shelhamer, T. Darrell,
//! "Fully Convolutional Networks for Semantic Segmentation", CVPR 2015): FCN-32s, FCN-16s and
//! FCN-8s on a VGG-16 backbone, 21 classes (PASCAL VOC).
//!
//! VGG-16's classifier is convolutionalised: fc6 becomes a 7×7 convolution to 4096 maps, fc7 a
//! 1×1 convolution, and a 1×1 `score_fr` gives 21 class maps at 1/32 of the (padded) input.
//! Up-convolutions (`ConvTranspose2d`) bring them back; FCN-16s and -8s first add scores from
//! pool4 and pool3 through skip links, centre-cropped to align (offsets 5 and 9, as in the
//! reference Caffe nets).
//!
//! **Alignment.** As in the paper, the first convolution pads the image generously so the
//! 7×7 fc6 fits on small inputs — here by 97 (the paper: 100), which makes a padded input of
//! `H + 192`, a multiple of 32 whenever `H` is, so every pool halves exactly. With `m = (H +
//! 192)/32` the maps are: pool3 `4m`, pool4 `2m`, pool5 `m`, score `m − 6`; each ×2 up-convolution
//! (kernel 4, stride 2) gives `2(m − 6) + 2 = 2m − 10` and `4m − 18`, so pool4's scores are
//! cropped by 5 and pool3's by 9. The last up-convolution's padding (16, 24, 28) removes the
//! remaining margin — the reference nets' final crop — and the output is `H × H` for every
//! `H` that is a multiple of 32 (smallest: 32, where fc6 sees exactly 7×7).
//!
//! **Built from blocks**: each model is the [`Seq`](struct@dl_core::Seq) chain of shared `network!`
//! blocks ([`at224`] lists them): written as three full `network!` lists per size they cost
//! ~40 s of the release build; sharing the VGG-16 layers cuts that by about 40 %.
//!
//! **Parameter counts** equal the reference nets' exactly (their up-convolutions have
//! `bias_term: false`, here `bias = false`). See [`FCN32S_PARAMS`] and friends.
use dl_core::consts::{U224, U32, U64};

/// VGG-16's 13 convolutions.
pub const VGG16_CONV_PARAMS: usize = 14_714_688;
/// fc6 (7×7, 512 → 4096), fc7 (1×1, 4096 → 4096), score_fr (1×1, 4096 → 21).
pub const FCN_HEAD_PARAMS: usize =
    (512 * 7 * 7 * 4096 + 4096) + (4096 * 4096 + 4096) + (4096 * 21 + 21);
/// The reference FCN-32s: backbone, head, a 64×64 stride-32 up-convolution without bias.
pub const FCN32S_PARAMS: usize = VGG16_CONV_PARAMS + FCN_HEAD_PARAMS + 21 * 21 * 64 * 64;
/// The reference FCN-16s: a 4×4 ×2 up-convolution, score_pool4 (1×1, 512 → 21), a 32×32 ×16
/// up-convolution (up-convolutions without bias).
pub const FCN16S_PARAMS: usize =
    VGG16_CONV_PARAMS + FCN_HEAD_PARAMS + 21 * 21 * 4 * 4 + (512 * 21 + 21) + 21 * 21 * 32 * 32;
/// The reference FCN-8s: two ×2 up-convolutions, score_pool4, score_pool3 (1×1, 256 → 21), a
/// 16×16 ×8 up-convolution (up-convolutions without bias).
pub const FCN8S_PARAMS: usize = VGG16_CONV_PARAMS
    + FCN_HEAD_PARAMS
    + 2 * 21 * 21 * 4 * 4
    + (512 * 21 + 21)
    + (256 * 21 + 21)
    + 21 * 21 * 16 * 16;

/// The paper's initialisation of the up-convolutions: bilinear interpolation, each class's map
/// upsampled on its own (`weight[c][c]` the bilinear kernel, `weight[c][d ≠ c] = 0`), so that
/// before training the scores are interpolated, not mixed. [`Network::new`](dl_core::Network::new)
/// gives PyTorch's default (random) initialisation; call this after it, as the reference
/// implementations do.
pub trait BilinearUpsampling {
    /// Sets every up-convolution of the net to bilinear interpolation.
    fn bilinear_upsampling(&mut self);
}

impl<In: dl_core::Shape, A, B: BilinearUpsampling, const AT_A: usize, const AT_B: usize>
    BilinearUpsampling for dl_core::Network<In, dl_core::Seq<A, B, AT_A, AT_B>>
{
    fn bilinear_upsampling(&mut self) {
        self.layers.1.bilinear_upsampling();
    }
}
impl<A, B: BilinearUpsampling, const AT_A: usize, const AT_B: usize> BilinearUpsampling
    for dl_core::Seq<A, B, AT_A, AT_B>
{
    fn bilinear_upsampling(&mut self) {
        self.1.bilinear_upsampling();
    }
}

/// `weight` (`[c, c, k, k]`) := the bilinear kernel of size `k` on the diagonal, zero elsewhere:
/// `(1 − |i − m|/f)·(1 − |j − m|/f)` with `f = ⌈k/2⌉` and centre `m = f − 1` (odd `k`) or
/// `f − ½` (even `k`).
pub fn bilinear(weight: &mut [f32], c: usize, k: usize) {
    assert_eq!(weight.len(), c * c * k * k, "a [c, c, k, k] weight");
    let f = k.div_ceil(2) as f32;
    let m = if k % 2 == 1 { f - 1.0 } else { f - 0.5 };
    let tap = |i: usize| 1.0 - (i as f32 - m).abs() / f;
    weight.fill(0.0);
    for ch in 0..c {
        let kernel = &mut weight[(ch * c + ch) * k * k..][..k * k];
        for (n, w) in kernel.iter_mut().enumerate() {
            *w = tap(n / k) * tap(n % k);
        }
    }
}

/// The FCNs at input `$h×$h` (`$H` its typenum), pool3 side `$p3`, pool4 side `$p4`, as chains
/// of shared `network!` blocks: the VGG-16 layers up to pool3 are one block for all three
/// variants, conv4 + pool4 one block for FCN-32s and -16s. FCN-8s's skip link from pool3
/// must sit in the same `network!` list as its tap, so its tail starts at pool3.
macro_rules! fcns {
    ($(#$a:tt)* $m:ident, $h:tt, $H:ty, $p3:tt, $p4:tt) => {
        $(#$a)*
        pub mod $m {
            dl_macros::network! {
                /// VGG-16's conv1–conv3 and pools 1–3; the first convolution pads by 97.
                #[network(crate = ::dl_core)]
                pub struct ToPool3: [3, $h, $h] {
                    Conv2d(3, 64, 3, pad = 97), ReLU, Conv2d(64, 64, 3, pad = 1), ReLU, MaxPool2d(2),
                    Conv2d(64, 128, 3, pad = 1), ReLU, Conv2d(128, 128, 3, pad = 1), ReLU, MaxPool2d(2),
                    Conv2d(128, 256, 3, pad = 1), ReLU, Conv2d(256, 256, 3, pad = 1), ReLU,
                    Conv2d(256, 256, 3, pad = 1), ReLU, MaxPool2d(2),
                }
            }
            dl_macros::network! {
                /// VGG-16's conv4 and pool4.
                #[network(crate = ::dl_core)]
                pub struct ToPool4: [256, $p3, $p3] {
                    Conv2d(256, 512, 3, pad = 1), ReLU, Conv2d(512, 512, 3, pad = 1), ReLU,
                    Conv2d(512, 512, 3, pad = 1), ReLU, MaxPool2d(2),
                }
            }
            dl_macros::network! {
                /// FCN-32s after pool4: conv5, pool5, fc6 (7×7), fc7 (1×1), score_fr, ×32.
                #[network(crate = ::dl_core)]
                pub struct Head32s: [512, $p4, $p4] {
                    Conv2d(512, 512, 3, pad = 1), ReLU, Conv2d(512, 512, 3, pad = 1), ReLU,
                    Conv2d(512, 512, 3, pad = 1), ReLU, MaxPool2d(2),
                    Conv2d(512, 4096, 7), ReLU, Dropout(0.5),
                    Conv2d(4096, 4096, 1), ReLU, Dropout(0.5),
                    Conv2d(4096, 21, 1),
                    ConvTranspose2d(21, 21, 64, stride = 32, pad = 16, bias = false),
                }
            }
            dl_macros::network! {
                /// FCN-16s after pool4: … score_fr, ×2, + pool4 scores (centre crop 5), ×16.
                #[network(crate = ::dl_core)]
                pub struct Head16s: [512, $p4, $p4] {
                    tap pool4,
                    Conv2d(512, 512, 3, pad = 1), ReLU, Conv2d(512, 512, 3, pad = 1), ReLU,
                    Conv2d(512, 512, 3, pad = 1), ReLU, MaxPool2d(2),
                    Conv2d(512, 4096, 7), ReLU, Dropout(0.5),
                    Conv2d(4096, 4096, 1), ReLU, Dropout(0.5),
                    Conv2d(4096, 21, 1),
                    ConvTranspose2d(21, 21, 4, stride = 2, bias = false),
                    skip(pool4) { Conv2d(512, 21, 1) },
                    ConvTranspose2d(21, 21, 32, stride = 16, pad = 24, bias = false),
                }
            }
            dl_macros::network! {
                /// FCN-8s after pool3: conv4, pool4, conv5, pool5, fc6, fc7, score_fr, ×2,
                /// + pool4 scores (crop 5), ×2, + pool3 scores (crop 9), ×8.
                #[network(crate = ::dl_core)]
                pub struct Head8s: [256, $p3, $p3] {
                    tap pool3,
                    Conv2d(256, 512, 3, pad = 1), ReLU, Conv2d(512, 512, 3, pad = 1), ReLU,
                    Conv2d(512, 512, 3, pad = 1), ReLU, MaxPool2d(2),
                    tap pool4,
                    Conv2d(512, 512, 3, pad = 1), ReLU, Conv2d(512, 512, 3, pad = 1), ReLU,
                    Conv2d(512, 512, 3, pad = 1), ReLU, MaxPool2d(2),
                    Conv2d(512, 4096, 7), ReLU, Dropout(0.5),
                    Conv2d(4096, 4096, 1), ReLU, Dropout(0.5),
                    Conv2d(4096, 21, 1),
                    ConvTranspose2d(21, 21, 4, stride = 2, bias = false),
                    skip(pool4) { Conv2d(512, 21, 1) },
                    ConvTranspose2d(21, 21, 4, stride = 2, bias = false),
                    skip(pool3) { Conv2d(256, 21, 1) },
                    ConvTranspose2d(21, 21, 16, stride = 8, pad = 28, bias = false),
                }
            }
            impl super::BilinearUpsampling for Head32s {
                fn bilinear_upsampling(&mut self) {
                    super::bilinear(&mut self.deconv1.weight, 21, 64);
                }
            }
            impl super::BilinearUpsampling for Head16s {
                fn bilinear_upsampling(&mut self) {
                    super::bilinear(&mut self.deconv1.weight, 21, 4);
                    super::bilinear(&mut self.deconv2.weight, 21, 32);
                }
            }
            impl super::BilinearUpsampling for Head8s {
                fn bilinear_upsampling(&mut self) {
                    super::bilinear(&mut self.deconv1.weight, 21, 4);
                    super::bilinear(&mut self.deconv2.weight, 21, 4);
                    super::bilinear(&mut self.deconv3.weight, 21, 16);
                }
            }
            type In = dl_core::Shape3<dl_core::consts::U3, $H, $H>;
            /// FCN-32s: output `[21, H, H]`.
            pub type Fcn32s = dl_core::Network<In, dl_core::Seq![ToPool3, ToPool4, Head32s]>;
            /// FCN-16s: output `[21, H, H]`.
            pub type Fcn16s = dl_core::Network<In, dl_core::Seq![ToPool3, ToPool4, Head16s]>;
            /// FCN-8s: output `[21, H, H]`.
            pub type Fcn8s = dl_core::Network<In, dl_core::Seq![ToPool3, Head8s]>;
        }
    };
}

fcns! {
    /// The FCNs on 224×224: padded 416, pool3 52, pool4 26, pool5 13, score 7×7.
    ///
    /// ```text
    /// FCN-32s                            output             params
    /// VGG-16 conv1-5 (pad 97), 5 pools   [512, 13, 13]      14,714,688
    /// fc6 conv 7×7, fc7 conv 1×1         [4096, 7, 7]      119,545,856
    /// score_fr 1×1                       [21, 7, 7]             86,037
    /// upscore ×32 (64, s32, p16)         [21, 224, 224]      1,806,357
    /// total                                                136,152,938
    ///
    /// FCN-16s: … score_fr                [21, 7, 7]        134,346,581
    /// upscore2 (4, s2)                   [21, 16, 16]            7,077
    /// + score_pool4 (1×1), crop 5        [21, 16, 16]           10,773
    /// upscore16 (32, s16, p24)           [21, 224, 224]        451,605
    /// total                                                134,816,036
    ///
    /// FCN-8s: … score_fr                 [21, 7, 7]        134,346,581
    /// upscore2 (4, s2)                   [21, 16, 16]            7,077
    /// + score_pool4 (1×1), crop 5        [21, 16, 16]           10,773
    /// upscore_pool4 (4, s2)              [21, 34, 34]            7,077
    /// + score_pool3 (1×1), crop 9        [21, 34, 34]            5,397
    /// upscore8 (16, s8, p28)             [21, 224, 224]        112,917
    /// total                                                134,489,822
    /// ```
    at224, 224, dl_core::consts::U224, 52, 26
}
fcns! {
    /// The FCNs on 32×32, the smallest input: padded 224, pool3 28, pool4 14, score 1×1.
    at32, 32, dl_core::consts::U32, 28, 14
}
fcns! {
    /// The FCNs on 64×64: padded 256, pool3 32, pool4 16, score 2×2.
    at64, 64, dl_core::consts::U64, 32, 16
}

const _: () = {
    assert!(<at224::Fcn32s as dl_core::Module>::PARAMS == FCN32S_PARAMS);
    assert!(<at32::Fcn32s as dl_core::Module>::PARAMS == FCN32S_PARAMS);
    assert!(<at64::Fcn32s as dl_core::Module>::PARAMS == FCN32S_PARAMS);
    assert!(<at224::Fcn16s as dl_core::Module>::PARAMS == FCN16S_PARAMS);
    assert!(<at32::Fcn16s as dl_core::Module>::PARAMS == FCN16S_PARAMS);
    assert!(<at64::Fcn16s as dl_core::Module>::PARAMS == FCN16S_PARAMS);
    assert!(<at224::Fcn8s as dl_core::Module>::PARAMS == FCN8S_PARAMS);
    assert!(<at32::Fcn8s as dl_core::Module>::PARAMS == FCN8S_PARAMS);
    assert!(<at64::Fcn8s as dl_core::Module>::PARAMS == FCN8S_PARAMS);
    assert!(FCN32S_PARAMS == 136_152_917);
    assert!(FCN16S_PARAMS == 134_815_994);
    assert!(FCN8S_PARAMS == 134_489_759);
};

/// An input side the FCNs are built for: `U32`, `U64` or `U224`.
#[diagnostic::on_unimplemented(
    message = "unsupported input size: Fcn32s / Fcn16s / Fcn8s is built for 32×32, 64×64 or 224×224 (`<U32>`, `<U64>`, `<U224>`) only",
    label = "no Fcn32s / Fcn16s / Fcn8s at this input size",
    note = "each supported size is its own expansion in dl-models; for another size, copy the model's `network!` with your input shape"
)]
pub trait FcnInput {
    /// FCN-32s at this size.
    type Fcn32s;
    /// FCN-16s at this size.
    type Fcn16s;
    /// FCN-8s at this size.
    type Fcn8s;
}
// hidden: rustdoc would print the size as a binary typenum nest; the trait's doc names it
#[doc(hidden)]
impl FcnInput for U32 {
    type Fcn32s = at32::Fcn32s;
    type Fcn16s = at32::Fcn16s;
    type Fcn8s = at32::Fcn8s;
}
// hidden: rustdoc would print the size as a binary typenum nest; the trait's doc names it
#[doc(hidden)]
impl FcnInput for U64 {
    type Fcn32s = at64::Fcn32s;
    type Fcn16s = at64::Fcn16s;
    type Fcn8s = at64::Fcn8s;
}
// hidden: rustdoc would print the size as a binary typenum nest; the trait's doc names it
#[doc(hidden)]
impl FcnInput for U224 {
    type Fcn32s = at224::Fcn32s;
    type Fcn16s = at224::Fcn16s;
    type Fcn8s = at224::Fcn8s;
}
/// FCN-32s on `H×H` images; output `[21, H, H]`.
pub type Fcn32s<H> = <H as FcnInput>::Fcn32s;
/// FCN-16s on `H×H` images; output `[21, H, H]`.
pub type Fcn16s<H> = <H as FcnInput>::Fcn16s;
/// FCN-8s on `H×H` images; output `[21, H, H]`.
pub type Fcn8s<H> = <H as FcnInput>::Fcn8s;

//! ResNet-18/34/50/101/152 (He, Zhang, Ren & Sun, "Deep Residual Learning for Image
//! Recognition", CVPR 2016) in torchvision's layout (v1.5: a bottleneck's stride sits in its
//! 3×3 convolution), at two input sizes: 224×224 (ImageNet) and 32×32 (CIFAR-sized images
//! through the same ImageNet stem; the last stage is then 1×1).
//!
//! **Parameter counts.** As in torchvision, every convolution has `bias = false` (a BatchNorm
//! follows each), so the const assertions below check `PARAMS ==` torchvision's published
//! count exactly.
//!
//! **Built from blocks.** Each distinct block — the stem, a basic or bottleneck block at one
//! stage (identity or projection shortcut), the head — is one `network!` type; a model is the
//! [`Seq`](struct@dl_core::Seq) chain of its blocks, `Network<[3, H, H], Seq![Stem, Block, …, Head]>`.
//! Identical blocks (ResNet-152 has 35 identical ones in stage 3) are one type, so their code
//! is generated and optimised once: written as one `network!` list with `repeat`, the ten
//! ResNets cost ~90 s of the release build (710 unrolled blocks); as chains of 18 shared block
//! types per input size they cost a few seconds. Every block's shapes are still computed and
//! checked by `network!`, and the chain's by the type system (`Seq` requires each block's input
//! to be the previous block's output).
//!
//! The input size is a type parameter: `ResNet18<U224>`, `ResNet18<U32>` (see
//! [`ResNetInput`]); each size is its own set of block expansions ([`at224`], [`at32`]), since
//! `network!` takes its input shape as literal numbers.
use dl_core::consts::{U224, U32};

/// torchvision's counts (`sum(p.numel() for p in resnetXX().parameters())`).
pub const RESNET18_PARAMS: usize = 11_689_512;
/// ResNet-34, torchvision.
pub const RESNET34_PARAMS: usize = 21_797_672;
/// ResNet-50, torchvision.
pub const RESNET50_PARAMS: usize = 25_557_032;
/// ResNet-101, torchvision.
pub const RESNET101_PARAMS: usize = 44_549_160;
/// ResNet-152, torchvision.
pub const RESNET152_PARAMS: usize = 60_192_808;

/// The blocks of every ResNet at input `$h×$h` (stage sides `$s1`..`$s4`), and the five models.
macro_rules! resnets {
    ($(#$a:tt)* $m:ident, $h:tt, $H:ty, [$s1:tt, $s2:tt, $s3:tt, $s4:tt]) => {
        $(#$a)*
        pub mod $m {
        dl_macros::network! {
            /// The stem: 7×7/2 convolution to 64, BatchNorm, ReLU, 3×3/2 max-pool.
            #[network(crate = ::dl_core)]
            pub struct Stem: [3, $h, $h] {
                Conv2d(3, 64, 7, stride = 2, pad = 3, bias = false), BatchNorm2d, ReLU, MaxPool2d(3, stride = 2, pad = 1),
            }
        }
        dl_macros::network! {
            /// Basic block of stage 1, identity shortcut (64 channels).
            #[network(crate = ::dl_core)]
            pub struct Basic1: [64, $s1, $s1] {
                residual { Conv2d(64, 3, pad = 1, bias = false), BatchNorm2d, ReLU, Conv2d(64, 3, pad = 1, bias = false), BatchNorm2d }, ReLU,
            }
        }
        dl_macros::network! {
            /// Basic block of stage 2, identity shortcut (128 channels).
            #[network(crate = ::dl_core)]
            pub struct Basic2: [128, $s2, $s2] {
                residual { Conv2d(128, 3, pad = 1, bias = false), BatchNorm2d, ReLU, Conv2d(128, 3, pad = 1, bias = false), BatchNorm2d }, ReLU,
            }
        }
        dl_macros::network! {
            /// First basic block of stage 2: stride 2, projection shortcut (64 → 128).
            #[network(crate = ::dl_core)]
            pub struct Basic2Down: [64, $s1, $s1] {
                residual { Conv2d(128, 3, stride = 2, pad = 1, bias = false), BatchNorm2d, ReLU, Conv2d(128, 3, pad = 1, bias = false), BatchNorm2d }
                shortcut { Conv2d(128, 1, stride = 2, bias = false), BatchNorm2d }, ReLU,
            }
        }
        dl_macros::network! {
            /// Basic block of stage 3, identity shortcut (256 channels).
            #[network(crate = ::dl_core)]
            pub struct Basic3: [256, $s3, $s3] {
                residual { Conv2d(256, 3, pad = 1, bias = false), BatchNorm2d, ReLU, Conv2d(256, 3, pad = 1, bias = false), BatchNorm2d }, ReLU,
            }
        }
        dl_macros::network! {
            /// First basic block of stage 3: stride 2, projection shortcut (128 → 256).
            #[network(crate = ::dl_core)]
            pub struct Basic3Down: [128, $s2, $s2] {
                residual { Conv2d(256, 3, stride = 2, pad = 1, bias = false), BatchNorm2d, ReLU, Conv2d(256, 3, pad = 1, bias = false), BatchNorm2d }
                shortcut { Conv2d(256, 1, stride = 2, bias = false), BatchNorm2d }, ReLU,
            }
        }
        dl_macros::network! {
            /// Basic block of stage 4, identity shortcut (512 channels).
            #[network(crate = ::dl_core)]
            pub struct Basic4: [512, $s4, $s4] {
                residual { Conv2d(512, 3, pad = 1, bias = false), BatchNorm2d, ReLU, Conv2d(512, 3, pad = 1, bias = false), BatchNorm2d }, ReLU,
            }
        }
        dl_macros::network! {
            /// First basic block of stage 4: stride 2, projection shortcut (256 → 512).
            #[network(crate = ::dl_core)]
            pub struct Basic4Down: [256, $s3, $s3] {
                residual { Conv2d(512, 3, stride = 2, pad = 1, bias = false), BatchNorm2d, ReLU, Conv2d(512, 3, pad = 1, bias = false), BatchNorm2d }
                shortcut { Conv2d(512, 1, stride = 2, bias = false), BatchNorm2d }, ReLU,
            }
        }
        dl_macros::network! {
            /// Bottleneck block of stage 1, identity shortcut (256 channels, width 64).
            #[network(crate = ::dl_core)]
            pub struct Bottleneck1: [256, $s1, $s1] {
                residual {
                    Conv2d(64, 1, bias = false), BatchNorm2d, ReLU, Conv2d(64, 3, pad = 1, bias = false), BatchNorm2d, ReLU,
                    Conv2d(256, 1, bias = false), BatchNorm2d,
                }, ReLU,
            }
        }
        dl_macros::network! {
            /// First bottleneck block of stage 1: projection shortcut (64 → 256).
            #[network(crate = ::dl_core)]
            pub struct Bottleneck1Down: [64, $s1, $s1] {
                residual {
                    Conv2d(64, 1, bias = false), BatchNorm2d, ReLU, Conv2d(64, 3, pad = 1, bias = false), BatchNorm2d, ReLU,
                    Conv2d(256, 1, bias = false), BatchNorm2d,
                } shortcut { Conv2d(256, 1, bias = false), BatchNorm2d }, ReLU,
            }
        }
        dl_macros::network! {
            /// Bottleneck block of stage 2, identity shortcut (512 channels, width 128).
            #[network(crate = ::dl_core)]
            pub struct Bottleneck2: [512, $s2, $s2] {
                residual {
                    Conv2d(128, 1, bias = false), BatchNorm2d, ReLU, Conv2d(128, 3, pad = 1, bias = false), BatchNorm2d, ReLU,
                    Conv2d(512, 1, bias = false), BatchNorm2d,
                }, ReLU,
            }
        }
        dl_macros::network! {
            /// First bottleneck block of stage 2: projection shortcut (256 → 512, stride 2).
            #[network(crate = ::dl_core)]
            pub struct Bottleneck2Down: [256, $s1, $s1] {
                residual {
                    Conv2d(128, 1, bias = false), BatchNorm2d, ReLU, Conv2d(128, 3, stride = 2, pad = 1, bias = false), BatchNorm2d, ReLU,
                    Conv2d(512, 1, bias = false), BatchNorm2d,
                } shortcut { Conv2d(512, 1, stride = 2, bias = false), BatchNorm2d }, ReLU,
            }
        }
        dl_macros::network! {
            /// Bottleneck block of stage 3, identity shortcut (1024 channels, width 256).
            #[network(crate = ::dl_core)]
            pub struct Bottleneck3: [1024, $s3, $s3] {
                residual {
                    Conv2d(256, 1, bias = false), BatchNorm2d, ReLU, Conv2d(256, 3, pad = 1, bias = false), BatchNorm2d, ReLU,
                    Conv2d(1024, 1, bias = false), BatchNorm2d,
                }, ReLU,
            }
        }
        dl_macros::network! {
            /// First bottleneck block of stage 3: projection shortcut (512 → 1024, stride 2).
            #[network(crate = ::dl_core)]
            pub struct Bottleneck3Down: [512, $s2, $s2] {
                residual {
                    Conv2d(256, 1, bias = false), BatchNorm2d, ReLU, Conv2d(256, 3, stride = 2, pad = 1, bias = false), BatchNorm2d, ReLU,
                    Conv2d(1024, 1, bias = false), BatchNorm2d,
                } shortcut { Conv2d(1024, 1, stride = 2, bias = false), BatchNorm2d }, ReLU,
            }
        }
        dl_macros::network! {
            /// Bottleneck block of stage 4, identity shortcut (2048 channels, width 512).
            #[network(crate = ::dl_core)]
            pub struct Bottleneck4: [2048, $s4, $s4] {
                residual {
                    Conv2d(512, 1, bias = false), BatchNorm2d, ReLU, Conv2d(512, 3, pad = 1, bias = false), BatchNorm2d, ReLU,
                    Conv2d(2048, 1, bias = false), BatchNorm2d,
                }, ReLU,
            }
        }
        dl_macros::network! {
            /// First bottleneck block of stage 4: projection shortcut (1024 → 2048, stride 2).
            #[network(crate = ::dl_core)]
            pub struct Bottleneck4Down: [1024, $s3, $s3] {
                residual {
                    Conv2d(512, 1, bias = false), BatchNorm2d, ReLU, Conv2d(512, 3, stride = 2, pad = 1, bias = false), BatchNorm2d, ReLU,
                    Conv2d(2048, 1, bias = false), BatchNorm2d,
                } shortcut { Conv2d(2048, 1, stride = 2, bias = false), BatchNorm2d }, ReLU,
            }
        }
        dl_macros::network! {
            /// Head of ResNet-18/34: global average pool, 512 → 1000.
            #[network(crate = ::dl_core)]
            pub struct Head512: [512, $s4, $s4] {
                AdaptiveAvgPool2d(1), Flatten, Linear(512, 1000),
            }
        }
        dl_macros::network! {
            /// Head of ResNet-50/101/152: global average pool, 2048 → 1000.
            #[network(crate = ::dl_core)]
            pub struct Head2048: [2048, $s4, $s4] {
                AdaptiveAvgPool2d(1), Flatten, Linear(2048, 1000),
            }
        }
        /// ResNet-18 on {}: 8 blocks.
        pub type ResNet18 = dl_core::Network<dl_core::Shape3<dl_core::consts::U3, $H, $H>, dl_core::Seq![Stem, Basic1, Basic1, Basic2Down, Basic2, Basic3Down, Basic3, Basic4Down, Basic4, Head512]>;
        /// ResNet-34 on {}: 16 blocks.
        pub type ResNet34 = dl_core::Network<dl_core::Shape3<dl_core::consts::U3, $H, $H>, dl_core::Seq![Stem, Basic1, Basic1, Basic1, Basic2Down, Basic2, Basic2, Basic2, Basic3Down, Basic3, Basic3, Basic3, Basic3, Basic3, Basic4Down, Basic4, Basic4, Head512]>;
        /// ResNet-50 on {}: 16 blocks.
        pub type ResNet50 = dl_core::Network<dl_core::Shape3<dl_core::consts::U3, $H, $H>, dl_core::Seq![Stem, Bottleneck1Down, Bottleneck1, Bottleneck1, Bottleneck2Down, Bottleneck2, Bottleneck2, Bottleneck2, Bottleneck3Down, Bottleneck3, Bottleneck3, Bottleneck3, Bottleneck3, Bottleneck3, Bottleneck4Down, Bottleneck4, Bottleneck4, Head2048]>;
        /// ResNet-101 on {}: 33 blocks.
        pub type ResNet101 = dl_core::Network<dl_core::Shape3<dl_core::consts::U3, $H, $H>, dl_core::Seq![Stem, Bottleneck1Down, Bottleneck1, Bottleneck1, Bottleneck2Down, Bottleneck2, Bottleneck2, Bottleneck2, Bottleneck3Down, Bottleneck3, Bottleneck3, Bottleneck3, Bottleneck3, Bottleneck3, Bottleneck3, Bottleneck3, Bottleneck3, Bottleneck3, Bottleneck3, Bottleneck3, Bottleneck3, Bottleneck3, Bottleneck3, Bottleneck3, Bottleneck3, Bottleneck3, Bottleneck3, Bottleneck3, Bottleneck3, Bottleneck3, Bottleneck3, Bottleneck4Down, Bottleneck4, Bottleneck4, Head2048]>;
        /// Five bottleneck blocks of stage 3: ResNet-152's 35 identical ones as seven links, so
        /// the chain a user crate type-checks stays well inside the default recursion limit
        /// (52 links deep it overflowed it; the blocks and their order are the same).
        pub type Bottleneck3x5 = dl_core::Seq![Bottleneck3, Bottleneck3, Bottleneck3, Bottleneck3, Bottleneck3];
        /// ResNet-152 on {}: 50 blocks.
        pub type ResNet152 = dl_core::Network<dl_core::Shape3<dl_core::consts::U3, $H, $H>, dl_core::Seq![Stem, Bottleneck1Down, Bottleneck1, Bottleneck1, Bottleneck2Down, Bottleneck2, Bottleneck2, Bottleneck2, Bottleneck2, Bottleneck2, Bottleneck2, Bottleneck2, Bottleneck3Down, Bottleneck3x5, Bottleneck3x5, Bottleneck3x5, Bottleneck3x5, Bottleneck3x5, Bottleneck3x5, Bottleneck3x5, Bottleneck4Down, Bottleneck4, Bottleneck4, Head2048]>;
        }
    };
}

resnets! {
    /// ResNets on 224×224 (ImageNet): stage outputs 56, 28, 14, 7 pixels.
    ///
    /// ```text
    /// stage    ResNet-18 output  params        ResNet-50 output   params
    /// stem     [64, 56, 56]           9,536    [64, 56, 56]            9,536
    /// layer1   [64, 56, 56]         147,968    [256, 56, 56]         215,808
    /// layer2   [128, 28, 28]        525,568    [512, 28, 28]       1,219,584
    /// layer3   [256, 14, 14]      2,099,712    [1024, 14, 14]      7,098,368
    /// layer4   [512, 7, 7]        8,393,728    [2048, 7, 7]       14,964,736
    /// fc       [1000]               513,000    [1000]              2,049,000
    /// total                      11,689,512                       25,557,032
    /// ```
    /// (each convolution's parameters include its BatchNorm's weight and bias)
    at224, 224, dl_core::consts::U224, [56, 28, 14, 7]
}
resnets! {
    /// ResNets on 32×32 (CIFAR-sized, same ImageNet stem): stage outputs 8, 4, 2, 1 pixels.
    at32, 32, dl_core::consts::U32, [8, 4, 2, 1]
}

const _: () = {
    assert!(<at224::ResNet18 as dl_core::Module>::PARAMS == RESNET18_PARAMS);
    assert!(<at32::ResNet18 as dl_core::Module>::PARAMS == RESNET18_PARAMS);
    assert!(<at224::ResNet34 as dl_core::Module>::PARAMS == RESNET34_PARAMS);
    assert!(<at32::ResNet34 as dl_core::Module>::PARAMS == RESNET34_PARAMS);
    assert!(<at224::ResNet50 as dl_core::Module>::PARAMS == RESNET50_PARAMS);
    assert!(<at32::ResNet50 as dl_core::Module>::PARAMS == RESNET50_PARAMS);
    assert!(<at224::ResNet101 as dl_core::Module>::PARAMS == RESNET101_PARAMS);
    assert!(<at32::ResNet101 as dl_core::Module>::PARAMS == RESNET101_PARAMS);
    assert!(<at224::ResNet152 as dl_core::Module>::PARAMS == RESNET152_PARAMS);
    assert!(<at32::ResNet152 as dl_core::Module>::PARAMS == RESNET152_PARAMS);
};

/// An input side ResNet is built for: `U224` or `U32`. `ResNet18<U32>` names [`at32::ResNet18`].
#[diagnostic::on_unimplemented(
    message = "unsupported input size: ResNet18 … ResNet152 is built for 224×224 (`<U224>`) or 32×32 (`<U32>`) only",
    label = "no ResNet18 … ResNet152 at this input size",
    note = "each supported size is its own expansion in dl-models; for another size, copy the model's `network!` with your input shape"
)]
pub trait ResNetInput {
    /// ResNet-18 at this size.
    type ResNet18;
    /// ResNet-34 at this size.
    type ResNet34;
    /// ResNet-50 at this size.
    type ResNet50;
    /// ResNet-101 at this size.
    type ResNet101;
    /// ResNet-152 at this size.
    type ResNet152;
}
// hidden: rustdoc would print the size as a binary typenum nest; the trait's doc names it
#[doc(hidden)]
impl ResNetInput for U224 {
    type ResNet18 = at224::ResNet18;
    type ResNet34 = at224::ResNet34;
    type ResNet50 = at224::ResNet50;
    type ResNet101 = at224::ResNet101;
    type ResNet152 = at224::ResNet152;
}
// hidden: rustdoc would print the size as a binary typenum nest; the trait's doc names it
#[doc(hidden)]
impl ResNetInput for U32 {
    type ResNet18 = at32::ResNet18;
    type ResNet34 = at32::ResNet34;
    type ResNet50 = at32::ResNet50;
    type ResNet101 = at32::ResNet101;
    type ResNet152 = at32::ResNet152;
}
/// ResNet-18 on `H×H` images (`H` = `U224` or `U32`).
pub type ResNet18<H> = <H as ResNetInput>::ResNet18;
/// ResNet-34 on `H×H` images.
pub type ResNet34<H> = <H as ResNetInput>::ResNet34;
/// ResNet-50 on `H×H` images.
pub type ResNet50<H> = <H as ResNetInput>::ResNet50;
/// ResNet-101 on `H×H` images.
pub type ResNet101<H> = <H as ResNetInput>::ResNet101;
/// ResNet-152 on `H×H` images.
pub type ResNet152<H> = <H as ResNetInput>::ResNet152;

//! ResNet-18/34/50/101/152 (He, Zhang, Ren & Sun, "Deep Residual Learning for Image
//! Recognition", CVPR 2016) in torchvision's layout (v1.5: a bottleneck's stride sits in its
//! 3×3 convolution), at two input sizes: 224×224 (ImageNet) and 32×32 (CIFAR-sized images
//! through the same ImageNet stem; the last stage is then 1×1).
//!
//! **Parameter counts.** torchvision's convolutions have `bias=False` (a BatchNorm follows
//! each). `network!`'s `Conv2d` always carries a bias, so every model here has exactly
//! [`conv_biases`] more parameters than torchvision's: one per output channel of each
//! convolution. The const assertions below check `PARAMS == published + conv biases`, with
//! both terms computed independently of the macro. The biases are redundant (the BatchNorm
//! after each convolution subtracts the mean again); loading torchvision weights leaves them 0.
//!
//! The input size is chosen with a type parameter: `ResNet18<U224>`, `ResNet18<U32>` (see
//! [`ResNetInput`]); each size is its own `network!` expansion, since `network!` takes its
//! input shape as literal numbers.
use dl_core::consts::{U224, U32};
use dl_macros::network;

/// The convolution biases `network!` adds to a torchvision ResNet: `blocks` per stage, basic
/// (`expansion == 1`, two 3×3 convolutions) or bottleneck (`expansion == 4`, 1×1, 3×3, 1×1).
pub const fn conv_biases(blocks: [usize; 4], expansion: usize) -> usize {
    let mut total = 64; // stem
    let mut inplanes = 64;
    let mut s = 0;
    while s < 4 {
        let planes = 64 << s;
        let mut b = 0;
        while b < blocks[s] {
            total += if expansion == 1 { 2 * planes } else { 2 * planes + planes * 4 };
            // Projection shortcut: first block of a stage whose shape changes.
            if b == 0 && (s > 0 || inplanes != planes * expansion) {
                total += planes * expansion;
            }
            inplanes = planes * expansion;
            b += 1;
        }
        s += 1;
    }
    total
}

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

/// A basic-block ResNet at input `$h×$h`. `$n1` blocks in stage 1; stages 2-4 have one
/// down-sampling block and `$n2`, `$n3`, `$n4` more.
macro_rules! basic {
    ($(#$a:tt)* $name:ident, $h:tt, [$n1:tt, $n2:tt, $n3:tt, $n4:tt]) => {
        network! {
            $(#$a)*
            #[network(crate = ::dl_core)]
            pub struct $name: [3, $h, $h] {
                Conv2d(3, 64, 7, stride = 2, pad = 3), BatchNorm2d, ReLU,
                MaxPool2d(3, stride = 2, pad = 1),
                repeat($n1) {
                    residual { Conv2d(64, 3, pad = 1), BatchNorm2d, ReLU, Conv2d(64, 3, pad = 1), BatchNorm2d }, ReLU,
                },
                residual {
                    Conv2d(128, 3, stride = 2, pad = 1), BatchNorm2d, ReLU, Conv2d(128, 3, pad = 1), BatchNorm2d,
                } shortcut { Conv2d(128, 1, stride = 2), BatchNorm2d }, ReLU,
                repeat($n2) {
                    residual { Conv2d(128, 3, pad = 1), BatchNorm2d, ReLU, Conv2d(128, 3, pad = 1), BatchNorm2d }, ReLU,
                },
                residual {
                    Conv2d(256, 3, stride = 2, pad = 1), BatchNorm2d, ReLU, Conv2d(256, 3, pad = 1), BatchNorm2d,
                } shortcut { Conv2d(256, 1, stride = 2), BatchNorm2d }, ReLU,
                repeat($n3) {
                    residual { Conv2d(256, 3, pad = 1), BatchNorm2d, ReLU, Conv2d(256, 3, pad = 1), BatchNorm2d }, ReLU,
                },
                residual {
                    Conv2d(512, 3, stride = 2, pad = 1), BatchNorm2d, ReLU, Conv2d(512, 3, pad = 1), BatchNorm2d,
                } shortcut { Conv2d(512, 1, stride = 2), BatchNorm2d }, ReLU,
                repeat($n4) {
                    residual { Conv2d(512, 3, pad = 1), BatchNorm2d, ReLU, Conv2d(512, 3, pad = 1), BatchNorm2d }, ReLU,
                },
                AdaptiveAvgPool2d(1), Flatten,
                Linear(512, 1000),
            }
        }
    };
}

/// A bottleneck ResNet at input `$h×$h`: every stage opens with a projection block (stride 1
/// in stage 1, 2 after), then `$n1`..`$n4` identity blocks.
macro_rules! bottleneck {
    ($(#$a:tt)* $name:ident, $h:tt, [$n1:tt, $n2:tt, $n3:tt, $n4:tt]) => {
        network! {
            $(#$a)*
            #[network(crate = ::dl_core)]
            pub struct $name: [3, $h, $h] {
                Conv2d(3, 64, 7, stride = 2, pad = 3), BatchNorm2d, ReLU,
                MaxPool2d(3, stride = 2, pad = 1),
                residual {
                    Conv2d(64, 1), BatchNorm2d, ReLU, Conv2d(64, 3, pad = 1), BatchNorm2d, ReLU,
                    Conv2d(256, 1), BatchNorm2d,
                } shortcut { Conv2d(256, 1), BatchNorm2d }, ReLU,
                repeat($n1) {
                    residual {
                        Conv2d(64, 1), BatchNorm2d, ReLU, Conv2d(64, 3, pad = 1), BatchNorm2d, ReLU,
                        Conv2d(256, 1), BatchNorm2d,
                    }, ReLU,
                },
                residual {
                    Conv2d(128, 1), BatchNorm2d, ReLU, Conv2d(128, 3, stride = 2, pad = 1), BatchNorm2d, ReLU,
                    Conv2d(512, 1), BatchNorm2d,
                } shortcut { Conv2d(512, 1, stride = 2), BatchNorm2d }, ReLU,
                repeat($n2) {
                    residual {
                        Conv2d(128, 1), BatchNorm2d, ReLU, Conv2d(128, 3, pad = 1), BatchNorm2d, ReLU,
                        Conv2d(512, 1), BatchNorm2d,
                    }, ReLU,
                },
                residual {
                    Conv2d(256, 1), BatchNorm2d, ReLU, Conv2d(256, 3, stride = 2, pad = 1), BatchNorm2d, ReLU,
                    Conv2d(1024, 1), BatchNorm2d,
                } shortcut { Conv2d(1024, 1, stride = 2), BatchNorm2d }, ReLU,
                repeat($n3) {
                    residual {
                        Conv2d(256, 1), BatchNorm2d, ReLU, Conv2d(256, 3, pad = 1), BatchNorm2d, ReLU,
                        Conv2d(1024, 1), BatchNorm2d,
                    }, ReLU,
                },
                residual {
                    Conv2d(512, 1), BatchNorm2d, ReLU, Conv2d(512, 3, stride = 2, pad = 1), BatchNorm2d, ReLU,
                    Conv2d(2048, 1), BatchNorm2d,
                } shortcut { Conv2d(2048, 1, stride = 2), BatchNorm2d }, ReLU,
                repeat($n4) {
                    residual {
                        Conv2d(512, 1), BatchNorm2d, ReLU, Conv2d(512, 3, pad = 1), BatchNorm2d, ReLU,
                        Conv2d(2048, 1), BatchNorm2d,
                    }, ReLU,
                },
                AdaptiveAvgPool2d(1), Flatten,
                Linear(2048, 1000),
            }
        }
    };
}

basic! {
    /// ResNet-18 on 224×224 (ImageNet): stem 7×7/2 + max-pool, stages of 2, 2, 2, 2 basic
    /// blocks (64, 128, 256, 512 channels; 56, 28, 14, 7 pixels), global average pool, 1000.
    /// `summary()` prints every layer.
    ///
    /// ```text
    /// stage     output           params (with conv biases)
    /// stem      [64, 56, 56]     9,600
    /// layer1    [64, 56, 56]     148,224
    /// layer2    [128, 28, 28]    526,208
    /// layer3    [256, 14, 14]    2,100,992
    /// layer4    [512, 7, 7]      8,394,752
    /// fc        [1000]           513,000
    /// total                      11,694,312 = 11,689,512 (torchvision) + 4,800 conv biases
    /// ```
    ResNet18x224, 224, [2, 1, 1, 1]
}
basic! {
    /// ResNet-18 on 32×32 (CIFAR-sized): the same layers as [`ResNet18x224`]; stage outputs
    /// 8, 4, 2, 1 pixels.
    ResNet18x32, 32, [2, 1, 1, 1]
}
basic! {
    /// ResNet-34 on 224×224: stages of 3, 4, 6, 3 basic blocks.
    /// 21,797,672 (torchvision) + 8,512 conv biases = 21,806,184 parameters.
    ResNet34x224, 224, [3, 3, 5, 2]
}
basic! {
    /// ResNet-34 on 32×32.
    ResNet34x32, 32, [3, 3, 5, 2]
}
bottleneck! {
    /// ResNet-50 on 224×224: stages of 3, 4, 6, 3 bottleneck blocks (1×1 reduce, 3×3, 1×1
    /// expand ×4). 25,557,032 (torchvision) + 26,560 conv biases = 25,583,592 parameters.
    ResNet50x224, 224, [2, 3, 5, 2]
}
bottleneck! {
    /// ResNet-50 on 32×32.
    ResNet50x32, 32, [2, 3, 5, 2]
}
bottleneck! {
    /// ResNet-101 on 224×224: stages of 3, 4, 23, 3 bottleneck blocks.
    ResNet101x224, 224, [2, 3, 22, 2]
}
bottleneck! {
    /// ResNet-101 on 32×32.
    ResNet101x32, 32, [2, 3, 22, 2]
}
bottleneck! {
    /// ResNet-152 on 224×224: stages of 3, 8, 36, 3 bottleneck blocks.
    ResNet152x224, 224, [2, 7, 35, 2]
}
bottleneck! {
    /// ResNet-152 on 32×32.
    ResNet152x32, 32, [2, 7, 35, 2]
}

/// Conv biases per depth (independent of the macro: from the block counts).
pub const RESNET18_BIASES: usize = conv_biases([2, 2, 2, 2], 1);
/// ResNet-34's conv biases.
pub const RESNET34_BIASES: usize = conv_biases([3, 4, 6, 3], 1);
/// ResNet-50's conv biases.
pub const RESNET50_BIASES: usize = conv_biases([3, 4, 6, 3], 4);
/// ResNet-101's conv biases.
pub const RESNET101_BIASES: usize = conv_biases([3, 4, 23, 3], 4);
/// ResNet-152's conv biases.
pub const RESNET152_BIASES: usize = conv_biases([3, 8, 36, 3], 4);

const _: () = {
    assert!(ResNet18x224::PARAMS == RESNET18_PARAMS + RESNET18_BIASES);
    assert!(ResNet18x32::PARAMS == RESNET18_PARAMS + RESNET18_BIASES);
    assert!(ResNet34x224::PARAMS == RESNET34_PARAMS + RESNET34_BIASES);
    assert!(ResNet34x32::PARAMS == RESNET34_PARAMS + RESNET34_BIASES);
    assert!(ResNet50x224::PARAMS == RESNET50_PARAMS + RESNET50_BIASES);
    assert!(ResNet50x32::PARAMS == RESNET50_PARAMS + RESNET50_BIASES);
    assert!(ResNet101x224::PARAMS == RESNET101_PARAMS + RESNET101_BIASES);
    assert!(ResNet101x32::PARAMS == RESNET101_PARAMS + RESNET101_BIASES);
    assert!(ResNet152x224::PARAMS == RESNET152_PARAMS + RESNET152_BIASES);
    assert!(ResNet152x32::PARAMS == RESNET152_PARAMS + RESNET152_BIASES);
};

/// An input side ResNet is built for: `U224` or `U32`. `ResNet18<U32>` names [`ResNet18x32`].
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
impl ResNetInput for U224 {
    type ResNet18 = ResNet18x224;
    type ResNet34 = ResNet34x224;
    type ResNet50 = ResNet50x224;
    type ResNet101 = ResNet101x224;
    type ResNet152 = ResNet152x224;
}
impl ResNetInput for U32 {
    type ResNet18 = ResNet18x32;
    type ResNet34 = ResNet34x32;
    type ResNet50 = ResNet50x32;
    type ResNet101 = ResNet101x32;
    type ResNet152 = ResNet152x32;
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

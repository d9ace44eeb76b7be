//! VGG-11 and VGG-16 (K. Simonyan & A. Zisserman, "Very Deep Convolutional Networks for
//! Large-Scale Image Recognition", ICLR 2015; configurations A and D) in torchvision's layout:
//! `features` (3×3 convolutions, padding 1, ReLU, 2×2 max-pools), `AdaptiveAvgPool2d((7, 7))`,
//! `classifier` 25088 → 4096 → 4096 → 1000 with dropout.
//!
//! Input sizes: 224×224, where the adaptive pool is the identity (the last map is already 7×7),
//! and 32×32, where the last map is 1×1 and torchvision's `AdaptiveAvgPool2d((7, 7))` copies
//! the pixel into all 49 cells, which is exactly `Upsample(scale_factor = 7, mode = nearest)`.
//! Both sizes therefore compute what torchvision computes. Parameter counts equal
//! torchvision's (all layers have biases). 138 M parameters are 553 MB of `f32`: `new(seed)`
//! allocates on the heap.
use dl_core::consts::{U224, U32};
use dl_macros::network;

/// torchvision `vgg11().parameters()` count.
pub const VGG11_PARAMS: usize = 132_863_336;
/// torchvision `vgg16().parameters()` count.
pub const VGG16_PARAMS: usize = 138_357_544;

macro_rules! vgg11 {
    ($(#$a:tt)* $name:ident, $h:tt, { $($adapt:tt)* }) => {
        network! {
            $(#$a)*
            #[network(crate = ::dl_core)]
            pub struct $name: [3, $h, $h] {
                Conv2d(3, 64, 3, pad = 1), ReLU, MaxPool2d(2),
                Conv2d(64, 128, 3, pad = 1), ReLU, MaxPool2d(2),
                Conv2d(128, 256, 3, pad = 1), ReLU, Conv2d(256, 256, 3, pad = 1), ReLU, MaxPool2d(2),
                Conv2d(256, 512, 3, pad = 1), ReLU, Conv2d(512, 512, 3, pad = 1), ReLU, MaxPool2d(2),
                Conv2d(512, 512, 3, pad = 1), ReLU, Conv2d(512, 512, 3, pad = 1), ReLU, MaxPool2d(2),
                $($adapt)*
                Flatten,
                Linear(25088, 4096), ReLU, Dropout(0.5),
                Linear(4096, 4096), ReLU, Dropout(0.5),
                Linear(4096, 1000),
            }
        }
    };
}

macro_rules! vgg16 {
    ($(#$a:tt)* $name:ident, $h:tt, { $($adapt:tt)* }) => {
        network! {
            $(#$a)*
            #[network(crate = ::dl_core)]
            pub struct $name: [3, $h, $h] {
                Conv2d(3, 64, 3, pad = 1), ReLU, Conv2d(64, 64, 3, pad = 1), ReLU, MaxPool2d(2),
                Conv2d(64, 128, 3, pad = 1), ReLU, Conv2d(128, 128, 3, pad = 1), ReLU, MaxPool2d(2),
                Conv2d(128, 256, 3, pad = 1), ReLU, Conv2d(256, 256, 3, pad = 1), ReLU,
                Conv2d(256, 256, 3, pad = 1), ReLU, MaxPool2d(2),
                Conv2d(256, 512, 3, pad = 1), ReLU, Conv2d(512, 512, 3, pad = 1), ReLU,
                Conv2d(512, 512, 3, pad = 1), ReLU, MaxPool2d(2),
                Conv2d(512, 512, 3, pad = 1), ReLU, Conv2d(512, 512, 3, pad = 1), ReLU,
                Conv2d(512, 512, 3, pad = 1), ReLU, MaxPool2d(2),
                $($adapt)*
                Flatten,
                Linear(25088, 4096), ReLU, Dropout(0.5),
                Linear(4096, 4096), ReLU, Dropout(0.5),
                Linear(4096, 1000),
            }
        }
    };
}

vgg11! {
    /// VGG-11 (configuration A) on 224×224. 132,863,336 parameters, 7.6 G MACs.
    ///
    /// ```text
    /// block            output            params
    /// conv 64, pool    [64, 112, 112]         1,792
    /// conv 128, pool   [128, 56, 56]         73,856
    /// conv 256 ×2      [256, 28, 28]        885,248
    /// conv 512 ×2      [512, 14, 14]      3,539,968
    /// conv 512 ×2      [512, 7, 7]        4,719,616
    /// fc 4096, 4096    [4096]           119,545,856
    /// fc 1000          [1000]             4,097,000
    /// ```
    Vgg11x224, 224, {}
}
vgg11! {
    /// VGG-11 on 32×32: the 1×1 map is spread to 7×7 as torchvision's adaptive pool does.
    Vgg11x32, 32, { Upsample(scale_factor = 7, mode = nearest), }
}
vgg16! {
    /// VGG-16 (configuration D) on 224×224. 138,357,544 parameters, 15.5 G MACs.
    ///
    /// ```text
    /// block              output            params
    /// conv 64 ×2, pool   [64, 112, 112]        38,720
    /// conv 128 ×2, pool  [128, 56, 56]        221,440
    /// conv 256 ×3, pool  [256, 28, 28]      1,475,328
    /// conv 512 ×3, pool  [512, 14, 14]      5,899,776
    /// conv 512 ×3, pool  [512, 7, 7]        7,079,424
    /// fc 4096, 4096      [4096]           119,545,856
    /// fc 1000            [1000]             4,097,000
    /// ```
    Vgg16x224, 224, {}
}
vgg16! {
    /// VGG-16 on 32×32 (see [`Vgg11x32`]).
    Vgg16x32, 32, { Upsample(scale_factor = 7, mode = nearest), }
}

const _: () = {
    assert!(Vgg11x224::PARAMS == VGG11_PARAMS);
    assert!(Vgg11x32::PARAMS == VGG11_PARAMS);
    assert!(Vgg16x224::PARAMS == VGG16_PARAMS);
    assert!(Vgg16x32::PARAMS == VGG16_PARAMS);
};

/// An input side VGG is built for: `U224` or `U32`.
#[diagnostic::on_unimplemented(
    message = "unsupported input size: Vgg11 / Vgg16 is built for 224×224 (`<U224>`) or 32×32 (`<U32>`) only",
    label = "no Vgg11 / Vgg16 at this input size",
    note = "each supported size is its own expansion in dl-models; for another size, copy the model's `network!` with your input shape"
)]
pub trait VggInput {
    /// VGG-11 at this size.
    type Vgg11;
    /// VGG-16 at this size.
    type Vgg16;
}
// hidden: rustdoc would print the size as a binary typenum nest; the trait's doc names it
#[doc(hidden)]
impl VggInput for U224 {
    type Vgg11 = Vgg11x224;
    type Vgg16 = Vgg16x224;
}
// hidden: rustdoc would print the size as a binary typenum nest; the trait's doc names it
#[doc(hidden)]
impl VggInput for U32 {
    type Vgg11 = Vgg11x32;
    type Vgg16 = Vgg16x32;
}
/// VGG-11 on `H×H` images (`U224` or `U32`).
pub type Vgg11<H> = <H as VggInput>::Vgg11;
/// VGG-16 on `H×H` images (`U224` or `U32`).
pub type Vgg16<H> = <H as VggInput>::Vgg16;

/// torchvision's `features` indices of VGG-11's convolutions (ReLU and MaxPool take indices too).
pub const VGG11_FEATURES: [usize; 8] = [0, 3, 6, 8, 11, 13, 16, 18];
/// torchvision's `features` indices of VGG-16's convolutions.
pub const VGG16_FEATURES: [usize; 13] = [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28];

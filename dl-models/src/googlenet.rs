//! GoogLeNet / Inception v1 (C. Szegedy et al., "Going Deeper with Convolutions", CVPR 2015) in
//! torchvision's layout without the auxiliary classifiers: every convolution is torchvision's
//! `BasicConv2d` (convolution with `bias = false`, BatchNorm, ReLU; only the final `Linear` has a
//! bias, so `PARAMS` is torchvision's 6,624,904 exactly), and the "5×5" branch of each Inception module
//! uses a 3×3 kernel, as torchvision's weights do. BatchNorm's `eps` is 0.001 and the stride-2
//! max-pools round up (`ceil_mode = true`: 112 → 56 → 28 → 14 → 7), as in torchvision.
//!
//! `tests/torchvision_parity.rs` checks the output against torchvision's own `googlenet` with
//! the same `state_dict`, at 32×32 and 224×224 (within 1e-4 of the largest output).
use dl_core::consts::{U224, U32};
use dl_macros::network;

/// torchvision `googlenet(aux_logits=False, init_weights=True).parameters()` count.
pub const GOOGLENET_PARAMS: usize = 6_624_904;

/// Inception modules: (in, 1×1, 3×3 reduce, 3×3, "5×5" reduce, "5×5", pool proj).
pub const INCEPTION: [[usize; 7]; 9] = [
    [192, 64, 96, 128, 16, 32, 32],     // 3a
    [256, 128, 128, 192, 32, 96, 64],   // 3b
    [480, 192, 96, 208, 16, 48, 64],    // 4a
    [512, 160, 112, 224, 24, 64, 64],   // 4b
    [512, 128, 128, 256, 24, 64, 64],   // 4c
    [512, 112, 144, 288, 32, 64, 64],   // 4d
    [528, 256, 160, 320, 32, 128, 128], // 4e
    [832, 256, 160, 320, 32, 128, 128], // 5a
    [832, 384, 192, 384, 48, 128, 128], // 5b
];

macro_rules! googlenet {
    ($(#$a:tt)* $name:ident, $h:tt) => {
        network! {
            $(#$a)*
            #[network(crate = ::dl_core)]
            pub struct $name: [3, $h, $h] {
                Conv2d(3, 64, 7, stride = 2, pad = 3, bias = false), BatchNorm2d(eps = 0.001), ReLU,
                MaxPool2d(3, stride = 2, ceil_mode = true),
                Conv2d(64, 64, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU,
                Conv2d(64, 192, 3, pad = 1, bias = false), BatchNorm2d(eps = 0.001), ReLU,
                MaxPool2d(3, stride = 2, ceil_mode = true),
                // inception3a
                concat {
                    { Conv2d(64, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU },
                    { Conv2d(96, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU, Conv2d(128, 3, pad = 1, bias = false), BatchNorm2d(eps = 0.001), ReLU },
                    { Conv2d(16, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU, Conv2d(32, 3, pad = 1, bias = false), BatchNorm2d(eps = 0.001), ReLU },
                    { MaxPool2d(3, stride = 1, pad = 1, ceil_mode = true), Conv2d(32, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU },
                },
                // inception3b
                concat {
                    { Conv2d(128, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU },
                    { Conv2d(128, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU, Conv2d(192, 3, pad = 1, bias = false), BatchNorm2d(eps = 0.001), ReLU },
                    { Conv2d(32, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU, Conv2d(96, 3, pad = 1, bias = false), BatchNorm2d(eps = 0.001), ReLU },
                    { MaxPool2d(3, stride = 1, pad = 1, ceil_mode = true), Conv2d(64, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU },
                },
                MaxPool2d(3, stride = 2, ceil_mode = true),
                // inception4a
                concat {
                    { Conv2d(192, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU },
                    { Conv2d(96, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU, Conv2d(208, 3, pad = 1, bias = false), BatchNorm2d(eps = 0.001), ReLU },
                    { Conv2d(16, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU, Conv2d(48, 3, pad = 1, bias = false), BatchNorm2d(eps = 0.001), ReLU },
                    { MaxPool2d(3, stride = 1, pad = 1, ceil_mode = true), Conv2d(64, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU },
                },
                // inception4b
                concat {
                    { Conv2d(160, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU },
                    { Conv2d(112, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU, Conv2d(224, 3, pad = 1, bias = false), BatchNorm2d(eps = 0.001), ReLU },
                    { Conv2d(24, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU, Conv2d(64, 3, pad = 1, bias = false), BatchNorm2d(eps = 0.001), ReLU },
                    { MaxPool2d(3, stride = 1, pad = 1, ceil_mode = true), Conv2d(64, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU },
                },
                // inception4c
                concat {
                    { Conv2d(128, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU },
                    { Conv2d(128, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU, Conv2d(256, 3, pad = 1, bias = false), BatchNorm2d(eps = 0.001), ReLU },
                    { Conv2d(24, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU, Conv2d(64, 3, pad = 1, bias = false), BatchNorm2d(eps = 0.001), ReLU },
                    { MaxPool2d(3, stride = 1, pad = 1, ceil_mode = true), Conv2d(64, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU },
                },
                // inception4d
                concat {
                    { Conv2d(112, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU },
                    { Conv2d(144, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU, Conv2d(288, 3, pad = 1, bias = false), BatchNorm2d(eps = 0.001), ReLU },
                    { Conv2d(32, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU, Conv2d(64, 3, pad = 1, bias = false), BatchNorm2d(eps = 0.001), ReLU },
                    { MaxPool2d(3, stride = 1, pad = 1, ceil_mode = true), Conv2d(64, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU },
                },
                // inception4e
                concat {
                    { Conv2d(256, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU },
                    { Conv2d(160, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU, Conv2d(320, 3, pad = 1, bias = false), BatchNorm2d(eps = 0.001), ReLU },
                    { Conv2d(32, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU, Conv2d(128, 3, pad = 1, bias = false), BatchNorm2d(eps = 0.001), ReLU },
                    { MaxPool2d(3, stride = 1, pad = 1, ceil_mode = true), Conv2d(128, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU },
                },
                MaxPool2d(2, stride = 2, ceil_mode = true),
                // inception5a
                concat {
                    { Conv2d(256, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU },
                    { Conv2d(160, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU, Conv2d(320, 3, pad = 1, bias = false), BatchNorm2d(eps = 0.001), ReLU },
                    { Conv2d(32, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU, Conv2d(128, 3, pad = 1, bias = false), BatchNorm2d(eps = 0.001), ReLU },
                    { MaxPool2d(3, stride = 1, pad = 1, ceil_mode = true), Conv2d(128, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU },
                },
                // inception5b
                concat {
                    { Conv2d(384, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU },
                    { Conv2d(192, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU, Conv2d(384, 3, pad = 1, bias = false), BatchNorm2d(eps = 0.001), ReLU },
                    { Conv2d(48, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU, Conv2d(128, 3, pad = 1, bias = false), BatchNorm2d(eps = 0.001), ReLU },
                    { MaxPool2d(3, stride = 1, pad = 1, ceil_mode = true), Conv2d(128, 1, bias = false), BatchNorm2d(eps = 0.001), ReLU },
                },
                AdaptiveAvgPool2d(1), Flatten, Dropout(0.2),
                Linear(1024, 1000),
            }
        }
    };
}

googlenet! {
    /// GoogLeNet on 224×224, torchvision layout, no auxiliary heads.
    ///
    /// ```text
    /// stage                      output           params
    /// conv1 7×7/2, pool          [64, 56, 56]          9,536
    /// conv2 1×1, conv3 3×3, pool [192, 28, 28]       115,200
    /// inception 3a, 3b, pool     [480, 14, 14]       496,096
    /// inception 4a - 4e, pool    [832, 7, 7]       2,653,088
    /// inception 5a, 5b           [1024, 7, 7]      2,325,984
    /// avgpool, dropout, fc       [1000]            1,025,000
    /// total                                        6,624,904
    /// ```
    GoogLeNetx224, 224
}
googlenet! {
    /// GoogLeNet on 32×32: maps 16, 8, 4, 2, 1 after the stem, each pool.
    GoogLeNetx32, 32
}
const _: () = assert!(GoogLeNetx224::PARAMS == GOOGLENET_PARAMS);
const _: () = assert!(GoogLeNetx32::PARAMS == GOOGLENET_PARAMS);

/// An input side GoogLeNet is built for: `U224` or `U32`.
#[diagnostic::on_unimplemented(
    message = "unsupported input size: GoogLeNet is built for 224×224 (`GoogLeNet<U224>`) or 32×32 (`GoogLeNet<U32>`) only",
    label = "no GoogLeNet at this input size",
    note = "each supported size is its own expansion in dl-models; for another size, copy the model's `network!` with your input shape"
)]
pub trait GoogLeNetInput {
    /// GoogLeNet at this size.
    type GoogLeNet;
}
// hidden: rustdoc would print the size as a binary typenum nest; the trait's doc names it
#[doc(hidden)]
impl GoogLeNetInput for U224 {
    type GoogLeNet = GoogLeNetx224;
}
// hidden: rustdoc would print the size as a binary typenum nest; the trait's doc names it
#[doc(hidden)]
impl GoogLeNetInput for U32 {
    type GoogLeNet = GoogLeNetx32;
}
/// GoogLeNet on `H×H` images (`U224` or `U32`).
pub type GoogLeNet<H> = <H as GoogLeNetInput>::GoogLeNet;

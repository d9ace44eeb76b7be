//! AlexNet (A. Krizhevsky, I. Sutskever, G. Hinton, "ImageNet Classification with Deep
//! Convolutional Neural Networks", NIPS 2012): torchvision's layout, and the paper's with local
//! response normalisation.
use dl_core::consts::{U224, U63};
use dl_macros::network;

/// torchvision `alexnet().parameters()` count.
pub const ALEXNET_PARAMS: usize = 61_100_840;

macro_rules! alexnet {
    ($(#$a:tt)* $name:ident, $h:tt, { $($adapt:tt)* }) => {
        network! {
            $(#$a)*
            #[network(crate = ::dl_core)]
            pub struct $name: [3, $h, $h] {
                Conv2d(3, 64, 11, stride = 4, pad = 2), ReLU, MaxPool2d(3, stride = 2),
                Conv2d(64, 192, 5, pad = 2), ReLU, MaxPool2d(3, stride = 2),
                Conv2d(192, 384, 3, pad = 1), ReLU,
                Conv2d(384, 256, 3, pad = 1), ReLU,
                Conv2d(256, 256, 3, pad = 1), ReLU, MaxPool2d(3, stride = 2),
                $($adapt)*
                Flatten,
                Dropout(0.5), Linear(9216, 4096), ReLU,
                Dropout(0.5), Linear(4096, 4096), ReLU,
                Linear(4096, 1000),
            }
        }
    };
}

alexnet! {
    /// AlexNet as torchvision builds it (the "one weird trick" single-tower variant: 64, 192,
    /// 384, 256, 256 filters, no LRN) on 224×224. `AdaptiveAvgPool2d((6, 6))` is the identity
    /// here: the last map is already 6×6. 61,100,840 parameters, as torchvision.
    ///
    /// ```text
    /// layer                          output          params
    /// Conv2d(3, 64, 11, s4, p2)      [64, 55, 55]        23,296
    /// MaxPool2d(3, s2)               [64, 27, 27]             0
    /// Conv2d(64, 192, 5, p2)         [192, 27, 27]      307,392
    /// MaxPool2d(3, s2)               [192, 13, 13]            0
    /// Conv2d(192, 384, 3, p1)        [384, 13, 13]      663,936
    /// Conv2d(384, 256, 3, p1)        [256, 13, 13]      884,992
    /// Conv2d(256, 256, 3, p1)        [256, 13, 13]      590,080
    /// MaxPool2d(3, s2)               [256, 6, 6]              0
    /// Linear(9216, 4096)             [4096]          37,752,832
    /// Linear(4096, 4096)             [4096]          16,781,312
    /// Linear(4096, 1000)             [1000]           4,097,000
    /// ```
    AlexNetx224, 224, {}
}
alexnet! {
    /// torchvision's AlexNet on 63×63, its smallest input: the last map is 1×1 and the adaptive
    /// pool to 6×6 copies it into every cell (`Upsample(6, nearest)`), as torchvision does.
    AlexNetx63, 63, { Upsample(scale_factor = 6, mode = nearest), }
}
const _: () = assert!(AlexNetx224::PARAMS == ALEXNET_PARAMS);
const _: () = assert!(AlexNetx63::PARAMS == ALEXNET_PARAMS);

/// An input side torchvision's AlexNet is built for: `U224` or `U63`.
#[diagnostic::on_unimplemented(
    message = "unsupported input size: AlexNet is built for 224×224 (`AlexNet<U224>`) or 63×63 (`AlexNet<U63>`) only",
    label = "no AlexNet at this input size",
    note = "each supported size is its own expansion in dl-models; for another size, copy the model's `network!` with your input shape"
)]
pub trait AlexNetInput {
    /// AlexNet at this size.
    type AlexNet;
}
// hidden: rustdoc would print the size as a binary typenum nest; the trait's doc names it
#[doc(hidden)]
impl AlexNetInput for U224 {
    type AlexNet = AlexNetx224;
}
// hidden: rustdoc would print the size as a binary typenum nest; the trait's doc names it
#[doc(hidden)]
impl AlexNetInput for U63 {
    type AlexNet = AlexNetx63;
}
/// torchvision's AlexNet on `H×H` images (`U224` or `U63`).
pub type AlexNet<H> = <H as AlexNetInput>::AlexNet;

/// The paper's AlexNet without its two-GPU split: 96, 256, 384, 384, 256 filters, LRN after the
/// first two convolutions, 227×227 input (the size that makes the paper's 55×55 work out).
/// The paper splits conv2, conv4 and conv5 into two groups (60,965,224 parameters); `network!`
/// has no grouped convolution, so this is the ungrouped single-tower version.
pub const ALEXNET_LRN_PARAMS: usize = 62_378_344;

network! {
    /// AlexNet as in the paper, single tower: 227×227 input; Conv 11×11/4 to 96, ReLU, LRN(5),
    /// max-pool 3/2; Conv 5×5 to 256, ReLU, LRN, pool; 3×3 to 384, 384, 256; pool; 4096, 4096,
    /// 1000 with dropout. Call [`AlexNetLrn::paper`] for the paper's LRN constants (k = 2,
    /// α = 1e-4, β = 0.75); `new` gives PyTorch's defaults (k = 1).
    ///
    /// ```text
    /// layer                   output          params
    /// Conv2d(3, 96, 11, s4)   [96, 55, 55]        34,944
    /// LRN(5), MaxPool(3, s2)  [96, 27, 27]             0
    /// Conv2d(96, 256, 5, p2)  [256, 27, 27]      614,656
    /// LRN(5), MaxPool(3, s2)  [256, 13, 13]            0
    /// Conv2d(256, 384, 3, p1) [384, 13, 13]      885,120
    /// Conv2d(384, 384, 3, p1) [384, 13, 13]    1,327,488
    /// Conv2d(384, 256, 3, p1) [256, 13, 13]      884,992
    /// MaxPool(3, s2)          [256, 6, 6]              0
    /// Linear 9216→4096→4096→1000             58,631,144
    /// total                                  62,378,344
    /// ```
    #[network(crate = ::dl_core)]
    pub struct AlexNetLrn: [3, 227, 227] {
        Conv2d(3, 96, 11, stride = 4), ReLU, LocalResponseNorm(5), MaxPool2d(3, stride = 2),
        Conv2d(96, 256, 5, pad = 2), ReLU, LocalResponseNorm(5), MaxPool2d(3, stride = 2),
        Conv2d(256, 384, 3, pad = 1), ReLU,
        Conv2d(384, 384, 3, pad = 1), ReLU,
        Conv2d(384, 256, 3, pad = 1), ReLU, MaxPool2d(3, stride = 2),
        Flatten,
        Linear(9216, 4096), ReLU, Dropout(0.5),
        Linear(4096, 4096), ReLU, Dropout(0.5),
        Linear(4096, 1000),
    }
}
const _: () = assert!(AlexNetLrn::PARAMS == ALEXNET_LRN_PARAMS);

#[cfg(feature = "alloc")]
impl AlexNetLrn {
    /// The network with the paper's LRN constants: k = 2, α = 1e-4, β = 0.75, size 5.
    pub fn paper(seed: u64) -> alloc::boxed::Box<Self> {
        let mut net = Self::new(seed);
        net.lrn1 = dl_core::LocalResponseNorm::new(1e-4, 0.75, 2.0);
        net.lrn2 = dl_core::LocalResponseNorm::new(1e-4, 0.75, 2.0);
        net
    }
}

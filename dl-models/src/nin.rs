//! Network in Network (M. Lin, Q. Chen, S. Yan, "Network In Network", ICLR 2014): the paper's
//! CIFAR-10 model. Each "mlpconv" block is a spatial convolution followed by two 1×1
//! convolutions (a small MLP slid over the image); no fully connected layer: the last block
//! gives one map per class and global average pooling turns each map into a class score.
use dl_core::consts::{U32, U64};
use dl_macros::network;

/// Parameters of the paper's CIFAR-10 NiN (the released Caffe model): 192-160-96, 192-192-192,
/// 192-192-10 mlpconv blocks with 5×5, 5×5, 3×3 spatial kernels.
pub const NIN_PARAMS: usize = 5 * 5 * 3 * 192 + 192 // conv1
    + 192 * 160 + 160 + 160 * 96 + 96 // cccp1, cccp2
    + 5 * 5 * 96 * 192 + 192 // conv2
    + 2 * (192 * 192 + 192) // cccp3, cccp4
    + 3 * 3 * 192 * 192 + 192 // conv3
    + 192 * 192 + 192 + 192 * 10 + 10; // cccp5, cccp6

macro_rules! nin {
    ($(#$a:tt)* $name:ident, $h:tt) => {
        network! {
            $(#$a)*
            #[network(crate = ::dl_core)]
            pub struct $name: [3, $h, $h] {
                Conv2d(3, 192, 5, pad = 2), ReLU, Conv2d(160, 1), ReLU, Conv2d(96, 1), ReLU,
                MaxPool2d(3, stride = 2, pad = 1), Dropout(0.5),
                Conv2d(96, 192, 5, pad = 2), ReLU, Conv2d(192, 1), ReLU, Conv2d(192, 1), ReLU,
                AvgPool2d(3, stride = 2, pad = 1), Dropout(0.5),
                Conv2d(192, 192, 3, pad = 1), ReLU, Conv2d(192, 1), ReLU, Conv2d(10, 1), ReLU,
                GlobalAvgPool2d, Flatten,
            }
        }
    };
}

nin! {
    /// NiN for CIFAR-10, 32×32 input, 10 classes: three mlpconv blocks (spatial conv + two 1×1
    /// convs, ReLU each), 3×3/2 max- then average-pooling with dropout between blocks, global
    /// average pooling of the ten class maps. Caffe's ceil-mode pooling (32 → 16 → 8) is
    /// written as padding 1, which gives the same sizes.
    ///
    /// ```text
    /// block                                   output          params
    /// conv 5×5 192, 1×1 160, 1×1 96           [96, 32, 32]       60,928
    /// MaxPool2d(3, s2, p1), Dropout           [96, 16, 16]            0
    /// conv 5×5 192, 1×1 192, 1×1 192          [192, 16, 16]     535,104
    /// AvgPool2d(3, s2, p1), Dropout           [192, 8, 8]             0
    /// conv 3×3 192, 1×1 192, 1×1 10           [10, 8, 8]        370,954
    /// GlobalAvgPool2d, Flatten                [10]                    0
    /// total                                                     966,986
    /// ```
    Ninx32, 32
}
nin! {
    /// NiN on 64×64 images: the same parameters as [`Ninx32`]; maps 64, 32, 16.
    Ninx64, 64
}
const _: () = assert!(NIN_PARAMS == 966_986);
const _: () = assert!(Ninx32::PARAMS == NIN_PARAMS);
const _: () = assert!(Ninx64::PARAMS == NIN_PARAMS);

/// An input side NiN is built for: `U32` or `U64`.
#[diagnostic::on_unimplemented(
    message = "unsupported input size: Nin is built for 32×32 (`Nin<U32>`) or 64×64 (`Nin<U64>`) only",
    label = "no Nin at this input size",
    note = "each supported size is its own expansion in dl-models; for another size, copy the model's `network!` with your input shape"
)]
pub trait NinInput {
    /// NiN at this size.
    type Nin;
}
// hidden: rustdoc would print the size as a binary typenum nest; the trait's doc names it
#[doc(hidden)]
impl NinInput for U32 {
    type Nin = Ninx32;
}
// hidden: rustdoc would print the size as a binary typenum nest; the trait's doc names it
#[doc(hidden)]
impl NinInput for U64 {
    type Nin = Ninx64;
}
/// Network in Network on `H×H` images (`U32` or `U64`).
pub type Nin<H> = <H as NinInput>::Nin;

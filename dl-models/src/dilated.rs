//! The context module of F. Yu & V. Koltun, "Multi-Scale Context Aggregation by Dilated
//! Convolutions", ICLR 2016: seven 3×3 convolutions with dilations 1, 1, 2, 4, 8, 16, 1 (each
//! padded by its dilation, so the map keeps its size; ReLU after each) and a final 1×1
//! convolution. It maps `C` class-score maps to `C` refined maps of the same size while the
//! receptive field grows exponentially, to 67×67.
use dl_core::consts::{U32, U64, U97};
use dl_macros::network;

/// The basic module's parameters for `C` = 21 (PASCAL VOC): `64·C²` weights plus `8·C` biases.
pub const CONTEXT_PARAMS: usize = 64 * 21 * 21 + 8 * 21;

macro_rules! context {
    ($(#$a:tt)* $name:ident, $h:tt) => {
        network! {
            $(#$a)*
            #[network(crate = ::dl_core)]
            pub struct $name: [21, $h, $h] {
                Conv2d(21, 21, 3, pad = 1), ReLU,
                Conv2d(21, 21, 3, pad = 1), ReLU,
                Conv2d(21, 21, 3, pad = 2, dilation = 2), ReLU,
                Conv2d(21, 21, 3, pad = 4, dilation = 4), ReLU,
                Conv2d(21, 21, 3, pad = 8, dilation = 8), ReLU,
                Conv2d(21, 21, 3, pad = 16, dilation = 16), ReLU,
                Conv2d(21, 21, 3, pad = 1), ReLU,
                Conv2d(21, 21, 1),
            }
        }
    };
}

context! {
    /// The basic context module on 21 score maps of 64×64.
    ///
    /// ```text
    /// layer                     dilation  receptive field  output         params
    /// Conv2d(21, 21, 3, p1)     1         3×3              [21, 64, 64]   3,990
    /// Conv2d(21, 21, 3, p1)     1         5×5              [21, 64, 64]   3,990
    /// Conv2d(21, 21, 3, p2, d2) 2         9×9              [21, 64, 64]   3,990
    /// Conv2d(21, 21, 3, p4, d4) 4         17×17            [21, 64, 64]   3,990
    /// Conv2d(21, 21, 3, p8, d8) 8         33×33            [21, 64, 64]   3,990
    /// Conv2d(21, 21, 3, p16, d16) 16      65×65            [21, 64, 64]   3,990
    /// Conv2d(21, 21, 3, p1)     1         67×67            [21, 64, 64]   3,990
    /// Conv2d(21, 21, 1)         -         67×67            [21, 64, 64]     462
    /// total                                                              28,392
    /// ```
    Contextx64, 64
}
context! {
    /// The context module on 32×32 maps.
    Contextx32, 32
}
context! {
    /// The context module on 97×97 maps (odd sizes work too).
    Contextx97, 97
}
const _: () = assert!(Contextx64::PARAMS == CONTEXT_PARAMS);
const _: () = assert!(Contextx32::PARAMS == CONTEXT_PARAMS);
const _: () = assert!(Contextx97::PARAMS == CONTEXT_PARAMS);

/// A map side the context module is built for: `U32`, `U64` or `U97`.
#[diagnostic::on_unimplemented(
    message = "unsupported input size: Context is built for 32×32, 64×64 or 97×97 maps (`<U32>`, `<U64>`, `<U97>`) only",
    label = "no Context at this input size",
    note = "each supported size is its own expansion in dl-models; for another size, copy the model's `network!` with your input shape"
)]
pub trait ContextInput {
    /// The module at this size.
    type Context;
}
// hidden: rustdoc would print the size as a binary typenum nest; the trait's doc names it
#[doc(hidden)]
impl ContextInput for U32 {
    type Context = Contextx32;
}
// hidden: rustdoc would print the size as a binary typenum nest; the trait's doc names it
#[doc(hidden)]
impl ContextInput for U64 {
    type Context = Contextx64;
}
// hidden: rustdoc would print the size as a binary typenum nest; the trait's doc names it
#[doc(hidden)]
impl ContextInput for U97 {
    type Context = Contextx97;
}
/// The dilated context module on `[21, H, H]` score maps; output `[21, H, H]`.
pub type Context<H> = <H as ContextInput>::Context;

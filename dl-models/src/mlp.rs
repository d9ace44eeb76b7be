//! The temperature regressor of the lecture *What is Deep Learning?* (slides after Stanford CS231n): a 3-16-16-1 sigmoid multi-layer perceptron.
use dl_macros::network;

network! {
    /// The first network of the lecture *What is Deep Learning?*: from the last three days' average temperature, predict
    /// tomorrow's (`examples/` trains it on the Seattle weather data).
    ///
    /// Paper: the multi-layer perceptron trained by back-propagation, Rumelhart, Hinton &
    /// Williams, "Learning representations by back-propagating errors", Nature 323 (1986).
    ///
    /// Input `[3]` (three standardised temperatures), output `[1]`.
    ///
    /// ```text
    /// Mlp: input [3]
    /// Layer              Output shape    Params   MACs
    /// Linear(3, 16)      [16]                64     48
    /// Sigmoid            [16]                 0      0
    /// Linear(16, 16)     [16]               272    256
    /// Sigmoid            [16]                 0      0
    /// Linear(16, 1)      [1]                 17     16
    /// Total params: 353 (1,412 weight bytes); MACs per sample: 320
    /// ```
    #[network(crate = ::dl_core)]
    pub struct Mlp: [3] {
        Linear(3, 16), Sigmoid,
        Linear(16, 16), Sigmoid,
        Linear(16, 1),
    }
}

/// Published count: (3·16 + 16) + (16·16 + 16) + (16·1 + 1).
pub const MLP_PARAMS: usize = 353;
const _: () = assert!(Mlp::PARAMS == MLP_PARAMS);

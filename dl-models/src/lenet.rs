//! LeNet-5 (LeCun et al., 1998), in the common ReLU / max-pooling variant.
use dl_macros::network;

network! {
    /// LeNet-5 with ReLU and 2×2 max-pooling (the variant every course teaches; the original
    /// used scaled tanh, trainable sub-sampling and a sparse C3 table).
    ///
    /// Paper: Y. LeCun, L. Bottou, Y. Bengio, P. Haffner, "Gradient-based learning applied to
    /// document recognition", Proc. IEEE 86(11), 1998.
    ///
    /// Input `[1, 32, 32]` (a grey 32×32 image), output `[10]` (class logits).
    ///
    /// ```text
    /// LeNet5: input [1, 32, 32]
    /// Layer              Output shape    Params      MACs
    /// Conv2d(1, 6, 5)    [6, 28, 28]        156   117,600
    /// ReLU               [6, 28, 28]          0         0
    /// MaxPool2d(2)       [6, 14, 14]          0         0
    /// Conv2d(6, 16, 5)   [16, 10, 10]     2,416   240,000
    /// ReLU               [16, 10, 10]         0         0
    /// MaxPool2d(2)       [16, 5, 5]           0         0
    /// Flatten            [400]                0         0
    /// Linear(400, 120)   [120]           48,120    48,000
    /// ReLU               [120]                0         0
    /// Linear(120, 84)    [84]            10,164    10,080
    /// ReLU               [84]                 0         0
    /// Linear(84, 10)     [10]               850       840
    /// Total params: 61,706 (246,824 weight bytes); MACs per sample: 416,520
    /// ```
    ///
    /// PyTorch names (a `nn.Sequential`-free module with `conv1`, `conv2`, `fc1`, `fc2`, `fc3`):
    /// see [`LENET5_STATE_DICT`].
    #[network(crate = ::dl_core)]
    pub struct LeNet5: [1, 32, 32] {
        Conv2d(1, 6, 5), ReLU,
        MaxPool2d(2),
        Conv2d(6, 16, 5), ReLU,
        MaxPool2d(2),
        Flatten,
        Linear(400, 120), ReLU,
        Linear(120, 84), ReLU,
        Linear(84, 10),
    }
}

/// Published count, ReLU/max-pool variant.
pub const LENET5_PARAMS: usize = 61_706;
const _: () = assert!(LeNet5::PARAMS == LENET5_PARAMS);

/// Parameter names and shapes in [`dl_core::Module::visit`] order, as the usual PyTorch
/// `LeNet5` module (`conv1`, `conv2`, `fc1`, `fc2`, `fc3`) names them in its `state_dict`.
pub const LENET5_STATE_DICT: &[(&str, &[usize])] = &[
    ("conv1.weight", &[6, 1, 5, 5]),
    ("conv1.bias", &[6]),
    ("conv2.weight", &[16, 6, 5, 5]),
    ("conv2.bias", &[16]),
    ("fc1.weight", &[120, 400]),
    ("fc1.bias", &[120]),
    ("fc2.weight", &[84, 120]),
    ("fc2.bias", &[84]),
    ("fc3.weight", &[10, 84]),
    ("fc3.bias", &[10]),
];

// A plain chain with every hyper-parameter spelled out; resource facts usable in const context.
use dl::network;

network! {
    /// Documented, private network.
    struct Small: [3, 32, 32] {
        Conv2d(3, 8, kernel_size = 3, stride = 2, padding = 1, dilation = 1), LeakyReLU(0.1),
        Conv2d(out_channels = 8, kernel = 3, pad = 2, dilation = 2), Sigmoid,
        Flatten,
        Linear(10), Tanh,
    }
}
// Arena: the two 8·16·16 maps and the stride-1 second conv's scratch: its padded input
// (8·20·20, plus the 2·2 tail the last dilated window reads) and its output 20 wide (8·16·20).
const _: () = assert!(Small::ARENA_BYTES == 4 * (2048 + 2048 + 8 * 20 * 20 + 4 + 8 * 16 * 20));
const _: () = assert!(Small::PARAMS == 224 + 584 + 2048 * 10 + 10);

fn main() {
    let _ = Small::summary();
}

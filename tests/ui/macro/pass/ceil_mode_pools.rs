// GoogLeNet's ceil-mode pools, 112 → 56 → 28 → 14 → 7 (floor mode would give 55, 27, 13, 6),
// an AvgPool2d in ceil mode and BatchNorm with eps, positional or named.
use dl::network;

network! {
    pub struct Pools: [4, 112, 112] {
        MaxPool2d(3, stride = 2, ceil_mode = true),
        BatchNorm2d(4, eps = 0.001),
        MaxPool2d(3, 2, ceil_mode = true),
        MaxPool2d(kernel_size = 3, stride = 2, ceil_mode = true),
        AvgPool2d(3, stride = 2, ceil_mode = false),
        MaxPool2d(3, stride = 2, padding = 1, ceil_mode = true),
        AvgPool2d(2, ceil_mode = true),
        BatchNorm2d(eps = 1e-3),
        Flatten,
        BatchNorm1d(eps = 0.5),
    }
}
// 112 → 56 → 28 → 14 (ceil) → 6 (floor) → 4 (ceil with padding: ⌈6/2⌉+1) → 2.
const _: () = assert!(Pools::PARAMS == 2 * 4 + 2 * 4 + 2 * 16);

fn main() {
    let _ = Pools::summary();
}

use dl::network;

network! {
    pub struct Res: [8, 8, 8] {
        residual { Conv2d(8, 8, 3, pad = 1), BatchNorm2d, ReLU, Conv2d(8, 8, 3, pad = 1), BatchNorm2d },
        ReLU,
        residual {
            Conv2d(16, 3, stride = 2, pad = 1), BatchNorm2d(16), ReLU,
            Conv2d(16, 16, 3, pad = 1), BatchNorm2d(16),
        } shortcut {
            Conv2d(16, 1, stride = 2), BatchNorm2d(16),
        },
        ReLU,
    }
}

fn main() {
    let _ = Res::new(0);
}

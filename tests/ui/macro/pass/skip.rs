use dl::network;

network! {
    /// FCN-16s in miniature: score, upsample, add the cropped, scored pool4 tap.
    pub struct Fcn: [3, 32, 32] {
        Conv2d(3, 8, 3, pad = 1), ReLU,
        tap pool4,
        Conv2d(8, 16, 3, stride = 2, pad = 1), ReLU,
        tap pool5,
        Conv2d(16, 16, 3, stride = 2, pad = 1), ReLU,
        Conv2d(16, 4, 1),
        Upsample(scale_factor = 2, mode = nearest),
        skip(pool5) { Conv2d(16, 4, 1) },
        ConvTranspose2d(4, 4, 4, stride = 2, pad = 1),
        skip(pool4, crop = 0) { Conv2d(8, 4, 1) },
        Upsample(scale_factor = 1, mode = bilinear),
    }
}

fn main() {
    let _ = Fcn::new(0);
}

// ResNet is built for 224×224 and 32×32 inputs only.
use dl::consts::*;
use dl_models::ResNet50;

fn main() {
    let _net = ResNet50::<U64>::new(0);
}

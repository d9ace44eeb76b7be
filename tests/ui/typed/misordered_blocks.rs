// The classifier placed before the feature extractor.
use dl::consts::*;
use dl::*;

type Net = Network<
    Shape3<U1, U12, U12>,
    Seq![Flatten, Linear<U144, U10>, Conv2d<U1, U4, U5>, ReLU, MaxPool2d<U2>],
>;

fn main() {
    let _net = Net::new(0);
}

// The fifth layer (the second Conv2d) expects 8 input channels; the first makes 6.
use dl::consts::*;
use dl::*;

type Net = Network<
    Shape3<U1, U28, U28>,
    Seq![Conv2d<U1, U6, U5>, ReLU, MaxPool2d<U2>, BatchNorm2d<U6>, Conv2d<U8, U16, U5>, ReLU],
>;

fn main() {
    let _net = Net::new(0);
}

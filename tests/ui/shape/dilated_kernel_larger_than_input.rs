// The second convolution has a 3×3 kernel at dilation 3, which spans 3·2 + 1 = 7 pixels,
// but its input is 5×5 with padding 0: 7 > 5.
use dl::consts::*;
use dl::*;

type Net = Seq![Conv2d<U1, U4, U3, U1, U1>, Conv2d<U4, U4, U3, U1, U0, U3>];

fn main() {
    let _net = Network::<Shape3<U1, U5, U5>, Net>::new(0);
}

// A Linear built for 2,048 features fed 1,600 (= 16·10·10): both widths are over 1,024, so the
// first line shows them as `Big<thousands, rest>`.
use dl::consts::*;
use dl::*;

type Net = Seq![Conv2d<U3, U16, U3>, ReLU, Flatten, Linear<U2048, U10>];

fn main() {
    let _net = Network::<Shape3<U3, U12, U12>, Net>::new(0);
}

//! A layer type of the user's own goes in a hand-composed chain once it has `link_fits!`, and a
//! `network!` struct goes in one as a link: both compute what they should there.
use dl::consts::*;
use dl::*;

/// Doubles its input: a layer written outside dl.
#[derive(Clone, Copy, Default)]
struct Double;
// SAFETY: a unit struct.
unsafe impl Zeroable for Double {}
impl Module for Double {}
impl<S: Shape> Layer<S> for Double {
    type Out = S;
    fn infer(&self, x: &[f32], y: &mut [f32], _scratch: &mut [f32]) {
        for (y, x) in y.iter_mut().zip(x) {
            *y = 2.0 * x;
        }
    }
}
link_fits!(Double);

network! {
    /// A small block written with the macro, used as one link.
    pub struct Head: [4] {
        Linear(4, 3), ReLU,
    }
}

#[test]
fn a_layer_of_ones_own_and_a_network_struct_are_links() {
    type Chain = Seq![Linear<U4, U4>, Double, Head, Double];
    let net = Network::<Shape1<U4>, Chain>::new(7);
    let x = [0.5f32, -1.0, 2.0, 0.25];
    let mut y = [0f32; 3];
    let mut scratch = vec![0f32; Network::<Shape1<U4>, Chain>::scratch_len()];
    net.try_infer(&x, &mut y, &mut scratch).unwrap();

    // The same by hand: Linear, ×2, Linear + ReLU, ×2.
    let (l1, head) = (&net.layers.0, &net.layers.1 .1 .0);
    let mut h = [0f32; 4];
    Layer::<Shape1<U4>>::infer(l1, &x, &mut h, &mut []);
    h.iter_mut().for_each(|v| *v *= 2.0);
    let mut want = [0f32; 3];
    head.infer(
        &h,
        &mut want,
        &mut [0f32; <Head as Layer<Shape1<U4>>>::SCRATCH],
    );
    want.iter_mut().for_each(|v| *v *= 2.0);
    assert_eq!(y, want);
    assert!(
        y.iter().any(|&v| v != 0.0),
        "a ReLU of random weights left something"
    );
}

//! Inference of a grouped convolution for `network!`: the depthwise kernel of
//! [`crate::kernels::depthwise`] when every group has one input channel, otherwise
//! [`conv2d_infer`] once per group on its channel slices. (Training of a grouped `network!`
//! layer runs the layer's own `Train`.)
use super::infer::{conv2d_infer, conv_scratch};
use crate::kernels::depthwise::{self, Depthwise};
use crate::kernels::im2col::Geom;

/// One group's geometry: `I/G` input channels.
const fn group_geom(g: &Geom, groups: usize) -> Geom {
    Geom {
        c: g.c / groups,
        ..*g
    }
}

/// The scratch of one sample of [`grouped_infer`] (`g`: all `I` channels; `o` output
/// channels; `groups` divides both).
pub const fn grouped_scratch(g: Geom, o: usize, groups: usize) -> usize {
    if g.c == groups {
        Depthwise::new(&g, g.c, o / groups).scratch()
    } else {
        conv_scratch(group_geom(&g, groups), o / groups)
    }
}

/// One sample of `Conv2d(…, groups)`: `w` is `[O, I/G, K, K]`, an empty `b` is no bias;
/// `post(o, row)` runs on each output plane (`o` counted over all groups) while it is in
/// cache. `scratch` holds [`grouped_scratch`] floats.
#[allow(clippy::too_many_arguments)]
pub fn grouped_infer<F: FnMut(usize, &mut [f32])>(
    w: &[f32],
    b: &[f32],
    g: &Geom,
    groups: usize,
    x: &[f32],
    y: &mut [f32],
    scratch: &mut [f32],
    mut post: F,
) {
    let o = if b.is_empty() {
        w.len() / (g.rows() / groups)
    } else {
        b.len()
    };
    if g.c == groups {
        let d = Depthwise::new(g, g.c, o / groups);
        depthwise::forward(&d, w, b, x, y, scratch, post);
        return;
    }
    let gg = group_geom(g, groups);
    let (og, xg) = (o / groups, gg.c * g.h * g.w);
    let (yg, wg) = (og * g.cols(), og * gg.rows());
    for gi in 0..groups {
        let bg = if b.is_empty() { b } else { &b[gi * og..][..og] };
        conv2d_infer(
            &w[gi * wg..][..wg],
            bg,
            &gg,
            &x[gi * xg..][..xg],
            &mut y[gi * yg..][..yg],
            scratch,
            |oc, row| post(gi * og + oc, row),
        );
    }
}

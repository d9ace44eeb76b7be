//! Convolution for `network!`'s in-place inference plan, where a layer gets only the arena
//! memory left between its input and its output: the fast kernel ([`conv2d_infer`] or
//! [`grouped_infer`]) when its scratch fits there, else the direct kernel of
//! [`crate::kernels::direct`], which needs none.
use super::grouped::{grouped_infer, grouped_scratch};
use super::infer::{conv2d_infer, conv_scratch};
use crate::kernels::direct;
use crate::kernels::im2col::Geom;

/// Floats of scratch the fast kernel of a convolution (`o` output channels, `groups` groups,
/// geometry `g` over all input channels) needs for one sample.
pub const fn fast_scratch(g: Geom, o: usize, groups: usize) -> usize {
    if groups <= 1 {
        conv_scratch(g, o)
    } else {
        grouped_scratch(g, o, groups)
    }
}

/// One sample of `Conv2d(…, groups)` in whatever scratch there is: [`conv2d_infer`] /
/// [`grouped_infer`] when `scratch` holds their [`fast_scratch`], otherwise
/// [`direct::conv`] (same values up to rounding, no scratch). `w`, `b`, `post` as for
/// [`grouped_infer`].
#[allow(clippy::too_many_arguments)]
pub fn conv_fit<F: FnMut(usize, &mut [f32])>(
    w: &[f32],
    b: &[f32],
    g: &Geom,
    groups: usize,
    x: &[f32],
    y: &mut [f32],
    scratch: &mut [f32],
    post: F,
) {
    let o = if b.is_empty() {
        w.len() / (g.rows() / groups.max(1)).max(1)
    } else {
        b.len()
    };
    if scratch.len() < fast_scratch(*g, o, groups) {
        direct::conv(w, b, g, groups, x, y, post);
    } else if groups <= 1 {
        conv2d_infer(w, b, g, x, y, scratch, post);
    } else {
        grouped_infer(w, b, g, groups, x, y, scratch, post);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::{vec, vec::Vec};

    fn vals(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| {
                let v = (i as u32).wrapping_mul(2_246_822_519).wrapping_add(seed) >> 8;
                v as f32 / (1u32 << 24) as f32 - 0.5
            })
            .collect()
    }

    /// With room, the fast kernel (bit for bit); without, the direct one (same values within
    /// rounding), for a plain and a depthwise convolution.
    #[test]
    fn picks_the_kernel_that_fits() {
        for &(c, groups, o) in &[(4usize, 1usize, 6usize), (4, 4, 8)] {
            let g = Geom::new(c, 12, 10, [3, 3], [1, 1], [1, 1, 1, 1], [1, 1]);
            let w = vals(o * (c / groups) * 9, 5);
            let (b, x) = (vals(o, 9), vals(c * 120, 1));
            let need = fast_scratch(g, o, groups);
            assert!(need > 0);
            let relu = |_: usize, p: &mut [f32]| p.iter_mut().for_each(|v| *v = v.max(0.0));
            let mut fast = vec![0.0; o * 120];
            let mut s = vec![0.0; need];
            if groups == 1 {
                conv2d_infer(&w, &b, &g, &x, &mut fast, &mut s, relu);
            } else {
                grouped_infer(&w, &b, &g, groups, &x, &mut fast, &mut s, relu);
            }
            let (mut roomy, mut tight) = (vec![0.0; o * 120], vec![0.0; o * 120]);
            conv_fit(&w, &b, &g, groups, &x, &mut roomy, &mut s, relu);
            conv_fit(&w, &b, &g, groups, &x, &mut tight, &mut s[..need - 1], relu);
            assert_eq!(roomy, fast);
            assert!(fast.iter().any(|&v| v > 0.1));
            for (a, e) in tight.iter().zip(&fast) {
                assert!((a - e).abs() <= 1e-5, "{a} vs {e}");
            }
        }
    }
}

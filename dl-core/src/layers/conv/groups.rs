//! Groups of a convolution (`nn.Conv2d(…, groups=G)`): `G` independent convolutions on
//! contiguous channel slices. In CHW layout the `I/G` input channels of group `g` are
//! contiguous, and so are its `O/G` output channels, its weight rows (`[O/G, I/G, K, K]`) and
//! its bias; each group runs the ordinary per-sample plan on its slices. The depthwise case
//! (`I/G = 1`) runs the direct kernel of [`crate::kernels::depthwise`] instead.
use crate::shape::AtLeast1;
use core::ops::Rem;
use typenum::{Eq, IsEqual, Max, Mod, Quot, U0, U1};

/// Input channels per group, `I/G` (a group count of 0 is read as 1 here, so the weight's
/// length stays defined; [`crate::check::GroupsNonZero`] rejects the 0 with a message).
pub type PerGroup<I, G> = Quot<I, AtLeast1<G>>;

/// Whether `Self` channels split evenly into `G` groups: `Divides` is `B1` or `B0`.
pub trait DivisibleBy<G> {
    /// `B1` when `G` divides `Self`.
    type Divides;
}
impl<N, G> DivisibleBy<G> for N
where
    G: Max<U1>,
    N: Rem<AtLeast1<G>>,
    Mod<N, AtLeast1<G>>: IsEqual<U0>,
{
    type Divides = Eq<Mod<N, AtLeast1<G>>, U0>;
}

/// `n / max(g, 1)`.
pub(super) const fn per_group(n: usize, g: usize) -> usize {
    n / if g == 0 { 1 } else { g }
}

/// The bias of one group: its `og` entries, or nothing without a bias.
pub(super) fn group_bias(bias: &[f32], g: usize, og: usize) -> &[f32] {
    if bias.is_empty() {
        bias
    } else {
        &bias[g * og..][..og]
    }
}

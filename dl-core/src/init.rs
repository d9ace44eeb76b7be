//! Weight initialisers, seeded with [`Rng`]: the lecture *What is Deep Learning?*'s `N(0, 0.01²)`, Xavier/Glorot and
//! He/MSR (Kaiming), with PyTorch's formulas (`torch.nn.init`). The same seed gives
//! bit-identical weights on every platform. Needs no allocator.
//!
//! | [`Init`]          | distribution                                  |
//! |-------------------|-----------------------------------------------|
//! | `Normal { std }`  | `N(0, std²)`; the lecture's `0.01·randn` is [`Init::LECTURE`] |
//! | `XavierUniform`   | `U(−a, a)`, `a = √(6 / (fan_in + fan_out))`     |
//! | `XavierNormal`    | `N(0, 2 / (fan_in + fan_out))`                  |
//! | `LecunNormal`     | `N(0, 1 / fan_in)`: the lecture's "Xavier", `randn(n) / √n` |
//! | `KaimingNormal`   | `N(0, 2 / fan_in)`: He/MSR, `randn(n)·√(2/n)`, ReLU gain √2 |
//! | `KaimingUniform`  | `U(−a, a)`, `a = √(6 / fan_in)` (same variance)  |
//!
//! `fan_in`/`fan_out` are inputs/outputs per unit: `I`/`O` for `Linear<I, O>`, `I·K·K`/`O·K·K`
//! for `Conv2d<I, O, K>`.
use crate::layers::conv::{Conv2d, ConvBias, Filters};
use crate::layers::linear::{Dense, Linear};
use crate::math::sqrt;
use crate::rng::Rng;
use typenum::Unsigned;

/// A weight distribution; see the [module docs](self) for the formulas.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// `N(0, std²)`, whatever the fans.
    Normal {
        /// Standard deviation.
        std: f32,
    },
    /// Glorot & Bengio, uniform (`torch.nn.init.xavier_uniform_`, gain 1).
    XavierUniform,
    /// Glorot & Bengio, normal (`torch.nn.init.xavier_normal_`, gain 1).
    XavierNormal,
    /// `N(0, 1/fan_in)`.
    LecunNormal,
    /// He et al. (MSR), normal (`kaiming_normal_`, fan_in mode, ReLU).
    KaimingNormal,
    /// He et al. (MSR), uniform (`kaiming_uniform_`, fan_in mode, ReLU).
    KaimingUniform,
}

/// Uniform or normal, with this standard deviation.
enum Dist {
    Uniform(f32),
    Normal(f32),
}

impl Init {
    /// The lecture's small random numbers: `W = 0.01·randn`.
    pub const LECTURE: Init = Init::Normal { std: 0.01 };

    fn dist(self, fan_in: usize, fan_out: usize) -> Dist {
        let (fi, fo) = (fan_in.max(1) as f32, fan_out.max(1) as f32);
        match self {
            Init::Normal { std } => Dist::Normal(std),
            Init::XavierUniform => Dist::Uniform(sqrt(2.0 / (fi + fo))),
            Init::XavierNormal => Dist::Normal(sqrt(2.0 / (fi + fo))),
            Init::LecunNormal => Dist::Normal(sqrt(1.0 / fi)),
            Init::KaimingNormal => Dist::Normal(sqrt(2.0 / fi)),
            Init::KaimingUniform => Dist::Uniform(sqrt(2.0 / fi)),
        }
    }

    /// The standard deviation of the weights for these fans.
    pub fn std(self, fan_in: usize, fan_out: usize) -> f32 {
        match self.dist(fan_in, fan_out) {
            Dist::Uniform(s) | Dist::Normal(s) => s,
        }
    }

    /// Fills `w` with independent draws (fans below 1 count as 1).
    pub fn fill(self, w: &mut [f32], fan_in: usize, fan_out: usize, rng: &mut Rng) {
        match self.dist(fan_in, fan_out) {
            Dist::Normal(std) => w.iter_mut().for_each(|x| *x = std * rng.normal()),
            Dist::Uniform(std) => {
                let a = sqrt(3.0) * std; // U(−a, a) has variance a²/3
                w.iter_mut().for_each(|x| *x = rng.uniform_in(-a, a));
            }
        }
    }

    /// Initialises a `Linear<I, O>`: weight with `fan_in = I`, `fan_out = O`; bias zero.
    pub fn linear<I: Unsigned, O: Dense<I>>(self, l: &mut Linear<I, O>, rng: &mut Rng) {
        self.fill(&mut l.weight, I::USIZE, O::USIZE, rng);
        l.bias.fill(0.0);
    }

    /// Initialises a `Conv2d<I, O, K, …, G>`: weight with `fan_in = (I/G)·Kh·Kw`,
    /// `fan_out = O·Kh·Kw` (PyTorch's fans of a `[O, I/G, Kh, Kw]` weight); bias zero.
    #[allow(clippy::type_complexity)]
    pub fn conv2d<
        I: Unsigned,
        O: Filters<I, K, G>,
        K: crate::shape::PerAxis,
        S,
        P,
        D,
        B: ConvBias<O>,
        G: Unsigned,
    >(
        self,
        c: &mut Conv2d<I, O, K, S, P, D, B, G>,
        rng: &mut Rng,
    ) {
        let kk = K::HW[0] * K::HW[1];
        let ig = I::USIZE / G::USIZE.max(1);
        self.fill(&mut c.weight, ig * kk, O::USIZE * kk, rng);
        c.bias.fill(0.0);
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::layer::zeroed_box;
    use alloc::vec::Vec;
    use typenum::consts::*;

    fn moments(w: &[f32]) -> (f64, f64) {
        let n = w.len() as f64;
        let mean = w.iter().map(|&x| x as f64).sum::<f64>() / n;
        let var = w.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n;
        (mean, var)
    }

    /// A 512×512 layer: empirical mean within 2% of the std from 0, variance within 3% of the
    /// formula (its standard error here is ≈ 0.3%); uniform draws stay inside ±√3·std.
    #[test]
    fn moments_match_the_formulas() {
        let (fi, fo) = (512usize, 256usize);
        let cases: [(Init, f64); 6] = [
            (Init::LECTURE, 1e-4),
            (Init::XavierUniform, 2.0 / 768.0),
            (Init::XavierNormal, 2.0 / 768.0),
            (Init::LecunNormal, 1.0 / 512.0),
            (Init::KaimingNormal, 2.0 / 512.0),
            (Init::KaimingUniform, 2.0 / 512.0),
        ];
        for (k, (init, var)) in cases.into_iter().enumerate() {
            let mut w = std::vec![0.0f32; 512 * 512];
            init.fill(&mut w, fi, fo, &mut Rng::new(k as u64));
            let (m, v) = moments(&w);
            let std = var.sqrt();
            assert!(m.abs() < 0.02 * std, "{init:?}: mean {m}");
            assert!(
                (v / var - 1.0).abs() < 0.03,
                "{init:?}: variance {v}, formula {var}"
            );
            assert!(((init.std(fi, fo) as f64).powi(2) / var - 1.0).abs() < 1e-5);
            if matches!(init, Init::XavierUniform | Init::KaimingUniform) {
                let a = (3.0 * var as f32).sqrt();
                assert!(w.iter().all(|x| x.abs() <= a), "{init:?}: beyond ±{a}");
                assert!(w.iter().any(|x| x.abs() > 0.99 * a));
            }
        }
    }

    /// Same seed, bit-identical weights; another seed, other weights.
    #[test]
    fn seeded() {
        let bits = |seed| {
            let mut w = [0.0f32; 300];
            Init::XavierNormal.fill(&mut w, 30, 10, &mut Rng::new(seed));
            w.map(f32::to_bits)
        };
        assert_eq!(bits(4), bits(4));
        assert_ne!(bits(4), bits(5));
    }

    /// The layer helpers use the layer's fans and zero the bias.
    #[test]
    fn layer_helpers() {
        let mut l = zeroed_box::<Linear<U300, U100>>();
        l.bias.fill(1.0);
        Init::KaimingNormal.linear(&mut l, &mut Rng::new(1));
        let (_, v) = moments(&l.weight);
        assert!((v / (2.0 / 300.0) - 1.0).abs() < 0.05, "{v}");
        assert!(l.bias.iter().all(|&b| b == 0.0));

        let mut c = zeroed_box::<Conv2d<U16, U32, U3>>();
        c.bias.fill(1.0);
        Init::XavierUniform.conv2d(&mut c, &mut Rng::new(2));
        let (_, v) = moments(&c.weight);
        let want = 2.0 / (16.0 * 9.0 + 32.0 * 9.0);
        assert!((v / want - 1.0).abs() < 0.05, "{v} vs {want}");
        assert!(c.bias.iter().all(|&b| b == 0.0));
        let mut again = zeroed_box::<Conv2d<U16, U32, U3>>();
        Init::XavierUniform.conv2d(&mut again, &mut Rng::new(2));
        let same: Vec<bool> = c
            .weight
            .iter()
            .zip(again.weight.iter())
            .map(|(a, b)| a.to_bits() == b.to_bits())
            .collect();
        assert!(same.iter().all(|&s| s));
    }
}

//! Image augmentation on one `[C, H, W]` sample (row-major), seeded. Each function checks
//! that the slice holds exactly `c·h·w` values (a [`SliceError`] otherwise, nothing changed).
use super::slices::{image, SliceError};
use crate::rng::Rng;

/// Mirrors every row (left ↔ right).
pub fn hflip(x: &mut [f32], c: usize, h: usize, w: usize) -> Result<(), SliceError> {
    image("hflip", x.len(), c, h, w)?;
    if w > 0 {
        x.chunks_exact_mut(w).for_each(|row| row.reverse());
    }
    Ok(())
}

/// Moves the image by `(dy, dx)` pixels (positive = down / right), filling with zeros.
pub fn translate(
    x: &mut [f32],
    c: usize,
    h: usize,
    w: usize,
    dy: isize,
    dx: isize,
) -> Result<(), SliceError> {
    image("translate", x.len(), c, h, w)?;
    let mut out = std::vec![0.0f32; c * h * w];
    for ch in 0..c {
        for y in 0..h as isize {
            let sy = y - dy;
            if sy < 0 || sy >= h as isize {
                continue;
            }
            for xx in 0..w as isize {
                let sx = xx - dx;
                if sx >= 0 && sx < w as isize {
                    out[(ch * h + y as usize) * w + xx as usize] =
                        x[(ch * h + sy as usize) * w + sx as usize];
                }
            }
        }
    }
    x.copy_from_slice(&out);
    Ok(())
}

/// Random crop with zero padding `pad`: equivalent to padding by `pad` on every side and
/// cutting an `h × w` window at a random offset, i.e. a random translation in `[−pad, pad]`.
pub fn random_crop(
    x: &mut [f32],
    c: usize,
    h: usize,
    w: usize,
    pad: usize,
    rng: &mut Rng,
) -> Result<(), SliceError> {
    image("random_crop", x.len(), c, h, w)?;
    let pad = pad.min(u32::MAX as usize / 2 - 1); // so the span fits a u32

    let span = 2 * pad as u32 + 1;
    let dy = rng.below(span) as isize - pad as isize;
    let dx = rng.below(span) as isize - pad as isize;
    translate(x, c, h, w, dy, dx)
}

/// Brightness (additive, `±b`) and contrast (multiplicative around the mean, `1 ± k`) jitter,
/// drawn per channel ("colour" jitter when `c = 3`).
pub fn color_jitter(
    x: &mut [f32],
    c: usize,
    h: usize,
    w: usize,
    b: f32,
    k: f32,
    rng: &mut Rng,
) -> Result<(), SliceError> {
    image("color_jitter", x.len(), c, h, w)?;
    if h * w == 0 {
        return Ok(());
    }
    for ch in x.chunks_exact_mut(h * w) {
        let shift = rng.uniform_in(-b, b);
        let scale = rng.uniform_in(1.0 - k, 1.0 + k);
        let mean = ch.iter().sum::<f32>() / ch.len() as f32;
        for v in ch.iter_mut() {
            *v = (*v - mean) * scale + mean + shift;
        }
    }
    Ok(())
}

/// Adds Gaussian noise of standard deviation `sigma` to every value.
pub fn add_noise(x: &mut [f32], sigma: f32, rng: &mut Rng) {
    for v in x {
        *v += sigma * rng.normal();
    }
}

/// A set of augmentations applied to each training sample.
#[derive(Debug, Clone, Copy, Default)]
pub struct Augment {
    /// Flip left/right with probability 1/2.
    pub hflip: bool,
    /// Random translation of up to this many pixels each way (zero fill).
    pub translate: usize,
    /// Brightness jitter amplitude.
    pub brightness: f32,
    /// Contrast jitter amplitude.
    pub contrast: f32,
    /// Additive Gaussian noise standard deviation.
    pub noise: f32,
}

impl Augment {
    /// Applies the augmentations to one `[C, H, W]` sample (an error, nothing changed, if `x`
    /// does not hold `c·h·w` values).
    pub fn apply(
        &self,
        x: &mut [f32],
        c: usize,
        h: usize,
        w: usize,
        rng: &mut Rng,
    ) -> Result<(), SliceError> {
        image("Augment::apply", x.len(), c, h, w)?;
        if self.hflip && rng.below(2) == 1 {
            hflip(x, c, h, w)?;
        }
        if self.translate > 0 {
            random_crop(x, c, h, w, self.translate, rng)?;
        }
        if self.brightness > 0.0 || self.contrast > 0.0 {
            color_jitter(x, c, h, w, self.brightness, self.contrast, rng)?;
        }
        if self.noise > 0.0 {
            add_noise(x, self.noise, rng);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flip_flips() {
        let mut x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        hflip(&mut x, 1, 2, 3).unwrap();
        assert_eq!(x, [3.0, 2.0, 1.0, 6.0, 5.0, 4.0]);
    }

    #[test]
    fn a_slice_of_another_size_is_an_error_and_left_alone() {
        use std::string::ToString;
        let mut rng = Rng::new(1);
        let mut x = [1.0f32; 63];
        let e = hflip(&mut x, 1, 8, 8).unwrap_err();
        assert_eq!(
            e.to_string(),
            "hflip: a [1, 8, 8] image holds 64 values, the slice holds 63"
        );
        let a = Augment {
            hflip: true,
            translate: 1,
            brightness: 0.1,
            contrast: 0.1,
            noise: 0.1,
        };
        let e = a.apply(&mut x, 1, 8, 8, &mut rng).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Augment::apply: a [1, 8, 8] image holds 64 values, the slice holds 63"
        );
        assert_eq!(x, [1.0; 63]);
        assert!(translate(&mut x, 1, 0, 63, 1, 1).is_err());
        assert!(color_jitter(&mut x, usize::MAX, 2, 2, 0.1, 0.1, &mut rng).is_err());
        // zero-sized images are fine
        assert_eq!(hflip(&mut [], 3, 4, 0), Ok(()));
        assert_eq!(color_jitter(&mut [], 3, 0, 4, 0.1, 0.1, &mut rng), Ok(()));
        assert_eq!(random_crop(&mut [], 0, 4, 4, usize::MAX, &mut rng), Ok(()));
    }

    #[test]
    fn translation_moves_and_fills_with_zeros() {
        let mut x: [f32; 9] = core::array::from_fn(|i| i as f32 + 1.0);
        translate(&mut x, 1, 3, 3, 1, -1).unwrap();
        // down by one, left by one
        assert_eq!(x, [0.0, 0.0, 0.0, 2.0, 3.0, 0.0, 5.0, 6.0, 0.0]);
        let mut y: [f32; 8] = core::array::from_fn(|i| i as f32);
        translate(&mut y, 2, 2, 2, 0, 1).unwrap();
        assert_eq!(y, [0.0, 0.0, 0.0, 2.0, 0.0, 4.0, 0.0, 6.0]);
    }

    #[test]
    fn crop_is_a_bounded_translation() {
        let mut rng = Rng::new(5);
        for _ in 0..50 {
            let mut x = [0.0f32; 25];
            x[12] = 1.0; // centre of 5×5
            random_crop(&mut x, 1, 5, 5, 2, &mut rng).unwrap();
            let p = x
                .iter()
                .position(|&v| v == 1.0)
                .expect("pad 2 keeps the centre inside");
            let (py, px) = (p / 5, p % 5);
            assert!(py <= 4 && px <= 4);
            assert_eq!(x.iter().sum::<f32>(), 1.0);
        }
    }

    #[test]
    fn jitter_and_noise_change_values_by_the_asked_amount() {
        let mut rng = Rng::new(9);
        let mut x = [0.5f32; 16];
        color_jitter(&mut x, 1, 4, 4, 0.2, 0.0, &mut rng).unwrap();
        let shift = x[0] - 0.5;
        assert!(shift.abs() <= 0.2 && x.iter().all(|&v| (v - x[0]).abs() < 1e-6));
        let mut z = std::vec![0.0f32; 20000];
        add_noise(&mut z, 0.1, &mut rng);
        let var = z.iter().map(|v| v * v).sum::<f32>() / z.len() as f32;
        assert!((var.sqrt() - 0.1).abs() < 0.005, "{}", var.sqrt());
    }
}

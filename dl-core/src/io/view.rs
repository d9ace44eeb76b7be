//! Weights used where they lie: a network's own bytes (its *image*), viewed as the network
//! without copying — for weights in flash on a device with little RAM.
//!
//! Every layer is `#[repr(C)]` plain data ([`Pod`]), so a network's bytes are its tensors in
//! field order, native-endian `f32` (little-endian on x86 and ARM Cortex-M alike), with no
//! padding. [`image`] gives those bytes (write them to a file on the host); [`view`] turns
//! 4-aligned bytes of the right length back into `&Net`. For a net without BatchNorm or Dropout
//! (LeNet-5, VGG, AlexNet) the image is byte for byte the [`raw`](super::raw) layout; with them it
//! is not (a BatchNorm's running statistics sit beside its weights, a Dropout's generator state
//! is included), so write images with [`image`].
//!
//! `include_bytes!` data has no alignment; wrap it in [`Aligned`]:
//!
//! ```
//! use dl_core::consts::*;
//! use dl_core::io::{view, Aligned};
//! use dl_core::{Layer, Linear, Network, Seq, Shape1};
//! type Net = Network<Shape1<U2>, Seq![Linear<U2, U1>]>;
//! // Stands for `&Aligned(*include_bytes!("net.bin"))`: weight [1, 2], bias [0.5].
//! static IMAGE: &Aligned<[u8]> = &Aligned(*b"\x00\x00\x80\x3f\x00\x00\x00\x40\x00\x00\x00\x3f");
//! let net: &Net = view(&IMAGE.0).unwrap();
//! let mut y = [0.0];
//! Layer::<Shape1<U2>>::infer(net, &[3.0, 4.0], &mut y, &mut []);
//! assert_eq!(y, [3.0 + 8.0 + 0.5]);
//! ```
use crate::layer::Pod;
use core::mem::{align_of, size_of};

/// Bytes that cannot be viewed as the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewError {
    /// The network takes `expected` bytes; `found` were given.
    Length {
        /// `size_of` the network.
        expected: usize,
        /// Bytes given.
        found: usize,
    },
    /// The bytes start at `address`, not a multiple of the network's alignment `align`.
    Misaligned {
        /// `align_of` the network.
        align: usize,
        /// Where the bytes start.
        address: usize,
    },
}

impl core::fmt::Display for ViewError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ViewError::Length { expected, found } => write!(
                f,
                "weights image: the network takes {expected} bytes, found {found} bytes"
            ),
            ViewError::Misaligned { align, address } => write!(
                f,
                "weights image: the bytes start at {address:#x}, not a multiple of {align} \
                 (wrap include_bytes! data in io::Aligned)"
            ),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ViewError {}

/// Storage aligned to 4 bytes (every network's alignment) for `include_bytes!` data:
/// `static IMAGE: &Aligned<[u8]> = &Aligned(*include_bytes!("net.bin"));`.
#[repr(C, align(4))]
pub struct Aligned<B: ?Sized>(pub B);

/// `net`'s bytes, the image [`view`] reads.
pub fn image<M: Pod>(net: &M) -> &[u8] {
    // SAFETY: `M: Pod` has no padding, so all `size_of::<M>()` bytes are initialised; the slice
    // borrows `net`.
    unsafe { core::slice::from_raw_parts((net as *const M).cast::<u8>(), size_of::<M>()) }
}

/// `bytes` as the network they are the image of, without copying. Checks the length and the
/// alignment; any content is a valid network (`M: Pod`).
pub fn view<M: Pod>(bytes: &[u8]) -> Result<&M, ViewError> {
    if bytes.len() != size_of::<M>() {
        return Err(ViewError::Length {
            expected: size_of::<M>(),
            found: bytes.len(),
        });
    }
    let address = bytes.as_ptr() as usize;
    if !address.is_multiple_of(align_of::<M>()) {
        return Err(ViewError::Misaligned {
            align: align_of::<M>(),
            address,
        });
    }
    // SAFETY: the length and alignment are `M`'s, every bit pattern is a valid `M` (`Pod`), and
    // the reference borrows `bytes`.
    Ok(unsafe { &*bytes.as_ptr().cast::<M>() })
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::consts::*;
    use crate::{
        io, BatchNorm2d, Conv2d, Dropout, Flatten, Layer, Linear, MaxPool2d, Network, ReLU, Shape3,
    };
    use std::string::ToString;
    use std::vec;
    use std::vec::Vec;

    type LeNetish = Network<
        Shape3<U1, U12, U12>,
        crate::Seq![Conv2d<U1, U4, U3>, ReLU, MaxPool2d<U2>, Flatten, Linear<U100, U10>],
    >;
    type WithBn = Network<
        Shape3<U1, U8, U8>,
        crate::Seq![Conv2d<U1, U2, U3, U1, U1>, BatchNorm2d<U2>, ReLU, Flatten, Dropout, Linear<U128, U3>],
    >;

    fn outputs<In: crate::Shape, L: Layer<In>>(net: &L) -> Vec<f32> {
        let x: Vec<f32> = (0..In::NUMEL).map(|i| (i as f32 * 0.37).sin()).collect();
        let mut y = vec![0.0; <L::Out as crate::Shape>::NUMEL];
        net.infer(&x, &mut y, &mut vec![0.0; L::SCRATCH]);
        y
    }

    #[test]
    fn a_viewed_image_is_the_network() {
        let net = LeNetish::new(3);
        // Copy the image into 4-aligned storage (a Vec<f32>), then view it.
        let bytes = image(&*net).to_vec();
        let mut store = vec![0.0f32; bytes.len() / 4];
        for (v, b) in store.iter_mut().zip(bytes.chunks_exact(4)) {
            *v = f32::from_ne_bytes(b.try_into().unwrap());
        }
        let stored: &[u8] =
            unsafe { core::slice::from_raw_parts(store.as_ptr().cast(), bytes.len()) };
        let viewed: &LeNetish = view(stored).unwrap();
        assert_eq!(
            core::ptr::from_ref(viewed).cast::<u8>(),
            stored.as_ptr(),
            "not copied"
        );
        assert_eq!(outputs(viewed), outputs(&*net));
        // Without BatchNorm or Dropout the image is the raw layout (little-endian host).
        let mut raw = vec![0u8; io::raw_len(&*net)];
        io::write_raw(&*net, &mut raw).unwrap();
        assert_eq!(raw, bytes);
        // With them it is still the network, but not the raw layout.
        let mut bn = WithBn::new(4);
        bn.layers.1 .0.running_mean[1] = 0.25;
        let img = image(&*bn);
        let mut store = vec![0.0f32; img.len() / 4];
        let s: &mut [u8] =
            unsafe { core::slice::from_raw_parts_mut(store.as_mut_ptr().cast(), img.len()) };
        s.copy_from_slice(img);
        let viewed: &WithBn = view(s).unwrap();
        assert_eq!(outputs(viewed), outputs(&*bn));
        assert_ne!(io::raw_len(&*bn), img.len());
    }

    #[test]
    fn wrong_length_or_alignment_is_an_error() {
        let net = LeNetish::new(3);
        let n = image(&*net).len();
        let store = vec![0.0f32; n / 4 + 1];
        let bytes: &[u8] = unsafe { core::slice::from_raw_parts(store.as_ptr().cast(), n + 4) };
        assert_eq!(
            view::<LeNetish>(&bytes[..n - 4]).err(),
            Some(ViewError::Length {
                expected: n,
                found: n - 4
            })
        );
        match view::<LeNetish>(&bytes[1..n + 1]) {
            Err(e @ ViewError::Misaligned { align: 4, .. }) => {
                assert!(e.to_string().contains("not a multiple of 4"), "{e}")
            }
            other => panic!("expected Misaligned, got {:?}", other.map(|_| ())),
        }
        assert!(view::<LeNetish>(&bytes[..n]).is_ok());
    }
}

//! The raw weight layout, for `include_bytes!` data on a device with no allocator.
//!
//! Layout: the tensors in visiting order — parameters as [`Module::visit`] gives them, then
//! buffers as [`Module::visit_buffers`] gives them — each as its `f32` values in little-endian
//! byte order, concatenated with no header or padding. A net of `n` visited values takes exactly
//! `4 n` bytes; for a `network!` struct that is its `WEIGHT_BYTES`, so
//! `const _: () = assert!(WEIGHTS.len() == MyNet::WEIGHT_BYTES);` checks an embedded file at
//! compile time.
use crate::layer::Module;

/// The byte slice does not have the length the network's layout needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawLengthError {
    /// Bytes the network's tensors take (4 per value).
    pub expected: usize,
    /// Bytes given.
    pub found: usize,
}

impl core::fmt::Display for RawLengthError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "raw weights: the network needs {} bytes ({} f32 values), found {} bytes",
            self.expected,
            self.expected / 4,
            self.found
        )
    }
}

#[cfg(feature = "std")]
impl std::error::Error for RawLengthError {}

/// Bytes of `net`'s raw layout: 4 per visited value (parameters and buffers).
pub fn raw_len<M: Module>(net: &M) -> usize {
    let mut n = 0;
    net.visit(&mut |p| n += p.len());
    net.visit_buffers(&mut |b| n += b.len());
    4 * n
}

/// Copies `bytes` (the raw layout) into `net`'s parameters and buffers. Checks the length
/// first: on error `net` is unchanged. Needs no allocator.
pub fn load_raw<M: Module>(bytes: &[u8], net: &mut M) -> Result<(), RawLengthError> {
    let expected = raw_len(net);
    if bytes.len() != expected {
        return Err(RawLengthError {
            expected,
            found: bytes.len(),
        });
    }
    let mut rest = bytes;
    let mut fill = |t: &mut [f32]| {
        let (head, tail) = rest.split_at(4 * t.len());
        for (v, b) in t.iter_mut().zip(head.chunks_exact(4)) {
            *v = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        }
        rest = tail;
    };
    net.visit_mut(&mut fill);
    net.visit_buffers_mut(&mut fill);
    Ok(())
}

/// Writes `net`'s raw layout into `out`, which must have exactly [`raw_len`] bytes.
pub fn write_raw<M: Module>(net: &M, out: &mut [u8]) -> Result<(), RawLengthError> {
    let expected = raw_len(net);
    if out.len() != expected {
        return Err(RawLengthError {
            expected,
            found: out.len(),
        });
    }
    let mut rest = &mut out[..];
    let mut put = |t: &[f32]| {
        let (head, tail) = core::mem::take(&mut rest).split_at_mut(4 * t.len());
        for (v, b) in t.iter().zip(head.chunks_exact_mut(4)) {
            b.copy_from_slice(&v.to_le_bytes());
        }
        rest = tail;
    };
    net.visit(&mut put);
    net.visit_buffers(&mut put);
    Ok(())
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::consts::*;
    use crate::layer::{new_boxed, zeroed_box, Seq};
    use crate::{BatchNorm1d, Linear};
    use std::string::ToString;

    type Net = Seq<Linear<U3, U2>, BatchNorm1d<U2>>;

    #[test]
    fn round_trip_covers_parameters_then_buffers() {
        let mut a = new_boxed::<Net>(1);
        a.1.running_mean.copy_from_slice(&[0.25, -0.5]);
        a.1.running_var.copy_from_slice(&[2.0, 3.0]);
        // 6 + 2 weights/bias of Linear, 2 + 2 of BatchNorm, 2 + 2 buffers.
        assert_eq!(raw_len(&*a), 4 * 16);
        let mut bytes = vec![0u8; raw_len(&*a)];
        write_raw(&*a, &mut bytes).unwrap();
        // Little-endian, buffers last: the final value is running_var[1] = 3.0.
        assert_eq!(&bytes[60..], &3.0f32.to_le_bytes());
        let mut b = zeroed_box::<Net>();
        load_raw(&bytes, &mut *b).unwrap();
        assert_eq!(b.0.weight, a.0.weight);
        assert_eq!(b.0.bias, a.0.bias);
        assert_eq!(b.1.weight, a.1.weight);
        assert_eq!(b.1.running_mean, a.1.running_mean);
        assert_eq!(b.1.running_var, a.1.running_var);
    }

    #[test]
    fn wrong_length_is_an_error_and_leaves_the_net_unchanged() {
        let mut b = new_boxed::<Net>(2);
        let before = b.0.weight;
        let e = load_raw(&[0u8; 63], &mut *b).unwrap_err();
        assert_eq!(
            e,
            RawLengthError {
                expected: 64,
                found: 63
            }
        );
        assert_eq!(
            e.to_string(),
            "raw weights: the network needs 64 bytes (16 f32 values), found 63 bytes"
        );
        assert_eq!(b.0.weight, before);
        assert!(write_raw(&*b, &mut [0u8; 65]).is_err());
    }
}

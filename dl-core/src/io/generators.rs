//! A network's random generators (each Dropout's mask generator, [`Module::visit_generators`])
//! in a safetensors file, so a resumed run draws the masks the uninterrupted one would have:
//! save the weights ([`super::save`]), the optimiser ([`super::save_optimizer`]) and the
//! generators ([`save_generators`]) at step k, load all three, and step k + 1 is the same.
//!
//! Tensors: generator `i` in visit order is `{i}` (U32, shape `[4]`: its xoshiro128++ state).
use super::file::{self, format_err, Want};
use super::safetensors::WeightsError;
use crate::layer::Module;
use crate::rng::Rng;
use ::safetensors::tensor::{Dtype, SafeTensors};
use std::format;
use std::path::Path;
use std::vec::Vec;

/// `net`'s generator states as a safetensors file's bytes (an empty file when it has none).
pub fn generators_to_bytes<M: Module + ?Sized>(net: &M) -> Result<Vec<u8>, WeightsError> {
    let mut data = Vec::new();
    net.visit_generators(&mut |r| {
        let bytes = r.state().iter().flat_map(|w| w.to_le_bytes()).collect();
        data.push((format!("{}", data.len()), Dtype::U32, std::vec![4], bytes));
    });
    file::serialize(&data)
}

/// Restores `net`'s generators from bytes written by [`generators_to_bytes`]. The file must
/// hold exactly one `[4]` U32 state per generator `net` visits; on error `net` is unchanged.
pub fn generators_from_bytes<M: Module + ?Sized>(
    bytes: &[u8],
    net: &mut M,
) -> Result<(), WeightsError> {
    let file = SafeTensors::deserialize(bytes).map_err(format_err)?;
    let mut count = 0;
    net.visit_generators(&mut |_| count += 1);
    if file.len() != count {
        return Err(WeightsError::Generators {
            file: file.len(),
            net: count,
        });
    }
    let mut states = Vec::with_capacity(count);
    for i in 0..count {
        let data = file::tensor(&file, &format!("{i}"), Dtype::U32, Want::Shape(&[4]))?;
        let mut s = [0u32; 4];
        for (w, c) in s.iter_mut().zip(data.chunks_exact(4)) {
            *w = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        }
        states.push(s);
    }
    let mut it = states.into_iter();
    net.visit_generators_mut(&mut |r| {
        if let Some(s) = it.next() {
            *r = Rng::from_state(s);
        }
    });
    Ok(())
}

/// Saves `net`'s generator states to `path` (see the [module docs](self)).
pub fn save_generators<M: Module + ?Sized>(
    path: impl AsRef<Path>,
    net: &M,
) -> Result<(), WeightsError> {
    file::write(path.as_ref(), &generators_to_bytes(net)?)
}

/// Restores `net`'s generators from the file at `path` written by [`save_generators`].
pub fn load_generators<M: Module + ?Sized>(
    path: impl AsRef<Path>,
    net: &mut M,
) -> Result<(), WeightsError> {
    generators_from_bytes(&file::read(path.as_ref())?, net)
}

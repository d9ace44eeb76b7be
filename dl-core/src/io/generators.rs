//! A network's random generators (each Dropout's mask generator, [`Module::visit_generators`])
//! in a safetensors file, so a resumed run draws the masks the uninterrupted one would have:
//! save the weights ([`super::save`]), the optimiser ([`super::save_optimizer`]) and the
//! generators ([`save_generators`]) at step k, load all three, and step k + 1 is the same.
//!
//! Tensors: generator `i` in visit order is `{i}` (U32, shape `[4]`: its xoshiro128++ state).
use super::safetensors::WeightsError;
use crate::layer::Module;
use crate::rng::Rng;
use ::safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::format;
use std::path::Path;
use std::string::{String, ToString};
use std::vec::Vec;

fn format_err(e: impl ToString) -> WeightsError {
    WeightsError::Format(e.to_string())
}

/// `net`'s generator states as a safetensors file's bytes (an empty file when it has none).
pub fn generators_to_bytes<M: Module + ?Sized>(net: &M) -> Result<Vec<u8>, WeightsError> {
    let mut data: Vec<(String, Vec<u8>)> = Vec::new();
    net.visit_generators(&mut |r| {
        let bytes = r.state().iter().flat_map(|w| w.to_le_bytes()).collect();
        data.push((format!("{}", data.len()), bytes));
    });
    let mut views = Vec::with_capacity(data.len());
    for (name, bytes) in &data {
        let v = TensorView::new(Dtype::U32, std::vec![4], bytes).map_err(format_err)?;
        views.push((name.clone(), v));
    }
    ::safetensors::tensor::serialize(views, None).map_err(format_err)
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
        let name = format!("{i}");
        let v = file.tensor(&name).map_err(|_| WeightsError::Missing {
            name: name.clone(),
            shape: std::vec![4],
        })?;
        if v.dtype() != Dtype::U32 {
            return Err(WeightsError::Dtype {
                name,
                shape: v.shape().to_vec(),
                found: v.dtype().to_string(),
            });
        }
        if v.shape() != [4] {
            return Err(WeightsError::Shape {
                name,
                expected: std::vec![4],
                found: v.shape().to_vec(),
            });
        }
        let mut s = [0u32; 4];
        for (w, c) in s.iter_mut().zip(v.data().chunks_exact(4)) {
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
    let path = path.as_ref();
    let bytes = generators_to_bytes(net)?;
    std::fs::write(path, bytes).map_err(|source| WeightsError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Restores `net`'s generators from the file at `path` written by [`save_generators`].
pub fn load_generators<M: Module + ?Sized>(
    path: impl AsRef<Path>,
    net: &mut M,
) -> Result<(), WeightsError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| WeightsError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    generators_from_bytes(&bytes, net)
}

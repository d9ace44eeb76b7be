//! An optimiser's state ([`State`]: learning rate, per-tensor step counts and buffers) in a
//! safetensors file, so training resumes exactly: save the weights ([`super::save`]) and the
//! optimiser ([`save_optimizer`]) at step k, load both, and step k + 1 is the step the
//! uninterrupted run would have taken.
//!
//! Tensors: `lr` (F32, shape `[]`); for tensor `i` in visit order, `{i}.step` (I64, `[]`) and
//! its buffers `{i}.0`, `{i}.1`, … (F32, `[len]`, empty for an unused buffer).
use super::file::{self, format_err, Want};
use super::safetensors::WeightsError;
use crate::optim::{Optimizer, State, TensorState};
use ::safetensors::tensor::{Dtype, SafeTensors};
use std::format;
use std::path::Path;
use std::string::{String, ToString};
use std::vec::Vec;

/// `opt`'s state as a safetensors file's bytes.
pub fn optimizer_to_bytes<O: Optimizer + ?Sized>(opt: &O) -> Result<Vec<u8>, WeightsError> {
    let state = opt.state();
    let le = |v: &[f32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let mut data: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = Vec::new();
    data.push(("lr".into(), Dtype::F32, Vec::new(), le(&[state.lr])));
    for (i, t) in state.tensors.iter().enumerate() {
        let step = i64::from(t.step).to_le_bytes().to_vec();
        data.push((format!("{i}.step"), Dtype::I64, Vec::new(), step));
        for (k, b) in t.buffers.iter().enumerate() {
            data.push((format!("{i}.{k}"), Dtype::F32, std::vec![b.len()], le(b)));
        }
    }
    file::serialize(&data)
}

/// One tensor's little-endian values, checking dtype and rank.
fn values(
    file: &SafeTensors,
    name: &str,
    dtype: Dtype,
    rank: usize,
) -> Result<Vec<u8>, WeightsError> {
    file::tensor(file, name, dtype, Want::Rank(rank)).map(<[u8]>::to_vec)
}

/// Restores `opt`'s state from a safetensors file's bytes written by [`optimizer_to_bytes`].
/// On error `opt` is unchanged.
pub fn optimizer_from_bytes<O: Optimizer + ?Sized>(
    bytes: &[u8],
    opt: &mut O,
) -> Result<(), WeightsError> {
    let file = SafeTensors::deserialize(bytes).map_err(format_err)?;
    let f32s = |b: Vec<u8>| -> Vec<f32> {
        b.chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    };
    let lr = f32s(values(&file, "lr", Dtype::F32, 0)?)[0];
    let mut tensors = Vec::new();
    let names = file.names();
    for i in 0.. {
        let key = format!("{i}.step");
        if !names.iter().any(|n| **n == key) {
            break;
        }
        let s = values(&file, &key, Dtype::I64, 0)?;
        let step = i64::from_le_bytes(s[..8].try_into().map_err(format_err)?);
        let step = u32::try_from(step).map_err(|_| {
            WeightsError::Format(format!(
                "`{key}` = {step} is not a step count (0 ≤ step < 2³²)"
            ))
        })?;
        let mut buffers = Vec::new();
        for k in 0.. {
            let key = format!("{i}.{k}");
            if !names.iter().any(|n| **n == key) {
                break;
            }
            buffers.push(f32s(values(&file, &key, Dtype::F32, 1)?));
        }
        tensors.push(TensorState { step, buffers });
    }
    opt.set_state(State { lr, tensors })
        .map_err(|e| WeightsError::Format(e.to_string()))
}

/// Saves `opt`'s state to `path` (see the [module docs](self)).
pub fn save_optimizer<O: Optimizer + ?Sized>(
    path: impl AsRef<Path>,
    opt: &O,
) -> Result<(), WeightsError> {
    file::write(path.as_ref(), &optimizer_to_bytes(opt)?)
}

/// Restores `opt`'s state from the file at `path` written by [`save_optimizer`].
pub fn load_optimizer<O: Optimizer + ?Sized>(
    path: impl AsRef<Path>,
    opt: &mut O,
) -> Result<(), WeightsError> {
    optimizer_from_bytes(&file::read(path.as_ref())?, opt)
}

//! What the safetensors readers and writers share: reading and writing a file with its path
//! in the error, fetching one tensor with its dtype and shape checked, and serialising a list
//! of tensors.
use super::safetensors::WeightsError;
use ::safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::path::Path;
use std::string::{String, ToString};
use std::vec::Vec;

/// A `safetensors` crate error as [`WeightsError::Format`].
pub(super) fn format_err(e: impl ToString) -> WeightsError {
    WeightsError::Format(e.to_string())
}

/// The bytes of the file at `path`.
pub(super) fn read(path: &Path) -> Result<Vec<u8>, WeightsError> {
    std::fs::read(path).map_err(|source| WeightsError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes `bytes` to the file at `path`.
pub(super) fn write(path: &Path, bytes: &[u8]) -> Result<(), WeightsError> {
    std::fs::write(path, bytes).map_err(|source| WeightsError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// The shape a fetched tensor must have.
#[derive(Clone, Copy)]
pub(super) enum Want<'a> {
    /// Any shape of this rank (`[]` for a scalar).
    Rank(usize),
    /// Exactly this shape.
    Shape(&'a [usize]),
}

/// The little-endian bytes of tensor `name`, which must be present, of `dtype`, and of the
/// shape `want`; the error names the tensor and what was found.
pub(super) fn tensor<'f>(
    file: &'f SafeTensors,
    name: &str,
    dtype: Dtype,
    want: Want<'_>,
) -> Result<&'f [u8], WeightsError> {
    let v = file.tensor(name).map_err(|_| WeightsError::Missing {
        name: name.to_string(),
        shape: match want {
            Want::Rank(_) => Vec::new(),
            Want::Shape(s) => s.to_vec(),
        },
    })?;
    if v.dtype() != dtype {
        return Err(WeightsError::Dtype {
            name: name.to_string(),
            shape: v.shape().to_vec(),
            found: v.dtype().to_string(),
        });
    }
    let expected = match want {
        Want::Rank(r) if v.shape().len() != r => Some(std::vec![v.shape().iter().product(); r]),
        Want::Shape(s) if v.shape() != s => Some(s.to_vec()),
        _ => None,
    };
    if let Some(expected) = expected {
        return Err(WeightsError::Shape {
            name: name.to_string(),
            expected,
            found: v.shape().to_vec(),
        });
    }
    Ok(v.data())
}

/// A safetensors file of `(name, dtype, shape, little-endian bytes)` tensors.
pub(super) fn serialize(
    tensors: &[(String, Dtype, Vec<usize>, Vec<u8>)],
) -> Result<Vec<u8>, WeightsError> {
    let mut views = Vec::with_capacity(tensors.len());
    for (name, dtype, shape, bytes) in tensors {
        let v = TensorView::new(*dtype, shape.clone(), bytes).map_err(format_err)?;
        views.push((name.clone(), v));
    }
    ::safetensors::tensor::serialize(views, None).map_err(format_err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;

    #[test]
    fn a_tensor_is_checked_for_presence_dtype_and_shape() {
        let four: Vec<u8> = [1u32, 2, 3, 4]
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect();
        let bytes = serialize(&[
            ("g".into(), Dtype::U32, vec![4], four.clone()),
            ("m".into(), Dtype::U32, vec![2, 2], four.clone()),
        ])
        .unwrap();
        let file = SafeTensors::deserialize(&bytes).unwrap();
        assert_eq!(
            tensor(&file, "g", Dtype::U32, Want::Shape(&[4])).unwrap(),
            &four[..]
        );
        assert_eq!(
            tensor(&file, "m", Dtype::U32, Want::Rank(2)).unwrap(),
            &four[..]
        );
        let err = |name, dtype, want| tensor(&file, name, dtype, want).unwrap_err();
        assert!(matches!(
            err("h", Dtype::U32, Want::Shape(&[4])),
            WeightsError::Missing { name, shape } if name == "h" && shape == [4]
        ));
        assert!(matches!(
            err("g", Dtype::F32, Want::Rank(1)),
            WeightsError::Dtype { name, shape, found } if name == "g" && shape == [4] && found == "U32"
        ));
        assert!(matches!(
            err("m", Dtype::U32, Want::Shape(&[4])),
            WeightsError::Shape { name, expected, found } if name == "m" && expected == [4] && found == [2, 2]
        ));
        assert!(matches!(
            err("m", Dtype::U32, Want::Rank(1)),
            WeightsError::Shape { expected, found, .. } if expected == [4] && found == [2, 2]
        ));
    }
}

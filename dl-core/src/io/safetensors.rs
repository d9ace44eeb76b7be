//! safetensors files (the format PyTorch users share weights in), via the `safetensors` crate.
//!
//! `names` gives, for every tensor the network visits — parameters in [`Module::visit`] order,
//! then buffers in [`Module::visit_buffers`] order — its PyTorch `state_dict` name and shape
//! (`("conv1.weight", [6, 1, 5, 5])`). Loading checks every listed tensor (present, dtype F32,
//! that exact shape) before writing anything, so on error the network is unchanged. Tensors in
//! the file that are not listed (`num_batches_tracked`, say) are ignored; [`save_with_names`] writes a
//! `num_batches_tracked` of 0 beside each `*.running_mean`, as PyTorch's BatchNorm has one.
//!
//! An entry `(name, shape, false)` marks a tensor PyTorch's model does not have (the bias
//! `network!` gives a convolution that is `bias=False` in PyTorch): [`load_with_names`] sets it to zero and
//! [`save_with_names`] leaves it out.
use crate::layer::Module;
use ::safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::fmt;
use std::format;
use std::path::{Path, PathBuf};
use std::string::{String, ToString};
use std::vec::Vec;

/// One visited tensor's PyTorch name and shape.
pub trait TensorName {
    /// `state_dict` key, e.g. `layer1.0.conv1.weight`.
    fn name(&self) -> &str;
    /// PyTorch shape, e.g. `[64, 64, 3, 3]`.
    fn shape(&self) -> &[usize];
    /// False: not in PyTorch's model (zeroed on load, skipped on save).
    fn in_file(&self) -> bool {
        true
    }
}
impl<S: AsRef<str>, D: AsRef<[usize]>> TensorName for (S, D) {
    fn name(&self) -> &str {
        self.0.as_ref()
    }
    fn shape(&self) -> &[usize] {
        self.1.as_ref()
    }
}
impl<S: AsRef<str>, D: AsRef<[usize]>> TensorName for (S, D, bool) {
    fn name(&self) -> &str {
        self.0.as_ref()
    }
    fn shape(&self) -> &[usize] {
        self.1.as_ref()
    }
    fn in_file(&self) -> bool {
        self.2
    }
}

/// Why weights could not be loaded or saved. Each variant names the tensor concerned.
#[derive(Debug)]
pub enum WeightsError {
    /// Reading or writing the file failed.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Not a readable safetensors file (bad header, truncated data, overlapping offsets…).
    Format(String),
    /// `names` lists `names` tensors, the network visits `tensors` (parameters + buffers).
    NameCount { names: usize, tensors: usize },
    /// A `names` entry's shape does not hold as many values as the network's tensor.
    NameShape {
        name: String,
        shape: Vec<usize>,
        len: usize,
    },
    /// Two `names` entries share a name.
    Duplicate(String),
    /// The file lacks a listed tensor.
    Missing { name: String, shape: Vec<usize> },
    /// The file's tensor has another shape.
    Shape {
        name: String,
        expected: Vec<usize>,
        found: Vec<usize>,
    },
    /// A generator file ([`super::load_generators`]) holds `file` states, the network has
    /// `net` generators.
    Generators { file: usize, net: usize },
    /// The file's tensor is not `F32`.
    Dtype {
        name: String,
        shape: Vec<usize>,
        found: String,
    },
}

impl fmt::Display for WeightsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use WeightsError::*;
        match self {
            Io { path, source } => write!(f, "{}: {source}", path.display()),
            Format(e) => write!(f, "not a valid safetensors file: {e}"),
            Generators { file, net } => write!(
                f,
                "the file holds {file} generator states, the network has {net} random \
                 generators (one per Dropout)"
            ),
            NameCount { names, tensors } => write!(
                f,
                "{names} names given for a network of {tensors} tensors (parameters, then buffers)"
            ),
            NameShape { name, shape, len } => {
                write!(
                    f,
                    "`{name}`: listed shape {shape:?} does not hold the network's {len} values"
                )
            }
            Duplicate(name) => write!(f, "`{name}` is listed twice"),
            Missing { name, shape } => write!(f, "`{name}` (F32 {shape:?}) is not in the file"),
            Shape {
                name,
                expected,
                found,
            } => {
                write!(f, "`{name}`: expected shape {expected:?}, found {found:?}")
            }
            Dtype { name, shape, found } => {
                write!(
                    f,
                    "`{name}`: expected F32 {shape:?}, found {found} {shape:?}"
                )
            }
        }
    }
}

impl std::error::Error for WeightsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WeightsError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// The lengths of the tensors `net` visits, checked against `names` (count, sizes, duplicates).
fn check_names<M: Module, N: TensorName>(net: &M, names: &[N]) -> Result<(), WeightsError> {
    let mut lens = Vec::new();
    net.visit(&mut |p| lens.push(p.len()));
    net.visit_buffers(&mut |b| lens.push(b.len()));
    if lens.len() != names.len() {
        return Err(WeightsError::NameCount {
            names: names.len(),
            tensors: lens.len(),
        });
    }
    let mut seen = std::collections::HashSet::new();
    for (n, &len) in names.iter().zip(&lens) {
        if n.shape().iter().product::<usize>() != len {
            let (name, shape) = (n.name().to_string(), n.shape().to_vec());
            return Err(WeightsError::NameShape { name, shape, len });
        }
        if !seen.insert(n.name()) {
            return Err(WeightsError::Duplicate(n.name().to_string()));
        }
    }
    Ok(())
}

/// Loads a safetensors file's bytes into `net`; see the [module docs](self) for `names`.
pub fn from_bytes_with_names<M: Module, N: TensorName>(
    bytes: &[u8],
    net: &mut M,
    names: &[N],
) -> Result<(), WeightsError> {
    check_names(net, names)?;
    super::header::check(bytes).map_err(WeightsError::Format)?;
    let file = SafeTensors::deserialize(bytes).map_err(|e| WeightsError::Format(e.to_string()))?;
    // Check everything first, then copy.
    let mut views = Vec::with_capacity(names.len());
    for n in names {
        if !n.in_file() {
            views.push(None);
            continue;
        }
        let (name, shape) = (n.name().to_string(), n.shape().to_vec());
        let Ok(v) = file.tensor(&name) else {
            return Err(WeightsError::Missing { name, shape });
        };
        if v.dtype() != Dtype::F32 {
            let found = v.dtype().to_string();
            return Err(WeightsError::Dtype {
                name,
                shape: v.shape().to_vec(),
                found,
            });
        }
        if v.shape() != shape {
            let found = v.shape().to_vec();
            return Err(WeightsError::Shape {
                name,
                expected: shape,
                found,
            });
        }
        views.push(Some(v.data()));
    }
    let mut it = views.into_iter();
    let mut fill = |t: &mut [f32]| match it.next().flatten() {
        Some(data) => {
            for (v, b) in t.iter_mut().zip(data.chunks_exact(4)) {
                *v = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            }
        }
        None => t.fill(0.0),
    };
    net.visit_mut(&mut fill);
    net.visit_buffers_mut(&mut fill);
    Ok(())
}

/// `net`'s tensors as a safetensors file's bytes (F32, little-endian), named by `names`.
pub fn to_bytes_with_names<M: Module, N: TensorName>(
    net: &M,
    names: &[N],
) -> Result<Vec<u8>, WeightsError> {
    check_names(net, names)?;
    let mut data: Vec<Vec<u8>> = Vec::with_capacity(names.len());
    let mut put = |t: &[f32]| data.push(t.iter().flat_map(|v| v.to_le_bytes()).collect());
    net.visit(&mut put);
    net.visit_buffers(&mut put);
    let format = |e: ::safetensors::SafeTensorError| WeightsError::Format(e.to_string());
    let zero = 0i64.to_le_bytes();
    let mut views = Vec::with_capacity(names.len());
    for (n, d) in names.iter().zip(&data) {
        if n.in_file() {
            let v = TensorView::new(Dtype::F32, n.shape().to_vec(), d).map_err(format)?;
            views.push((n.name().to_string(), v));
        }
        // PyTorch's BatchNorm state_dict also has `num_batches_tracked` (I64, shape []): write
        // 0 beside each running mean so the file loads with `load_state_dict(strict=True)`.
        if let Some(prefix) = n.name().strip_suffix(".running_mean") {
            let key = format!("{prefix}.num_batches_tracked");
            if !names.iter().any(|m| m.name() == key) {
                views.push((
                    key,
                    TensorView::new(Dtype::I64, Vec::new(), &zero).map_err(format)?,
                ));
            }
        }
    }
    ::safetensors::tensor::serialize(views, None).map_err(|e| WeightsError::Format(e.to_string()))
}

/// Loads the safetensors file at `path` into `net` (see [`from_bytes_with_names`]).
pub fn load_with_names<M: Module, N: TensorName>(
    path: impl AsRef<Path>,
    net: &mut M,
    names: &[N],
) -> Result<(), WeightsError> {
    from_bytes_with_names(&super::file::read(path.as_ref())?, net, names)
}

/// Saves `net` as a safetensors file at `path` (see [`to_bytes_with_names`]).
pub fn save_with_names<M: Module, N: TensorName>(
    path: impl AsRef<Path>,
    net: &M,
    names: &[N],
) -> Result<(), WeightsError> {
    super::file::write(path.as_ref(), &to_bytes_with_names(net, names)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consts::*;
    use crate::layer::{new_boxed, zeroed_box, Seq};
    use crate::{BatchNorm1d, Linear};
    use std::vec;

    type Net = Seq<Linear<U3, U2>, BatchNorm1d<U2>>;

    fn names() -> Vec<(&'static str, Vec<usize>)> {
        vec![
            ("fc.weight", vec![2, 3]),
            ("fc.bias", vec![2]),
            ("bn.weight", vec![2]),
            ("bn.bias", vec![2]),
            ("bn.running_mean", vec![2]),
            ("bn.running_var", vec![2]),
        ]
    }

    fn all(net: &Net) -> Vec<f32> {
        let mut v = Vec::new();
        net.visit(&mut |p| v.extend_from_slice(p));
        net.visit_buffers(&mut |b| v.extend_from_slice(b));
        v
    }

    /// A file with these tensors (name, dtype, shape, bytes).
    fn file(ts: &[(&str, Dtype, Vec<usize>, Vec<u8>)]) -> Vec<u8> {
        let views = ts
            .iter()
            .map(|(n, d, s, b)| (n.to_string(), TensorView::new(*d, s.clone(), b).unwrap()));
        ::safetensors::tensor::serialize(views, None).unwrap()
    }

    fn good_file() -> Vec<u8> {
        let mut a = new_boxed::<Net>(1);
        a.1.running_mean.copy_from_slice(&[0.5, -0.5]);
        a.1.running_var.copy_from_slice(&[2.0, 3.0]);
        to_bytes_with_names(&*a, &names()).unwrap()
    }

    fn load_err(bytes: &[u8]) -> String {
        let mut b = new_boxed::<Net>(7);
        let before = all(&b);
        let e = from_bytes_with_names(bytes, &mut *b, &names()).unwrap_err();
        assert_eq!(all(&b), before, "the network changed on error: {e}");
        e.to_string()
    }

    #[test]
    fn round_trip_parameters_and_buffers() {
        let mut a = new_boxed::<Net>(1);
        a.1.running_mean.copy_from_slice(&[0.5, -0.5]);
        let bytes = to_bytes_with_names(&*a, &names()).unwrap();
        let mut b = zeroed_box::<Net>();
        from_bytes_with_names(&bytes, &mut *b, &names()).unwrap();
        assert_eq!(all(&a), all(&b));
        let path =
            std::env::temp_dir().join(format!("dl-io-test-{}.safetensors", std::process::id()));
        save_with_names(&path, &*a, &names()).unwrap();
        let mut c = zeroed_box::<Net>();
        load_with_names(&path, &mut *c, &names()).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(all(&a), all(&c));
    }

    #[test]
    fn save_adds_num_batches_tracked_beside_running_mean() {
        let st_bytes = good_file();
        let st = SafeTensors::deserialize(&st_bytes).unwrap();
        let t = st.tensor("bn.num_batches_tracked").unwrap();
        assert_eq!(
            (t.dtype(), t.shape(), t.data()),
            (Dtype::I64, &[][..], &[0u8; 8][..])
        );
        assert_eq!(st.len(), 7);
    }

    #[test]
    fn missing_tensor_names_it() {
        let f32s = |n: usize| vec![0u8; 4 * n];
        let f = file(&[
            ("fc.weight", Dtype::F32, vec![2, 3], f32s(6)),
            ("fc.bias", Dtype::F32, vec![2], f32s(2)),
            ("bn.weight", Dtype::F32, vec![2], f32s(2)),
            ("bn.bias", Dtype::F32, vec![2], f32s(2)),
            ("bn.running_mean", Dtype::F32, vec![2], f32s(2)),
        ]);
        assert_eq!(
            load_err(&f),
            "`bn.running_var` (F32 [2]) is not in the file"
        );
    }

    #[test]
    fn wrong_shape_names_expected_and_found() {
        let f = file(&[("fc.weight", Dtype::F32, vec![3, 2], vec![0; 24])]);
        assert_eq!(
            load_err(&f),
            "`fc.weight`: expected shape [2, 3], found [3, 2]"
        );
    }

    #[test]
    fn wrong_dtype_names_expected_and_found() {
        let f = file(&[("fc.weight", Dtype::F64, vec![2, 3], vec![0; 48])]);
        assert_eq!(
            load_err(&f),
            "`fc.weight`: expected F32 [2, 3], found F64 [2, 3]"
        );
    }

    #[test]
    fn truncated_or_garbage_is_an_error_at_every_length() {
        let good = good_file();
        for n in 0..good.len() {
            let e = load_err(&good[..n]);
            assert!(
                e.starts_with("not a valid safetensors file"),
                "{n} bytes: {e}"
            );
        }
        assert!(load_err(b"garbage, not a header").starts_with("not a valid safetensors file"));
        let mut flipped = good.clone();
        flipped[9] ^= 0x55;
        load_err(&flipped);
    }

    /// A header of the given JSON followed by `data` zero bytes.
    fn raw(json: &str, data: usize) -> Vec<u8> {
        let mut b = (json.len() as u64).to_le_bytes().to_vec();
        b.extend_from_slice(json.as_bytes());
        b.resize(b.len() + data, 0);
        b
    }

    #[test]
    fn duplicate_keys_and_bad_byte_ranges_name_the_tensor() {
        let t = |name: &str, shape: &str, s: usize, e: usize| {
            format!(r#""{name}":{{"dtype":"F32","shape":{shape},"data_offsets":[{s},{e}]}}"#)
        };
        let good = [
            t("fc.weight", "[2,3]", 0, 24),
            t("fc.bias", "[2]", 24, 32),
            t("bn.weight", "[2]", 32, 40),
            t("bn.bias", "[2]", 40, 48),
            t("bn.running_mean", "[2]", 48, 56),
            t("bn.running_var", "[2]", 56, 64),
        ];
        let mut b = zeroed_box::<Net>();
        from_bytes_with_names(
            &raw(&format!("{{{}}}", good.join(",")), 64),
            &mut *b,
            &names(),
        )
        .unwrap();
        // the same key twice, same offsets: the JSON map would keep one silently
        let dup = format!("{{{},{}}}", good.join(","), t("fc.bias", "[2]", 24, 32));
        assert_eq!(
            load_err(&raw(&dup, 64)),
            "not a valid safetensors file: the header lists `fc.bias` twice"
        );
        let mut short = good.clone();
        short[1] = t("fc.bias", "[2]", 24, 28);
        assert_eq!(
            load_err(&raw(&format!("{{{}}}", short.join(",")), 60)),
            "not a valid safetensors file: `fc.bias`: F32 [2] takes 8 bytes, but its data_offsets [24, 28] span 4 bytes"
        );
        assert_eq!(
            load_err(&raw(&format!("{{{}}}", good.join(",")), 60)),
            "not a valid safetensors file: `bn.running_var`: data_offsets [56, 64] run past the end of the data (60 bytes after the header)"
        );
        let mut back = good.clone();
        back[0] = t("fc.weight", "[2,3]", 24, 0);
        assert!(load_err(&raw(&format!("{{{}}}", back.join(",")), 64))
            .contains("`fc.weight`: F32 [2, 3] takes 24 bytes, but its data_offsets [24, 0] span a negative length"));
    }

    #[test]
    fn names_must_fit_the_network() {
        let mut n = names();
        n.pop();
        let mut b = zeroed_box::<Net>();
        let e = from_bytes_with_names(&good_file(), &mut *b, &n).unwrap_err();
        assert_eq!(
            e.to_string(),
            "5 names given for a network of 6 tensors (parameters, then buffers)"
        );
        let mut n = names();
        n[1].1 = vec![3];
        let e = from_bytes_with_names(&good_file(), &mut *b, &n).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`fc.bias`: listed shape [3] does not hold the network's 2 values"
        );
        let mut n = names();
        n[3].0 = "bn.weight";
        assert_eq!(
            to_bytes_with_names(&*b, &n).unwrap_err().to_string(),
            "`bn.weight` is listed twice"
        );
        let e = load_with_names("/nonexistent/w.safetensors", &mut *b, &names()).unwrap_err();
        assert!(
            e.to_string().starts_with("/nonexistent/w.safetensors: "),
            "{e}"
        );
    }

    #[test]
    fn tensors_not_in_file_are_zeroed_on_load_and_skipped_on_save() {
        let a = new_boxed::<Net>(1);
        let n: Vec<_> = names()
            .into_iter()
            .map(|(n, s)| (n, s, n != "fc.bias"))
            .collect();
        let bytes = to_bytes_with_names(&*a, &n).unwrap();
        let st = SafeTensors::deserialize(&bytes).unwrap();
        assert_eq!(st.len(), 6, "5 listed in the file + bn.num_batches_tracked");
        assert!(st.tensor("fc.bias").is_err());
        let mut b = new_boxed::<Net>(2);
        from_bytes_with_names(&bytes, &mut *b, &n).unwrap();
        assert_eq!(b.0.bias.as_slice(), &[0.0, 0.0]);
        assert_eq!(b.0.weight, a.0.weight);
    }
}

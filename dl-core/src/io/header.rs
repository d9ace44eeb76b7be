//! The checks of a safetensors header that the `safetensors` crate leaves out or reports
//! without a name: every key once (its JSON map would keep the last of two silently), and each
//! tensor's byte range as long as its dtype and shape need and inside the data, the message
//! naming the tensor and the numbers.
use ::safetensors::tensor::TensorInfo;
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::collections::HashSet;
use std::fmt;
use std::format;
use std::string::String;
use std::vec::Vec;

/// The header's entries in file order, duplicates kept (`None`: the `__metadata__` entry).
struct Entries(Vec<(String, Option<TensorInfo>)>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Keys;
        impl<'de> Visitor<'de> for Keys {
            type Value = Entries;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object of tensors")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Entries, A::Error> {
                let mut v = Vec::new();
                while let Some(k) = m.next_key::<String>()? {
                    if k == "__metadata__" {
                        m.next_value::<IgnoredAny>()?;
                        v.push((k, None));
                    } else {
                        let info = m.next_value::<TensorInfo>()?;
                        v.push((k, Some(info)));
                    }
                }
                Ok(Entries(v))
            }
        }
        d.deserialize_map(Keys)
    }
}

/// Checks the header of the safetensors `bytes`: `Err` names the first duplicate key, or the
/// first tensor whose byte range disagrees with its dtype and shape or runs past the data. A
/// header this cannot read is left to the `safetensors` crate to report.
pub(super) fn check(bytes: &[u8]) -> Result<(), String> {
    let Some(n) = bytes
        .get(..8)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .and_then(|b| usize::try_from(u64::from_le_bytes(b)).ok())
        .filter(|&n| n <= 100_000_000)
    else {
        return Ok(());
    };
    let Some(header) = n.checked_add(8).and_then(|end| bytes.get(8..end)) else {
        return Ok(());
    };
    let Ok(Entries(entries)) = core::str::from_utf8(header)
        .map_err(|_| ())
        .and_then(|t| serde_json::from_str::<Entries>(t).map_err(|_| ()))
    else {
        return Ok(());
    };
    let data = bytes.len() - 8 - n;
    let mut seen = HashSet::new();
    for (name, info) in &entries {
        if !seen.insert(name.as_str()) {
            return Err(format!("the header lists `{name}` twice"));
        }
        let Some(info) = info else { continue };
        let (s, e) = info.data_offsets;
        let (dtype, shape) = (info.dtype, &info.shape);
        let need = shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .and_then(|k| k.checked_mul(dtype.bitsize()))
            .map(|bits| bits.div_ceil(8));
        match need {
            None => {
                return Err(format!(
                    "`{name}`: the size of {dtype} {shape:?} overflows"
                ))
            }
            Some(need) if e < s || e - s != need => {
                return Err(format!(
                    "`{name}`: {dtype} {shape:?} takes {need} bytes, but its data_offsets [{s}, {e}] span {}",
                    if e < s { "a negative length".into() } else { format!("{} bytes", e - s) }
                ))
            }
            Some(_) if e > data => {
                return Err(format!(
                    "`{name}`: data_offsets [{s}, {e}] run past the end of the data ({data} bytes after the header)"
                ))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

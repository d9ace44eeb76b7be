//! With feature `ad01` (the `ad01` binary): `OUT_DIR/ad01.bin`, the data section of
//! `data/mlperf/ad01.safetensors`, which stores the tensors in visit order, back to back: the
//! network's image (tests/mlperf_parity.rs checks this).
use std::{env, fs, path::PathBuf};

fn main() {
    if env::var_os("CARGO_FEATURE_AD01").is_none() {
        return;
    }
    let path = "../data/mlperf/ad01.safetensors";
    println!("cargo:rerun-if-changed={path}");
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap());
    fs::write(out.join("ad01.bin"), &bytes[8 + n..]).unwrap();
}

//! Any bytes given to the safetensors loader either load or return an error: no panic, no
//! out-of-bounds read. Loaded weights save and load back to the same values.
#![no_main]
use dl_core::consts::*;
use dl_core::io::{from_bytes_with_names as from_bytes, to_bytes_with_names as to_bytes};
use dl_core::{zeroed_box, BatchNorm1d, Linear, Module, Seq};
use libfuzzer_sys::fuzz_target;

type Net = Seq<Linear<U3, U2>, BatchNorm1d<U2>>;

const NAMES: [(&str, &[usize]); 6] = [
    ("fc.weight", &[2, 3]),
    ("fc.bias", &[2]),
    ("bn.weight", &[2]),
    ("bn.bias", &[2]),
    ("bn.running_mean", &[2]),
    ("bn.running_var", &[2]),
];

fn values(n: &Net) -> Vec<u32> {
    let mut v = Vec::new();
    n.visit(&mut |p| v.extend(p.iter().map(|x| x.to_bits())));
    n.visit_buffers(&mut |b| v.extend(b.iter().map(|x| x.to_bits())));
    v
}

fuzz_target!(|data: &[u8]| {
    let mut net = zeroed_box::<Net>();
    if from_bytes(data, &mut *net, &NAMES).is_ok() {
        let bytes = to_bytes(&*net, &NAMES).expect("a loaded net saves");
        let mut again = zeroed_box::<Net>();
        from_bytes(&bytes, &mut *again, &NAMES).expect("a saved net loads");
        assert_eq!(values(&net), values(&again));
    } else {
        assert!(values(&net).iter().all(|&v| v == 0), "net changed on error");
    }
});

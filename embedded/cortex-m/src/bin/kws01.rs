//! MLPerf Tiny's keyword spotting (DS-CNN, 1×49×10 MFCCs, 12 classes),
//! `dl_models::Kws01`, on a Cortex-M4F in QEMU (`mps2-an386`): see `src/mlperf.rs` (what is
//! checked) and `run-mlperf.sh`.
#![no_std]
#![no_main]

#[path = "../board.rs"]
mod board;
#[path = "../mlperf.rs"]
#[macro_use]
mod mlperf;

classifier!(Kws01, "kws01");

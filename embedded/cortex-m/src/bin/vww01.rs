//! MLPerf Tiny's visual wake words (MobileNetV1 0.25, 3×96×96, 2 classes),
//! `dl_models::Vww01`, on a Cortex-M4F in QEMU (`mps2-an386`): see `src/mlperf.rs` (what is
//! checked) and `run-mlperf.sh`.
#![no_std]
#![no_main]

#[path = "../board.rs"]
mod board;
#[path = "../mlperf.rs"]
#[macro_use]
mod mlperf;

classifier!(Vww01, "vww01");

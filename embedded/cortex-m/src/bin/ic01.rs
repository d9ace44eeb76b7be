//! MLPerf Tiny's image classification (ResNet-8, 3×32×32 CIFAR-10, 10 classes),
//! `dl_models::Ic01`, on a Cortex-M4F in QEMU (`mps2-an386`): see `src/mlperf.rs` (what is
//! checked) and `run-mlperf.sh`.
#![no_std]
#![no_main]

#[path = "../board.rs"]
mod board;
#[path = "../mlperf.rs"]
#[macro_use]
mod mlperf;

classifier!(Ic01, "ic01");

//! Classic architectures as `dl` types. Models arrive with the `network!` macro.
#![no_std]

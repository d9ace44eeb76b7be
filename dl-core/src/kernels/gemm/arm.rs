//! The register tile for 32-bit Arm with a hard-float FPU (Cortex-M4F/M7/M33,
//! `thumbv7em-none-eabihf` and the other `eabihf` targets): two rows of `A` by eight (or four)
//! columns of `B` in `s0`–`s15`, the whole `K` loop in one `asm!` block. Each step loads the two
//! `A` values with post-increment and the `B` row piece with a single `vldm`, then issues one
//! `vmla.f32` per multiply-accumulate: 23 instructions for 16 MACs.
//!
//! `vmla.f32` rounds the product before adding it, exactly as the portable tile's `acc += a·b`
//! does, and every accumulator starts at `0.0` and takes its products in `K` order: the results
//! are bit-identical to the portable tile's (and to an x86-64 build without AVX2).
//!
//! It reads `A` rows in place (`a_step = 1`: a convolution's or a linear layer's weights, the
//! inference path); a packed `A` (training) goes to the portable tile. Rows and columns the
//! tiles leave over (an odd `mc`, `nc` not a multiple of 4) take a scalar loop in the same order.
use super::tile::{portable, Block};
use super::NR;
use core::arch::asm;

/// Read by `vldm` to clear the accumulators in one instruction.
static ZEROS: [f32; 16] = [0.0; 16];

/// One 2×`W` tile over `kc ≥ 1` steps, stored to `d0` (row 0) and `d1` (row 1), `W` floats each.
/// `$b` selects how row `p` of `B` is found: `table` (`bb + boffs[p]`, `boffs` in floats) or
/// `stride` (`bb + p·ldb`).
macro_rules! tile {
    (table, $zero:literal, $load:literal, $st0:literal, $st1:literal, $($mla:literal),+;
     $a0:expr, $a1:expr, $bb:expr, $boffs:expr, $kc:expr, $d0:expr, $d1:expr) => {
        asm!(
            $zero,
            "2:",
            "vldmia {a0}!, {{s24}}",
            "vldmia {a1}!, {{s25}}",
            "ldr {t}, [{bo}], #4",
            "add {t}, {bb}, {t}, lsl #2",
            $load,
            $($mla,)+
            "subs {n}, {n}, #1",
            "bne 2b",
            $st0,
            $st1,
            z = in(reg) ZEROS.as_ptr(),
            a0 = inout(reg) $a0 => _,
            a1 = inout(reg) $a1 => _,
            bo = inout(reg) $boffs => _,
            bb = in(reg) $bb,
            t = out(reg) _,
            n = inout(reg) $kc => _,
            d0 = in(reg) $d0,
            d1 = in(reg) $d1,
            out("s0") _, out("s1") _, out("s2") _, out("s3") _,
            out("s4") _, out("s5") _, out("s6") _, out("s7") _,
            out("s8") _, out("s9") _, out("s10") _, out("s11") _,
            out("s12") _, out("s13") _, out("s14") _, out("s15") _,
            out("s16") _, out("s17") _, out("s18") _, out("s19") _,
            out("s20") _, out("s21") _, out("s22") _, out("s23") _,
            out("s24") _, out("s25") _,
            options(nostack),
        )
    };
    (stride, $zero:literal, $load:literal, $st0:literal, $st1:literal, $($mla:literal),+;
     $a0:expr, $a1:expr, $bb:expr, $ldb:expr, $kc:expr, $d0:expr, $d1:expr) => {
        asm!(
            $zero,
            "2:",
            "vldmia {a0}!, {{s24}}",
            "vldmia {a1}!, {{s25}}",
            $load,
            "add {t}, {t}, {ld}",
            $($mla,)+
            "subs {n}, {n}, #1",
            "bne 2b",
            $st0,
            $st1,
            z = in(reg) ZEROS.as_ptr(),
            a0 = inout(reg) $a0 => _,
            a1 = inout(reg) $a1 => _,
            t = inout(reg) $bb => _,
            ld = in(reg) $ldb * 4,
            n = inout(reg) $kc => _,
            d0 = in(reg) $d0,
            d1 = in(reg) $d1,
            out("s0") _, out("s1") _, out("s2") _, out("s3") _,
            out("s4") _, out("s5") _, out("s6") _, out("s7") _,
            out("s8") _, out("s9") _, out("s10") _, out("s11") _,
            out("s12") _, out("s13") _, out("s14") _, out("s15") _,
            out("s16") _, out("s17") _, out("s18") _, out("s19") _,
            out("s20") _, out("s21") _, out("s22") _, out("s23") _,
            out("s24") _, out("s25") _,
            options(nostack),
        )
    };
}

/// 2×8: accumulators `s0`–`s7` (row 0) and `s8`–`s15` (row 1), `B` in `s16`–`s23`.
macro_rules! tile8 {
    ($how:ident; $($args:expr),+) => {
        tile!($how, "vldm {z}, {{s0-s15}}", "vldm {t}, {{s16-s23}}",
            "vstm {d0}, {{s0-s7}}", "vstm {d1}, {{s8-s15}}",
            "vmla.f32 s0, s24, s16", "vmla.f32 s1, s24, s17",
            "vmla.f32 s2, s24, s18", "vmla.f32 s3, s24, s19",
            "vmla.f32 s4, s24, s20", "vmla.f32 s5, s24, s21",
            "vmla.f32 s6, s24, s22", "vmla.f32 s7, s24, s23",
            "vmla.f32 s8, s25, s16", "vmla.f32 s9, s25, s17",
            "vmla.f32 s10, s25, s18", "vmla.f32 s11, s25, s19",
            "vmla.f32 s12, s25, s20", "vmla.f32 s13, s25, s21",
            "vmla.f32 s14, s25, s22", "vmla.f32 s15, s25, s23";
            $($args),+)
    };
}

/// 2×4: accumulators `s0`–`s3` (row 0) and `s4`–`s7` (row 1), `B` in `s16`–`s19`.
macro_rules! tile4 {
    ($how:ident; $($args:expr),+) => {
        tile!($how, "vldm {z}, {{s0-s7}}", "vldm {t}, {{s16-s19}}",
            "vstm {d0}, {{s0-s3}}", "vstm {d1}, {{s4-s7}}",
            "vmla.f32 s0, s24, s16", "vmla.f32 s1, s24, s17",
            "vmla.f32 s2, s24, s18", "vmla.f32 s3, s24, s19",
            "vmla.f32 s4, s25, s16", "vmla.f32 s5, s25, s17",
            "vmla.f32 s6, s25, s18", "vmla.f32 s7, s25, s19";
            $($args),+)
    };
}

/// The Arm block: 2×8 tiles, then a 2×4 tile, then scalar edges.
///
/// # Safety
/// As [`super::tile::Kernel`].
pub(super) unsafe fn block(k: &Block, beta: f32) {
    if k.a_step != 1 || k.kc == 0 {
        // SAFETY: forwarded contract.
        return unsafe { portable(k, beta) };
    }
    let mut tmp = [0.0f32; 16];
    let mut jp = 0;
    while jp + 4 <= k.nc {
        // 8 columns when they lie in one `NR` panel of B (always: NR is a multiple of 8 and
        // jp a multiple of 4 that is a multiple of 8 until the 4-wide tail)
        let w = if jp + 8 <= k.nc { 8 } else { 4 };
        // SAFETY: columns jp..jp+w of the block lie in panel jp / NR (NR % 8 == 0).
        let bb = unsafe { k.b.add(jp / NR * k.b_panel + jp % NR) };
        let mut ip = 0;
        while ip + 2 <= k.mc {
            let direct = beta == 0.0;
            // SAFETY: rows ip, ip + 1 < mc of C hold columns jp..jp+w of the block.
            let (d0, d1) = unsafe {
                if direct {
                    (
                        k.c.add(k.crow[ip] + jp),
                        k.c.add(k.crow[ip + 1] + jp),
                    )
                } else {
                    (tmp.as_mut_ptr(), tmp.as_mut_ptr().add(8))
                }
            };
            let (a0, a1) = (k.a[ip], k.a[ip + 1]);
            // SAFETY: the block's contract: rows ip, ip + 1 of A hold kc floats from a0, a1;
            // row p < kc of B holds the block's columns at bb + boffs[p] (or bb + p·ldb);
            // d0 and d1 hold w writable floats.
            unsafe {
                match (w, k.boffs.is_null()) {
                    (8, false) => tile8!(table; a0, a1, bb, k.boffs, k.kc, d0, d1),
                    (8, true) => tile8!(stride; a0, a1, bb, k.ldb, k.kc, d0, d1),
                    (_, false) => tile4!(table; a0, a1, bb, k.boffs, k.kc, d0, d1),
                    (_, true) => tile4!(stride; a0, a1, bb, k.ldb, k.kc, d0, d1),
                }
            }
            if !direct {
                for r in 0..2 {
                    // SAFETY: row ip + r < mc of C holds columns jp..jp+w.
                    let cr = unsafe {
                        core::slice::from_raw_parts_mut(k.c.add(k.crow[ip + r] + jp), w)
                    };
                    for (o, &v) in cr.iter_mut().zip(&tmp[r * 8..]) {
                        *o = v + beta * *o;
                    }
                }
            }
            ip += 2;
        }
        // SAFETY: inside the block.
        unsafe { edge(k, beta, ip..k.mc, jp..jp + w) };
        jp += w;
    }
    // SAFETY: inside the block.
    unsafe { edge(k, beta, 0..k.mc, jp..k.nc) };
}

/// Rows `rows` by columns `cols` of the block, one dot product at a time in `K` order.
///
/// # Safety
/// As [`super::tile::Kernel`]; `rows` within `mc`, `cols` within `nc`.
unsafe fn edge(k: &Block, beta: f32, rows: core::ops::Range<usize>, cols: core::ops::Range<usize>) {
    for i in rows {
        for j in cols.clone() {
            let mut acc = 0.0f32;
            // SAFETY: row i < mc of A and column j < nc of rows p < kc of B are in bounds.
            unsafe {
                let b = k.b.add(j / NR * k.b_panel + j % NR);
                for p in 0..k.kc {
                    let off = if k.boffs.is_null() {
                        p * k.ldb
                    } else {
                        *k.boffs.add(p)
                    };
                    acc += *k.a[i].add(p * k.a_step) * *b.add(off);
                }
                let o = k.c.add(k.crow[i] + j);
                *o = if beta == 0.0 { acc } else { acc + beta * *o };
            }
        }
    }
}

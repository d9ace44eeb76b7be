//! The register tile for bare-metal 32-bit Arm with a hard-float FPU (`target_os = "none"`,
//! `eabihf`: Cortex-M4F/M7/M33, `thumbv7em-none-eabihf`; Linux's `armv7…eabihf`, with NEON,
//! keeps the portable tile, not measured there): two rows of `A` by twelve, eight or
//! four columns of `B`, the accumulators in `s0`–`s23`, the whole `K` loop in one `asm!` block.
//! A step loads the two `A` values with post-increment, finds the row of `B` through an offset
//! table (a convolution's shifted windows; strided rows get a table of `p·ldb`) and loads its
//! piece with one `vldmia` per six or eight floats, then issues one `vmla.f32` per
//! multiply-accumulate: 2×12 takes 32 instructions with the loop for 24 MACs, 2×8 takes 23 for
//! 16. (A loop unrolled twice, with separate tiles for strided rows, saved 1 instruction in 32
//! but made the LeNet-5 demo's opt-level "s" build 2,676 bytes too large for a 256 KiB part.)
//!
//! `vmla.f32` rounds the product before adding it, exactly as the portable tile's `acc += a·b`
//! does, and every accumulator starts at `0.0` and takes its products in `K` order: the results
//! are bit-identical to the portable tile's (and to an x86-64 build without AVX2).
//!
//! It reads `A` rows in place (`a_step = 1`: a convolution's or a linear layer's weights, the
//! inference path); a packed `A` (training's products) takes the scalar loop, as do the rows
//! and columns the tiles leave over (an odd `mc`, `nc` not a multiple of 4), in the same order.
//! Twelve columns need the block's columns of `B` contiguous (read in place); packed panels take
//! eight and four.
use super::tile::Block;
use super::{KC, NR};
use core::arch::asm;

// A tile of 8 or 4 columns starting at a multiple of 4 of a packed block stays in one panel.
const _: () = assert!(NR % 8 == 0, "the Arm tile needs NR a multiple of 8");

/// Read by `vldm` to clear the accumulators in one instruction.
static ZEROS: [f32; 24] = [0.0; 24];

/// 2×12: row 0 in `s0`–`s11`, row 1 in `s12`–`s23`, `B` in two halves through `s26`–`s31`.
macro_rules! mla12 {
    () => {
        concat!(
            "vldmia {t}!, {{s26-s31}}\n",
            "vmla.f32 s0, s24, s26\n",
            "vmla.f32 s1, s24, s27\n",
            "vmla.f32 s2, s24, s28\n",
            "vmla.f32 s3, s24, s29\n",
            "vmla.f32 s4, s24, s30\n",
            "vmla.f32 s5, s24, s31\n",
            "vmla.f32 s12, s25, s26\n",
            "vmla.f32 s13, s25, s27\n",
            "vmla.f32 s14, s25, s28\n",
            "vmla.f32 s15, s25, s29\n",
            "vmla.f32 s16, s25, s30\n",
            "vmla.f32 s17, s25, s31\n",
            "vldmia {t}!, {{s26-s31}}\n",
            "vmla.f32 s6, s24, s26\n",
            "vmla.f32 s7, s24, s27\n",
            "vmla.f32 s8, s24, s28\n",
            "vmla.f32 s9, s24, s29\n",
            "vmla.f32 s10, s24, s30\n",
            "vmla.f32 s11, s24, s31\n",
            "vmla.f32 s18, s25, s26\n",
            "vmla.f32 s19, s25, s27\n",
            "vmla.f32 s20, s25, s28\n",
            "vmla.f32 s21, s25, s29\n",
            "vmla.f32 s22, s25, s30\n",
            "vmla.f32 s23, s25, s31\n",
        )
    };
}
/// 2×8: row 0 in `s0`–`s7`, row 1 in `s8`–`s15`, `B` in `s16`–`s23`.
macro_rules! mla8 {
    () => {
        concat!(
            "vldmia {t}!, {{s16-s23}}\n",
            "vmla.f32 s0, s24, s16\n",
            "vmla.f32 s1, s24, s17\n",
            "vmla.f32 s2, s24, s18\n",
            "vmla.f32 s3, s24, s19\n",
            "vmla.f32 s4, s24, s20\n",
            "vmla.f32 s5, s24, s21\n",
            "vmla.f32 s6, s24, s22\n",
            "vmla.f32 s7, s24, s23\n",
            "vmla.f32 s8, s25, s16\n",
            "vmla.f32 s9, s25, s17\n",
            "vmla.f32 s10, s25, s18\n",
            "vmla.f32 s11, s25, s19\n",
            "vmla.f32 s12, s25, s20\n",
            "vmla.f32 s13, s25, s21\n",
            "vmla.f32 s14, s25, s22\n",
            "vmla.f32 s15, s25, s23\n",
        )
    };
}
/// 2×4: row 0 in `s0`–`s3`, row 1 in `s4`–`s7`, `B` in `s16`–`s19`.
macro_rules! mla4 {
    () => {
        concat!(
            "vldmia {t}!, {{s16-s19}}\n",
            "vmla.f32 s0, s24, s16\n",
            "vmla.f32 s1, s24, s17\n",
            "vmla.f32 s2, s24, s18\n",
            "vmla.f32 s3, s24, s19\n",
            "vmla.f32 s4, s25, s16\n",
            "vmla.f32 s5, s25, s17\n",
            "vmla.f32 s6, s25, s18\n",
            "vmla.f32 s7, s25, s19\n",
        )
    };
}

/// One 2×`W` tile over `kc ≥ 1` steps: clear the accumulators; per step load the two `A`
/// values and find row `p` of `B` at `bb + boffs[p]` (offsets in floats), multiply-accumulate;
/// then store the rows to `d0` and `d1` (`W` floats each).
macro_rules! tile {
    ($mla:ident, $zero:literal, $st0:literal, $st1:literal;
     $a0:expr, $a1:expr, $bb:expr, $boffs:expr, $kc:expr, $d0:expr, $d1:expr) => {
        asm!(
            $zero,
            "2:",
            "vldmia {a0}!, {{s24}}",
            "vldmia {a1}!, {{s25}}",
            "ldr {t}, [{bo}], #4",
            "add {t}, {bb}, {t}, lsl #2",
            $mla!(),
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
            out("s0") _, out("s1") _, out("s2") _, out("s3") _, out("s4") _, out("s5") _,
            out("s6") _, out("s7") _, out("s8") _, out("s9") _, out("s10") _, out("s11") _,
            out("s12") _, out("s13") _, out("s14") _, out("s15") _, out("s16") _, out("s17") _,
            out("s18") _, out("s19") _, out("s20") _, out("s21") _, out("s22") _, out("s23") _,
            out("s24") _, out("s25") _, out("s26") _, out("s27") _, out("s28") _, out("s29") _,
            out("s30") _, out("s31") _,
            options(nostack),
        )
    };
}

/// The Arm block: 2×12 tiles (contiguous `B` columns), then 2×8 and 2×4, then scalar edges.
///
/// # Safety
/// As [`super::tile::Kernel`].
pub(super) unsafe fn block(k: &Block, beta: f32) {
    if k.a_step != 1 || k.kc == 0 || k.kc > KC {
        // SAFETY: forwarded contract.
        return unsafe { edge(k, beta, 0..k.mc, 0..k.nc) };
    }
    // B's rows as offsets: the block's own, or p·ldb written here (one tile code for both;
    // not cleared first, only the kc entries written are read)
    let mut table = core::mem::MaybeUninit::<[usize; KC]>::uninit();
    let boffs = if k.boffs.is_null() {
        let t = table.as_mut_ptr().cast::<usize>();
        for p in 0..k.kc {
            // SAFETY: p < kc ≤ KC entries of the table.
            unsafe { t.add(p).write(p * k.ldb) };
        }
        t.cast_const()
    } else {
        k.boffs
    };
    // Column j of B at b + j for every j (read in place, or a single packed panel row), so a
    // tile may cross the NR-column panels; otherwise tiles stay inside one (NR % 8 == 0).
    let contiguous = k.b_panel == NR;
    let mut tmp = [0.0f32; 24];
    let mut jp = 0;
    while jp + 4 <= k.nc {
        let w = match k.nc - jp {
            12.. if contiguous => 12,
            8.. => 8,
            _ => 4,
        };
        // SAFETY: columns jp..jp+w of the block start here (see `contiguous`).
        let bb = unsafe { k.b.add(jp / NR * k.b_panel + jp % NR) };
        let mut ip = 0;
        while ip + 2 <= k.mc {
            let direct = beta == 0.0;
            // SAFETY: rows ip, ip + 1 < mc of C hold columns jp..jp+w of the block.
            let (d0, d1) = unsafe {
                if direct {
                    (k.c.add(k.crow[ip] + jp), k.c.add(k.crow[ip + 1] + jp))
                } else {
                    (tmp.as_mut_ptr(), tmp.as_mut_ptr().add(12))
                }
            };
            let (a0, a1) = (k.a[ip], k.a[ip + 1]);
            // SAFETY: the block's contract: rows ip, ip + 1 of A hold kc ≥ 1 floats from a0,
            // a1; row p < kc of B holds the tile's w columns at bb + boffs[p]; d0 and d1 hold
            // w writable floats.
            unsafe {
                match w {
                    12 => tile!(mla12, "vldm {z}, {{s0-s23}}",
                        "vstm {d0}, {{s0-s11}}", "vstm {d1}, {{s12-s23}}";
                        a0, a1, bb, boffs, k.kc, d0, d1),
                    8 => tile!(mla8, "vldm {z}, {{s0-s15}}",
                        "vstm {d0}, {{s0-s7}}", "vstm {d1}, {{s8-s15}}";
                        a0, a1, bb, boffs, k.kc, d0, d1),
                    _ => tile!(mla4, "vldm {z}, {{s0-s7}}",
                        "vstm {d0}, {{s0-s3}}", "vstm {d1}, {{s4-s7}}";
                        a0, a1, bb, boffs, k.kc, d0, d1),
                }
            }
            if !direct {
                for r in 0..2 {
                    // SAFETY: row ip + r < mc of C holds columns jp..jp+w.
                    let cr =
                        unsafe { core::slice::from_raw_parts_mut(k.c.add(k.crow[ip + r] + jp), w) };
                    for (o, &v) in cr.iter_mut().zip(&tmp[r * 12..]) {
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

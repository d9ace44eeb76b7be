//! What every binary of this crate shares: instruction counting with SysTick, the painted-stack
//! depth, the report lines `run.sh` and `run-mlperf.sh` read, the exit over semihosting, and the
//! HardFault and panic handlers. Included by path (`#[path = "../board.rs"] mod board;` from
//! `src/bin/`), so each binary compiles it as its own module.
//!
//! Instructions per inference: SysTick (24-bit, core clock) is read around each inference. Under
//! QEMU `-icount shift=0` one guest instruction is one virtual nanosecond, so the ticks are
//! instructions × core clock / 1 GHz; a calibration loop of a known instruction count gives the
//! ratio. QEMU models no pipeline, wait states or cache: this is an instruction count, not cycles.
#![allow(dead_code)] // not every binary uses every item

use core::arch::asm;
use cortex_m::peripheral::{syst::SystClkSource, SYST};
use cortex_m_rt::{exception, ExceptionFrame};
use cortex_m_semihosting::{debug, hprintln};

/// Calibration: `2 × SPIN` instructions.
const SPIN: u32 = 500_000;

/// Starts SysTick on the core clock (reload 2^24 − 1) and returns the ticks of the calibration
/// loop (`2 × SPIN` instructions, plus a call and two SysTick reads).
pub fn start_clock() -> u32 {
    let mut cp = cortex_m::Peripherals::take().unwrap();
    cp.SYST.set_clock_source(SystClkSource::Core);
    cp.SYST.set_reload(0x00FF_FFFF);
    cp.SYST.clear_current();
    cp.SYST.enable_counter();
    let t0 = now();
    spin(SPIN);
    ticks(t0, now())
}

/// SysTick's current value (it counts down).
#[inline(always)]
pub fn now() -> u32 {
    SYST::get_current()
}

/// SysTick ticks from `start` to `end` (a 24-bit down counter; spans under 2^24 ticks).
pub fn ticks(start: u32, end: u32) -> u32 {
    start.wrapping_sub(end) & 0x00FF_FFFF
}

/// `2 * n` instructions (`subs`, `bne`), for calibration.
#[inline(never)]
fn spin(n: u32) {
    // SAFETY: touches only its own register.
    unsafe { asm!("2:", "subs {0}, #1", "bne 2b", inout(reg) n => _, options(nomem, nostack)) };
}

/// SysTick ticks of each inference: fewest, most, sum, count.
pub struct Timing {
    min: u32,
    max: u32,
    sum: u32,
    n: u32,
}

impl Timing {
    pub const fn new() -> Self {
        Timing {
            min: u32::MAX,
            max: 0,
            sum: 0,
            n: 0,
        }
    }

    /// Adds one inference of `t` ticks.
    pub fn add(&mut self, t: u32) {
        (self.min, self.max, self.sum, self.n) =
            (self.min.min(t), self.max.max(t), self.sum + t, self.n + 1);
    }

    /// Prints the ticks, the instructions per inference (min, max, mean) and per MAC of a
    /// network of `macs` MACs, `spin_ticks` being [`start_clock`]'s calibration. Inlined (as the
    /// other one-call helpers): a call costs the LeNet opt-level "s" build flash it lacks.
    #[inline(always)]
    pub fn report(&self, name: &str, macs: usize, spin_ticks: u32) {
        // Instructions = ticks × (2 × SPIN) / spin_ticks (exact only under -icount). In f32 (the
        // FPU's, within a few instructions, under SysTick's resolution: 6 at 168 MHz, 40 at
        // 25 MHz): u64 division and printing would cost 750 bytes of flash, more than the LeNet
        // opt-level "s" build has spare.
        let insns = |t: u32| (t as f32 * (2 * SPIN) as f32 / spin_ticks.max(1) as f32 + 0.5) as u32;
        let mean = self.sum / self.n.max(1);
        hprintln!(
            "SysTick ticks per inference: min {} max {} mean {} (calibration: {} ticks for {} instructions)",
            self.min,
            self.max,
            mean,
            spin_ticks,
            2 * SPIN
        );
        hprintln!(
            "instructions per inference (valid under -icount): min {} max {} mean {}",
            insns(self.min),
            insns(self.max),
            insns(mean)
        );
        // per MAC in hundredths, rounded, printed as integers (no float formatting code in flash)
        let per_mac = (insns(mean) as f32 * 100.0 / macs.max(1) as f32 + 0.5) as u32;
        hprintln!(
            "instructions per MAC ({}: {} MACs): {}.{:02}",
            name,
            macs,
            per_mac / 100,
            per_mac % 100
        );
    }
}

extern "C" {
    static _stack_start: u32;
    static _stack_end: u32;
}

/// Deepest stack use so far: bytes below `_stack_start` no longer holding cortex-m-rt's paint.
#[inline(always)]
pub fn stack_used() -> u32 {
    // SAFETY: the words between `_stack_end` and `_stack_start` are RAM (cortex-m-rt's layout).
    unsafe {
        let (lo, hi) = (
            &raw const _stack_end as *const u32,
            &raw const _stack_start as *const u32,
        );
        let mut p = lo;
        while p < hi && p.read_volatile() == cortex_m_rt::STACK_PAINT_VALUE {
            p = p.add(1);
        }
        hi as u32 - p as u32
    }
}

/// Prints the deepest stack use (the line the run scripts read) and ends QEMU: exit status 0 when
/// `ok`, 1 otherwise.
#[inline(always)]
pub fn finish(ok: bool) -> ! {
    hprintln!("stack used (deepest): {} bytes", stack_used());
    exit(ok)
}

/// Ends QEMU with exit status 0 when `ok`, 1 otherwise.
pub fn exit(ok: bool) -> ! {
    debug::exit(if ok {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    loop {}
}

/// Prints `msg` and ends QEMU with exit status 1.
pub fn fail(msg: &str) -> ! {
    hprintln!("{}", msg);
    exit(false)
}

#[exception]
unsafe fn HardFault(ef: &ExceptionFrame) -> ! {
    hprintln!("HardFault at pc {:#010x}", ef.pc());
    exit(false)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    hprintln!("panic: {}", info);
    exit(false)
}

//! What the two benchmark examples share: the timer, the loss gradient of a training step, random
//! inputs and PyTorch's numbers written by `scripts/bench_torch.py`.
use dl::{Batch, Shape};
use std::collections::BTreeMap;
use std::time::Instant;

/// Median milliseconds of `f` over about `secs` seconds of samples, after warm-up; each sample
/// lasts at least ~2 ms so timer overhead does not count. `DL_BENCH_STAT=min` returns the fastest
/// sample instead, steadier than the median on a busy machine. `DL_BENCH_CLOCK=cpu` times each
/// sample by the CPU time of the calling thread (Linux) instead of the wall clock: time slices lost to other processes do not count, but neither does the
/// work of other threads, so it is only meaningful on 1 thread.
pub fn median_ms(secs: f64, f: &mut dyn FnMut()) -> f64 {
    let cpu = std::env::var("DL_BENCH_CLOCK").is_ok_and(|c| c == "cpu");
    let t0 = Instant::now();
    let mut warm = 0;
    while warm < 3 || t0.elapsed().as_secs_f64() < 0.15 * secs {
        f();
        warm += 1;
    }
    let once = t0.elapsed().as_secs_f64() / warm as f64;
    let inner = ((2e-3 / once).ceil() as usize).max(1);
    let samples = ((secs / (once * inner as f64)) as usize).clamp(15, 301);
    let mut t: Vec<f64> = (0..samples)
        .map(|_| {
            let (s, c) = (Instant::now(), if cpu { thread_cpu_ns() } else { 0 });
            for _ in 0..inner {
                f();
            }
            if cpu {
                (thread_cpu_ns() - c) as f64 * 1e-6 / inner as f64
            } else {
                s.elapsed().as_secs_f64() * 1e3 / inner as f64
            }
        })
        .collect();
    if std::env::var("DL_BENCH_STAT").is_ok_and(|s| s == "min") {
        return t.iter().copied().fold(f64::INFINITY, f64::min);
    }
    median(&mut t)
}

/// Nanoseconds this thread has run on a CPU (`clock_gettime(CLOCK_THREAD_CPUTIME_ID)`, exact
/// to the nanosecond, unlike /proc's schedstat that advances by scheduler ticks); 0 off 64-bit
/// Linux.
fn thread_cpu_ns() -> u64 {
    #[cfg(all(target_os = "linux", target_pointer_width = "64"))]
    {
        #[repr(C)]
        struct Timespec {
            sec: i64,
            nsec: i64,
        }
        extern "C" {
            fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
        }
        const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
        let mut ts = Timespec { sec: 0, nsec: 0 };
        // SAFETY: libc's clock_gettime writes one timespec (two 64-bit fields on 64-bit Linux).
        if unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) } == 0 {
            return ts.sec as u64 * 1_000_000_000 + ts.nsec as u64;
        }
    }
    0
}

/// The median of `v` (sorted in place).
pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// `dlogits = (softmax(logits) − onehot(label)) / n` over rows of 10: the gradient of the mean
/// cross-entropy.
pub fn softmax_xent_grad(logits: &[f32], labels: &[usize], d: &mut [f32]) {
    let n = labels.len() as f32;
    for ((z, g), &l) in logits
        .chunks_exact(10)
        .zip(d.chunks_exact_mut(10))
        .zip(labels)
    {
        let m = z.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
        let mut s = 0.0;
        for (gi, &zi) in g.iter_mut().zip(z) {
            *gi = (zi - m).exp();
            s += *gi;
        }
        for gi in g.iter_mut() {
            *gi /= s * n;
        }
        g[l] -= 1.0 / n;
    }
}

/// `n` samples of standard normal values.
pub fn random_batch<S: Shape>(n: usize, seed: u64) -> Batch<S> {
    let mut r = dl::rng::Rng::new(seed);
    Batch::from_fn(n, |_| r.normal())
}

/// PyTorch's numbers: lines `case threads milliseconds` (empty, with a hint, if the file is
/// missing).
pub fn read_torch(path: &str) -> BTreeMap<(String, usize), f64> {
    let Ok(text) = std::fs::read_to_string(path) else {
        eprintln!(
            "no PyTorch numbers at {path} (run `python3 scripts/bench_torch.py`, or bench_core --torch)"
        );
        return BTreeMap::new();
    };
    text.lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            let (c, t, ms) = (
                it.next()?,
                it.next()?.parse().ok()?,
                it.next()?.parse().ok()?,
            );
            Some(((c.to_string(), t), ms))
        })
        .collect()
}

/// The environment variable `k` parsed, or `d`.
pub fn env_or<T: std::str::FromStr>(k: &str, d: T) -> T {
    std::env::var(k)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(d)
}

/// The median round trip, in nanoseconds, of a flag passed between this thread and a new one
/// (each waits for the other's write): tens of ns between SMT siblings, ~100 between cores
/// under one L3, several hundred between dies.
pub fn core_to_core_ns() -> f64 {
    use std::sync::atomic::{AtomicU64, Ordering::*};
    const TRIPS: u64 = 400;
    let flag = AtomicU64::new(0);
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut v = 1;
            while v < 2 * 8 * TRIPS {
                while flag.load(Acquire) != v {
                    std::hint::spin_loop();
                }
                flag.store(v + 1, Release);
                v += 2;
            }
        });
        let mut v = 0;
        let mut t: Vec<f64> = (0..8)
            .map(|_| {
                let s = Instant::now();
                for _ in 0..TRIPS {
                    flag.store(v + 1, Release);
                    while flag.load(Acquire) != v + 2 {
                        std::hint::spin_loop();
                    }
                    v += 2;
                }
                s.elapsed().as_secs_f64() * 1e9 / TRIPS as f64
            })
            .collect();
        median(&mut t)
    })
}

/// CPU time (in clock ticks, all CPUs) that other processes have used since boot: busy time
/// from `/proc/stat` less this process's from `/proc/self/stat`. Differences of two readings
/// tell whether anything else ran meanwhile; `None` off Linux.
pub fn others_cpu_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let cpu: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .map(|v| v.parse().unwrap_or(0))
        .collect();
    // user, nice, system, (idle, iowait,) irq, softirq
    let busy = [0, 1, 2, 5, 6]
        .iter()
        .map(|&i| cpu.get(i).copied().unwrap_or(0))
        .sum::<u64>();
    let me = std::fs::read_to_string("/proc/self/stat").ok()?;
    // the fields after the command name (which may hold spaces) close with ')'
    let rest: Vec<&str> = me.rsplit_once(')')?.1.split_whitespace().collect();
    let mine = rest.get(11)?.parse::<u64>().ok()? + rest.get(12)?.parse::<u64>().ok()?;
    Some(busy.saturating_sub(mine))
}

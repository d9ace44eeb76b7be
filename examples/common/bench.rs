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

/// Multiply-add throughput of the calling thread in GFLOP/s: `iters` rounds of 12 independent
/// chains of vector multiply-adds (AVX-512 or AVX2+FMA, whichever the CPU has), nothing read
/// from memory; `None` on other CPUs. A core this thread shares with another busy thread
/// (an SMT sibling, on the host of a VM too) gives about half of an idle core's figure.
pub fn fma_gflops(iters: u64) -> Option<f64> {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        #[target_feature(enable = "avx512f")]
        fn chains512(n: u64, m: f32) -> f32 {
            let mut a = [_mm512_set1_ps(1.0); 12];
            let (m, c) = (_mm512_set1_ps(m), _mm512_set1_ps(1e-6));
            for _ in 0..n {
                for r in a.iter_mut() {
                    *r = _mm512_fmadd_ps(*r, m, c);
                }
            }
            a.iter().map(|&r| _mm512_reduce_add_ps(r)).sum()
        }
        #[target_feature(enable = "avx2,fma")]
        fn chains256(n: u64, m: f32) -> f32 {
            let mut a = [_mm256_set1_ps(1.0); 12];
            let (m, c) = (_mm256_set1_ps(m), _mm256_set1_ps(1e-6));
            for _ in 0..n {
                for r in a.iter_mut() {
                    *r = _mm256_fmadd_ps(*r, m, c);
                }
            }
            let mut out = [0.0f32; 8];
            let s = a
                .iter()
                .fold(_mm256_setzero_ps(), |s, &r| _mm256_add_ps(s, r));
            // SAFETY: `out` holds 8 floats.
            unsafe { _mm256_storeu_ps(out.as_mut_ptr(), s) };
            out.iter().sum()
        }
        // opaque to the compiler, which would otherwise fold the loop
        let (iters, m) = std::hint::black_box((iters, 0.999_99));
        let t = Instant::now();
        let lanes = if is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F (checked on the line above).
            std::hint::black_box(unsafe { chains512(iters, m) });
            16
        } else if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            // SAFETY: the CPU has AVX2 and FMA (checked on the line above).
            std::hint::black_box(unsafe { chains256(iters, m) });
            8
        } else {
            return None;
        };
        Some((iters * 12 * lanes * 2) as f64 / t.elapsed().as_secs_f64() / 1e9)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = iters;
        None
    }
}

/// [`fma_gflops`] on two threads at once (this one and a new one): what each of two cores
/// gives right now. On a VM whose two vCPUs sometimes land on one physical core, or next to
/// another tenant's busy thread, one or both figures drop to about half.
pub fn two_core_probe() -> Option<[f64; 2]> {
    const ITERS: u64 = 1_000_000;
    std::thread::scope(|s| {
        let other = s.spawn(|| fma_gflops(ITERS));
        let mine = fma_gflops(ITERS);
        Some([mine?, other.join().ok()??])
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

//! A persistent pool of worker threads for [`super::par`] (`std` only).
//!
//! [`run`] publishes one job (`f(piece, slot)` for every piece in `0..pieces`), takes part in
//! it, and returns once every piece is done, so `f` may borrow from the caller's stack. The
//! pieces are dealt out as consecutive ranges, one per thread, and the same thread takes the
//! same range in every job: a batch split the same way layer after layer stays with one
//! thread, each layer reading what that thread wrote in its own cache (on a VM whose two vCPUs
//! sit on two dies of the host, a range that changed threads between layers crossed between
//! the dies). Pieces are claimed one at a time, and a thread done with its range takes what
//! is left of the others', so a thread that gets less of the CPU simply takes fewer of them.
//! `slot` names the thread running the piece (`0` the caller, `1..threads` the workers), so
//! each thread can own a workspace. Workers spin briefly between jobs (a training step runs
//! dozens of short parallel loops back to back) and then sleep. A job started while another is
//! running (another user thread, or from inside a piece) runs its pieces in the calling thread,
//! as slot 0. A panic in a piece is re-raised in the caller after all pieces have finished.
use std::any::Any;
use std::boxed::Box;
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::*};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// How long an idle worker spins before it sleeps.
const SPIN: Duration = Duration::from_micros(200);

type Piece<'a> = dyn Fn(usize, usize) + Sync + 'a;

/// A job's closure with its lifetime erased (only dereferenced while the job runs), its piece
/// count and how many threads (slots) may take part.
#[derive(Clone, Copy)]
struct JobRef(*const Piece<'static>, usize, usize);
// SAFETY: the closure is `Sync`; the pointer is only used while `run` keeps it alive.
unsafe impl Send for JobRef {}

struct State {
    epoch: u64,
    job: Option<JobRef>,
    sleepers: usize,
    workers: usize,
}

struct Pool {
    state: Mutex<State>,
    wake: Condvar,
    /// The current job's epoch, readable without the lock.
    epoch: AtomicU64,
    /// Per range of pieces: `epoch << 32 | its next unclaimed piece`.
    claims: [Claim; RANGES],
    done: AtomicUsize,
    panic: Mutex<Option<Box<dyn Any + Send>>>,
}

/// Most ranges a job's pieces are dealt out in (threads past this share them).
const RANGES: usize = 64;

/// One range's claim counter, on a cache line of its own (threads claim from their own
/// ranges at once).
#[repr(align(128))]
struct Claim(AtomicU64);

/// The `k`-th of `ranges` consecutive ranges of `0..pieces`.
fn range(k: usize, ranges: usize, pieces: usize) -> core::ops::Range<usize> {
    k * pieces / ranges..(k + 1) * pieces / ranges
}

static POOL: OnceLock<Pool> = OnceLock::new();
static BUSY: AtomicBool = AtomicBool::new(false);
std::thread_local!(static INSIDE: Cell<bool> = const { Cell::new(false) });

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn pool() -> &'static Pool {
    POOL.get_or_init(|| Pool {
        state: Mutex::new(State {
            epoch: 0,
            job: None,
            sleepers: 0,
            workers: 0,
        }),
        wake: Condvar::new(),
        epoch: AtomicU64::new(0),
        claims: core::array::from_fn(|_| Claim(AtomicU64::new(0))),
        done: AtomicUsize::new(0),
        panic: Mutex::new(None),
    })
}

/// Runs `f(piece, slot)` for every piece in `0..pieces` on up to `threads` threads (the caller
/// included); `slot < threads` is unique among the threads running at once.
pub fn run(pieces: usize, threads: usize, f: &Piece<'_>) {
    if pieces <= 1 || threads <= 1 || INSIDE.with(|c| c.get()) || BUSY.swap(true, Acquire) {
        (0..pieces).for_each(|i| f(i, 0));
        return;
    }
    let pool: &'static Pool = pool();
    let threads = threads.min(pieces);
    // SAFETY: erases the borrow's lifetime; `run` does not return before every piece is done,
    // and a worker calls `f` only after claiming a piece of this epoch (see `work`).
    let f_static = unsafe { core::mem::transmute::<&Piece<'_>, &'static Piece<'static>>(f) };
    let epoch = {
        let mut st = lock(&pool.state);
        while st.workers < threads - 1 {
            let slot = st.workers + 1;
            let spawned = std::thread::Builder::new()
                .name("dl-worker".into())
                .spawn(move || worker(pool, slot));
            if spawned.is_err() {
                break;
            }
            st.workers += 1;
        }
        st.epoch += 1;
        st.job = Some(JobRef(f_static, pieces, threads));
        pool.done.store(0, Relaxed);
        let ranges = threads.min(RANGES);
        for (k, c) in pool.claims[..ranges].iter().enumerate() {
            c.0.store(
                st.epoch << 32 | range(k, ranges, pieces).start as u64,
                SeqCst,
            );
        }
        pool.epoch.store(st.epoch, SeqCst);
        if st.sleepers > 0 {
            pool.wake.notify_all();
        }
        st.epoch
    };
    INSIDE.with(|c| c.set(true));
    work(pool, epoch, f, pieces, threads, 0);
    INSIDE.with(|c| c.set(false));
    let mut spins = 0u32;
    while pool.done.load(Acquire) < pieces {
        spins += 1;
        if spins < 1 << 14 {
            core::hint::spin_loop();
        } else {
            std::thread::yield_now();
        }
    }
    lock(&pool.state).job = None;
    let panic = lock(&pool.panic).take();
    BUSY.store(false, Release);
    if let Some(p) = panic {
        std::panic::resume_unwind(p);
    }
}

/// Claims and runs pieces of job `epoch` (on `threads` threads) until none is left: first
/// those of the thread's own range, then what is left of the others'.
fn work(pool: &Pool, epoch: u64, f: &Piece<'_>, pieces: usize, threads: usize, slot: usize) {
    let ranges = threads.min(RANGES);
    for k in (0..ranges).map(|k| (k + slot) % ranges) {
        let (end, claim) = (range(k, ranges, pieces).end, &pool.claims[k].0);
        loop {
            let c = claim.load(Acquire);
            let i = (c & 0xffff_ffff) as usize;
            if c >> 32 != epoch & 0xffff_ffff {
                return; // a later job: this one is done
            }
            if i >= end {
                break;
            }
            if claim
                .compare_exchange_weak(c, c + 1, AcqRel, Relaxed)
                .is_err()
            {
                continue;
            }
            if let Err(p) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(i, slot))) {
                *lock(&pool.panic) = Some(p);
            }
            pool.done.fetch_add(1, Release);
        }
    }
}

fn worker(pool: &'static Pool, slot: usize) {
    INSIDE.with(|c| c.set(true));
    let mut seen = pool.epoch.load(Acquire);
    loop {
        let start = Instant::now();
        let mut spins = 0u32;
        while pool.epoch.load(Acquire) == seen {
            core::hint::spin_loop();
            spins += 1;
            if spins.is_multiple_of(256) && start.elapsed() > SPIN {
                let mut st = lock(&pool.state);
                st.sleepers += 1;
                while st.epoch == seen {
                    st = pool.wake.wait(st).unwrap_or_else(|e| e.into_inner());
                }
                st.sleepers -= 1;
            }
        }
        let (epoch, job) = {
            let st = lock(&pool.state);
            (st.epoch, st.job)
        };
        seen = epoch;
        if let Some(JobRef(f, pieces, threads)) = job {
            if slot < threads {
                // SAFETY: `work` calls `f` only after claiming a piece of `epoch`, and `run`
                // keeps the closure alive until every piece of its epoch is done.
                work(pool, epoch, unsafe { &*f }, pieces, threads, slot);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn every_piece_runs_once_on_a_distinct_slot_and_panics_come_back() {
        for pieces in [1, 2, 3, 17] {
            let hits: std::vec::Vec<AtomicUsize> =
                (0..pieces).map(|_| AtomicUsize::new(0)).collect();
            // one flag per slot: two pieces on the same slot at once would find it set
            let busy: [AtomicBool; 2] = Default::default();
            for _ in 0..200 {
                run(pieces, 2, &|i, slot| {
                    assert!(
                        !busy[slot].swap(true, SeqCst),
                        "slot {slot} used twice at once"
                    );
                    hits[i].fetch_add(1, Relaxed);
                    busy[slot].store(false, SeqCst);
                });
            }
            assert!(hits.iter().all(|h| h.load(Relaxed) == 200));
        }
        let r = std::panic::catch_unwind(|| run(4, 2, &|i, _| assert!(i != 3, "piece 3")));
        assert!(r.is_err());
        // still usable afterwards
        let n = AtomicUsize::new(0);
        run(4, 2, &|_, _| {
            n.fetch_add(1, Relaxed);
        });
        assert_eq!(n.load(Relaxed), 4);
    }

    #[test]
    fn each_thread_starts_on_its_own_range() {
        for pieces in 1..40 {
            for ranges in 1..6 {
                let all: std::vec::Vec<usize> =
                    (0..ranges).flat_map(|k| range(k, ranges, pieces)).collect();
                assert_eq!(all, (0..pieces).collect::<std::vec::Vec<_>>());
            }
        }
        // piece 0 (the caller's first) waits until another piece has started: the worker
        // must have begun with the first piece of its own range, piece 2 of 0..4 (which
        // lasts long enough for the caller to take piece 1, the rest of its own). (A run
        // that went serial because another test held the pool never starts another piece:
        // piece 0 gives up after 2 s and that round is not checked.)
        let mut checked = 0;
        for _ in 0..20 {
            let slots: [AtomicUsize; 4] = Default::default();
            let started = AtomicUsize::new(0);
            let waited = AtomicBool::new(false);
            run(4, 2, &|i, slot| {
                slots[i].store(slot, SeqCst);
                if i == 0 {
                    let t = Instant::now();
                    while started.load(SeqCst) == 0 && t.elapsed() < Duration::from_secs(2) {
                        std::hint::spin_loop();
                    }
                    waited.store(started.load(SeqCst) > 0, SeqCst);
                } else {
                    started.fetch_add(1, SeqCst);
                    if i == 2 {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                }
            });
            if waited.load(SeqCst) {
                let s: [usize; 3] = core::array::from_fn(|i| slots[i].load(SeqCst));
                assert_eq!(s, [0, 0, 1], "slots of pieces 0, 1, 2");
                checked += 1;
            }
        }
        assert!(checked > 0, "the pool never ran two threads at once");
    }
}

//! A persistent pool of worker threads for [`super::par`] (`std` only).
//!
//! [`run`] publishes one job (`f(piece, slot)` for every piece in `0..pieces`), takes part in
//! it, and returns once every piece is done, so `f` may borrow from the caller's stack. Pieces
//! are claimed one at a time, so a thread that gets less of the CPU simply takes fewer of them.
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
    /// `epoch << 32 | next unclaimed piece`.
    claim: AtomicU64,
    done: AtomicUsize,
    panic: Mutex<Option<Box<dyn Any + Send>>>,
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
        claim: AtomicU64::new(0),
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
        pool.claim.store(st.epoch << 32, SeqCst);
        pool.epoch.store(st.epoch, SeqCst);
        if st.sleepers > 0 {
            pool.wake.notify_all();
        }
        st.epoch
    };
    INSIDE.with(|c| c.set(true));
    work(pool, epoch, f, pieces, 0);
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

/// Claims and runs pieces of job `epoch` until none is left.
fn work(pool: &Pool, epoch: u64, f: &Piece<'_>, pieces: usize, slot: usize) {
    loop {
        let c = pool.claim.load(Acquire);
        let i = (c & 0xffff_ffff) as usize;
        if c >> 32 != epoch & 0xffff_ffff || i >= pieces {
            return;
        }
        if pool
            .claim
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
                work(pool, epoch, unsafe { &*f }, pieces, slot);
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
}

//! Splitting a batch across threads (`std`), or running it in one piece (`no_std`).
//!
//! Work runs on a persistent pool (`threadpool.rs`): a training step issues dozens of short
//! parallel loops, too short to pay for spawning threads each time. The thread count is
//! [`threads`]: `DL_THREADS` from the environment if set, otherwise the machine's parallelism;
//! [`set_threads`] overrides it (benchmarks compare 1 and 2 threads).
use core::sync::atomic::{AtomicUsize, Ordering};

static THREADS: AtomicUsize = AtomicUsize::new(0);

/// Sets the number of threads layers may use (1 = single-threaded).
pub fn set_threads(n: usize) {
    THREADS.store(n.max(1), Ordering::Relaxed);
}

/// The number of threads layers may use.
pub fn threads() -> usize {
    let t = THREADS.load(Ordering::Relaxed);
    if t != 0 {
        return t;
    }
    #[cfg(feature = "std")]
    let t = std::env::var("DL_THREADS")
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    #[cfg(not(feature = "std"))]
    let t = 1;
    THREADS.store(t, Ordering::Relaxed);
    t
}

/// How many pieces to split `n` items of `work` flops each into: one per thread, but only when
/// there is enough work to pay for starting a thread.
pub fn pieces(n: usize, work_per_item: usize) -> usize {
    let t = threads().min(n.max(1));
    if t <= 1 || n * work_per_item < 200_000 {
        1
    } else {
        t
    }
}

/// Runs `f(0)`, …, `f(pieces − 1)` in parallel (on the persistent pool under `std`) and returns
/// when all are done.
pub fn run<F: Fn(usize) + Sync>(pieces: usize, f: F) {
    #[cfg(feature = "std")]
    super::threadpool::run(pieces, threads(), &f);
    #[cfg(not(feature = "std"))]
    (0..pieces).for_each(f);
}

/// A raw pointer that may cross threads; users hand out disjoint ranges only.
struct SendPtr<T>(*mut T);
impl<T> Clone for SendPtr<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for SendPtr<T> {}
impl<T> SendPtr<T> {
    /// The pointer (a method, so closures capture the whole `SendPtr`).
    fn get(self) -> *mut T {
        self.0
    }
}
// SAFETY: only used to split one `&mut [T]` into disjoint chunks for the pieces of one `run`.
unsafe impl<T: Send> Send for SendPtr<T> {}
unsafe impl<T: Send> Sync for SendPtr<T> {}

/// `n` items split into `pieces` consecutive ranges: `(items per piece, pieces actually used)`.
fn split(n: usize, pieces: usize) -> (usize, usize) {
    let per = n.div_ceil(pieces.max(1)).max(1);
    (per, n.div_ceil(per).max(1))
}

/// Calls `f(first_item, chunk)` on consecutive chunks of `out` (each a whole number of
/// `item_len`-sized items), in parallel when worthwhile.
pub fn for_chunks<F>(n: usize, out: &mut [f32], item_len: usize, f: F)
where
    F: Fn(usize, &mut [f32]) + Sync,
{
    for_chunks_work(n, out, item_len, item_len.max(1) * 64, f);
}

/// [`for_chunks`] for items of `work_per_item` flops (as [`pieces`] counts them): elementwise
/// loops pass about `item_len`, so only large batches are split.
pub fn for_chunks_work<F>(n: usize, out: &mut [f32], item_len: usize, work_per_item: usize, f: F)
where
    F: Fn(usize, &mut [f32]) + Sync,
{
    let p = pieces(n, work_per_item);
    if p <= 1 || item_len == 0 {
        f(0, out);
        return;
    }
    let (per, p) = split(n, p);
    assert!(out.len() >= n * item_len);
    let base = SendPtr(out.as_mut_ptr());
    run(p, |i| {
        let start = i * per;
        let take = per.min(n - start);
        // SAFETY: pieces get disjoint ranges of `out` (checked long enough above).
        let chunk = unsafe {
            core::slice::from_raw_parts_mut(base.get().add(start * item_len), take * item_len)
        };
        f(start, chunk);
    });
}

/// Splits `n` items into `work.len()` consecutive ranges and calls `f(&mut work[p], range)`
/// for each in parallel: each piece owns a workspace (buffers, partial gradients) kept across
/// calls. Size `work` with [`pieces`].
pub fn for_each_piece<W: Send, F>(work: &mut [W], n: usize, f: F)
where
    F: Fn(&mut W, core::ops::Range<usize>) + Sync,
{
    let (per, p) = split(n, work.len());
    let p = p.min(work.len());
    let base = SendPtr(work.as_mut_ptr());
    run(p, |i| {
        // SAFETY: each piece index is run once, so each workspace is borrowed once.
        let wk = unsafe { &mut *base.get().add(i) };
        f(wk, (i * per).min(n)..((i + 1) * per).min(n));
    });
}

/// Runs `f(range)` over `pieces` consecutive ranges of `0..n` in parallel and returns each
/// piece's result in order.
#[cfg(feature = "alloc")]
pub fn map_ranges<T: Send, F>(n: usize, pieces: usize, f: F) -> alloc::vec::Vec<T>
where
    F: Fn(core::ops::Range<usize>) -> T + Sync,
{
    let pieces = pieces.clamp(1, n.max(1));
    if pieces == 1 {
        return alloc::vec![f(0..n)];
    }
    let per = n.div_ceil(pieces);
    #[cfg(feature = "std")]
    {
        let slots: alloc::vec::Vec<std::sync::Mutex<Option<T>>> =
            (0..pieces).map(|_| std::sync::Mutex::new(None)).collect();
        run(pieces, |i| {
            let r = f((i * per).min(n)..((i + 1) * per).min(n));
            *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
        });
        slots
            .into_iter()
            .filter_map(|s| s.into_inner().unwrap_or_else(|e| e.into_inner()))
            .collect()
    }
    #[cfg(not(feature = "std"))]
    (0..pieces)
        .map(|i| f((i * per).min(n)..((i + 1) * per).min(n)))
        .collect()
}

/// Like [`for_chunks`], with one mutable workspace per piece: splits the `n` items of `out`
/// (each `item_len` long) into up to `work.len()` consecutive chunks and calls
/// `f(&mut work[p], first_item, chunk)` on each, in parallel under `std`. Size `work` with
/// [`pieces`]; a backward pass keeps its per-piece parameter gradients in the workspaces.
pub fn for_chunks_with<W: Send, F>(work: &mut [W], n: usize, out: &mut [f32], item_len: usize, f: F)
where
    F: Fn(&mut W, usize, &mut [f32]) + Sync,
{
    assert!(out.len() >= n * item_len);
    let base = SendPtr(out.as_mut_ptr());
    for_each_piece(work, n, |wk, r| {
        // SAFETY: ranges of different pieces are disjoint.
        let chunk = unsafe {
            core::slice::from_raw_parts_mut(base.get().add(r.start * item_len), r.len() * item_len)
        };
        f(wk, r.start, chunk);
    });
}

/// [`for_chunks`] over two outputs split at the same items: `f(first_item, a_chunk, b_chunk)`
/// gets `a_len` elements of `a` and `b_len` of `b` per item (e.g. values and argmax indices).
pub fn for_chunks_zip<A: Send, B: Send, F>(
    n: usize,
    a: &mut [A],
    a_len: usize,
    b: &mut [B],
    b_len: usize,
    f: F,
) where
    F: Fn(usize, &mut [A], &mut [B]) + Sync,
{
    let p = pieces(n, a_len.max(1) * 64);
    if p <= 1 || a_len == 0 || b_len == 0 {
        f(0, a, b);
        return;
    }
    let (per, p) = split(n, p);
    assert!(a.len() >= n * a_len && b.len() >= n * b_len);
    let (pa, pb) = (SendPtr(a.as_mut_ptr()), SendPtr(b.as_mut_ptr()));
    run(p, |i| {
        let (start, take) = (i * per, per.min(n - i * per));
        // SAFETY: pieces get disjoint ranges of `a` and `b` (checked long enough above).
        let (ca, cb) = unsafe {
            (
                core::slice::from_raw_parts_mut(pa.get().add(start * a_len), take * a_len),
                core::slice::from_raw_parts_mut(pb.get().add(start * b_len), take * b_len),
            )
        };
        f(start, ca, cb);
    });
}

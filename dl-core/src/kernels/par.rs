//! Splitting a batch across threads (`std`), or running it in one piece (`no_std`).
//!
//! The thread count is [`threads`]: `DL_THREADS` from the environment if set, otherwise the
//! machine's parallelism; [`set_threads`] overrides it (benchmarks compare 1 and 2 threads).
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

/// Calls `f(first_item, chunk)` on consecutive chunks of `out` (each a whole number of
/// `item_len`-sized items), in parallel when worthwhile.
pub fn for_chunks<F>(n: usize, out: &mut [f32], item_len: usize, f: F)
where
    F: Fn(usize, &mut [f32]) + Sync,
{
    let p = pieces(n, item_len.max(1) * 64);
    if p <= 1 || item_len == 0 {
        f(0, out);
        return;
    }
    #[cfg(feature = "std")]
    {
        let per = n.div_ceil(p);
        std::thread::scope(|s| {
            let f = &f;
            let mut rest = out;
            let mut start = 0;
            while start < n {
                let take = per.min(n - start);
                let (head, tail) = core::mem::take(&mut rest).split_at_mut(take * item_len);
                rest = tail;
                let st = start;
                if st + take >= n {
                    f(st, head);
                } else {
                    s.spawn(move || f(st, head));
                }
                start += take;
            }
        });
    }
    #[cfg(not(feature = "std"))]
    f(0, out);
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
        std::thread::scope(|s| {
            let f = &f;
            let handles: alloc::vec::Vec<_> = (1..pieces)
                .map(|i| {
                    let r = (i * per).min(n)..((i + 1) * per).min(n);
                    s.spawn(move || f(r))
                })
                .collect();
            let mut out = alloc::vec![f(0..per.min(n))];
            for h in handles {
                out.push(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
            }
            out
        })
    }
    #[cfg(not(feature = "std"))]
    (0..pieces)
        .map(|i| f((i * per).min(n)..((i + 1) * per).min(n)))
        .collect()
}

/// Like [`for_chunks`], with one mutable workspace per piece: splits the `n` items of `out`
/// (each `item_len` long) into `work.len()` consecutive chunks and calls
/// `f(&mut work[p], first_item, chunk)` on each, in parallel under `std`. Size `work` with
/// [`pieces`]; a backward pass keeps its per-piece parameter gradients in the workspaces.
pub fn for_chunks_with<W: Send, F>(work: &mut [W], n: usize, out: &mut [f32], item_len: usize, f: F)
where
    F: Fn(&mut W, usize, &mut [f32]) + Sync,
{
    let per = n.div_ceil(work.len().max(1)).max(1);
    #[cfg(feature = "std")]
    let last = work.len().saturating_sub(1);
    let mut rest = out;
    let jobs = work.iter_mut().enumerate().map(move |(i, wk)| {
        let start = (i * per).min(n);
        let take = per.min(n - start);
        let (head, tail) = core::mem::take(&mut rest).split_at_mut(take * item_len);
        rest = tail;
        (i, wk, start, head)
    });
    #[cfg(feature = "std")]
    std::thread::scope(|sc| {
        let f = &f;
        for (i, wk, start, head) in jobs {
            if i == last {
                f(wk, start, head);
            } else {
                sc.spawn(move || f(wk, start, head));
            }
        }
    });
    #[cfg(not(feature = "std"))]
    for (_, wk, start, head) in jobs {
        f(wk, start, head);
    }
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
    #[cfg(feature = "std")]
    {
        let per = n.div_ceil(p);
        std::thread::scope(|s| {
            let f = &f;
            let mut chunks = a
                .chunks_mut(per * a_len)
                .zip(b.chunks_mut(per * b_len))
                .enumerate()
                .peekable();
            while let Some((i, (ca, cb))) = chunks.next() {
                if chunks.peek().is_none() {
                    f(i * per, ca, cb);
                } else {
                    s.spawn(move || f(i * per, ca, cb));
                }
            }
        });
    }
    #[cfg(not(feature = "std"))]
    f(0, a, b);
}

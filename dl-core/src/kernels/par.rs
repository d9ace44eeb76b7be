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

/// Flops per sample [`pieces`] is told for one sample's `infer` through a layer or a whole
/// net when nothing better is known: 64 per float the sample reads, writes or keeps in its
/// scratch. It undercounts convolutions and wide linear layers (whose work grows with the
/// product of sizes, not their sum), so it errs towards one thread for tiny nets only: a
/// 3→16→16→1 MLP on 32 samples stays on one thread, LeNet-5 on 64 samples is split.
pub const fn infer_work(in_len: usize, out_len: usize, scratch: usize) -> usize {
    64 * (in_len + out_len + scratch)
}

/// Most pieces [`partials`] splits a batch into.
pub const PARTS: usize = 4;

/// Floats all pieces' partial sums may take together (128 MiB).
const PARTIAL_BUDGET: usize = 32 << 20;

/// How many pieces to split `n` items of `work` flops each into when every piece adds into its
/// own partial sums of `partial_len` floats (a backward pass's parameter gradients), which
/// are then added in piece order. The count depends on the batch and the work only, never on
/// the thread count, so the sums — the gradients — are the same to the bit with one thread
/// or eight: up to [`PARTS`], fewer when the partial sums would pass 128 MiB, one when the
/// work is too small to split. Run the pieces with [`for_chunks_parts`].
pub fn partials(n: usize, work_per_item: usize, partial_len: usize) -> usize {
    if n * work_per_item < 200_000 {
        return 1;
    }
    let fit = (PARTIAL_BUDGET / partial_len.max(1)).max(1);
    n.min(PARTS).min(fit).max(1)
}

/// Runs `f(0)`, …, `f(pieces − 1)` in parallel (on the persistent pool under `std`) and returns
/// when all are done.
pub fn run<F: Fn(usize) + Sync>(pieces: usize, f: F) {
    run_slots(pieces, threads(), |i, _| f(i));
}

/// Runs `f(piece, slot)` for every piece in `0..pieces` on up to `slots` threads: `slot` (below
/// `slots`) names the thread, unique among those running at once, so it can index a workspace.
/// Each thread first takes the pieces of its own consecutive range (the same range for the
/// same piece count in every call, so a batch split alike layer after layer stays in one
/// thread's cache), one at a time, then what is left of the others': a thread that gets less
/// of the CPU takes fewer.
pub fn run_slots<F: Fn(usize, usize) + Sync>(pieces: usize, slots: usize, f: F) {
    #[cfg(feature = "std")]
    super::threadpool::run(pieces, slots.min(threads()), &f);
    #[cfg(not(feature = "std"))]
    {
        let _ = slots;
        (0..pieces).for_each(|i| f(i, 0));
    }
}

/// Pieces per thread when work is split: more than one, so threads that get less of the CPU
/// (a busy machine) take fewer pieces instead of holding everyone up.
const GRAIN: usize = 4;

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

/// How many of `parts` pieces [`for_chunks_parts`] runs for `n` items (fewer than `parts`
/// when the ranges run out first, e.g. 5 items in 4 parts are 2 + 2 + 1): workspaces past
/// that are not touched.
pub fn parts_used(n: usize, parts: usize) -> usize {
    if parts == 0 {
        0
    } else {
        split(n, parts).1
    }
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
    let (per, chunks) = split(n, p * GRAIN);
    assert!(out.len() >= n * item_len);
    let base = SendPtr(out.as_mut_ptr());
    run_slots(chunks, p, |i, _| {
        let start = i * per;
        let take = per.min(n - start);
        // SAFETY: pieces get disjoint ranges of `out` (checked long enough above).
        let chunk = unsafe {
            core::slice::from_raw_parts_mut(base.get().add(start * item_len), take * item_len)
        };
        f(start, chunk);
    });
}

/// [`for_chunks_work`] with one chunk per thread instead of several: for whole-batch kernels
/// whose cost per call does not shrink with the chunk (a Winograd convolution transforms and
/// packs all its weights on each call; a product over the batch gets shorter), so fewer,
/// longer chunks pay more than the balance of finer ones.
pub fn for_chunks_whole<F>(n: usize, out: &mut [f32], item_len: usize, work_per_item: usize, f: F)
where
    F: Fn(usize, &mut [f32]) + Sync,
{
    let p = pieces(n, work_per_item);
    if p <= 1 || item_len == 0 {
        f(0, out);
        return;
    }
    let (per, chunks) = split(n, p);
    assert!(out.len() >= n * item_len);
    let base = SendPtr(out.as_mut_ptr());
    run_slots(chunks, p, |i, _| {
        let start = i * per;
        let take = per.min(n - start);
        // SAFETY: pieces get disjoint ranges of `out` (checked long enough above).
        let chunk = unsafe {
            core::slice::from_raw_parts_mut(base.get().add(start * item_len), take * item_len)
        };
        f(start, chunk);
    });
}

/// Splits `n` items into consecutive ranges and calls `f(&mut work[slot], range)` for each in
/// parallel, `slot` naming the thread: each thread owns a workspace (buffers, partial
/// gradients) kept across calls, which may see several ranges one after the other. Size `work`
/// with [`pieces`].
pub fn for_each_piece<W: Send, F>(work: &mut [W], n: usize, f: F)
where
    F: Fn(&mut W, core::ops::Range<usize>) + Sync,
{
    let slots = work.len();
    if slots == 0 {
        return;
    }
    let (per, chunks) = split(n, if slots > 1 { slots * GRAIN } else { 1 });
    let base = SendPtr(work.as_mut_ptr());
    run_slots(chunks, slots, |i, slot| {
        // SAFETY: a slot is below `slots` and used by one thread at a time.
        let wk = unsafe { &mut *base.get().add(slot) };
        f(wk, (i * per).min(n)..((i + 1) * per).min(n));
    });
}

/// Like [`for_chunks`], with one mutable workspace per thread: splits the `n` items of `out`
/// (each `item_len` long) into consecutive chunks and calls `f(&mut work[slot], first_item,
/// chunk)` on each, in parallel under `std` (see [`for_each_piece`]). Size `work` with
/// [`pieces`]; a backward pass keeps its per-thread parameter gradients in the workspaces.
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

/// Like [`for_each_piece`], but deterministic: the `n` items are split into `work.len()`
/// consecutive ranges (size `work` with [`partials`]) and range `i` always runs with
/// `work[i]`, on as many threads as there are; so partial sums kept in `work[i]` do not depend
/// on the thread count or on which thread ran what. Add them up in index order.
pub fn for_ranges_parts<W: Send, F>(work: &mut [W], n: usize, f: F)
where
    F: Fn(&mut W, core::ops::Range<usize>) + Sync,
{
    let parts = work.len();
    if parts == 0 {
        return;
    }
    let (per, chunks) = split(n, parts);
    let wb = SendPtr(work.as_mut_ptr());
    run_slots(chunks, parts, |i, _| {
        // SAFETY: piece `i < chunks <= parts` is run once, so `work[i]` has one user.
        let wk = unsafe { &mut *wb.get().add(i) };
        f(wk, (i * per).min(n)..((i + 1) * per).min(n));
    });
}

/// [`for_ranges_parts`] with each range's chunk of `out` (`item_len` elements per item):
/// `f(&mut work[i], first_item, chunk)`.
pub fn for_chunks_parts<W: Send, F>(
    work: &mut [W],
    n: usize,
    out: &mut [f32],
    item_len: usize,
    f: F,
) where
    F: Fn(&mut W, usize, &mut [f32]) + Sync,
{
    for_chunks_parts_opt(work, n, Some(out), item_len, |wk, r, chunk| {
        if let Some(c) = chunk {
            f(wk, r.start, c);
        }
    });
}

/// [`for_chunks_parts`] with an optional output: `f(&mut work[i], items, chunk)` gets each
/// range's chunk of `out`, or `None` for every range when there is no `out` (a backward pass
/// asked for the parameter gradients only).
pub fn for_chunks_parts_opt<W: Send, F>(
    work: &mut [W],
    n: usize,
    out: Option<&mut [f32]>,
    item_len: usize,
    f: F,
) where
    F: Fn(&mut W, core::ops::Range<usize>, Option<&mut [f32]>) + Sync,
{
    let ob = out.map(|o| {
        assert!(o.len() >= n * item_len);
        SendPtr(o.as_mut_ptr())
    });
    for_ranges_parts(work, n, |wk, r| {
        // SAFETY: the ranges of different pieces are disjoint (and `out` was checked long
        // enough above).
        let chunk = ob.map(|p| unsafe {
            core::slice::from_raw_parts_mut(p.get().add(r.start * item_len), r.len() * item_len)
        });
        f(wk, r, chunk);
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
    let (per, chunks) = split(n, p * GRAIN);
    assert!(a.len() >= n * a_len && b.len() >= n * b_len);
    let (pa, pb) = (SendPtr(a.as_mut_ptr()), SendPtr(b.as_mut_ptr()));
    run_slots(chunks, p, |i, _| {
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

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;

    /// `parts_used` names exactly the workspaces `for_chunks_parts` hands a range to.
    #[test]
    fn parts_used_counts_the_pieces_that_run() {
        for (n, parts) in [(5, 4), (64, 4), (3, 4), (1, 4), (0, 1), (9, 2)] {
            let mut work = std::vec![0usize; parts];
            let mut out = std::vec![0.0f32; n];
            for_chunks_parts(&mut work, n, &mut out, 1, |w, _, chunk| {
                *w += 1 + chunk.len()
            });
            let ran = work.iter().filter(|&&w| w > 0).count();
            assert_eq!(parts_used(n, parts), ran, "{n} items in {parts} parts");
            assert!(work[..ran].iter().all(|&w| w > 0), "the first {ran} ran");
        }
        assert_eq!(parts_used(5, 4), 3);
    }
}

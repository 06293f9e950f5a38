//! The crate's one door to parallelism: rayon with the `parallel` feature,
//! plain iteration without. Call sites never name the feature.
//!
//! Every helper returns results in input order (or reduces with an
//! associative, commutative operation), so no result depends on the
//! number of threads.

use std::cmp::Ordering;

#[cfg(feature = "parallel")]
use rayon::prelude::*;

/// The number of worker threads (1 without the `parallel` feature).
pub(crate) fn threads() -> usize {
    #[cfg(feature = "parallel")]
    {
        rayon::current_num_threads().max(1)
    }
    #[cfg(not(feature = "parallel"))]
    {
        1
    }
}

/// Runs both closures, in parallel when enabled.
pub(crate) fn join<A: Send, B: Send>(
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    #[cfg(feature = "parallel")]
    {
        rayon::join(a, b)
    }
    #[cfg(not(feature = "parallel"))]
    {
        (a(), b())
    }
}

/// `f` over every item, results in order.
pub(crate) fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    #[cfg(feature = "parallel")]
    {
        items.par_iter().map(f).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        items.iter().map(f).collect()
    }
}

/// `f` over owned items, results in order.
pub(crate) fn map_owned<T: Send, R: Send>(
    items: Vec<T>,
    f: impl Fn(T) -> R + Sync + Send,
) -> Vec<R> {
    #[cfg(feature = "parallel")]
    {
        items.into_par_iter().map(f).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        items.into_iter().map(f).collect()
    }
}

/// `f` over pairs of a borrowed and an owned item (zipped; the shorter
/// side decides the length), results in order.
pub(crate) fn map_zip<A: Sync, B: Send, R: Send>(
    left: &[A],
    right: Vec<B>,
    f: impl Fn((&A, B)) -> R + Sync + Send,
) -> Vec<R> {
    #[cfg(feature = "parallel")]
    {
        left.par_iter().zip(right).map(f).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        left.iter().zip(right).map(f).collect()
    }
}

/// `f` over `0..n`, results in order.
pub(crate) fn map_indices<R: Send>(n: usize, f: impl Fn(usize) -> R + Sync + Send) -> Vec<R> {
    #[cfg(feature = "parallel")]
    {
        (0..n).into_par_iter().map(f).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        (0..n).map(f).collect()
    }
}

/// `f` over consecutive chunks of `chunk` items (at least 1), results in
/// chunk order.
pub(crate) fn map_chunks<T: Sync, R: Send>(
    items: &[T],
    chunk: usize,
    f: impl Fn(&[T]) -> R + Sync + Send,
) -> Vec<R> {
    #[cfg(feature = "parallel")]
    {
        items.par_chunks(chunk.max(1)).map(f).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        items.chunks(chunk.max(1)).map(f).collect()
    }
}

/// `f` over consecutive chunks with the chunk's number, results in order.
pub(crate) fn map_chunks_indexed<T: Sync, R: Send>(
    items: &[T],
    chunk: usize,
    f: impl Fn((usize, &[T])) -> R + Sync + Send,
) -> Vec<R> {
    #[cfg(feature = "parallel")]
    {
        items.par_chunks(chunk.max(1)).enumerate().map(f).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        items.chunks(chunk.max(1)).enumerate().map(f).collect()
    }
}

/// Folds chunks and reduces the partial results (the reduction must be
/// associative and commutative).
pub(crate) fn fold_chunks<T: Sync, A: Send>(
    items: &[T],
    chunk: usize,
    init: impl Fn() -> A + Sync + Send,
    fold: impl Fn(A, &T) -> A + Sync + Send,
    reduce: impl Fn(A, A) -> A + Sync + Send,
) -> A {
    let parts = map_chunks(items, chunk, |c| c.iter().fold(init(), &fold));
    parts.into_iter().fold(init(), reduce)
}

/// A part of some input that one task reads in [`distribute`].
pub(crate) trait Share: Send + Sync {
    /// What is distributed.
    type Entry: Copy + Send + Sync;

    /// `f(bucket, entry)` for each of the share's entries: the same ones,
    /// in the same order, each time.
    fn each(&self, f: impl FnMut(usize, Self::Entry));
}

/// Every entry of `shares` distributed by its bucket (those below
/// `buckets`) on every thread: each share's entries are counted, then
/// scattered into slices of their own, so that the entries come ordered
/// by (bucket, share). Returns the entries and each share's count per
/// bucket.
pub(crate) fn distribute<S: Share>(
    shares: Vec<S>,
    buckets: usize,
    blank: S::Entry,
) -> (Vec<S::Entry>, Vec<Vec<usize>>) {
    let counts: Vec<Vec<usize>> = map(&shares, |share| {
        let mut counts = vec![0usize; buckets];
        share.each(|b, _| {
            if let Some(c) = counts.get_mut(b) {
                *c += 1;
            }
        });
        counts
    });
    let total = counts.iter().flatten().sum();
    let mut out = filled(total, blank);
    let slices = share_slices(&mut out, &counts);
    let jobs: Vec<_> = shares.into_iter().zip(slices).collect();
    for_each_owned(jobs, |(share, mut slices)| {
        let mut next = vec![0usize; buckets];
        share.each(|b, entry| {
            if let (Some(at), Some(slice)) = (next.get_mut(b), slices.get_mut(b))
                && let Some(slot) = slice.get_mut(*at)
            {
                *slot = entry;
                *at += 1;
            }
        });
    });
    (out, counts)
}

/// `out` cut into each share's slice of each bucket (`counts[share][bucket]`
/// entries), ordered by (bucket, share); returned per share, in bucket
/// order, so that every share's thread writes into slices of its own.
fn share_slices<'o, E>(out: &'o mut [E], counts: &[Vec<usize>]) -> Vec<Vec<&'o mut [E]>> {
    let buckets = counts.first().map_or(0, Vec::len);
    let mut slices: Vec<Vec<&mut [E]>> =
        counts.iter().map(|_| Vec::with_capacity(buckets)).collect();
    let mut rest = out;
    for b in 0..buckets {
        for (part, part_slices) in counts.iter().zip(&mut slices) {
            let n = part.get(b).copied().unwrap_or(0);
            let (slice, tail) = rest.split_at_mut(n.min(rest.len()));
            part_slices.push(slice);
            rest = tail;
        }
    }
    slices
}

/// `f` on every item in place.
pub(crate) fn for_each_mut<T: Send>(items: &mut [T], f: impl Fn(&mut T) + Sync + Send) {
    #[cfg(feature = "parallel")]
    items.par_iter_mut().for_each(f);
    #[cfg(not(feature = "parallel"))]
    items.iter_mut().for_each(f);
}

/// `f` on every owned item (e.g. disjoint `&mut` slices).
pub(crate) fn for_each_owned<T: Send>(items: Vec<T>, f: impl Fn(T) + Sync + Send) {
    #[cfg(feature = "parallel")]
    items.into_par_iter().for_each(f);
    #[cfg(not(feature = "parallel"))]
    items.into_iter().for_each(f);
}

/// `f` over consecutive chunks with the chunk's number, for effects only.
pub(crate) fn for_each_chunk_indexed<T: Sync>(
    items: &[T],
    chunk: usize,
    f: impl Fn((usize, &[T])) + Sync + Send,
) {
    #[cfg(feature = "parallel")]
    items.par_chunks(chunk.max(1)).enumerate().for_each(f);
    #[cfg(not(feature = "parallel"))]
    items.chunks(chunk.max(1)).enumerate().for_each(f);
}

/// `f` over consecutive chunks of `chunk` items (at least 1) with the
/// chunk's number, each chunk changed by one task.
pub(crate) fn for_each_chunk_mut_indexed<T: Send>(
    items: &mut [T],
    chunk: usize,
    f: impl Fn((usize, &mut [T])) + Sync + Send,
) {
    #[cfg(feature = "parallel")]
    items.par_chunks_mut(chunk.max(1)).enumerate().for_each(f);
    #[cfg(not(feature = "parallel"))]
    items.chunks_mut(chunk.max(1)).enumerate().for_each(f);
}

/// `f` over consecutive chunks of `chunk` items (at least 1) with the
/// chunk's number, each chunk changed by one task; results in chunk order.
pub(crate) fn map_chunks_mut_indexed<T: Send, R: Send>(
    items: &mut [T],
    chunk: usize,
    f: impl Fn((usize, &mut [T])) -> R + Sync + Send,
) -> Vec<R> {
    #[cfg(feature = "parallel")]
    {
        items
            .par_chunks_mut(chunk.max(1))
            .enumerate()
            .map(f)
            .collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        items.chunks_mut(chunk.max(1)).enumerate().map(f).collect()
    }
}

/// Whether `pred` holds for every pair of neighbours.
pub(crate) fn all_adjacent<T: Sync>(
    items: &[T],
    pred: impl Fn(&T, &T) -> bool + Sync + Send,
) -> bool {
    #[cfg(feature = "parallel")]
    {
        items.par_windows(2).all(|w| match w {
            [a, b] => pred(a, b),
            _ => true,
        })
    }
    #[cfg(not(feature = "parallel"))]
    {
        items.windows(2).all(|w| match w {
            [a, b] => pred(a, b),
            _ => true,
        })
    }
}

/// Unstable sort; callers never depend on the order of equal elements.
pub(crate) fn sort<T: Ord + Send>(v: &mut [T]) {
    #[cfg(feature = "parallel")]
    v.par_sort_unstable();
    #[cfg(not(feature = "parallel"))]
    v.sort_unstable();
}

/// Unstable sort by a comparator.
pub(crate) fn sort_by<T: Send>(v: &mut [T], cmp: impl Fn(&T, &T) -> Ordering + Sync) {
    #[cfg(feature = "parallel")]
    v.par_sort_unstable_by(cmp);
    #[cfg(not(feature = "parallel"))]
    v.sort_unstable_by(cmp);
}

/// Sorts each run of `v` (consecutive lengths `runs`, covering `v`) on its
/// own: in parallel with the feature.
pub(crate) fn sort_runs<T: Send>(
    v: &mut [T],
    runs: &[usize],
    cmp: impl Fn(&T, &T) -> Ordering + Sync,
) {
    let mut slices = Vec::with_capacity(runs.len());
    let mut rest = v;
    for &len in runs {
        let (run, tail) = rest.split_at_mut(len.min(rest.len()));
        slices.push(run);
        rest = tail;
    }
    #[cfg(feature = "parallel")]
    slices
        .into_par_iter()
        .with_max_len(64)
        .for_each(|s| s.sort_unstable_by(&cmp));
    #[cfg(not(feature = "parallel"))]
    for s in slices {
        s.sort_unstable_by(&cmp);
    }
}

/// `n` copies of `value`, written in parallel (large event arrays).
pub(crate) fn filled<T: Clone + Send + Sync>(n: usize, value: T) -> Vec<T> {
    #[cfg(feature = "parallel")]
    {
        let mut v = Vec::with_capacity(n);
        v.par_extend(rayon::iter::repeat_n(value, n));
        v
    }
    #[cfg(not(feature = "parallel"))]
    {
        vec![value; n]
    }
}

/// `f` over every item, the results reduced with `reduce` (associative
/// and commutative) from `identity`: in a parallel tree with the feature.
pub(crate) fn map_reduce<T: Sync, R: Send>(
    items: &[T],
    f: impl Fn(&T) -> R + Sync + Send,
    identity: impl Fn() -> R + Sync + Send,
    reduce: impl Fn(R, R) -> R + Sync + Send,
) -> R {
    #[cfg(feature = "parallel")]
    {
        items.par_iter().map(f).reduce(identity, reduce)
    }
    #[cfg(not(feature = "parallel"))]
    {
        items.iter().map(f).fold(identity(), reduce)
    }
}

/// Runs `background` on another thread (with the feature) while `here`
/// runs on this one, which need not be `Send` (a writer); returns both.
pub(crate) fn overlap<A: Send, B>(
    background: impl FnOnce() -> A + Send,
    here: impl FnOnce() -> B,
) -> (A, B) {
    #[cfg(feature = "parallel")]
    {
        let mut a = None;
        let b = rayon::in_place_scope(|scope| {
            scope.spawn(|_| a = Some(background()));
            here()
        });
        match a {
            Some(a) => (a, b),
            // invariant: the scope joins its spawned work before it returns.
            None => unreachable!("in_place_scope returned before its task ran"),
        }
    }
    #[cfg(not(feature = "parallel"))]
    {
        let b = here();
        (background(), b)
    }
}

/// `f` over `0..n`, the `Some` results in order (added by the ledger's
/// supplied-partition grouping).
pub(crate) fn filter_map_indices<R: Send>(
    n: usize,
    f: impl Fn(usize) -> Option<R> + Sync + Send,
) -> Vec<R> {
    #[cfg(feature = "parallel")]
    {
        (0..n).into_par_iter().filter_map(f).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        (0..n).filter_map(f).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_input_order() {
        let items: Vec<u32> = (0..10_000).collect();
        assert_eq!(
            map(&items, |x| x * 2),
            items.iter().map(|x| x * 2).collect::<Vec<_>>()
        );
        assert_eq!(map_indices(5, |i| i), vec![0, 1, 2, 3, 4]);
        let sums = map_chunks(&items, 1000, |c| c.iter().sum::<u32>());
        assert_eq!(sums.len(), 10);
        assert_eq!(sums.iter().sum::<u32>(), items.iter().sum::<u32>());
        let firsts = map_chunks_indexed(&items, 3000, |(i, c)| (i, c.first().copied()));
        assert_eq!(
            firsts,
            vec![
                (0, Some(0)),
                (1, Some(3000)),
                (2, Some(6000)),
                (3, Some(9000))
            ]
        );
        assert_eq!(map_owned(vec![1, 2, 3], |x| x + 1), vec![2, 3, 4]);
        assert_eq!(
            map_zip(&[1, 2], vec![10, 20, 30], |(a, b)| a + b),
            vec![11, 22]
        );
        assert!(all_adjacent(&items, |a, b| a < b));
        assert!(!all_adjacent(&[2, 1], |a, b| a < b));
        assert_eq!(filled(3, 7u8), vec![7, 7, 7]);
        assert_eq!(join(|| 1, || 2), (1, 2));
        assert!(threads() >= 1);
    }

    #[test]
    fn effects_reach_every_item() {
        let mut items: Vec<u64> = (0..1000).collect();
        for_each_mut(&mut items, |x| *x += 1);
        assert_eq!(items.first(), Some(&1));
        let total = std::sync::atomic::AtomicU64::new(0);
        for_each_chunk_indexed(&items, 7, |(_, c)| {
            total.fetch_add(c.iter().sum::<u64>(), std::sync::atomic::Ordering::Relaxed);
        });
        assert_eq!(total.into_inner(), (1..=1000).sum::<u64>());
        let mut v = vec![3, 1, 2];
        sort(&mut v);
        assert_eq!(v, vec![1, 2, 3]);
        sort_by(&mut v, |a, b| b.cmp(a));
        assert_eq!(v, vec![3, 2, 1]);
        assert_eq!(fold_chunks(&v, 2, || 0, |a, x| a + x, |a, b| a + b), 6);
    }
}

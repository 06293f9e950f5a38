//! The record checks of SPEC §3 shared by the build's stages: screening
//! in parallel chunks, the first-valid-row-wins rule for ids, and dense
//! re-indexing in id byte order.

use super::*;
use crate::par;

pub(super) struct Rejections {
    pub(super) list: Vec<Rejection>,
}

impl Rejections {
    pub(super) fn add(
        &mut self,
        kind: RecordKind,
        row: u64,
        id: &str,
        field: &str,
        reason: Reason,
    ) {
        self.list.push(Rejection {
            kind,
            row,
            id: id.to_owned(),
            field: field.to_owned(),
            reason,
        });
    }
}

/// An item keyed by the first 16 bytes of its string (zero-padded,
/// big-endian), which order like the strings; only equal keys need the
/// whole strings compared. Two u64 halves rather than a u128: 24-byte
/// entries instead of 32 (u128 is 16-aligned), which matters at tens of
/// millions of ids.
type Keyed<T> = ((u64, u64), T);

fn prefix_key(s: &str) -> (u64, u64) {
    let mut b = [0u8; 16];
    for (d, s) in b.iter_mut().zip(s.as_bytes()) {
        *d = *s;
    }
    let (hi, lo) = b.split_at(8);
    let half = |h: &[u8]| u64::from_be_bytes(h.try_into().unwrap_or([0; 8]));
    (half(hi), half(lo))
}

/// Items keyed by their strings and sorted by the byte order of the
/// strings, equal strings by the items themselves (input order for staged
/// indices).
fn keyed_by_bytes<'a, T: Copy + Ord + Send + Sync>(
    items: &[T],
    text_of: impl Fn(T) -> &'a str + Sync,
) -> Vec<Keyed<T>> {
    let cmp = |a: &Keyed<T>, b: &Keyed<T>| {
        a.0.cmp(&b.0)
            .then_with(|| text_of(a.1).as_bytes().cmp(text_of(b.1).as_bytes()))
            .then_with(|| a.1.cmp(&b.1))
    };
    let (mut keyed, runs) = bucketed(items, |t| prefix_key(text_of(t)), BUCKET_FROM);
    par::sort_runs(&mut keyed, &runs, cmp);
    keyed
}

/// Inputs at or above this count are bucketed before sorting.
const BUCKET_FROM: usize = 1 << 15;

/// The items keyed and distributed into buckets by the 16 key bits that
/// follow the bits all keys share (ids of one export share their leading
/// bytes), on every thread: buckets in key order, each small enough to
/// sort in cache.
/// Returns the entries and the bucket lengths; fewer than `from` items
/// stay one bucket. Keys are computed again on each pass rather than kept:
/// the one table of entries is the sort's only large allocation.
fn bucketed<T: Copy + Send + Sync>(
    items: &[T],
    key: impl Fn(T) -> (u64, u64) + Sync,
    from: usize,
) -> (Vec<Keyed<T>>, Vec<usize>) {
    let Some(&first) = items.first() else {
        return (Vec::new(), Vec::new());
    };
    if items.len() < from {
        return (par::map(items, |&t| (key(t), t)), vec![items.len()]);
    }
    let shift = bucket_shift(items, &key, first);
    let bucket = |k: (u64, u64)| ((wide(k) >> shift) & 0xFFFF) as usize;
    let place = |t: T| {
        let k = key(t);
        (bucket(k), (k, t))
    };
    let share = items.len().div_ceil(par::threads()).max(1);
    let parts = items.chunks(share).map(|items| Part {
        items,
        place: &place,
    });
    let (out, counts) = par::distribute(parts.collect(), BUCKETS, ((0, 0), first));
    (out, bucket_sizes(&counts))
}

/// One thread's share of the items to bucket, with the bucket and entry
/// of each.
struct Part<'a, T, P> {
    items: &'a [T],
    place: &'a P,
}

impl<T, E, P> par::Share for Part<'_, T, P>
where
    T: Copy + Sync,
    E: Copy + Send + Sync,
    P: Fn(T) -> (usize, E) + Sync,
{
    type Entry = E;

    fn each(&self, mut f: impl FnMut(usize, E)) {
        for &t in self.items {
            let (b, entry) = (self.place)(t);
            f(b, entry);
        }
    }
}

/// The sizes of the buckets that are not empty, in bucket order, from
/// each share's counts.
fn bucket_sizes(counts: &[Vec<usize>]) -> Vec<usize> {
    (0..BUCKETS)
        .map(|b| counts.iter().map(|c| c.get(b).copied().unwrap_or(0)).sum())
        .filter(|&n| n > 0)
        .collect()
}

/// Buckets of [`bucketed`]: one per value of 16 key bits.
const BUCKETS: usize = 1 << 16;

/// A key as one 128-bit number (the same order).
fn wide(k: (u64, u64)) -> u128 {
    (u128::from(k.0) << 64) | u128::from(k.1)
}

/// How far to shift a wide key so that its low 16 bits are the 16 bits
/// from the first one in which some key differs from `first`'s (fewer at
/// the end of the key).
fn bucket_shift<T: Copy + Sync>(
    items: &[T],
    key: impl Fn(T) -> (u64, u64) + Sync,
    first: T,
) -> u32 {
    let first_key = wide(key(first));
    let differ = par::map_reduce(items, |&t| wide(key(t)) ^ first_key, || 0, |a, b| a | b);
    128u32.saturating_sub(differ.leading_zeros() + 16)
}

/// Sorts items by the byte order of their strings, equal strings by the
/// items themselves (input order for staged indices).
pub(super) fn sort_by_bytes<'a, T: Copy + Ord + Send + Sync>(
    items: &mut [T],
    text_of: impl Fn(T) -> &'a str + Sync,
) {
    let keyed = keyed_by_bytes(items, text_of);
    for (slot, (_, t)) in items.iter_mut().zip(keyed) {
        *slot = t;
    }
}

/// Keeps, of the rows that passed every other check (`candidates`, staged
/// indices), the first row of each id (SPEC §3: the first valid row wins);
/// calls `duplicate` for the others. Returns the kept rows in id byte
/// order — the ledger's index order. Sorting replaces a hash set of ids.
pub(super) fn accept_unique(
    ids: &TextColumn,
    candidates: Vec<u32>,
    mut duplicate: impl FnMut(u32, &str),
) -> Vec<u32> {
    let text = |i: u32| ids.get(i as usize).unwrap_or("");
    // Exports are often in id order already: then there is nothing to sort
    // (and no duplicate), which spares the sort's time and its keys' memory.
    let ascending = par::all_adjacent(&candidates, |&a, &b| {
        text(a).as_bytes() < text(b).as_bytes()
    });
    if ascending {
        return candidates;
    }
    let keyed = keyed_by_bytes(&candidates, text);
    drop(candidates);
    let mut kept = Vec::with_capacity(keyed.len());
    let mut prev: Option<Keyed<u32>> = None;
    for (key, i) in keyed {
        // Strings differ where their keys do: only equal keys (rare but
        // for long ids sharing 16 bytes) read the text.
        let repeat = prev.is_some_and(|(k, p)| k == key && text(p) == text(i));
        if repeat {
            duplicate(i, text(i));
        } else {
            kept.push(i);
            prev = Some((key, i));
        }
    }
    kept
}

/// Dense re-indexing: `new_of_sym[sym]` for accepted symbols, in byte
/// order of their strings.
pub(super) fn dense_order(syms: &Interner, accepted: &[u32]) -> (Vec<u32>, Vec<u32>) {
    let mut order: Vec<u32> = accepted.to_vec();
    sort_by_bytes(&mut order, |s| syms.get(s));
    let mut new_of_sym = vec![NONE; syms.len()];
    for (new, &sym) in order.iter().enumerate() {
        if let Some(slot) = new_of_sym.get_mut(sym as usize) {
            *slot = new as u32;
        }
    }
    (order, new_of_sym)
}

/// The dense index `map` gives symbol `sym`: `NONE` when the symbol was
/// not accepted, or is no symbol of the map's table (`NONE` itself, or a
/// reference the staging could not resolve), which the checks report.
pub(super) fn lookup(map: &[u32], sym: u32) -> u32 {
    map.get(sym as usize).copied().unwrap_or(NONE)
}

/// Runs the record checks `check(index, item)` over `items` (in parallel
/// with the `parallel` feature): the indices that pass, and those that fail
/// with their field and reason, both in index order.
#[allow(clippy::type_complexity)] // a private pair of index lists
pub(super) fn screen<T: Sync>(
    items: &[T],
    check: impl Fn(usize, &T) -> Option<(&'static str, Reason)> + Sync,
) -> (Vec<u32>, Vec<(u32, &'static str, Reason)>) {
    const CHUNK: usize = 1 << 16;
    let run = |(k, chunk): (usize, &[T])| {
        let mut pass = Vec::with_capacity(chunk.len());
        let mut fail = Vec::new();
        for (j, item) in chunk.iter().enumerate() {
            let i = k * CHUNK + j;
            match check(i, item) {
                None => pass.push(i as u32),
                Some((field, reason)) => fail.push((i as u32, field, reason)),
            }
        }
        (pass, fail)
    };
    let parts: Vec<_> = par::map_chunks_indexed(items, CHUNK, run);
    let mut pass = Vec::with_capacity(items.len());
    let mut fail = Vec::new();
    for (p, f) in parts {
        pass.extend(p);
        fail.extend(f);
    }
    (pass, fail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Strings that share prefixes, run past the 16-byte key, hold NUL
    /// bytes and repeat.
    fn ids() -> impl Strategy<Value = Vec<String>> {
        let id = prop_oneof![
            "[ab]{0,3}",
            "c[0-9a-f]{0,20}",
            "00Q5g00000[A-Za-z]{6,10}",
            "x\\x00{0,18}y?",
        ];
        proptest::collection::vec(id, 0..300)
    }

    proptest! {
        /// Bucketing then sorting each bucket orders like a plain sort by
        /// bytes, whatever the threshold.
        #[test]
        fn bucketed_sort_is_byte_order(ids in ids(), from in 0usize..40) {
            let items: Vec<u32> = (0..ids.len() as u32).collect();
            let text = |i: u32| ids[i as usize].as_bytes();
            let cmp = |a: &Keyed<u32>, b: &Keyed<u32>| {
                a.0.cmp(&b.0).then_with(|| text(a.1).cmp(text(b.1))).then_with(|| a.1.cmp(&b.1))
            };
            let (mut got, runs) = bucketed(&items, |i| prefix_key(&ids[i as usize]), from);
            prop_assert_eq!(runs.iter().sum::<usize>(), ids.len());
            par::sort_runs(&mut got, &runs, cmp);
            let got: Vec<u32> = got.into_iter().map(|(_, i)| i).collect();
            let mut want: Vec<u32> = (0..ids.len() as u32).collect();
            want.sort_by(|&a, &b| text(a).cmp(text(b)).then(a.cmp(&b)));
            prop_assert_eq!(got, want);
        }
    }
}

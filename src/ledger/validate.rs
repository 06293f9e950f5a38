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

/// Sorts items by the byte order of their strings, equal strings by the
/// items themselves (input order for staged indices). Keys are the first
/// 16 bytes (zero-padded, big-endian), which order like the strings; only
/// equal keys fall back to comparing whole strings.
pub(super) fn sort_by_bytes<'a, T: Copy + Ord + Send + Sync>(
    items: &mut [T],
    text_of: impl Fn(T) -> &'a str + Sync,
) {
    // Two u64 halves rather than a u128: 24-byte entries instead of 32
    // (u128 is 16-aligned), which matters at tens of millions of ids.
    fn prefix(s: &str) -> (u64, u64) {
        let mut b = [0u8; 16];
        for (d, s) in b.iter_mut().zip(s.as_bytes()) {
            *d = *s;
        }
        let (hi, lo) = b.split_at(8);
        let half = |h: &[u8]| u64::from_be_bytes(h.try_into().unwrap_or([0; 8]));
        (half(hi), half(lo))
    }
    let mut keyed: Vec<((u64, u64), T)> = par::map(items, |&t| (prefix(text_of(t)), t));
    let cmp = |a: &((u64, u64), T), b: &((u64, u64), T)| {
        a.0.cmp(&b.0)
            .then_with(|| text_of(a.1).as_bytes().cmp(text_of(b.1).as_bytes()))
            .then_with(|| a.1.cmp(&b.1))
    };
    par::sort_by(&mut keyed, cmp);
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
    mut candidates: Vec<u32>,
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
    sort_by_bytes(&mut candidates, text);
    let mut kept = Vec::with_capacity(candidates.len());
    let mut prev: Option<&str> = None;
    for i in candidates {
        let id = text(i);
        if prev == Some(id) {
            duplicate(i, id);
        } else {
            kept.push(i);
            prev = Some(id);
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

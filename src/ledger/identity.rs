//! Prospect identity (SPEC §4): how prospect records become prospects
//! (singletons, a supplied partition or a deduplicator), and the dense
//! numbering of the resulting clusters.

use super::validate::lookup;
use super::*;
use crate::par;
use crate::union_find::UnionFind;

/// How prospect records become prospects, chosen on the
/// [`LedgerBuilder`] ([`partition`](LedgerBuilder::partition),
/// [`deduplicate_with`](LedgerBuilder::deduplicate_with),
/// [`each_record_a_prospect`](LedgerBuilder::each_record_a_prospect)).
pub(crate) enum ProspectIdentity {
    /// Every record is its own prospect.
    Singletons,
    /// A caller-supplied partition (SPEC §4).
    Supplied(SuppliedPartition),
    /// A deduplicator decides.
    Deduplicate(Box<dyn Deduplicate>),
}

// dedup (issue 4): by default prospect records are deduplicated with the
// prospect profile (SPEC §4) when no partition is supplied.
impl Default for ProspectIdentity {
    fn default() -> Self {
        ProspectIdentity::Deduplicate(Box::new(crate::dedup::Dedup::prospect()))
    }
}

impl std::fmt::Debug for ProspectIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProspectIdentity::Singletons => f.write_str("Singletons"),
            ProspectIdentity::Supplied(p) => write!(f, "Supplied({} ids)", p.len()),
            ProspectIdentity::Deduplicate(_) => f.write_str("Deduplicate(..)"),
        }
    }
}

/// Labels from a supplied partition: records in one listed group share the
/// label of the group's smallest record; unlisted records stay alone.
/// Rows are resolved in parallel and grouped by sorting their labels, so
/// no table of labels is built.
pub(super) fn supplied_labels(
    p: &SuppliedPartition,
    records: usize,
    record_syms: &Interner,
    rec_of_sym: &[u32],
    warnings: &mut Vec<Warning>,
) -> Vec<u32> {
    let found = listed_records(p, record_syms, rec_of_sym);
    warn_about_listing(p, &found, records, warnings);
    let mut uf = UnionFind::new(records);
    for (a, b) in partition_joins(p, &found) {
        uf.union(a, b);
    }
    uf.roots()
}

/// Rows of a supplied partition are read in chunks of this many.
const CHUNK: usize = 1 << 16;

/// The record index of each listed id (`NONE` when it names no accepted
/// record): the builder's id table, then the dense re-indexing, in
/// parallel chunks.
fn listed_records(p: &SuppliedPartition, record_syms: &Interner, rec_of_sym: &[u32]) -> Vec<u32> {
    let find_chunk = |k: usize| -> Vec<u32> {
        let rows = k * CHUNK..((k + 1) * CHUNK).min(p.len());
        let hashes: Vec<u64> = rows
            .clone()
            .map(|i| crate::intern::hash_str(p.id(i)))
            .collect();
        let mut found = Vec::with_capacity(hashes.len());
        record_syms.lookup_in_order(
            &hashes,
            |j| p.id(rows.start + j),
            |_, _, sym| found.push(sym.map_or(NONE, |sym| lookup(rec_of_sym, sym))),
        );
        found
    };
    let chunks = p.len().div_ceil(CHUNK);
    par::map_indices(chunks, find_chunk).concat()
}

/// Warns, in row order, about listed ids that name no accepted record and
/// ids listed more than once.
fn warn_about_listing(
    p: &SuppliedPartition,
    found: &[u32],
    records: usize,
    warnings: &mut Vec<Warning>,
) {
    // Records seen so far in a bitset: 5M records
    // take 625 KB, which stays in cache where a byte per record would not.
    let mut listed = vec![0u64; records.div_ceil(64)];
    for (i, &r) in found.iter().enumerate() {
        let row = i + 1;
        if r == NONE {
            let id = p.id(i);
            warnings.push(Warning {
                location: format!("prospect partition row {row}"),
                message: format!("prospect_id {id:?} names no accepted prospect record; ignored"),
            });
            continue;
        }
        if let Some(word) = listed.get_mut(r as usize / 64) {
            let bit = 1u64 << (r % 64);
            if *word & bit != 0 {
                let (id, group) = (p.id(i), p.label(i));
                warnings.push(Warning {
                    location: format!("prospect partition row {row}"),
                    message: format!(
                        "prospect_id {id:?} is listed more than once; later listing in group {group:?} also joins its groups"
                    ),
                });
            }
            *word |= bit;
        }
    }
}

/// The joins a supplied partition asks for: pairs of records listed in
/// one group.
fn partition_joins(p: &SuppliedPartition, found: &[u32]) -> Vec<(u32, u32)> {
    // Rows with equal labels are adjacent once sorted by label hash (then
    // row); a run of equal hashes is split by label, for collisions.
    let keyed_row = |i: usize| (crate::intern::hash_str(p.label(i)), i as u32);
    let mut keyed: Vec<(u64, u32)> = par::filter_map_indices(found.len(), |i| {
        (lookup(found, i as u32) != NONE).then(|| keyed_row(i))
    });
    par::sort(&mut keyed);
    // Joins within runs, found in parallel (labels are read to confirm
    // equal hashes), then applied.
    let joins_in = |run: &[(u64, u32)]| {
        let mut joins = Vec::new();
        // The groups of the current hash run: (label, first record).
        let mut groups: Vec<(&str, u32)> = Vec::new();
        // A row alone with its hash joins nothing: its label is not read
        // (a cache miss per row at millions of rows).
        for same_hash in run.chunk_by(|a, b| a.0 == b.0).filter(|r| r.len() > 1) {
            groups.clear();
            for &(_, i) in same_hash {
                let (label, r) = (p.label(i as usize), lookup(found, i));
                match groups.iter().find(|(l, _)| *l == label) {
                    Some(&(_, first)) => joins.push((first, r)),
                    None => groups.push((label, r)),
                }
            }
        }
        joins
    };
    // Cut points that never split a run of equal hashes.
    const PIECES: usize = 64;
    let mut cuts = vec![0usize];
    let mut last = 0;
    for k in 1..PIECES {
        let mut at = keyed.len() * k / PIECES;
        while at > 0
            && at < keyed.len()
            && keyed.get(at).map(|x| x.0) == keyed.get(at - 1).map(|x| x.0)
        {
            at += 1;
        }
        if at > last {
            cuts.push(at);
            last = at;
        }
    }
    cuts.push(keyed.len());
    cuts.dedup();
    let pieces: Vec<&[(u64, u32)]> = cuts
        .windows(2)
        .filter_map(|w| keyed.get(*w.first()?..*w.get(1)?))
        .collect();
    par::map_owned(pieces, joins_in).concat()
}

/// Turns arbitrary labels into dense prospect indices ordered by each
/// cluster's smallest record index (= smallest id, SPEC §4).
pub(super) fn clusters_from_labels(labels: &[u32]) -> (Vec<u32>, Vec<u32>, Vec<u32>) {
    let record_prospect = match prospects_of_rooted(labels) {
        Some(numbers) => numbers,
        None => prospects_of_any(labels),
    };
    let next = record_prospect
        .iter()
        .filter(|&&p| p != NONE)
        .fold(0u32, |m, &p| m.max(p + 1));
    let mut offsets = vec![0u32; next as usize + 1];
    for &p in &record_prospect {
        if let Some(o) = offsets.get_mut(p as usize + 1) {
            *o += 1;
        }
    }
    let mut total = 0;
    for o in &mut offsets {
        total += *o;
        *o = total;
    }
    let mut fill = offsets.clone();
    let mut members = vec![0u32; labels.len()];
    for (r, &p) in record_prospect.iter().enumerate() {
        if let Some(pos) = fill.get_mut(p as usize) {
            if let Some(m) = members.get_mut(*pos as usize) {
                *m = r as u32;
            }
            *pos += 1;
        }
    }
    (record_prospect, offsets, members)
}

/// Prospect of each record when every label is its cluster's smallest
/// record (union–find roots, as partitions and identity rules give):
/// roots are numbered in record order, in parallel chunks. `None` when
/// some label is not such a root.
pub(super) fn prospects_of_rooted(labels: &[u32]) -> Option<Vec<u32>> {
    const CHUNK: usize = 1 << 16;
    let is_root_of =
        |i: usize, l: u32| (l as usize) <= i && labels.get(l as usize).copied() == Some(l);
    let roots_in = |(k, chunk): (usize, &[u32])| -> Option<u32> {
        let mut roots = 0u32;
        for (j, &l) in chunk.iter().enumerate() {
            let i = k * CHUNK + j;
            if !is_root_of(i, l) {
                return None;
            }
            roots += u32::from(l as usize == i);
        }
        Some(roots)
    };
    let counts: Vec<Option<u32>> = par::map_chunks_indexed(labels, CHUNK, roots_in);
    let mut firsts = Vec::with_capacity(counts.len());
    let mut next = 0u32;
    for c in counts {
        firsts.push(next);
        next += c?;
    }
    // Each root's prospect number (`NONE` for other records), then each
    // record's through its root.
    let number = |(k, chunk): (usize, &[u32])| -> Vec<u32> {
        // invariant: one first number per chunk.
        debug_assert!(k < firsts.len());
        #[allow(clippy::indexing_slicing)]
        let mut next = firsts[k];
        chunk
            .iter()
            .enumerate()
            .map(|(j, &l)| {
                if l as usize == k * CHUNK + j {
                    next += 1;
                    next - 1
                } else {
                    NONE
                }
            })
            .collect()
    };
    let of_root: Vec<u32> = par::map_chunks_indexed(labels, CHUNK, number).concat();
    // invariant: every label is a root, an index of `labels` (checked above).
    debug_assert!(labels.iter().all(|&l| (l as usize) < of_root.len()));
    #[allow(clippy::indexing_slicing)]
    let prospects = par::map(labels, |&l| of_root[l as usize]);
    Some(prospects)
}

/// Prospect of each record for arbitrary labels: clusters numbered in the
/// order of their smallest record.
pub(super) fn prospects_of_any(labels: &[u32]) -> Vec<u32> {
    // Labels are usually record indices (union–find roots); a dense table
    // then beats hashing.
    let dense = labels.iter().all(|&l| (l as usize) < labels.len());
    let mut first_dense = if dense {
        vec![NONE; labels.len()]
    } else {
        Vec::new()
    };
    let mut first_of_label: hashbrown::HashMap<u32, u32> = hashbrown::HashMap::new();
    let mut rep_of_record = Vec::with_capacity(labels.len());
    for (i, &l) in labels.iter().enumerate() {
        let first = match first_dense.get_mut(l as usize) {
            Some(slot) => {
                if *slot == NONE {
                    *slot = i as u32;
                }
                *slot
            }
            None => *first_of_label.entry(l).or_insert(i as u32),
        };
        rep_of_record.push(first);
    }
    // Cluster roots in ascending record order get ascending prospect indices.
    let mut prospect_of_root = vec![NONE; labels.len()];
    let mut next = 0u32;
    let mut record_prospect = Vec::with_capacity(labels.len());
    for &root in &rep_of_record {
        let slot = prospect_of_root.get_mut(root as usize);
        let p = match slot {
            Some(s) if *s == NONE => {
                *s = next;
                next += 1;
                *s
            }
            Some(s) => *s,
            None => NONE,
        };
        record_prospect.push(p);
    }
    record_prospect
}

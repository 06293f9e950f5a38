//! Blocking: candidate pairs are the records that share a key of some
//! blocking rule, so that scoring never looks at
//! all pairs. A block larger than the cap is skipped (its key is too
//! common to mean anything, such as a surname alone in a big city) and
//! counted, so work stays near-linear in the number of records; several
//! rules give each true pair several chances to meet.

use std::hash::BuildHasher;

use super::compare::{COARSE_KEY, SPECIFIC_KEY};
use super::data::NormData;
use super::normalize::HASH_SEED;
use super::profile::Profile;
use crate::par;

/// Each field's blocking keys of one record, computed once per record.
#[derive(Debug, Default)]
pub(crate) struct RecordKeys {
    keys: Vec<u64>,
    /// `ends[f]` is the end of field `f`'s keys in `keys`.
    ends: Vec<usize>,
}

impl RecordKeys {
    #[allow(clippy::indexing_slicing)]
    fn field(&self, f: usize) -> &[u64] {
        // invariant: `fill` pushed one non-decreasing end per profile
        // field, the last being `keys.len()`, and f is a field of a rule.
        debug_assert!(f < self.ends.len());
        let start = if f == 0 { 0 } else { self.ends[f - 1] };
        &self.keys[start..self.ends[f]]
    }

    pub(crate) fn fill(&mut self, profile: &Profile, data: &NormData, i: usize) {
        self.keys.clear();
        self.ends.clear();
        for (f, spec) in profile.fields().iter().enumerate() {
            if let Some(v) = data.value(f, i) {
                let start = self.keys.len();
                spec.comparator.block_keys(v, &mut self.keys);
                if spec.kind.is_none() {
                    // A caller's comparator hashes as it likes: its keys
                    // carry no coarse/specific flags.
                    for k in self.keys.get_mut(start..).into_iter().flatten() {
                        *k &= !(COARSE_KEY | SPECIFIC_KEY);
                    }
                }
            }
            self.ends.push(self.keys.len());
        }
    }
}

/// A rule key: the hash of the parts, with the rule's index in the top
/// byte (so blocks can be counted per rule).
fn combine(rule: usize, parts: &[u64]) -> u64 {
    let h = foldhash::fast::FixedState::with_seed(HASH_SEED).hash_one((rule, parts));
    (h & 0x00ff_ffff_ffff_ffff) | ((rule as u64 & 0xff) << 56)
}

fn coarse(k: u64) -> bool {
    k & COARSE_KEY != 0
}

fn specific(k: u64) -> bool {
    k & SPECIFIC_KEY != 0
}

/// Whether two keys of different fields may form a rule key: a coarse key
/// only with a specific one, and a specific key only with a coarse or
/// specific one (it is narrow already: a name's initials with a whole
/// company name find the name's variants, every name token would only
/// add pairs).
fn compatible(a: u64, b: u64) -> bool {
    matches!(
        (coarse(a), specific(a), coarse(b), specific(b)),
        (true, _, _, true) | (_, true, true, _) | (false, false, false, false) | (_, true, _, true)
    )
}

/// The block cap of the rule a key belongs to.
pub(crate) fn rule_cap(profile: &Profile, key: u64, max_block: usize) -> usize {
    profile
        .rules()
        .get((key >> 56) as usize)
        .and_then(|r| r.max_block)
        .unwrap_or(max_block)
}

pub(crate) fn rule_keys(profile: &Profile, keys: &RecordKeys, out: &mut Vec<u64>) {
    for (r, rule) in profile.rules().iter().enumerate() {
        match rule.fields.as_slice() {
            [f] => out.extend(
                keys.field(*f)
                    .iter()
                    .filter(|&&k| !coarse(k))
                    .map(|&k| combine(r, &[k])),
            ),
            [f, g] if f == g => {
                let ks = keys.field(*f);
                for (x, &a) in ks.iter().enumerate() {
                    for &b in ks.iter().skip(x + 1) {
                        if compatible(a, b) {
                            out.push(combine(r, &[a.min(b), a.max(b)]));
                        }
                    }
                }
            }
            [f, g] => {
                let name_pair = [*f, *g].iter().all(|&x| {
                    profile.fields().get(x).is_some_and(|s| {
                        matches!(
                            s.kind,
                            Some(
                                super::FieldKind::GivenName
                                    | super::FieldKind::Surname
                                    | super::FieldKind::PersonName
                            )
                        )
                    })
                });
                for &a in keys.field(*f) {
                    for &b in keys.field(*g).iter().filter(|&&b| compatible(a, b)) {
                        // Name parts pair up either way round (swapped
                        // given name and surname).
                        let parts = if name_pair {
                            [a.min(b), a.max(b)]
                        } else {
                            [a, b]
                        };
                        out.push(combine(r, &parts));
                    }
                }
            }
            fields => {
                // General product over three or more fields.
                let mut partial: Vec<Vec<u64>> = vec![Vec::new()];
                for &f in fields {
                    let ks: Vec<u64> = keys
                        .field(f)
                        .iter()
                        .copied()
                        .filter(|&k| !coarse(k))
                        .collect();
                    partial = partial
                        .iter()
                        .flat_map(|p| {
                            ks.iter().map(move |&k| {
                                let mut q = p.clone();
                                q.push(k);
                                q
                            })
                        })
                        .collect();
                }
                out.extend(partial.iter().map(|p| combine(r, p)));
            }
        }
    }
}

/// What blocking did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct BlockStats {
    pub(crate) keys: u64,
    /// Pairs each rule produced (before pairs found by several rules are
    /// merged), for the first 16 rules.
    pub(crate) pairs_per_rule: [u64; 16],
    pub(crate) oversized_blocks: u64,
    pub(crate) oversized_records: u64,
}

/// Candidate pairs `(i << 32) | j` with `i < j`, sorted and distinct.
pub(crate) fn candidate_pairs(
    profile: &Profile,
    data: &NormData,
    max_block: usize,
) -> (Vec<u64>, BlockStats) {
    let n = data.len();
    let indices: Vec<u32> = (0..n as u32).collect();
    let per_chunk = par::map_chunks(&indices, 4096, |chunk| {
        let mut rk = RecordKeys::default();
        let mut out: Vec<(u64, u32)> = Vec::with_capacity(chunk.len() * 8);
        let mut buf = Vec::new();
        for &i in chunk {
            rk.fill(profile, data, i as usize);
            buf.clear();
            rule_keys(profile, &rk, &mut buf);
            buf.sort_unstable();
            buf.dedup();
            out.extend(buf.iter().map(|&k| (k, i)));
        }
        out
    });
    let mut entries: Vec<(u64, u32)> = per_chunk.into_iter().flatten().collect();
    par::sort(&mut entries);
    let mut stats = BlockStats {
        keys: entries.len() as u64,
        ..BlockStats::default()
    };
    // Block boundaries, then pairs per block.
    let mut blocks: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    while start < entries.len() {
        let key = entries.get(start).map_or(0, |e| e.0);
        let len = entries
            .get(start..)
            .map_or(0, |rest| rest.iter().take_while(|e| e.0 == key).count());
        if len > rule_cap(profile, key, max_block) {
            stats.oversized_blocks += 1;
            stats.oversized_records += len as u64;
        } else if len >= 2 {
            blocks.push((start, start + len));
            if let Some(c) = stats.pairs_per_rule.get_mut((key >> 56) as usize) {
                *c += (len * (len - 1) / 2) as u64;
            }
        }
        start += len.max(1);
    }
    let per_block = par::map_chunks(&blocks, 1024, |bs| {
        let mut pairs = Vec::new();
        for &(s, e) in bs {
            // invariant: blocks are ranges of `entries` found above.
            debug_assert!(s <= e && e <= entries.len());
            #[allow(clippy::indexing_slicing)]
            let members = &entries[s..e];
            for (x, a) in members.iter().enumerate() {
                for b in members.iter().skip(x + 1) {
                    pairs.push((u64::from(a.1) << 32) | u64::from(b.1));
                }
            }
        }
        pairs
    });
    drop(entries);
    let mut pairs: Vec<u64> = per_block.into_iter().flatten().collect();
    par::sort(&mut pairs);
    pairs.dedup();
    (pairs, stats)
}

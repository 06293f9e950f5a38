//! The incremental index: insert records one at a time and ask "which
//! known records (and prospects) does this new record match, and why?".
//!
//! The index keeps the normalised records, the blocking keys in posting
//! lists and the value statistics, updated on every insert. A query is
//! scored exactly as [`Dedup::run`](super::Dedup::run) would score the pair
//! on the known records plus the query, with the same model: the same
//! blocks (oversized ones skipped by the same rule), the same value counts
//! (the query counted as if inserted), the same weights. So the matches of
//! a query equal the batch run's linked pairs of that record.
//!
//! Clusters are kept incrementally (a new record joins its matches'
//! clusters, strongest first, unless names conflict or the size guard
//! trips). Arrival order can make these differ from the batch
//! partition, which looks at all links at once;
//! [`DedupIndex::partition`] recomputes the batch partition on demand.

use std::time::Instant;

use hashbrown::HashMap;

use super::block::{RecordKeys, rule_cap, rule_keys};
use super::data::{NormData, Stats};
use super::score::{Scorer, Uncounted};
use super::{
    Dedup, DedupResult, DedupSettings, FieldRole, Model, PairEvidence, Profile, RecordSource,
    cannot_link, locality_cmp, locality_fields, pair_evidence, sorted_ids, too_much_text,
    veto_fields,
};
use crate::error::{Error, Result};
use crate::intern::TextColumn;
use crate::union_find::UnionFind;

/// Most records an index holds: record indices are `u32`, one value kept
/// free.
const MAX_RECORDS: usize = u32::MAX as usize - 1;

/// One known record that a query matches.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexMatch {
    /// The known record's id.
    pub record_id: String,
    /// The id of the prospect (cluster) it belongs to in the index: the
    /// smallest record id of its cluster.
    pub cluster_id: String,
    /// Why: every field's level and weight, total and threshold.
    pub evidence: PairEvidence,
}

/// Posting lists of blocking keys, as linked lists in one arena.
#[derive(Debug, Clone, Default)]
struct Postings {
    /// key → (head entry + 1, length).
    heads: HashMap<u64, (u32, u32), foldhash::fast::FixedState>,
    /// (record, next entry + 1).
    entries: Vec<(u32, u32)>,
}

impl Postings {
    fn len(&self, key: u64) -> usize {
        self.heads.get(&key).map_or(0, |h| h.1 as usize)
    }

    fn for_each(&self, key: u64, mut f: impl FnMut(u32)) {
        let mut at = self.heads.get(&key).map_or(0, |h| h.0);
        while at != 0 {
            let Some(&(rec, next)) = self.entries.get(at as usize - 1) else {
                break;
            };
            f(rec);
            at = next;
        }
    }

    fn add(&mut self, key: u64, record: u32) {
        let slot = self.heads.entry(key).or_insert((0, 0));
        self.entries.push((record, slot.0));
        slot.0 = u32::try_from(self.entries.len()).unwrap_or(u32::MAX);
        slot.1 = slot.1.saturating_add(1);
    }
}

/// An incremental deduplication index: "is this new record already
/// known?", answered while a rep types it, with the evidence.
///
/// Load the known records once ([`DedupIndex::extend`]), with the model
/// of a batch run over them ([`Dedup::with_model_of`]) so that the index
/// answers as that run would; then [`DedupIndex::query`] a typed record
/// (the index is unchanged) and [`DedupIndex::insert`] it once saved.
///
/// ```
/// use sales_metrics::dedup::{CsvRecords, Dedup, DedupIndex};
///
/// let known = CsvRecords::from_csv(
///     "prospect_id,name,company,email,phone,country\n\
///      p1,Ion Popescu,Alfa SRL,ion.popescu@alfa.ro,0721 234 567,RO\n\
///      p2,Maria Ionescu,Beta SA,maria@beta.ro,0744 000 111,RO\n"
///         .as_bytes(),
///     "prospect_id",
/// )?;
/// // Two records are too few to estimate a model from: the default one.
/// // With a real CRM's records, `Dedup::prospect().with_model_of(&batch)`.
/// let mut index = DedupIndex::new(&Dedup::prospect());
/// index.extend(&known)?;
///
/// // A rep types a record: is this person already known?
/// let typed = CsvRecords::from_csv(
///     "prospect_id,name,company,email,phone,country\n\
///      p3,POPESCU Ion,S.C. Alfa S.R.L.,Ion.Popescu+x@alfa.ro,+40721234567,RO\n"
///         .as_bytes(),
///     "prospect_id",
/// )?;
/// let matches = index.query(&typed, 0);
/// assert_eq!(matches.len(), 1);
/// let best = &matches[0];
/// assert_eq!((best.record_id.as_str(), best.cluster_id.as_str()), ("p1", "p1"));
/// assert!(best.evidence.probability >= best.evidence.threshold);
///
/// // Saved anyway (say, as a second record of the person): it joins p1.
/// index.insert(&typed, 0)?;
/// assert_eq!(index.cluster_id("p3"), Some("p1"));
/// # Ok::<(), sales_metrics::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct DedupIndex {
    dedup: Dedup,
    model: Model,
    data: NormData,
    ids: Vec<Box<str>>,
    by_id: HashMap<Box<str>, u32, foldhash::fast::FixedState>,
    stats: Stats,
    postings: Postings,
    identity: Vec<usize>,
    /// Fields of the batch run's internal record order.
    locality: Vec<usize>,
    /// Incremental clusters: union–find parent, members at the root, and
    /// the record with the smallest id at the root.
    clusters: UnionFind,
    members: Vec<Vec<u32>>,
    min_record: Vec<u32>,
}

fn fixed_state() -> foldhash::fast::FixedState {
    foldhash::fast::FixedState::with_seed(super::normalize::HASH_SEED)
}

impl DedupIndex {
    /// An empty index for `dedup`'s profile and settings, scoring with
    /// `dedup`'s fixed model (a batch run's, given by
    /// [`Dedup::with_model_of`], for answers identical to that run), else
    /// the comparators' default model.
    pub fn new(dedup: &Dedup) -> Self {
        let profile = dedup.profile();
        let model = dedup.model().cloned().unwrap_or_else(|| {
            let mut m = Model::defaults(profile, 100_000);
            m.threshold = dedup.settings().threshold;
            m.shared_contact_cap = dedup.settings().shared_contact_cap;
            m
        });
        let identity = veto_fields(profile);
        Self {
            dedup: dedup.clone().with_model(model.clone()),
            model,
            data: NormData::empty(profile.fields().len()),
            ids: Vec::new(),
            by_id: HashMap::with_hasher(fixed_state()),
            stats: Stats::new(profile),
            postings: Postings {
                heads: HashMap::with_hasher(fixed_state()),
                entries: Vec::new(),
            },
            identity,
            locality: locality_fields(profile),
            clusters: UnionFind::new(0),
            members: Vec::new(),
            min_record: Vec::new(),
        }
    }

    /// Number of records in the index.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    fn profile(&self) -> &Profile {
        self.dedup.profile()
    }

    fn settings(&self) -> &DedupSettings {
        self.dedup.settings()
    }

    fn normalize_one<S: RecordSource + ?Sized>(&self, source: &S, record: usize) -> NormData {
        let profile = self.profile();
        let mut q = NormData::empty(profile.fields().len());
        let columns: Vec<Option<usize>> = profile
            .fields()
            .iter()
            .map(|f| source.column(&f.name))
            .collect();
        let country = profile
            .country_column()
            .and_then(|c| source.column(c))
            .and_then(|c| source.value(record, c));
        q.push_raw(
            profile,
            columns
                .iter()
                .map(|c| c.and_then(|c| source.value(record, c))),
            country,
        );
        q
    }

    fn keys_of(&self, data: &NormData, i: usize) -> Vec<u64> {
        let mut rk = RecordKeys::default();
        rk.fill(self.profile(), data, i);
        let mut keys = Vec::new();
        rule_keys(self.profile(), &rk, &mut keys);
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    fn find(&self, x: u32) -> u32 {
        self.clusters.root_of(x)
    }

    /// The record with the smallest id in the cluster rooted at `root`.
    #[allow(clippy::indexing_slicing)]
    fn min_record_of(&self, root: u32) -> u32 {
        // invariant: `min_record` has one entry per known record, and
        // roots are known records.
        debug_assert!((root as usize) < self.min_record.len());
        self.min_record[root as usize]
    }

    fn cluster_id_of(&self, record: u32) -> &str {
        let min = self.min_record_of(self.find(record));
        // invariant: `min_record` holds record indices, one id each.
        debug_assert!((min as usize) < self.ids.len());
        #[allow(clippy::indexing_slicing)]
        &self.ids[min as usize]
    }

    /// Matches of a normalised query against the known records, strongest
    /// first: `(known record, score)`.
    fn matches_of(&self, q: &NormData, qid: &str) -> Vec<(u32, f64, super::score::PairScore)> {
        let keys = self.keys_of(q, 0);
        let max_block = self.settings().max_block_size;
        let mut candidates: Vec<u32> = Vec::new();
        for &k in &keys {
            if self.postings.len(k) + 1 > rule_cap(self.profile(), k, max_block) {
                continue;
            }
            self.postings.for_each(k, |r| candidates.push(r));
        }
        candidates.sort_unstable();
        candidates.dedup();
        let scorer = Scorer::new(self.profile(), &self.model, &self.stats);
        let threshold = self.model.threshold_weight();
        let mut out = Vec::new();
        for c in candidates {
            let cid = self.ids.get(c as usize).map_or("", |s| s);
            if cid == qid {
                continue;
            }
            // Score in the batch run's internal order.
            let q_first = locality_cmp(&self.locality, q, 0, &self.data, c as usize)
                .then_with(|| qid.as_bytes().cmp(cid.as_bytes()))
                .is_lt();
            let s = if q_first {
                scorer.score(q, 0, &self.data, c as usize, Uncounted::Left)
            } else {
                scorer.score(&self.data, c as usize, q, 0, Uncounted::Right)
            };
            if s.total >= threshold {
                out.push((c, s.total, s));
            }
        }
        out.sort_by(|x, y| {
            y.1.total_cmp(&x.1).then_with(|| {
                let a = self.ids.get(x.0 as usize).map_or("", |s| s);
                let b = self.ids.get(y.0 as usize).map_or("", |s| s);
                a.as_bytes().cmp(b.as_bytes())
            })
        });
        out
    }

    fn to_matches(
        &self,
        qid: &str,
        found: &[(u32, f64, super::score::PairScore)],
    ) -> Vec<IndexMatch> {
        let fields: Vec<(String, Vec<&'static str>)> = self
            .profile()
            .fields()
            .iter()
            .map(|f| (f.name.clone(), f.comparator.level_names().to_vec()))
            .collect();
        found
            .iter()
            .map(|(c, total, s)| {
                let cid = self.ids.get(*c as usize).map_or("", |s| s);
                let (l, r) = if qid.as_bytes() < cid.as_bytes() {
                    (qid, cid)
                } else {
                    (cid, qid)
                };
                IndexMatch {
                    record_id: cid.to_owned(),
                    cluster_id: self.cluster_id_of(*c).to_owned(),
                    evidence: pair_evidence(
                        &fields,
                        &self.model,
                        l,
                        r,
                        *total,
                        &s.levels,
                        &s.weights,
                    ),
                }
            })
            .collect()
    }

    /// The known records that record `record` of `source` matches, with
    /// their prospects and the evidence, strongest first. The index is not
    /// changed.
    pub fn query<S: RecordSource + ?Sized>(&self, source: &S, record: usize) -> Vec<IndexMatch> {
        let q = self.normalize_one(source, record);
        let qid = source.id(record);
        let found = self.matches_of(&q, qid);
        self.to_matches(qid, &found)
    }

    /// Inserts record `record` of `source` and returns its matches among
    /// the records known before (as [`DedupIndex::query`] would). The new
    /// record joins the clusters of its matches, strongest first, unless
    /// names conflict or the size guard trips.
    ///
    /// # Errors
    /// An empty id, or an id already in the index.
    pub fn insert<S: RecordSource + ?Sized>(
        &mut self,
        source: &S,
        record: usize,
    ) -> Result<Vec<IndexMatch>> {
        let id = source.id(record);
        self.check_new_id(id)?;
        let q = self.normalize_one(source, record);
        if !self.data.text_fits(q.text_len()) {
            return Err(too_much_text());
        }
        let found = self.matches_of(&q, id);
        let out = self.to_matches(id, &found);
        let r = self.add(&q, id);
        for (c, _, _) in &found {
            self.join(r, *c);
        }
        Ok(out)
    }

    /// Inserts every record of `source` without querying (a bulk load),
    /// then sets the clusters to the batch partition of everything known.
    ///
    /// # Errors
    /// An empty or repeated id.
    pub fn extend<S: RecordSource + ?Sized>(&mut self, source: &S) -> Result<()> {
        if self.ids.len().saturating_add(source.len()) > MAX_RECORDS {
            return Err(Error::invalid(
                "dedup index extend",
                "more than 2^32 - 2 records",
            ));
        }
        let mut seen = std::collections::HashSet::with_capacity(source.len());
        for i in 0..source.len() {
            let id = source.id(i);
            self.check_new_id(id)?;
            if !seen.insert(id) {
                return Err(Error::invalid(
                    "dedup index extend",
                    format!("id {id:?} is used by more than one record"),
                ));
            }
        }
        let order: Vec<u32> = (0..source.len() as u32).collect();
        let batch = NormData::from_source(self.profile(), source, &order);
        if !self.data.text_fits(batch.text_len()) {
            return Err(too_much_text());
        }
        for i in 0..batch.len() {
            let single = batch.slice(i);
            self.add(&single, source.id(i));
        }
        let result = self.partition()?;
        // Start the clusters afresh from the batch partition.
        let n = self.ids.len() as u32;
        self.clusters = UnionFind::new(n as usize);
        self.members = vec![Vec::new(); n as usize];
        self.min_record = (0..n).collect();
        for (rid, cid) in result.partition() {
            if let (Some(&r), Some(&c)) = (self.by_id.get(rid), self.by_id.get(cid))
                && r != c
            {
                self.union(r, c);
            }
        }
        Ok(())
    }

    fn check_new_id(&self, id: &str) -> Result<()> {
        if self.ids.len() >= MAX_RECORDS {
            return Err(Error::invalid(
                "dedup index insert",
                "the index holds 2^32 - 2 records already",
            ));
        }
        if id.is_empty() {
            return Err(Error::invalid("dedup index insert", "empty id"));
        }
        if self.by_id.contains_key(id) {
            return Err(Error::invalid(
                "dedup index insert",
                format!("id {id:?} is already in the index"),
            ));
        }
        Ok(())
    }

    fn add(&mut self, q: &NormData, id: &str) -> u32 {
        // invariant: `check_new_id` keeps the records below MAX_RECORDS.
        debug_assert!(self.ids.len() < MAX_RECORDS);
        let r = self.ids.len() as u32;
        for k in self.keys_of(q, 0) {
            self.postings.add(k, r);
        }
        self.data.append_one(q, 0);
        self.stats.add(&self.data, r as usize);
        self.ids.push(id.into());
        let _ = self.by_id.insert(id.into(), r);
        let pushed = self.clusters.push();
        debug_assert_eq!(pushed, r);
        self.members.push(Vec::new());
        self.min_record.push(r);
        r
    }

    fn members_of(&self, root: u32) -> Vec<u32> {
        match self.members.get(root as usize) {
            Some(m) if !m.is_empty() => m.clone(),
            _ => vec![root],
        }
    }

    fn join(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        let (ma, mb) = (self.members_of(ra), self.members_of(rb));
        if ma.len() + mb.len() > self.settings().max_cluster_size.max(1) {
            return;
        }
        let conflict = ma.iter().any(|&x| {
            mb.iter().any(|&y| {
                cannot_link(
                    self.profile(),
                    &self.identity,
                    &self.data,
                    x as usize,
                    y as usize,
                    &|r, f| self.value_shared(r, f),
                )
            })
        });
        if !conflict {
            self.union(a, b);
        }
    }

    fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        let (ma, mb) = (self.members_of(ra), self.members_of(rb));
        let (keep, gone) = if ma.len() >= mb.len() {
            (ra, rb)
        } else {
            (rb, ra)
        };
        self.clusters.attach(gone, keep);
        let mut merged = ma;
        merged.extend(mb);
        if let Some(m) = self.members.get_mut(gone as usize) {
            *m = Vec::new();
        }
        if let Some(m) = self.members.get_mut(keep as usize) {
            *m = merged;
        }
        let (min_a, min_b) = (self.min_record_of(ra), self.min_record_of(rb));
        let id = |r: u32| self.ids.get(r as usize).map_or("", |s| s).as_bytes();
        let min = if id(min_a) <= id(min_b) { min_a } else { min_b };
        if let Some(m) = self.min_record.get_mut(keep as usize) {
            *m = min;
        }
    }

    /// Whether known record `r`'s value of field `f` is shared by people
    /// whose names conflict, or a role mailbox.
    fn value_shared(&self, r: usize, f: usize) -> bool {
        let generic = self.profile().fields().get(f).is_some_and(|spec| {
            spec.role == FieldRole::Contact
                && self
                    .data
                    .value(f, r)
                    .is_some_and(|v| spec.comparator.is_generic(v))
        });
        generic
            || self
                .stats
                .get(f, self.data.hash(f, r), None, &self.data)
                .shared
    }

    /// The cluster id (smallest record id of its cluster) of a known
    /// record, in the index's incremental clustering.
    pub fn cluster_id(&self, record_id: &str) -> Option<&str> {
        let &r = self.by_id.get(record_id)?;
        Some(self.cluster_id_of(r))
    }

    /// The batch run's result on every known record with the index's model:
    /// the partition [`Dedup::run`] gives on the same records.
    ///
    /// # Errors
    /// None in practice (ids are checked on insert).
    pub fn partition(&self) -> Result<DedupResult> {
        let t0 = Instant::now();
        let mut order: Vec<u32> = (0..self.ids.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| {
            let ia = self.ids.get(a as usize).map_or("", |s| s);
            let ib = self.ids.get(b as usize).map_or("", |s| s);
            ia.as_bytes().cmp(ib.as_bytes())
        });
        let ids: TextColumn = sorted_ids(
            order
                .iter()
                .map(|&r| self.ids.get(r as usize).map_or("", |s| s)),
        )?;
        let data = self.data.permuted(&order);
        self.dedup.run_prepared(ids, order, data, t0)
    }

    /// Approximate heap bytes held (records, postings, statistics).
    pub fn heap_bytes(&self) -> usize {
        self.data.heap_bytes()
            + self.stats.heap_bytes()
            + self.postings.heads.capacity() * 17
            + self.postings.entries.capacity() * 8
            + self.ids.iter().map(|s| s.len() + 16).sum::<usize>() * 2
            + self.by_id.capacity() * 21
            + self.clusters.heap_bytes()
            + self.min_record.capacity() * 4
            + self.members.capacity() * 24
    }
}

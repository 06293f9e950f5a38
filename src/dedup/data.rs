//! Normalised records in columns (one text buffer per field, no `String`
//! per value), and the per-value statistics that scoring needs: how often
//! a value occurs and how many distinct entities hold it.

use hashbrown::HashMap;

use super::FieldKind;
use super::RecordSource;
use super::normalize::foldhash_u64;
use super::profile::{FieldRole, Profile, TermFrequency};
use crate::par;

/// Normalised records, row by row: each record's values lie together in
/// one text buffer, with their offsets and hashes next to each other, so
/// that scoring a pair touches a few cache lines per record rather than a
/// few per field.
#[derive(Debug, Clone, Default)]
pub(crate) struct NormData {
    fields: usize,
    text: String,
    /// `fields + 1` offsets per record: field `f` of record `i` spans
    /// `offs[i * (fields + 1) + f] .. offs[i * (fields + 1) + f + 1]`.
    offs: Vec<u32>,
    /// `fields` hashes per record; 0 when the value is absent.
    hashes: Vec<u64>,
    rows: usize,
}

impl NormData {
    pub(crate) fn empty(fields: usize) -> Self {
        Self {
            fields,
            ..Self::default()
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.rows
    }

    pub(crate) fn value(&self, field: usize, i: usize) -> Option<&str> {
        if self.hash(field, i) == 0 {
            return None;
        }
        let at = i * (self.fields + 1) + field;
        let start = *self.offs.get(at)? as usize;
        let end = *self.offs.get(at + 1)? as usize;
        self.text.get(start..end)
    }

    pub(crate) fn hash(&self, field: usize, i: usize) -> u64 {
        if field >= self.fields {
            return 0;
        }
        // invariant: one hash per record and field, and `i` is a record.
        debug_assert!(i * self.fields + field < self.hashes.len());
        #[allow(clippy::indexing_slicing)]
        self.hashes[i * self.fields + field]
    }

    fn push_values<'a>(&mut self, values: impl Iterator<Item = Option<&'a str>>) {
        let mut pushed = 0;
        for v in values.take(self.fields) {
            self.offs
                .push(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
            match v {
                Some(s) => {
                    self.text.push_str(s);
                    self.hashes.push(foldhash_u64(s));
                }
                None => self.hashes.push(0),
            }
            pushed += 1;
        }
        for _ in pushed..self.fields {
            self.offs
                .push(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
            self.hashes.push(0);
        }
        self.offs
            .push(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
        self.rows += 1;
    }

    /// Normalises and appends one record given its raw values (in profile
    /// field order) and country.
    pub(crate) fn push_raw<'a>(
        &mut self,
        profile: &Profile,
        raw: impl Iterator<Item = Option<&'a str>>,
        country: Option<&str>,
    ) {
        let country = country
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .or(profile.default_country());
        let norms: Vec<Option<String>> = profile
            .fields()
            .iter()
            .zip(raw)
            .map(|(spec, v)| {
                v.filter(|s| !s.trim().is_empty())
                    .and_then(|s| spec.comparator.normalize(s, country))
            })
            .collect();
        self.push_values(norms.iter().map(Option::as_deref));
    }

    /// Normalises records `order[..]` of `source` (in that order).
    ///
    /// Fields whose values repeat across records (names, companies,
    /// cities) are normalised once per distinct raw value
    /// ([`DistinctValues`]); the built-in normalisers are pure functions
    /// of the raw value, so the records get the same text as if each were
    /// normalised on its own.
    pub(crate) fn from_source<S: RecordSource + ?Sized>(
        profile: &Profile,
        source: &S,
        order: &[u32],
    ) -> Self {
        let columns: Vec<Option<usize>> = profile
            .fields()
            .iter()
            .map(|f| source.column(&f.name))
            .collect();
        let country = profile.country_column().and_then(|c| source.column(c));
        let nfields = profile.fields().len();
        const CHUNK: usize = 4096;
        let memos: Vec<Option<DistinctValues>> = par::map_indices(nfields, |f| {
            let spec = profile.fields().get(f)?;
            let column = (*columns.get(f)?)?;
            memoised(spec.kind).then(|| DistinctValues::of(spec, source, column, order))
        });
        let chunks = par::map_chunks_indexed(order, CHUNK, |(at, chunk)| {
            let mut d = NormData::empty(nfields);
            let mut norms: Vec<Option<String>> = Vec::with_capacity(nfields);
            for (k, &r) in chunk.iter().enumerate() {
                let r = r as usize;
                let cc = country
                    .and_then(|c| source.value(r, c))
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .or(profile.default_country());
                norms.clear();
                for (f, spec) in profile.fields().iter().enumerate() {
                    // Memoised fields are read from their distinct values
                    // below.
                    let own = memos.get(f).is_some_and(Option::is_none);
                    let raw = columns.get(f).copied().flatten().filter(|_| own);
                    norms.push(
                        raw.and_then(|c| source.value(r, c))
                            .filter(|s| !s.trim().is_empty())
                            .and_then(|s| spec.comparator.normalize(s, cc)),
                    );
                }
                let pos = at * CHUNK + k;
                d.push_values(norms.iter().enumerate().map(|(f, own)| {
                    match memos.get(f).and_then(Option::as_ref) {
                        Some(m) => m.value_of(pos),
                        None => own.as_deref(),
                    }
                }));
            }
            d
        });
        let mut all = NormData::empty(nfields);
        all.text.reserve(chunks.iter().map(|c| c.text.len()).sum());
        all.offs.reserve(chunks.iter().map(|c| c.offs.len()).sum());
        all.hashes
            .reserve(chunks.iter().map(|c| c.hashes.len()).sum());
        for d in chunks {
            all.append(d);
        }
        all
    }

    /// Appends record `i` of `other` (already normalised), copying its
    /// text, offsets and hashes as they are.
    pub(crate) fn append_one(&mut self, other: &NormData, i: usize) {
        let w = self.fields + 1;
        let (Some(offs), Some(hashes)) = (
            other.offs.get(i * w..(i + 1) * w),
            other.hashes.get(i * self.fields..(i + 1) * self.fields),
        ) else {
            return;
        };
        let (Some(&start), Some(&end)) = (offs.first(), offs.last()) else {
            return;
        };
        let base = u32::try_from(self.text.len()).unwrap_or(u32::MAX);
        self.text
            .push_str(other.text.get(start as usize..end as usize).unwrap_or(""));
        self.offs
            .extend(offs.iter().map(|o| (o - start).saturating_add(base)));
        self.hashes.extend_from_slice(hashes);
        self.rows += 1;
    }

    /// Record `i` alone.
    pub(crate) fn slice(&self, i: usize) -> NormData {
        let mut d = NormData::empty(self.fields);
        d.append_one(self, i);
        d
    }

    /// The records in `order`.
    pub(crate) fn permuted(&self, order: &[u32]) -> NormData {
        let mut d = NormData::empty(self.fields);
        d.text.reserve(self.text.len());
        d.offs.reserve(self.offs.len());
        d.hashes.reserve(self.hashes.len());
        for &i in order {
            d.append_one(self, i as usize);
        }
        d
    }

    fn append(&mut self, other: NormData) {
        let base = u32::try_from(self.text.len()).unwrap_or(u32::MAX);
        self.text.push_str(&other.text);
        self.offs
            .extend(other.offs.iter().map(|o| o.saturating_add(base)));
        self.hashes.extend(other.hashes);
        self.rows += other.rows;
    }

    /// Whether `extra` more bytes of normalised text still have `u32`
    /// offsets (offsets saturate past 4 GiB, so callers check first).
    pub(crate) fn text_fits(&self, extra: usize) -> bool {
        self.text
            .len()
            .checked_add(extra)
            .is_some_and(|n| u32::try_from(n).is_ok())
    }

    /// Bytes of normalised text.
    pub(crate) fn text_len(&self) -> usize {
        self.text.len()
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.text.capacity() + self.offs.capacity() * 4 + self.hashes.capacity() * 8
    }
}

/// Whether values of a built-in kind are normalised once per distinct raw
/// value: the kinds whose values repeat across records (people's names,
/// companies, cities) and whose normalisers do not read the country.
fn memoised(kind: Option<FieldKind>) -> bool {
    matches!(
        kind,
        Some(
            FieldKind::PersonName
                | FieldKind::GivenName
                | FieldKind::Surname
                | FieldKind::Company
                | FieldKind::City
        )
    )
}

/// One field's normalised values by distinct raw value: each record's
/// index into `values`, each distinct raw value normalised once.
struct DistinctValues {
    /// Per record (in the order normalised), its distinct value's index;
    /// `u32::MAX` for an absent or blank value.
    index: Vec<u32>,
    values: Vec<Option<String>>,
}

impl DistinctValues {
    /// The distinct raw values of `column` over records `order[..]`, each
    /// normalised by `spec`'s comparator (no country: see [`memoised`]).
    fn of<S: RecordSource + ?Sized>(
        spec: &super::FieldSpec,
        source: &S,
        column: usize,
        order: &[u32],
    ) -> Self {
        let mut seen: HashMap<&str, u32, foldhash::fast::FixedState> = HashMap::with_hasher(
            foldhash::fast::FixedState::with_seed(super::normalize::HASH_SEED),
        );
        let mut raws: Vec<&str> = Vec::new();
        let index = order
            .iter()
            .map(|&r| match source.value(r as usize, column) {
                Some(v) if !v.trim().is_empty() => *seen.entry(v).or_insert_with(|| {
                    raws.push(v);
                    (raws.len() - 1) as u32
                }),
                _ => u32::MAX,
            })
            .collect();
        drop(seen);
        let values = par::map(&raws, |v| spec.comparator.normalize(v, None));
        Self { index, values }
    }

    /// The normalised value of the record at position `pos`.
    fn value_of(&self, pos: usize) -> Option<&str> {
        let i = *self.index.get(pos)?;
        self.values.get(i as usize)?.as_deref()
    }
}

/// How often a value occurs, and whether records whose names conflict
/// hold it (a switchboard, a shared mailbox).
///
/// `shared` is decided over the set of distinct names of the value's
/// holders: true when two of them conflict, or when there are more than
/// [`NAME_SLOTS`] distinct non-conflicting names. That set does not depend
/// on the order in which holders arrive, so neither does the flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ValueStat {
    pub(crate) count: u32,
    pub(crate) shared: bool,
    /// Records holding the value with distinct names (`EMPTY` = free).
    names: [u32; NAME_SLOTS],
}

/// Distinct non-conflicting names kept per value.
pub(crate) const NAME_SLOTS: usize = 3;
const EMPTY: u32 = u32::MAX;

impl Default for ValueStat {
    fn default() -> Self {
        Self {
            count: 0,
            shared: false,
            names: [EMPTY; NAME_SLOTS],
        }
    }
}

/// The identity field and how to tell conflicting names.
#[derive(Debug, Clone)]
pub(crate) struct Identity {
    field: usize,
    comparator: std::sync::Arc<dyn super::Comparator>,
}

impl Identity {
    pub(crate) fn of(profile: &Profile) -> Option<Self> {
        let field = profile.entity_field()?;
        let comparator = profile.fields().get(field)?.comparator.clone();
        Some(Self { field, comparator })
    }

    fn conflict(&self, a: &str, b: &str) -> bool {
        a != b && self.comparator.conflicting(self.comparator.compare(a, b))
    }
}

impl ValueStat {
    /// Counts one more holder named `name` (`None`: unnamed, which says
    /// nothing about sharing); `record` is its index in `data`.
    fn observe(
        &mut self,
        name: Option<&str>,
        record: u32,
        data: &NormData,
        identity: Option<&Identity>,
    ) {
        self.count = self.count.saturating_add(1);
        let (Some(x), Some(id)) = (name, identity) else {
            return;
        };
        if self.shared {
            return;
        }
        let mut free = None;
        for (slot, &r) in self.names.iter().enumerate() {
            if r == EMPTY {
                free.get_or_insert(slot);
                continue;
            }
            let Some(y) = data.value(id.field, r as usize) else {
                continue;
            };
            if x == y {
                return;
            }
            if id.conflict(x, y) {
                self.shared = true;
                return;
            }
        }
        match free.and_then(|s| self.names.get_mut(s)) {
            Some(slot) => *slot = record,
            None => self.shared = true,
        }
    }
}

/// Value statistics per field, for fields with term frequencies or the
/// contact role.
#[derive(Debug, Clone, Default)]
pub(crate) struct Stats {
    /// Records with a value, per field.
    pub(crate) present: Vec<u64>,
    values: Vec<Option<HashMap<u64, ValueStat, foldhash::fast::FixedState>>>,
    identity: Option<Identity>,
}

fn value_map() -> HashMap<u64, ValueStat, foldhash::fast::FixedState> {
    HashMap::with_hasher(foldhash::fast::FixedState::with_seed(
        super::normalize::HASH_SEED,
    ))
}

impl Stats {
    pub(crate) fn new(profile: &Profile) -> Self {
        Self {
            present: vec![0; profile.fields().len()],
            values: profile
                .fields()
                .iter()
                .map(|f| {
                    (f.term_frequency != TermFrequency::Off || f.role == FieldRole::Contact)
                        .then(value_map)
                })
                .collect(),
            identity: Identity::of(profile),
        }
    }

    fn name_of<'d>(&self, data: &'d NormData, i: usize) -> Option<&'d str> {
        self.identity
            .as_ref()
            .and_then(|id| data.value(id.field, i))
    }

    /// Adds record `i` of `data` (the data the statistics describe).
    /// Records holding a value of field `f`.
    #[allow(clippy::indexing_slicing)]
    pub(crate) fn present(&self, f: usize) -> u64 {
        // invariant: one count per profile field, and f is a field.
        debug_assert!(f < self.present.len());
        self.present[f]
    }

    pub(crate) fn add(&mut self, data: &NormData, i: usize) {
        let name = self.name_of(data, i);
        let identity = self.identity.clone();
        for (f, (present, values)) in self.present.iter_mut().zip(&mut self.values).enumerate() {
            let h = data.hash(f, i);
            if h == 0 {
                continue;
            }
            *present += 1;
            if let Some(map) = values {
                map.entry(h)
                    .or_default()
                    .observe(name, i as u32, data, identity.as_ref());
            }
        }
    }

    /// The statistics of a batch: only how many records have each field
    /// (values' own statistics go to [`RecordStats::of`], which needs no
    /// hash table per value).
    pub(crate) fn present_only(profile: &Profile, data: &NormData) -> Self {
        let mut s = Self::new(profile);
        for v in &mut s.values {
            *v = None;
        }
        for (f, p) in s.present.iter_mut().enumerate() {
            *p = (0..data.len()).filter(|&i| data.hash(f, i) != 0).count() as u64;
        }
        s
    }

    /// The statistics of value `hash` of field `field`; with `plus`, as if
    /// one more holder (record `plus.1` of `plus.0`, not in the data the
    /// statistics describe, `stats_data`) were counted.
    pub(crate) fn get(
        &self,
        field: usize,
        hash: u64,
        plus: Option<(&NormData, usize)>,
        stats_data: &NormData,
    ) -> ValueStat {
        let mut st = self
            .values
            .get(field)
            .and_then(Option::as_ref)
            .and_then(|m| m.get(&hash).copied())
            .unwrap_or_default();
        if let Some((q, qi)) = plus {
            st.observe(
                self.name_of(q, qi),
                EMPTY - 1,
                stats_data,
                self.identity.as_ref(),
            );
        }
        st
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.values
            .iter()
            .flatten()
            .map(|m| m.capacity() * (8 + std::mem::size_of::<ValueStat>() + 1))
            .sum()
    }
}

/// The statistics of every record's own values, looked up once after a
/// batch's statistics are complete, so that scoring reads them next to
/// the record instead of probing hash tables per pair.
#[derive(Debug, Clone, Default)]
pub(crate) struct RecordStats {
    fields: usize,
    /// Holders of each record's value, `fields` per record.
    counts: Vec<u32>,
    /// Bit `f`: the record's value of field `f` is shared (held by
    /// conflicting names) or generic (a role mailbox).
    shared: Vec<u32>,
}

impl RecordStats {
    /// Each record's value statistics, from runs of equal values (sorted
    /// value hashes, one field per task): the same counts and `shared`
    /// flags that [`Stats`] would give, without a hash table per value.
    pub(crate) fn of(profile: &Profile, data: &NormData) -> Self {
        let nf = profile.fields().len();
        let n = data.len();
        let identity = Identity::of(profile);
        let name_of = |i: usize| identity.as_ref().and_then(|id| data.value(id.field, i));
        let per_field = par::map_indices(nf, |f| {
            let spec = profile.fields().get(f)?;
            if spec.term_frequency == TermFrequency::Off && spec.role != FieldRole::Contact {
                return None;
            }
            let mut held: Vec<(u64, u32)> = (0..n)
                .filter_map(|i| {
                    let h = data.hash(f, i);
                    (h != 0).then_some((h, i as u32))
                })
                .collect();
            held.sort_unstable();
            let mut counts = vec![0u32; n];
            let mut shared = vec![false; n];
            for run in held.chunk_by(|x, y| x.0 == y.0) {
                let mut st = ValueStat::default();
                for &(_, r) in run {
                    st.observe(name_of(r as usize), r, data, identity.as_ref());
                }
                for &(_, r) in run {
                    let r = r as usize;
                    let generic = spec.role == FieldRole::Contact
                        && data
                            .value(f, r)
                            .is_some_and(|v| spec.comparator.is_generic(v));
                    if let Some(c) = counts.get_mut(r) {
                        *c = st.count;
                    }
                    if let Some(s) = shared.get_mut(r) {
                        *s = st.shared || generic;
                    }
                }
            }
            Some((counts, shared))
        });
        let mut out = Self {
            fields: nf,
            counts: vec![0; n * nf],
            shared: vec![0; n],
        };
        for (f, field) in per_field.into_iter().enumerate() {
            let Some((counts, shared)) = field else {
                continue;
            };
            for (i, (c, s)) in counts.into_iter().zip(shared).enumerate() {
                if let Some(slot) = out.counts.get_mut(i * nf + f) {
                    *slot = c;
                }
                if s && let Some(bits) = out.shared.get_mut(i) {
                    *bits |= 1 << f;
                }
            }
        }
        out
    }

    #[allow(clippy::indexing_slicing)]
    pub(crate) fn count(&self, i: usize, f: usize) -> u32 {
        // invariant: one count per record and field of the batch, and
        // (i, f) is one of them.
        debug_assert!(f < self.fields && i * self.fields + f < self.counts.len());
        self.counts[i * self.fields + f]
    }

    pub(crate) fn shared(&self, i: usize, f: usize) -> bool {
        self.shared.get(i).is_some_and(|b| b & (1 << f) != 0)
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.counts.capacity() * 4 + self.shared.capacity() * 4
    }
}

//! Normalised records in columns (one text buffer per field, no `String`
//! per value), and the per-value statistics that scoring needs: how often
//! a value occurs and how many distinct entities hold it.

use hashbrown::HashMap;

use super::RecordSource;
use super::compare::{Context, FieldKind};
use super::normalize::{foldhash_u64, soundex};
use super::profile::{FieldRole, Profile};
use super::par;

/// One field's normalised values.
#[derive(Debug, Clone, Default)]
pub(crate) struct NormColumn {
    text: String,
    ends: Vec<u32>,
    /// Hash of the normalised value; 0 when absent.
    hash: Vec<u64>,
}

impl NormColumn {
    pub(crate) fn push(&mut self, v: Option<&str>) {
        match v {
            Some(s) => {
                self.text.push_str(s);
                self.hash.push(foldhash_u64(s));
            }
            None => self.hash.push(0),
        }
        self.ends
            .push(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
    }

    pub(crate) fn get(&self, i: usize) -> Option<&str> {
        if self.hash.get(i).copied().unwrap_or(0) == 0 {
            return None;
        }
        let end = *self.ends.get(i)? as usize;
        let start = if i == 0 {
            0
        } else {
            *self.ends.get(i - 1)? as usize
        };
        self.text.get(start..end)
    }

    pub(crate) fn hash(&self, i: usize) -> u64 {
        self.hash.get(i).copied().unwrap_or(0)
    }

    fn append(&mut self, other: NormColumn) {
        let base = u32::try_from(self.text.len()).unwrap_or(u32::MAX);
        self.text.push_str(&other.text);
        self.ends
            .extend(other.ends.iter().map(|e| e.saturating_add(base)));
        self.hash.extend(other.hash);
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.text.capacity() + self.ends.capacity() * 4 + self.hash.capacity() * 8
    }
}

/// Normalised records: one column per profile field, plus each record's
/// entity key (a coarse code of its name; 0 when unknown).
#[derive(Debug, Clone, Default)]
pub(crate) struct NormData {
    pub(crate) cols: Vec<NormColumn>,
    pub(crate) entity: Vec<u32>,
}

impl NormData {
    pub(crate) fn empty(fields: usize) -> Self {
        Self {
            cols: vec![NormColumn::default(); fields],
            entity: Vec::new(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.entity.len()
    }

    pub(crate) fn value(&self, field: usize, i: usize) -> Option<&str> {
        self.cols.get(field).and_then(|c| c.get(i))
    }

    pub(crate) fn hash(&self, field: usize, i: usize) -> u64 {
        self.cols.get(field).map_or(0, |c| c.hash(i))
    }

    /// Normalises and appends one record given its raw values (in profile
    /// field order) and country.
    pub(crate) fn push_raw<'a>(
        &mut self,
        profile: &Profile,
        raw: impl Iterator<Item = Option<&'a str>>,
        country: Option<&str>,
    ) {
        let ctx = Context {
            country: country
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .or(profile.default_country()),
        };
        for ((spec, col), v) in profile.fields().iter().zip(self.cols.iter_mut()).zip(raw) {
            let norm = v
                .filter(|s| !s.trim().is_empty())
                .and_then(|s| spec.comparator.normalize(s, &ctx));
            col.push(norm.as_deref());
        }
        let i = self.entity.len();
        let key = profile
            .entity_field()
            .and_then(|f| {
                let kind = profile.fields().get(f).and_then(|s| s.kind);
                self.value(f, i).map(|v| entity_key(v, kind))
            })
            .unwrap_or(0);
        self.entity.push(key);
    }

    /// Normalises records `order[..]` of `source` (in that order).
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
        let chunks = par::map_chunks(order, 4096, |chunk| {
            let mut d = NormData::empty(nfields);
            for &r in chunk {
                let r = r as usize;
                let raw = columns
                    .iter()
                    .map(|c| c.and_then(|c| source.value(r, c)));
                let cc = country.and_then(|c| source.value(r, c));
                d.push_raw(profile, raw, cc);
            }
            d
        });
        let mut all = NormData::empty(nfields);
        for d in chunks {
            all.append(d);
        }
        all
    }

    /// Appends record `i` of `other` (already normalised).
    pub(crate) fn append_one(&mut self, other: &NormData, i: usize) {
        for (f, c) in self.cols.iter_mut().enumerate() {
            c.push(other.value(f, i));
        }
        self.entity.push(other.entity.get(i).copied().unwrap_or(0));
    }

    /// Record `i` alone.
    pub(crate) fn slice(&self, i: usize) -> NormData {
        let mut d = NormData::empty(self.cols.len());
        d.append_one(self, i);
        d
    }

    /// The records in `order`.
    pub(crate) fn permuted(&self, order: &[u32]) -> NormData {
        let mut d = NormData::empty(self.cols.len());
        for &i in order {
            d.append_one(self, i as usize);
        }
        d
    }

    fn append(&mut self, other: NormData) {
        for (c, o) in self.cols.iter_mut().zip(other.cols) {
            c.append(o);
        }
        self.entity.extend(other.entity);
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.cols.iter().map(NormColumn::heap_bytes).sum::<usize>() + self.entity.capacity() * 4
    }
}

/// A coarse code of a person's name that survives token order, initials
/// and most typos: the Soundex of its longest token (first in byte order
/// on ties).
pub(crate) fn entity_key(normalized: &str, kind: Option<FieldKind>) -> u32 {
    let token = if kind == Some(FieldKind::Surname) {
        normalized
    } else {
        normalized
            .split(' ')
            .fold("", |best, t| {
                if t.len() > best.len() || (t.len() == best.len() && t < best) {
                    t
                } else {
                    best
                }
            })
    };
    soundex(token).max(1)
}

/// How often a value occurs and up to [`MAX_ENTITIES`] distinct entity
/// keys of the records holding it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ValueStat {
    pub(crate) count: u32,
    keys: [u32; MAX_ENTITIES],
}

/// Distinct entities counted per value before "shared by many" saturates.
pub(crate) const MAX_ENTITIES: usize = 4;

impl ValueStat {
    fn add(&mut self, key: u32) {
        self.count = self.count.saturating_add(1);
        if key == 0 || self.keys.contains(&key) {
            return;
        }
        if let Some(slot) = self.keys.iter_mut().find(|k| **k == 0) {
            *slot = key;
        }
    }

    /// Distinct entities (at least 1).
    pub(crate) fn entities(&self) -> u32 {
        (self.keys.iter().filter(|k| **k != 0).count() as u32).max(1)
    }

    /// This stat with one more record holding the value (a query record
    /// not yet inserted).
    pub(crate) fn plus(mut self, key: u32) -> Self {
        self.add(key);
        self
    }
}

/// Value statistics per field, for fields with term frequencies or the
/// contact role.
#[derive(Debug, Clone, Default)]
pub(crate) struct Stats {
    /// Records with a value, per field.
    pub(crate) present: Vec<u64>,
    values: Vec<Option<HashMap<u64, ValueStat, foldhash::fast::FixedState>>>,
}

impl Stats {
    pub(crate) fn new(profile: &Profile) -> Self {
        Self {
            present: vec![0; profile.fields().len()],
            values: profile
                .fields()
                .iter()
                .map(|f| {
                    (f.term_frequency || f.role == FieldRole::Contact).then(|| {
                        HashMap::with_hasher(foldhash::fast::FixedState::with_seed(
                            super::normalize::HASH_SEED,
                        ))
                    })
                })
                .collect(),
        }
    }

    /// Adds record `i` of `data`.
    pub(crate) fn add(&mut self, data: &NormData, i: usize) {
        let key = data.entity.get(i).copied().unwrap_or(0);
        for (f, (present, values)) in self.present.iter_mut().zip(&mut self.values).enumerate() {
            let h = data.hash(f, i);
            if h == 0 {
                continue;
            }
            *present += 1;
            if let Some(map) = values {
                map.entry(h).or_default().add(key);
            }
        }
    }

    /// Statistics of every record of `data`, one field per task.
    pub(crate) fn of(profile: &Profile, data: &NormData) -> Self {
        let mut s = Self::new(profile);
        let n = data.len();
        let per_field = par::map_indices(profile.fields().len(), |f| {
            let col = data.cols.get(f);
            let present = (0..n)
                .filter(|&i| col.is_some_and(|c| c.hash(i) != 0))
                .count() as u64;
            let map = s.values.get(f).and_then(Option::as_ref).map(|proto| {
                let mut map = proto.clone();
                map.reserve(n / 2);
                for i in 0..n {
                    let h = col.map_or(0, |c| c.hash(i));
                    if h != 0 {
                        map.entry(h)
                            .or_default()
                            .add(data.entity.get(i).copied().unwrap_or(0));
                    }
                }
                map
            });
            (present, map)
        });
        for (f, (present, map)) in per_field.into_iter().enumerate() {
            if let Some(p) = s.present.get_mut(f) {
                *p = present;
            }
            if let Some(slot) = s.values.get_mut(f) {
                *slot = map;
            }
        }
        s
    }

    /// The statistics of value `hash` of field `field`.
    pub(crate) fn get(&self, field: usize, hash: u64) -> ValueStat {
        self.values
            .get(field)
            .and_then(Option::as_ref)
            .and_then(|m| m.get(&hash).copied())
            .unwrap_or_default()
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.values
            .iter()
            .flatten()
            .map(|m| m.capacity() * (8 + std::mem::size_of::<ValueStat>() + 1))
            .sum()
    }
}

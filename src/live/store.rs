//! The live ledger: records by id, prospects as clusters of records, and
//! each prospect's events in SPEC §5 order with the classes of its
//! contacts.

use hashbrown::HashMap;

use super::check::{self, Failure, Known};
use super::follow::{Survival, Tracked};
use super::records::RecordTable;
use super::tables::EventTables;
use crate::classify::sequence::{ContactState, Event, EventList};
use crate::classify::{ClassifyConfig, ContactClass};
use crate::dedup::DedupIndex;
use crate::error::{Error, Rejection, Result};
use crate::ingest::partition::SuppliedPartition;
use crate::ledger::{Ledger, LedgerBuilder};
use crate::model::{RecordKind, Records, Rep};
use std::collections::BTreeMap;
use tinyvec::TinyVec;

/// A prospect: its records, the one with the smallest id (the prospect's
/// id, SPEC §4) and its events in SPEC §5 order.
#[derive(Debug, Clone, Default)]
pub(super) struct Cluster {
    /// Its records: two kept inline (most prospects have one).
    pub(super) members: TinyVec<[u32; 2]>,
    pub(super) smallest: u32,
    pub(super) events: EventList,
}

/// A ledger that takes records one at a time and keeps every contact
/// classified (see the [module docs](super)).
#[derive(Debug, Clone)]
pub struct LiveLedger {
    pub(super) config: ClassifyConfig,
    pub(super) dormancy_us: i64,
    pub(super) reps: Vec<Option<Rep>>,
    pub(super) rep_by_id: HashMap<String, u32>,
    /// Records that reference each rep (events and `created_by`).
    pub(super) rep_refs: Vec<u32>,
    pub(super) records: RecordTable,
    pub(super) clusters: Vec<Cluster>,
    pub(super) free_clusters: Vec<u32>,
    pub(super) events: EventTables,
    /// Class and engagement per contact slot.
    pub(super) states: Vec<Option<ContactState>>,
    /// Updates tried per record kind (the `row` of a rejection).
    pub(super) tried: [u64; 5],
    pub(super) dedup: Option<DedupIndex>,
    /// Period and cohort reports kept up to date.
    pub(super) tracked: Vec<Tracked>,
    /// Engagements kept for the survival curves, when tracked.
    pub(super) survival: Option<Survival>,
    /// Accepted sales per currency code (absent: the empty code).
    pub(super) currencies: BTreeMap<String, u64>,
}

impl Known for LiveLedger {
    fn rep_slot(&self, rep_id: &str) -> Option<u32> {
        self.rep_by_id.get(rep_id).copied()
    }

    fn record_slot(&self, record_id: &str) -> Option<u32> {
        self.records.find(record_id)
    }
}

pub(super) fn kind_slot(kind: RecordKind) -> usize {
    match kind {
        RecordKind::Rep => 0,
        RecordKind::Prospect => 1,
        RecordKind::Contact => 2,
        RecordKind::Meeting => 3,
        RecordKind::Sale => 4,
    }
}

pub(super) fn not_found(kind: RecordKind, id: &str) -> Error {
    Error::InvalidArgument {
        what: format!("{kind} `{id}`"),
        reason: "no accepted record has this id".to_owned(),
    }
}

impl LiveLedger {
    /// An empty live ledger: every prospect record is a prospect of its
    /// own until merged ([`LiveLedger::merge_prospects`]).
    pub fn new(config: ClassifyConfig) -> Self {
        Self {
            config,
            dormancy_us: config.dormancy.num_microseconds().unwrap_or(i64::MAX),
            reps: Vec::new(),
            rep_by_id: HashMap::new(),
            rep_refs: Vec::new(),
            records: RecordTable::default(),
            clusters: Vec::new(),
            free_clusters: Vec::new(),
            events: EventTables::default(),
            states: Vec::new(),
            tried: [0; 5],
            dedup: None,
            tracked: Vec::new(),
            survival: None,
            currencies: BTreeMap::new(),
        }
    }

    /// An empty live ledger that deduplicates each prospect record at
    /// entry with `index` (load the CRM's known records into it first, or
    /// start it empty): a record joins the prospect of the records the
    /// index joins it to, and its [`ProspectEntry`](super::ProspectEntry) carries the evidence.
    pub fn with_dedup(config: ClassifyConfig, index: DedupIndex) -> Self {
        let mut live = Self::new(config);
        live.dedup = Some(index);
        live
    }

    /// Deduplicates prospect records added from now on with `index`
    /// (`None`: no deduplication at entry).
    pub fn set_dedup(&mut self, index: Option<DedupIndex>) {
        self.dedup = index;
    }

    /// Makes room for `additional` more records of `kind`, so that adding
    /// them never waits for a table to grow (a table that doubles copies
    /// or rehashes everything it holds: at millions of records, one
    /// update in a million takes tens to hundreds of milliseconds). Call
    /// it with the size a CRM expects, as with `Vec::reserve`.
    pub fn reserve(&mut self, kind: RecordKind, additional: usize) {
        // Ids of about a dozen bytes (`c000123456`); longer ones grow the
        // text buffer, which copies without rehashing.
        const ID_LEN: usize = 12;
        match kind {
            RecordKind::Rep => self.reps.reserve(additional),
            RecordKind::Prospect => {
                self.records.reserve(additional, ID_LEN);
                self.clusters.reserve(additional);
            }
            RecordKind::Contact => {
                self.events.contacts.reserve(additional, ID_LEN);
                self.states.reserve(additional);
            }
            RecordKind::Meeting => self.events.meetings.reserve(additional, ID_LEN),
            RecordKind::Sale => self.events.sales.reserve(additional, ID_LEN),
        }
    }

    /// The classification settings.
    pub fn config(&self) -> &ClassifyConfig {
        &self.config
    }

    /// The next `row` of a rejection of `kind`.
    pub(super) fn next_row(&mut self, kind: RecordKind) -> u64 {
        let n = self.tried.get_mut(kind_slot(kind));
        debug_assert!(n.is_some());
        n.map_or(0, |n| {
            *n += 1;
            *n
        })
    }

    pub(super) fn reject(kind: RecordKind, row: u64, id: &str, (field, reason): Failure) -> Error {
        Error::Rejected {
            rejections: vec![Rejection {
                kind,
                row,
                id: id.to_owned(),
                field: field.to_owned(),
                reason,
            }],
        }
    }

    // ---- reps ---------------------------------------------------------

    /// Adds a rep.
    ///
    /// # Errors
    /// [`Error::Rejected`] as SPEC §3 says (absent id, negative target,
    /// repeated id); nothing changes.
    pub fn add_rep(&mut self, rep: &Rep) -> Result<()> {
        let row = self.next_row(RecordKind::Rep);
        let id = rep.rep_id.as_str();
        let failure = check::rep(rep).or_else(|| {
            self.rep_by_id
                .contains_key(id)
                .then_some(("rep_id", crate::Reason::DuplicateId))
        });
        if let Some(f) = failure {
            return Err(Self::reject(RecordKind::Rep, row, id, f));
        }
        let at = self.reps.len() as u32;
        self.rep_by_id.insert(id.to_owned(), at);
        self.reps.push(Some(rep.clone()));
        self.rep_refs.push(0);
        Ok(())
    }

    /// Replaces the rep with the same id (a correction: name, team,
    /// target).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when no rep has the id;
    /// [`Error::Rejected`] when the new version fails SPEC §3.
    pub fn replace_rep(&mut self, rep: &Rep) -> Result<()> {
        let row = self.next_row(RecordKind::Rep);
        let id = rep.rep_id.as_str();
        if let Some(f) = check::rep(rep) {
            return Err(Self::reject(RecordKind::Rep, row, id, f));
        }
        let at = self
            .rep_by_id
            .get(id)
            .copied()
            .ok_or_else(|| not_found(RecordKind::Rep, id))?;
        if let Some(slot) = self.reps.get_mut(at as usize) {
            *slot = Some(rep.clone());
        }
        Ok(())
    }

    /// Removes a rep that no record references.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when no rep has the id, or records still
    /// reference it (remove or correct them first).
    pub fn remove_rep(&mut self, rep_id: &str) -> Result<()> {
        let at = self
            .rep_by_id
            .get(rep_id)
            .copied()
            .ok_or_else(|| not_found(RecordKind::Rep, rep_id))?;
        let refs = self.rep_refs.get(at as usize).copied().unwrap_or_default();
        if refs > 0 {
            return Err(Error::InvalidArgument {
                what: format!("rep `{rep_id}`"),
                reason: format!("{refs} record(s) still reference it"),
            });
        }
        self.rep_by_id.remove(rep_id);
        if let Some(slot) = self.reps.get_mut(at as usize) {
            *slot = None;
        }
        Ok(())
    }

    pub(super) fn add_rep_ref(&mut self, rep: u32, by: i32) {
        if let Some(n) = self.rep_refs.get_mut(rep as usize) {
            *n = n.saturating_add_signed(by);
        }
    }

    // ---- reading ------------------------------------------------------

    /// The class of a contact, by id.
    pub fn class(&self, contact_id: &str) -> Option<ContactClass> {
        let slot = self.events.contacts.find(contact_id)?;
        self.states
            .get(slot as usize)
            .copied()
            .flatten()
            .map(|s| s.class)
    }

    /// The contact that started a contact's engagement (`None` for an
    /// unknown contact or a customer contact).
    pub fn engagement_of(&self, contact_id: &str) -> Option<&str> {
        let slot = self.events.contacts.find(contact_id)?;
        let start = self
            .states
            .get(slot as usize)
            .copied()
            .flatten()?
            .engagement?;
        Some(self.contact_id(start))
    }

    /// The prospect (cluster) id of a prospect record.
    pub fn prospect_of(&self, record_id: &str) -> Option<&str> {
        let r = self.records.find(record_id)?;
        Some(self.cluster_id(self.record(r)?.cluster))
    }

    /// Accepted records of `kind` now in the ledger.
    pub fn count(&self, kind: RecordKind) -> usize {
        match kind {
            RecordKind::Rep => self.rep_by_id.len(),
            RecordKind::Prospect => self.records.count(),
            RecordKind::Contact => self.events.contacts.count(),
            RecordKind::Meeting => self.events.meetings.count(),
            RecordKind::Sale => self.events.sales.count(),
        }
    }

    /// Approximate heap bytes held by the live ledger, reports kept up to
    /// date and the deduplication index aside (compare with
    /// [`Ledger::heap_bytes`]).
    pub fn heap_bytes(&self) -> usize {
        let clusters: usize = self
            .clusters
            .iter()
            .map(|c| spilled(&c.members) + spilled(&c.events))
            .sum();
        self.records.heap_bytes()
            + self.events.heap_bytes()
            + self.clusters.capacity() * size_of::<Cluster>()
            + clusters
            + self.states.capacity() * size_of::<Option<ContactState>>()
            + self.free_clusters.capacity() * 4
            + self.reps.capacity() * size_of::<Option<Rep>>()
    }

    /// Frees the room the ledger's tables keep for growth, as
    /// [`Vec::shrink_to_fit`] does: call it after a bulk load, when few
    /// appends are expected before the next snapshot. Restoring a snapshot
    /// and [`LiveLedger::from_ledger`] leave no such room; appends after
    /// this grow the tables again.
    pub fn shrink_to_fit(&mut self) {
        self.records.shrink_to_fit();
        self.events.shrink_to_fit();
        crate::par::for_each_mut(&mut self.clusters, |c| {
            c.members.shrink_to_fit();
            c.events.shrink_to_fit();
        });
        self.clusters.shrink_to_fit();
        self.free_clusters.shrink_to_fit();
        self.states.shrink_to_fit();
        self.reps.shrink_to_fit();
        self.rep_refs.shrink_to_fit();
    }

    /// The accepted records, each kind in the order its ids first arrived
    /// (a corrected record where its first version was; an id removed and
    /// added again where it first arrived).
    pub fn to_records(&self) -> Records {
        Records {
            reps: self.reps.iter().flatten().cloned().collect(),
            prospects: self
                .records
                .iter()
                .filter_map(|(r, _)| self.records.record(r, |rep| self.rep_id_of(rep)))
                .collect(),
            contacts: self
                .events
                .contacts(|r| self.rep_id_of(r), |r| self.record_id_of(r))
                .collect(),
            meetings: self
                .events
                .meetings(|r| self.rep_id_of(r), |r| self.record_id_of(r))
                .collect(),
            sales: self
                .events
                .sales(|r| self.rep_id_of(r), |r| self.record_id_of(r))
                .collect(),
        }
    }

    /// The live prospects as a partition: each record of a prospect with
    /// more than one record, in arrival order, with its prospect id.
    pub fn partition(&self) -> SuppliedPartition {
        let mut p = SuppliedPartition::new();
        for (r, s) in self.records.iter() {
            let Some(c) = self.cluster(s.cluster) else {
                continue;
            };
            if c.members.len() > 1 {
                p.insert(self.records.id(r), self.cluster_id(s.cluster));
            }
        }
        p
    }

    /// The batch ledger of the accepted records, with the live prospects as
    /// its partition: [`classify`](crate::classify) on it gives the live
    /// classes, and the reports run on it.
    ///
    /// # Errors
    /// None in practice (every record was accepted); whatever
    /// [`LedgerBuilder::build`] returns.
    pub fn to_ledger(&self) -> Result<Ledger> {
        let mut b = LedgerBuilder::new();
        b.partition(self.partition());
        b.add_records(self.to_records());
        b.build()
    }
}

pub(super) fn event_record(events: &EventTables, e: Event) -> Option<u32> {
    events.refs(e.kind, e.slot).map(|r| r.2)
}

pub(super) fn too_many() -> Error {
    Error::InvalidArgument {
        what: "live ledger".to_owned(),
        reason: "more than 4 billion ids of one record kind".to_owned(),
    }
}

/// Sets a cluster's smallest record (its prospect id, SPEC §4: byte order).
pub(super) fn cluster_set_smallest(live: &mut LiveLedger, cluster: u32) {
    let Some(c) = live.clusters.get(cluster as usize) else {
        return;
    };
    let smallest = c
        .members
        .iter()
        .filter_map(|&m| live.record(m).map(|_| (live.records.id(m), m)))
        .min()
        .map(|(_, m)| m);
    if let (Some(s), Some(c)) = (smallest, live.clusters.get_mut(cluster as usize)) {
        c.smallest = s;
    }
}

/// Heap bytes of a list that outgrew its inline room (inline room is part
/// of its owner's size).
fn spilled<A: tinyvec::Array>(list: &TinyVec<A>) -> usize {
    match list {
        TinyVec::Inline(_) => 0,
        TinyVec::Heap(v) => v.capacity() * size_of::<A::Item>(),
    }
}

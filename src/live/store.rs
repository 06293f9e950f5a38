//! The live ledger: records by id, prospects as clusters of records, and
//! each prospect's events in SPEC §5 order with the classes of its
//! contacts.

use hashbrown::HashMap;

use super::check::{self, Failure, Known};
use super::entry::{ClassChange, ContactEntry, ProspectEntry};
use super::follow::{Fact, Survival, Tracked};
use super::order::{self, ContactState, Event, EventFacts, EventKind};
use super::records::{RecordRow, RecordTable};
use super::tables::{ContactRow, EventTables, MeetingRow, SaleRow, Slot};
use crate::classify::{ClassifyConfig, ContactClass, Newness};
use crate::dedup::DedupIndex;
use crate::error::{Error, Rejection, Result};
use crate::ingest::partition::SuppliedPartition;
use crate::ledger::{Ledger, LedgerBuilder};
use crate::model::{
    Contact, ContactId, Meeting, ProspectId, ProspectRecord, RecordKind, Records, Rep, Sale,
};
use crate::report::survival::Milestone;
use crate::report::{CohortReport, PeriodReport, PeriodSpec, SurvivalCurve};
use crate::time::from_micros;
use chrono::TimeDelta;
use std::collections::BTreeMap;

/// A prospect: its records, the one with the smallest id (the prospect's
/// id, SPEC §4) and its events in SPEC §5 order.
#[derive(Debug, Clone, Default)]
struct Cluster {
    members: Vec<u32>,
    smallest: u32,
    events: Vec<Event>,
}

/// A ledger that takes records one at a time and keeps every contact
/// classified (see the [module docs](super)).
#[derive(Debug, Clone)]
pub struct LiveLedger {
    config: ClassifyConfig,
    dormancy_us: i64,
    reps: Vec<Option<Rep>>,
    rep_by_id: HashMap<String, u32>,
    /// Records that reference each rep (events and `created_by`).
    rep_refs: Vec<u32>,
    records: RecordTable,
    clusters: Vec<Cluster>,
    free_clusters: Vec<u32>,
    events: EventTables,
    /// Class and engagement per contact slot.
    states: Vec<Option<ContactState>>,
    /// Updates tried per record kind (the `row` of a rejection).
    tried: [u64; 5],
    dedup: Option<DedupIndex>,
    /// Period and cohort reports kept up to date.
    tracked: Vec<Tracked>,
    /// Engagements kept for the survival curves, when tracked.
    survival: Option<Survival>,
    /// Accepted sales per currency code (absent: the empty code).
    currencies: BTreeMap<String, u64>,
}

impl Known for LiveLedger {
    fn has_rep(&self, rep_id: &str) -> bool {
        self.rep_by_id.contains_key(rep_id)
    }

    fn has_record(&self, record_id: &str) -> bool {
        self.records.find(record_id).is_some()
    }
}

fn kind_slot(kind: RecordKind) -> usize {
    match kind {
        RecordKind::Rep => 0,
        RecordKind::Prospect => 1,
        RecordKind::Contact => 2,
        RecordKind::Meeting => 3,
        RecordKind::Sale => 4,
    }
}

fn not_found(kind: RecordKind, id: &str) -> Error {
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
    /// index joins it to, and its [`ProspectEntry`] carries the evidence.
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
    fn next_row(&mut self, kind: RecordKind) -> u64 {
        let n = self.tried.get_mut(kind_slot(kind));
        debug_assert!(n.is_some());
        n.map_or(0, |n| {
            *n += 1;
            *n
        })
    }

    fn reject(kind: RecordKind, row: u64, id: &str, (field, reason): Failure) -> Error {
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
    pub fn add_rep(&mut self, rep: Rep) -> Result<()> {
        let row = self.next_row(RecordKind::Rep);
        let id = rep.rep_id.as_str();
        let failure = check::rep(&rep).or_else(|| {
            self.rep_by_id
                .contains_key(id)
                .then_some(("rep_id", crate::Reason::DuplicateId))
        });
        if let Some(f) = failure {
            return Err(Self::reject(RecordKind::Rep, row, id, f));
        }
        let at = self.reps.len() as u32;
        self.rep_by_id.insert(id.to_owned(), at);
        self.reps.push(Some(rep));
        self.rep_refs.push(0);
        Ok(())
    }

    /// Replaces the rep with the same id (a correction: name, team,
    /// target).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when no rep has the id;
    /// [`Error::Rejected`] when the new version fails SPEC §3.
    pub fn replace_rep(&mut self, rep: Rep) -> Result<()> {
        let row = self.next_row(RecordKind::Rep);
        let id = rep.rep_id.as_str();
        if let Some(f) = check::rep(&rep) {
            return Err(Self::reject(RecordKind::Rep, row, id, f));
        }
        let at = self
            .rep_by_id
            .get(id)
            .copied()
            .ok_or_else(|| not_found(RecordKind::Rep, id))?;
        if let Some(slot) = self.reps.get_mut(at as usize) {
            *slot = Some(rep);
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

    fn rep_index(&self, rep_id: &str) -> u32 {
        let at = self.rep_by_id.get(rep_id).copied();
        debug_assert!(at.is_some(), "checked before");
        at.unwrap_or_default()
    }

    fn add_rep_ref(&mut self, rep: u32, by: i32) {
        if let Some(n) = self.rep_refs.get_mut(rep as usize) {
            *n = n.saturating_add_signed(by);
        }
    }

    // ---- prospect records and prospects ---------------------------------

    /// Adds a prospect record. With deduplication at entry it joins the
    /// prospect of the records the index matches it to (the entry says
    /// which, with the evidence); otherwise it is a prospect of its own.
    ///
    /// # Errors
    /// [`Error::Rejected`] as SPEC §3 says (absent id, unknown
    /// `created_by`, repeated id); nothing changes.
    pub fn add_prospect(&mut self, record: ProspectRecord) -> Result<ProspectEntry> {
        let row = self.next_row(RecordKind::Prospect);
        let id = record.prospect_id.as_str().to_owned();
        let failure = check::prospect(&record, self).or_else(|| {
            self.records
                .find(&id)
                .map(|_| ("prospect_id", crate::Reason::DuplicateId))
        });
        if let Some(f) = failure {
            return Err(Self::reject(RecordKind::Prospect, row, &id, f));
        }
        let r = self.insert_record(&record)?;
        let matches = self.dedup_at_entry(&record);
        let mut changes = Vec::new();
        if let Some(index) = &self.dedup {
            let joined = index.cluster_id(&id).map(str::to_owned);
            let partners: Vec<u32> = matches
                .iter()
                .filter(|m| joined.is_some() && index.cluster_id(&m.record_id) == joined.as_deref())
                .filter_map(|m| self.records.find(m.record_id.as_str()))
                .collect();
            for other in partners {
                changes.extend(self.merge_records(r, other));
            }
        }
        let cluster = self.cluster_of(r);
        Ok(ProspectEntry {
            prospect_id: ProspectId::new(self.cluster_id(cluster)),
            new_prospect: self.cluster(cluster).is_some_and(|c| c.members.len() == 1),
            matches,
            changes,
        })
    }

    /// The index's matches for `record`, inserting it into the index (an
    /// id the index already holds, from a record since removed, is only
    /// queried).
    fn dedup_at_entry(&mut self, record: &ProspectRecord) -> Vec<crate::dedup::IndexMatch> {
        let Some(index) = self.dedup.as_mut() else {
            return Vec::new();
        };
        let one = std::slice::from_ref(record);
        if index.cluster_id(record.prospect_id.as_str()).is_some() {
            return index.query(one, 0);
        }
        index.insert(one, 0).unwrap_or_else(|_| index.query(one, 0))
    }

    /// Stores a checked record as a prospect of its own.
    fn insert_record(&mut self, record: &ProspectRecord) -> Result<u32> {
        let created_by = self.creator(record);
        let r = self
            .records
            .insert(record, created_by, 0)
            .ok_or_else(too_many)?;
        if let Some(rep) = created_by {
            self.add_rep_ref(rep, 1);
        }
        let cluster = self.new_cluster(r);
        if let Some(row) = self.records.get_mut(r) {
            row.cluster = cluster;
        }
        Ok(r)
    }

    /// The slot of a (checked) record's creator, if it names one.
    fn creator(&self, record: &ProspectRecord) -> Option<u32> {
        let by = record.created_by.as_ref().map(|b| b.as_str())?;
        (!by.is_empty()).then(|| self.rep_index(by))
    }

    fn new_cluster(&mut self, record: u32) -> u32 {
        let c = Cluster {
            members: vec![record],
            smallest: record,
            events: Vec::new(),
        };
        match self.free_clusters.pop() {
            Some(at) => {
                if let Some(slot) = self.clusters.get_mut(at as usize) {
                    *slot = c;
                }
                at
            }
            None => {
                self.clusters.push(c);
                (self.clusters.len() - 1) as u32
            }
        }
    }

    /// Replaces the prospect record with the same id (its details; the
    /// prospect it belongs to stays).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when no record has the id;
    /// [`Error::Rejected`] when the new version fails SPEC §3.
    pub fn replace_prospect(&mut self, record: ProspectRecord) -> Result<()> {
        let row = self.next_row(RecordKind::Prospect);
        let id = record.prospect_id.as_str().to_owned();
        if let Some(f) = check::prospect(&record, self) {
            return Err(Self::reject(RecordKind::Prospect, row, &id, f));
        }
        let r = self
            .records
            .find(&id)
            .ok_or_else(|| not_found(RecordKind::Prospect, &id))?;
        let new_by = self.creator(&record);
        if let Some(rep) = self.record(r).and_then(|s| s.created_by) {
            self.add_rep_ref(rep, -1);
        }
        if let Some(rep) = new_by {
            self.add_rep_ref(rep, 1);
        }
        self.records.replace_details(r, &record, new_by);
        Ok(())
    }

    /// Removes a prospect record that no contact, meeting or sale
    /// references (it leaves its prospect).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when no record has the id, or events
    /// still reference it.
    pub fn remove_prospect(&mut self, record_id: &str) -> Result<()> {
        let r = self.record_index(record_id)?;
        let (events, cluster, by) = match self.record(r) {
            Some(s) => (s.events, s.cluster, s.created_by),
            None => return Err(not_found(RecordKind::Prospect, record_id)),
        };
        if events > 0 {
            return Err(Error::InvalidArgument {
                what: format!("prospect record `{record_id}`"),
                reason: format!("{events} contact(s), meeting(s) or sale(s) still reference it"),
            });
        }
        if let Some(rep) = by {
            self.add_rep_ref(rep, -1);
        }
        self.records.remove(r);
        if let Some(c) = self.clusters.get_mut(cluster as usize) {
            c.members.retain(|&m| m != r);
        }
        self.release_if_empty(cluster);
        cluster_set_smallest(self, cluster);
        Ok(())
    }

    /// Merges the prospects of two prospect records (a CRM's merge):
    /// returns the contacts whose class or engagement changed.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when either id names no record.
    pub fn merge_prospects(&mut self, record_a: &str, record_b: &str) -> Result<Vec<ClassChange>> {
        let a = self.record_index(record_a)?;
        let b = self.record_index(record_b)?;
        Ok(self.merge_records(a, b))
    }

    /// Takes a prospect record out of its prospect into a prospect of its
    /// own, with the events that reference it (a CRM's split): returns
    /// the contacts whose class or engagement changed.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when no record has the id.
    pub fn split_prospect(&mut self, record_id: &str) -> Result<Vec<ClassChange>> {
        let r = self.record_index(record_id)?;
        let from = self.cluster_of(r);
        if self.cluster(from).is_none_or(|c| c.members.len() < 2) {
            return Ok(Vec::new());
        }
        let mut moved = Vec::new();
        if let Some(c) = self.clusters.get_mut(from as usize) {
            c.members.retain(|&m| m != r);
            let events = std::mem::take(&mut c.events);
            let (mine, rest): (Vec<Event>, Vec<Event>) = events
                .into_iter()
                .partition(|&e| event_record(&self.events, e) == Some(r));
            c.events = rest;
            moved = mine;
        }
        let to = self.new_cluster(r);
        if let Some(c) = self.clusters.get_mut(to as usize) {
            c.events = moved;
        }
        if let Some(row) = self.records.get_mut(r) {
            row.cluster = to;
        }
        cluster_set_smallest(self, from);
        let mut changes = self.reclassify(from, None);
        changes.extend(self.reclassify(to, None));
        Ok(changes)
    }

    fn record_index(&self, record_id: &str) -> Result<u32> {
        self.records
            .find(record_id)
            .ok_or_else(|| not_found(RecordKind::Prospect, record_id))
    }

    fn merge_records(&mut self, a: u32, b: u32) -> Vec<ClassChange> {
        let (ca, cb) = (self.cluster_of(a), self.cluster_of(b));
        if ca == cb {
            return Vec::new();
        }
        // Keep the larger cluster; move the smaller one's records.
        let size = |c: u32| {
            self.cluster(c)
                .map_or(0, |c| c.members.len() + c.events.len())
        };
        let (keep, gone) = if size(ca) >= size(cb) {
            (ca, cb)
        } else {
            (cb, ca)
        };
        let taken = self
            .clusters
            .get_mut(gone as usize)
            .map(std::mem::take)
            .unwrap_or_default();
        for &m in &taken.members {
            if let Some(row) = self.records.get_mut(m) {
                row.cluster = keep;
            }
        }
        let smallest = match self.cluster(keep) {
            Some(c) if self.records.id(c.smallest) <= self.records.id(taken.smallest) => c.smallest,
            _ => taken.smallest,
        };
        if let Some(c) = self.clusters.get_mut(keep as usize) {
            let events = std::mem::take(&mut c.events);
            c.events = order::merge(&self.events, &events, &taken.events);
            c.members.extend(taken.members);
            c.smallest = smallest;
        }
        for tracked in &mut self.tracked {
            tracked.forget(gone);
        }
        if let Some(s) = &mut self.survival {
            s.forget(gone);
        }
        self.free_clusters.push(gone);
        self.reclassify(keep, None)
    }

    fn release_if_empty(&mut self, cluster: u32) {
        if self.cluster(cluster).is_some_and(|c| c.members.is_empty()) {
            self.free_clusters.push(cluster);
        }
    }

    fn record(&self, r: u32) -> Option<&RecordRow> {
        self.records.get(r)
    }

    fn cluster(&self, c: u32) -> Option<&Cluster> {
        self.clusters.get(c as usize)
    }

    fn cluster_of(&self, r: u32) -> u32 {
        let c = self.record(r).map(|s| s.cluster);
        debug_assert!(c.is_some(), "records referenced are live");
        c.unwrap_or_default()
    }

    /// The prospect id of a cluster: its smallest record id (SPEC §4).
    fn cluster_id(&self, c: u32) -> &str {
        self.cluster(c)
            .map(|c| self.records.id(c.smallest))
            .unwrap_or_default()
    }

    // ---- events -------------------------------------------------------

    /// Adds a contact and classifies it: its class, engagement, the touches
    /// so far, the last touch before it and, when it arrived out of order,
    /// the other contacts whose class changed.
    ///
    /// # Errors
    /// [`Error::Rejected`] as SPEC §3 says; nothing changes.
    pub fn add_contact(&mut self, contact: Contact) -> Result<ContactEntry> {
        let slot = self.stage_contact(contact)?;
        let cluster = self.place(EventKind::Contact, slot);
        let latest = self
            .cluster(cluster)
            .and_then(|c| c.events.last())
            .is_some_and(|e| e.kind == EventKind::Contact && e.slot == slot);
        // A contact after every event of its prospect changes no other
        // class: it is classified from the events just before it, unless
        // reports kept up to date need the prospect recounted anyway.
        if latest && self.tracked.is_empty() && self.survival.is_none() {
            self.classify_latest(cluster, slot);
            return self.entry(slot, Vec::new());
        }
        let changes = self.reclassify(cluster, Some(slot));
        self.entry(slot, changes)
    }

    /// Classifies contact `slot`, the latest event of prospect `cluster`:
    /// walks back to the latest earlier contact of its lane (or a sale, or
    /// a customer contact, which make it a customer contact too).
    fn classify_latest(&mut self, cluster: u32, slot: u32) {
        let events = self.cluster(cluster).map_or(&[][..], |c| &c.events[..]);
        let Some((&me, before)) = events.split_last() else {
            return;
        };
        let lane = |e: Event| match self.config.newness {
            Newness::Organisation => true,
            Newness::PerRep => self.events.rep(e) == self.events.rep(me),
        };
        let mut previous = None;
        let mut sold = false;
        for &e in before.iter().rev() {
            match e.kind {
                EventKind::Sale => sold = true,
                EventKind::Meeting => continue,
                EventKind::Contact => {
                    let Some(state) = self.states.get(e.slot as usize).copied().flatten() else {
                        continue;
                    };
                    if state.class == ContactClass::Customer {
                        sold = true;
                    } else if lane(e) {
                        previous = Some((state, me.time_us.saturating_sub(e.time_us)));
                    } else {
                        continue;
                    }
                }
            }
            break;
        }
        let state = if sold {
            ContactState::CUSTOMER
        } else {
            ContactState::after(previous, slot, self.dormancy_us)
        };
        if let Some(s) = self.states.get_mut(slot as usize) {
            *s = Some(state);
        }
    }

    /// Checks a contact (SPEC §3, repeated id last) and stores it, not yet
    /// placed among its prospect's events.
    pub(super) fn stage_contact(&mut self, contact: Contact) -> Result<u32> {
        let row = self.next_row(RecordKind::Contact);
        let id = contact.contact_id.as_str();
        let failure = check::contact(&contact, self).or_else(|| {
            self.events
                .contacts
                .find(id)
                .map(|_| ("contact_id", crate::Reason::DuplicateId))
        });
        if let Some(f) = failure {
            return Err(Self::reject(RecordKind::Contact, row, id, f));
        }
        self.store_contact(&contact)
    }

    /// Replaces the contact with the same id by a new version (a
    /// correction): returns its entry, with the other contacts whose class
    /// changed.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when no contact has the id;
    /// [`Error::Rejected`] when the new version fails SPEC §3.
    pub fn replace_contact(&mut self, contact: Contact) -> Result<ContactEntry> {
        let row = self.next_row(RecordKind::Contact);
        let id = contact.contact_id.as_str().to_owned();
        if let Some(f) = check::contact(&contact, self) {
            return Err(Self::reject(RecordKind::Contact, row, &id, f));
        }
        let slot = self
            .events
            .contacts
            .find(&id)
            .ok_or_else(|| not_found(RecordKind::Contact, &id))?;
        let (rep, record) = self.refs_of(contact.rep_id.as_str(), contact.prospect_id.as_str());
        let row = ContactRow::of(&contact);
        let changes = self.replace_event(EventKind::Contact, slot, |t| {
            t.contacts.set(slot, Slot { row, rep, record });
        });
        self.entry(slot, changes)
    }

    /// Removes a contact: returns the contacts whose class changed.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when no contact has the id.
    pub fn remove_contact(&mut self, contact_id: &str) -> Result<Vec<ClassChange>> {
        let slot = self
            .events
            .contacts
            .find(contact_id)
            .ok_or_else(|| not_found(RecordKind::Contact, contact_id))?;
        let cluster = self.detach(EventKind::Contact, slot);
        if let Some(s) = self.states.get_mut(slot as usize) {
            *s = None;
        }
        // Reported while the removed contact can still name the
        // engagements it started.
        let changes = self.reclassify(cluster, None);
        self.events.contacts.take(slot);
        Ok(changes)
    }

    /// Adds a meeting (meetings do not change classes, but they count in
    /// the reports).
    ///
    /// # Errors
    /// [`Error::Rejected`] as SPEC §3 says; nothing changes.
    pub fn add_meeting(&mut self, meeting: Meeting) -> Result<()> {
        let slot = self.stage_meeting(meeting)?;
        let cluster = self.place(EventKind::Meeting, slot);
        self.refresh_reports(cluster);
        Ok(())
    }

    /// Checks a meeting and stores it, not yet placed.
    pub(super) fn stage_meeting(&mut self, meeting: Meeting) -> Result<u32> {
        let row = self.next_row(RecordKind::Meeting);
        let id = meeting.meeting_id.as_str();
        let failure = check::meeting(&meeting, self).or_else(|| {
            self.events
                .meetings
                .find(id)
                .map(|_| ("meeting_id", crate::Reason::DuplicateId))
        });
        if let Some(f) = failure {
            return Err(Self::reject(RecordKind::Meeting, row, id, f));
        }
        self.store_meeting(&meeting)
    }

    /// Replaces the meeting with the same id (a correction).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when no meeting has the id;
    /// [`Error::Rejected`] when the new version fails SPEC §3.
    pub fn replace_meeting(&mut self, meeting: Meeting) -> Result<()> {
        let row = self.next_row(RecordKind::Meeting);
        let id = meeting.meeting_id.as_str().to_owned();
        if let Some(f) = check::meeting(&meeting, self) {
            return Err(Self::reject(RecordKind::Meeting, row, &id, f));
        }
        let slot = self
            .events
            .meetings
            .find(&id)
            .ok_or_else(|| not_found(RecordKind::Meeting, &id))?;
        let (rep, record) = self.refs_of(meeting.rep_id.as_str(), meeting.prospect_id.as_str());
        let row = MeetingRow::of(&meeting);
        self.replace_event(EventKind::Meeting, slot, |t| {
            t.meetings.set(slot, Slot { row, rep, record });
        });
        Ok(())
    }

    /// Removes a meeting.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when no meeting has the id.
    pub fn remove_meeting(&mut self, meeting_id: &str) -> Result<()> {
        let slot = self
            .events
            .meetings
            .find(meeting_id)
            .ok_or_else(|| not_found(RecordKind::Meeting, meeting_id))?;
        let cluster = self.detach(EventKind::Meeting, slot);
        self.events.meetings.take(slot);
        self.refresh_reports(cluster);
        Ok(())
    }

    /// Adds a sale: returns the contacts whose class changed (a sale
    /// before existing contacts makes them customer contacts).
    ///
    /// # Errors
    /// [`Error::Rejected`] as SPEC §3 says; nothing changes.
    pub fn add_sale(&mut self, sale: Sale) -> Result<Vec<ClassChange>> {
        let slot = self.stage_sale(sale)?;
        let cluster = self.place(EventKind::Sale, slot);
        Ok(self.reclassify(cluster, None))
    }

    /// Checks a sale and stores it, not yet placed.
    pub(super) fn stage_sale(&mut self, sale: Sale) -> Result<u32> {
        let row = self.next_row(RecordKind::Sale);
        let id = sale.sale_id.as_str();
        let failure = check::sale(&sale, self).or_else(|| {
            self.events
                .sales
                .find(id)
                .map(|_| ("sale_id", crate::Reason::DuplicateId))
        });
        if let Some(f) = failure {
            return Err(Self::reject(RecordKind::Sale, row, id, f));
        }
        self.store_sale(&sale)
    }

    /// Replaces the sale with the same id (a correction): returns the
    /// contacts whose class changed.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when no sale has the id;
    /// [`Error::Rejected`] when the new version fails SPEC §3.
    pub fn replace_sale(&mut self, sale: Sale) -> Result<Vec<ClassChange>> {
        let row = self.next_row(RecordKind::Sale);
        let id = sale.sale_id.as_str().to_owned();
        if let Some(f) = check::sale(&sale, self) {
            return Err(Self::reject(RecordKind::Sale, row, &id, f));
        }
        let slot = self
            .events
            .sales
            .find(&id)
            .ok_or_else(|| not_found(RecordKind::Sale, &id))?;
        let (rep, record) = self.refs_of(sale.rep_id.as_str(), sale.prospect_id.as_str());
        let row = SaleRow::of(&sale);
        Ok(self.replace_event(EventKind::Sale, slot, |t| {
            t.sales.set(slot, Slot { row, rep, record });
        }))
    }

    /// Removes a sale: returns the contacts whose class changed.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when no sale has the id.
    pub fn remove_sale(&mut self, sale_id: &str) -> Result<Vec<ClassChange>> {
        let slot = self
            .events
            .sales
            .find(sale_id)
            .ok_or_else(|| not_found(RecordKind::Sale, sale_id))?;
        let cluster = self.detach(EventKind::Sale, slot);
        let changes = self.reclassify(cluster, None);
        self.events.sales.take(slot);
        Ok(changes)
    }

    /// Takes an event out of its prospect, stores its new version in the
    /// same slot (`store`) and puts it back where the new version goes;
    /// returns the other contacts whose class changed.
    fn replace_event(
        &mut self,
        kind: EventKind,
        slot: u32,
        store: impl FnOnce(&mut EventTables),
    ) -> Vec<ClassChange> {
        let before = self.detach(kind, slot);
        store(&mut self.events);
        let after = self.place(kind, slot);
        let subject = (kind == EventKind::Contact).then_some(slot);
        let mut changes = Vec::new();
        if before != after {
            changes = self.reclassify(before, subject);
        }
        changes.extend(self.reclassify(after, subject));
        changes
    }

    fn refs_of(&self, rep_id: &str, record_id: &str) -> (u32, u32) {
        let record = self.records.find(record_id);
        debug_assert!(record.is_some(), "checked before");
        (self.rep_index(rep_id), record.unwrap_or_default())
    }

    fn store_contact(&mut self, c: &Contact) -> Result<u32> {
        let (rep, record) = self.refs_of(c.rep_id.as_str(), c.prospect_id.as_str());
        let row = ContactRow::of(c);
        let slot = self
            .events
            .contacts
            .push(c.contact_id.as_str(), Slot { row, rep, record })
            .ok_or_else(too_many)?;
        self.states.resize(self.events.contacts.slots(), None);
        Ok(slot)
    }

    fn store_meeting(&mut self, m: &Meeting) -> Result<u32> {
        let (rep, record) = self.refs_of(m.rep_id.as_str(), m.prospect_id.as_str());
        let row = MeetingRow::of(m);
        self.events
            .meetings
            .push(m.meeting_id.as_str(), Slot { row, rep, record })
            .ok_or_else(too_many)
    }

    fn store_sale(&mut self, s: &Sale) -> Result<u32> {
        let (rep, record) = self.refs_of(s.rep_id.as_str(), s.prospect_id.as_str());
        let row = SaleRow::of(s);
        self.events
            .sales
            .push(s.sale_id.as_str(), Slot { row, rep, record })
            .ok_or_else(too_many)
    }

    /// Puts a stored event into its prospect's list at its SPEC §5 place;
    /// returns the prospect (cluster).
    fn place(&mut self, kind: EventKind, slot: u32) -> u32 {
        let Some((time_us, rep, record)) = self.events.refs(kind, slot) else {
            debug_assert!(false, "a stored event");
            return 0;
        };
        self.add_rep_ref(rep, 1);
        self.count_currency(kind, slot, 1);
        if let Some(s) = &mut self.survival {
            s.count_time(time_us, 1);
        }
        let cluster = self.cluster_of(record);
        if let Some(r) = self.records.get_mut(record) {
            r.events += 1;
        }
        let e = Event {
            time_us,
            kind,
            slot,
        };
        if let Some(c) = self.clusters.get_mut(cluster as usize) {
            let at = order::insertion_point(&self.events, &c.events, e);
            c.events.insert(at, e);
        }
        cluster
    }

    /// Takes a stored event out of its prospect's list (it stays in its
    /// table); returns the prospect.
    fn detach(&mut self, kind: EventKind, slot: u32) -> u32 {
        let Some((time_us, rep, record)) = self.events.refs(kind, slot) else {
            debug_assert!(false, "a stored event");
            return 0;
        };
        self.add_rep_ref(rep, -1);
        self.count_currency(kind, slot, -1);
        if let Some(s) = &mut self.survival {
            s.count_time(time_us, -1);
        }
        let cluster = self.cluster_of(record);
        if let Some(r) = self.records.get_mut(record) {
            r.events = r.events.saturating_sub(1);
        }
        if let Some(c) = self.clusters.get_mut(cluster as usize) {
            c.events.retain(|e| !(e.kind == kind && e.slot == slot));
        }
        cluster
    }

    /// Classifies a prospect's contacts again; returns those whose class
    /// or engagement changed, `subject` (a contact just stored) aside.
    fn reclassify(&mut self, cluster: u32, subject: Option<u32>) -> Vec<ClassChange> {
        let Some(c) = self.clusters.get(cluster as usize) else {
            return Vec::new();
        };
        let states = order::classify_events(
            &self.events,
            &c.events,
            self.config.newness,
            self.dormancy_us,
        );
        let mut changes = Vec::new();
        for (slot, new) in states {
            let Some(old_slot) = self.states.get_mut(slot as usize) else {
                continue;
            };
            let old = old_slot.replace(new);
            if Some(slot) == subject {
                continue;
            }
            if let Some(old) = old
                && old.differs(&new)
            {
                changes.push((slot, old, new));
            }
        }
        self.refresh_reports(cluster);
        changes
            .into_iter()
            .map(|(slot, old, new)| ClassChange {
                contact_id: ContactId::new(self.contact_id(slot)),
                from: old.class,
                to: new.class,
                from_engagement: old.engagement.map(|s| ContactId::new(self.contact_id(s))),
                to_engagement: new.engagement.map(|s| ContactId::new(self.contact_id(s))),
            })
            .collect()
    }

    fn contact_id(&self, slot: u32) -> &str {
        self.events.id(Event {
            time_us: 0,
            kind: EventKind::Contact,
            slot,
        })
    }

    /// The entry of a classified contact: class and context.
    fn entry(&self, slot: u32, changes: Vec<ClassChange>) -> Result<ContactEntry> {
        let Some(state) = self.states.get(slot as usize).copied().flatten() else {
            debug_assert!(false, "classified just now");
            return Err(Error::InvalidArgument {
                what: format!("contact `{}`", self.contact_id(slot)),
                reason: "internal: not classified after it was stored".to_owned(),
            });
        };
        let record = self.events.contacts.get(slot).map_or(0, |s| s.record);
        let cluster = self.cluster_of(record);
        let events = self.cluster(cluster).map_or(&[][..], |c| &c.events[..]);
        // The latest event first: where a contact usually is.
        let at = events
            .iter()
            .rposition(|e| e.kind == EventKind::Contact && e.slot == slot)
            .unwrap_or_default();
        let before = events.get(..at).unwrap_or_default();
        let touches = state.touch;
        let last = before
            .iter()
            .rev()
            .find(|e| e.kind == EventKind::Contact)
            .and_then(|e| Some((e.slot, self.events.contacts.get(e.slot)?)));
        let me = self.events.contacts.get(slot).map(|s| s.row.occurred_us);
        let customer_since = (state.class == ContactClass::Customer)
            .then(|| before.iter().find(|e| e.kind == EventKind::Sale))
            .flatten()
            .map(|e| from_micros(e.time_us));
        Ok(ContactEntry {
            class: state.class,
            prospect_id: ProspectId::new(self.cluster_id(cluster)),
            engagement: state.engagement.map(|s| ContactId::new(self.contact_id(s))),
            engagement_started: state
                .engagement
                .and_then(|s| self.events.contacts.get(s))
                .map(|s| from_micros(s.row.occurred_us)),
            touches,
            last_touch: last.map(|(l, s)| {
                self.events
                    .contact(l, s, self.rep_id_of(s.rep), self.record_id_of(s.record))
            }),
            since_last_touch: last
                .zip(me)
                .map(|((_, l), me)| TimeDelta::microseconds(me.saturating_sub(l.row.occurred_us))),
            customer_since,
            changes,
        })
    }

    // ---- loading many records at once -----------------------------------

    /// What a snapshot holds of the ledger.
    pub(super) fn parts(&self) -> (&[Option<Rep>], &RecordTable, &EventTables, [u64; 5]) {
        (&self.reps, &self.records, &self.events, self.tried)
    }

    /// The ledger of a snapshot's parts: every reference and value checked,
    /// prospects and counts rebuilt, every prospect's events sorted and
    /// classified once.
    ///
    /// # Errors
    /// What is inconsistent (a snapshot damaged or not written by this
    /// crate).
    pub(super) fn from_parts(
        config: ClassifyConfig,
        reps: Vec<Option<Rep>>,
        mut records: RecordTable,
        mut events: EventTables,
        tried: [u64; 5],
    ) -> std::result::Result<Self, String> {
        let mut live = LiveLedger::new(config);
        for (i, rep) in reps.iter().enumerate() {
            let Some(rep) = rep else { continue };
            let id = rep.rep_id.as_str();
            if check::rep(rep).is_some() || live.rep_by_id.insert(id.to_owned(), i as u32).is_some()
            {
                return Err(format!("rep {id:?} fails the checks of SPEC §3"));
            }
        }
        let rep_ok = |r: u32| reps.get(r as usize).is_some_and(Option::is_some);
        records.restore(rep_ok)?;
        let record_ok = |r: u32| records.get(r).is_some();
        events
            .contacts
            .restore(rep_ok, record_ok, ContactRow::is_valid)?;
        events.meetings.restore(rep_ok, record_ok, |_| true)?;
        events.sales.restore(rep_ok, record_ok, SaleRow::is_valid)?;
        live.rep_refs = vec![0; reps.len()];
        live.reps = reps;
        live.records = records;
        live.events = events;
        live.tried = tried;
        live.rebuild_prospects()?;
        live.rebuild_events();
        live.sort_and_classify_all();
        Ok(live)
    }

    /// Forms the prospects from the records' cluster numbers (renumbered
    /// densely), with their smallest records.
    fn rebuild_prospects(&mut self) -> std::result::Result<(), String> {
        // A snapshot numbers at most one prospect per record slot.
        let slots = self
            .records
            .iter()
            .map(|(r, _)| r as usize + 1)
            .max()
            .unwrap_or(0);
        let mut dense: Vec<Option<u32>> = vec![None; slots];
        self.clusters.reserve_exact(self.records.count());
        let members: Vec<(u32, u32)> = self
            .records
            .iter()
            .map(|(r, row)| (r, row.cluster))
            .collect();
        for (r, old) in members {
            let Some(entry) = dense.get_mut(old as usize) else {
                return Err(format!("prospect number {old} out of range"));
            };
            let c = match *entry {
                Some(c) => c,
                None => {
                    let c = self.clusters.len() as u32;
                    *entry = Some(c);
                    self.clusters.push(Cluster {
                        members: Vec::new(),
                        smallest: r,
                        events: Vec::new(),
                    });
                    c
                }
            };
            // Records come in slot order, not id order: keep the smallest.
            let smaller = self
                .cluster(c)
                .is_some_and(|cl| self.records.id(r) < self.records.id(cl.smallest));
            if let Some(cluster) = self.clusters.get_mut(c as usize) {
                cluster.members.push(r);
                if smaller {
                    cluster.smallest = r;
                }
            }
            if let Some(row) = self.records.get_mut(r) {
                row.cluster = c;
            }
            if let Some(by) = self.records.get(r).and_then(|row| row.created_by) {
                self.add_rep_ref(by, 1);
            }
        }
        Ok(())
    }

    /// Puts every stored event into its prospect (unsorted), with the
    /// reference counts and currencies; each prospect's list allocated
    /// once, at its size.
    fn rebuild_events(&mut self) {
        self.states = vec![None; self.events.contacts.slots()];
        let total =
            self.events.contacts.count() + self.events.meetings.count() + self.events.sales.count();
        let mut placed: Vec<(u32, Event)> = Vec::with_capacity(total);
        for kind in [EventKind::Contact, EventKind::Meeting, EventKind::Sale] {
            let slots: Vec<u32> = match kind {
                EventKind::Contact => self.events.contacts.iter().map(|(s, _)| s).collect(),
                EventKind::Meeting => self.events.meetings.iter().map(|(s, _)| s).collect(),
                EventKind::Sale => self.events.sales.iter().map(|(s, _)| s).collect(),
            };
            for slot in slots {
                let Some((time_us, rep, record)) = self.events.refs(kind, slot) else {
                    continue;
                };
                self.add_rep_ref(rep, 1);
                self.count_currency(kind, slot, 1);
                let Some(row) = self.records.get_mut(record) else {
                    continue;
                };
                row.events += 1;
                placed.push((
                    row.cluster,
                    Event {
                        time_us,
                        kind,
                        slot,
                    },
                ));
            }
        }
        let mut sizes = vec![0usize; self.clusters.len()];
        for (c, _) in &placed {
            if let Some(n) = sizes.get_mut(*c as usize) {
                *n += 1;
            }
        }
        for (c, n) in self.clusters.iter_mut().zip(sizes) {
            c.events.reserve_exact(n);
        }
        for (c, e) in placed {
            if let Some(cluster) = self.clusters.get_mut(c as usize) {
                cluster.events.push(e);
            }
        }
    }

    /// Sorts every prospect's events and classifies its contacts.
    pub(super) fn sort_and_classify_all(&mut self) {
        let (newness, dormancy_us) = (self.config.newness, self.dormancy_us);
        let mut lanes = order::Lanes::default();
        let states = &mut self.states;
        for c in &mut self.clusters {
            c.events
                .sort_unstable_by(|&a, &b| order::compare(&self.events, a, b));
            order::classify_into(
                &self.events,
                &c.events,
                newness,
                dormancy_us,
                &mut lanes,
                |slot, state| {
                    if let Some(s) = states.get_mut(slot as usize) {
                        *s = Some(state);
                    }
                },
            );
        }
    }

    // ---- reports that follow -------------------------------------------

    /// Keeps the period and cohort reports over `spec` (scope:
    /// everything) up to date from now on: [`LiveLedger::period_report`]
    /// and [`LiveLedger::cohort_report`] read them at once, and every
    /// update costs the events of the prospects it touches. Tracking a
    /// spec already tracked does nothing.
    pub fn track_periods(&mut self, spec: PeriodSpec) {
        if self.tracked.iter().any(|t| *t.spec() == spec) {
            return;
        }
        self.tracked.push(Tracked::new(spec));
        for c in 0..self.clusters.len() as u32 {
            self.refresh_reports(c);
        }
    }

    fn tracked_for(&self, spec: &PeriodSpec) -> Result<&Tracked> {
        self.tracked
            .iter()
            .find(|t| t.spec() == spec)
            .ok_or_else(|| Error::InvalidArgument {
                what: "period spec".to_owned(),
                reason: "not tracked by this live ledger (call track_periods first)".to_owned(),
            })
    }

    fn record_id_of(&self, record: u32) -> &str {
        self.record(record).map_or("", |_| self.records.id(record))
    }

    fn rep_id_of(&self, rep: u32) -> &str {
        self.reps
            .get(rep as usize)
            .and_then(Option::as_ref)
            .map_or("", |r| r.rep_id.as_str())
    }

    /// The period report over a tracked `spec`, scope everything: equal to
    /// `classify(&live.to_ledger()?, config).period_report(&Scope::all(),
    /// spec)`, without rebuilding anything.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `spec` is not tracked
    /// ([`LiveLedger::track_periods`]).
    pub fn period_report(&self, spec: &PeriodSpec) -> Result<PeriodReport> {
        let tracked = self.tracked_for(spec)?;
        Ok(tracked
            .periods
            .report(|r| self.rep_id_of(r), &self.currencies))
    }

    /// The cohort report over a tracked `spec`, scope everything: equal to
    /// the batch `cohort_report(&Scope::all(), spec)` on
    /// [`LiveLedger::to_ledger`].
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `spec` is not tracked.
    pub fn cohort_report(&self, spec: &PeriodSpec) -> Result<CohortReport> {
        let tracked = self.tracked_for(spec)?;
        Ok(tracked.cohorts.report(|r| self.rep_id_of(r)))
    }

    /// Keeps every engagement for the survival curves from now on
    /// ([`LiveLedger::time_to_win`], [`LiveLedger::time_to_first_meeting`]).
    pub fn track_survival(&mut self) {
        if self.survival.is_some() {
            return;
        }
        let mut s = Survival::default();
        for c in &self.clusters {
            for e in &c.events {
                s.count_time(e.time_us, 1);
            }
        }
        self.survival = Some(s);
        for c in 0..self.clusters.len() as u32 {
            self.refresh_reports(c);
        }
    }

    /// Kaplan–Meier curve of days from engagement start to the win, scope
    /// everything, censored at `as_of` (default: the latest event time):
    /// equal to the batch `time_to_win(&Scope::all(), as_of)` on
    /// [`LiveLedger::to_ledger`]. Reads the kept engagements, so a query
    /// costs their number, not the ledger's events.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless [`LiveLedger::track_survival`] was
    /// called.
    pub fn time_to_win(
        &self,
        as_of: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<SurvivalCurve> {
        Ok(self.survival()?.curve(Milestone::Win, as_of))
    }

    /// As [`LiveLedger::time_to_win`], to the first held meeting.
    ///
    /// # Errors
    /// As [`LiveLedger::time_to_win`].
    pub fn time_to_first_meeting(
        &self,
        as_of: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<SurvivalCurve> {
        Ok(self.survival()?.curve(Milestone::FirstMeeting, as_of))
    }

    fn survival(&self) -> Result<&Survival> {
        self.survival
            .as_ref()
            .ok_or_else(|| Error::InvalidArgument {
                what: "survival curve".to_owned(),
                reason: "not tracked by this live ledger (call track_survival first)".to_owned(),
            })
    }

    /// Whether survival curves are kept (for snapshots).
    pub(super) fn tracks_survival(&self) -> bool {
        self.survival.is_some()
    }

    /// The specs of the reports kept up to date.
    pub(super) fn tracked_periods(&self) -> impl Iterator<Item = &PeriodSpec> + '_ {
        self.tracked.iter().map(Tracked::spec)
    }

    /// A prospect's events as the period report reads them.
    fn facts(&self, cluster: u32) -> impl Iterator<Item = (i64, u32, Fact<'_>)> + '_ {
        let events = self.cluster(cluster).map_or(&[][..], |c| &c.events[..]);
        events.iter().filter_map(move |e| {
            let fact = match e.kind {
                EventKind::Contact => {
                    let s = self.events.contacts.get(e.slot)?;
                    let class = self.states.get(e.slot as usize).copied().flatten()?.class;
                    (
                        s.rep,
                        Fact::Contact {
                            class,
                            channel: s.row.channel,
                            duration_s: s.row.duration_s(),
                        },
                    )
                }
                EventKind::Meeting => {
                    let s = self.events.meetings.get(e.slot)?;
                    (s.rep, Fact::Meeting(s.row.status))
                }
                EventKind::Sale => {
                    let s = self.events.sales.get(e.slot)?;
                    (
                        s.rep,
                        Fact::Sale {
                            amount_minor: s.row.amount_minor,
                            currency: s.row.currency_code(),
                        },
                    )
                }
            };
            Some((e.time_us, fact.0, fact.1))
        })
    }

    /// Recomputes a prospect's part of every tracked report.
    fn refresh_reports(&mut self, cluster: u32) {
        if self.tracked.is_empty() && self.survival.is_none() {
            return;
        }
        let events = self.cluster(cluster).map_or(&[][..], |c| &c.events[..]);
        let engagements = order::engagements_of(
            &self.events,
            events,
            self.config.newness,
            self.dormancy_us,
            cluster,
        );
        let parts: Vec<_> = self
            .tracked
            .iter()
            .map(|t| {
                (
                    t.periods.part_of(self.facts(cluster)),
                    t.cohorts.part_of(&engagements),
                )
            })
            .collect();
        for (tracked, (periods, cohorts)) in self.tracked.iter_mut().zip(parts) {
            tracked.periods.set_part(cluster, periods);
            tracked.cohorts.set_part(cluster, cohorts);
        }
        if let Some(s) = &mut self.survival {
            s.set_part(cluster, engagements);
        }
    }

    /// Counts a sale's currency in or out (`by` is 1 or -1).
    fn count_currency(&mut self, kind: EventKind, slot: u32, by: i64) {
        if kind != EventKind::Sale {
            return;
        }
        let Some(s) = self.events.sales.get(slot) else {
            return;
        };
        let code = s.row.currency_code();
        match self.currencies.get_mut(code) {
            Some(n) => {
                *n = n.saturating_add_signed(by);
                if *n == 0 {
                    self.currencies.remove(code);
                }
            }
            None if by > 0 => {
                self.currencies.insert(code.to_owned(), by.unsigned_abs());
            }
            None => {}
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
            .map(|c| c.members.capacity() * 4 + c.events.capacity() * size_of::<Event>())
            .sum();
        self.records.heap_bytes()
            + self.events.heap_bytes()
            + self.clusters.capacity() * size_of::<Cluster>()
            + clusters
            + self.states.capacity() * size_of::<Option<ContactState>>()
            + self.free_clusters.capacity() * 4
            + self.reps.capacity() * size_of::<Option<Rep>>()
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

fn event_record(events: &EventTables, e: Event) -> Option<u32> {
    events.refs(e.kind, e.slot).map(|r| r.2)
}

fn too_many() -> Error {
    Error::InvalidArgument {
        what: "live ledger".to_owned(),
        reason: "more than 4 billion ids of one record kind".to_owned(),
    }
}

/// Sets a cluster's smallest record (its prospect id, SPEC §4: byte order).
fn cluster_set_smallest(live: &mut LiveLedger, cluster: u32) {
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

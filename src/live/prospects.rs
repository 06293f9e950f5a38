//! Prospect records and prospects of the live ledger: adding (with
//! deduplication at entry), correcting and removing records, merging and
//! splitting prospects.

use super::check;
use super::entry::{ClassChange, ProspectEntry};
use super::records::RecordRow;
use super::store::{Cluster, LiveLedger, cluster_set_smallest, event_record, not_found, too_many};
use crate::classify::sequence::{self as order, EventList};
use crate::error::{Error, Result};
use crate::model::{ProspectId, ProspectRecord, RecordKind};

impl LiveLedger {
    /// Adds a prospect record. With deduplication at entry it joins the
    /// prospect of the records the index matches it to (the entry says
    /// which, with the evidence); otherwise it is a prospect of its own.
    ///
    /// # Errors
    /// [`Error::Rejected`] as SPEC §3 says (absent id, unknown
    /// `created_by`, repeated id); nothing changes.
    pub fn add_prospect(&mut self, record: &ProspectRecord) -> Result<ProspectEntry> {
        let row = self.next_row(RecordKind::Prospect);
        let id = record.prospect_id.as_str().to_owned();
        let failure = check::prospect(record, self).or_else(|| {
            self.records
                .find(&id)
                .map(|_| ("prospect_id", crate::Reason::DuplicateId))
        });
        if let Some(f) = failure {
            return Err(Self::reject(RecordKind::Prospect, row, &id, f));
        }
        let r = self.insert_record(record)?;
        let matches = self.dedup_at_entry(record);
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
    pub(super) fn dedup_at_entry(
        &mut self,
        record: &ProspectRecord,
    ) -> Vec<crate::dedup::IndexMatch> {
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
    pub(super) fn insert_record(&mut self, record: &ProspectRecord) -> Result<u32> {
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
    pub(super) fn creator(&self, record: &ProspectRecord) -> Option<u32> {
        let by = record.created_by.as_ref().map(|b| b.as_str())?;
        self.rep_by_id.get(by).copied()
    }

    pub(super) fn new_cluster(&mut self, record: u32) -> u32 {
        let mut c = Cluster {
            smallest: record,
            ..Cluster::default()
        };
        c.members.push(record);
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
    pub fn replace_prospect(&mut self, record: &ProspectRecord) -> Result<()> {
        let row = self.next_row(RecordKind::Prospect);
        let id = record.prospect_id.as_str().to_owned();
        if let Some(f) = check::prospect(record, self) {
            return Err(Self::reject(RecordKind::Prospect, row, &id, f));
        }
        let r = self
            .records
            .find(&id)
            .ok_or_else(|| not_found(RecordKind::Prospect, &id))?;
        let new_by = self.creator(record);
        if let Some(rep) = self.record(r).and_then(|s| s.created_by) {
            self.add_rep_ref(rep, -1);
        }
        if let Some(rep) = new_by {
            self.add_rep_ref(rep, 1);
        }
        self.records.replace_details(r, record, new_by);
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
        let mut moved = EventList::default();
        if let Some(c) = self.clusters.get_mut(from as usize) {
            c.members.retain(|&m| m != r);
            let events = std::mem::take(&mut c.events);
            let (mine, rest): (EventList, EventList) = events
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

    pub(super) fn record_index(&self, record_id: &str) -> Result<u32> {
        self.records
            .find(record_id)
            .ok_or_else(|| not_found(RecordKind::Prospect, record_id))
    }

    pub(super) fn merge_records(&mut self, a: u32, b: u32) -> Vec<ClassChange> {
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

    pub(super) fn release_if_empty(&mut self, cluster: u32) {
        if self.cluster(cluster).is_some_and(|c| c.members.is_empty()) {
            self.free_clusters.push(cluster);
        }
    }

    pub(super) fn record(&self, r: u32) -> Option<&RecordRow> {
        self.records.get(r)
    }

    pub(super) fn cluster(&self, c: u32) -> Option<&Cluster> {
        self.clusters.get(c as usize)
    }

    pub(super) fn cluster_of(&self, r: u32) -> u32 {
        let c = self.record(r).map(|s| s.cluster);
        debug_assert!(c.is_some(), "records referenced are live");
        c.unwrap_or_default()
    }

    /// The prospect id of a cluster: its smallest record id (SPEC §4).
    pub(super) fn cluster_id(&self, c: u32) -> &str {
        self.cluster(c)
            .map(|c| self.records.id(c.smallest))
            .unwrap_or_default()
    }
}

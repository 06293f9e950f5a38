//! [`Ledger`]: the validated, interned, columnar store that every
//! computation reads, and [`LedgerBuilder`], which validates records per
//! SPEC §3 and groups prospect records into prospects per SPEC §4.
//!
//! Layout (DESIGN.md "Performance shape"): ids are interned once; reps,
//! prospect records, contacts, meetings and sales are re-indexed densely in
//! byte order of their ids, so index order *is* output order; events are
//! one flat vector grouped per prospect and sorted by (time, kind rank, id).

mod build;
mod builder;
mod events;
mod export;
mod identity;
mod rows;
#[cfg(test)]
mod tests;
mod validate;

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::dedup::{Deduplicate, ProspectRecords, RecordSource};
use crate::error::{Error, Reason, Rejection, Result, Warning};
use crate::ingest::stage::{KindCounts, Staging};
use crate::ingest::{
    ContactFields, MeetingFields, ProspectFields, RecordSink, SaleFields, SuppliedPartition,
};
use crate::intern::{Interner, TextColumn};
use crate::model::{
    Contact, Meeting, ProspectRecord, ProspectRecordId, RecordKind, Records, Rep, RepId, Sale,
    Source,
};
use chrono::{DateTime, Utc};

use crate::time::{from_micros, to_micros};
use std::sync::atomic::AtomicU32;
use std::sync::atomic::Ordering::Relaxed;

pub(crate) use crate::ingest::stage::ContactRow;
pub(crate) use crate::intern::NONE;

pub use builder::{LedgerBuilder, load_folder};
pub(crate) use identity::ProspectIdentity;
pub(crate) use rows::{Event, EventKind, MeetingRow, SaleRow};

/// Strict or lenient loading (SPEC §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Any rejection fails the whole load with [`Error::Rejected`].
    #[default]
    Strict,
    /// Load the rest and keep the rejections in [`Ledger::rejections`].
    Lenient,
}

/// The validated, interned, columnar store of one load.
///
/// Reps, prospect records, contacts, meetings and sales are indexed densely
/// in byte order of their ids; prospects (clusters of records) in byte
/// order of their cluster ids. Events are grouped per prospect and sorted
/// by SPEC §5's order.
#[derive(Debug, Clone)]
pub struct Ledger {
    reps: Vec<Rep>,
    rep_team: Vec<u32>,
    teams: Vec<String>,
    records: ProspectRecords,
    record_prospect: Vec<u32>,
    prospect_records_offsets: Vec<u32>,
    prospect_records: Vec<u32>,
    contact_ids: TextColumn,
    contacts: Vec<ContactRow>,
    meeting_ids: TextColumn,
    meetings: Vec<MeetingRow>,
    sale_ids: TextColumn,
    sales: Vec<SaleRow>,
    currencies: Vec<String>,
    events: Vec<Event>,
    event_offsets: Vec<u32>,
    /// Earliest and latest event time in µs (`None` without events): kept
    /// because reports and detectors ask for it several times a run.
    time_span_us: Option<(i64, i64)>,
    /// Position in `events` of each contact, meeting and sale.
    contact_pos: Vec<u32>,
    meeting_pos: Vec<u32>,
    sale_pos: Vec<u32>,
    rejections: Vec<Rejection>,
    warnings: Vec<Warning>,
    inputs: KindCounts,
}

impl Ledger {
    /// A new builder.
    pub fn builder() -> LedgerBuilder {
        LedgerBuilder::new()
    }

    /// Accepted reps in id byte order (index = rep index).
    pub fn reps(&self) -> &[Rep] {
        &self.reps
    }

    /// The id of rep `rep` (empty if out of range).
    pub(crate) fn rep_id(&self, rep: u32) -> &str {
        self.reps
            .get(rep as usize)
            .map_or("", |r| r.rep_id.as_str())
    }

    /// The rep index of `rep_id`.
    pub(crate) fn rep_index(&self, rep_id: &str) -> Option<u32> {
        self.reps
            .binary_search_by(|r| r.rep_id.as_str().as_bytes().cmp(rep_id.as_bytes()))
            .ok()
            .map(|i| i as u32)
    }

    /// The team index of rep `rep`, if the rep has a team.
    pub(crate) fn rep_team(&self, rep: u32) -> Option<u32> {
        self.rep_team
            .get(rep as usize)
            .copied()
            .filter(|&t| t != NONE)
    }

    /// Team ids (index = team index), in first-seen order of reps.
    pub fn teams(&self) -> &[String] {
        &self.teams
    }

    /// The team index of `team_id`.
    pub(crate) fn team_index(&self, team_id: &str) -> Option<u32> {
        self.teams
            .iter()
            .position(|t| t == team_id)
            .map(|i| i as u32)
    }

    /// Accepted prospect records, in id byte order.
    pub(crate) fn records(&self) -> &ProspectRecords {
        &self.records
    }

    /// The accepted prospect records, in id byte order, as deduplication
    /// reads them: ids are `prospect_id`s, columns SPEC §2's `name`,
    /// `company`, `email`, `phone`, `city` and `country`. They are what
    /// the ledger's [`Deduplicate`] grouped: rerun a
    /// [`Dedup`](crate::dedup::Dedup) on them for the evidence behind its
    /// clusters. (Their number is
    /// [`accepted_count(RecordKind::Prospect)`](Ledger::accepted_count).)
    ///
    /// # Example
    /// ```
    /// use sales_metrics::dedup::Dedup;
    /// use sales_metrics::{LedgerBuilder, ProspectRecord};
    ///
    /// let mut b = LedgerBuilder::new();
    /// for (id, name, company) in [("p1", "Ion Popescu", "Alfa SRL"), ("p2", "Popescu Ion", "Alfa S.R.L.")] {
    ///     let mut record = ProspectRecord::new(id);
    ///     record.name = Some(name.to_owned());
    ///     record.company = Some(company.to_owned());
    ///     b.add_prospect(record);
    /// }
    /// let ledger = b.build()?;
    /// assert_eq!(ledger.prospect_of("p2"), Some("p1"));
    /// let run = Dedup::prospect().run(ledger.record_source())?;
    /// let why = run.evidence("p1");
    /// assert_eq!((why[0].left.as_str(), why[0].right.as_str()), ("p1", "p2"));
    /// # Ok::<(), sales_metrics::Error>(())
    /// ```
    pub fn record_source(&self) -> &impl RecordSource {
        &self.records
    }

    /// The prospect (cluster) of record `record`.
    pub(crate) fn record_prospect(&self, record: u32) -> Option<u32> {
        self.record_prospect
            .get(record as usize)
            .copied()
            .filter(|&p| p != NONE)
    }

    /// Number of prospects (clusters of records).
    pub fn prospect_count(&self) -> usize {
        self.prospect_records_offsets.len().saturating_sub(1)
    }

    /// The prospect (cluster) ids, in prospect order (by smallest record
    /// id). A cluster is named by its smallest record id (SPEC §4).
    pub fn prospect_ids(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.prospect_count() as u32).map(|p| self.prospect_id(p))
    }

    /// The prospect (cluster) id of the accepted prospect record
    /// `record_id`, if there is one.
    ///
    /// # Example
    /// ```
    /// use sales_metrics::{LedgerBuilder, ProspectRecord, SuppliedPartition};
    ///
    /// let mut b = LedgerBuilder::new();
    /// for id in ["p1", "p2", "p3"] {
    ///     b.add_prospect(ProspectRecord::new(id));
    /// }
    /// b.partition([("p1", "x"), ("p3", "x")].into_iter().collect::<SuppliedPartition>());
    /// let ledger = b.build()?;
    /// assert_eq!(ledger.prospect_count(), 2);
    /// assert_eq!(ledger.prospect_of("p3"), Some("p1"));
    /// assert_eq!(ledger.prospect_of("p2"), Some("p2"));
    /// assert_eq!(ledger.prospect_of("nope"), None);
    /// assert_eq!(ledger.records_of("p1").collect::<Vec<_>>(), ["p1", "p3"]);
    /// # Ok::<(), sales_metrics::Error>(())
    /// ```
    pub fn prospect_of(&self, record_id: &str) -> Option<&str> {
        let record = self.record_index(record_id)?;
        self.record_prospect(record).map(|p| self.prospect_id(p))
    }

    /// The record ids of the prospect (cluster) `prospect_id`, ascending
    /// (the first is the cluster id); none when it names no prospect.
    pub fn records_of(&self, prospect_id: &str) -> impl Iterator<Item = &str> + '_ {
        let prospect = self
            .record_index(prospect_id)
            .and_then(|r| self.record_prospect(r))
            .filter(|&p| self.prospect_id(p) == prospect_id);
        prospect
            .map_or(&[][..], |p| self.prospect_records(p))
            .iter()
            .filter_map(|&r| self.records.prospect_id(r as usize))
    }

    /// The index of the accepted record `record_id` (records are in id
    /// byte order).
    pub(crate) fn record_index(&self, record_id: &str) -> Option<u32> {
        let (mut lo, mut hi) = (0usize, self.records.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self
                .records
                .prospect_id(mid)?
                .as_bytes()
                .cmp(record_id.as_bytes())
            {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid as u32),
            }
        }
        None
    }

    /// The record indices of prospect `prospect`, ascending (the first is
    /// the cluster's smallest id).
    pub(crate) fn prospect_records(&self, prospect: u32) -> &[u32] {
        let p = prospect as usize;
        match (
            self.prospect_records_offsets.get(p),
            self.prospect_records_offsets.get(p + 1),
        ) {
            // invariant: offsets ascend within `prospect_records`.
            #[allow(clippy::indexing_slicing)]
            (Some(&a), Some(&b)) => {
                debug_assert!(a <= b && b as usize <= self.prospect_records.len());
                &self.prospect_records[a as usize..b as usize]
            }
            _ => &[],
        }
    }

    /// The cluster id of prospect `prospect`: its smallest `prospect_id`.
    pub(crate) fn prospect_id(&self, prospect: u32) -> &str {
        self.prospect_records(prospect)
            .first()
            .and_then(|&r| self.records.prospect_id(r as usize))
            .unwrap_or("")
    }

    /// The source of prospect `prospect`: that of its cluster-id record,
    /// else the first record (in id order) that has one.
    pub(crate) fn prospect_source(&self, prospect: u32) -> Option<Source> {
        self.prospect_records(prospect)
            .iter()
            .find_map(|&r| self.records.source(r as usize))
    }

    /// Accepted contacts in id byte order.
    pub(crate) fn contacts(&self) -> &[ContactRow] {
        &self.contacts
    }

    /// The id of contact `i`.
    pub(crate) fn contact_id(&self, i: u32) -> &str {
        self.contact_ids.get(i as usize).unwrap_or("")
    }

    /// Accepted meetings in id byte order.
    pub(crate) fn meetings(&self) -> &[MeetingRow] {
        &self.meetings
    }

    /// The id of meeting `i`.
    pub(crate) fn meeting_id(&self, i: u32) -> &str {
        self.meeting_ids.get(i as usize).unwrap_or("")
    }

    /// The id of sale `i`.
    pub(crate) fn sale_id(&self, i: u32) -> &str {
        self.sale_ids.get(i as usize).unwrap_or("")
    }

    /// The rep of an event (for unit tests that recompute reports
    /// straight from the events).
    #[cfg(test)]
    pub(crate) fn event_rep(&self, e: &Event) -> u32 {
        match e.kind {
            EventKind::Contact => self.contacts.get(e.index as usize).map_or(NONE, |c| c.rep),
            EventKind::Meeting => self.meetings.get(e.index as usize).map_or(NONE, |m| m.rep),
            EventKind::Sale => self.sales.get(e.index as usize).map_or(NONE, |s| s.rep),
        }
    }

    /// Accepted sales in id byte order.
    pub(crate) fn sales(&self) -> &[SaleRow] {
        &self.sales
    }

    /// The currency codes of accepted sales, in byte order (the empty code
    /// stands for sales without one).
    pub fn currencies(&self) -> &[String] {
        &self.currencies
    }

    /// The currency code of a sale (empty when absent).
    pub(crate) fn currency(&self, index: u32) -> &str {
        self.currencies
            .get(index as usize)
            .map_or("", String::as_str)
    }

    /// All events, grouped per prospect in prospect order.
    pub(crate) fn events(&self) -> &[Event] {
        &self.events
    }

    /// The events of prospect `prospect`, in SPEC §5 order.
    pub(crate) fn prospect_events(&self, prospect: u32) -> &[Event] {
        let p = prospect as usize;
        match (self.event_offsets.get(p), self.event_offsets.get(p + 1)) {
            // invariant: offsets ascend within `events`.
            #[allow(clippy::indexing_slicing)]
            (Some(&a), Some(&b)) => {
                debug_assert!(a <= b && b as usize <= self.events.len());
                &self.events[a as usize..b as usize]
            }
            _ => &[],
        }
    }

    /// Offsets of each prospect's events in [`Ledger::events`] (length
    /// prospects + 1), for splitting work by prospect.
    pub(crate) fn event_offsets(&self) -> &[u32] {
        &self.event_offsets
    }

    /// Earliest and latest event time, if there are events.
    pub fn time_span(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        self.time_span_us()
            .map(|(lo, hi)| (from_micros(lo), from_micros(hi)))
    }

    /// Earliest and latest event time in µs, if there are events.
    pub(crate) fn time_span_us(&self) -> Option<(i64, i64)> {
        self.time_span_us
    }

    /// Records rejected in lenient mode (empty in strict mode).
    pub fn rejections(&self) -> &[Rejection] {
        &self.rejections
    }

    /// Warnings raised while building (for example unknown ids in a
    /// supplied partition).
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// Records of `kind` given as input (accepted + rejected).
    pub fn input_count(&self, kind: RecordKind) -> u64 {
        self.inputs.get(kind)
    }

    /// Records of `kind` accepted.
    pub fn accepted_count(&self, kind: RecordKind) -> u64 {
        (match kind {
            RecordKind::Rep => self.reps.len(),
            RecordKind::Prospect => self.records.len(),
            RecordKind::Contact => self.contacts.len(),
            RecordKind::Meeting => self.meetings.len(),
            RecordKind::Sale => self.sales.len(),
        }) as u64
    }

    /// Approximate heap bytes held by the ledger (for memory figures).
    pub fn heap_bytes(&self) -> usize {
        self.records.heap_bytes()
            + self.contact_ids.heap_bytes()
            + self.meeting_ids.heap_bytes()
            + self.sale_ids.heap_bytes()
            + self.contacts.capacity() * std::mem::size_of::<ContactRow>()
            + self.meetings.capacity() * std::mem::size_of::<MeetingRow>()
            + self.sales.capacity() * std::mem::size_of::<SaleRow>()
            + self.events.capacity() * std::mem::size_of::<Event>()
            + self.event_offsets.capacity() * 4
            + (self.contact_pos.capacity() + self.meeting_pos.capacity() + self.sale_pos.capacity())
                * 4
            + self.record_prospect.capacity() * 4
            + self.prospect_records.capacity() * 4
            + self.prospect_records_offsets.capacity() * 4
    }
}

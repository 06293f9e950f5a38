//! [`Ledger`]: the validated, interned, columnar store that every
//! computation reads, and [`LedgerBuilder`], which validates records per
//! SPEC §3 and groups prospect records into prospects per SPEC §4.
//!
//! Layout (DESIGN.md "Performance shape"): ids are interned once; reps,
//! prospect records, contacts, meetings and sales are re-indexed densely in
//! byte order of their ids, so index order *is* output order; events are
//! one flat vector grouped per prospect and sorted by (time, kind rank, id).

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Reason, Rejection, Result, Warning};
use crate::intern::{Interner, TextColumn};
use crate::model::{
    Channel, Contact, Direction, Meeting, MeetingStatus, Outcome, ProspectRecord, RecordKind,
    Records, Rep, Sale, Source,
};

/// Marker for "no index" in dense `u32` columns.
pub const NONE: u32 = u32::MAX;
const NO_TIME: i64 = i64::MIN;

/// Microseconds since the Unix epoch of an instant (the ledger's clock).
pub fn to_micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// The instant of a microsecond timestamp (saturating at chrono's range).
pub fn from_micros(us: i64) -> DateTime<Utc> {
    Utc.timestamp_micros(us)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

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

/// Kind of an event in a prospect's timeline, in tie-break rank order
/// (SPEC §5: contact 0, meeting 1, sale 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum EventKind {
    /// A contact; `Event::index` is a contact index.
    Contact = 0,
    /// A meeting; `Event::index` is a meeting index.
    Meeting = 1,
    /// A sale; `Event::index` is a sale index.
    Sale = 2,
}

/// One event of a prospect's timeline: 16 bytes, no strings.
///
/// Sorting by `(time_us, kind, index)` is SPEC §5's order, because indices
/// within a kind follow the byte order of ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Event {
    /// When, in microseconds since the epoch.
    pub time_us: i64,
    /// Which kind.
    pub kind: EventKind,
    /// Index into [`Ledger::contacts`], [`Ledger::meetings`] or [`Ledger::sales`].
    pub index: u32,
}

/// An accepted contact, with dense indices instead of ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactRow {
    /// Rep index.
    pub rep: u32,
    /// Prospect record index.
    pub record: u32,
    /// Prospect (cluster) index.
    pub prospect: u32,
    /// `occurred_at`, µs since the epoch.
    pub occurred_us: i64,
    logged_us: i64,
    duration: i64,
    /// Channel.
    pub channel: Channel,
    /// Direction.
    pub direction: Direction,
    /// Outcome, if logged.
    pub outcome: Option<Outcome>,
}

impl ContactRow {
    /// `logged_at` in µs, if given.
    pub fn logged_us(&self) -> Option<i64> {
        (self.logged_us != NO_TIME).then_some(self.logged_us)
    }

    /// `duration_s`, if given.
    pub fn duration_s(&self) -> Option<i64> {
        (self.duration >= 0).then_some(self.duration)
    }
}

/// An accepted meeting, with dense indices instead of ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeetingRow {
    /// Rep index.
    pub rep: u32,
    /// Prospect record index.
    pub record: u32,
    /// Prospect (cluster) index.
    pub prospect: u32,
    /// `held_at`, µs since the epoch.
    pub held_us: i64,
    /// Status.
    pub status: MeetingStatus,
}

/// An accepted sale, with dense indices instead of ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaleRow {
    /// Rep index.
    pub rep: u32,
    /// Prospect record index.
    pub record: u32,
    /// Prospect (cluster) index.
    pub prospect: u32,
    /// `closed_at`, µs since the epoch.
    pub closed_us: i64,
    amount: i64,
    /// Currency index into [`Ledger::currencies`], or [`NONE`].
    pub currency: u32,
}

impl SaleRow {
    /// `amount_minor`, if given.
    pub fn amount_minor(&self) -> Option<i64> {
        (self.amount >= 0).then_some(self.amount)
    }
}

/// A borrowed view of one prospect record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProspectRecordRef<'a> {
    /// `prospect_id`.
    pub prospect_id: &'a str,
    /// Name.
    pub name: Option<&'a str>,
    /// Company.
    pub company: Option<&'a str>,
    /// E-mail.
    pub email: Option<&'a str>,
    /// Phone.
    pub phone: Option<&'a str>,
    /// City.
    pub city: Option<&'a str>,
    /// Country.
    pub country: Option<&'a str>,
    /// Source.
    pub source: Option<Source>,
    /// `created_at` in µs.
    pub created_us: Option<i64>,
    /// Creating rep's index, if any.
    pub created_by: Option<u32>,
}

impl ProspectRecordRef<'_> {
    /// An owned [`ProspectRecord`] (needs the ledger for the creator's id).
    pub fn to_owned_record(&self, ledger: &Ledger) -> ProspectRecord {
        ProspectRecord {
            prospect_id: self.prospect_id.into(),
            name: self.name.map(str::to_owned),
            company: self.company.map(str::to_owned),
            email: self.email.map(str::to_owned),
            phone: self.phone.map(str::to_owned),
            city: self.city.map(str::to_owned),
            country: self.country.map(str::to_owned),
            source: self.source,
            created_at: self.created_us.map(from_micros),
            created_by: self.created_by.map(|r| ledger.rep_id(r).into()),
        }
    }
}

/// Prospect records in columns (one buffer per text field, no `String` per
/// record).
#[derive(Debug, Clone, Default)]
pub struct ProspectRecords {
    ids: TextColumn,
    name: TextColumn,
    company: TextColumn,
    email: TextColumn,
    phone: TextColumn,
    city: TextColumn,
    country: TextColumn,
    source: Vec<Option<Source>>,
    created_us: Vec<i64>,
    created_by: Vec<u32>,
}

impl ProspectRecords {
    /// Number of records.
    pub fn len(&self) -> usize {
        self.source.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.source.is_empty()
    }

    /// Record `i`, if it exists.
    pub fn get(&self, i: usize) -> Option<ProspectRecordRef<'_>> {
        Some(ProspectRecordRef {
            prospect_id: self.ids.get(i).unwrap_or(""),
            name: self.name.get(i),
            company: self.company.get(i),
            email: self.email.get(i),
            phone: self.phone.get(i),
            city: self.city.get(i),
            country: self.country.get(i),
            source: *self.source.get(i)?,
            created_us: self.created_us.get(i).copied().filter(|&t| t != NO_TIME),
            created_by: self.created_by.get(i).copied().filter(|&r| r != NONE),
        })
    }

    /// All records in index (id byte) order.
    pub fn iter(&self) -> impl Iterator<Item = ProspectRecordRef<'_>> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    fn push(&mut self, r: &StagedProspect, texts: &StagedTexts, id: &str, created_by: u32) {
        self.ids.push(Some(id));
        let i = r.text_row;
        self.name.push(texts.name.get(i));
        self.company.push(texts.company.get(i));
        self.email.push(texts.email.get(i));
        self.phone.push(texts.phone.get(i));
        self.city.push(texts.city.get(i));
        self.country.push(texts.country.get(i));
        self.source.push(r.source);
        self.created_us.push(r.created_us);
        self.created_by.push(created_by);
    }

    fn heap_bytes(&self) -> usize {
        self.ids.heap_bytes()
            + self.name.heap_bytes()
            + self.company.heap_bytes()
            + self.email.heap_bytes()
            + self.phone.heap_bytes()
            + self.city.heap_bytes()
            + self.country.heap_bytes()
            + self.source.capacity()
            + self.created_us.capacity() * 8
            + self.created_by.capacity() * 4
    }
}

/// Groups prospect records into prospects (SPEC §4). Deduplication
/// implements this; so can a caller's own matcher.
pub trait Deduplicate: Send + Sync {
    /// Returns a group label for every record (same length and order as
    /// `records`): records with equal labels are one prospect. Labels are
    /// arbitrary; the ledger names each cluster by its smallest id.
    ///
    /// # Errors
    /// Whatever the implementation cannot handle.
    fn group(&self, records: &ProspectRecords) -> Result<Vec<u32>>;
}

impl<T: Deduplicate + ?Sized> Deduplicate for Box<T> {
    fn group(&self, records: &ProspectRecords) -> Result<Vec<u32>> {
        (**self).group(records)
    }
}

impl<T: Deduplicate + ?Sized> Deduplicate for std::sync::Arc<T> {
    fn group(&self, records: &ProspectRecords) -> Result<Vec<u32>> {
        (**self).group(records)
    }
}

/// A partition of prospect records supplied by the caller (for example a
/// CRM's merge history, or `prospect_clusters.csv`), which replaces
/// deduplication (SPEC §4).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuppliedPartition {
    /// `(prospect_id, group label, 1-based row)`; rows of the same label
    /// form one group.
    entries: Vec<(String, String, u64)>,
}

impl SuppliedPartition {
    /// An empty partition (every record its own prospect).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `prospect_id` to the group labelled `group` (in
    /// `prospect_clusters.csv`, the `cluster_id` column).
    pub fn insert(&mut self, prospect_id: impl Into<String>, group: impl Into<String>) {
        let row = self.entries.len() as u64 + 1;
        self.entries.push((prospect_id.into(), group.into(), row));
    }

    /// Number of listed ids.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is listed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<P: Into<String>, G: Into<String>> FromIterator<(P, G)> for SuppliedPartition {
    fn from_iter<I: IntoIterator<Item = (P, G)>>(iter: I) -> Self {
        let mut p = Self::new();
        for (id, g) in iter {
            p.insert(id, g);
        }
        p
    }
}

impl<P: Into<String>, G: Into<String>> Extend<(P, G)> for SuppliedPartition {
    fn extend<I: IntoIterator<Item = (P, G)>>(&mut self, iter: I) {
        for (id, g) in iter {
            self.insert(id, g);
        }
    }
}

/// How prospect records become prospects.
pub enum ProspectIdentity {
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

/// A contact given as borrowed, already-parsed fields (the fast path of
/// readers; no allocation per record).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactFields<'a> {
    /// `contact_id`.
    pub contact_id: &'a str,
    /// `rep_id`.
    pub rep_id: &'a str,
    /// `prospect_id`.
    pub prospect_id: &'a str,
    /// `occurred_at` in µs.
    pub occurred_us: i64,
    /// `logged_at` in µs.
    pub logged_us: Option<i64>,
    /// `channel`.
    pub channel: Channel,
    /// `direction`.
    pub direction: Direction,
    /// `duration_s`.
    pub duration_s: Option<i64>,
    /// `outcome`.
    pub outcome: Option<Outcome>,
}

/// A meeting given as borrowed, already-parsed fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeetingFields<'a> {
    /// `meeting_id`.
    pub meeting_id: &'a str,
    /// `rep_id`.
    pub rep_id: &'a str,
    /// `prospect_id`.
    pub prospect_id: &'a str,
    /// `held_at` in µs.
    pub held_us: i64,
    /// `status`.
    pub status: MeetingStatus,
}

/// A sale given as borrowed, already-parsed fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaleFields<'a> {
    /// `sale_id`.
    pub sale_id: &'a str,
    /// `rep_id`.
    pub rep_id: &'a str,
    /// `prospect_id`.
    pub prospect_id: &'a str,
    /// `closed_at` in µs.
    pub closed_us: i64,
    /// `amount_minor`.
    pub amount_minor: Option<i64>,
    /// `currency`.
    pub currency: Option<&'a str>,
}

/// A prospect record given as borrowed, already-parsed fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProspectFields<'a> {
    /// `prospect_id`.
    pub prospect_id: &'a str,
    /// `name`.
    pub name: Option<&'a str>,
    /// `company`.
    pub company: Option<&'a str>,
    /// `email`.
    pub email: Option<&'a str>,
    /// `phone`.
    pub phone: Option<&'a str>,
    /// `city`.
    pub city: Option<&'a str>,
    /// `country`.
    pub country: Option<&'a str>,
    /// `source`.
    pub source: Option<Source>,
    /// `created_at` in µs.
    pub created_us: Option<i64>,
    /// `created_by`.
    pub created_by: Option<&'a str>,
}

#[derive(Debug, Clone)]
struct StagedContact {
    row: u64,
    id: u32,
    rep: u32,
    record: u32,
    occurred_us: i64,
    logged_us: i64,
    duration: i64,
    channel: Channel,
    direction: Direction,
    outcome: Option<Outcome>,
}

#[derive(Debug, Clone)]
struct StagedMeeting {
    row: u64,
    id: u32,
    rep: u32,
    record: u32,
    held_us: i64,
    status: MeetingStatus,
}

#[derive(Debug, Clone)]
struct StagedSale {
    row: u64,
    id: u32,
    rep: u32,
    record: u32,
    closed_us: i64,
    amount: Option<i64>,
    currency: u32,
}

#[derive(Debug, Clone)]
struct StagedProspect {
    row: u64,
    id: u32,
    text_row: usize,
    source: Option<Source>,
    created_us: i64,
    created_by: u32,
}

#[derive(Debug, Clone, Default)]
struct StagedTexts {
    name: TextColumn,
    company: TextColumn,
    email: TextColumn,
    phone: TextColumn,
    city: TextColumn,
    country: TextColumn,
}

/// Collects records (from readers or Rust values), then validates them and
/// builds a [`Ledger`].
///
/// References resolve against accepted records only, in the load order
/// reps → prospect records → contacts, meetings, sales, so the order in
/// which records are added does not matter.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use sales_metrics::{Channel, Contact, LedgerBuilder, ProspectRecord, Rep};
///
/// let t = Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap();
/// let mut b = LedgerBuilder::new();
/// b.add_rep(Rep::new("ana"));
/// b.add_prospect(ProspectRecord::new("p1"));
/// b.add_contact(Contact::new("c1", "ana", "p1", t, Channel::Phone));
/// let ledger = b.build()?;
/// assert_eq!(ledger.contacts().len(), 1);
/// # Ok::<(), sales_metrics::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct LedgerBuilder {
    mode: Mode,
    identity: ProspectIdentity,
    rep_syms: Interner,
    record_syms: Interner,
    contact_syms: Interner,
    meeting_syms: Interner,
    sale_syms: Interner,
    currency_syms: Interner,
    reps: Vec<(u64, Rep)>,
    prospects: Vec<StagedProspect>,
    prospect_texts: StagedTexts,
    contacts: Vec<StagedContact>,
    meetings: Vec<StagedMeeting>,
    sales: Vec<StagedSale>,
    /// Rejections found by readers before a record could be staged.
    early_rejections: Vec<Rejection>,
    /// Records seen per kind (staged or rejected early), in `RecordKind::ALL` order.
    inputs: [u64; 5],
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

impl LedgerBuilder {
    /// An empty builder in strict mode that deduplicates prospect records
    /// with the prospect profile ([`ProspectIdentity::default`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets strict or lenient mode.
    pub fn mode(&mut self, mode: Mode) -> &mut Self {
        self.mode = mode;
        self
    }

    /// Sets how prospect records are grouped into prospects.
    pub fn prospect_identity(&mut self, identity: ProspectIdentity) -> &mut Self {
        self.identity = identity;
        self
    }

    /// Supplies a partition of prospect records (replaces deduplication).
    pub fn partition(&mut self, partition: SuppliedPartition) -> &mut Self {
        self.identity = ProspectIdentity::Supplied(partition);
        self
    }

    /// The next 1-based position for a record of `kind` added as a Rust value.
    pub fn next_position(&self, kind: RecordKind) -> u64 {
        self.inputs.get(kind_slot(kind)).copied().unwrap_or(0) + 1
    }

    fn count(&mut self, kind: RecordKind) {
        if let Some(n) = self.inputs.get_mut(kind_slot(kind)) {
            *n += 1;
        }
    }

    /// Records a rejection found before the record could be parsed (used by
    /// readers for `missing_field`, `bad_time`, `bad_number`,
    /// `unknown_enum`). It counts as one input record of its kind.
    pub fn reject(&mut self, rejection: Rejection) -> &mut Self {
        self.count(rejection.kind);
        self.early_rejections.push(rejection);
        self
    }

    /// Adds every record of a bundle, kind by kind.
    pub fn add_records(&mut self, records: Records) -> &mut Self {
        for r in records.reps {
            self.add_rep(r);
        }
        for p in records.prospects {
            self.add_prospect(p);
        }
        for c in records.contacts {
            self.add_contact(c);
        }
        for m in records.meetings {
            self.add_meeting(m);
        }
        for s in records.sales {
            self.add_sale(s);
        }
        self
    }

    /// Adds a rep.
    pub fn add_rep(&mut self, rep: Rep) -> &mut Self {
        let row = self.next_position(RecordKind::Rep);
        self.push_rep(row, rep)
    }

    /// Adds a rep found at `row` of its source.
    pub fn push_rep(&mut self, row: u64, rep: Rep) -> &mut Self {
        self.count(RecordKind::Rep);
        let _ = self.rep_syms.intern(rep.rep_id.as_str());
        self.reps.push((row, rep));
        self
    }

    /// Adds a prospect record.
    pub fn add_prospect(&mut self, p: ProspectRecord) -> &mut Self {
        let row = self.next_position(RecordKind::Prospect);
        let created_by = p.created_by.as_ref().map(|r| r.as_str());
        let f = ProspectFields {
            prospect_id: p.prospect_id.as_str(),
            name: p.name.as_deref(),
            company: p.company.as_deref(),
            email: p.email.as_deref(),
            phone: p.phone.as_deref(),
            city: p.city.as_deref(),
            country: p.country.as_deref(),
            source: p.source,
            created_us: p.created_at.map(to_micros),
            created_by,
        };
        self.push_prospect(row, &f)
    }

    /// Adds a prospect record found at `row` of its source.
    pub fn push_prospect(&mut self, row: u64, f: &ProspectFields<'_>) -> &mut Self {
        self.count(RecordKind::Prospect);
        let id = self.record_syms.intern(f.prospect_id);
        let created_by = match f.created_by {
            Some(r) if !r.is_empty() => self.rep_syms.intern(r),
            _ => NONE,
        };
        let t = &mut self.prospect_texts;
        let text_row = self.prospects.len();
        t.name.push(f.name);
        t.company.push(f.company);
        t.email.push(f.email);
        t.phone.push(f.phone);
        t.city.push(f.city);
        t.country.push(f.country);
        self.prospects.push(StagedProspect {
            row,
            id,
            text_row,
            source: f.source,
            created_us: f.created_us.unwrap_or(NO_TIME),
            created_by,
        });
        self
    }

    /// Adds a contact.
    pub fn add_contact(&mut self, c: Contact) -> &mut Self {
        let row = self.next_position(RecordKind::Contact);
        let f = ContactFields {
            contact_id: c.contact_id.as_str(),
            rep_id: c.rep_id.as_str(),
            prospect_id: c.prospect_id.as_str(),
            occurred_us: to_micros(c.occurred_at),
            logged_us: c.logged_at.map(to_micros),
            channel: c.channel,
            direction: c.direction,
            duration_s: c.duration_s,
            outcome: c.outcome,
        };
        self.push_contact(row, &f)
    }

    /// Adds a contact found at `row` of its source.
    pub fn push_contact(&mut self, row: u64, f: &ContactFields<'_>) -> &mut Self {
        self.count(RecordKind::Contact);
        let staged = StagedContact {
            row,
            id: self.contact_syms.intern(f.contact_id),
            rep: self.rep_syms.intern(f.rep_id),
            record: self.record_syms.intern(f.prospect_id),
            occurred_us: f.occurred_us,
            logged_us: f.logged_us.unwrap_or(NO_TIME),
            // Negative durations are kept as given until validation; absent is NO_TIME.
            duration: f.duration_s.unwrap_or(NO_TIME),
            channel: f.channel,
            direction: f.direction,
            outcome: f.outcome,
        };
        self.contacts.push(staged);
        self
    }

    /// Adds a meeting.
    pub fn add_meeting(&mut self, m: Meeting) -> &mut Self {
        let row = self.next_position(RecordKind::Meeting);
        let f = MeetingFields {
            meeting_id: m.meeting_id.as_str(),
            rep_id: m.rep_id.as_str(),
            prospect_id: m.prospect_id.as_str(),
            held_us: to_micros(m.held_at),
            status: m.status,
        };
        self.push_meeting(row, &f)
    }

    /// Adds a meeting found at `row` of its source.
    pub fn push_meeting(&mut self, row: u64, f: &MeetingFields<'_>) -> &mut Self {
        self.count(RecordKind::Meeting);
        let staged = StagedMeeting {
            row,
            id: self.meeting_syms.intern(f.meeting_id),
            rep: self.rep_syms.intern(f.rep_id),
            record: self.record_syms.intern(f.prospect_id),
            held_us: f.held_us,
            status: f.status,
        };
        self.meetings.push(staged);
        self
    }

    /// Adds a sale.
    pub fn add_sale(&mut self, s: Sale) -> &mut Self {
        let row = self.next_position(RecordKind::Sale);
        let f = SaleFields {
            sale_id: s.sale_id.as_str(),
            rep_id: s.rep_id.as_str(),
            prospect_id: s.prospect_id.as_str(),
            closed_us: to_micros(s.closed_at),
            amount_minor: s.amount_minor,
            currency: s.currency.as_deref(),
        };
        self.push_sale(row, &f)
    }

    /// Adds a sale found at `row` of its source.
    pub fn push_sale(&mut self, row: u64, f: &SaleFields<'_>) -> &mut Self {
        self.count(RecordKind::Sale);
        let currency = match f.currency {
            Some(c) if !c.is_empty() => self.currency_syms.intern(c),
            _ => NONE,
        };
        let staged = StagedSale {
            row,
            id: self.sale_syms.intern(f.sale_id),
            rep: self.rep_syms.intern(f.rep_id),
            record: self.record_syms.intern(f.prospect_id),
            closed_us: f.closed_us,
            amount: f.amount_minor,
            currency,
        };
        self.sales.push(staged);
        self
    }

    /// Validates everything added (SPEC §3), groups prospect records into
    /// prospects (SPEC §4) and builds the ledger.
    ///
    /// # Errors
    /// [`Error::Rejected`] in strict mode when any record was rejected;
    /// whatever a [`Deduplicate`] implementation returns.
    pub fn build(self) -> Result<Ledger> {
        build(self)
    }
}

struct Rejections {
    list: Vec<Rejection>,
}

impl Rejections {
    fn add(&mut self, kind: RecordKind, row: u64, id: &str, field: &str, reason: Reason) {
        self.list.push(Rejection {
            kind,
            row,
            id: id.to_owned(),
            field: field.to_owned(),
            reason,
        });
    }
}

/// Dense re-indexing: `new_of_sym[sym]` for accepted symbols, in byte
/// order of their strings.
fn dense_order(syms: &Interner, accepted: &[u32]) -> (Vec<u32>, Vec<u32>) {
    let mut order: Vec<u32> = accepted.to_vec();
    order.sort_unstable_by(|&a, &b| syms.get(a).as_bytes().cmp(syms.get(b).as_bytes()));
    let mut new_of_sym = vec![NONE; syms.len()];
    for (new, &sym) in order.iter().enumerate() {
        if let Some(slot) = new_of_sym.get_mut(sym as usize) {
            *slot = new as u32;
        }
    }
    (order, new_of_sym)
}

fn lookup(map: &[u32], sym: u32) -> u32 {
    map.get(sym as usize).copied().unwrap_or(NONE)
}

fn build(b: LedgerBuilder) -> Result<Ledger> {
    let mut rej = Rejections {
        list: b.early_rejections,
    };

    // Reps.
    let mut rep_taken = vec![false; b.rep_syms.len()];
    let mut rep_accepted_syms = Vec::new();
    let mut rep_by_sym: HashMap<u32, Rep> = HashMap::new();
    for (row, rep) in b.reps {
        let id = rep.rep_id.as_str();
        let sym = b.rep_syms.lookup(id);
        let reason = if id.is_empty() {
            Some(("rep_id", Reason::MissingField))
        } else if rep.daily_contact_target.is_some_and(|t| t < 0) {
            Some(("daily_contact_target", Reason::NegativeNumber))
        } else if sym.is_some_and(|s| rep_taken.get(s as usize).copied().unwrap_or(false)) {
            Some(("rep_id", Reason::DuplicateId))
        } else {
            None
        };
        match (reason, sym) {
            (Some((field, reason)), _) => rej.add(RecordKind::Rep, row, id, field, reason),
            (None, Some(s)) => {
                if let Some(t) = rep_taken.get_mut(s as usize) {
                    *t = true;
                }
                rep_accepted_syms.push(s);
                rep_by_sym.insert(s, rep);
            }
            // Every staged rep id is interned by `push_rep`.
            (None, None) => rej.add(RecordKind::Rep, row, id, "rep_id", Reason::MissingField),
        }
    }
    // Rep ids must be in the rep interner for lookups; intern rep ids first.
    let (rep_order, rep_of_sym) = dense_order(&b.rep_syms, &rep_accepted_syms);
    let mut teams = Interner::default();
    let mut reps = Vec::with_capacity(rep_order.len());
    let mut rep_team = Vec::with_capacity(rep_order.len());
    for sym in &rep_order {
        if let Some(rep) = rep_by_sym.remove(sym) {
            rep_team.push(
                rep.team_id
                    .as_ref()
                    .filter(|t| !t.as_str().is_empty())
                    .map_or(NONE, |t| teams.intern(t.as_str())),
            );
            reps.push(rep);
        }
    }

    // Prospect records.
    let mut rec_taken = vec![false; b.record_syms.len()];
    let mut rec_accepted = Vec::new(); // staged index
    for (i, p) in b.prospects.iter().enumerate() {
        let id = b.record_syms.get(p.id);
        let reason = if id.is_empty() {
            Some(("prospect_id", Reason::MissingField))
        } else if p.created_by != NONE && lookup(&rep_of_sym, p.created_by) == NONE {
            Some(("created_by", Reason::UnknownRep))
        } else if rec_taken.get(p.id as usize).copied().unwrap_or(false) {
            Some(("prospect_id", Reason::DuplicateId))
        } else {
            None
        };
        if let Some((field, reason)) = reason {
            rej.add(RecordKind::Prospect, p.row, id, field, reason);
        } else {
            if let Some(t) = rec_taken.get_mut(p.id as usize) {
                *t = true;
            }
            rec_accepted.push(i);
        }
    }
    let rec_syms: Vec<u32> = rec_accepted
        .iter()
        .filter_map(|&i| b.prospects.get(i).map(|p| p.id))
        .collect();
    let (rec_order, rec_of_sym) = dense_order(&b.record_syms, &rec_syms);
    let mut staged_of_sym: HashMap<u32, usize> = HashMap::with_capacity(rec_accepted.len());
    for &i in &rec_accepted {
        if let Some(p) = b.prospects.get(i) {
            staged_of_sym.insert(p.id, i);
        }
    }
    let mut records = ProspectRecords::default();
    for sym in &rec_order {
        if let Some(p) = staged_of_sym.get(sym).and_then(|&i| b.prospects.get(i)) {
            let created_by = if p.created_by == NONE {
                NONE
            } else {
                lookup(&rep_of_sym, p.created_by)
            };
            records.push(p, &b.prospect_texts, b.record_syms.get(*sym), created_by);
        }
    }
    drop(staged_of_sym);

    // Shared checks of event references, in SPEC §3 order after the
    // record-specific ones.
    let check_refs = |rep: u32, record: u32| -> Option<(&'static str, Reason)> {
        if lookup(&rep_of_sym, rep) == NONE {
            Some(("rep_id", Reason::UnknownRep))
        } else if lookup(&rec_of_sym, record) == NONE {
            Some(("prospect_id", Reason::UnknownProspect))
        } else {
            None
        }
    };
    let missing = |id: &str, rep: u32, record: u32, id_field: &'static str| {
        if id.is_empty() {
            Some((id_field, Reason::MissingField))
        } else if b.rep_syms.get(rep).is_empty() {
            Some(("rep_id", Reason::MissingField))
        } else if b.record_syms.get(record).is_empty() {
            Some(("prospect_id", Reason::MissingField))
        } else {
            None
        }
    };

    // Contacts.
    let mut taken = vec![false; b.contact_syms.len()];
    let mut accepted = Vec::new();
    for (i, c) in b.contacts.iter().enumerate() {
        let id = b.contact_syms.get(c.id);
        let reason = missing(id, c.rep, c.record, "contact_id")
            .or_else(|| {
                (c.duration != NO_TIME && c.duration < 0)
                    .then_some(("duration_s", Reason::NegativeNumber))
            })
            .or_else(|| {
                (c.logged_us != NO_TIME && c.logged_us < c.occurred_us)
                    .then_some(("logged_at", Reason::LoggedBeforeOccurred))
            })
            .or_else(|| check_refs(c.rep, c.record))
            .or_else(|| {
                taken
                    .get(c.id as usize)
                    .copied()
                    .unwrap_or(false)
                    .then_some(("contact_id", Reason::DuplicateId))
            });
        if let Some((field, reason)) = reason {
            rej.add(RecordKind::Contact, c.row, id, field, reason);
        } else {
            if let Some(t) = taken.get_mut(c.id as usize) {
                *t = true;
            }
            accepted.push(i);
        }
    }
    let syms: Vec<u32> = accepted
        .iter()
        .filter_map(|&i| b.contacts.get(i).map(|c| c.id))
        .collect();
    let (order, _) = dense_order(&b.contact_syms, &syms);
    let mut staged_of = vec![NONE; b.contact_syms.len()];
    for &i in &accepted {
        if let Some(c) = b.contacts.get(i)
            && let Some(slot) = staged_of.get_mut(c.id as usize)
        {
            *slot = i as u32;
        }
    }
    let mut contact_ids = TextColumn::default();
    let mut contacts = Vec::with_capacity(order.len());
    for &sym in &order {
        let Some(c) = b.contacts.get(lookup(&staged_of, sym) as usize) else {
            continue;
        };
        contact_ids.push(Some(b.contact_syms.get(sym)));
        contacts.push(ContactRow {
            rep: lookup(&rep_of_sym, c.rep),
            record: lookup(&rec_of_sym, c.record),
            prospect: NONE,
            occurred_us: c.occurred_us,
            logged_us: c.logged_us,
            duration: if c.duration == NO_TIME {
                -1
            } else {
                c.duration
            },
            channel: c.channel,
            direction: c.direction,
            outcome: c.outcome,
        });
    }
    drop(staged_of);
    drop(b.contacts);
    drop(b.contact_syms);

    // Meetings.
    let mut taken = vec![false; b.meeting_syms.len()];
    let mut accepted = Vec::new();
    for (i, m) in b.meetings.iter().enumerate() {
        let id = b.meeting_syms.get(m.id);
        let reason = missing(id, m.rep, m.record, "meeting_id")
            .or_else(|| check_refs(m.rep, m.record))
            .or_else(|| {
                taken
                    .get(m.id as usize)
                    .copied()
                    .unwrap_or(false)
                    .then_some(("meeting_id", Reason::DuplicateId))
            });
        if let Some((field, reason)) = reason {
            rej.add(RecordKind::Meeting, m.row, id, field, reason);
        } else {
            if let Some(t) = taken.get_mut(m.id as usize) {
                *t = true;
            }
            accepted.push(i);
        }
    }
    let mut accepted_rows: Vec<(u32, usize)> = accepted
        .iter()
        .filter_map(|&i| b.meetings.get(i).map(|m| (m.id, i)))
        .collect();
    accepted_rows.sort_unstable_by(|a, c| {
        b.meeting_syms
            .get(a.0)
            .as_bytes()
            .cmp(b.meeting_syms.get(c.0).as_bytes())
    });
    let mut meeting_ids = TextColumn::default();
    let mut meetings = Vec::with_capacity(accepted_rows.len());
    for &(sym, i) in &accepted_rows {
        let Some(m) = b.meetings.get(i) else { continue };
        meeting_ids.push(Some(b.meeting_syms.get(sym)));
        meetings.push(MeetingRow {
            rep: lookup(&rep_of_sym, m.rep),
            record: lookup(&rec_of_sym, m.record),
            prospect: NONE,
            held_us: m.held_us,
            status: m.status,
        });
    }

    // Sales.
    let mut taken = vec![false; b.sale_syms.len()];
    let mut accepted = Vec::new();
    for (i, s) in b.sales.iter().enumerate() {
        let id = b.sale_syms.get(s.id);
        let reason = missing(id, s.rep, s.record, "sale_id")
            .or_else(|| {
                s.amount
                    .is_some_and(|a| a < 0)
                    .then_some(("amount_minor", Reason::NegativeNumber))
            })
            .or_else(|| check_refs(s.rep, s.record))
            .or_else(|| {
                taken
                    .get(s.id as usize)
                    .copied()
                    .unwrap_or(false)
                    .then_some(("sale_id", Reason::DuplicateId))
            });
        if let Some((field, reason)) = reason {
            rej.add(RecordKind::Sale, s.row, id, field, reason);
        } else {
            if let Some(t) = taken.get_mut(s.id as usize) {
                *t = true;
            }
            accepted.push(i);
        }
    }
    let mut accepted_rows: Vec<(u32, usize)> = accepted
        .iter()
        .filter_map(|&i| b.sales.get(i).map(|s| (s.id, i)))
        .collect();
    accepted_rows.sort_unstable_by(|a, c| {
        b.sale_syms
            .get(a.0)
            .as_bytes()
            .cmp(b.sale_syms.get(c.0).as_bytes())
    });
    // Currencies re-indexed in byte order so revenue rows sort by index.
    let mut cur_syms: Vec<u32> = (0..b.currency_syms.len() as u32).collect();
    cur_syms.sort_unstable_by(|&a, &c| {
        b.currency_syms
            .get(a)
            .as_bytes()
            .cmp(b.currency_syms.get(c).as_bytes())
    });
    let mut cur_of_sym = vec![NONE; cur_syms.len()];
    for (new, &sym) in cur_syms.iter().enumerate() {
        if let Some(slot) = cur_of_sym.get_mut(sym as usize) {
            *slot = new as u32;
        }
    }
    let currencies: Vec<String> = cur_syms
        .iter()
        .map(|&s| b.currency_syms.get(s).to_owned())
        .collect();
    let mut sale_ids = TextColumn::default();
    let mut sales = Vec::with_capacity(accepted_rows.len());
    for &(sym, i) in &accepted_rows {
        let Some(s) = b.sales.get(i) else { continue };
        sale_ids.push(Some(b.sale_syms.get(sym)));
        sales.push(SaleRow {
            rep: lookup(&rep_of_sym, s.rep),
            record: lookup(&rec_of_sym, s.record),
            prospect: NONE,
            closed_us: s.closed_us,
            amount: s.amount.unwrap_or(-1),
            currency: if s.currency == NONE {
                NONE
            } else {
                lookup(&cur_of_sym, s.currency)
            },
        });
    }

    let rejections = rej.list;
    if b.mode == Mode::Strict && !rejections.is_empty() {
        return Err(Error::Rejected { rejections });
    }

    // Prospect identity (SPEC §4).
    let mut warnings = Vec::new();
    let labels: Vec<u32> = match &b.identity {
        ProspectIdentity::Singletons => (0..records.len() as u32).collect(),
        ProspectIdentity::Deduplicate(d) => {
            let labels = d.group(&records)?;
            if labels.len() != records.len() {
                return Err(Error::invalid(
                    "deduplicator output",
                    format!(
                        "{} labels for {} prospect records",
                        labels.len(),
                        records.len()
                    ),
                ));
            }
            labels
        }
        ProspectIdentity::Supplied(p) => supplied_labels(p, &records, &mut warnings),
    };
    let (record_prospect, prospect_records_offsets, prospect_records) =
        clusters_from_labels(&labels);

    let mut ledger = Ledger {
        reps,
        rep_team,
        teams: (0..teams.len() as u32)
            .map(|t| teams.get(t).to_owned())
            .collect(),
        records,
        record_prospect,
        prospect_records_offsets,
        prospect_records,
        contact_ids,
        contacts,
        meeting_ids,
        meetings,
        sale_ids,
        sales,
        currencies,
        events: Vec::new(),
        event_offsets: Vec::new(),
        rejections,
        warnings,
        inputs: b.inputs,
    };
    ledger.index_events();
    Ok(ledger)
}

/// Labels from a supplied partition: records in one listed group share the
/// label of the group's smallest record; unlisted records stay alone.
fn supplied_labels(
    p: &SuppliedPartition,
    records: &ProspectRecords,
    warnings: &mut Vec<Warning>,
) -> Vec<u32> {
    let mut labels: Vec<u32> = (0..records.len() as u32).collect();
    // Record index by id (ids are sorted, so binary search).
    let find = |id: &str| -> Option<u32> {
        let (mut lo, mut hi) = (0usize, records.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let mid_id = records.ids.get(mid).unwrap_or("");
            match mid_id.as_bytes().cmp(id.as_bytes()) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid as u32),
            }
        }
        None
    };
    let mut group_first: HashMap<&str, u32> = HashMap::new();
    let mut listed = vec![false; records.len()];
    let mut uf = UnionFind::new(records.len());
    for (id, group, row) in &p.entries {
        let Some(r) = find(id) else {
            warnings.push(Warning {
                location: format!("prospect partition row {row}"),
                message: format!("prospect_id {id:?} names no accepted prospect record; ignored"),
            });
            continue;
        };
        if listed.get(r as usize).copied().unwrap_or(false) {
            warnings.push(Warning {
                location: format!("prospect partition row {row}"),
                message: format!(
                    "prospect_id {id:?} is listed more than once; later listing in group {group:?} also joins its groups"
                ),
            });
        }
        if let Some(l) = listed.get_mut(r as usize) {
            *l = true;
        }
        match group_first.get(group.as_str()) {
            Some(&first) => uf.union(first, r),
            None => {
                group_first.insert(group.as_str(), r);
            }
        }
    }
    for (i, l) in labels.iter_mut().enumerate() {
        *l = uf.find(i as u32);
    }
    labels
}

/// A small union–find over dense indices (path halving, union by smaller
/// root so the root of a set is its smallest member).
#[derive(Debug, Clone)]
pub(crate) struct UnionFind {
    parent: Vec<u32>,
}

impl UnionFind {
    pub(crate) fn new(n: usize) -> Self {
        Self {
            parent: (0..n as u32).collect(),
        }
    }

    pub(crate) fn find(&mut self, mut x: u32) -> u32 {
        while let Some(&p) = self.parent.get(x as usize) {
            if p == x {
                break;
            }
            let gp = self.parent.get(p as usize).copied().unwrap_or(p);
            if let Some(slot) = self.parent.get_mut(x as usize) {
                *slot = gp;
            }
            x = gp;
        }
        x
    }

    pub(crate) fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
        if let Some(slot) = self.parent.get_mut(hi as usize) {
            *slot = lo;
        }
    }
}

/// Turns arbitrary labels into dense prospect indices ordered by each
/// cluster's smallest record index (= smallest id, SPEC §4).
fn clusters_from_labels(labels: &[u32]) -> (Vec<u32>, Vec<u32>, Vec<u32>) {
    let mut first_of_label: HashMap<u32, u32> = HashMap::new();
    let mut rep_of_record = Vec::with_capacity(labels.len());
    for (i, &l) in labels.iter().enumerate() {
        let first = *first_of_label.entry(l).or_insert(i as u32);
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
    let mut offsets = vec![0u32; next as usize + 1];
    for &p in &record_prospect {
        if let Some(o) = offsets.get_mut(p as usize + 1) {
            *o += 1;
        }
    }
    for i in 1..offsets.len() {
        let prev = offsets.get(i - 1).copied().unwrap_or(0);
        if let Some(o) = offsets.get_mut(i) {
            *o += prev;
        }
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
    rejections: Vec<Rejection>,
    warnings: Vec<Warning>,
    inputs: [u64; 5],
}

impl Ledger {
    /// A new builder.
    pub fn builder() -> LedgerBuilder {
        LedgerBuilder::new()
    }

    fn index_events(&mut self) {
        for c in &mut self.contacts {
            c.prospect = self
                .record_prospect
                .get(c.record as usize)
                .copied()
                .unwrap_or(NONE);
        }
        for m in &mut self.meetings {
            m.prospect = self
                .record_prospect
                .get(m.record as usize)
                .copied()
                .unwrap_or(NONE);
        }
        for s in &mut self.sales {
            s.prospect = self
                .record_prospect
                .get(s.record as usize)
                .copied()
                .unwrap_or(NONE);
        }
        let n = self.prospect_count();
        let mut offsets = vec![0u32; n + 1];
        let bump = |offsets: &mut Vec<u32>, p: u32| {
            if let Some(o) = offsets.get_mut(p as usize + 1) {
                *o += 1;
            }
        };
        for c in &self.contacts {
            bump(&mut offsets, c.prospect);
        }
        for m in &self.meetings {
            bump(&mut offsets, m.prospect);
        }
        for s in &self.sales {
            bump(&mut offsets, s.prospect);
        }
        for i in 1..offsets.len() {
            let prev = offsets.get(i - 1).copied().unwrap_or(0);
            if let Some(o) = offsets.get_mut(i) {
                *o += prev;
            }
        }
        let total = offsets.last().copied().unwrap_or(0) as usize;
        let mut events = vec![
            Event {
                time_us: 0,
                kind: EventKind::Contact,
                index: 0
            };
            total
        ];
        let mut fill = offsets.clone();
        let mut place = |p: u32, e: Event| {
            if let Some(pos) = fill.get_mut(p as usize) {
                if let Some(slot) = events.get_mut(*pos as usize) {
                    *slot = e;
                }
                *pos += 1;
            }
        };
        for (i, c) in self.contacts.iter().enumerate() {
            place(
                c.prospect,
                Event {
                    time_us: c.occurred_us,
                    kind: EventKind::Contact,
                    index: i as u32,
                },
            );
        }
        for (i, m) in self.meetings.iter().enumerate() {
            place(
                m.prospect,
                Event {
                    time_us: m.held_us,
                    kind: EventKind::Meeting,
                    index: i as u32,
                },
            );
        }
        for (i, s) in self.sales.iter().enumerate() {
            place(
                s.prospect,
                Event {
                    time_us: s.closed_us,
                    kind: EventKind::Sale,
                    index: i as u32,
                },
            );
        }
        for w in offsets.windows(2) {
            if let [a, b] = *w
                && let Some(slice) = events.get_mut(a as usize..b as usize)
            {
                slice.sort_unstable();
            }
        }
        self.events = events;
        self.event_offsets = offsets;
    }

    /// Accepted reps in id byte order (index = rep index).
    pub fn reps(&self) -> &[Rep] {
        &self.reps
    }

    /// The id of rep `rep` (empty if out of range).
    pub fn rep_id(&self, rep: u32) -> &str {
        self.reps
            .get(rep as usize)
            .map_or("", |r| r.rep_id.as_str())
    }

    /// The rep index of `rep_id`.
    pub fn rep_index(&self, rep_id: &str) -> Option<u32> {
        self.reps
            .binary_search_by(|r| r.rep_id.as_str().as_bytes().cmp(rep_id.as_bytes()))
            .ok()
            .map(|i| i as u32)
    }

    /// The team index of rep `rep`, if the rep has a team.
    pub fn rep_team(&self, rep: u32) -> Option<u32> {
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
    pub fn team_index(&self, team_id: &str) -> Option<u32> {
        self.teams
            .iter()
            .position(|t| t == team_id)
            .map(|i| i as u32)
    }

    /// Accepted prospect records, in id byte order.
    pub fn records(&self) -> &ProspectRecords {
        &self.records
    }

    /// The prospect (cluster) of record `record`.
    pub fn record_prospect(&self, record: u32) -> Option<u32> {
        self.record_prospect
            .get(record as usize)
            .copied()
            .filter(|&p| p != NONE)
    }

    /// Number of prospects (clusters of records).
    pub fn prospect_count(&self) -> usize {
        self.prospect_records_offsets.len().saturating_sub(1)
    }

    /// The record indices of prospect `prospect`, ascending (the first is
    /// the cluster's smallest id).
    pub fn prospect_records(&self, prospect: u32) -> &[u32] {
        let p = prospect as usize;
        match (
            self.prospect_records_offsets.get(p),
            self.prospect_records_offsets.get(p + 1),
        ) {
            (Some(&a), Some(&b)) => self
                .prospect_records
                .get(a as usize..b as usize)
                .unwrap_or(&[]),
            _ => &[],
        }
    }

    /// The cluster id of prospect `prospect`: its smallest `prospect_id`.
    pub fn prospect_id(&self, prospect: u32) -> &str {
        self.prospect_records(prospect)
            .first()
            .and_then(|&r| self.records.ids.get(r as usize))
            .unwrap_or("")
    }

    /// The source of prospect `prospect`: that of its cluster-id record,
    /// else the first record (in id order) that has one.
    pub fn prospect_source(&self, prospect: u32) -> Option<Source> {
        self.prospect_records(prospect)
            .iter()
            .find_map(|&r| self.records.source.get(r as usize).copied().flatten())
    }

    /// Accepted contacts in id byte order.
    pub fn contacts(&self) -> &[ContactRow] {
        &self.contacts
    }

    /// The id of contact `i`.
    pub fn contact_id(&self, i: u32) -> &str {
        self.contact_ids.get(i as usize).unwrap_or("")
    }

    /// Accepted meetings in id byte order.
    pub fn meetings(&self) -> &[MeetingRow] {
        &self.meetings
    }

    /// The id of meeting `i`.
    pub fn meeting_id(&self, i: u32) -> &str {
        self.meeting_ids.get(i as usize).unwrap_or("")
    }

    /// Accepted sales in id byte order.
    pub fn sales(&self) -> &[SaleRow] {
        &self.sales
    }

    /// The id of sale `i`.
    pub fn sale_id(&self, i: u32) -> &str {
        self.sale_ids.get(i as usize).unwrap_or("")
    }

    /// Currency codes in byte order (index = [`SaleRow::currency`]).
    pub fn currencies(&self) -> &[String] {
        &self.currencies
    }

    /// The currency code of a sale (empty when absent).
    pub fn currency(&self, index: u32) -> &str {
        self.currencies
            .get(index as usize)
            .map_or("", String::as_str)
    }

    /// All events, grouped per prospect in prospect order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The events of prospect `prospect`, in SPEC §5 order.
    pub fn prospect_events(&self, prospect: u32) -> &[Event] {
        let p = prospect as usize;
        match (self.event_offsets.get(p), self.event_offsets.get(p + 1)) {
            (Some(&a), Some(&b)) => self.events.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// Offsets of each prospect's events in [`Ledger::events`] (length
    /// prospects + 1), for splitting work by prospect.
    pub fn event_offsets(&self) -> &[u32] {
        &self.event_offsets
    }

    /// The id of the record behind an event.
    pub fn event_id(&self, e: &Event) -> &str {
        match e.kind {
            EventKind::Contact => self.contact_id(e.index),
            EventKind::Meeting => self.meeting_id(e.index),
            EventKind::Sale => self.sale_id(e.index),
        }
    }

    /// The rep of an event.
    pub fn event_rep(&self, e: &Event) -> u32 {
        match e.kind {
            EventKind::Contact => self.contacts.get(e.index as usize).map_or(NONE, |c| c.rep),
            EventKind::Meeting => self.meetings.get(e.index as usize).map_or(NONE, |m| m.rep),
            EventKind::Sale => self.sales.get(e.index as usize).map_or(NONE, |s| s.rep),
        }
    }

    /// Earliest and latest event time (µs), if there are events.
    pub fn time_span(&self) -> Option<(i64, i64)> {
        let mut it = self.events.iter().map(|e| e.time_us);
        let first = it.next()?;
        Some(it.fold((first, first), |(lo, hi), t| (lo.min(t), hi.max(t))))
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
        self.inputs.get(kind_slot(kind)).copied().unwrap_or(0)
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
            + self.record_prospect.capacity() * 4
            + self.prospect_records.capacity() * 4
            + self.prospect_records_offsets.capacity() * 4
    }
}

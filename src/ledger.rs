//! [`Ledger`]: the validated, interned, columnar store that every
//! computation reads, and [`LedgerBuilder`], which validates records per
//! SPEC §3 and groups prospect records into prospects per SPEC §4.
//!
//! Layout (DESIGN.md "Performance shape"): ids are interned once; reps,
//! prospect records, contacts, meetings and sales are re-indexed densely in
//! byte order of their ids, so index order *is* output order; events are
//! one flat vector grouped per prospect and sorted by (time, kind rank, id).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Reason, Rejection, Result, Warning};
use crate::ingest::stage::{Staging, kind_slot};
use crate::dedup::{Deduplicate, ProspectRecords};
use crate::ingest::{
    ContactFields, MeetingFields, ProspectFields, RecordSink, SaleFields, SuppliedPartition,
};
use crate::intern::{Interner, TextColumn};
use crate::time::{from_micros, to_micros};
use crate::model::{
    Contact, Meeting, MeetingStatus, ProspectId, ProspectRecord, RecordKind, RepId,
    Records, Rep, Sale, Source,
};
use std::sync::atomic::AtomicU32;
use std::sync::atomic::Ordering::Relaxed;

pub(crate) use crate::intern::NONE;
pub use crate::ingest::stage::ContactRow;

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
    /// Currency index into [`Ledger::currencies`] (the empty code when the
    /// sale gave none).
    pub currency: u32,
    // Whether `amount` was given (a flag, like [`ContactRow`]'s).
    has_amount: bool,
}

impl SaleRow {
    /// `amount_minor`, if given.
    pub fn amount_minor(&self) -> Option<i64> {
        self.has_amount.then_some(self.amount)
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

/// Reads a SPEC §2 CSV folder (`reps.csv`, `prospects.csv`,
/// `contacts.csv`, `meetings.csv`, `sales.csv`) and builds the ledger in
/// `mode`, every prospect record its own prospect (use a
/// [`LedgerBuilder`] with [`read_csv_folder`](crate::ingest::read_csv_folder) to deduplicate or to supply a
/// partition).
///
/// # Errors
/// [`Error::Io`](crate::Error::Io) when a file is missing or unreadable,
/// [`Error::MissingColumn`](crate::Error::MissingColumn),
/// [`Error::Malformed`](crate::Error::Malformed), and in strict mode
/// [`Error::Rejected`](crate::Error::Rejected) with every rejection.
///
/// # Example
/// ```
/// use sales_metrics::{load_folder, Mode, RecordKind};
///
/// let dir = std::env::temp_dir().join(format!("sm-load-folder-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// std::fs::write(dir.join("reps.csv"), "rep_id,team_id\nana,north\n")?;
/// std::fs::write(dir.join("prospects.csv"), "prospect_id,company\np1,Acme\n")?;
/// std::fs::write(
///     dir.join("contacts.csv"),
///     "contact_id,rep_id,prospect_id,occurred_at,channel\nc1,ana,p1,2026-06-01T09:00:00Z,phone\n",
/// )?;
/// std::fs::write(dir.join("meetings.csv"), "meeting_id,rep_id,prospect_id,held_at\n")?;
/// std::fs::write(dir.join("sales.csv"), "sale_id,rep_id,prospect_id,closed_at\n")?;
///
/// let ledger = load_folder(&dir, Mode::Strict)?;
/// assert_eq!(ledger.accepted_count(RecordKind::Contact), 1);
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load_folder(dir: impl AsRef<Path>, mode: Mode) -> Result<Ledger> {
    let mut builder = LedgerBuilder::new();
    builder.mode(mode);
    crate::ingest::read_csv_folder(dir, &mut builder)?;
    builder.build()
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
    /// Everything added, not yet validated.
    staging: Staging,
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

    /// Whether prospect records keep their contact details (name, company,
    /// e-mail, phone, city, country). They are kept by default; a load that
    /// only reports, with a supplied partition, can drop them to save
    /// memory (about a hundred bytes per record). Applies to records added
    /// after the call; [`build`](Self::build) refuses to deduplicate
    /// records whose details were dropped.
    pub fn keep_prospect_details(&mut self, keep: bool) -> &mut Self {
        self.staging.drop_prospect_text = !keep;
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
        let row = self.staging.next_position(RecordKind::Rep);
        self.staging.push_rep(row, rep);
        self
    }

    /// Adds a prospect record.
    pub fn add_prospect(&mut self, p: ProspectRecord) -> &mut Self {
        let row = self.staging.next_position(RecordKind::Prospect);
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
        self.staging.push_prospect(row, &f);
        self
    }

    /// Adds a contact.
    pub fn add_contact(&mut self, c: Contact) -> &mut Self {
        let row = self.staging.next_position(RecordKind::Contact);
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
        self.staging.push_contact(row, &f);
        self
    }

    /// Adds a meeting.
    pub fn add_meeting(&mut self, m: Meeting) -> &mut Self {
        let row = self.staging.next_position(RecordKind::Meeting);
        let f = MeetingFields {
            meeting_id: m.meeting_id.as_str(),
            rep_id: m.rep_id.as_str(),
            prospect_id: m.prospect_id.as_str(),
            held_us: to_micros(m.held_at),
            status: m.status,
        };
        self.staging.push_meeting(row, &f);
        self
    }

    /// Adds a sale.
    pub fn add_sale(&mut self, s: Sale) -> &mut Self {
        let row = self.staging.next_position(RecordKind::Sale);
        let f = SaleFields {
            sale_id: s.sale_id.as_str(),
            rep_id: s.rep_id.as_str(),
            prospect_id: s.prospect_id.as_str(),
            closed_us: to_micros(s.closed_at),
            amount_minor: s.amount_minor,
            currency: s.currency.as_deref(),
        };
        self.staging.push_sale(row, &f);
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

impl RecordSink for LedgerBuilder {
    fn push_rep(&mut self, row: u64, rep: Rep) {
        self.staging.push_rep(row, rep);
    }

    fn push_prospect(&mut self, row: u64, fields: &ProspectFields<'_>) {
        self.staging.push_prospect(row, fields);
    }

    fn push_contact(&mut self, row: u64, fields: &ContactFields<'_>) {
        self.staging.push_contact(row, fields);
    }

    fn push_meeting(&mut self, row: u64, fields: &MeetingFields<'_>) {
        self.staging.push_meeting(row, fields);
    }

    fn push_sale(&mut self, row: u64, fields: &SaleFields<'_>) {
        self.staging.push_sale(row, fields);
    }

    fn reject(&mut self, rejection: Rejection) {
        self.staging.reject(rejection);
    }

    fn reserve(&mut self, kind: RecordKind, additional: usize) {
        self.staging.reserve(kind, additional);
    }

    fn staging(&mut self) -> Option<&mut Staging> {
        Some(&mut self.staging)
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

/// Sorts items by the byte order of their strings, equal strings by the
/// items themselves (input order for staged indices). Keys are the first
/// 16 bytes (zero-padded, big-endian), which order like the strings; only
/// equal keys fall back to comparing whole strings.
fn sort_by_bytes<'a, T: Copy + Ord + Send + Sync>(
    items: &mut [T],
    text_of: impl Fn(T) -> &'a str + Sync,
) {
    // Two u64 halves rather than a u128: 24-byte entries instead of 32
    // (u128 is 16-aligned), which matters at tens of millions of ids.
    fn prefix(s: &str) -> (u64, u64) {
        let mut b = [0u8; 16];
        for (d, s) in b.iter_mut().zip(s.as_bytes()) {
            *d = *s;
        }
        let (hi, lo) = b.split_at(8);
        let half = |h: &[u8]| u64::from_be_bytes(h.try_into().unwrap_or([0; 8]));
        (half(hi), half(lo))
    }
    #[cfg(feature = "parallel")]
    let mut keyed: Vec<((u64, u64), T)> = {
        use rayon::prelude::*;
        items.par_iter().map(|&t| (prefix(text_of(t)), t)).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let mut keyed: Vec<((u64, u64), T)> = items.iter().map(|&t| (prefix(text_of(t)), t)).collect();
    let cmp = |a: &((u64, u64), T), b: &((u64, u64), T)| {
        a.0.cmp(&b.0)
            .then_with(|| text_of(a.1).as_bytes().cmp(text_of(b.1).as_bytes()))
            .then_with(|| a.1.cmp(&b.1))
    };
    #[cfg(feature = "parallel")]
    {
        use rayon::slice::ParallelSliceMut;
        keyed.par_sort_unstable_by(cmp);
    }
    #[cfg(not(feature = "parallel"))]
    keyed.sort_unstable_by(cmp);
    for (slot, (_, t)) in items.iter_mut().zip(keyed) {
        *slot = t;
    }
}

/// Keeps, of the rows that passed every other check (`candidates`, staged
/// indices), the first row of each id (SPEC §3: the first valid row wins);
/// calls `duplicate` for the others. Returns the kept rows in id byte
/// order — the ledger's index order. Sorting replaces a hash set of ids.
fn accept_unique(
    ids: &TextColumn,
    mut candidates: Vec<u32>,
    mut duplicate: impl FnMut(u32, &str),
) -> Vec<u32> {
    let text = |i: u32| ids.get(i as usize).unwrap_or("");
    // Exports are often in id order already: then there is nothing to sort
    // (and no duplicate), which spares the sort's time and its keys' memory.
    let in_order = |w: &[u32]| match *w {
        [a, b] => text(a).as_bytes() < text(b).as_bytes(),
        _ => true,
    };
    #[cfg(feature = "parallel")]
    let ascending = {
        use rayon::prelude::*;
        candidates.par_windows(2).all(in_order)
    };
    #[cfg(not(feature = "parallel"))]
    let ascending = candidates.windows(2).all(in_order);
    if ascending {
        return candidates;
    }
    sort_by_bytes(&mut candidates, text);
    let mut kept = Vec::with_capacity(candidates.len());
    let mut prev: Option<&str> = None;
    for i in candidates {
        let id = text(i);
        if prev == Some(id) {
            duplicate(i, id);
        } else {
            kept.push(i);
            prev = Some(id);
        }
    }
    kept
}

/// Dense re-indexing: `new_of_sym[sym]` for accepted symbols, in byte
/// order of their strings.
fn dense_order(syms: &Interner, accepted: &[u32]) -> (Vec<u32>, Vec<u32>) {
    let mut order: Vec<u32> = accepted.to_vec();
    sort_by_bytes(&mut order, |s| syms.get(s));
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

/// Runs the record checks `check(index, item)` over `items` (in parallel
/// with the `parallel` feature): the indices that pass, and those that fail
/// with their field and reason, both in index order.
#[allow(clippy::type_complexity)] // a private pair of index lists
fn screen<T: Sync>(
    items: &[T],
    check: impl Fn(usize, &T) -> Option<(&'static str, Reason)> + Sync,
) -> (Vec<u32>, Vec<(u32, &'static str, Reason)>) {
    const CHUNK: usize = 1 << 16;
    let run = |(k, chunk): (usize, &[T])| {
        let mut pass = Vec::with_capacity(chunk.len());
        let mut fail = Vec::new();
        for (j, item) in chunk.iter().enumerate() {
            let i = k * CHUNK + j;
            match check(i, item) {
                None => pass.push(i as u32),
                Some((field, reason)) => fail.push((i as u32, field, reason)),
            }
        }
        (pass, fail)
    };
    #[cfg(feature = "parallel")]
    let parts: Vec<_> = {
        use rayon::prelude::*;
        items.par_chunks(CHUNK).enumerate().map(run).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let parts: Vec<_> = items.chunks(CHUNK).enumerate().map(run).collect();
    let mut pass = Vec::with_capacity(items.len());
    let mut fail = Vec::new();
    for (p, f) in parts {
        pass.extend(p);
        fail.extend(f);
    }
    (pass, fail)
}

fn build(builder: LedgerBuilder) -> Result<Ledger> {
    let LedgerBuilder {
        mode,
        identity,
        staging: b,
    } = builder;
    let mut rej = Rejections {
        list: b.early_rejections,
    };

    // Reps.
    let mut rep_taken = vec![false; b.rep_syms.len()];
    let mut rep_accepted_syms = Vec::new();
    let mut rep_by_sym: Vec<Option<Rep>> = vec![None; b.rep_syms.len()];
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
                if let Some(slot) = rep_by_sym.get_mut(s as usize) {
                    *slot = Some(rep);
                }
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
        if let Some(rep) = rep_by_sym.get_mut(*sym as usize).and_then(Option::take) {
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
    let mut staged_of_sym = vec![NONE; b.record_syms.len()];
    for &i in &rec_accepted {
        if let Some(p) = b.prospects.get(i)
            && let Some(slot) = staged_of_sym.get_mut(p.id as usize)
        {
            *slot = i as u32;
        }
    }
    // Columns gathered in id order, in parallel chunks then joined.
    let gather = |syms: &[u32]| {
        let mut part = ProspectRecords::default();
        for sym in syms {
            if let Some(p) = b.prospects.get(lookup(&staged_of_sym, *sym) as usize) {
                let created_by = if p.created_by == NONE {
                    NONE
                } else {
                    lookup(&rep_of_sym, p.created_by)
                };
                part.push(p, &b.prospect_texts, b.record_syms.get(*sym), created_by);
            }
        }
        part
    };
    #[cfg(feature = "parallel")]
    let parts: Vec<ProspectRecords> = {
        use rayon::prelude::*;
        rec_order.par_chunks(1 << 16).map(gather).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let parts = vec![gather(&rec_order)];
    let mut records = ProspectRecords::default();
    for part in &parts {
        records.append(part);
    }
    drop(parts);
    drop(staged_of_sym);
    // Staged prospect text is copied into `records`; free it before the
    // (much larger) event tables are built.
    drop(b.prospect_texts);
    drop(b.prospects);

    // Prospect identity (SPEC §4).
    let mut warnings = Vec::new();
    let labels: Vec<u32> = match &identity {
        ProspectIdentity::Singletons => (0..records.len() as u32).collect(),
        ProspectIdentity::Deduplicate(d) => {
            if b.drop_prospect_text {
                return Err(Error::invalid(
                    "prospect identity",
                    "cannot deduplicate prospect records whose details were dropped \
                     (keep_prospect_details(false)); supply a partition instead",
                ));
            }
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
        ProspectIdentity::Supplied(p) => {
            supplied_labels(p, &records, &b.record_syms, &rec_of_sym, &mut warnings)
        }
    };
    let (record_prospect, prospect_records_offsets, prospect_records) =
        clusters_from_labels(&labels);
    // The partition (possibly millions of ids) is no longer needed.
    drop(labels);
    drop(identity);

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
    // An empty reference is the empty string's symbol (or none at all):
    // comparing symbols spares a read of the id text per event.
    let (empty_rep, empty_record) = (b.rep_syms.lookup(""), b.record_syms.lookup(""));
    let (rep_count, record_count) = (b.rep_syms.len(), b.record_syms.len());
    let missing = |id: &str, rep: u32, record: u32, id_field: &'static str| {
        if id.is_empty() {
            Some((id_field, Reason::MissingField))
        } else if rep as usize >= rep_count || Some(rep) == empty_rep {
            Some(("rep_id", Reason::MissingField))
        } else if record as usize >= record_count || Some(record) == empty_record {
            Some(("prospect_id", Reason::MissingField))
        } else {
            None
        }
    };

    // Contacts: validated, then compacted, re-indexed and put in id order
    // in place, so each contact's fields exist once.
    let mut contacts = b.contacts;
    let contact_rows = b.contact_rows;
    let row_of = |i: usize| contact_rows.get(i).copied().unwrap_or(0);
    let (candidates, failed) = screen(&contacts, |i, c| {
        let id = b.contact_ids.get(i).unwrap_or("");
        missing(id, c.rep, c.record, "contact_id")
            .or_else(|| {
                (c.has_duration && c.duration < 0).then_some(("duration_s", Reason::NegativeNumber))
            })
            .or_else(|| {
                (c.has_logged && c.logged_us < c.occurred_us)
                    .then_some(("logged_at", Reason::LoggedBeforeOccurred))
            })
            .or_else(|| check_refs(c.rep, c.record))
    });
    for (i, field, reason) in failed {
        let id = b.contact_ids.get(i as usize).unwrap_or("");
        rej.add(RecordKind::Contact, row_of(i as usize), id, field, reason);
    }
    let order = accept_unique(&b.contact_ids, candidates, |i, id| {
        rej.add(
            RecordKind::Contact,
            row_of(i as usize),
            id,
            "contact_id",
            Reason::DuplicateId,
        );
    });
    drop(contact_rows);
    // Every staged contact kept, already in id order (a common export):
    // nothing to copy or move.
    let kept_in_place =
        order.len() == contacts.len() && order.iter().enumerate().all(|(k, &i)| k as u32 == i);
    let contact_ids = if kept_in_place {
        b.contact_ids
    } else {
        // Gathered in id order in parallel chunks: each read is random, but
        // they are independent, so their cache misses overlap (moving
        // rows in place, cycle by cycle, misses once per row in turn).
        let staged_ids = &b.contact_ids;
        let gather_ids = |chunk: &[u32]| {
            let mut part = TextColumn::default();
            for &i in chunk {
                part.push(staged_ids.get(i as usize));
            }
            part
        };
        // Every index of `order` is a staged contact's: the first contact
        // only stands in for the impossible miss (and keeps the gather
        // indexed, so rows are written straight into their places).
        let gather_rows = || -> Vec<ContactRow> {
            let Some(&first) = contacts.first() else {
                return Vec::new();
            };
            let row_at = |&i: &u32| contacts.get(i as usize).copied().unwrap_or(first);
            #[cfg(feature = "parallel")]
            {
                use rayon::prelude::*;
                order.par_iter().map(row_at).collect()
            }
            #[cfg(not(feature = "parallel"))]
            order.iter().map(row_at).collect()
        };
        const CHUNK: usize = 1 << 16;
        #[cfg(feature = "parallel")]
        let (id_parts, gathered): (Vec<TextColumn>, Vec<ContactRow>) = {
            use rayon::prelude::*;
            rayon::join(
                || order.par_chunks(CHUNK).map(gather_ids).collect(),
                gather_rows,
            )
        };
        #[cfg(not(feature = "parallel"))]
        let (id_parts, gathered): (Vec<TextColumn>, Vec<ContactRow>) =
            (order.chunks(CHUNK).map(gather_ids).collect(), gather_rows());
        drop(b.contact_ids);
        let mut contact_ids = TextColumn::default();
        contact_ids.reserve(order.len(), 12);
        for part in &id_parts {
            contact_ids.append(part);
        }
        drop(id_parts);
        contacts = gathered;
        contact_ids
    };
    drop(order);
    let remap = |c: &mut ContactRow| {
        c.rep = lookup(&rep_of_sym, c.rep);
        c.record = lookup(&rec_of_sym, c.record);
    };
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        contacts.par_iter_mut().for_each(remap);
    }
    #[cfg(not(feature = "parallel"))]
    contacts.iter_mut().for_each(remap);
    contacts.shrink_to_fit();

    // Meetings.
    let mut candidates = Vec::with_capacity(b.meetings.len());
    for (i, m) in b.meetings.iter().enumerate() {
        let id = b.meeting_ids.get(i).unwrap_or("");
        match missing(id, m.rep, m.record, "meeting_id").or_else(|| check_refs(m.rep, m.record)) {
            Some((field, reason)) => rej.add(RecordKind::Meeting, m.row, id, field, reason),
            None => candidates.push(i as u32),
        }
    }
    let order = accept_unique(&b.meeting_ids, candidates, |i, id| {
        let row = b.meetings.get(i as usize).map_or(0, |m| m.row);
        rej.add(
            RecordKind::Meeting,
            row,
            id,
            "meeting_id",
            Reason::DuplicateId,
        );
    });
    let mut meeting_ids = TextColumn::default();
    let mut meetings = Vec::with_capacity(order.len());
    for &i in &order {
        let Some(m) = b.meetings.get(i as usize) else {
            continue;
        };
        meeting_ids.push(b.meeting_ids.get(i as usize));
        meetings.push(MeetingRow {
            rep: lookup(&rep_of_sym, m.rep),
            record: lookup(&rec_of_sym, m.record),
            prospect: NONE,
            held_us: m.held_us,
            status: m.status,
        });
    }

    // Sales.
    let mut candidates = Vec::with_capacity(b.sales.len());
    for (i, s) in b.sales.iter().enumerate() {
        let id = b.sale_ids.get(i).unwrap_or("");
        let reason = missing(id, s.rep, s.record, "sale_id")
            .or_else(|| {
                s.amount
                    .is_some_and(|a| a < 0)
                    .then_some(("amount_minor", Reason::NegativeNumber))
            })
            .or_else(|| check_refs(s.rep, s.record));
        match reason {
            Some((field, reason)) => rej.add(RecordKind::Sale, s.row, id, field, reason),
            None => candidates.push(i as u32),
        }
    }
    let sale_order = accept_unique(&b.sale_ids, candidates, |i, id| {
        let row = b.sales.get(i as usize).map_or(0, |s| s.row);
        rej.add(RecordKind::Sale, row, id, "sale_id", Reason::DuplicateId);
    });
    // Currencies re-indexed in byte order so revenue rows sort by index.
    // Only currencies of accepted sales: a rejected sale's currency must not
    // appear in results.
    let mut currency_used = vec![false; b.currency_syms.len()];
    for &i in &sale_order {
        if let Some(s) = b.sales.get(i as usize)
            && let Some(u) = currency_used.get_mut(s.currency as usize)
        {
            *u = true;
        }
    }
    let mut cur_syms: Vec<u32> = (0..b.currency_syms.len() as u32)
        .filter(|&c| currency_used.get(c as usize).copied().unwrap_or(false))
        .collect();
    sort_by_bytes(&mut cur_syms, |s| b.currency_syms.get(s));
    let mut cur_of_sym = vec![NONE; b.currency_syms.len()];
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
    let mut sales = Vec::with_capacity(sale_order.len());
    for &i in &sale_order {
        let Some(s) = b.sales.get(i as usize) else {
            continue;
        };
        sale_ids.push(b.sale_ids.get(i as usize));
        sales.push(SaleRow {
            rep: lookup(&rep_of_sym, s.rep),
            record: lookup(&rec_of_sym, s.record),
            prospect: NONE,
            closed_us: s.closed_us,
            amount: s.amount.unwrap_or(0),
            currency: lookup(&cur_of_sym, s.currency),
            has_amount: s.amount.is_some(),
        });
    }

    // Readers report syntax rejections before the builder's checks run;
    // order them all by kind (load order) and row.
    let mut rejections = rej.list;
    rejections.sort_by_key(|r| (r.kind, r.row));
    if mode == Mode::Strict && !rejections.is_empty() {
        return Err(Error::Rejected { rejections });
    }

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
        contact_pos: Vec::new(),
        meeting_pos: Vec::new(),
        sale_pos: Vec::new(),
        rejections,
        warnings,
        inputs: b.inputs,
    };
    ledger.index_events();
    Ok(ledger)
}

/// Labels from a supplied partition: records in one listed group share the
/// label of the group's smallest record; unlisted records stay alone.
/// Rows are resolved in parallel and grouped by sorting their labels, so
/// no table of labels is built.
fn supplied_labels(
    p: &SuppliedPartition,
    records: &ProspectRecords,
    record_syms: &Interner,
    rec_of_sym: &[u32],
    warnings: &mut Vec<Warning>,
) -> Vec<u32> {
    // Record index of each listed id (NONE when it names no accepted
    // record): the builder's id table, then the dense re-indexing, in
    // parallel chunks.
    const CHUNK: usize = 1 << 16;
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
    #[cfg(feature = "parallel")]
    let found: Vec<u32> = {
        use rayon::prelude::*;
        let parts: Vec<Vec<u32>> = (0..chunks).into_par_iter().map(find_chunk).collect();
        parts.concat()
    };
    #[cfg(not(feature = "parallel"))]
    let found: Vec<u32> = (0..chunks).flat_map(find_chunk).collect();

    // Warnings in row order. Records seen so far in a bitset: 5M records
    // take 625 KB, which stays in cache where a byte per record would not.
    let mut listed = vec![0u64; records.len().div_ceil(64)];
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
    drop(listed);

    // Rows with equal labels are adjacent once sorted by label hash (then
    // row); a run of equal hashes is split by label, for collisions.
    let keyed_row = |i: usize| (crate::intern::hash_str(p.label(i)), i as u32);
    #[cfg(feature = "parallel")]
    let keyed: Vec<(u64, u32)> = {
        use rayon::prelude::*;
        let mut keyed: Vec<(u64, u32)> = (0..found.len())
            .into_par_iter()
            .filter(|&i| lookup(&found, i as u32) != NONE)
            .map(keyed_row)
            .collect();
        keyed.par_sort_unstable();
        keyed
    };
    #[cfg(not(feature = "parallel"))]
    let keyed: Vec<(u64, u32)> = {
        let mut keyed: Vec<(u64, u32)> = (0..found.len())
            .filter(|&i| lookup(&found, i as u32) != NONE)
            .map(keyed_row)
            .collect();
        keyed.sort_unstable();
        keyed
    };
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
                let (label, r) = (p.label(i as usize), lookup(&found, i));
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
    for k in 1..PIECES {
        let mut at = keyed.len() * k / PIECES;
        while at > 0
            && at < keyed.len()
            && keyed.get(at).map(|x| x.0) == keyed.get(at - 1).map(|x| x.0)
        {
            at += 1;
        }
        if at > cuts.last().copied().unwrap_or(0) {
            cuts.push(at);
        }
    }
    cuts.push(keyed.len());
    cuts.dedup();
    let pieces: Vec<&[(u64, u32)]> = cuts
        .windows(2)
        .filter_map(|w| keyed.get(*w.first()?..*w.get(1)?))
        .collect();
    #[cfg(feature = "parallel")]
    let joins: Vec<Vec<(u32, u32)>> = {
        use rayon::prelude::*;
        pieces.into_par_iter().map(joins_in).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let joins: Vec<Vec<(u32, u32)>> = pieces.into_iter().map(joins_in).collect();
    let mut uf = UnionFind::new(records.len());
    for (a, b) in joins.into_iter().flatten() {
        uf.union(a, b);
    }
    (0..records.len() as u32).map(|i| uf.find(i)).collect()
}

/// Every event of the ledger's records with its prospect: contacts, then
/// meetings, then sales, each in index order.
fn events_with_prospects<'a>(
    contacts: &'a [ContactRow],
    meetings: &'a [MeetingRow],
    sales: &'a [SaleRow],
) -> impl Iterator<Item = (u32, Event)> + 'a {
    let event = |kind, index: usize, time_us| Event {
        time_us,
        kind,
        index: index as u32,
    };
    let contacts = contacts
        .iter()
        .enumerate()
        .map(move |(i, c)| (c.prospect, event(EventKind::Contact, i, c.occurred_us)));
    let meetings = meetings
        .iter()
        .enumerate()
        .map(move |(i, m)| (m.prospect, event(EventKind::Meeting, i, m.held_us)));
    let sales = sales
        .iter()
        .enumerate()
        .map(move |(i, s)| (s.prospect, event(EventKind::Sale, i, s.closed_us)));
    contacts.chain(meetings).chain(sales)
}

/// Sorts each prospect's events (`events[offsets[p]..offsets[p + 1]]`);
/// with the `parallel` feature, runs of prospects are sorted in parallel.
fn sort_each_prospect(events: &mut [Event], offsets: &[u32]) {
    let sort_run = |run: &mut [Event], offsets: &[u32]| {
        let base = offsets.first().copied().unwrap_or(0);
        for w in offsets.windows(2) {
            if let [a, b] = *w
                && let Some(slice) = run.get_mut((a - base) as usize..(b - base) as usize)
            {
                slice.sort_unstable();
            }
        }
    };
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        const RUNS: usize = 256;
        let prospects = offsets.len().saturating_sub(1);
        let mut runs: Vec<(&mut [Event], &[u32])> = Vec::with_capacity(RUNS);
        let mut rest = events;
        let mut start = 0usize;
        for k in 1..=RUNS {
            let end = prospects * k / RUNS;
            let (lo, hi) = (
                offsets.get(start).copied().unwrap_or(0),
                offsets.get(end).copied().unwrap_or(0),
            );
            let (run, tail) = rest.split_at_mut(((hi - lo) as usize).min(rest.len()));
            runs.push((run, offsets.get(start..=end).unwrap_or(&[])));
            rest = tail;
            start = end;
        }
        runs.into_par_iter()
            .for_each(|(run, offsets)| sort_run(run, offsets));
    }
    #[cfg(not(feature = "parallel"))]
    sort_run(events, offsets);
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

/// Prospect of each record when every label is its cluster's smallest
/// record (union–find roots, as partitions and identity rules give):
/// roots are numbered in record order, in parallel chunks. `None` when
/// some label is not such a root.
fn prospects_of_rooted(labels: &[u32]) -> Option<Vec<u32>> {
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
    #[cfg(feature = "parallel")]
    let counts: Vec<Option<u32>> = {
        use rayon::prelude::*;
        labels.par_chunks(CHUNK).enumerate().map(roots_in).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let counts: Vec<Option<u32>> = labels.chunks(CHUNK).enumerate().map(roots_in).collect();
    let mut firsts = Vec::with_capacity(counts.len());
    let mut next = 0u32;
    for c in counts {
        firsts.push(next);
        next += c?;
    }
    // Each root's prospect number (`NONE` for other records), then each
    // record's through its root.
    let number = |(k, chunk): (usize, &[u32])| -> Vec<u32> {
        let mut next = firsts.get(k).copied().unwrap_or(0);
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
    #[cfg(feature = "parallel")]
    let prospects = {
        use rayon::prelude::*;
        let of_root: Vec<u32> = labels
            .par_chunks(CHUNK)
            .enumerate()
            .flat_map_iter(number)
            .collect();
        labels
            .par_iter()
            .map(|&l| of_root.get(l as usize).copied().unwrap_or(NONE))
            .collect()
    };
    #[cfg(not(feature = "parallel"))]
    let prospects = {
        let of_root: Vec<u32> = labels.chunks(CHUNK).enumerate().flat_map(number).collect();
        labels
            .iter()
            .map(|&l| of_root.get(l as usize).copied().unwrap_or(NONE))
            .collect()
    };
    Some(prospects)
}

/// Prospect of each record for arbitrary labels: clusters numbered in the
/// order of their smallest record.
fn prospects_of_any(labels: &[u32]) -> Vec<u32> {
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
    /// Position in `events` of each contact, meeting and sale.
    contact_pos: Vec<u32>,
    meeting_pos: Vec<u32>,
    sale_pos: Vec<u32>,
    rejections: Vec<Rejection>,
    warnings: Vec<Warning>,
    inputs: [u64; 5],
}

impl Ledger {
    /// The accepted records as Rust values, each kind in id byte order:
    /// what [`LedgerBuilder::add_records`] would need to build this ledger
    /// again (with its prospect identity).
    pub fn to_records(&self) -> Records {
        Records {
            reps: self.reps.clone(),
            prospects: (0..self.records.len())
                .filter_map(|i| self.prospect_record(i))
                .collect(),
            contacts: (0..self.contacts.len()).filter_map(|i| self.contact(i)).collect(),
            meetings: (0..self.meetings.len()).filter_map(|i| self.meeting(i)).collect(),
            sales: (0..self.sales.len()).filter_map(|i| self.sale(i)).collect(),
        }
    }

    /// The rep id of rep index `rep`, as an id value.
    fn rep_value(&self, rep: u32) -> Option<RepId> {
        self.reps.get(rep as usize).map(|r| r.rep_id.clone())
    }

    /// The record id of record index `record`, as an id value.
    fn record_value(&self, record: u32) -> Option<ProspectId> {
        self.records.prospect_id(record as usize).map(ProspectId::from)
    }

    /// Prospect record `i` as a Rust value.
    pub(crate) fn prospect_record(&self, i: usize) -> Option<ProspectRecord> {
        let r = self.records.get(i)?;
        Some(ProspectRecord {
            prospect_id: r.prospect_id.into(),
            name: r.name.map(str::to_owned),
            company: r.company.map(str::to_owned),
            email: r.email.map(str::to_owned),
            phone: r.phone.map(str::to_owned),
            city: r.city.map(str::to_owned),
            country: r.country.map(str::to_owned),
            source: r.source,
            created_at: self.records.created_us(i).map(from_micros),
            created_by: match self.records.created_by(i) {
                Some(rep) => Some(self.rep_value(rep)?),
                None => None,
            },
        })
    }

    /// Contact `i` as a Rust value.
    pub(crate) fn contact(&self, i: usize) -> Option<Contact> {
        let c = self.contacts.get(i)?;
        Some(Contact {
            contact_id: self.contact_ids.get(i)?.into(),
            rep_id: self.rep_value(c.rep)?,
            prospect_id: self.record_value(c.record)?,
            occurred_at: from_micros(c.occurred_us),
            logged_at: c.logged_us().map(from_micros),
            channel: c.channel,
            direction: c.direction,
            duration_s: c.duration_s(),
            outcome: c.outcome,
        })
    }

    /// Meeting `i` as a Rust value.
    pub(crate) fn meeting(&self, i: usize) -> Option<Meeting> {
        let m = self.meetings.get(i)?;
        Some(Meeting {
            meeting_id: self.meeting_ids.get(i)?.into(),
            rep_id: self.rep_value(m.rep)?,
            prospect_id: self.record_value(m.record)?,
            held_at: from_micros(m.held_us),
            status: m.status,
        })
    }

    /// Sale `i` as a Rust value (an empty currency code is no currency).
    pub(crate) fn sale(&self, i: usize) -> Option<Sale> {
        let s = self.sales.get(i)?;
        let currency = self.currencies.get(s.currency as usize)?;
        Some(Sale {
            sale_id: self.sale_ids.get(i)?.into(),
            rep_id: self.rep_value(s.rep)?,
            prospect_id: self.record_value(s.record)?,
            closed_at: from_micros(s.closed_us),
            amount_minor: s.amount_minor(),
            currency: (!currency.is_empty()).then(|| currency.clone()),
        })
    }

    /// A new builder.
    pub fn builder() -> LedgerBuilder {
        LedgerBuilder::new()
    }

    fn index_events(&mut self) {
        let record_prospect = &self.record_prospect;
        let prospect_of = |record: u32| {
            record_prospect
                .get(record as usize)
                .copied()
                .unwrap_or(NONE)
        };
        #[cfg(feature = "parallel")]
        {
            use rayon::prelude::*;
            self.contacts
                .par_iter_mut()
                .for_each(|c| c.prospect = prospect_of(c.record));
            self.meetings
                .par_iter_mut()
                .for_each(|m| m.prospect = prospect_of(m.record));
            self.sales
                .par_iter_mut()
                .for_each(|s| s.prospect = prospect_of(s.record));
        }
        #[cfg(not(feature = "parallel"))]
        {
            for c in &mut self.contacts {
                c.prospect = prospect_of(c.record);
            }
            for m in &mut self.meetings {
                m.prospect = prospect_of(m.record);
            }
            for s in &mut self.sales {
                s.prospect = prospect_of(s.record);
            }
        }
        let n = self.prospect_count();
        let mut offsets = vec![0u32; n + 1];
        let bump = |offsets: &mut Vec<u32>, p: u32| {
            if let Some(o) = offsets.get_mut(p as usize + 1) {
                *o += 1;
            }
        };
        events_with_prospects(&self.contacts, &self.meetings, &self.sales)
            .for_each(|(p, _)| bump(&mut offsets, p));
        for i in 1..offsets.len() {
            let prev = offsets.get(i - 1).copied().unwrap_or(0);
            if let Some(o) = offsets.get_mut(i) {
                *o += prev;
            }
        }
        let total = offsets.last().copied().unwrap_or(0) as usize;
        let blank = Event {
            time_us: 0,
            kind: EventKind::Contact,
            index: 0,
        };
        // Filled in parallel: the table's fresh pages (hundreds of MB at
        // millions of events) fault in on both threads.
        #[cfg(feature = "parallel")]
        let mut events: Vec<Event> = {
            use rayon::prelude::*;
            (0..total).into_par_iter().map(|_| blank).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let mut events = vec![blank; total];
        // Prospects in runs of about equal event counts, one per thread:
        // each run scans every event and places (then sorts) its own, into
        // its own part of `events`.
        #[cfg(feature = "parallel")]
        let runs_wanted = rayon::current_num_threads().max(1);
        #[cfg(not(feature = "parallel"))]
        let runs_wanted = 1;
        let mut runs: Vec<(std::ops::Range<usize>, &mut [Event])> = Vec::new();
        let mut rest: &mut [Event] = &mut events;
        let mut lo = 0usize;
        for k in 1..=runs_wanted {
            let target = (total * k / runs_wanted) as u32;
            let hi = if k == runs_wanted {
                n
            } else {
                offsets.partition_point(|&o| o < target).min(n).max(lo)
            };
            let span =
                offsets.get(hi).copied().unwrap_or(0) - offsets.get(lo).copied().unwrap_or(0);
            let (run, tail) = rest.split_at_mut((span as usize).min(rest.len()));
            runs.push((lo..hi, run));
            rest = tail;
            lo = hi;
        }
        let (contacts, meetings, sales) = (&self.contacts, &self.meetings, &self.sales);
        let offsets_ref = &offsets;
        // Each record's position in `events`, written by the run that owns
        // its prospect once the run is sorted (atomics: runs write
        // scattered, disjoint slots).
        let atomic_table =
            |n: usize| -> Vec<AtomicU32> { (0..n).map(|_| AtomicU32::new(NONE)).collect() };
        let (contact_at, meeting_at, sale_at) = (
            atomic_table(contacts.len()),
            atomic_table(meetings.len()),
            atomic_table(sales.len()),
        );
        let place_run = |(prospects, run): (std::ops::Range<usize>, &mut [Event])| {
            let base = offsets_ref.get(prospects.start).copied().unwrap_or(0);
            let mut fill: Vec<u32> = offsets_ref
                .get(prospects.start..prospects.end)
                .unwrap_or(&[])
                .iter()
                .map(|o| o - base)
                .collect();
            let mut place = |p: u32, e: Event| {
                let p = p as usize;
                if prospects.contains(&p)
                    && let Some(pos) = fill.get_mut(p - prospects.start)
                {
                    if let Some(slot) = run.get_mut(*pos as usize) {
                        *slot = e;
                    }
                    *pos += 1;
                }
            };
            events_with_prospects(contacts, meetings, sales).for_each(|(p, e)| place(p, e));
            let run_offsets = offsets_ref
                .get(prospects.start..=prospects.end)
                .unwrap_or(&[]);
            sort_each_prospect(run, run_offsets);
            for (k, e) in run.iter().enumerate() {
                let table = match e.kind {
                    EventKind::Contact => &contact_at,
                    EventKind::Meeting => &meeting_at,
                    EventKind::Sale => &sale_at,
                };
                if let Some(slot) = table.get(e.index as usize) {
                    slot.store(base + k as u32, Relaxed);
                }
            }
        };
        #[cfg(feature = "parallel")]
        {
            use rayon::prelude::*;
            runs.into_par_iter().for_each(place_run);
        }
        #[cfg(not(feature = "parallel"))]
        runs.into_iter().for_each(place_run);

        let plain = |table: Vec<AtomicU32>| -> Vec<u32> {
            table.into_iter().map(AtomicU32::into_inner).collect()
        };
        let (contact_pos, meeting_pos, sale_pos) =
            (plain(contact_at), plain(meeting_at), plain(sale_at));
        self.events = events;
        self.event_offsets = offsets;
        self.contact_pos = contact_pos;
        self.meeting_pos = meeting_pos;
        self.sale_pos = sale_pos;
    }

    /// Position in [`Ledger::events`] of a record's event.
    pub fn event_position(&self, kind: EventKind, index: u32) -> Option<usize> {
        let table = match kind {
            EventKind::Contact => &self.contact_pos,
            EventKind::Meeting => &self.meeting_pos,
            EventKind::Sale => &self.sale_pos,
        };
        table
            .get(index as usize)
            .copied()
            .filter(|&p| p != NONE)
            .map(|p| p as usize)
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
            .and_then(|&r| self.records.prospect_id(r as usize))
            .unwrap_or("")
    }

    /// The source of prospect `prospect`: that of its cluster-id record,
    /// else the first record (in id order) that has one.
    pub fn prospect_source(&self, prospect: u32) -> Option<Source> {
        self.prospect_records(prospect)
            .iter()
            .find_map(|&r| self.records.source(r as usize))
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
            + (self.contact_pos.capacity() + self.meeting_pos.capacity() + self.sale_pos.capacity())
                * 4
            + self.record_prospect.capacity() * 4
            + self.prospect_records.capacity() * 4
            + self.prospect_records_offsets.capacity() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Channel, Direction};
    use chrono::{DateTime, TimeZone, Utc};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn clusters_from_roots_agree_with_clusters_from_any_labels(
            n in 0usize..300,
            joins in proptest::collection::vec((0u32..300, 0u32..300), 0..200),
            relabel in 0u32..1000,
        ) {
            // Union–find roots (each cluster's smallest record): the fast
            // numbering applies and agrees with the general one.
            let mut uf = UnionFind::new(n);
            for &(a, b) in &joins {
                if (a as usize) < n && (b as usize) < n {
                    uf.union(a, b);
                }
            }
            let roots: Vec<u32> = (0..n as u32).map(|i| uf.find(i)).collect();
            let fast = prospects_of_rooted(&roots);
            let any = prospects_of_any(&roots);
            prop_assert_eq!(fast.as_ref(), Some(&any));
            // Other labels for the same clusters: no fast path, same result.
            let other: Vec<u32> = roots.iter().map(|&r| r * 7 + relabel + 1).collect();
            if n > 0 {
                prop_assert_eq!(prospects_of_rooted(&other), None);
            }
            let (prospects, offsets, members) = clusters_from_labels(&other);
            prop_assert_eq!(Some(&prospects), fast.as_ref());
            // Members grouped by prospect, in record order; counts add up.
            prop_assert_eq!(offsets.last().copied().unwrap_or(0) as usize, n);
            for p in 0..offsets.len().saturating_sub(1) {
                let m = &members[offsets[p] as usize..offsets[p + 1] as usize];
                prop_assert!(!m.is_empty());
                prop_assert!(m.windows(2).all(|w| w[0] < w[1]));
                prop_assert!(m.iter().all(|&r| prospects[r as usize] == p as u32));
            }
        }
    }

    /// Defect 8, times: `logged_at` and `created_at` of `i64::MIN` µs (the
    /// readers' field path takes any i64) and `logged_at` at chrono's earliest instant
    /// are values, never "absent": an impossible `logged_at` is rejected, a
    /// `created_at` kept (or rejected), none silently dropped.
    #[test]
    fn min_i64_times_are_values_not_absent() {
        let occurred_us = Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap().timestamp_micros();
        let contact = |id: &'static str, logged_us: Option<i64>| ContactFields {
            contact_id: id,
            rep_id: "ana",
            prospect_id: "p1",
            occurred_us,
            logged_us,
            channel: Channel::Phone,
            direction: Direction::Outbound,
            duration_s: None,
            outcome: None,
        };
        let mut b = LedgerBuilder::new();
        b.mode(Mode::Lenient);
        b.add_rep(Rep::new("ana"));
        RecordSink::push_prospect(
            &mut b,
            1,
            &ProspectFields {
                prospect_id: "p1",
                created_us: Some(i64::MIN),
                ..ProspectFields::default()
            },
        );
        RecordSink::push_contact(&mut b, 1, &contact("c1", Some(i64::MIN)));
        RecordSink::push_contact(&mut b, 2, &contact("c2", None));
        let mut c3 = Contact::new("c3", "ana", "p1", Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap(), Channel::Email);
        c3.logged_at = Some(DateTime::<Utc>::MIN_UTC);
        b.add_contact(c3);
        let l = b.build().unwrap();
        let rejected: Vec<(&str, &str)> = l
            .rejections()
            .iter()
            .map(|r| (r.id.as_str(), r.field.as_str()))
            .collect();
        assert!(rejected.contains(&("c1", "logged_at")), "{rejected:?}");
        assert!(rejected.contains(&("c3", "logged_at")), "{rejected:?}");
        // c2 gave no logged_at: absent, and loaded.
        assert_eq!(l.contacts().len(), 1);
        assert_eq!(l.contacts()[0].logged_us(), None);
        // created_at of i64::MIN µs: kept as given unless refused outright.
        if !rejected.contains(&("p1", "created_at")) {
            assert_eq!(l.records().created_us(0), Some(i64::MIN));
        }
    }
}

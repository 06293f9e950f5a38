//! Staging: records as readers (or Rust values) hand them over, checked
//! for syntax but not yet validated (SPEC §3) or grouped (SPEC §4), with
//! ids replaced by symbols of the builder's id tables. The ledger's build
//! validates and consumes a [`Staging`].
//!
//! Bulk readers stage on several threads at once: an [`EventBatch`] or
//! [`ProspectBatch`] is filled off the builder against a read-only
//! [`Resolver`], then appended in input order.

use crate::error::Rejection;
use crate::intern::{Interner, NONE, TextColumn, hash_str};
use crate::model::{Channel, Direction, MeetingStatus, Outcome, RecordKind, Rep, Source};
use crate::par;

use super::sink::{ContactFields, MeetingFields, ProspectFields, SaleFields};

/// A contact with dense indices instead of ids: staged here (with the
/// builder's symbols), then validated and re-indexed in place by the
/// ledger, which stores it as is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ContactRow {
    /// Rep index.
    pub(crate) rep: u32,
    /// Prospect record index.
    pub(crate) record: u32,
    /// Prospect (cluster) index.
    pub(crate) prospect: u32,
    /// `occurred_at`, µs since the epoch.
    pub(crate) occurred_us: i64,
    /// `logged_at` in µs when [`LOGGED`] is set (else 0).
    logged_us: i64,
    /// `duration_s` when [`DURATION`] is set (else 0).
    duration: i64,
    /// Channel.
    pub(crate) channel: Channel,
    /// Outcome, if logged.
    pub(crate) outcome: Option<Outcome>,
    /// The direction's index, and whether `logged_us` and `duration` were
    /// given ([`LOGGED`], [`DURATION`]): flags, not reserved values, because
    /// every i64 is a value a caller can write (a duration of i64::MIN must
    /// be rejected as negative, not read as absent). One byte for the
    /// three keeps rows at 40 bytes instead of 48: 80 MB of a ledger of 10M
    /// contacts, and twice that while the build puts them in id order.
    flags: u8,
}

/// [`ContactRow::flags`]: `logged_at` given.
const LOGGED: u8 = 1 << 7;
/// [`ContactRow::flags`]: `duration_s` given.
const DURATION: u8 = 1 << 6;
/// [`ContactRow::flags`]: the bits of the direction's index.
const DIRECTION: u8 = DURATION - 1;

const _: () = assert!(Direction::ALL.len() <= DIRECTION as usize + 1);
const _: () = assert!(std::mem::size_of::<ContactRow>() == 40);

impl ContactRow {
    /// `logged_at` in µs, if given.
    pub(crate) fn logged_us(&self) -> Option<i64> {
        (self.flags & LOGGED != 0).then_some(self.logged_us)
    }

    /// `duration_s`, if given.
    pub(crate) fn duration_s(&self) -> Option<i64> {
        (self.flags & DURATION != 0).then_some(self.duration)
    }

    /// Direction.
    pub(crate) fn direction(&self) -> Direction {
        // invariant: the bits hold a direction's index (see `staged_contact`).
        let direction = Direction::ALL
            .get(usize::from(self.flags & DIRECTION))
            .copied();
        debug_assert!(direction.is_some());
        direction.unwrap_or_default()
    }
}

/// A contact as staged: a [`ContactRow`] whose `rep` and `record` hold
/// symbols of the builder's tables and whose `duration` is the value as
/// given, not yet validated; the build validates and remaps it in place,
/// so a contact's fields are stored once.
pub(crate) fn staged_contact(rep: u32, record: u32, f: &ContactFields<'_>) -> ContactRow {
    ContactRow {
        rep,
        record,
        prospect: NONE,
        occurred_us: f.occurred_us,
        logged_us: f.logged_us.unwrap_or(0),
        duration: f.duration_s.unwrap_or(0),
        channel: f.channel,
        outcome: f.outcome,
        flags: direction_bits(f.direction)
            | if f.logged_us.is_some() { LOGGED } else { 0 }
            | if f.duration_s.is_some() { DURATION } else { 0 },
    }
}

/// The direction's index in [`ContactRow::flags`].
fn direction_bits(direction: Direction) -> u8 {
    // Every direction's index fits the bits below the flags (asserted
    // with `DIRECTION`).
    u8::try_from(direction.index()).map_or(0, |i| i & DIRECTION)
}

#[derive(Debug, Clone)]
pub(crate) struct StagedMeeting {
    pub(crate) row: u64,
    pub(crate) rep: u32,
    pub(crate) record: u32,
    pub(crate) held_us: i64,
    pub(crate) status: MeetingStatus,
}

#[derive(Debug, Clone)]
pub(crate) struct StagedSale {
    pub(crate) row: u64,
    pub(crate) rep: u32,
    pub(crate) record: u32,
    pub(crate) closed_us: i64,
    pub(crate) amount: Option<i64>,
    pub(crate) currency: u32,
}

#[derive(Debug, Clone)]
pub(crate) struct StagedProspect {
    pub(crate) row: u64,
    pub(crate) id: u32,
    pub(crate) text_row: usize,
    pub(crate) source: Option<Source>,
    pub(crate) created_us: Option<i64>,
    pub(crate) created_by: u32,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct StagedTexts {
    pub(crate) name: TextColumn,
    pub(crate) company: TextColumn,
    pub(crate) email: TextColumn,
    pub(crate) phone: TextColumn,
    pub(crate) city: TextColumn,
    pub(crate) country: TextColumn,
}

impl StagedTexts {
    pub(crate) fn columns_mut(&mut self) -> [&mut TextColumn; 6] {
        [
            &mut self.name,
            &mut self.company,
            &mut self.email,
            &mut self.phone,
            &mut self.city,
            &mut self.country,
        ]
    }

    /// Removes every entry, keeping the allocations.
    pub(crate) fn clear(&mut self) {
        self.columns_mut().into_iter().for_each(TextColumn::clear);
    }

    /// Pads every column with absent values to `rows` entries.
    pub(crate) fn pad_to(&mut self, rows: usize) {
        for col in self.columns_mut() {
            col.pad_to(rows);
        }
    }
}

/// A count per record kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct KindCounts {
    rep: u64,
    prospect: u64,
    contact: u64,
    meeting: u64,
    sale: u64,
}

impl KindCounts {
    fn slot(&mut self, kind: RecordKind) -> &mut u64 {
        match kind {
            RecordKind::Rep => &mut self.rep,
            RecordKind::Prospect => &mut self.prospect,
            RecordKind::Contact => &mut self.contact,
            RecordKind::Meeting => &mut self.meeting,
            RecordKind::Sale => &mut self.sale,
        }
    }

    /// The count of `kind`.
    pub(crate) fn get(&self, kind: RecordKind) -> u64 {
        match kind {
            RecordKind::Rep => self.rep,
            RecordKind::Prospect => self.prospect,
            RecordKind::Contact => self.contact,
            RecordKind::Meeting => self.meeting,
            RecordKind::Sale => self.sale,
        }
    }

    /// Adds `n` to the count of `kind`.
    pub(crate) fn add(&mut self, kind: RecordKind, n: u64) {
        *self.slot(kind) += n;
    }
}

/// What a [`LedgerBuilder`](crate::LedgerBuilder) has collected and not
/// yet validated: records staged with symbols of its id tables, in input
/// order. Readers fill it directly (in parallel batches, see
/// [`EventBatch`] and [`ProspectBatch`]); the ledger's build validates and
/// consumes it. Not nameable outside the crate.
#[derive(Debug, Default)]
pub struct Staging {
    /// Whether prospect records drop name, company, e-mail, phone, city
    /// and country (deduplication needs them; reports do not).
    pub(crate) drop_prospect_text: bool,
    pub(crate) rep_syms: Interner,
    pub(crate) record_syms: Interner,
    /// Ids of staged contacts, meetings and sales (index = staged index):
    /// not interned, since nothing refers to them; duplicates are found by
    /// sorting.
    pub(crate) contact_ids: TextColumn,
    pub(crate) meeting_ids: TextColumn,
    pub(crate) sale_ids: TextColumn,
    pub(crate) currency_syms: Interner,
    pub(crate) reps: Vec<(u64, Rep)>,
    pub(crate) prospects: Vec<StagedProspect>,
    pub(crate) prospect_texts: StagedTexts,
    pub(crate) contacts: Vec<ContactRow>,
    /// Source row of each staged contact.
    pub(crate) contact_rows: RowNumbers,
    pub(crate) meetings: Vec<StagedMeeting>,
    pub(crate) sales: Vec<StagedSale>,
    /// Rejections found by readers before a record could be staged.
    pub(crate) early_rejections: Vec<Rejection>,
    /// Records seen per kind (staged or rejected early), in `RecordKind::ALL` order.
    pub(crate) inputs: KindCounts,
    /// Pairs of prospect record ids known to be one prospect (must-links,
    /// such as a converted lead and its contact).
    pub(crate) links: Vec<(Box<str>, Box<str>)>,
}

impl Staging {
    /// Whether prospect details are kept (see [`Self::keep_prospect_details`]).
    pub(crate) fn keeps_prospect_details(&self) -> bool {
        !self.drop_prospect_text
    }

    /// The next 1-based position for a record of `kind` added as a Rust value.
    pub(crate) fn next_position(&self, kind: RecordKind) -> u64 {
        self.inputs.get(kind) + 1
    }

    pub(crate) fn count(&mut self, kind: RecordKind) {
        self.inputs.add(kind, 1);
    }

    /// Records a rejection found before the record could be parsed (used by
    /// readers for `missing_field`, `bad_time`, `bad_number`,
    /// `unknown_enum`). It counts as one input record of its kind.
    pub(crate) fn reject(&mut self, rejection: Rejection) {
        self.count(rejection.kind);
        self.early_rejections.push(rejection);
    }

    /// Makes room for about `additional` more records of `kind` (readers
    /// call it with an estimate from the file size), so that bulk loads do
    /// not grow tables step by step.
    pub(crate) fn reserve(&mut self, kind: RecordKind, additional: usize) {
        const ID_BYTES: usize = 12;
        match kind {
            RecordKind::Rep => self.reps.reserve(additional),
            RecordKind::Prospect => {
                self.prospects.reserve(additional);
                self.record_syms.reserve(additional, ID_BYTES);
            }
            RecordKind::Contact => {
                self.contacts.reserve(additional);
                self.contact_ids.reserve(additional, ID_BYTES);
            }
            RecordKind::Meeting => {
                self.meetings.reserve(additional);
                self.meeting_ids.reserve(additional, ID_BYTES);
            }
            RecordKind::Sale => {
                self.sales.reserve(additional);
                self.sale_ids.reserve(additional, ID_BYTES);
            }
        }
    }

    /// The id tables staging reads, and the staged rows appending writes,
    /// borrowed apart: a window of batches is appended while the next is
    /// staged.
    pub(crate) fn split_for_events(&mut self) -> (Resolver<'_>, EventRows<'_>) {
        (
            Resolver {
                reps: &self.rep_syms,
                records: &self.record_syms,
            },
            EventRows {
                contacts: &mut self.contacts,
                contact_rows: &mut self.contact_rows,
                contact_ids: &mut self.contact_ids,
                meetings: &mut self.meetings,
                meeting_ids: &mut self.meeting_ids,
                sales: &mut self.sales,
                sale_ids: &mut self.sale_ids,
            },
        )
    }

    /// The part of appending a batch of `kind` (staged against the
    /// resolver of [`Self::split_for_events`]) that needs the builder:
    /// counts its rows, takes its rejections and interns the ids it named
    /// that the resolver did not know, and sale currencies. Rows of the
    /// source before the batch: `row_base`. Then [`EventRows::append`]
    /// moves its rows.
    pub(crate) fn prepare_batch(
        &mut self,
        kind: RecordKind,
        batch: &mut EventBatch,
        row_base: u64,
    ) {
        self.inputs.add(kind, batch.rows);
        for mut r in batch.rejections.drain(..) {
            r.row += row_base;
            self.early_rejections.push(r);
        }
        // References unknown to the resolver: intern them now (the build
        // then reports them as unknown, or resolves them if a later record
        // defines them).
        for (pos, is_rep, text) in batch.unresolved.drain(..) {
            let sym = if is_rep {
                self.rep_syms.intern(&text)
            } else {
                self.record_syms.intern(&text)
            };
            let pos = pos as usize;
            let slot = match kind {
                RecordKind::Contact => batch
                    .contacts
                    .get_mut(pos)
                    .map(|c| if is_rep { &mut c.rep } else { &mut c.record }),
                RecordKind::Meeting => batch
                    .meetings
                    .get_mut(pos)
                    .map(|m| if is_rep { &mut m.rep } else { &mut m.record }),
                RecordKind::Sale => batch
                    .sales
                    .get_mut(pos)
                    .map(|s| if is_rep { &mut s.rep } else { &mut s.record }),
                RecordKind::Rep | RecordKind::Prospect => None,
            };
            if let Some(slot) = slot {
                *slot = sym;
            }
        }
        for (i, s) in batch.sales.iter_mut().enumerate() {
            s.currency = self
                .currency_syms
                .intern(batch.currencies.get(i).unwrap_or(""));
        }
    }

    /// Appends a batch of prospect records, shifting its rows by `row_base`.
    pub(crate) fn append_prospects(&mut self, batch: &mut ProspectBatch, row_base: u64) {
        self.inputs.add(RecordKind::Prospect, batch.rows);
        for mut r in batch.rejections.drain(..) {
            r.row += row_base;
            self.early_rejections.push(r);
        }
        let first_text_row = self.prospects.len();
        // Ids hashed on the parsing threads, interned together (table
        // slots read ahead; meanwhile the next blocks are parsed).
        let ids = self.record_syms.intern_bulk(&batch.ids, &batch.id_hashes);
        // Creating reps looked up in parallel (reps are loaded already);
        // an unknown one is interned below, in row order.
        let rep_syms = &self.rep_syms;
        let creator = |i: usize| {
            batch
                .created_by
                .get(i)
                .map_or(Some(NONE), |r| rep_syms.lookup(r))
        };
        let creators: Vec<Option<u32>> = par::map_indices(batch.staged.len(), creator);
        for (i, &(row, source, created_us)) in batch.staged.iter().enumerate() {
            let id = match ids.get(i) {
                Some(&id) => id,
                None => self.record_syms.intern(batch.ids.get(i).unwrap_or("")),
            };
            let created_by = match creators.get(i) {
                Some(Some(sym)) => *sym,
                _ => match batch.created_by.get(i) {
                    Some(r) => self.rep_syms.intern(r),
                    None => NONE,
                },
            };
            self.prospects.push(StagedProspect {
                row: row + row_base,
                id,
                text_row: first_text_row + i,
                source,
                created_us,
                created_by,
            });
        }
        let t = &mut self.prospect_texts;
        if self.drop_prospect_text {
            // Absent details cost nothing per row (see `TextColumn`).
            t.pad_to(self.prospects.len());
            return;
        }
        // Details kept again after being dropped: align the rows first.
        t.pad_to(first_text_row);
        t.name.append(&batch.texts.name);
        t.company.append(&batch.texts.company);
        t.email.append(&batch.texts.email);
        t.phone.append(&batch.texts.phone);
        t.city.append(&batch.texts.city);
        t.country.append(&batch.texts.country);
    }

    /// Adds a rep found at `row` of its source.
    pub(crate) fn push_rep(&mut self, row: u64, rep: Rep) {
        self.count(RecordKind::Rep);
        let _ = self.rep_syms.intern(rep.rep_id.as_str());
        self.reps.push((row, rep));
    }

    /// Adds a prospect record found at `row` of its source.
    pub(crate) fn push_prospect(&mut self, row: u64, f: &ProspectFields<'_>) {
        self.count(RecordKind::Prospect);
        let id = self.record_syms.intern(f.prospect_id);
        let created_by = match f.created_by {
            Some(r) if !r.is_empty() => self.rep_syms.intern(r),
            _ => NONE,
        };
        let t = &mut self.prospect_texts;
        let text_row = self.prospects.len();
        if self.drop_prospect_text {
            t.pad_to(text_row + 1);
            self.prospects.push(StagedProspect {
                row,
                id,
                text_row,
                source: f.source,
                created_us: f.created_us,
                created_by,
            });
            return;
        }
        t.pad_to(text_row);
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
            created_us: f.created_us,
            created_by,
        });
    }

    /// Adds a contact found at `row` of its source.
    pub(crate) fn push_contact(&mut self, row: u64, f: &ContactFields<'_>) {
        self.count(RecordKind::Contact);
        let rep = self.rep_syms.intern(f.rep_id);
        let record = self.record_syms.intern(f.prospect_id);
        self.contact_ids.push(Some(f.contact_id));
        self.contact_rows.push(row);
        self.contacts.push(staged_contact(rep, record, f));
    }

    /// Adds a meeting found at `row` of its source.
    pub(crate) fn push_meeting(&mut self, row: u64, f: &MeetingFields<'_>) {
        self.count(RecordKind::Meeting);
        let staged = StagedMeeting {
            row,
            rep: self.rep_syms.intern(f.rep_id),
            record: self.record_syms.intern(f.prospect_id),
            held_us: f.held_us,
            status: f.status,
        };
        self.meeting_ids.push(Some(f.meeting_id));
        self.meetings.push(staged);
    }

    /// Adds a sale found at `row` of its source.
    pub(crate) fn push_sale(&mut self, row: u64, f: &SaleFields<'_>) {
        self.count(RecordKind::Sale);
        // An absent currency is the empty code, so every sale has an index.
        let currency = self.currency_syms.intern(f.currency.unwrap_or(""));
        let staged = StagedSale {
            row,
            rep: self.rep_syms.intern(f.rep_id),
            record: self.record_syms.intern(f.prospect_id),
            closed_us: f.closed_us,
            amount: f.amount_minor,
            currency,
        };
        self.sale_ids.push(Some(f.sale_id));
        self.sales.push(staged);
    }
}

/// The builder's id tables as they stand, read-only: lets readers stage
/// records on other threads once reps and prospect records are loaded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Resolver<'a> {
    reps: &'a Interner,
    records: &'a Interner,
}

impl Resolver<'static> {
    /// A resolver that knows no id (for staging that needs none).
    pub(crate) fn empty() -> Self {
        static NO_IDS: Interner = Interner::new();
        Resolver {
            reps: &NO_IDS,
            records: &NO_IDS,
        }
    }
}

/// Contacts, meetings or sales staged off the builder (for example on
/// another thread) against a [`Resolver`], then appended in input order
/// with [`Staging::prepare_batch`] and [`EventRows::append`]. Rows
/// are numbered from 1 within the batch; appending shifts them.
#[derive(Debug, Default)]
pub(crate) struct EventBatch {
    /// Input rows seen, staged or rejected.
    rows: u64,
    contacts: Vec<ContactRow>,
    /// Source row of each staged contact.
    contact_rows: Vec<u64>,
    meetings: Vec<StagedMeeting>,
    sales: Vec<StagedSale>,
    ids: TextColumn,
    /// Sale currencies, one entry per staged sale.
    currencies: TextColumn,
    /// References the resolver did not know: (staged position, rep?, text).
    unresolved: Vec<(u32, bool, String)>,
    rejections: Vec<Rejection>,
    /// Prospect ids of the staged events, resolved together by
    /// [`Self::finish`], and their hashes.
    pending_records: TextColumn,
    pending_hashes: Vec<u64>,
}

impl EventBatch {
    /// Resolves the rep now (a small table, in cache) and queues the
    /// prospect id: with millions of records each look-up is a cache miss,
    /// and resolving them in one pass lets the misses overlap.
    fn resolve(&mut self, r: &Resolver<'_>, pos: usize, rep_id: &str, prospect_id: &str) -> u32 {
        self.pending_records.push(Some(prospect_id));
        self.pending_hashes.push(hash_str(prospect_id));
        r.reps.lookup(rep_id).unwrap_or_else(|| {
            self.unresolved.push((pos as u32, true, rep_id.to_owned()));
            NONE
        })
    }

    /// Resolves the queued prospect ids of the staged events (in staging
    /// order, so unknown ids are listed in row order as before).
    pub(crate) fn finish(&mut self, r: &Resolver<'_>) {
        let mut unresolved = Vec::new();
        let (contacts, meetings, sales) = (&mut self.contacts, &mut self.meetings, &mut self.sales);
        let pending = &self.pending_records;
        r.records.lookup_in_order(
            &self.pending_hashes,
            |k| pending.get(k).unwrap_or(""),
            |k, text, sym| {
                let sym = sym.unwrap_or_else(|| {
                    unresolved.push((k as u32, false, text.to_owned()));
                    NONE
                });
                let slot = if !contacts.is_empty() {
                    contacts.get_mut(k).map(|c| &mut c.record)
                } else if !meetings.is_empty() {
                    meetings.get_mut(k).map(|m| &mut m.record)
                } else {
                    sales.get_mut(k).map(|s| &mut s.record)
                };
                if let Some(slot) = slot {
                    *slot = sym;
                }
            },
        );
        self.unresolved.append(&mut unresolved);
        self.pending_records.clear();
        self.pending_hashes.clear();
    }

    /// Empties the batch, keeping its allocations for reuse.
    pub(crate) fn clear(&mut self) {
        self.rows = 0;
        self.contacts.clear();
        self.contact_rows.clear();
        self.meetings.clear();
        self.sales.clear();
        self.ids.clear();
        self.currencies.clear();
        self.unresolved.clear();
        self.rejections.clear();
        self.pending_records.clear();
        self.pending_hashes.clear();
    }

    /// Input rows seen, staged or rejected.
    pub(crate) fn row_count(&self) -> u64 {
        self.rows
    }

    /// Counts a rejected input row (its row number is batch-local).
    pub(crate) fn reject(&mut self, rejection: Rejection) {
        self.rows += 1;
        self.rejections.push(rejection);
    }

    /// Stages a contact at batch-local `row`.
    pub(crate) fn push_contact(&mut self, r: &Resolver<'_>, row: u64, f: &ContactFields<'_>) {
        self.rows += 1;
        let (rep, record) = (
            self.resolve(r, self.contacts.len(), f.rep_id, f.prospect_id),
            NONE,
        );
        self.ids.push(Some(f.contact_id));
        self.contact_rows.push(row);
        self.contacts.push(staged_contact(rep, record, f));
    }

    /// Stages a meeting at batch-local `row`.
    pub(crate) fn push_meeting(&mut self, r: &Resolver<'_>, row: u64, f: &MeetingFields<'_>) {
        self.rows += 1;
        let (rep, record) = (
            self.resolve(r, self.meetings.len(), f.rep_id, f.prospect_id),
            NONE,
        );
        self.ids.push(Some(f.meeting_id));
        self.meetings.push(StagedMeeting {
            row,
            rep,
            record,
            held_us: f.held_us,
            status: f.status,
        });
    }

    /// Stages a sale at batch-local `row`.
    pub(crate) fn push_sale(&mut self, r: &Resolver<'_>, row: u64, f: &SaleFields<'_>) {
        self.rows += 1;
        let (rep, record) = (
            self.resolve(r, self.sales.len(), f.rep_id, f.prospect_id),
            NONE,
        );
        self.ids.push(Some(f.sale_id));
        self.currencies.push(f.currency);
        self.sales.push(StagedSale {
            row,
            rep,
            record,
            closed_us: f.closed_us,
            amount: f.amount_minor,
            currency: NONE,
        });
    }
}

/// The source row of each staged record, stored as runs of consecutive
/// rows: a file's rows are consecutive but for those rejected while
/// reading, so a few runs stand for millions of 8-byte row numbers.
#[derive(Debug, Clone, Default)]
pub(crate) struct RowNumbers {
    /// (first staged index, its row) of each run, in staged order.
    runs: Vec<(usize, u64)>,
    len: usize,
}

impl RowNumbers {
    /// Adds the row of the next staged record.
    pub(crate) fn push(&mut self, row: u64) {
        let continues = self.runs.last().is_some_and(|&(first, start)| {
            start.checked_add((self.len - first) as u64) == Some(row)
        });
        if !continues {
            self.runs.push((self.len, row));
        }
        self.len += 1;
    }

    /// The row of staged record `i`.
    pub(crate) fn get(&self, i: usize) -> Option<u64> {
        if i >= self.len {
            return None;
        }
        let run = self.runs.partition_point(|&(first, _)| first <= i);
        let &(first, start) = self.runs.get(run.checked_sub(1)?)?;
        start.checked_add((i - first) as u64)
    }

    /// Number of rows.
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

/// The staged rows of a builder that appending event batches writes (see
/// [`Staging::split_for_events`]).
pub(crate) struct EventRows<'a> {
    contacts: &'a mut Vec<ContactRow>,
    contact_rows: &'a mut RowNumbers,
    contact_ids: &'a mut TextColumn,
    meetings: &'a mut Vec<StagedMeeting>,
    meeting_ids: &'a mut TextColumn,
    sales: &'a mut Vec<StagedSale>,
    sale_ids: &'a mut TextColumn,
}

impl EventRows<'_> {
    /// Moves the rows of a batch of `kind` prepared by
    /// [`Staging::prepare_batch`], shifting them by `row_base`.
    pub(crate) fn append(&mut self, kind: RecordKind, batch: &mut EventBatch, row_base: u64) {
        match kind {
            RecordKind::Contact => {
                self.contact_ids.append(&batch.ids);
                for r in &batch.contact_rows {
                    self.contact_rows.push(r + row_base);
                }
                self.contacts.append(&mut batch.contacts);
            }
            RecordKind::Meeting => {
                self.meeting_ids.append(&batch.ids);
                self.meetings.extend(batch.meetings.drain(..).map(|mut m| {
                    m.row += row_base;
                    m
                }));
            }
            RecordKind::Sale => {
                self.sale_ids.append(&batch.ids);
                self.sales.extend(batch.sales.drain(..).map(|mut s| {
                    s.row += row_base;
                    s
                }));
            }
            RecordKind::Rep | RecordKind::Prospect => {}
        }
    }
}

/// Prospect records parsed off the builder (for example on another
/// thread), appended in input order with
/// [`Staging::append_prospects`], which interns their ids.
#[derive(Debug, Default)]
pub(crate) struct ProspectBatch {
    rows: u64,
    staged: Vec<(u64, Option<Source>, Option<i64>)>,
    ids: TextColumn,
    /// `intern::hash_str` of each id, computed on the parsing thread.
    id_hashes: Vec<u64>,
    created_by: TextColumn,
    texts: StagedTexts,
    rejections: Vec<Rejection>,
}

impl ProspectBatch {
    /// Input rows seen, staged or rejected.
    pub(crate) fn row_count(&self) -> u64 {
        self.rows
    }

    /// Counts a rejected input row (its row number is batch-local).
    pub(crate) fn reject(&mut self, rejection: Rejection) {
        self.rows += 1;
        self.rejections.push(rejection);
    }

    /// Empties the batch, keeping its allocations for reuse.
    pub(crate) fn clear(&mut self) {
        self.rows = 0;
        self.staged.clear();
        self.ids.clear();
        self.id_hashes.clear();
        self.created_by.clear();
        self.texts.clear();
        self.rejections.clear();
    }

    /// Stages a prospect record at batch-local `row`; its details (name,
    /// company, contact data, place) only when `keep_details`.
    pub(crate) fn push(&mut self, row: u64, f: &ProspectFields<'_>, keep_details: bool) {
        self.rows += 1;
        self.ids.push(Some(f.prospect_id));
        self.id_hashes.push(hash_str(f.prospect_id));
        self.created_by.push(f.created_by);
        self.staged.push((row, f.source, f.created_us));
        if !keep_details {
            return;
        }
        let t = &mut self.texts;
        t.name.push(f.name);
        t.company.push(f.company);
        t.email.push(f.email);
        t.phone.push(f.phone);
        t.city.push(f.city);
        t.country.push(f.country);
    }
}

#[cfg(test)]
mod tests {
    use super::RowNumbers;

    proptest::proptest! {
        /// Runs give back every row pushed, whatever the gaps and repeats.
        #[test]
        fn row_numbers_give_back_every_row(
            steps in proptest::collection::vec(0u64..4, 0..200),
            start in proptest::prelude::any::<u64>(),
        ) {
            let mut rows = RowNumbers::default();
            let mut pushed = Vec::new();
            let mut row = start;
            for step in steps {
                row = row.wrapping_add(step);
                rows.push(row);
                pushed.push(row);
            }
            proptest::prop_assert_eq!(rows.len(), pushed.len());
            for (i, &r) in pushed.iter().enumerate() {
                proptest::prop_assert_eq!(rows.get(i), Some(r));
            }
            proptest::prop_assert_eq!(rows.get(pushed.len()), None);
        }
    }
}

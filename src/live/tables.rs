//! The live ledger's event records, compact: each id stored once (one
//! interner per kind, whose symbol is the record's slot), references as
//! slots of reps and prospect records, times in µs.

use serde::{Deserialize, Serialize};

use crate::classify::sequence::{Event, EventFacts, EventKind};
use crate::intern::Interner;
use crate::model::{
    Channel, Contact, Direction, Meeting, MeetingStatus, Outcome, ProspectRecordId, RepId, Sale,
};
use crate::time::{from_micros, to_micros};

/// A contact without its ids. The two optional numbers are stored as
/// plain `i64`s with [`ABSENT`] for "none" (read through the accessors):
/// 16 bytes a contact less than two `Option<i64>`s.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct ContactRow {
    pub(super) occurred_us: i64,
    logged_us: i64,
    duration_s: i64,
    pub(super) channel: Channel,
    pub(super) direction: Direction,
    pub(super) outcome: Option<Outcome>,
}

/// The stored form of an absent `logged_at` or `duration_s`: neither
/// value can be it (no instant chrono holds is `i64::MIN` µs, and a
/// duration is never negative).
const ABSENT: i64 = i64::MIN;

impl ContactRow {
    pub(super) fn of(c: &Contact) -> Self {
        Self {
            occurred_us: to_micros(c.occurred_at),
            logged_us: c.logged_at.map_or(ABSENT, to_micros),
            duration_s: c.duration_s.unwrap_or(ABSENT),
            channel: c.channel,
            direction: c.direction,
            outcome: c.outcome,
        }
    }

    pub(super) fn logged_us(&self) -> Option<i64> {
        (self.logged_us != ABSENT).then_some(self.logged_us)
    }

    pub(super) fn duration_s(&self) -> Option<i64> {
        (self.duration_s != ABSENT).then_some(self.duration_s)
    }
}

impl ContactRow {
    /// What SPEC §3 asks of a stored contact's values.
    pub(super) fn is_valid(&self) -> bool {
        let logged_ok = self.logged_us().is_none_or(|l| l >= self.occurred_us);
        (self.duration_s == ABSENT || self.duration_s >= 0) && logged_ok
    }
}

/// A meeting without its ids.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct MeetingRow {
    pub(super) held_us: i64,
    pub(super) status: MeetingStatus,
}

impl MeetingRow {
    pub(super) fn of(m: &Meeting) -> Self {
        Self {
            held_us: to_micros(m.held_at),
            status: m.status,
        }
    }
}

/// A sale without its ids.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct SaleRow {
    pub(super) closed_us: i64,
    pub(super) amount_minor: Option<i64>,
    pub(super) currency: Option<Box<str>>,
}

impl SaleRow {
    pub(super) fn of(s: &Sale) -> Self {
        Self {
            closed_us: to_micros(s.closed_at),
            amount_minor: s.amount_minor,
            currency: s.currency.as_deref().map(Box::from),
        }
    }

    /// What SPEC §3 asks of a stored sale's values.
    pub(super) fn is_valid(&self) -> bool {
        self.amount_minor.is_none_or(|a| a >= 0)
    }

    /// The currency code (absent: the empty code, as a batch ledger has it).
    pub(super) fn currency_code(&self) -> &str {
        self.currency.as_deref().unwrap_or("")
    }
}

/// An event record with the slots of its rep and prospect record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Slot<R> {
    pub(super) row: R,
    pub(super) rep: u32,
    pub(super) record: u32,
}

/// Records of one kind by id: a record's slot is the symbol of its id, so
/// a removed record leaves its slot empty and takes it again when its id
/// comes back. `T` is what a slot holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Slots<T> {
    ids: Interner,
    rows: Vec<Option<T>>,
    /// Records stored (recounted when a snapshot is read).
    #[serde(skip)]
    live: usize,
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Self {
            ids: Interner::new(),
            rows: Vec::new(),
            live: 0,
        }
    }
}

impl<T> Slots<T> {
    pub(super) fn get(&self, slot: u32) -> Option<&T> {
        self.rows.get(slot as usize).and_then(Option::as_ref)
    }

    pub(super) fn get_mut(&mut self, slot: u32) -> Option<&mut T> {
        self.rows.get_mut(slot as usize).and_then(Option::as_mut)
    }

    /// The slot of the record with id `id`, if one is stored.
    pub(super) fn find(&self, id: &str) -> Option<u32> {
        let slot = self.ids.lookup(id)?;
        self.get(slot).map(|_| slot)
    }

    /// The id of a slot.
    pub(super) fn id(&self, slot: u32) -> &str {
        self.ids.get(slot)
    }

    /// Stores a record (its id not stored yet); `None` past 4 billion ids.
    pub(super) fn push(&mut self, id: &str, value: T) -> Option<u32> {
        let at = self.ids.intern(id);
        let i = usize::try_from(at).ok().filter(|_| at != u32::MAX)?;
        if self.rows.len() <= i {
            self.rows.resize_with(i + 1, || None);
        }
        let cell = self.rows.get_mut(i)?;
        debug_assert!(cell.is_none(), "ids are checked before");
        *cell = Some(value);
        self.live += 1;
        Some(at)
    }

    /// Stores a new version of the record in `slot` (same id).
    pub(super) fn set(&mut self, slot: u32, new: T) {
        if let Some(cell) = self.rows.get_mut(slot as usize) {
            debug_assert!(cell.is_some());
            *cell = Some(new);
        }
    }

    pub(super) fn take(&mut self, slot: u32) -> Option<T> {
        let taken = self.rows.get_mut(slot as usize).and_then(Option::take);
        self.live -= usize::from(taken.is_some());
        taken
    }

    /// Stored records with their slots, in slot order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (u32, &T)> + '_ {
        self.rows
            .iter()
            .enumerate()
            .filter_map(|(i, s)| Some((i as u32, s.as_ref()?)))
    }

    /// Stored records with their slots, in slot order, to change.
    pub(super) fn iter_mut(&mut self) -> impl Iterator<Item = (u32, &mut T)> + '_ {
        self.rows
            .iter_mut()
            .enumerate()
            .filter_map(|(i, s)| Some((i as u32, s.as_mut()?)))
    }

    /// Records stored.
    pub(super) fn count(&self) -> usize {
        self.live
    }

    /// Heap bytes held.
    pub(super) fn heap_bytes(&self) -> usize {
        self.ids.heap_bytes() + self.rows.capacity() * std::mem::size_of::<Option<T>>()
    }

    /// Frees the room kept for growth.
    pub(super) fn shrink_to_fit(&mut self) {
        self.ids.shrink_to_fit();
        self.rows.shrink_to_fit();
    }

    /// Lends out the ids (their hash table to be built elsewhere while the
    /// rows are worked on): until [`Slots::give_back_ids`], every id reads
    /// as empty and no id is found.
    pub(super) fn lend_ids(&mut self) -> Interner {
        std::mem::take(&mut self.ids)
    }

    /// Takes back the ids lent by [`Slots::lend_ids`].
    pub(super) fn give_back_ids(&mut self, ids: Interner) {
        self.ids = ids;
    }

    /// Makes room for `additional` more records (ids of about `id_len`
    /// bytes) without growing the tables.
    pub(super) fn reserve(&mut self, additional: usize, id_len: usize) {
        self.ids.reserve(additional, id_len);
        self.rows.reserve(additional);
    }

    /// Checks a table read from a snapshot (one row per id, every stored
    /// record passing `check`, which may also reset derived fields) and
    /// counts its records.
    pub(super) fn restore_with(
        &mut self,
        mut check: impl FnMut(&str, &mut T) -> Result<(), String>,
    ) -> Result<(), String> {
        if self.rows.len() != self.ids.len() {
            return Err("a table's rows do not match its ids".to_owned());
        }
        for (slot, row) in self.rows.iter_mut().enumerate() {
            if let Some(row) = row {
                check(self.ids.get(slot as u32), row)?;
            }
        }
        self.live = self.rows.iter().flatten().count();
        Ok(())
    }

    /// Slots used so far (stored or emptied).
    pub(super) fn slots(&self) -> usize {
        self.rows.len()
    }
}

impl<R: Sync> Slots<Slot<R>> {
    /// Checks an event table read from a snapshot: references to stored
    /// reps and records, values as SPEC §3 asks (rows checked on every
    /// thread: a snapshot holds millions).
    pub(super) fn restore(
        &mut self,
        rep_ok: impl Fn(u32) -> bool + Sync + Send,
        record_ok: impl Fn(u32) -> bool + Sync + Send,
        row_ok: impl Fn(&R) -> bool + Sync + Send,
    ) -> Result<(), String> {
        const CHUNK: usize = 1 << 16;
        if self.rows.len() != self.ids.len() {
            return Err("a table's rows do not match its ids".to_owned());
        }
        let ok = |s: &Slot<R>| rep_ok(s.rep) && record_ok(s.record) && row_ok(&s.row);
        let firsts = crate::par::map_chunks_indexed(&self.rows, CHUNK, |(c, rows)| {
            let bad = rows.iter().position(|r| r.as_ref().is_some_and(|s| !ok(s)));
            (bad.map(|i| c * CHUNK + i), rows.iter().flatten().count())
        });
        if let Some(slot) = firsts.iter().find_map(|&(bad, _)| bad) {
            let id = self.ids.get(slot as u32);
            return Err(format!("record {id:?} fails the checks of SPEC §3"));
        }
        self.live = firsts.iter().map(|&(_, n)| n).sum();
        Ok(())
    }
}

/// The event tables, read by the SPEC §5 order and the classifier.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct EventTables {
    pub(super) contacts: Slots<Slot<ContactRow>>,
    pub(super) meetings: Slots<Slot<MeetingRow>>,
    pub(super) sales: Slots<Slot<SaleRow>>,
}

impl EventFacts for EventTables {
    fn id(&self, e: Event) -> &str {
        match e.kind {
            EventKind::Contact => self.contacts.id(e.slot),
            EventKind::Meeting => self.meetings.id(e.slot),
            EventKind::Sale => self.sales.id(e.slot),
        }
    }

    fn rep(&self, e: Event) -> u32 {
        match e.kind {
            EventKind::Contact => self.contacts.get(e.slot).map(|s| s.rep),
            EventKind::Meeting => self.meetings.get(e.slot).map(|s| s.rep),
            EventKind::Sale => self.sales.get(e.slot).map(|s| s.rep),
        }
        .unwrap_or_default()
    }

    fn held(&self, e: Event) -> bool {
        e.kind == EventKind::Meeting
            && self
                .meetings
                .get(e.slot)
                .is_some_and(|s| s.row.status == MeetingStatus::Held)
    }
}

impl EventTables {
    pub(super) fn heap_bytes(&self) -> usize {
        self.contacts.heap_bytes() + self.meetings.heap_bytes() + self.sales.heap_bytes()
    }

    /// Frees the room kept for growth.
    pub(super) fn shrink_to_fit(&mut self) {
        self.contacts.shrink_to_fit();
        self.meetings.shrink_to_fit();
        self.sales.shrink_to_fit();
    }

    /// The time, rep and prospect record of a stored event.
    pub(super) fn refs(&self, kind: EventKind, slot: u32) -> Option<(i64, u32, u32)> {
        match kind {
            EventKind::Contact => self
                .contacts
                .get(slot)
                .map(|s| (s.row.occurred_us, s.rep, s.record)),
            EventKind::Meeting => self
                .meetings
                .get(slot)
                .map(|s| (s.row.held_us, s.rep, s.record)),
            EventKind::Sale => self
                .sales
                .get(slot)
                .map(|s| (s.row.closed_us, s.rep, s.record)),
        }
    }

    /// Every stored event with the slots of its rep and prospect record:
    /// contacts, then meetings, then sales, each kind in slot order.
    pub(super) fn stored(&self) -> impl Iterator<Item = (Event, u32, u32)> + '_ {
        let of = |kind, slot, time_us, rep, record| {
            (
                Event {
                    time_us,
                    kind,
                    slot,
                },
                rep,
                record,
            )
        };
        let contacts = self
            .contacts
            .iter()
            .map(move |(slot, c)| of(EventKind::Contact, slot, c.row.occurred_us, c.rep, c.record));
        let meetings = self
            .meetings
            .iter()
            .map(move |(slot, m)| of(EventKind::Meeting, slot, m.row.held_us, m.rep, m.record));
        let sales = self
            .sales
            .iter()
            .map(move |(slot, s)| of(EventKind::Sale, slot, s.row.closed_us, s.rep, s.record));
        contacts.chain(meetings).chain(sales)
    }

    /// The stored contacts as records, given the ids of rep and record
    /// slots.
    pub(super) fn contacts<'a>(
        &'a self,
        rep_id: impl Fn(u32) -> &'a str + 'a,
        record_id: impl Fn(u32) -> &'a str + 'a,
    ) -> impl Iterator<Item = Contact> + 'a {
        self.contacts
            .iter()
            .map(move |(slot, s)| self.contact(slot, s, rep_id(s.rep), record_id(s.record)))
    }

    /// Contact `slot` (stored as `s`) as a record, given its rep's and
    /// prospect record's ids.
    pub(super) fn contact(
        &self,
        slot: u32,
        s: &Slot<ContactRow>,
        rep_id: &str,
        record_id: &str,
    ) -> Contact {
        Contact {
            contact_id: self.contacts.id(slot).into(),
            rep_id: RepId::new(rep_id),
            prospect_id: ProspectRecordId::new(record_id),
            occurred_at: from_micros(s.row.occurred_us),
            logged_at: s.row.logged_us().map(from_micros),
            channel: s.row.channel,
            direction: s.row.direction,
            duration_s: s.row.duration_s(),
            outcome: s.row.outcome,
        }
    }

    /// The stored meetings as records.
    pub(super) fn meetings<'a>(
        &'a self,
        rep_id: impl Fn(u32) -> &'a str + 'a,
        record_id: impl Fn(u32) -> &'a str + 'a,
    ) -> impl Iterator<Item = Meeting> + 'a {
        self.meetings.iter().map(move |(slot, s)| Meeting {
            meeting_id: self.meetings.id(slot).into(),
            rep_id: RepId::new(rep_id(s.rep)),
            prospect_id: ProspectRecordId::new(record_id(s.record)),
            held_at: from_micros(s.row.held_us),
            status: s.row.status,
        })
    }

    /// The stored sales as records.
    pub(super) fn sales<'a>(
        &'a self,
        rep_id: impl Fn(u32) -> &'a str + 'a,
        record_id: impl Fn(u32) -> &'a str + 'a,
    ) -> impl Iterator<Item = Sale> + 'a {
        self.sales.iter().map(move |(slot, s)| Sale {
            sale_id: self.sales.id(slot).into(),
            rep_id: RepId::new(rep_id(s.rep)),
            prospect_id: ProspectRecordId::new(record_id(s.record)),
            closed_at: from_micros(s.row.closed_us),
            amount_minor: s.row.amount_minor,
            currency: s.row.currency.as_deref().map(str::to_owned),
        })
    }
}

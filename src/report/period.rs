//! The period report (SPEC §6): per (rep, period), counts of contacts by
//! class, new and engaged prospects, meetings, sales and revenue, and the
//! ratios between them — the misleading contact close rate next to the
//! honest ones.
//!
//! Computation is one pass over each prospect's events into a mergeable
//! [`PeriodAggregate`]: distinct-prospect counts are settled per prospect,
//! so partial aggregates over disjoint sets of prospects simply add. Within
//! a chunk, cells are found through a dense (rep, period) grid rather than
//! hashed, and record fields are looked up a block of events ahead.
//!
//! # Example
//! ```
//! use chrono::{Duration, TimeZone, Utc};
//! use sales_metrics::{classify, ClassifyConfig};
//! use sales_metrics::report::{PeriodSpec, Scope};
//! use sales_metrics::{Channel, Contact, LedgerBuilder, Meeting, ProspectRecord, Rep, Sale};
//!
//! let t = Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap();
//! let mut b = LedgerBuilder::new();
//! b.add_rep(Rep::new("ana"));
//! b.add_prospect(ProspectRecord::new("p1"));
//! b.add_contact(Contact::new("c1", "ana", "p1", t, Channel::Phone));
//! b.add_contact(Contact::new("c2", "ana", "p1", t + Duration::days(1), Channel::Phone));
//! b.add_meeting(Meeting::new("m1", "ana", "p1", t + Duration::days(2)));
//! b.add_sale(Sale::new("s1", "ana", "p1", t + Duration::days(3)));
//! let ledger = b.build()?;
//! let classified = classify(&ledger, &ClassifyConfig::default());
//! let report = classified.period_report(&Scope::all(), &PeriodSpec::monthly())?;
//! let row = &report.rows[0];
//! assert_eq!((row.rep_id.as_str(), row.period.as_str()), ("ana", "2026-06"));
//! assert_eq!(row.counts.contact_close_rate().to_string(), "50.0 % (1/2)");
//! assert_eq!(row.counts.meeting_close_rate().to_string(), "100.0 % (1/1)");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use chrono::NaiveDate;
use hashbrown::HashMap;
use serde::{Deserialize, Serialize};

use crate::classify::{Classified, ContactClass};
use crate::error::Result;
use crate::ledger::{Event, EventKind, Ledger, NONE};
use crate::model::{Channel, MeetingStatus};
use crate::ratio::Ratio;
use crate::report::aggregate::{Aggregate, ReportInput};
use crate::report::scope::{Calendar, OUTSIDE, PeriodKey, PeriodSpec, Scope};
use crate::table::{Cell, Table};

/// Counts of one (rep, period): the mergeable state of the period report.
/// Rates are computed from these only when asked.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PeriodCounts {
    /// Contacts.
    pub contacts: u64,
    /// Contacts per class, in [`ContactClass::ALL`] order.
    pub contacts_by_class: [u64; 4],
    /// Distinct prospects with a `new` contact.
    pub new_prospects: u64,
    /// Distinct prospects with a `new`, `follow_up` or `reactivated` contact.
    pub prospects_engaged: u64,
    /// Meetings with status `held`.
    pub meetings_held: u64,
    /// Meetings with status `no_show`.
    pub meetings_no_show: u64,
    /// Meetings with status `cancelled`.
    pub meetings_cancelled: u64,
    /// Distinct prospects with a held meeting.
    pub prospects_met: u64,
    /// Sales.
    pub sales: u64,
    /// Revenue in minor units: `(currency index of the ledger
    /// ([`Ledger::currencies`]), sum of amounts)`, sorted by index, one
    /// entry for every currency with at least one sale that has an amount
    /// (an amount of 0 included, SPEC §11); sales without an amount add
    /// nothing. Sparse: only the currencies this cell saw, so memory
    /// follows the sales, not cells × currencies.
    pub(crate) revenue_by_currency: Vec<(u32, i128)>,
    /// Sum of `duration_s` per class (SPEC §6 time_by_class). 128 bits:
    /// any number of durations up to `i64::MAX` each sums exactly.
    pub seconds_by_class: [i128; 4],
    /// Contacts without a duration, per class.
    pub untimed_by_class: [u64; 4],
    /// Sum of `duration_s` per channel, in [`Channel::ALL`] order (exact,
    /// like `seconds_by_class`).
    pub seconds_by_channel: [i128; 5],
    /// Contacts without a duration, per channel.
    pub untimed_by_channel: [u64; 5],
}

impl PeriodCounts {
    /// Adds another (rep, period)'s counts over disjoint prospects.
    pub fn merge(&mut self, other: &PeriodCounts) {
        self.contacts += other.contacts;
        add_arrays(&mut self.contacts_by_class, &other.contacts_by_class);
        self.new_prospects += other.new_prospects;
        self.prospects_engaged += other.prospects_engaged;
        self.meetings_held += other.meetings_held;
        self.meetings_no_show += other.meetings_no_show;
        self.meetings_cancelled += other.meetings_cancelled;
        self.prospects_met += other.prospects_met;
        self.sales += other.sales;
        merge_revenue(&mut self.revenue_by_currency, &other.revenue_by_currency);
        add_arrays(&mut self.seconds_by_class, &other.seconds_by_class);
        add_arrays(&mut self.untimed_by_class, &other.untimed_by_class);
        add_arrays(&mut self.seconds_by_channel, &other.seconds_by_channel);
        add_arrays(&mut self.untimed_by_channel, &other.untimed_by_channel);
    }

    /// Takes back counts added with [`PeriodCounts::merge`] (a live
    /// ledger's prospect that changed); revenue is kept by the caller.
    pub(crate) fn subtract(&mut self, other: &PeriodCounts) {
        debug_assert!(other.revenue_by_currency.is_empty());
        self.contacts -= other.contacts;
        sub_arrays(&mut self.contacts_by_class, &other.contacts_by_class);
        self.new_prospects -= other.new_prospects;
        self.prospects_engaged -= other.prospects_engaged;
        self.meetings_held -= other.meetings_held;
        self.meetings_no_show -= other.meetings_no_show;
        self.meetings_cancelled -= other.meetings_cancelled;
        self.prospects_met -= other.prospects_met;
        self.sales -= other.sales;
        sub_arrays(&mut self.seconds_by_class, &other.seconds_by_class);
        sub_arrays(&mut self.untimed_by_class, &other.untimed_by_class);
        sub_arrays(&mut self.seconds_by_channel, &other.seconds_by_channel);
        sub_arrays(&mut self.untimed_by_channel, &other.untimed_by_channel);
    }

    /// Counts one contact of `class` of a prospect whose distinct counts
    /// in this cell are settled by the caller (`first_new`,
    /// `first_engaged`: the prospect's first such contact here).
    pub(crate) fn count_contact(
        &mut self,
        class: ContactClass,
        channel: Channel,
        duration_s: Option<i64>,
        first_new: bool,
        first_engaged: bool,
    ) {
        let seconds = duration_s.filter(|&d| d >= 0);
        self.contacts += 1;
        bump(&mut self.contacts_by_class, class.index(), 1);
        bump(
            &mut self.seconds_by_class,
            class.index(),
            i128::from(seconds.unwrap_or(0)),
        );
        bump(
            &mut self.untimed_by_class,
            class.index(),
            u64::from(seconds.is_none()),
        );
        bump(
            &mut self.seconds_by_channel,
            channel.index(),
            i128::from(seconds.unwrap_or(0)),
        );
        bump(
            &mut self.untimed_by_channel,
            channel.index(),
            u64::from(seconds.is_none()),
        );
        self.new_prospects += u64::from(first_new);
        self.prospects_engaged += u64::from(first_engaged);
    }

    /// Contacts of one class.
    pub fn contacts_of(&self, class: ContactClass) -> u64 {
        self.contacts_by_class
            .get(class.index())
            .copied()
            .unwrap_or(0)
    }

    /// sales ÷ contacts — the misleading number, reported so that its gap
    /// to the others shows.
    pub fn contact_close_rate(&self) -> Ratio {
        Ratio::proportion(self.sales, self.contacts)
    }

    /// sales ÷ meetings_held (may exceed 1: a sale this period from last
    /// period's meeting).
    pub fn meeting_close_rate(&self) -> Ratio {
        Ratio::proportion(self.sales, self.meetings_held)
    }

    /// new_prospects ÷ contacts.
    pub fn new_prospect_rate(&self) -> Ratio {
        Ratio::proportion(self.new_prospects, self.contacts)
    }

    /// contacts_follow_up ÷ contacts.
    pub fn follow_up_share(&self) -> Ratio {
        Ratio::proportion(self.contacts_of(ContactClass::FollowUp), self.contacts)
    }

    /// contacts ÷ sales (not a proportion).
    pub fn contacts_per_sale(&self) -> Ratio {
        Ratio::quotient(self.contacts, self.sales)
    }
}

fn sub_arrays<T: Copy + std::ops::SubAssign, const N: usize>(a: &mut [T; N], b: &[T; N]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x -= *y;
    }
}

fn add_arrays<T: Copy + std::ops::AddAssign, const N: usize>(a: &mut [T; N], b: &[T; N]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += *y;
    }
}

/// Adds the sparse revenue `b` into `a` (both sorted by currency index).
fn merge_revenue(a: &mut Vec<(u32, i128)>, b: &[(u32, i128)]) {
    // The common case: the same currencies on both sides (often one).
    let same = a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.0 == y.0);
    if same {
        for (x, y) in a.iter_mut().zip(b) {
            x.1 += y.1;
        }
        return;
    }
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    loop {
        match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) if x.0 == y.0 => {
                out.push((x.0, x.1 + y.1));
                i += 1;
                j += 1;
            }
            (Some(&x), Some(&y)) if x.0 < y.0 => {
                out.push(x);
                i += 1;
            }
            (_, Some(&y)) => {
                out.push(y);
                j += 1;
            }
            (Some(&x), None) => {
                out.push(x);
                i += 1;
            }
            (None, None) => break,
        }
    }
    *a = out;
}

/// Partial period report over a set of prospects, keyed by (rep index,
/// period key). Merging partial aggregates over disjoint prospect sets is
/// associative and commutative, with [`Default`] as identity.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PeriodAggregate {
    /// Sorted by key, keys unique: merging walks two sorted lists (in
    /// place when one's keys are all in the other, as for chunks of one
    /// report) instead of hashing every cell, and rows come out in order.
    cells: Vec<((u32, PeriodKey), PeriodCounts)>,
}

type KeyedCounts = ((u32, PeriodKey), PeriodCounts);

/// Adds `from` into `into` in place if every key of `from` is in `into`
/// (both sorted); otherwise leaves `into` as it was and returns false.
fn add_in_place(into: &mut [KeyedCounts], from: &[KeyedCounts]) -> bool {
    let mut i = 0;
    for (k, _) in from {
        while into.get(i).is_some_and(|(x, _)| x < k) {
            i += 1;
        }
        if into.get(i).is_none_or(|(x, _)| x != k) {
            return false;
        }
    }
    let mut i = 0;
    for (k, v) in from {
        while into.get(i).is_some_and(|(x, _)| x < k) {
            i += 1;
        }
        if let Some((_, c)) = into.get_mut(i) {
            c.merge(v);
        }
    }
    true
}

/// Merges two sorted cell lists into one.
fn merge_sorted(a: Vec<KeyedCounts>, b: Vec<KeyedCounts>) -> Vec<KeyedCounts> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let mut a = a.into_iter().peekable();
    let mut b = b.into_iter().peekable();
    loop {
        let order = match (a.peek(), b.peek()) {
            (Some((x, _)), Some((y, _))) => x.cmp(y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => break,
        };
        match order {
            std::cmp::Ordering::Less => out.extend(a.next()),
            std::cmp::Ordering::Greater => out.extend(b.next()),
            std::cmp::Ordering::Equal => {
                if let (Some((k, mut v)), Some((_, w))) = (a.next(), b.next()) {
                    v.merge(&w);
                    out.push((k, v));
                }
            }
        }
    }
    out
}

impl PeriodAggregate {
    /// Adds `other` into `self` (sorted cell lists).
    fn merge_sorted_cells(&mut self, mut other: PeriodAggregate) {
        if other.cells.len() > self.cells.len() {
            std::mem::swap(self, &mut other);
        }
        if other.cells.is_empty() || add_in_place(&mut self.cells, &other.cells) {
            return;
        }
        let cells = std::mem::take(&mut self.cells);
        self.cells = merge_sorted(cells, other.cells);
    }

    /// Number of (rep, period) cells.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Whether there are no cells.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// The counts of one cell.
    #[cfg(test)]
    pub(crate) fn get(&self, rep: u32, period: PeriodKey) -> Option<&PeriodCounts> {
        let i = self
            .cells
            .binary_search_by_key(&(rep, period), |(k, _)| *k)
            .ok()?;
        self.cells.get(i).map(|(_, c)| c)
    }
}

/// What decides whether an event is in scope, resolved once per report.
pub(crate) struct ScopeFilter<'a> {
    rep_mask: Vec<bool>,
    scope: &'a Scope,
}

impl<'a> ScopeFilter<'a> {
    pub(crate) fn new(ledger: &Ledger, scope: &'a Scope) -> Result<Self> {
        Ok(Self {
            rep_mask: scope.rep_mask(ledger)?,
            scope,
        })
    }

    pub(crate) fn rep(&self, rep: u32) -> bool {
        self.rep_mask.get(rep as usize).copied().unwrap_or(false)
    }

    pub(crate) fn prospect(&self, ledger: &Ledger, prospect: u32) -> bool {
        self.scope
            .source
            .is_none_or(|s| ledger.prospect_source(prospect) == Some(s))
    }

    /// Channel scope: contacts by their own channel; meetings and sales by
    /// the channel of the contact that opened their engagement.
    pub(crate) fn channel(
        &self,
        ledger: &Ledger,
        classified: &Classified,
        kind: EventKind,
        index: u32,
        position: usize,
    ) -> bool {
        let Some(want) = self.scope.channel else {
            return true;
        };
        let channel_of = |c: u32| ledger.contacts().get(c as usize).map(|c| c.channel);
        match kind {
            EventKind::Contact => channel_of(index) == Some(want),
            EventKind::Meeting | EventKind::Sale => {
                classified
                    .event_engagement(position)
                    .and_then(|g| classified.engagement(g))
                    .and_then(|g| channel_of(g.start_contact))
                    == Some(want)
            }
        }
    }
}

/// The periods of a calendar's days numbered densely, so that finding an
/// event's (rep, period) cell indexes an array instead of hashing a key.
/// Built once per report.
pub(crate) struct PeriodSlots<'c> {
    calendar: &'c Calendar,
    /// Per calendar day: its period's slot, or `NONE` outside every custom
    /// range.
    day_slot: Vec<u32>,
    /// Per slot: the period key.
    keys: Vec<PeriodKey>,
}

impl<'c> PeriodSlots<'c> {
    pub(crate) fn new(calendar: &'c Calendar) -> Self {
        let days = calendar.day_periods();
        let mut keys: Vec<PeriodKey> = Vec::new();
        let day_slot = days
            .iter()
            .map(|&k| {
                if k == OUTSIDE {
                    return NONE;
                }
                // Keys ascend with days (a new key is a new slot); the
                // search only covers a key seen out of order.
                let slot = match keys.last() {
                    Some(&last) if last == k => keys.len() - 1,
                    Some(&last) if last > k => {
                        keys.iter().position(|&x| x == k).unwrap_or_else(|| {
                            keys.push(k);
                            keys.len() - 1
                        })
                    }
                    _ => {
                        keys.push(k);
                        keys.len() - 1
                    }
                };
                slot as u32
            })
            .collect();
        Self {
            calendar,
            day_slot,
            keys,
        }
    }

    /// The slot (`NONE` when the period has none) and key of an instant's
    /// period, or `None` outside every period. A key has at most one slot.
    fn locate(&self, us: i64) -> Option<(u32, PeriodKey)> {
        match self.calendar.day_index(us) {
            Some(d) => {
                let slot = *self.day_slot.get(d)?;
                let key = *self.keys.get(slot as usize)?;
                Some((slot, key))
            }
            // Outside the calendar's days (a calendar narrower than the
            // data): the period may still be one of the slots.
            None => self.calendar.period(us).map(|k| {
                let slot = self.keys.iter().position(|&x| x == k);
                (slot.map_or(NONE, |s| s as u32), k)
            }),
        }
    }
}

/// A cell being aggregated, with the last prospect counted in each of its
/// distinct-prospect counts: prospects are visited one at a time, so a
/// prospect is new to a count exactly when the stamp differs.
struct CellWork {
    rep: u32,
    key: PeriodKey,
    counts: PeriodCounts,
    new_stamp: u32,
    engaged_stamp: u32,
    met_stamp: u32,
}

/// The cells of one chunk: a dense (rep, slot) index when the grid is
/// small, a hash map for the rest.
struct Cells {
    slots: usize,
    dense: Vec<u32>,
    sparse: HashMap<(u32, PeriodKey), u32>,
    cells: Vec<CellWork>,
}

impl Cells {
    /// Largest dense grid (rep × period slots) per chunk.
    const MAX_DENSE: usize = 1 << 16;

    fn new(reps: usize, slots: usize) -> Self {
        let grid = reps.saturating_mul(slots);
        let dense = grid <= Self::MAX_DENSE;
        Self {
            slots,
            dense: if dense { vec![NONE; grid] } else { Vec::new() },
            sparse: HashMap::new(),
            // Cells are a few hundred bytes: growing by doubling would copy
            // them several times over.
            cells: Vec::with_capacity(if dense { grid.min(4096) } else { 0 }),
        }
    }

    fn get(&mut self, rep: u32, slot: u32, key: PeriodKey) -> Option<&mut CellWork> {
        let dense = if slot == NONE {
            None
        } else {
            (rep as usize)
                .checked_mul(self.slots)
                .and_then(|r| r.checked_add(slot as usize))
                .and_then(|i| self.dense.get_mut(i))
        };
        let fresh = self.cells.len() as u32;
        let ix = match dense {
            Some(ix) => {
                if *ix == NONE {
                    *ix = fresh;
                }
                *ix
            }
            None => *self.sparse.entry((rep, key)).or_insert(fresh),
        };
        if ix == fresh {
            self.cells.push(CellWork {
                rep,
                key,
                counts: PeriodCounts::default(),
                new_stamp: NONE,
                engaged_stamp: NONE,
                met_stamp: NONE,
            });
        }
        self.cells.get_mut(ix as usize)
    }

    /// The chunk's cells, sorted by key; `spill` holds the revenue of
    /// cells that saw more than [`FEW_CURRENCIES`] currencies, beyond their
    /// first ones.
    fn into_aggregate(mut self, spill: Spill) -> PeriodAggregate {
        let mut take = |ix: u32| {
            self.cells
                .get_mut(ix as usize)
                .map(|c| ((c.rep, c.key), std::mem::take(&mut c.counts)))
        };
        // The dense grid runs in (rep, slot) order, which is key order:
        // slots number periods in ascending days.
        let dense: Vec<KeyedCounts> = self
            .dense
            .iter()
            .filter(|&&ix| ix != NONE)
            .filter_map(|&ix| take(ix))
            .collect();
        let mut sparse: Vec<((u32, PeriodKey), u32)> = self.sparse.into_iter().collect();
        sparse.sort_unstable();
        let sparse: Vec<KeyedCounts> = sparse.into_iter().filter_map(|(_, ix)| take(ix)).collect();
        let mut cells = if sparse.is_empty() {
            dense
        } else {
            merge_sorted(dense, sparse)
        };
        if !cells.is_sorted_by_key(|(k, _)| *k) {
            cells.sort_unstable_by_key(|(k, _)| *k);
        }
        if !spill.is_empty() {
            let mut spilled: Vec<_> = spill.into_iter().collect();
            spilled.sort_unstable_by_key(|&(k, _)| k);
            for ((rep, key, currency), sum) in spilled {
                if let Ok(i) = cells.binary_search_by_key(&(rep, key), |(k, _)| *k)
                    && let Some((_, c)) = cells.get_mut(i)
                {
                    c.revenue_by_currency.push((currency, sum));
                }
            }
        }
        // Currencies were kept in first-seen order while aggregating.
        for (_, c) in &mut cells {
            if !c.revenue_by_currency.is_sorted_by_key(|&(cur, _)| cur) {
                c.revenue_by_currency.sort_unstable_by_key(|&(cur, _)| cur);
            }
        }
        PeriodAggregate { cells }
    }
}

/// Currencies a cell keeps in its own list while aggregating, found by a
/// linear scan: the common case, one currency or a few, costs no hashing.
/// A cell's further currencies go to the chunk's [`Spill`] map, so a cell
/// with a currency per sale costs one hash per sale, not a scan of all the
/// currencies it has seen.
const FEW_CURRENCIES: usize = 8;

/// Revenue of cells beyond their first [`FEW_CURRENCIES`] currencies:
/// (rep, period key, currency index) → sum.
type Spill = HashMap<(u32, PeriodKey, u32), i128>;

/// Adds a sale's amount to its cell's revenue in `currency`.
fn add_revenue(cell: &mut CellWork, spill: &mut Spill, currency: u32, amount: i64) {
    let revenue = &mut cell.counts.revenue_by_currency;
    if let Some((_, sum)) = revenue.iter_mut().find(|(c, _)| *c == currency) {
        *sum += i128::from(amount);
    } else if revenue.len() < FEW_CURRENCIES {
        revenue.push((currency, i128::from(amount)));
    } else {
        *spill.entry((cell.rep, cell.key, currency)).or_insert(0) += i128::from(amount);
    }
}

/// Events whose record fields are looked up together, ahead of the branchy
/// per-event work: the contact, meeting and sale tables are in id order,
/// not prospect order, so the lookups are random accesses; in a tight loop
/// of independent loads they overlap instead of waiting one by one.
const GATHER_BLOCK: usize = 256;

/// What the period report needs of an event's record.
#[derive(Clone, Copy)]
struct Gathered {
    rep: u32,
    /// Channel index (contacts), status (meetings: 0 held, 1 no-show,
    /// 2 cancelled) or currency index (sales).
    tag: u32,
    /// Duration in seconds (contacts) or amount (sales), or [`ABSENT`].
    /// Not an `Option`: events are gathered in blocks, and 16 bytes a
    /// value keep the block small and its copies cheap.
    value: i64,
}

/// `Gathered::value` of a contact without a duration or a sale without an
/// amount. It cannot collide with a value: the ledger accepts no negative
/// duration or amount (SPEC §3 `negative_number`).
const ABSENT: i64 = -1;

/// The gathered value of a field of the ledger.
fn gathered_value(v: Option<i64>) -> i64 {
    v.filter(|&v| v >= 0).unwrap_or(ABSENT)
}

const NOT_FOUND: Gathered = Gathered {
    rep: NONE,
    tag: 0,
    value: ABSENT,
};

fn gather_block(ledger: &Ledger, block: &[Event], out: &mut [Gathered]) {
    let (contacts, meetings, sales) = (ledger.contacts(), ledger.meetings(), ledger.sales());
    for (e, g) in block.iter().zip(out.iter_mut()) {
        let i = e.index as usize;
        *g = match e.kind {
            EventKind::Contact => contacts.get(i).map_or(NOT_FOUND, |c| Gathered {
                rep: c.rep,
                tag: c.channel.index() as u32,
                value: gathered_value(c.duration_s()),
            }),
            EventKind::Meeting => meetings.get(i).map_or(NOT_FOUND, |m| Gathered {
                rep: m.rep,
                tag: match m.status {
                    MeetingStatus::Held => 0,
                    MeetingStatus::NoShow => 1,
                    MeetingStatus::Cancelled => 2,
                },
                value: ABSENT,
            }),
            EventKind::Sale => sales.get(i).map_or(NOT_FOUND, |s| Gathered {
                rep: s.rep,
                tag: s.currency,
                value: gathered_value(s.amount_minor()),
            }),
        };
    }
}

/// Aggregates the prospects `prospects` (a range of prospect indices).
pub(crate) fn aggregate_prospects(
    ledger: &Ledger,
    classified: &Classified,
    slots: &PeriodSlots<'_>,
    filter: &ScopeFilter<'_>,
    prospects: std::ops::Range<usize>,
) -> PeriodAggregate {
    let mut cells = Cells::new(ledger.reps().len(), slots.keys.len());
    let events = ledger.events();
    let offsets = ledger.event_offsets();
    let mut spill = Spill::new();
    let chunk_end = crate::classify::offset(offsets, prospects.end);
    let mut gathered = [NOT_FOUND; GATHER_BLOCK];
    // Events [block_start, block_end) have been gathered.
    let (mut block_start, mut block_end) = (0usize, 0usize);
    for p in prospects {
        if !filter.prospect(ledger, p as u32) {
            continue;
        }
        let stamp = p as u32;
        let a = crate::classify::offset(offsets, p);
        let b = crate::classify::offset(offsets, p + 1);
        let Some(prospect_events) = events.get(a..b) else {
            continue;
        };
        for (k, e) in prospect_events.iter().enumerate() {
            let pos = a + k;
            if pos >= block_end {
                block_start = pos;
                block_end = (pos + GATHER_BLOCK).min(chunk_end.max(pos + 1));
                #[allow(clippy::indexing_slicing)]
                // invariant: blocks lie within the chunk's events.
                let block = &events[block_start..block_end];
                gather_block(ledger, block, &mut gathered);
            }
            #[allow(clippy::indexing_slicing)]
            // invariant: a block holds at most GATHER_BLOCK events.
            let g = gathered[pos - block_start];
            if !filter.rep(g.rep) {
                continue;
            }
            if let Some(want) = filter.scope.channel {
                let keep = match e.kind {
                    EventKind::Contact => g.tag == want.index() as u32,
                    EventKind::Meeting | EventKind::Sale => {
                        filter.channel(ledger, classified, e.kind, e.index, pos)
                    }
                };
                if !keep {
                    continue;
                }
            }
            let Some((slot, period)) = slots.locate(e.time_us) else {
                continue;
            };
            let Some(cell) = cells.get(g.rep, slot, period) else {
                continue;
            };
            match e.kind {
                EventKind::Contact => {
                    let Some(class) = classified.event_class(pos) else {
                        debug_assert!(false, "contact events are classified");
                        continue;
                    };
                    count_contact(cell, class, g, stamp);
                }
                EventKind::Meeting => match g.tag {
                    0 => {
                        cell.counts.meetings_held += 1;
                        if cell.met_stamp != stamp {
                            cell.met_stamp = stamp;
                            cell.counts.prospects_met += 1;
                        }
                    }
                    1 => cell.counts.meetings_no_show += 1,
                    _ => cell.counts.meetings_cancelled += 1,
                },
                EventKind::Sale => {
                    cell.counts.sales += 1;
                    if g.value != ABSENT {
                        add_revenue(cell, &mut spill, g.tag, g.value);
                    }
                }
            }
        }
    }
    cells.into_aggregate(spill)
}

/// Counts one contact of class `class` (gathered as `g`) of prospect
/// `stamp` into `cell`.
#[inline(always)]
fn count_contact(cell: &mut CellWork, class: ContactClass, g: Gathered, stamp: u32) {
    // Branch-free updates: class, timing and first-seen are unpredictable
    // per event.
    let timed = g.value != ABSENT;
    let seconds = if timed { i128::from(g.value) } else { 0 };
    let untimed = u64::from(!timed);
    let counts = &mut cell.counts;
    counts.contacts += 1;
    bump(&mut counts.contacts_by_class, class.index(), 1);
    bump(&mut counts.seconds_by_class, class.index(), seconds);
    bump(&mut counts.untimed_by_class, class.index(), untimed);
    let channel = g.tag as usize;
    bump(&mut counts.seconds_by_channel, channel, seconds);
    bump(&mut counts.untimed_by_channel, channel, untimed);
    let new = class == ContactClass::New && cell.new_stamp != stamp;
    counts.new_prospects += u64::from(new);
    let engaged = class.is_prospecting() && cell.engaged_stamp != stamp;
    counts.prospects_engaged += u64::from(engaged);
    if class == ContactClass::New {
        cell.new_stamp = stamp;
    }
    if class.is_prospecting() {
        cell.engaged_stamp = stamp;
    }
}

fn bump<T: Copy + std::ops::AddAssign, const N: usize>(a: &mut [T; N], i: usize, by: T) {
    if let Some(x) = a.get_mut(i) {
        *x += by;
    }
}

/// One row of the period report: a rep in a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodRow {
    /// The rep.
    pub rep_id: String,
    /// The period label (`2026-06`, `2026-W23`, …).
    pub period: String,
    /// First local day of the period.
    pub period_start: Option<NaiveDate>,
    /// The counts.
    pub counts: PeriodCounts,
    /// Revenue per currency code (sorted by code), minor units: every
    /// currency with at least one sale that has an amount, even when the
    /// sum is 0; the empty code for sales that gave no currency.
    pub revenue: Vec<(String, i128)>,
}

/// The period report: one row per (rep, period) with at least one event of
/// that rep in scope, sorted by rep id (byte order) and period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodReport {
    /// What it covers.
    pub scope: Scope,
    /// Periods and zone.
    pub periods: PeriodSpec,
    /// The rows.
    pub rows: Vec<PeriodRow>,
}

impl Classified<'_> {
    /// Computes the period report of `scope` over `periods`
    /// (`ReportInput::new(self, scope, periods)?.run::<PeriodAggregate>()`).
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] when the scope names an unknown rep or
    /// team.
    pub fn period_report(&self, scope: &Scope, periods: &PeriodSpec) -> Result<PeriodReport> {
        Ok(ReportInput::new(self, scope, periods)?.run::<PeriodAggregate>())
    }
}

impl Aggregate for PeriodAggregate {
    type Report = PeriodReport;

    // Two parts per thread: every part creates and merges its own cells,
    // which with daily periods cost more than its events.
    const PARTS_PER_THREAD: usize = 2;

    fn of(input: &ReportInput<'_>) -> Self {
        let classified = input.classified();
        let slots = PeriodSlots::new(input.calendar());
        aggregate_prospects(
            classified.ledger(),
            classified,
            &slots,
            input.filter().events(),
            input.prospects(),
        )
    }

    fn merge(&mut self, other: Self) {
        self.merge_sorted_cells(other);
    }

    fn finish(self, input: &ReportInput<'_>) -> PeriodReport {
        let ledger = input.classified().ledger();
        let calendar = input.calendar();
        let rows = self
            .cells
            .into_iter()
            .map(|((rep, period), counts)| {
                // Every currency with a sale that has an amount, even when
                // the amounts sum to 0 (SPEC §11).
                let mut revenue: Vec<(String, i128)> = counts
                    .revenue_by_currency
                    .iter()
                    .map(|&(i, v)| (ledger.currency(i).to_owned(), v))
                    .collect();
                revenue.sort();
                PeriodRow {
                    rep_id: ledger.rep_id(rep).to_owned(),
                    period: calendar.label(period),
                    period_start: calendar.period_start(period),
                    counts,
                    revenue,
                }
            })
            .collect();
        PeriodReport {
            scope: input.scope().clone(),
            periods: input.periods().clone(),
            rows,
        }
    }
}

impl PeriodReport {
    /// `period_report.csv` columns (SPEC §11).
    pub const COLUMNS: [&'static str; 16] = [
        "rep_id",
        "period",
        "contacts",
        "contacts_new",
        "contacts_follow_up",
        "contacts_reactivated",
        "contacts_customer",
        "new_prospects",
        "prospects_engaged",
        "meetings_held",
        "prospects_met",
        "sales",
        "contact_close_rate",
        "meeting_close_rate",
        "new_prospect_rate",
        "follow_up_share",
    ];

    /// The SPEC §11 `period_report` table.
    pub fn table(&self) -> Table {
        let mut t = Table::new(&Self::COLUMNS);
        for r in &self.rows {
            let c = &r.counts;
            t.push(vec![
                r.rep_id.as_str().into(),
                r.period.as_str().into(),
                c.contacts.into(),
                c.contacts_of(ContactClass::New).into(),
                c.contacts_of(ContactClass::FollowUp).into(),
                c.contacts_of(ContactClass::Reactivated).into(),
                c.contacts_of(ContactClass::Customer).into(),
                c.new_prospects.into(),
                c.prospects_engaged.into(),
                c.meetings_held.into(),
                c.prospects_met.into(),
                c.sales.into(),
                c.contact_close_rate().into(),
                c.meeting_close_rate().into(),
                c.new_prospect_rate().into(),
                c.follow_up_share().into(),
            ]);
        }
        t
    }

    /// What the report covers, in words: `Period report (all reps; month
    /// in UTC)`.
    pub fn caption(&self) -> String {
        format!(
            "Period report ({}; {} in {})",
            self.scope, self.periods.granularity, self.periods.time_zone
        )
    }

    /// The report as an HTML table with a caption: rates as percentages
    /// with their counts below and the 95 % interval on hover.
    pub fn to_html(&self) -> String {
        self.table().to_html_captioned(&self.caption())
    }

    /// Renders the report as a table in an evcxr notebook cell (long
    /// reports show their first and last rows).
    pub fn evcxr_display(&self) {
        crate::table::evcxr_show(
            &self
                .table()
                .html(Some(&self.caption()), Some(Table::NOTEBOOK_ROWS)),
            &self.to_string(),
        );
    }

    /// The SPEC §11 `revenue` table: `rep_id,period,currency,revenue_minor`,
    /// one row per (rep, period, currency) with at least one sale that has
    /// an amount (a sum of 0 included; an empty currency for sales with an
    /// amount but no currency).
    pub fn revenue_table(&self) -> Table {
        let mut t = Table::new(&["rep_id", "period", "currency", "revenue_minor"]);
        for r in &self.rows {
            for (currency, amount) in &r.revenue {
                t.push(vec![
                    r.rep_id.as_str().into(),
                    r.period.as_str().into(),
                    currency.as_str().into(),
                    (*amount).into(),
                ]);
            }
        }
        t
    }

    /// Where the time goes: seconds of logged contact time per class and
    /// per channel, with untimed contacts counted separately (SPEC §6
    /// time_by_class, time_by_channel).
    pub fn time_table(&self) -> Table {
        let mut cols = vec!["rep_id", "period"];
        cols.extend([
            "seconds_new",
            "seconds_follow_up",
            "seconds_reactivated",
            "seconds_customer",
        ]);
        cols.extend([
            "untimed_new",
            "untimed_follow_up",
            "untimed_reactivated",
            "untimed_customer",
        ]);
        cols.extend([
            "seconds_phone",
            "seconds_email",
            "seconds_in_person",
            "seconds_internet",
            "seconds_other",
        ]);
        cols.extend([
            "untimed_phone",
            "untimed_email",
            "untimed_in_person",
            "untimed_internet",
            "untimed_other",
        ]);
        debug_assert_eq!(Channel::ALL.len(), 5);
        let mut t = Table::new(&cols);
        for r in &self.rows {
            let c = &r.counts;
            let mut row: Vec<Cell> = vec![r.rep_id.as_str().into(), r.period.as_str().into()];
            row.extend(c.seconds_by_class.iter().map(|&v| Cell::from(v)));
            row.extend(c.untimed_by_class.iter().map(|&v| Cell::from(v)));
            row.extend(c.seconds_by_channel.iter().map(|&v| Cell::from(v)));
            row.extend(c.untimed_by_channel.iter().map(|&v| Cell::from(v)));
            t.push(row);
        }
        t
    }

    /// Sums every row of each period into one all-reps row per period
    /// (`rep_id` "*"). Distinct-prospect counts are sums over reps (a
    /// prospect served by two reps counts for each).
    pub fn totals_by_period(&self) -> Vec<PeriodRow> {
        let mut by_period: std::collections::BTreeMap<(Option<NaiveDate>, String), PeriodRow> =
            std::collections::BTreeMap::new();
        for r in &self.rows {
            let e = by_period
                .entry((r.period_start, r.period.clone()))
                .or_insert_with(|| PeriodRow {
                    rep_id: "*".to_owned(),
                    period: r.period.clone(),
                    period_start: r.period_start,
                    counts: PeriodCounts::default(),
                    revenue: Vec::new(),
                });
            e.counts.merge(&r.counts);
            for (cur, v) in &r.revenue {
                match e.revenue.iter_mut().find(|(c, _)| c == cur) {
                    Some((_, total)) => *total += *v,
                    None => e.revenue.push((cur.clone(), *v)),
                }
            }
        }
        let mut totals: Vec<PeriodRow> = by_period.into_values().collect();
        for t in &mut totals {
            t.revenue.sort();
        }
        totals
    }
}

impl fmt::Display for PeriodReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.caption())?;
        writeln!(
            f,
            "{:<10} {:<10} {:>8} {:>5} {:>9} {:>6} {:>6} {:>18} {:>18} {:>9}",
            "rep",
            "period",
            "contacts",
            "new",
            "follow-up",
            "met",
            "sales",
            "contact close",
            "meeting close",
            "follow-up%"
        )?;
        for r in &self.rows {
            let c = &r.counts;
            writeln!(
                f,
                "{:<10} {:<10} {:>8} {:>5} {:>9} {:>6} {:>6} {:>18} {:>18} {:>9}",
                r.rep_id,
                r.period,
                c.contacts,
                c.new_prospects,
                c.contacts_of(ContactClass::FollowUp),
                c.meetings_held,
                c.sales,
                c.contact_close_rate().to_string(),
                c.meeting_close_rate().to_string(),
                c.follow_up_share()
                    .percent()
                    .map_or_else(|| "–".to_owned(), |p| format!("{p:.1} %")),
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_revenue_merges_by_currency() {
        let mut a = vec![(1, 10), (4, 0)];
        merge_revenue(&mut a, &[(0, 5), (4, 7), (9, 1)]);
        assert_eq!(a, vec![(0, 5), (1, 10), (4, 7), (9, 1)]);
        merge_revenue(&mut a, &[(0, 1), (1, 1), (4, 1), (9, 1)]);
        assert_eq!(a, vec![(0, 6), (1, 11), (4, 8), (9, 2)]);
        merge_revenue(&mut a, &[]);
        assert_eq!(a.len(), 4);
        let mut empty = Vec::new();
        merge_revenue(&mut empty, &[(3, 0)]);
        assert_eq!(empty, vec![(3, 0)], "a zero sum is still a row");
    }
}

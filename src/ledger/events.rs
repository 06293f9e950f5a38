//! Events: the flat per-prospect timelines sorted in SPEC §5's order.

use std::ops::Range;

use super::*;
use crate::par;

impl Ledger {
    /// Lays out the events: each row's prospect, the per-prospect offsets,
    /// then every prospect's events placed and sorted (in parallel runs of
    /// prospects), and each record's position in `events`.
    pub(super) fn index_events(&mut self) {
        self.assign_prospects();
        let offsets = event_offsets(
            (&self.contacts, &self.meetings, &self.sales),
            self.prospect_count(),
        );
        let total = offsets.last().copied().unwrap_or_default() as usize;
        let blank = Event {
            time_us: 0,
            kind: EventKind::Contact,
            index: 0,
        };
        // Filled in parallel: the table's fresh pages (hundreds of MB at
        // millions of events) fault in on all threads.
        let mut events: Vec<Event> = par::filled(total, blank);
        // Prospects in runs of about equal event counts, one per thread:
        // each run scans every event and places (then sorts) its own, into
        // its own part of `events`.
        let runs = split_runs(&offsets, &mut events, par::threads());
        let positions = Positions::new(self.contacts.len(), self.meetings.len(), self.sales.len());
        let rows = (&self.contacts[..], &self.meetings[..], &self.sales[..]);
        par::for_each_owned(runs, |(prospects, run)| {
            place_run(&offsets, prospects, run, rows, &positions);
        });
        (self.contact_pos, self.meeting_pos, self.sale_pos) = positions.into_tables();
        self.time_span_us = span_of(&events);
        self.events = events;
        self.event_offsets = offsets;
    }

    /// Sets each contact's, meeting's and sale's prospect from its record.
    fn assign_prospects(&mut self) {
        let record_prospect = &self.record_prospect;
        // invariant: accepted rows name accepted records.
        #[allow(clippy::indexing_slicing)]
        let prospect_of = |record: u32| {
            debug_assert!((record as usize) < record_prospect.len());
            record_prospect[record as usize]
        };
        par::for_each_mut(&mut self.contacts, |c| c.prospect = prospect_of(c.record));
        par::for_each_mut(&mut self.meetings, |m| m.prospect = prospect_of(m.record));
        par::for_each_mut(&mut self.sales, |s| s.prospect = prospect_of(s.record));
    }

    /// Position in [`Ledger::events`] of a record's event.
    pub(crate) fn event_position(&self, kind: EventKind, index: u32) -> Option<usize> {
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
}

/// Earliest and latest time of `events`, if any.
fn span_of(events: &[Event]) -> Option<(i64, i64)> {
    let first = events.first()?.time_us;
    Some(par::map_reduce(
        events,
        |e| (e.time_us, e.time_us),
        || (first, first),
        |a, b| (a.0.min(b.0), a.1.max(b.1)),
    ))
}

/// The contacts, meetings and sales of a ledger.
type Rows<'a> = (&'a [ContactRow], &'a [MeetingRow], &'a [SaleRow]);

/// Where each prospect's events start in the flat event list (one more
/// entry than prospects: the last is the total). The contacts are counted
/// on every thread, each share into a table of its own, then summed: one
/// pass of random increments over millions of prospects is a cache miss
/// each.
fn event_offsets((contacts, meetings, sales): Rows<'_>, prospects: usize) -> Vec<u32> {
    let count = |counts: &mut [u32], p: u32| {
        if let Some(o) = counts.get_mut(p as usize + 1) {
            *o += 1;
        }
    };
    let chunk = contacts.len().div_ceil(par::threads()).max(1 << 16);
    let parts = par::map_chunks(contacts, chunk, |rows| {
        let mut counts = vec![0u32; prospects + 1];
        rows.iter().for_each(|c| count(&mut counts, c.prospect));
        counts
    });
    let mut offsets = parts
        .into_iter()
        .reduce(|mut sum, part| {
            sum.iter_mut().zip(part).for_each(|(s, n)| *s += n);
            sum
        })
        .unwrap_or_else(|| vec![0u32; prospects + 1]);
    meetings
        .iter()
        .for_each(|m| count(&mut offsets, m.prospect));
    sales.iter().for_each(|s| count(&mut offsets, s.prospect));
    let mut total = 0;
    for o in &mut offsets {
        total += *o;
        *o = total;
    }
    offsets
}

/// Cuts `events` into `runs_wanted` runs of whole prospects with about
/// equal event counts: each run's prospects and its part of `events`.
fn split_runs<'e>(
    offsets: &[u32],
    events: &'e mut [Event],
    runs_wanted: usize,
) -> Vec<(Range<usize>, &'e mut [Event])> {
    let runs_wanted = runs_wanted.max(1);
    let n = offsets.len().saturating_sub(1);
    let total = events.len();
    let at = |p: usize| {
        debug_assert!(p < offsets.len());
        // invariant: `p <= n`, an index of `offsets`.
        #[allow(clippy::indexing_slicing)]
        offsets[p]
    };
    let mut runs = Vec::with_capacity(runs_wanted);
    let mut rest = events;
    let mut lo = 0usize;
    for k in 1..=runs_wanted {
        let target = (total * k / runs_wanted) as u32;
        let hi = if k == runs_wanted {
            n
        } else {
            offsets.partition_point(|&o| o < target).min(n).max(lo)
        };
        let span = (at(hi) - at(lo)) as usize;
        let (run, tail) = rest.split_at_mut(span.min(rest.len()));
        runs.push((lo..hi, run));
        rest = tail;
        lo = hi;
    }
    runs
}

/// Places the events of `prospects` into `run` (their part of the event
/// list), sorts each prospect's, and records where each event went.
fn place_run(
    offsets: &[u32],
    prospects: Range<usize>,
    run: &mut [Event],
    (contacts, meetings, sales): Rows<'_>,
    positions: &Positions,
) {
    // invariant: a run's prospects are indices of `offsets` (start <= end < len).
    debug_assert!(prospects.end < offsets.len());
    #[allow(clippy::indexing_slicing)]
    let (base, run_offsets) = (
        offsets[prospects.start],
        &offsets[prospects.start..=prospects.end],
    );
    let mut fill: Vec<u32> = run_offsets
        .iter()
        .take(prospects.len())
        .map(|o| o - base)
        .collect();
    for (p, e) in events_with_prospects(contacts, meetings, sales) {
        let p = p as usize;
        if prospects.contains(&p)
            && let Some(pos) = fill.get_mut(p - prospects.start)
        {
            if let Some(slot) = run.get_mut(*pos as usize) {
                *slot = e;
            }
            *pos += 1;
        }
    }
    sort_each_prospect(run, run_offsets);
    positions.record(run, base);
}

/// Each record's position in the event list, written by the run that owns
/// its prospect once the run is sorted (atomics: runs write scattered,
/// disjoint slots). `NONE` for a record without an event.
struct Positions {
    contacts: Vec<AtomicU32>,
    meetings: Vec<AtomicU32>,
    sales: Vec<AtomicU32>,
}

impl Positions {
    fn new(contacts: usize, meetings: usize, sales: usize) -> Self {
        let table = |n: usize| (0..n).map(|_| AtomicU32::new(NONE)).collect();
        Self {
            contacts: table(contacts),
            meetings: table(meetings),
            sales: table(sales),
        }
    }

    /// The events of `run`, which starts at `base` in the event list.
    fn record(&self, run: &[Event], base: u32) {
        for (k, e) in run.iter().enumerate() {
            let table = match e.kind {
                EventKind::Contact => &self.contacts,
                EventKind::Meeting => &self.meetings,
                EventKind::Sale => &self.sales,
            };
            if let Some(slot) = table.get(e.index as usize) {
                slot.store(base + k as u32, Relaxed);
            }
        }
    }

    fn into_tables(self) -> (Vec<u32>, Vec<u32>, Vec<u32>) {
        let plain = |table: Vec<AtomicU32>| -> Vec<u32> {
            table.into_iter().map(AtomicU32::into_inner).collect()
        };
        (
            plain(self.contacts),
            plain(self.meetings),
            plain(self.sales),
        )
    }
}

/// Every event of the ledger's records with its prospect: contacts, then
/// meetings, then sales, each in index order.
pub(super) fn events_with_prospects<'a>(
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

/// Sorts each prospect's events (`events[offsets[p] - offsets[0]..offsets[p + 1] - offsets[0]]`),
/// in runs of prospects sorted in parallel.
pub(super) fn sort_each_prospect(events: &mut [Event], offsets: &[u32]) {
    const RUNS: usize = 256;
    let sort_run = |(run, offsets): (&mut [Event], &[u32])| {
        let base = offsets.first().copied().unwrap_or_default();
        for w in offsets.windows(2) {
            if let [a, b] = *w
                && let Some(slice) = run.get_mut((a - base) as usize..(b - base) as usize)
            {
                slice.sort_unstable();
            }
        }
    };
    let prospects = offsets.len().saturating_sub(1);
    let mut runs: Vec<(&mut [Event], &[u32])> = Vec::with_capacity(RUNS);
    let mut rest = events;
    let mut start = 0usize;
    for k in 1..=RUNS {
        let end = prospects * k / RUNS;
        // invariant: `start <= end <= prospects`, indices of `offsets`.
        debug_assert!(end < offsets.len().max(1));
        let Some(run_offsets) = offsets.get(start..=end) else {
            break;
        };
        let (lo, hi) = (run_offsets.first(), run_offsets.last());
        let span = hi.zip(lo).map_or(0, |(h, l)| (h - l) as usize);
        let (run, tail) = rest.split_at_mut(span.min(rest.len()));
        runs.push((run, run_offsets));
        rest = tail;
        start = end;
    }
    par::for_each_owned(runs, sort_run);
}

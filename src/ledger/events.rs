//! Events: the flat per-prospect timelines sorted in SPEC §5's order.

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
        // Filled in parallel: the table's fresh pages (hundreds of MB at
        // millions of events) fault in on all threads.
        let mut events: Vec<Event> = par::filled(total, BLANK);
        let rows = (&self.contacts[..], &self.meetings[..], &self.sales[..]);
        place_events(&offsets, &mut events, rows);
        sort_each_prospect(&mut events, &offsets);
        let positions = Positions::new(self.contacts.len(), self.meetings.len(), self.sales.len());
        const CHUNK: usize = 1 << 16;
        par::for_each_chunk_indexed(&events, CHUNK, |(k, chunk)| {
            positions.record(chunk, (k * CHUNK) as u32);
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

/// What fills a table of events before they are placed.
const BLANK: Event = Event {
    time_us: 0,
    kind: EventKind::Contact,
    index: 0,
};

/// Events per group of prospects that [`place_events`] places in cache.
const GROUP_EVENTS: usize = 1 << 15;

/// Places every event of `rows` into `events`, laid out by `offsets`, in
/// two passes that each write in cache: on every thread, the events are
/// first distributed by group of prospects (about [`GROUP_EVENTS`] each)
/// into a table of their own, then each group's are placed at their
/// prospects' places. Placed straight from the rows, each event would be
/// a write at a random place of a table of hundreds of MB.
fn place_events(offsets: &[u32], events: &mut [Event], rows: Rows<'_>) {
    let prospects = offsets.len().saturating_sub(1);
    let shift = group_shift(prospects, events.len());
    let grouped = distribute_by_group(rows, (prospects >> shift) + 1, shift);
    place_groups(offsets, events, &grouped, shift);
}

/// Groups of `2^shift` prospects hold about [`GROUP_EVENTS`] events on
/// average; at most 2^16 groups, and a shift below 32 (prospects are
/// `u32`).
fn group_shift(prospects: usize, events: usize) -> u32 {
    let per_group = GROUP_EVENTS
        .saturating_mul(prospects)
        .checked_div(events)
        .unwrap_or(usize::MAX)
        .max(1);
    let fewest = (usize::BITS - prospects.leading_zeros()).saturating_sub(16);
    per_group.ilog2().max(fewest).min(31)
}

/// Every event with its prospect, ordered by group of `2^shift` prospects
/// (`groups` of them; within a group, in no set order), distributed on
/// every thread ([`par::distribute`]).
fn distribute_by_group(rows: Rows<'_>, groups: usize, shift: u32) -> Vec<(u32, Event)> {
    let shares = shares_of(rows)
        .into_iter()
        .map(|rows| ByGroup { rows, shift })
        .collect();
    par::distribute(shares, groups, (0, BLANK)).0
}

/// Places each group's distributed events (`grouped`, in group order) at
/// their prospects' places in `events`, a task per run of groups.
fn place_groups(offsets: &[u32], events: &mut [Event], grouped: &[(u32, Event)], shift: u32) {
    let prospects = offsets.len().saturating_sub(1);
    let at = |p: usize| offsets.get(p.min(prospects)).copied().unwrap_or(0) as usize;
    let mut jobs = Vec::new();
    let (mut rest, mut from) = (events, grouped);
    let mut lo = 0usize;
    while lo < prospects {
        let hi = lo.saturating_add(1 << shift).min(prospects);
        let n = at(hi) - at(lo);
        let (out, tail) = rest.split_at_mut(n.min(rest.len()));
        let (src, src_tail) = from.split_at(n.min(from.len()));
        jobs.push((lo..hi, out, src));
        (rest, from, lo) = (tail, src_tail, hi);
    }
    par::for_each_owned(jobs, |(prospects, out, src)| {
        let base = at(prospects.start);
        let mut fill: Vec<usize> = prospects.clone().map(|p| at(p) - base).collect();
        for &(p, e) in src {
            if let Some(pos) = fill.get_mut((p as usize).wrapping_sub(prospects.start)) {
                if let Some(slot) = out.get_mut(*pos) {
                    *slot = e;
                }
                *pos += 1;
            }
        }
    });
}

/// A part of the ledger's rows that one task reads: a range of contacts,
/// the meetings, or the sales.
enum RowShare<'a> {
    Contacts(usize, &'a [ContactRow]),
    Meetings(&'a [MeetingRow]),
    Sales(&'a [SaleRow]),
}

impl RowShare<'_> {
    /// `f(prospect, event)` for each of the share's rows, in order.
    fn for_each(&self, mut f: impl FnMut(u32, Event)) {
        let event = |kind, index: usize, time_us| Event {
            time_us,
            kind,
            index: index as u32,
        };
        match *self {
            RowShare::Contacts(base, rows) => {
                for (i, c) in (base..).zip(rows) {
                    f(c.prospect, event(EventKind::Contact, i, c.occurred_us));
                }
            }
            RowShare::Meetings(rows) => {
                for (i, m) in rows.iter().enumerate() {
                    f(m.prospect, event(EventKind::Meeting, i, m.held_us));
                }
            }
            RowShare::Sales(rows) => {
                for (i, s) in rows.iter().enumerate() {
                    f(s.prospect, event(EventKind::Sale, i, s.closed_us));
                }
            }
        }
    }
}

/// A share of the rows whose events go to their prospect's group of
/// `2^shift` prospects.
struct ByGroup<'a> {
    rows: RowShare<'a>,
    shift: u32,
}

impl par::Share for ByGroup<'_> {
    type Entry = (u32, Event);

    fn each(&self, mut f: impl FnMut(usize, (u32, Event))) {
        self.rows
            .for_each(|p, e| f((p >> self.shift) as usize, (p, e)));
    }
}

/// The rows cut into shares: the contacts one per thread, then the
/// meetings and the sales.
fn shares_of((contacts, meetings, sales): Rows<'_>) -> Vec<RowShare<'_>> {
    let chunk = contacts.len().div_ceil(par::threads()).max(1);
    let mut shares: Vec<RowShare<'_>> = contacts
        .chunks(chunk)
        .enumerate()
        .map(|(k, rows)| RowShare::Contacts(k * chunk, rows))
        .collect();
    shares.push(RowShare::Meetings(meetings));
    shares.push(RowShare::Sales(sales));
    shares
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Groups hold about `GROUP_EVENTS` events, number at most 2^16, and
    /// shift a `u32` prospect by less than 32 even when a few events meet
    /// millions of prospects.
    #[test]
    fn groups_fit_the_events() {
        assert_eq!(group_shift(4_200_000, 11_700_000), 13);
        for (prospects, events) in [
            (0, 0),
            (1, 0),
            (200_000, 1),
            (u32::MAX as usize, 1),
            (1 << 30, 1 << 20),
        ] {
            let shift = group_shift(prospects, events);
            assert!(shift < 32, "{prospects} {events}: {shift}");
            assert!(
                (prospects >> shift) < 1 << 16,
                "{prospects} {events}: {shift}"
            );
        }
    }
}

//! Events: the flat per-prospect timelines sorted in SPEC §5's order.

use super::*;

impl Ledger {
    pub(super) fn index_events(&mut self) {
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

/// Sorts each prospect's events (`events[offsets[p]..offsets[p + 1]]`);
/// with the `parallel` feature, runs of prospects are sorted in parallel.
pub(super) fn sort_each_prospect(events: &mut [Event], offsets: &[u32]) {
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

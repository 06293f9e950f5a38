//! Rebuilding a live ledger from its tables (a snapshot read, a ledger
//! copied): every reference and value checked, prospects and counts
//! rebuilt, every prospect's events sorted and classified once.

use super::check::{self};
use super::records::RecordTable;
use super::store::{Cluster, LiveLedger};
use super::tables::{ContactRow, EventTables, SaleRow};
use crate::classify::ClassifyConfig;
use crate::classify::sequence::{self as order, Event, EventKind};
use crate::model::Rep;

impl LiveLedger {
    /// What a snapshot holds of the ledger.
    pub(super) fn parts(&self) -> (&[Option<Rep>], &RecordTable, &EventTables, [u64; 5]) {
        (&self.reps, &self.records, &self.events, self.tried)
    }

    /// The ledger of a snapshot's parts: every reference and value checked,
    /// prospects and counts rebuilt, every prospect's events sorted and
    /// classified once.
    ///
    /// # Errors
    /// What is inconsistent (a snapshot damaged or not written by this
    /// crate).
    pub(super) fn from_parts(
        config: ClassifyConfig,
        reps: Vec<Option<Rep>>,
        mut records: RecordTable,
        mut events: EventTables,
        tried: [u64; 5],
    ) -> std::result::Result<Self, String> {
        let mut live = LiveLedger::new(config);
        for (i, rep) in reps.iter().enumerate() {
            let Some(rep) = rep else { continue };
            let id = rep.rep_id.as_str();
            if check::rep(rep).is_some() || live.rep_by_id.insert(id.to_owned(), i as u32).is_some()
            {
                return Err(format!("rep {id:?} fails the checks of SPEC §3"));
            }
        }
        let rep_ok = |r: u32| reps.get(r as usize).is_some_and(Option::is_some);
        records.restore(rep_ok)?;
        let record_ok = |r: u32| records.get(r).is_some();
        events
            .contacts
            .restore(rep_ok, record_ok, ContactRow::is_valid)?;
        events.meetings.restore(rep_ok, record_ok, |_| true)?;
        events.sales.restore(rep_ok, record_ok, SaleRow::is_valid)?;
        live.rep_refs = vec![0; reps.len()];
        live.reps = reps;
        live.records = records;
        live.events = events;
        live.tried = tried;
        // The ids' hash tables (one probe per id, most of them cache
        // misses) are built on another thread while prospects and events
        // are rebuilt without reading an id; what does read ids (each
        // prospect's smallest record, ties in SPEC §5 order) comes after.
        let ids = [
            live.events.contacts.lend_ids(),
            live.events.meetings.lend_ids(),
            live.events.sales.lend_ids(),
            live.records.lend_ids(),
        ];
        let (ids, rebuilt) = crate::par::join(
            move || ids.map(|mut ids| ids.build_index().map(|()| ids)),
            || {
                live.rebuild_prospects()?;
                let ties = live.rebuild_events();
                // Classifying reads no id; a prospect with ties waits.
                live.classify_prospects(Which::AllBut(&ties));
                Ok::<Vec<u32>, String>(ties)
            },
        );
        let ties = rebuilt?;
        let [contacts, meetings, sales, records] = ids;
        live.events.contacts.give_back_ids(contacts?);
        live.events.meetings.give_back_ids(meetings?);
        live.events.sales.give_back_ids(sales?);
        live.records.give_back_ids(records?);
        live.settle_smallest_records();
        live.settle_ties(&ties);
        live.classify_prospects(Which::Only(&ties));
        // Tables read or copied in grow as they go; what is left of that
        // room (a fifth of the ledger at 10M contacts) goes.
        live.shrink_to_fit();
        Ok(live)
    }

    /// Forms the prospects from the records' cluster numbers (renumbered
    /// densely), each with its members in slot order.
    pub(super) fn rebuild_prospects(&mut self) -> std::result::Result<(), String> {
        // A snapshot numbers at most one prospect per record slot.
        let mut dense: Vec<Option<u32>> = vec![None; self.records.slots()];
        let mut count = 0u32;
        for (_, row) in self.records.iter_mut() {
            let Some(entry) = dense.get_mut(row.cluster as usize) else {
                return Err(format!("prospect number {} out of range", row.cluster));
            };
            row.cluster = *entry.get_or_insert_with(|| {
                count += 1;
                count - 1
            });
            let creator = row
                .created_by
                .and_then(|by| self.rep_refs.get_mut(by as usize));
            if let Some(n) = creator {
                *n = n.saturating_add(1);
            }
        }
        drop(dense);
        // Millions of prospects: their first touch (most of the cost of
        // their memory) on every thread.
        self.clusters = crate::par::filled(count as usize, Cluster::default());
        for (r, row) in self.records.iter() {
            if let Some(cluster) = self.clusters.get_mut(row.cluster as usize) {
                cluster.members.push(r);
            }
        }
        Ok(())
    }

    /// Names each prospect's smallest record (SPEC §4: its id is the
    /// prospect's), once the record ids are back.
    fn settle_smallest_records(&mut self) {
        let records = &self.records;
        crate::par::for_each_mut(&mut self.clusters, |cluster| {
            let smallest = cluster
                .members
                .iter()
                .copied()
                .min_by(|&a, &b| records.id(a).cmp(records.id(b)));
            cluster.smallest = smallest.unwrap_or_default();
        });
    }

    /// Puts every stored event into its prospect, in order of time, kind
    /// and slot (ties in time and kind are put in SPEC §5 order by
    /// [`Self::settle_ties`]), with the reference counts and currencies.
    ///
    /// Each prospect's list is sized once from its records' event counts,
    /// filled in one pass over the events, then sorted (prospects on every
    /// thread): no sort of all the events, no list grown one event at a
    /// time.
    /// Returns the prospects with ties, ascending.
    pub(super) fn rebuild_events(&mut self) -> Vec<u32> {
        self.states = vec![None; self.events.contacts.slots()];
        let owners = self.count_references();
        self.size_event_lists();
        self.place_events(&owners);
        drop(owners);
        let ties = self.sort_event_lists();
        let sales: Vec<u32> = self.events.sales.iter().map(|(s, _)| s).collect();
        for slot in sales {
            self.count_currency(EventKind::Sale, slot, 1);
        }
        ties
    }

    /// Sorts every prospect's events by time, kind and slot (prospects on
    /// every thread) and returns the prospects with ties in time and kind,
    /// ascending: found while their lists are at hand.
    fn sort_event_lists(&mut self) -> Vec<u32> {
        const CHUNK: usize = 1 << 14;
        let ties =
            crate::par::map_chunks_mut_indexed(&mut self.clusters, CHUNK, |(k, clusters)| {
                let mut ties = Vec::new();
                for (i, cluster) in clusters.iter_mut().enumerate() {
                    cluster
                        .events
                        .sort_unstable_by_key(|e| (e.time_us, e.kind, e.slot));
                    if has_ties(&cluster.events) {
                        ties.push((k * CHUNK + i) as u32);
                    }
                }
                ties
            });
        ties.into_iter().flatten().collect()
    }

    /// Counts the references to every rep and prospect record, and gives
    /// the prospect of every event (in [`EventTables::stored`] order).
    fn count_references(&mut self) -> Vec<u32> {
        let total =
            self.events.contacts.count() + self.events.meetings.count() + self.events.sales.count();
        let mut owners: Vec<u32> = Vec::with_capacity(total);
        for (_, rep, record) in self.events.stored() {
            if let Some(n) = self.rep_refs.get_mut(rep as usize) {
                *n = n.saturating_add(1);
            }
            // Every reference was checked: a record is always found.
            let owner = self.records.get_mut(record).map_or(u32::MAX, |row| {
                row.events += 1;
                row.cluster
            });
            owners.push(owner);
        }
        owners
    }

    /// Gives each prospect's event list room for exactly its events (its
    /// records' event counts), on every thread.
    fn size_event_lists(&mut self) {
        let records = &self.records;
        crate::par::for_each_mut(&mut self.clusters, |cluster| {
            let events: usize = cluster
                .members
                .iter()
                .filter_map(|&r| records.get(r))
                .map(|row| row.events as usize)
                .sum();
            cluster.events.reserve_exact(events);
        });
    }

    /// Appends every stored event to its prospect's list (`owners` gives
    /// each event's prospect, in [`EventTables::stored`] order). Each
    /// task owns a run of prospects and scans every event for its own, so
    /// that the lists, at random places, are filled on every thread (one
    /// task per thread: every task reads all the events).
    fn place_events(&mut self, owners: &[u32]) {
        let tasks = crate::par::threads();
        let run = self.clusters.len().div_ceil(tasks.max(1)).max(1);
        let events = &self.events;
        crate::par::for_each_chunk_mut_indexed(&mut self.clusters, run, |(k, clusters)| {
            let first = k * run;
            for ((event, _, _), &owner) in events.stored().zip(owners) {
                let Some(at) = (owner as usize).checked_sub(first) else {
                    continue;
                };
                if let Some(cluster) = clusters.get_mut(at) {
                    cluster.events.push(event);
                }
            }
        });
    }

    /// Puts the events of equal time and kind of the prospects `ties` in
    /// SPEC §5 order (by id), once the event ids are back.
    fn settle_ties(&mut self, ties: &[u32]) {
        let events = &self.events;
        for &p in ties {
            if let Some(cluster) = self.clusters.get_mut(p as usize) {
                cluster
                    .events
                    .sort_by(|&a, &b| order::compare(events, a, b));
            }
        }
    }

    /// Classifies the contacts of the prospects `which` names (their
    /// events in SPEC §5 order). Each task owns a run of contact slots and
    /// walks every prospect named, keeping the classes of its own slots
    /// (one task per thread): the classes land at random slots, and the
    /// walk costs less than those writes.
    fn classify_prospects(&mut self, which: Which<'_>) {
        let (newness, dormancy_us) = (self.config.newness, self.dormancy_us);
        let run = self.states.len().div_ceil(crate::par::threads()).max(1);
        let (events, clusters) = (&self.events, &self.clusters);
        crate::par::for_each_chunk_mut_indexed(&mut self.states, run, |(k, states)| {
            let first = k * run;
            let mut lanes = order::Lanes::default();
            let mut classify = |c: &Cluster| {
                debug_assert!(c.events.is_sorted_by_key(|e| (e.time_us, e.kind)));
                order::classify_into(
                    events,
                    &c.events,
                    newness,
                    dormancy_us,
                    &mut lanes,
                    |slot, state| {
                        let mine = (slot as usize).checked_sub(first);
                        if let Some(s) = mine.and_then(|at| states.get_mut(at)) {
                            *s = Some(state);
                        }
                    },
                );
            };
            match which {
                Which::AllBut(skip) => {
                    let mut skip = skip.iter().peekable();
                    for (p, c) in clusters.iter().enumerate() {
                        if skip.next_if_eq(&&(p as u32)).is_none() {
                            classify(c);
                        }
                    }
                }
                Which::Only(list) => {
                    for c in list.iter().filter_map(|&p| clusters.get(p as usize)) {
                        classify(c);
                    }
                }
            }
        });
    }
}

/// The prospects a classification pass takes, by number (ascending).
#[derive(Clone, Copy)]
enum Which<'a> {
    /// Every prospect but these.
    AllBut(&'a [u32]),
    /// These.
    Only(&'a [u32]),
}

/// Whether two events of a list share a time and kind (SPEC §5 orders
/// them by id).
fn has_ties(events: &[Event]) -> bool {
    events
        .windows(2)
        .any(|w| matches!(w, [a, b] if (a.time_us, a.kind) == (b.time_us, b.kind)))
}

//! Rebuilding a live ledger from its tables (a snapshot read, a ledger
//! copied): every reference and value checked, prospects and counts
//! rebuilt, every prospect's events sorted and classified once.

use super::check::{self};
use super::records::RecordTable;
use super::store::{Cluster, LiveLedger};
use super::tables::{ContactRow, EventTables, SaleRow};
use crate::classify::ClassifyConfig;
use crate::classify::sequence::{self as order, Event, EventKind};
use crate::intern::Interner;
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
        // misses) are built beside the rest, which reads ids only by slot.
        let jobs = [
            live.events.contacts.index_job(),
            live.events.meetings.index_job(),
            live.events.sales.index_job(),
            live.records.index_job(),
        ];
        let (indexes, rebuilt) = crate::par::join(
            move || jobs.map(|job| job.map(|(buf, ends)| Interner::index_of(&buf, &ends))),
            || {
                live.rebuild_prospects()?;
                live.rebuild_events();
                live.classify_all();
                Ok::<(), String>(())
            },
        );
        rebuilt?;
        let [contacts, meetings, sales, records] = indexes;
        if let Some(slots) = contacts.transpose()? {
            live.events.contacts.set_index(slots);
        }
        if let Some(slots) = meetings.transpose()? {
            live.events.meetings.set_index(slots);
        }
        if let Some(slots) = sales.transpose()? {
            live.events.sales.set_index(slots);
        }
        if let Some(slots) = records.transpose()? {
            live.records.set_index(slots);
        }
        Ok(live)
    }

    /// Forms the prospects from the records' cluster numbers (renumbered
    /// densely), with their smallest records.
    pub(super) fn rebuild_prospects(&mut self) -> std::result::Result<(), String> {
        // A snapshot numbers at most one prospect per record slot.
        let slots = self
            .records
            .iter()
            .map(|(r, _)| r as usize + 1)
            .max()
            .unwrap_or(0);
        let mut dense: Vec<Option<u32>> = vec![None; slots];
        self.clusters.reserve_exact(self.records.count());
        let members: Vec<(u32, u32)> = self
            .records
            .iter()
            .map(|(r, row)| (r, row.cluster))
            .collect();
        for (r, old) in members {
            let Some(entry) = dense.get_mut(old as usize) else {
                return Err(format!("prospect number {old} out of range"));
            };
            let c = match *entry {
                Some(c) => c,
                None => {
                    let c = self.clusters.len() as u32;
                    *entry = Some(c);
                    self.clusters.push(Cluster {
                        smallest: r,
                        ..Cluster::default()
                    });
                    c
                }
            };
            // Records come in slot order, not id order: keep the smallest.
            let smaller = self
                .cluster(c)
                .is_some_and(|cl| self.records.id(r) < self.records.id(cl.smallest));
            if let Some(cluster) = self.clusters.get_mut(c as usize) {
                cluster.members.push(r);
                if smaller {
                    cluster.smallest = r;
                }
            }
            if let Some(row) = self.records.get_mut(r) {
                row.cluster = c;
            }
            if let Some(by) = self.records.get(r).and_then(|row| row.created_by) {
                self.add_rep_ref(by, 1);
            }
        }
        Ok(())
    }

    /// Puts every stored event into its prospect, in SPEC §5 order, with
    /// the reference counts and currencies.
    pub(super) fn rebuild_events(&mut self) {
        self.states = vec![None; self.events.contacts.slots()];
        let total =
            self.events.contacts.count() + self.events.meetings.count() + self.events.sales.count();
        let mut placed: Vec<(u32, Event)> = Vec::with_capacity(total);
        for kind in [EventKind::Contact, EventKind::Meeting, EventKind::Sale] {
            let slots: Vec<u32> = match kind {
                EventKind::Contact => self.events.contacts.iter().map(|(s, _)| s).collect(),
                EventKind::Meeting => self.events.meetings.iter().map(|(s, _)| s).collect(),
                EventKind::Sale => self.events.sales.iter().map(|(s, _)| s).collect(),
            };
            for slot in slots {
                let Some((time_us, rep, record)) = self.events.refs(kind, slot) else {
                    continue;
                };
                self.add_rep_ref(rep, 1);
                self.count_currency(kind, slot, 1);
                let Some(row) = self.records.get_mut(record) else {
                    continue;
                };
                row.events += 1;
                placed.push((
                    row.cluster,
                    Event {
                        time_us,
                        kind,
                        slot,
                    },
                ));
            }
        }
        // Grouped by prospect, each prospect's events in SPEC §5 order
        // (sorted on every thread): the lists are then filled in one pass
        // over the prospects, in order, each already sorted.
        let events = &self.events;
        crate::par::sort_by(&mut placed, |a, b| {
            a.0.cmp(&b.0).then_with(|| order::compare(events, a.1, b.1))
        });
        for run in placed.chunk_by(|a, b| a.0 == b.0) {
            let Some(&(c, _)) = run.first() else { continue };
            if let Some(cluster) = self.clusters.get_mut(c as usize) {
                cluster.events = run.iter().map(|&(_, e)| e).collect();
            }
        }
    }

    /// Classifies every prospect's contacts (its events in SPEC §5 order).
    pub(super) fn classify_all(&mut self) {
        let (newness, dormancy_us) = (self.config.newness, self.dormancy_us);
        let mut lanes = order::Lanes::default();
        let states = &mut self.states;
        for c in &self.clusters {
            debug_assert!(
                c.events
                    .is_sorted_by(|&a, &b| order::compare(&self.events, a, b).is_lt())
            );
            order::classify_into(
                &self.events,
                &c.events,
                newness,
                dormancy_us,
                &mut lanes,
                |slot, state| {
                    if let Some(s) = states.get_mut(slot as usize) {
                        *s = Some(state);
                    }
                },
            );
        }
    }
}

//! Contacts, meetings and sales of the live ledger: adding, correcting and
//! removing them, each prospect's events kept in SPEC §5 order and its
//! contacts classified, and the entry a CRM shows.

use super::check::{self, Refs};
use super::entry::{ClassChange, ContactEntry};
use super::store::{LiveLedger, not_found, too_many};
use super::tables::{ContactRow, EventTables, MeetingRow, SaleRow, Slot};
use crate::classify::sequence::{self as order, ContactState, Event, EventFacts, EventKind};
use crate::classify::{ContactClass, Newness};
use crate::error::{Error, Result};
use crate::model::{Contact, ContactId, Meeting, ProspectId, RecordKind, Sale};
use crate::time::from_micros;
use chrono::TimeDelta;

impl LiveLedger {
    /// Adds a contact and classifies it: its class, engagement, the touches
    /// so far, the last touch before it and, when it arrived out of order,
    /// the other contacts whose class changed.
    ///
    /// # Errors
    /// [`Error::Rejected`] as SPEC §3 says; nothing changes.
    pub fn add_contact(&mut self, contact: &Contact) -> Result<ContactEntry> {
        let slot = self.stage_contact(contact)?;
        let cluster = self.place(EventKind::Contact, slot);
        let latest = self
            .cluster(cluster)
            .and_then(|c| c.events.last())
            .is_some_and(|e| e.kind == EventKind::Contact && e.slot == slot);
        // A contact after every event of its prospect changes no other
        // class: it is classified from the events just before it, unless
        // reports kept up to date need the prospect recounted anyway.
        if latest && self.tracked.is_empty() && self.survival.is_none() {
            self.classify_latest(cluster, slot);
            return self.entry(slot, Vec::new());
        }
        let changes = self.reclassify(cluster, Some(slot));
        self.entry(slot, changes)
    }

    /// Classifies contact `slot`, the latest event of prospect `cluster`:
    /// walks back to the latest earlier contact of its lane (or a sale, or
    /// a customer contact, which make it a customer contact too).
    pub(super) fn classify_latest(&mut self, cluster: u32, slot: u32) {
        let events = self.cluster(cluster).map_or(&[][..], |c| &c.events[..]);
        let Some((&me, before)) = events.split_last() else {
            return;
        };
        let lane = |e: Event| match self.config.newness {
            Newness::Organisation => true,
            Newness::PerRep => self.events.rep(e) == self.events.rep(me),
        };
        let mut previous = None;
        let mut sold = false;
        for &e in before.iter().rev() {
            match e.kind {
                EventKind::Sale => sold = true,
                EventKind::Meeting => continue,
                EventKind::Contact => {
                    let Some(state) = self.states.get(e.slot as usize).copied().flatten() else {
                        continue;
                    };
                    if state.class == ContactClass::Customer {
                        sold = true;
                    } else if lane(e) {
                        previous = Some((state, me.time_us.saturating_sub(e.time_us)));
                    } else {
                        continue;
                    }
                }
            }
            break;
        }
        let state = if sold {
            ContactState::CUSTOMER
        } else {
            ContactState::after(previous, slot, self.dormancy_us)
        };
        if let Some(s) = self.states.get_mut(slot as usize) {
            *s = Some(state);
        }
    }

    /// Checks a contact (SPEC §3, repeated id last) and stores it, not yet
    /// placed among its prospect's events.
    pub(super) fn stage_contact(&mut self, contact: &Contact) -> Result<u32> {
        let row = self.next_row(RecordKind::Contact);
        let id = contact.contact_id.as_str();
        let checked =
            check::contact(contact, self).and_then(|refs| match self.events.contacts.find(id) {
                Some(_) => Err(("contact_id", crate::Reason::DuplicateId)),
                None => Ok(refs),
            });
        match checked {
            Ok(refs) => self.store_contact(contact, refs),
            Err(f) => Err(Self::reject(RecordKind::Contact, row, id, f)),
        }
    }

    /// Replaces the contact with the same id by a new version (a
    /// correction): returns its entry, with the other contacts whose class
    /// changed.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when no contact has the id;
    /// [`Error::Rejected`] when the new version fails SPEC §3.
    pub fn replace_contact(&mut self, contact: &Contact) -> Result<ContactEntry> {
        let row = self.next_row(RecordKind::Contact);
        let id = contact.contact_id.as_str().to_owned();
        let (rep, record) = check::contact(contact, self)
            .map_err(|f| Self::reject(RecordKind::Contact, row, &id, f))?;
        let slot = self
            .events
            .contacts
            .find(&id)
            .ok_or_else(|| not_found(RecordKind::Contact, &id))?;
        let row = ContactRow::of(contact);
        let changes = self.replace_event(EventKind::Contact, slot, |t| {
            t.contacts.set(slot, Slot { row, rep, record });
        });
        self.entry(slot, changes)
    }

    /// Removes a contact: returns the contacts whose class changed.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when no contact has the id.
    pub fn remove_contact(&mut self, contact_id: &str) -> Result<Vec<ClassChange>> {
        let slot = self
            .events
            .contacts
            .find(contact_id)
            .ok_or_else(|| not_found(RecordKind::Contact, contact_id))?;
        let cluster = self.detach(EventKind::Contact, slot);
        if let Some(s) = self.states.get_mut(slot as usize) {
            *s = None;
        }
        // Reported while the removed contact can still name the
        // engagements it started.
        let changes = self.reclassify(cluster, None);
        self.events.contacts.take(slot);
        Ok(changes)
    }

    /// Adds a meeting (meetings do not change classes, but they count in
    /// the reports).
    ///
    /// # Errors
    /// [`Error::Rejected`] as SPEC §3 says; nothing changes.
    pub fn add_meeting(&mut self, meeting: &Meeting) -> Result<()> {
        let slot = self.stage_meeting(meeting)?;
        let cluster = self.place(EventKind::Meeting, slot);
        self.refresh_reports(cluster);
        Ok(())
    }

    /// Checks a meeting and stores it, not yet placed.
    pub(super) fn stage_meeting(&mut self, meeting: &Meeting) -> Result<u32> {
        let row = self.next_row(RecordKind::Meeting);
        let id = meeting.meeting_id.as_str();
        let checked =
            check::meeting(meeting, self).and_then(|refs| match self.events.meetings.find(id) {
                Some(_) => Err(("meeting_id", crate::Reason::DuplicateId)),
                None => Ok(refs),
            });
        match checked {
            Ok(refs) => self.store_meeting(meeting, refs),
            Err(f) => Err(Self::reject(RecordKind::Meeting, row, id, f)),
        }
    }

    /// Replaces the meeting with the same id (a correction).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when no meeting has the id;
    /// [`Error::Rejected`] when the new version fails SPEC §3.
    pub fn replace_meeting(&mut self, meeting: &Meeting) -> Result<()> {
        let row = self.next_row(RecordKind::Meeting);
        let id = meeting.meeting_id.as_str().to_owned();
        let (rep, record) = check::meeting(meeting, self)
            .map_err(|f| Self::reject(RecordKind::Meeting, row, &id, f))?;
        let slot = self
            .events
            .meetings
            .find(&id)
            .ok_or_else(|| not_found(RecordKind::Meeting, &id))?;
        let row = MeetingRow::of(meeting);
        self.replace_event(EventKind::Meeting, slot, |t| {
            t.meetings.set(slot, Slot { row, rep, record });
        });
        Ok(())
    }

    /// Removes a meeting.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when no meeting has the id.
    pub fn remove_meeting(&mut self, meeting_id: &str) -> Result<()> {
        let slot = self
            .events
            .meetings
            .find(meeting_id)
            .ok_or_else(|| not_found(RecordKind::Meeting, meeting_id))?;
        let cluster = self.detach(EventKind::Meeting, slot);
        self.events.meetings.take(slot);
        self.refresh_reports(cluster);
        Ok(())
    }

    /// Adds a sale: returns the contacts whose class changed (a sale
    /// before existing contacts makes them customer contacts).
    ///
    /// # Errors
    /// [`Error::Rejected`] as SPEC §3 says; nothing changes.
    pub fn add_sale(&mut self, sale: &Sale) -> Result<Vec<ClassChange>> {
        let slot = self.stage_sale(sale)?;
        let cluster = self.place(EventKind::Sale, slot);
        Ok(self.reclassify(cluster, None))
    }

    /// Checks a sale and stores it, not yet placed.
    pub(super) fn stage_sale(&mut self, sale: &Sale) -> Result<u32> {
        let row = self.next_row(RecordKind::Sale);
        let id = sale.sale_id.as_str();
        let checked = check::sale(sale, self).and_then(|refs| match self.events.sales.find(id) {
            Some(_) => Err(("sale_id", crate::Reason::DuplicateId)),
            None => Ok(refs),
        });
        match checked {
            Ok(refs) => self.store_sale(sale, refs),
            Err(f) => Err(Self::reject(RecordKind::Sale, row, id, f)),
        }
    }

    /// Replaces the sale with the same id (a correction): returns the
    /// contacts whose class changed.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when no sale has the id;
    /// [`Error::Rejected`] when the new version fails SPEC §3.
    pub fn replace_sale(&mut self, sale: &Sale) -> Result<Vec<ClassChange>> {
        let row = self.next_row(RecordKind::Sale);
        let id = sale.sale_id.as_str().to_owned();
        let (rep, record) =
            check::sale(sale, self).map_err(|f| Self::reject(RecordKind::Sale, row, &id, f))?;
        let slot = self
            .events
            .sales
            .find(&id)
            .ok_or_else(|| not_found(RecordKind::Sale, &id))?;
        let row = SaleRow::of(sale);
        Ok(self.replace_event(EventKind::Sale, slot, |t| {
            t.sales.set(slot, Slot { row, rep, record });
        }))
    }

    /// Removes a sale: returns the contacts whose class changed.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when no sale has the id.
    pub fn remove_sale(&mut self, sale_id: &str) -> Result<Vec<ClassChange>> {
        let slot = self
            .events
            .sales
            .find(sale_id)
            .ok_or_else(|| not_found(RecordKind::Sale, sale_id))?;
        let cluster = self.detach(EventKind::Sale, slot);
        let changes = self.reclassify(cluster, None);
        self.events.sales.take(slot);
        Ok(changes)
    }

    /// Takes an event out of its prospect, stores its new version in the
    /// same slot (`store`) and puts it back where the new version goes;
    /// returns the other contacts whose class changed.
    pub(super) fn replace_event(
        &mut self,
        kind: EventKind,
        slot: u32,
        store: impl FnOnce(&mut EventTables),
    ) -> Vec<ClassChange> {
        let before = self.detach(kind, slot);
        store(&mut self.events);
        let after = self.place(kind, slot);
        let subject = (kind == EventKind::Contact).then_some(slot);
        let mut changes = Vec::new();
        if before != after {
            changes = self.reclassify(before, subject);
        }
        changes.extend(self.reclassify(after, subject));
        changes
    }

    /// Stores a checked contact whose references resolved to `(rep, record)`.
    pub(super) fn store_contact(&mut self, c: &Contact, (rep, record): Refs) -> Result<u32> {
        let row = ContactRow::of(c);
        let slot = self
            .events
            .contacts
            .push(c.contact_id.as_str(), Slot { row, rep, record })
            .ok_or_else(too_many)?;
        self.states.resize(self.events.contacts.slots(), None);
        Ok(slot)
    }

    /// Stores a checked meeting whose references resolved to `(rep, record)`.
    pub(super) fn store_meeting(&mut self, m: &Meeting, (rep, record): Refs) -> Result<u32> {
        let row = MeetingRow::of(m);
        self.events
            .meetings
            .push(m.meeting_id.as_str(), Slot { row, rep, record })
            .ok_or_else(too_many)
    }

    /// Stores a checked sale whose references resolved to `(rep, record)`.
    pub(super) fn store_sale(&mut self, s: &Sale, (rep, record): Refs) -> Result<u32> {
        let row = SaleRow::of(s);
        self.events
            .sales
            .push(s.sale_id.as_str(), Slot { row, rep, record })
            .ok_or_else(too_many)
    }

    /// Puts a stored event into its prospect's list at its SPEC §5 place;
    /// returns the prospect (cluster).
    pub(super) fn place(&mut self, kind: EventKind, slot: u32) -> u32 {
        let Some((time_us, rep, record)) = self.events.refs(kind, slot) else {
            debug_assert!(false, "a stored event");
            return 0;
        };
        self.add_rep_ref(rep, 1);
        self.count_currency(kind, slot, 1);
        if let Some(s) = &mut self.survival {
            s.count_time(time_us, 1);
        }
        let cluster = self.cluster_of(record);
        if let Some(r) = self.records.get_mut(record) {
            r.events += 1;
        }
        let e = Event {
            time_us,
            kind,
            slot,
        };
        if let Some(c) = self.clusters.get_mut(cluster as usize) {
            let at = order::insertion_point(&self.events, &c.events, e);
            c.events.insert(at, e);
        }
        cluster
    }

    /// Takes a stored event out of its prospect's list (it stays in its
    /// table); returns the prospect.
    pub(super) fn detach(&mut self, kind: EventKind, slot: u32) -> u32 {
        let Some((time_us, rep, record)) = self.events.refs(kind, slot) else {
            debug_assert!(false, "a stored event");
            return 0;
        };
        self.add_rep_ref(rep, -1);
        self.count_currency(kind, slot, -1);
        if let Some(s) = &mut self.survival {
            s.count_time(time_us, -1);
        }
        let cluster = self.cluster_of(record);
        if let Some(r) = self.records.get_mut(record) {
            r.events = r.events.saturating_sub(1);
        }
        if let Some(c) = self.clusters.get_mut(cluster as usize) {
            c.events.retain(|e| !(e.kind == kind && e.slot == slot));
        }
        cluster
    }

    /// Classifies a prospect's contacts again; returns those whose class
    /// or engagement changed, `subject` (a contact just stored) aside.
    pub(super) fn reclassify(&mut self, cluster: u32, subject: Option<u32>) -> Vec<ClassChange> {
        let Some(c) = self.clusters.get(cluster as usize) else {
            return Vec::new();
        };
        let states = order::classify_events(
            &self.events,
            &c.events,
            self.config.newness,
            self.dormancy_us,
        );
        let mut changes = Vec::new();
        for (slot, new) in states {
            let Some(old_slot) = self.states.get_mut(slot as usize) else {
                continue;
            };
            let old = old_slot.replace(new);
            if Some(slot) == subject {
                continue;
            }
            if let Some(old) = old
                && old.differs(&new)
            {
                changes.push((slot, old, new));
            }
        }
        self.refresh_reports(cluster);
        changes
            .into_iter()
            .map(|(slot, old, new)| ClassChange {
                contact_id: ContactId::new(self.contact_id(slot)),
                from: old.class,
                to: new.class,
                from_engagement: old.engagement.map(|s| ContactId::new(self.contact_id(s))),
                to_engagement: new.engagement.map(|s| ContactId::new(self.contact_id(s))),
            })
            .collect()
    }

    pub(super) fn contact_id(&self, slot: u32) -> &str {
        self.events.id(Event {
            time_us: 0,
            kind: EventKind::Contact,
            slot,
        })
    }

    /// The entry of a classified contact: class and context.
    pub(super) fn entry(&self, slot: u32, changes: Vec<ClassChange>) -> Result<ContactEntry> {
        let Some(state) = self.states.get(slot as usize).copied().flatten() else {
            debug_assert!(false, "classified just now");
            return Err(Error::InvalidArgument {
                what: format!("contact `{}`", self.contact_id(slot)),
                reason: "internal: not classified after it was stored".to_owned(),
            });
        };
        let record = self.events.contacts.get(slot).map_or(0, |s| s.record);
        let cluster = self.cluster_of(record);
        let events = self.cluster(cluster).map_or(&[][..], |c| &c.events[..]);
        // The latest event first: where a contact usually is.
        let at = events
            .iter()
            .rposition(|e| e.kind == EventKind::Contact && e.slot == slot)
            .unwrap_or_default();
        let before = events.get(..at).unwrap_or_default();
        let touches = state.touch;
        let last = before
            .iter()
            .rev()
            .find(|e| e.kind == EventKind::Contact)
            .and_then(|e| Some((e.slot, self.events.contacts.get(e.slot)?)));
        let me = self.events.contacts.get(slot).map(|s| s.row.occurred_us);
        let customer_since = (state.class == ContactClass::Customer)
            .then(|| before.iter().find(|e| e.kind == EventKind::Sale))
            .flatten()
            .map(|e| from_micros(e.time_us));
        Ok(ContactEntry {
            class: state.class,
            prospect_id: ProspectId::new(self.cluster_id(cluster)),
            engagement: state.engagement.map(|s| ContactId::new(self.contact_id(s))),
            engagement_started: state
                .engagement
                .and_then(|s| self.events.contacts.get(s))
                .map(|s| from_micros(s.row.occurred_us)),
            touches,
            last_touch: last.map(|(l, s)| {
                self.events
                    .contact(l, s, self.rep_id_of(s.rep), self.record_id_of(s.record))
            }),
            since_last_touch: last
                .zip(me)
                .map(|((_, l), me)| TimeDelta::microseconds(me.saturating_sub(l.row.occurred_us))),
            customer_since,
            changes,
        })
    }
}

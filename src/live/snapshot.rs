//! Loading many records at once (from a ledger or a snapshot), and the
//! serde form of a live ledger.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::records::RecordTable;
use super::store::LiveLedger;
use super::tables::{ContactRow, EventTables, MeetingRow, SaleRow, Slot};
use crate::classify::ClassifyConfig;
use crate::error::{Error, Result};
use crate::ledger::Ledger;
use crate::model::{RecordKind, Rep};
use crate::report::PeriodSpec;

/// The snapshot format's version (a reader refuses others).
const VERSION: u32 = 1;

/// What a snapshot holds: the settings, the compact tables (ids once,
/// references as slots, times in µs, prospects as cluster numbers) and
/// what is kept up to date. Classes, engagements, prospects' event lists
/// and report cells are rebuilt when it is read.
#[derive(Serialize)]
struct SnapshotRef<'a> {
    version: u32,
    config: &'a ClassifyConfig,
    reps: &'a [Option<Rep>],
    records: &'a RecordTable,
    events: &'a EventTables,
    tried: [u64; 5],
    tracked_periods: Vec<&'a PeriodSpec>,
    tracks_survival: bool,
}

/// [`SnapshotRef`], read.
#[derive(Deserialize)]
struct Snapshot {
    version: u32,
    config: ClassifyConfig,
    reps: Vec<Option<Rep>>,
    records: RecordTable,
    events: EventTables,
    tried: [u64; 5],
    tracked_periods: Vec<PeriodSpec>,
    tracks_survival: bool,
}

impl LiveLedger {
    /// A live ledger holding a built ledger's records, with its prospects:
    /// the ledger's tables copied over (its reps and prospect records keep
    /// their order, so references carry over as they are), then checked
    /// and classified as a snapshot is.
    ///
    /// # Errors
    /// None in practice (the ledger's records were accepted once).
    pub fn from_ledger(ledger: &Ledger, config: ClassifyConfig) -> Result<Self> {
        let reps: Vec<Option<Rep>> = ledger.reps().iter().cloned().map(Some).collect();
        let record_count = ledger.accepted_count(RecordKind::Prospect) as usize;
        let mut records = RecordTable::default();
        records.reserve(record_count, 12);
        for r in 0..record_count {
            let Some(record) = ledger.prospect_record(r) else {
                continue;
            };
            let created_by = record
                .created_by
                .as_ref()
                .and_then(|b| ledger.rep_index(b.as_str()));
            let cluster = ledger.record_prospect(r as u32).unwrap_or(r as u32);
            records
                .insert(&record, created_by, cluster)
                .ok_or_else(too_many)?;
        }
        let mut events = EventTables::default();
        let rows = ledger.contacts();
        events.contacts.reserve(rows.len(), 12);
        for (i, c) in rows.iter().enumerate() {
            let Some(contact) = ledger.contact(i) else {
                continue;
            };
            let slot = Slot {
                row: ContactRow::of(&contact),
                rep: c.rep,
                record: c.record,
            };
            events
                .contacts
                .push(contact.contact_id.as_str(), slot)
                .ok_or_else(too_many)?;
        }
        for (i, m) in ledger.meetings().iter().enumerate() {
            let Some(meeting) = ledger.meeting(i) else {
                continue;
            };
            let slot = Slot {
                row: MeetingRow::of(&meeting),
                rep: m.rep,
                record: m.record,
            };
            events
                .meetings
                .push(meeting.meeting_id.as_str(), slot)
                .ok_or_else(too_many)?;
        }
        for (i, s) in ledger.sales().iter().enumerate() {
            let Some(sale) = ledger.sale(i) else { continue };
            let slot = Slot {
                row: SaleRow::of(&sale),
                rep: s.rep,
                record: s.record,
            };
            events
                .sales
                .push(sale.sale_id.as_str(), slot)
                .ok_or_else(too_many)?;
        }
        let tried = [
            RecordKind::Rep,
            RecordKind::Prospect,
            RecordKind::Contact,
            RecordKind::Meeting,
            RecordKind::Sale,
        ]
        .map(|k| ledger.accepted_count(k));
        LiveLedger::from_parts(config, reps, records, events, tried).map_err(|reason| {
            Error::InvalidArgument {
                what: "ledger".to_owned(),
                reason,
            }
        })
    }
}

fn too_many() -> Error {
    Error::InvalidArgument {
        what: "ledger".to_owned(),
        reason: "more than 4 billion ids of one record kind".to_owned(),
    }
}

impl Serialize for LiveLedger {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let (reps, records, events, tried) = self.parts();
        SnapshotRef {
            version: VERSION,
            config: self.config(),
            reps,
            records,
            events,
            tried,
            tracked_periods: self.tracked_periods().collect(),
            tracks_survival: self.tracks_survival(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for LiveLedger {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let s = Snapshot::deserialize(deserializer)?;
        if s.version != VERSION {
            return Err(serde::de::Error::custom(format!(
                "live ledger snapshot version {} (this crate reads {VERSION})",
                s.version
            )));
        }
        let mut live = LiveLedger::from_parts(s.config, s.reps, s.records, s.events, s.tried)
            .map_err(serde::de::Error::custom)?;
        for spec in s.tracked_periods {
            live.track_periods(spec);
        }
        if s.tracks_survival {
            live.track_survival();
        }
        Ok(live)
    }
}

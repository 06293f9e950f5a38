//! Loading many records at once (from a ledger or a snapshot), and the
//! serde form of a live ledger.

use std::borrow::Cow;

use serde::de::{SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::records::RecordTable;
use super::store::LiveLedger;
use super::tables::{ContactRow, EventTables, MeetingRow, SaleRow, Slot, Slots};
use crate::classify::ClassifyConfig;
use crate::error::{Error, Result};
use crate::ledger::Ledger;
use crate::model::{RecordKind, Rep, RepId, TeamId};
use crate::report::PeriodSpec;

/// The snapshot format's version (a reader refuses others). Version 2
/// packs the tables in binary formats (see [`Table`]).
const VERSION: u32 = 2;

/// What a snapshot holds: the settings, the compact tables (ids once,
/// references as slots, times in µs, prospects as cluster numbers) and
/// what is kept up to date. Classes, engagements, prospects' event lists
/// and report cells are rebuilt when it is read. Written field by field
/// in this order by `LiveLedger`'s `Serialize`.
#[derive(Deserialize)]
struct Snapshot<'a> {
    /// Checked as it is read (it comes first): another version's tables
    /// would fail to read with a less helpful error.
    #[serde(rename = "version", deserialize_with = "this_version")]
    _version: u32,
    config: ClassifyConfig,
    reps: Vec<Option<RepRow>>,
    #[serde(borrow)]
    contacts: TableRead<'a, Slots<Slot<ContactRow>>>,
    #[serde(borrow)]
    meetings: TableRead<'a, Slots<Slot<MeetingRow>>>,
    #[serde(borrow)]
    sales: TableRead<'a, Slots<Slot<SaleRow>>>,
    #[serde(borrow)]
    records: TableRead<'a, RecordTable>,
    tried: [u64; 5],
    tracked_periods: Vec<PeriodSpec>,
    tracks_survival: bool,
}

/// Reads a snapshot's format version, refusing any but [`VERSION`].
fn this_version<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<u32, D::Error> {
    let version = u32::deserialize(d)?;
    if version != VERSION {
        return Err(serde::de::Error::custom(format!(
            "live ledger snapshot version {version} (this crate reads {VERSION})"
        )));
    }
    Ok(version)
}

/// A rep as a snapshot holds it: every field written, since binary
/// formats such as postcard cannot skip the absent ones as `Rep`'s own
/// serde form does.
#[derive(Serialize, Deserialize)]
struct RepRow {
    rep_id: RepId,
    name: Option<String>,
    team_id: Option<TeamId>,
    daily_contact_target: Option<i64>,
}

impl From<&Rep> for RepRow {
    fn from(r: &Rep) -> Self {
        let r = r.clone();
        RepRow {
            rep_id: r.rep_id,
            name: r.name,
            team_id: r.team_id,
            daily_contact_target: r.daily_contact_target,
        }
    }
}

impl From<RepRow> for Rep {
    fn from(r: RepRow) -> Self {
        Rep {
            rep_id: r.rep_id,
            name: r.name,
            team_id: r.team_id,
            daily_contact_target: r.daily_contact_target,
        }
    }
}

/// A table of a snapshot. In a binary format (not human-readable) each
/// table is packed into bytes of its own, in postcard: the tables are then
/// written and read on every thread, where one serde stream would take
/// them one after the other. A human-readable format (JSON) holds each
/// table as it is.
enum Table<'a, T> {
    Plain(&'a T),
    Packed(Vec<u8>),
}

impl<T: Serialize> Serialize for Table<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Table::Plain(table) => table.serialize(serializer),
            Table::Packed(bytes) => serializer.serialize_bytes(bytes),
        }
    }
}

impl<'a, T: Serialize + Sync> Table<'a, T> {
    /// The table as a serializer of `human_readable` form writes it.
    fn of(table: &'a T, human_readable: bool) -> std::result::Result<Self, String> {
        if human_readable {
            return Ok(Table::Plain(table));
        }
        postcard::to_allocvec(table)
            .map(Table::Packed)
            .map_err(|e| format!("packing a snapshot table: {e}"))
    }
}

/// A [`Table`], read: as it is, or its packed bytes (borrowed from the
/// input where the format allows), to be unpacked with [`TableRead::unpack`].
enum TableRead<'de, T> {
    Plain(T),
    Packed(Cow<'de, [u8]>),
}

impl<'de: 'a, 'a, T: Deserialize<'de>> Deserialize<'de> for TableRead<'a, T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            T::deserialize(deserializer).map(TableRead::Plain)
        } else {
            let bytes: Cow<'a, [u8]> = deserializer.deserialize_bytes(PackedBytes)?;
            Ok(TableRead::Packed(bytes))
        }
    }
}

impl<T: for<'b> Deserialize<'b>> TableRead<'_, T> {
    /// The table, unpacked.
    fn unpack(self) -> std::result::Result<T, String> {
        match self {
            TableRead::Plain(table) => Ok(table),
            TableRead::Packed(bytes) => postcard::from_bytes(&bytes)
                .map_err(|e| format!("a snapshot table does not unpack: {e}")),
        }
    }
}

/// Reads a packed table's bytes, borrowed when the input allows.
struct PackedBytes;

impl<'de> Visitor<'de> for PackedBytes {
    type Value = Cow<'de, [u8]>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the bytes of a packed snapshot table")
    }

    fn visit_borrowed_bytes<E: serde::de::Error>(
        self,
        v: &'de [u8],
    ) -> std::result::Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> std::result::Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_vec()))
    }

    fn visit_byte_buf<E: serde::de::Error>(
        self,
        v: Vec<u8>,
    ) -> std::result::Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut bytes = Vec::new();
        while let Some(b) = seq.next_element::<u8>()? {
            bytes.push(b);
        }
        Ok(Cow::Owned(bytes))
    }
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
        use serde::ser::{Error as _, SerializeStruct};
        let (reps, records, events, tried) = self.parts();
        let human = serializer.is_human_readable();
        let reps: Vec<Option<RepRow>> = reps.iter().map(|r| r.as_ref().map(RepRow::from)).collect();
        let mut out = serializer.serialize_struct("Snapshot", 10)?;
        out.serialize_field("version", &VERSION)?;
        out.serialize_field("config", self.config())?;
        out.serialize_field("reps", &reps)?;
        // The prospect records are packed on another thread while the
        // events are packed and written here: packing overlaps writing,
        // and at most two packed tables are held at a time.
        let (records, events_written) = crate::par::overlap(
            || Table::of(records, human),
            || -> std::result::Result<(), S::Error> {
                let pack = |e| S::Error::custom(e);
                // Each packed table is a temporary, dropped once written.
                out.serialize_field(
                    "contacts",
                    &Table::of(&events.contacts, human).map_err(pack)?,
                )?;
                out.serialize_field(
                    "meetings",
                    &Table::of(&events.meetings, human).map_err(pack)?,
                )?;
                out.serialize_field("sales", &Table::of(&events.sales, human).map_err(pack)?)
            },
        );
        events_written?;
        out.serialize_field("records", &records.map_err(S::Error::custom)?)?;
        out.serialize_field("tried", &tried)?;
        let tracked: Vec<&PeriodSpec> = self.tracked_periods().collect();
        out.serialize_field("tracked_periods", &tracked)?;
        out.serialize_field("tracks_survival", &self.tracks_survival())?;
        out.end()
    }
}

impl<'de> Deserialize<'de> for LiveLedger {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let s = Snapshot::deserialize(deserializer)?;
        // The prospect records (ids and six detail columns each) take
        // about as long as the contacts with the other events.
        let (events, records) = crate::par::join(
            || -> std::result::Result<_, String> {
                Ok(EventTables {
                    contacts: s.contacts.unpack()?,
                    meetings: s.meetings.unpack()?,
                    sales: s.sales.unpack()?,
                })
            },
            || s.records.unpack(),
        );
        let (events, records) = (
            events.map_err(serde::de::Error::custom)?,
            records.map_err(serde::de::Error::custom)?,
        );
        let reps = s.reps.into_iter().map(|r| r.map(Rep::from)).collect();
        let mut live = LiveLedger::from_parts(s.config, reps, records, events, s.tried)
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

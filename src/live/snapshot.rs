//! Loading many records at once (from a ledger or a snapshot), and the
//! serde form of a live ledger.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::order::EventKind;
use super::records::RecordTable;
use super::store::LiveLedger;
use super::tables::EventTables;
use crate::classify::ClassifyConfig;
use crate::error::{Error, Result};
use crate::ledger::Ledger;
use crate::model::{ProspectId, ProspectRecordId, Records, Rep};
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
    /// A live ledger holding a built ledger's records, with its prospects.
    ///
    /// # Errors
    /// None in practice (the ledger's records were accepted once).
    pub fn from_ledger(ledger: &Ledger, config: ClassifyConfig) -> Result<Self> {
        let records = ledger.to_records();
        let prospects = records
            .prospects
            .iter()
            .filter_map(|r| {
                let id = r.prospect_id.as_str();
                let p = ledger.prospect_of(id)?;
                Some((r.prospect_id.clone(), ProspectId::new(p)))
            })
            .collect();
        Self::load(config, records, prospects)
    }

    /// Loads records in one pass: each is checked as one update would be,
    /// then every prospect's events are sorted and classified once.
    fn load(
        config: ClassifyConfig,
        records: Records,
        prospects: Vec<(ProspectRecordId, ProspectId)>,
    ) -> Result<Self> {
        let mut live = LiveLedger::new(config);
        let mut rejections = Vec::new();
        let mut keep = |r: Result<()>| {
            if let Err(Error::Rejected { rejections: r }) = r {
                rejections.extend(r);
            }
        };
        for rep in records.reps {
            keep(live.add_rep(rep));
        }
        for p in records.prospects {
            keep(live.add_prospect(p).map(drop));
        }
        live.group(&prospects)?;
        for c in records.contacts {
            keep(live.add_unsorted(EventKind::Contact, |l| l.stage_contact(c)));
        }
        for m in records.meetings {
            keep(live.add_unsorted(EventKind::Meeting, |l| l.stage_meeting(m)));
        }
        for s in records.sales {
            keep(live.add_unsorted(EventKind::Sale, |l| l.stage_sale(s)));
        }
        if !rejections.is_empty() {
            return Err(Error::Rejected { rejections });
        }
        live.sort_and_classify_all();
        Ok(live)
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

//! Loading many records at once (from a ledger or a snapshot), and the
//! serde form of a live ledger.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::order::EventKind;
use super::store::LiveLedger;
use crate::classify::ClassifyConfig;
use crate::error::{Error, Result};
use crate::ledger::Ledger;
use crate::model::{ProspectId, ProspectRecordId, Records};
use crate::report::PeriodSpec;

/// What a snapshot holds: the settings, the accepted records in arrival
/// order and the prospect of every record that shares one.
#[derive(Serialize, Deserialize)]
struct Snapshot {
    config: ClassifyConfig,
    records: Records,
    prospects: Vec<(ProspectRecordId, ProspectId)>,
    /// The period reports kept up to date.
    #[serde(default)]
    tracked_periods: Vec<PeriodSpec>,
    /// Whether the survival curves are kept up to date.
    #[serde(default)]
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

    /// The serde form.
    fn snapshot(&self) -> Snapshot {
        let records = self.to_records();
        let prospects = records
            .prospects
            .iter()
            .filter_map(|r| {
                let p = self.prospect_of(r.prospect_id.as_str())?;
                (p != r.prospect_id.as_str()).then(|| (r.prospect_id.clone(), ProspectId::new(p)))
            })
            .collect();
        Snapshot {
            config: *self.config(),
            records,
            prospects,
            tracked_periods: self.tracked_periods().cloned().collect(),
            tracks_survival: self.tracks_survival(),
        }
    }
}

impl Serialize for LiveLedger {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        self.snapshot().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for LiveLedger {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let s = Snapshot::deserialize(deserializer)?;
        let mut live =
            LiveLedger::load(s.config, s.records, s.prospects).map_err(serde::de::Error::custom)?;
        for spec in s.tracked_periods {
            live.track_periods(spec);
        }
        if s.tracks_survival {
            live.track_survival();
        }
        Ok(live)
    }
}

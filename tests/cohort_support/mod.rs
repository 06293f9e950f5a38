//! Random ledgers for the property tests of cohorts, survival and
//! breakdowns (tests/cohort.rs, tests/survival.rs, tests/breakdown.rs).
#![allow(dead_code, unreachable_pub)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use sales_metrics::{
    Channel, ClassifyConfig, Contact, Ledger, LedgerBuilder, Meeting, MeetingStatus, Newness,
    ProspectRecord, Rep, Sale, Source, TeamId,
};

/// 2026-01-01T00:00:00Z.
pub fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

/// One generated event.
#[derive(Debug, Clone, Copy)]
pub struct Ev {
    pub prospect: u8,
    pub rep: u8,
    /// 0..12 contact, 12..17 meeting, 17..20 sale.
    pub kind: u8,
    pub day: u16,
    pub hour: u8,
    pub channel: u8,
    pub status: u8,
    pub duration_s: Option<u16>,
}

impl Ev {
    pub fn time(&self) -> DateTime<Utc> {
        epoch() + Duration::days(i64::from(self.day)) + Duration::hours(i64::from(self.hour))
    }
}

pub const PROSPECTS: u8 = 8;

pub fn ev() -> impl Strategy<Value = Ev> {
    (
        0..PROSPECTS,
        0u8..3,
        0u8..20,
        0u16..600,
        0u8..3,
        0u8..5,
        0u8..6,
        prop::option::of(0u16..3600),
    )
        .prop_map(
            |(prospect, rep, kind, day, hour, channel, status, duration_s)| Ev {
                prospect,
                rep,
                kind,
                day,
                hour,
                channel,
                status,
                duration_s,
            },
        )
}

pub fn events() -> impl Strategy<Value = Vec<Ev>> {
    prop::collection::vec(ev(), 0..70)
}

pub fn config(per_rep: bool) -> ClassifyConfig {
    ClassifyConfig {
        newness: if per_rep {
            Newness::PerRep
        } else {
            Newness::Organisation
        },
        ..ClassifyConfig::default()
    }
}

/// Builds a ledger of reps r0, r1 (team t1), r2 (team t2) and prospects
/// p0..p7 (sources cycling, some absent) from `events`, keeping only
/// events at or before `cut` when given.
pub fn ledger(events: &[Ev], cut: Option<DateTime<Utc>>) -> Ledger {
    let mut b = LedgerBuilder::new();
    for (r, team) in [("r0", "t1"), ("r1", "t1"), ("r2", "t2")] {
        let mut rep = Rep::new(r);
        rep.team_id = Some(TeamId::from(team));
        b.add_rep(rep);
    }
    for p in 0..PROSPECTS {
        let mut rec = ProspectRecord::new(format!("p{p}"));
        rec.source = Source::ALL.get(usize::from(p) % 7).copied();
        b.add_prospect(rec);
    }
    for (i, e) in events.iter().enumerate() {
        let t = e.time();
        if cut.is_some_and(|c| t > c) {
            continue;
        }
        let rep = format!("r{}", e.rep);
        let p = format!("p{}", e.prospect);
        match e.kind {
            0..12 => {
                let channel = Channel::ALL[usize::from(e.channel)];
                let mut c = Contact::new(format!("c{i}"), rep, p, t, channel);
                c.duration_s = e.duration_s.map(i64::from);
                b.add_contact(c);
            }
            12..17 => {
                let mut m = Meeting::new(format!("m{i}"), rep, p, t);
                m.status = match e.status {
                    0 => MeetingStatus::NoShow,
                    1 => MeetingStatus::Cancelled,
                    _ => MeetingStatus::Held,
                };
                b.add_meeting(m);
            }
            _ => {
                b.add_sale(Sale::new(format!("s{i}"), rep, p, t));
            }
        }
    }
    b.build().unwrap()
}

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

/// A deterministic ledger big enough (≈ 6 events per prospect) for the
/// parallel path to split it into several chunks.
pub fn big_ledger(prospects: usize) -> Ledger {
    let mut state = 42u64;
    let mut next = move |n: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % n
    };
    let mut b = LedgerBuilder::new();
    for r in ["r0", "r1", "r2"] {
        let mut rep = Rep::new(r);
        rep.team_id = Some(TeamId::from("t1"));
        b.add_rep(rep);
    }
    let (mut nc, mut nm, mut ns) = (0, 0, 0);
    for p in 0..prospects {
        let id = format!("p{p:05}");
        let mut rec = ProspectRecord::new(id.as_str());
        rec.source = Source::ALL.get(next(7) as usize).copied();
        b.add_prospect(rec);
        let mut t = epoch() + Duration::hours(next(600 * 24) as i64);
        for _ in 0..1 + next(8) {
            let rep = format!("r{}", next(3));
            let mut c = Contact::new(
                format!("c{nc}"),
                rep,
                id.as_str(),
                t,
                Channel::ALL[next(5) as usize],
            );
            c.duration_s = (next(4) > 0).then(|| next(1800) as i64);
            b.add_contact(c);
            nc += 1;
            t += Duration::hours(1 + next(120 * 24) as i64);
            match next(10) {
                0 | 1 => {
                    b.add_meeting(Meeting::new(format!("m{nm}"), "r1", id.as_str(), t));
                    nm += 1;
                }
                2 => {
                    b.add_sale(Sale::new(format!("s{ns}"), "r2", id.as_str(), t));
                    ns += 1;
                }
                _ => {}
            }
        }
    }
    b.build().unwrap()
}

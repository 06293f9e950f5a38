//! Helpers shared by integration tests: compact ledger construction.
#![allow(dead_code, unreachable_pub)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use sales_metrics::ingest::{read_csv_folder, read_partition_file};
use sales_metrics::{
    Channel, Contact, Ledger, LedgerBuilder, Meeting, MeetingStatus, ProspectRecord, Rep, Sale,
    TeamId,
};

/// The shipped demo data with its true partition.
pub fn demo() -> Result<Ledger, Box<dyn std::error::Error>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo");
    let mut builder = LedgerBuilder::new();
    builder.partition(read_partition_file(dir.join("prospect_clusters.csv"))?);
    read_csv_folder(&dir, &mut builder)?;
    Ok(builder.build()?)
}

/// 2026-01-01T00:00:00Z plus `days` days.
pub fn day(days: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::days(days)
}

/// A builder with reps `reps` (team `t1` for all) and prospects `p*`.
pub fn builder(reps: &[&str], prospects: &[&str]) -> LedgerBuilder {
    let mut b = LedgerBuilder::new();
    for r in reps {
        let mut rep = Rep::new(*r);
        rep.team_id = Some(TeamId::from("t1"));
        b.add_rep(rep);
    }
    for p in prospects {
        b.add_prospect(ProspectRecord::new(*p));
    }
    b
}

pub fn contact(b: &mut LedgerBuilder, id: &str, rep: &str, p: &str, t: DateTime<Utc>) {
    b.add_contact(Contact::new(id, rep, p, t, Channel::Phone));
}

pub fn meeting(b: &mut LedgerBuilder, id: &str, rep: &str, p: &str, t: DateTime<Utc>) {
    b.add_meeting(Meeting::new(id, rep, p, t));
}

pub fn meeting_status(
    b: &mut LedgerBuilder,
    id: &str,
    rep: &str,
    p: &str,
    t: DateTime<Utc>,
    status: MeetingStatus,
) {
    let mut m = Meeting::new(id, rep, p, t);
    m.status = status;
    b.add_meeting(m);
}

pub fn sale(b: &mut LedgerBuilder, id: &str, rep: &str, p: &str, t: DateTime<Utc>) {
    b.add_sale(Sale::new(id, rep, p, t));
}

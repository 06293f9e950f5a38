//! Writes a simulation as a SPEC §2 folder.
//!
//! The model types skip absent fields when serialised (right for JSON), which
//! would shift CSV columns, so rows are written through flat row types with
//! every column present and absent values as empty cells.

use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::Simulation;
use crate::error::{Error, Result};

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

#[derive(Serialize)]
struct RepRow<'a> {
    rep_id: &'a str,
    name: Option<&'a str>,
    team_id: Option<&'a str>,
    daily_contact_target: Option<i64>,
}

#[derive(Serialize)]
struct ProspectRow<'a> {
    prospect_id: &'a str,
    name: Option<&'a str>,
    company: Option<&'a str>,
    email: Option<&'a str>,
    phone: Option<&'a str>,
    city: Option<&'a str>,
    country: Option<&'a str>,
    source: Option<&'static str>,
    created_at: Option<String>,
    created_by: Option<&'a str>,
}

#[derive(Serialize)]
struct ContactRow<'a> {
    contact_id: &'a str,
    rep_id: &'a str,
    prospect_id: &'a str,
    occurred_at: String,
    logged_at: Option<String>,
    channel: &'static str,
    direction: &'static str,
    duration_s: Option<i64>,
    outcome: Option<&'static str>,
}

#[derive(Serialize)]
struct MeetingRow<'a> {
    meeting_id: &'a str,
    rep_id: &'a str,
    prospect_id: &'a str,
    held_at: String,
    status: &'static str,
}

#[derive(Serialize)]
struct SaleRow<'a> {
    sale_id: &'a str,
    rep_id: &'a str,
    prospect_id: &'a str,
    closed_at: String,
    amount_minor: Option<i64>,
    currency: Option<&'a str>,
}

#[derive(Serialize)]
struct ClusterRow<'a> {
    prospect_id: &'a str,
    cluster_id: &'a str,
}

fn write_rows<T: Serialize>(path: &Path, rows: impl Iterator<Item = T>) -> Result<()> {
    let malformed = |e: csv::Error| -> Error {
        match e.into_kind() {
            csv::ErrorKind::Io(io) => Error::io(path, io),
            other => Error::Malformed {
                path: path.to_path_buf(),
                position: String::new(),
                message: format!("{other:?}"),
            },
        }
    };
    let mut w = csv::Writer::from_path(path).map_err(malformed)?;
    for row in rows {
        w.serialize(row).map_err(malformed)?;
    }
    w.flush().map_err(|e| Error::io(path, e))
}

pub(crate) fn write_dir(sim: &Simulation, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let r = &sim.records;
    write_rows(
        &dir.join("reps.csv"),
        r.reps.iter().map(|x| RepRow {
            rep_id: x.rep_id.as_str(),
            name: x.name.as_deref(),
            team_id: x.team_id.as_ref().map(|t| t.as_str()),
            daily_contact_target: x.daily_contact_target,
        }),
    )?;
    write_rows(
        &dir.join("prospects.csv"),
        r.prospects.iter().map(|x| ProspectRow {
            prospect_id: x.prospect_id.as_str(),
            name: x.name.as_deref(),
            company: x.company.as_deref(),
            email: x.email.as_deref(),
            phone: x.phone.as_deref(),
            city: x.city.as_deref(),
            country: x.country.as_deref(),
            source: x.source.map(|s| s.as_str()),
            created_at: x.created_at.map(time),
            created_by: x.created_by.as_ref().map(|c| c.as_str()),
        }),
    )?;
    write_rows(
        &dir.join("contacts.csv"),
        r.contacts.iter().map(|x| ContactRow {
            contact_id: x.contact_id.as_str(),
            rep_id: x.rep_id.as_str(),
            prospect_id: x.prospect_id.as_str(),
            occurred_at: time(x.occurred_at),
            logged_at: x.logged_at.map(time),
            channel: x.channel.as_str(),
            direction: x.direction.as_str(),
            duration_s: x.duration_s,
            outcome: x.outcome.map(|o| o.as_str()),
        }),
    )?;
    write_rows(
        &dir.join("meetings.csv"),
        r.meetings.iter().map(|x| MeetingRow {
            meeting_id: x.meeting_id.as_str(),
            rep_id: x.rep_id.as_str(),
            prospect_id: x.prospect_id.as_str(),
            held_at: time(x.held_at),
            status: x.status.as_str(),
        }),
    )?;
    write_rows(
        &dir.join("sales.csv"),
        r.sales.iter().map(|x| SaleRow {
            sale_id: x.sale_id.as_str(),
            rep_id: x.rep_id.as_str(),
            prospect_id: x.prospect_id.as_str(),
            closed_at: time(x.closed_at),
            amount_minor: x.amount_minor,
            currency: x.currency.as_deref(),
        }),
    )?;
    write_rows(
        &dir.join("prospect_clusters.csv"),
        sim.truth.partition.iter().map(|(p, c)| ClusterRow {
            prospect_id: p.as_str(),
            cluster_id: c.as_str(),
        }),
    )
}

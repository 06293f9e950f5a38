//! Writers of the canonical text forms: rejections (SPEC §3) and records
//! (SPEC §2), which the readers read back to the same ledger.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::columns;
use super::parse::push_time_micros;
use crate::error::{Error, Rejection, Result};
use crate::ledger::to_micros;
use crate::model::{Channel, Direction, MeetingStatus, Outcome, RecordKind, Records, Source};

/// Names a caller's writer in errors (it has no path of its own).
const WRITER: &str = "<writer>";

fn write_error(path: &Path, err: impl Into<std::io::Error>) -> Error {
    Error::io(path, err.into())
}

/// Rejections in output order: by kind text, then row (then id, field and
/// reason, so that the order is total).
fn sorted(rejections: &[Rejection]) -> Vec<&Rejection> {
    let mut v: Vec<&Rejection> = rejections.iter().collect();
    v.sort_by(|a, b| {
        (a.kind.as_str(), a.row, &a.id, &a.field, a.reason).cmp(&(
            b.kind.as_str(),
            b.row,
            &b.id,
            &b.field,
            b.reason,
        ))
    });
    v
}

/// Writes rejections as `rejections.csv` (SPEC §3): header
/// `kind,row,id,field,reason`, rows sorted by kind text, then row.
///
/// # Errors
/// [`Error::Io`] when writing fails.
///
/// # Example
/// ```
/// use sales_metrics::{ingest::write_rejections_csv, Reason, RecordKind, Rejection};
///
/// let r = |kind, row, reason| Rejection {
///     kind, row, id: format!("x{row}"), field: "f".into(), reason,
/// };
/// let list = [
///     r(RecordKind::Sale, 1, Reason::UnknownRep),
///     r(RecordKind::Contact, 9, Reason::BadTime),
///     r(RecordKind::Contact, 2, Reason::DuplicateId),
/// ];
/// let mut out = Vec::new();
/// write_rejections_csv(&mut out, &list)?;
/// assert_eq!(String::from_utf8(out)?, "kind,row,id,field,reason\n\
///     contact,2,x2,f,duplicate_id\ncontact,9,x9,f,bad_time\nsale,1,x1,f,unknown_rep\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_rejections_csv(w: impl Write, rejections: &[Rejection]) -> Result<()> {
    let path = Path::new(WRITER);
    let mut out = ::csv::Writer::from_writer(w);
    out.write_record(["kind", "row", "id", "field", "reason"])
        .map_err(|e| write_error(path, e))?;
    for r in sorted(rejections) {
        let row = r.row.to_string();
        out.write_record([
            r.kind.as_str(),
            row.as_str(),
            r.id.as_str(),
            r.field.as_str(),
            r.reason.as_str(),
        ])
        .map_err(|e| write_error(path, e))?;
    }
    out.flush().map_err(|e| write_error(path, e))
}

/// Writes rejections as a JSON array of objects with the fields of
/// `rejections.csv`, in the same order, one per line.
///
/// # Errors
/// [`Error::Io`] when writing fails.
///
/// # Example
/// ```
/// use sales_metrics::{ingest::write_rejections_json, Reason, RecordKind, Rejection};
///
/// let list = [Rejection {
///     kind: RecordKind::Contact, row: 3, id: "c3".into(),
///     field: "channel".into(), reason: Reason::UnknownEnum,
/// }];
/// let mut out = Vec::new();
/// write_rejections_json(&mut out, &list)?;
/// assert_eq!(String::from_utf8(out)?, "[\n{\"kind\":\"contact\",\"row\":3,\"id\":\"c3\",\
///     \"field\":\"channel\",\"reason\":\"unknown_enum\"}\n]\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_rejections_json(w: impl Write, rejections: &[Rejection]) -> Result<()> {
    let path = Path::new(WRITER);
    let mut w = w;
    write_json_array(&mut w, sorted(rejections)).map_err(|e| write_error(path, e))?;
    w.flush().map_err(|e| write_error(path, e))
}

/// `[`, one compact item per line, `]`.
fn write_json_array<W: Write, T: Serialize>(
    w: &mut W,
    items: impl IntoIterator<Item = T>,
) -> std::io::Result<()> {
    w.write_all(b"[")?;
    let mut first = true;
    for item in items {
        w.write_all(if first { b"\n" } else { b",\n" })?;
        first = false;
        serde_json::to_writer(&mut *w, &item)?;
    }
    w.write_all(if first { b"]\n" } else { b"\n]\n" })
}

fn time_text(t: DateTime<Utc>) -> String {
    let mut s = String::with_capacity(27);
    push_time_micros(&mut s, to_micros(t));
    s
}

/// Writes `records` as a SPEC §2 folder: `reps.csv`, `prospects.csv`,
/// `contacts.csv`, `meetings.csv` and `sales.csv` in `dir` (created if
/// needed), every column in SPEC order, absent values as empty cells,
/// times in UTC with `Z` and a microsecond fraction only when non-zero.
///
/// Reading the folder back gives the same ledger as adding `records`
/// directly, except for what text cannot hold: an empty string reads back
/// as absent, and instants outside the years 0000–9999 cannot be written
/// in RFC 3339.
///
/// # Errors
/// [`Error::Io`] naming the file when creating or writing fails.
///
/// # Example
/// ```
/// use chrono::{DateTime, Utc};
/// use sales_metrics::{ingest, Channel, Contact, Mode, ProspectRecord, Records, Rep};
///
/// let t: DateTime<Utc> = "2026-06-01T09:00:00Z".parse()?;
/// let records = Records {
///     reps: vec![Rep::new("ana")],
///     prospects: vec![ProspectRecord::new("p1")],
///     contacts: vec![Contact::new("c1", "ana", "p1", t, Channel::Phone)],
///     ..Records::default()
/// };
/// let dir = std::env::temp_dir().join(format!("sm-write-doc-{}", std::process::id()));
/// ingest::write_records_csv(&dir, &records)?;
/// assert_eq!(
///     std::fs::read_to_string(dir.join("contacts.csv"))?,
///     "contact_id,rep_id,prospect_id,occurred_at,logged_at,channel,direction,duration_s,outcome\n\
///      c1,ana,p1,2026-06-01T09:00:00Z,,phone,outbound,,\n"
/// );
/// let ledger = ingest::load_folder(&dir, Mode::Strict)?;
/// assert_eq!(ledger.contacts().len(), 1);
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_records_csv(dir: impl AsRef<Path>, records: &Records) -> Result<()> {
    let dir = dir.as_ref();
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    for kind in RecordKind::ALL {
        let path = dir.join(kind.file_name());
        write_kind_csv(kind, &path, records).map_err(|e| write_error(&path, e))?;
    }
    Ok(())
}

fn opt_time(t: Option<DateTime<Utc>>) -> String {
    t.map(time_text).unwrap_or_default()
}

fn opt_int(n: Option<i64>) -> String {
    n.map(|n| n.to_string()).unwrap_or_default()
}

fn write_kind_csv(kind: RecordKind, path: &PathBuf, records: &Records) -> std::io::Result<()> {
    let file = File::create(path)?;
    let mut w = ::csv::Writer::from_writer(BufWriter::new(file));
    w.write_record(columns(kind).iter().map(|c| c.name))?;
    match kind {
        RecordKind::Rep => {
            for r in &records.reps {
                w.write_record([
                    r.rep_id.as_str(),
                    r.name.as_deref().unwrap_or(""),
                    r.team_id.as_ref().map_or("", |t| t.as_str()),
                    &opt_int(r.daily_contact_target),
                ])?;
            }
        }
        RecordKind::Prospect => {
            for p in &records.prospects {
                w.write_record([
                    p.prospect_id.as_str(),
                    p.name.as_deref().unwrap_or(""),
                    p.company.as_deref().unwrap_or(""),
                    p.email.as_deref().unwrap_or(""),
                    p.phone.as_deref().unwrap_or(""),
                    p.city.as_deref().unwrap_or(""),
                    p.country.as_deref().unwrap_or(""),
                    p.source.map_or("", Source::as_str),
                    &opt_time(p.created_at),
                    p.created_by.as_ref().map_or("", |r| r.as_str()),
                ])?;
            }
        }
        RecordKind::Contact => {
            for c in &records.contacts {
                w.write_record([
                    c.contact_id.as_str(),
                    c.rep_id.as_str(),
                    c.prospect_id.as_str(),
                    &time_text(c.occurred_at),
                    &opt_time(c.logged_at),
                    c.channel.as_str(),
                    c.direction.as_str(),
                    &opt_int(c.duration_s),
                    c.outcome.map_or("", Outcome::as_str),
                ])?;
            }
        }
        RecordKind::Meeting => {
            for m in &records.meetings {
                w.write_record([
                    m.meeting_id.as_str(),
                    m.rep_id.as_str(),
                    m.prospect_id.as_str(),
                    &time_text(m.held_at),
                    m.status.as_str(),
                ])?;
            }
        }
        RecordKind::Sale => {
            for s in &records.sales {
                w.write_record([
                    s.sale_id.as_str(),
                    s.rep_id.as_str(),
                    s.prospect_id.as_str(),
                    &time_text(s.closed_at),
                    &opt_int(s.amount_minor),
                    s.currency.as_deref().unwrap_or(""),
                ])?;
            }
        }
    }
    w.flush()
}

#[derive(Serialize)]
struct RepOut<'a> {
    rep_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    team_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    daily_contact_target: Option<i64>,
}

#[derive(Serialize)]
struct ProspectOut<'a> {
    prospect_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    company: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    city: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    country: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<Source>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_by: Option<&'a str>,
}

#[derive(Serialize)]
struct ContactOut<'a> {
    contact_id: &'a str,
    rep_id: &'a str,
    prospect_id: &'a str,
    occurred_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    logged_at: Option<String>,
    channel: Channel,
    direction: Direction,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_s: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<Outcome>,
}

#[derive(Serialize)]
struct MeetingOut<'a> {
    meeting_id: &'a str,
    rep_id: &'a str,
    prospect_id: &'a str,
    held_at: String,
    status: MeetingStatus,
}

#[derive(Serialize)]
struct SaleOut<'a> {
    sale_id: &'a str,
    rep_id: &'a str,
    prospect_id: &'a str,
    closed_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    amount_minor: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    currency: Option<&'a str>,
}

/// Writes `records` as one JSON document
/// `{"reps":[…],"prospects":[…],"contacts":[…],"meetings":[…],"sales":[…]}`
/// (one record per line; absent fields omitted; times as in
/// [`write_records_csv`]), which [`read_json`](super::read_json) reads back
/// to the same ledger.
///
/// # Errors
/// [`Error::Io`] when writing fails.
///
/// # Example
/// ```
/// use sales_metrics::{ingest, LedgerBuilder, Records, Rep};
///
/// let records = Records { reps: vec![Rep::new("ana")], ..Records::default() };
/// let mut out = Vec::new();
/// ingest::write_records_json(&mut out, &records)?;
/// let mut b = LedgerBuilder::new();
/// ingest::read_json(out.as_slice(), std::path::Path::new("records.json"), &mut b)?;
/// assert_eq!(b.build()?.reps()[0].rep_id.as_str(), "ana");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_records_json(w: impl Write, records: &Records) -> Result<()> {
    let path = Path::new(WRITER);
    let mut w = w;
    write_document(&mut w, records).map_err(|e| write_error(path, e))?;
    w.flush().map_err(|e| write_error(path, e))
}

fn write_document<W: Write>(w: &mut W, r: &Records) -> std::io::Result<()> {
    w.write_all(b"{\"reps\":")?;
    write_json_array(
        w,
        r.reps.iter().map(|r| RepOut {
            rep_id: r.rep_id.as_str(),
            name: r.name.as_deref(),
            team_id: r.team_id.as_ref().map(|t| t.as_str()),
            daily_contact_target: r.daily_contact_target,
        }),
    )?;
    w.write_all(b",\"prospects\":")?;
    write_json_array(
        w,
        r.prospects.iter().map(|p| ProspectOut {
            prospect_id: p.prospect_id.as_str(),
            name: p.name.as_deref(),
            company: p.company.as_deref(),
            email: p.email.as_deref(),
            phone: p.phone.as_deref(),
            city: p.city.as_deref(),
            country: p.country.as_deref(),
            source: p.source,
            created_at: p.created_at.map(time_text),
            created_by: p.created_by.as_ref().map(|r| r.as_str()),
        }),
    )?;
    w.write_all(b",\"contacts\":")?;
    write_json_array(
        w,
        r.contacts.iter().map(|c| ContactOut {
            contact_id: c.contact_id.as_str(),
            rep_id: c.rep_id.as_str(),
            prospect_id: c.prospect_id.as_str(),
            occurred_at: time_text(c.occurred_at),
            logged_at: c.logged_at.map(time_text),
            channel: c.channel,
            direction: c.direction,
            duration_s: c.duration_s,
            outcome: c.outcome,
        }),
    )?;
    w.write_all(b",\"meetings\":")?;
    write_json_array(
        w,
        r.meetings.iter().map(|m| MeetingOut {
            meeting_id: m.meeting_id.as_str(),
            rep_id: m.rep_id.as_str(),
            prospect_id: m.prospect_id.as_str(),
            held_at: time_text(m.held_at),
            status: m.status,
        }),
    )?;
    w.write_all(b",\"sales\":")?;
    write_json_array(
        w,
        r.sales.iter().map(|s| SaleOut {
            sale_id: s.sale_id.as_str(),
            rep_id: s.rep_id.as_str(),
            prospect_id: s.prospect_id.as_str(),
            closed_at: time_text(s.closed_at),
            amount_minor: s.amount_minor,
            currency: s.currency.as_deref(),
        }),
    )?;
    w.write_all(b"}\n")
}

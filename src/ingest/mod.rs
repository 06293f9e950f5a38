//! Reading and writing the canonical text forms of SPEC §2 (one CSV file
//! per record kind, or one JSON document), with SPEC §3's validation.
//!
//! Readers do the *syntactic* checks of SPEC §3 on each cell, in SPEC
//! order: a required field absent (`missing_field`), then times
//! (`bad_time`), then integers (`bad_number`), then enumerations
//! (`unknown_enum`), each in column order. A row that fails one becomes one
//! [`Rejection`] with the first problem found; any other row goes to the
//! [`LedgerBuilder`](crate::LedgerBuilder) (or any [`RecordSink`]), which does the semantic checks (negative numbers,
//! `logged_at` before `occurred_at`, references, duplicates) when it
//! builds. Every input row is either accepted or rejected: nothing is lost.
//!
//! Errors that concern a whole file (it is missing, lacks a required
//! column, is not UTF-8 or not well-formed CSV/JSON) are
//! [`Error`](crate::Error)s in both modes. When a reader returns such an
//! error the builder may already hold the rows before the fault; discard it.
//!
//! # Example
//! ```
//! use std::path::Path;
//! use sales_metrics::ingest::{read_csv, Rejections};
//! use sales_metrics::{LedgerBuilder, Mode, Reason, RecordKind};
//!
//! let reps = "rep_id,name\nana,Ana\nbob,Bob\n";
//! let contacts = "\
//! contact_id,rep_id,prospect_id,occurred_at,channel
//! c1,ana,p1,2026-06-01T09:00:00Z,phone
//! c2,bob,p1,yesterday,phone
//! ";
//! let mut b = LedgerBuilder::new();
//! b.mode(Mode::Lenient);
//! read_csv(RecordKind::Rep, reps.as_bytes(), Path::new("reps.csv"), &mut b)?;
//! read_csv(RecordKind::Prospect, "prospect_id\np1\n".as_bytes(), Path::new("prospects.csv"), &mut b)?;
//! read_csv(RecordKind::Contact, contacts.as_bytes(), Path::new("contacts.csv"), &mut b)?;
//! let ledger = b.build()?;
//! assert_eq!(ledger.accepted_count(RecordKind::Contact), 1);
//! assert_eq!(ledger.rejections()[0].reason, Reason::BadTime);
//!
//! let mut out = Vec::new();
//! Rejections(ledger.rejections()).write_csv(&mut out)?;
//! assert_eq!(
//!     String::from_utf8(out)?,
//!     "kind,row,id,field,reason\ncontact,2,c2,occurred_at,bad_time\n"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod blocks;
mod csv;
mod json;
mod output_file;
pub(crate) mod parse;
pub(crate) mod partition;
mod scan;
mod sink;
pub(crate) mod stage;
mod write;

pub(crate) use self::csv::RecordReader;
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) use self::csv::read_csv_in_blocks;
pub use self::csv::{read_csv, read_csv_folder};
pub use self::json::read_json;
#[cfg_attr(not(feature = "sim"), allow(unused_imports))]
pub use self::output_file::OutputFile;
pub(crate) use self::partition::SuppliedPartition;
pub use self::sink::{ContactFields, MeetingFields, ProspectFields, RecordSink, SaleFields};
pub use self::write::{OutputDir, Rejections};

use self::stage::{EventBatch, ProspectBatch, Resolver};
use crate::error::{Reason, Rejection};
use crate::model::{
    Channel, Direction, MeetingStatus, Outcome, RecordKind, Rep, RepId, Source, TeamId,
};

// ---------------------------------------------------------------------------
// The schema of SPEC §2 and the row checks shared by the CSV and JSON readers.

/// Type of a column, which decides its syntactic check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ty {
    /// Free text or an id: no syntactic check.
    Text,
    /// An instant (`bad_time`).
    Time,
    /// An integer (`bad_number`).
    Int,
    /// An enumeration (`unknown_enum`).
    Enum(EnumTy),
}

/// Which enumeration a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EnumTy {
    Source,
    Channel,
    Direction,
    Outcome,
    Status,
}

/// One SPEC §2 column.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Column {
    pub(crate) name: &'static str,
    pub(crate) required: bool,
    pub(crate) ty: Ty,
}

const fn col(name: &'static str, required: bool, ty: Ty) -> Column {
    Column { name, required, ty }
}

/// The most columns of any kind (prospect records).
pub(crate) const MAX_COLUMNS: usize = 10;

const REP_COLUMNS: &[Column] = &[
    col("rep_id", true, Ty::Text),
    col("name", false, Ty::Text),
    col("team_id", false, Ty::Text),
    col("daily_contact_target", false, Ty::Int),
];

const PROSPECT_COLUMNS: &[Column] = &[
    col("prospect_id", true, Ty::Text),
    col("name", false, Ty::Text),
    col("company", false, Ty::Text),
    col("email", false, Ty::Text),
    col("phone", false, Ty::Text),
    col("city", false, Ty::Text),
    col("country", false, Ty::Text),
    col("source", false, Ty::Enum(EnumTy::Source)),
    col("created_at", false, Ty::Time),
    col("created_by", false, Ty::Text),
];

const CONTACT_COLUMNS: &[Column] = &[
    col("contact_id", true, Ty::Text),
    col("rep_id", true, Ty::Text),
    col("prospect_id", true, Ty::Text),
    col("occurred_at", true, Ty::Time),
    col("logged_at", false, Ty::Time),
    col("channel", true, Ty::Enum(EnumTy::Channel)),
    col("direction", false, Ty::Enum(EnumTy::Direction)),
    col("duration_s", false, Ty::Int),
    col("outcome", false, Ty::Enum(EnumTy::Outcome)),
];

const MEETING_COLUMNS: &[Column] = &[
    col("meeting_id", true, Ty::Text),
    col("rep_id", true, Ty::Text),
    col("prospect_id", true, Ty::Text),
    col("held_at", true, Ty::Time),
    col("status", false, Ty::Enum(EnumTy::Status)),
];

const SALE_COLUMNS: &[Column] = &[
    col("sale_id", true, Ty::Text),
    col("rep_id", true, Ty::Text),
    col("prospect_id", true, Ty::Text),
    col("closed_at", true, Ty::Time),
    col("amount_minor", false, Ty::Int),
    col("currency", false, Ty::Text),
];

/// The SPEC §2 columns of `kind`, in SPEC order (the id first).
pub(crate) fn columns(kind: RecordKind) -> &'static [Column] {
    match kind {
        RecordKind::Rep => REP_COLUMNS,
        RecordKind::Prospect => PROSPECT_COLUMNS,
        RecordKind::Contact => CONTACT_COLUMNS,
        RecordKind::Meeting => MEETING_COLUMNS,
        RecordKind::Sale => SALE_COLUMNS,
    }
}

/// One cell as a reader found it, before the syntactic checks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Cell<'a> {
    /// Empty cell, JSON `null`, `""`, or no such column/key.
    #[default]
    Absent,
    /// Text (never empty).
    Text(&'a str),
    /// A JSON integer that fits `i64`.
    Int(i64),
    /// A JSON value of another type (number that is not an `i64`, boolean,
    /// array, object): fails the syntactic check of any typed column.
    Wrong,
}

/// A cell after its syntactic check.
#[derive(Debug, Clone, Copy, Default)]
enum Parsed<'a> {
    #[default]
    Absent,
    Text(&'a str),
    Time(i64),
    Int(i64),
    Enum(u8),
}

fn parse_enum(ty: EnumTy, s: &str) -> Option<u8> {
    let i = match ty {
        EnumTy::Source => Source::parse_text(s)?.index(),
        EnumTy::Channel => Channel::parse_text(s)?.index(),
        EnumTy::Direction => Direction::parse_text(s)?.index(),
        EnumTy::Outcome => Outcome::parse_text(s)?.index(),
        EnumTy::Status => MeetingStatus::parse_text(s)?.index(),
    };
    u8::try_from(i).ok()
}

/// Checks one row's cells (in `columns(kind)` order) and hands the row to
/// the builder: pushed when it passes, one rejection (the first problem in
/// SPEC order) when not.
pub(crate) fn process_row<S: RecordSink + ?Sized>(
    kind: RecordKind,
    row: u64,
    cells: &[Cell<'_>],
    builder: &mut S,
) {
    match check_row(columns(kind), cells) {
        Ok(parsed) => {
            if let Err(field) = push_row(kind, row, &parsed, builder) {
                builder.reject(rejection(kind, row, cells, field, Reason::MissingField));
            }
        }
        Err((field, reason)) => {
            builder.reject(rejection(kind, row, cells, field, reason));
        }
    }
}

/// As [`process_row`] for a contact, meeting or sale staged into a batch
/// (row numbers batch-local).
pub(crate) fn process_event_row(
    kind: RecordKind,
    row: u64,
    cells: &[Cell<'_>],
    resolver: &Resolver<'_>,
    batch: &mut EventBatch,
) {
    match check_row(columns(kind), cells) {
        Ok(p) => {
            let pushed = match kind {
                RecordKind::Contact => {
                    contact_fields(&p).map(|f| batch.push_contact(resolver, row, &f))
                }
                RecordKind::Meeting => {
                    meeting_fields(&p).map(|f| batch.push_meeting(resolver, row, &f))
                }
                RecordKind::Sale => sale_fields(&p).map(|f| batch.push_sale(resolver, row, &f)),
                // Batches hold events only; callers never pass these kinds.
                RecordKind::Rep | RecordKind::Prospect => Ok(()),
            };
            if let Err(field) = pushed {
                batch.reject(rejection(kind, row, cells, field, Reason::MissingField));
            }
        }
        Err((field, reason)) => batch.reject(rejection(kind, row, cells, field, reason)),
    }
}

/// As [`process_row`] for a prospect record staged into a batch.
pub(crate) fn process_prospect_row(
    row: u64,
    cells: &[Cell<'_>],
    batch: &mut ProspectBatch,
    keep_details: bool,
) {
    let kind = RecordKind::Prospect;
    match check_row(columns(kind), cells) {
        Ok(p) => batch.push(row, &prospect_fields(&p), keep_details),
        Err((field, reason)) => batch.reject(rejection(kind, row, cells, field, reason)),
    }
}

fn rejection(
    kind: RecordKind,
    row: u64,
    cells: &[Cell<'_>],
    field: &'static str,
    reason: Reason,
) -> Rejection {
    let id = match cells.first() {
        Some(Cell::Text(s)) => (*s).to_owned(),
        _ => String::new(),
    };
    Rejection {
        kind,
        row,
        id,
        field: field.to_owned(),
        reason,
    }
}

/// The syntactic checks of SPEC §3 in one pass: each cell is parsed once,
/// the first failure of each reason remembered, and the earliest reason in
/// SPEC order wins.
fn check_row<'a>(
    schema: &[Column],
    cells: &[Cell<'a>],
) -> std::result::Result<[Parsed<'a>; MAX_COLUMNS], (&'static str, Reason)> {
    let mut out = [Parsed::Absent; MAX_COLUMNS];
    let mut missing: Option<&'static str> = None;
    let mut bad_time: Option<&'static str> = None;
    let mut bad_number: Option<&'static str> = None;
    let mut unknown_enum: Option<&'static str> = None;
    let mut cells = cells.iter().copied();
    for (slot, col) in out.iter_mut().zip(schema) {
        let cell = cells.next().unwrap_or_default();
        let first = |seen: &mut Option<&'static str>| {
            seen.get_or_insert(col.name);
        };
        match (col.ty, cell) {
            (_, Cell::Absent) => {
                if col.required {
                    first(&mut missing);
                }
            }
            (Ty::Text, Cell::Text(s)) => *slot = Parsed::Text(s),
            // Readers turn JSON integers in text columns into text and
            // refuse other types there; should one slip through, it must not
            // be read as absent.
            (Ty::Text, Cell::Int(_) | Cell::Wrong) => first(&mut missing),
            (Ty::Time, Cell::Text(s)) => match parse::parse_time_micros(s) {
                Some(t) => *slot = Parsed::Time(t),
                None => first(&mut bad_time),
            },
            (Ty::Time, Cell::Int(_) | Cell::Wrong) => first(&mut bad_time),
            (Ty::Int, Cell::Text(s)) => match parse::parse_i64(s) {
                Some(n) => *slot = Parsed::Int(n),
                None => first(&mut bad_number),
            },
            (Ty::Int, Cell::Int(n)) => *slot = Parsed::Int(n),
            (Ty::Int, Cell::Wrong) => first(&mut bad_number),
            (Ty::Enum(e), Cell::Text(s)) => match parse_enum(e, s) {
                Some(i) => *slot = Parsed::Enum(i),
                None => first(&mut unknown_enum),
            },
            (Ty::Enum(_), Cell::Int(_) | Cell::Wrong) => first(&mut unknown_enum),
        }
    }
    if let Some(f) = missing {
        Err((f, Reason::MissingField))
    } else if let Some(f) = bad_time {
        Err((f, Reason::BadTime))
    } else if let Some(f) = bad_number {
        Err((f, Reason::BadNumber))
    } else if let Some(f) = unknown_enum {
        Err((f, Reason::UnknownEnum))
    } else {
        Ok(out)
    }
}

fn text<'a>(p: &[Parsed<'a>], i: usize) -> Option<&'a str> {
    match p.get(i) {
        Some(Parsed::Text(s)) => Some(s),
        _ => None,
    }
}

/// A required text field; checked present, so "" only if a bug let an
/// absent one through (then the builder rejects it as `missing_field`).
fn req_text<'a>(p: &[Parsed<'a>], i: usize) -> &'a str {
    text(p, i).unwrap_or("")
}

fn time(p: &[Parsed<'_>], i: usize) -> Option<i64> {
    match p.get(i) {
        Some(Parsed::Time(t)) => Some(*t),
        _ => None,
    }
}

fn int(p: &[Parsed<'_>], i: usize) -> Option<i64> {
    match p.get(i) {
        Some(Parsed::Int(n)) => Some(*n),
        _ => None,
    }
}

fn enum_of<T: Copy>(p: &[Parsed<'_>], i: usize, all: &[T]) -> Option<T> {
    match p.get(i) {
        Some(Parsed::Enum(e)) => all.get(usize::from(*e)).copied(),
        _ => None,
    }
}

/// Hands a checked row to the sink; `Err` names a required field that is
/// absent after all (only a bug in [`check_row`] could do that: the row
/// is then rejected, never given a made-up value).
fn push_row<S: RecordSink + ?Sized>(
    kind: RecordKind,
    row: u64,
    p: &[Parsed<'_>],
    b: &mut S,
) -> std::result::Result<(), &'static str> {
    match kind {
        RecordKind::Rep => {
            let rep = Rep {
                rep_id: RepId::new(req_text(p, 0)),
                name: text(p, 1).map(str::to_owned),
                team_id: text(p, 2).map(TeamId::from),
                daily_contact_target: int(p, 3),
            };
            b.push_rep(row, rep);
        }
        RecordKind::Prospect => {
            b.push_prospect(row, &prospect_fields(p));
        }
        RecordKind::Contact => b.push_contact(row, &contact_fields(p)?),
        RecordKind::Meeting => b.push_meeting(row, &meeting_fields(p)?),
        RecordKind::Sale => b.push_sale(row, &sale_fields(p)?),
    }
    Ok(())
}

/// A required field: checked present by [`check_row`].
fn required<T>(value: Option<T>, field: &'static str) -> std::result::Result<T, &'static str> {
    debug_assert!(value.is_some(), "`{field}` is required and checked");
    value.ok_or(field)
}

fn prospect_fields<'a>(p: &[Parsed<'a>]) -> ProspectFields<'a> {
    ProspectFields {
        prospect_id: req_text(p, 0),
        name: text(p, 1),
        company: text(p, 2),
        email: text(p, 3),
        phone: text(p, 4),
        city: text(p, 5),
        country: text(p, 6),
        source: enum_of(p, 7, Source::ALL),
        created_us: time(p, 8),
        created_by: text(p, 9),
    }
}

fn contact_fields<'a>(p: &[Parsed<'a>]) -> std::result::Result<ContactFields<'a>, &'static str> {
    Ok(ContactFields {
        contact_id: req_text(p, 0),
        rep_id: req_text(p, 1),
        prospect_id: req_text(p, 2),
        occurred_us: required(time(p, 3), "occurred_at")?,
        logged_us: time(p, 4),
        channel: required(enum_of(p, 5, Channel::ALL), "channel")?,
        // Optional: SPEC §2's default when absent.
        direction: enum_of(p, 6, Direction::ALL).unwrap_or_default(),
        duration_s: int(p, 7),
        outcome: enum_of(p, 8, Outcome::ALL),
    })
}

fn meeting_fields<'a>(p: &[Parsed<'a>]) -> std::result::Result<MeetingFields<'a>, &'static str> {
    Ok(MeetingFields {
        meeting_id: req_text(p, 0),
        rep_id: req_text(p, 1),
        prospect_id: req_text(p, 2),
        held_us: required(time(p, 3), "held_at")?,
        // Optional: SPEC §2's default when absent.
        status: enum_of(p, 4, MeetingStatus::ALL).unwrap_or_default(),
    })
}

fn sale_fields<'a>(p: &[Parsed<'a>]) -> std::result::Result<SaleFields<'a>, &'static str> {
    Ok(SaleFields {
        sale_id: req_text(p, 0),
        rep_id: req_text(p, 1),
        prospect_id: req_text(p, 2),
        closed_us: required(time(p, 3), "closed_at")?,
        amount_minor: int(p, 4),
        currency: text(p, 5),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_fit_and_start_with_the_id() {
        for kind in RecordKind::ALL {
            let cols = columns(kind);
            assert!(cols.len() <= MAX_COLUMNS);
            assert_eq!(cols.first().map(|c| c.name), Some(kind.id_field()));
            assert!(cols.first().is_some_and(|c| c.required));
        }
    }

    #[test]
    fn first_problem_in_spec_order_wins() {
        let cols = columns(RecordKind::Contact);
        // bad enum (channel), bad number (duration), bad time (logged_at), missing rep_id
        let mut cells = [
            Cell::Text("c1"),
            Cell::Absent,
            Cell::Text("p1"),
            Cell::Text("2026-06-01T09:00:00Z"),
            Cell::Text("soon"),
            Cell::Text("fax"),
            Cell::Absent,
            Cell::Text("1.5"),
            Cell::Absent,
        ];
        assert_eq!(
            check_row(cols, &cells).err(),
            Some(("rep_id", Reason::MissingField))
        );
        cells[1] = Cell::Text("ana");
        assert_eq!(
            check_row(cols, &cells).err(),
            Some(("logged_at", Reason::BadTime))
        );
        cells[4] = Cell::Absent;
        assert_eq!(
            check_row(cols, &cells).err(),
            Some(("duration_s", Reason::BadNumber))
        );
        cells[7] = Cell::Int(5);
        assert_eq!(
            check_row(cols, &cells).err(),
            Some(("channel", Reason::UnknownEnum))
        );
        cells[5] = Cell::Text("PHONE");
        assert!(check_row(cols, &cells).is_ok());
    }

    #[test]
    fn wrong_types_get_the_fields_reason() {
        let cols = columns(RecordKind::Sale);
        let cells = [
            Cell::Text("s1"),
            Cell::Text("ana"),
            Cell::Text("p1"),
            Cell::Int(5),
            Cell::Wrong,
            Cell::Absent,
        ];
        assert_eq!(
            check_row(cols, &cells).err(),
            Some(("closed_at", Reason::BadTime))
        );
    }
}

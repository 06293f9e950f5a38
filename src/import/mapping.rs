//! Any CRM's CSV export through a mapping file (SPEC §12.4): per record
//! kind, the source file, a column (or constant) for each SPEC field,
//! value maps for enumerations, skip rules, time format and zone, amount
//! separators. The format is documented in `docs/import/mapping.md`.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;
use hashbrown::HashSet;
use serde::Deserialize;

use super::ImportOptions;
use super::cells::{self, Latest, present};
use super::outcome::Recorder;
use super::sheet::{Col, Row, Sheet};
use crate::error::{Error, Reason, Result};
use crate::ingest::parse::parse_i64;
use crate::ingest::{ContactFields, MeetingFields, ProspectFields, SaleFields};
use crate::model::{
    Channel, Direction, MeetingStatus, Outcome, RecordKind, Rep, RepId, Source, TeamId,
};
use crate::time::from_micros;

/// A mapping file: how one CRM's CSV export becomes SPEC §2 records.
///
/// Read from JSON with [`Mapping::from_json`] or [`Mapping::from_file`];
/// the format is documented in the repository's
/// `docs/import/mapping.md`, with a mapping for Zoho CRM in
/// `docs/import/zoho.json`.
#[derive(Debug, Clone)]
pub struct Mapping(Box<MappingFile>);

impl Mapping {
    /// A mapping from its JSON text.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) naming
    /// what is wrong: not JSON of the documented shape, a field that is
    /// not a SPEC field of its kind, a bad delimiter or time zone.
    pub fn from_json(text: &str) -> Result<Mapping> {
        let file: MappingFile = serde_json::from_str(text)
            .map_err(|e| Error::invalid("mapping file", e.to_string()))?;
        file.check()?;
        Ok(Mapping(Box::new(file)))
    }

    /// The CRM's name, as the mapping file gives it.
    pub fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }

    /// A mapping read from a JSON file.
    ///
    /// # Errors
    /// The file cannot be read, or [`Mapping::from_json`]'s errors.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Mapping> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Mapping::from_json(&text)
    }
}

/// The JSON form of a mapping.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    /// The CRM's name (for messages).
    #[serde(default)]
    name: Option<String>,
    /// The field delimiter of every file (default `,`).
    #[serde(default = "comma")]
    delimiter: char,
    /// The decimal separator of amounts (default `.`).
    #[serde(default = "dot")]
    decimal_separator: char,
    /// A thousands separator dropped from amounts (default none).
    #[serde(default)]
    thousands_separator: Option<char>,
    /// The zone of local times and dates (default: the import's).
    #[serde(default)]
    time_zone: Option<String>,
    /// A chrono `strftime` pattern of local date-times (default: SPEC
    /// §12.1's instants).
    #[serde(default)]
    time_format: Option<String>,
    /// A chrono `strftime` pattern of dates (default `%Y-%m-%d`).
    #[serde(default)]
    date_format: Option<String>,
    #[serde(default)]
    reps: Vec<TableSpec>,
    #[serde(default)]
    prospects: Vec<TableSpec>,
    #[serde(default)]
    contacts: Vec<TableSpec>,
    #[serde(default)]
    meetings: Vec<TableSpec>,
    #[serde(default)]
    sales: Vec<TableSpec>,
}

fn comma() -> char {
    ','
}

fn dot() -> char {
    '.'
}

/// One source file and how its rows become records of one kind.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct TableSpec {
    file: String,
    /// Whether the export must hold the file (default true).
    #[serde(default = "yes")]
    required: bool,
    /// SPEC field → column (or columns whose non-empty cells are joined
    /// with a space).
    #[serde(default)]
    columns: BTreeMap<String, Columns>,
    /// SPEC field → the same value on every row.
    #[serde(default)]
    constants: BTreeMap<String, String>,
    /// SPEC field → (cell text → SPEC value), ignoring case; other texts
    /// go through as they are.
    #[serde(default)]
    values: BTreeMap<String, BTreeMap<String, String>>,
    /// Rows skipped on purpose, the first rule that applies naming the
    /// reason.
    #[serde(default)]
    skip: Vec<SkipRule>,
    /// The creation-time column, read for the as-of instant.
    #[serde(default)]
    created: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Columns {
    One(String),
    Parts(Vec<String>),
}

/// A skip rule: `reason` applies when its condition holds.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SkipRule {
    reason: String,
    /// The column a condition reads.
    #[serde(default)]
    column: Option<String>,
    /// The cell equals one of these (ignoring case).
    #[serde(default)]
    equals: Option<Vec<String>>,
    /// The cell equals none of these (ignoring case).
    #[serde(default)]
    not_equals: Option<Vec<String>>,
    /// The cell is empty.
    #[serde(default)]
    empty: bool,
    /// The row's prospect names no prospect record row of the export
    /// that was not skipped.
    #[serde(default)]
    unknown_prospect: bool,
    /// The row's instant field (`held_at`, …) is after the as-of instant.
    #[serde(default)]
    after_as_of: Option<String>,
}

/// The SPEC §2 fields of a kind, in column order, with their types.
fn fields(kind: RecordKind) -> &'static [(&'static str, Ty)] {
    use Ty::*;
    match kind {
        RecordKind::Rep => &[
            ("rep_id", Id),
            ("name", Text),
            ("team_id", Text),
            ("daily_contact_target", Int),
        ],
        RecordKind::Prospect => &[
            ("prospect_id", Id),
            ("name", Text),
            ("company", Text),
            ("email", Text),
            ("phone", Text),
            ("city", Text),
            ("country", Text),
            ("source", Enum),
            ("created_at", Time),
            ("created_by", Text),
        ],
        RecordKind::Contact => &[
            ("contact_id", Id),
            ("rep_id", Id),
            ("prospect_id", Id),
            ("occurred_at", Time),
            ("logged_at", Time),
            ("channel", Enum),
            ("direction", Enum),
            ("duration_s", Int),
            ("outcome", Enum),
        ],
        RecordKind::Meeting => &[
            ("meeting_id", Id),
            ("rep_id", Id),
            ("prospect_id", Id),
            ("held_at", Time),
            ("status", Enum),
        ],
        RecordKind::Sale => &[
            ("sale_id", Id),
            ("rep_id", Id),
            ("prospect_id", Id),
            ("closed_at", Time),
            ("amount", Amount),
            ("amount_minor", Int),
            ("currency", Text),
        ],
    }
}

/// How a field's text is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    /// A required id or reference.
    Id,
    Text,
    Time,
    Int,
    /// A decimal amount in major units (minor units by the currency).
    Amount,
    Enum,
}

/// The channel when the mapping names none (SPEC §2 requires one).
const DEFAULT_CHANNEL: Channel = Channel::Other;

impl MappingFile {
    fn tables(&self) -> [(RecordKind, &[TableSpec]); 5] {
        [
            (RecordKind::Rep, &self.reps),
            (RecordKind::Prospect, &self.prospects),
            (RecordKind::Contact, &self.contacts),
            (RecordKind::Meeting, &self.meetings),
            (RecordKind::Sale, &self.sales),
        ]
    }

    /// Every field named is a SPEC field of its kind (or `amount`).
    fn check(&self) -> Result<()> {
        for (kind, tables) in self.tables() {
            for t in tables {
                let named = t
                    .columns
                    .keys()
                    .chain(t.constants.keys())
                    .chain(t.values.keys());
                for field in named {
                    if !fields(kind).iter().any(|(f, _)| f == field) {
                        return Err(Error::invalid(
                            "mapping file",
                            format!("{}: `{field}` is not a field of {}", t.file, kind.as_str()),
                        ));
                    }
                }
                for rule in &t.skip {
                    let after = rule.after_as_of.as_deref();
                    if after.is_some_and(|f| !fields(kind).contains(&(f, Ty::Time))) {
                        return Err(Error::invalid(
                            "mapping file",
                            format!("{}: after_as_of names no time field", t.file),
                        ));
                    }
                }
            }
        }
        if let Some(zone) = &self.time_zone {
            zone.parse::<Tz>()
                .map_err(|e| Error::invalid("mapping file time_zone", e.to_string()))?;
        }
        if !self.delimiter.is_ascii() {
            return Err(Error::invalid(
                "mapping file",
                "delimiter must be one ASCII character",
            ));
        }
        Ok(())
    }
}

/// How cells become values: the file-wide settings.
struct Reading<'m> {
    zone: Tz,
    time_format: Option<&'m str>,
    date_format: &'m str,
    point: char,
    grouping: Option<char>,
    currency: Option<&'m str>,
}

impl Reading<'_> {
    /// An instant: SPEC §12.1's forms, else the mapping's local time
    /// format, else a date at `time_of_day`.
    fn instant(&self, cell: &str, time_of_day: NaiveTime) -> Option<i64> {
        if let Some(t) = cells::instant(cell) {
            return Some(t);
        }
        if let Some(format) = self.time_format
            && let Ok(local) = NaiveDateTime::parse_from_str(cell, format)
        {
            let t = self.zone.from_local_datetime(&local).earliest()?;
            return Some(crate::time::to_micros(t.with_timezone(&chrono::Utc)));
        }
        let day = NaiveDate::parse_from_str(cell, self.date_format).ok()?;
        Some(cells::local(day, time_of_day, self.zone))
    }
}

/// A table's columns resolved against its sheet.
struct Resolved<'t> {
    spec: &'t TableSpec,
    kind: RecordKind,
    /// Per SPEC field (in `fields(kind)` order): its columns.
    columns: Vec<Vec<Col>>,
    skip: Vec<(&'t SkipRule, Col)>,
}

impl<'t> Resolved<'t> {
    fn new(spec: &'t TableSpec, kind: RecordKind, sheet: &Sheet) -> Result<Self> {
        let mut columns = Vec::new();
        for &(field, ty) in fields(kind) {
            let names: Vec<&str> = match spec.columns.get(field) {
                Some(Columns::One(c)) => vec![c.as_str()],
                Some(Columns::Parts(cs)) => cs.iter().map(String::as_str).collect(),
                None => Vec::new(),
            };
            let mut cols = Vec::new();
            for name in names {
                // Columns of required fields must exist; others read as
                // empty cells when absent.
                cols.push(
                    if ty == Ty::Id
                        || field == "occurred_at"
                        || field == "held_at"
                        || field == "closed_at"
                    {
                        sheet.required_col(name)?
                    } else {
                        sheet.col(name)
                    },
                );
            }
            columns.push(cols);
        }
        let skip = spec
            .skip
            .iter()
            .map(|r| (r, r.column.as_deref().map_or(Col::NONE, |c| sheet.col(c))))
            .collect();
        Ok(Resolved {
            spec,
            kind,
            columns,
            skip,
        })
    }

    /// The text of field `i` on `row`: its columns joined, or its constant,
    /// through its value map.
    fn text(&self, i: usize, row: &Row<'_>) -> String {
        let Some(&(field, _)) = fields(self.kind).get(i) else {
            return String::new();
        };
        let cols = self.columns.get(i).map_or(&[][..], Vec::as_slice);
        let raw = if cols.is_empty() {
            self.spec.constants.get(field).cloned().unwrap_or_default()
        } else {
            let parts: Vec<&str> = cols.iter().map(|&c| row.get(c)).collect();
            if parts.len() == 1 {
                parts.concat()
            } else {
                cells::joined_name(&parts).unwrap_or_default()
            }
        };
        let mapped = self.spec.values.get(field).and_then(|map| {
            map.iter()
                .find(|(from, _)| from.eq_ignore_ascii_case(&raw))
                .map(|(_, to)| to.clone())
        });
        mapped.unwrap_or(raw)
    }
}

/// Imports the export `dir` as `mapping` says into `rec`; returns the
/// as-of instant used.
pub(super) fn import(
    dir: &Path,
    mapping: &Mapping,
    options: &ImportOptions,
    rec: &mut Recorder<'_>,
) -> Result<Option<i64>> {
    let m = &mapping.0;
    let zone = match &m.time_zone {
        Some(z) => z
            .parse::<Tz>()
            .map_err(|e| Error::invalid("time zone", e.to_string()))?,
        None => options.time_zone,
    };
    let reading = Reading {
        zone,
        time_format: m.time_format.as_deref(),
        date_format: m.date_format.as_deref().unwrap_or("%Y-%m-%d"),
        point: m.decimal_separator,
        grouping: m.thousands_separator,
        currency: options.currency.as_deref(),
    };
    let delimiter = u8::try_from(m.delimiter).unwrap_or(b',');
    // Every file is opened (and its columns checked) before any is read.
    let mut opened = Vec::new();
    for (kind, tables) in m.tables() {
        for spec in tables {
            let sheet = if spec.required {
                Some(Sheet::required(dir, &spec.file, delimiter)?)
            } else {
                Sheet::open(dir, &spec.file, delimiter)?
            };
            if let Some(sheet) = sheet {
                let resolved = Resolved::new(spec, kind, &sheet)?;
                opened.push((sheet, resolved));
            }
        }
    }
    let as_of = match options.as_of {
        Some(t) => Some(crate::time::to_micros(t)),
        None => latest_created(&opened, &reading)?,
    };
    let mut prospects = HashSet::new();
    for (sheet, table) in &opened {
        read_table(sheet, table, &reading, as_of, rec, &mut prospects)?;
    }
    Ok(as_of)
}

/// The latest valid creation time of any row of any table.
fn latest_created(opened: &[(Sheet, Resolved<'_>)], reading: &Reading<'_>) -> Result<Option<i64>> {
    let mut latest = Latest::default();
    for (sheet, table) in opened {
        let Some(column) = &table.spec.created else {
            continue;
        };
        let col = sheet.col(column);
        sheet.rows(|_, row| {
            latest.note(reading.instant(row.get(col), cells::noon()));
            Ok(())
        })?;
    }
    Ok(latest.get())
}

fn read_table(
    sheet: &Sheet,
    table: &Resolved<'_>,
    reading: &Reading<'_>,
    as_of: Option<i64>,
    rec: &mut Recorder<'_>,
    prospects: &mut HashSet<String>,
) -> Result<()> {
    rec.begin_file(&sheet.name, Some(table.kind));
    rec.reserve(table.kind, sheet.approximate_rows());
    sheet.rows(|n, row| {
        let id = table.text(0, row);
        if let Some(reason) = skip_reason(table, row, reading, as_of, prospects) {
            rec.skip(n, &id, reason);
            return Ok(());
        }
        if table.kind == RecordKind::Prospect && !id.is_empty() {
            prospects.insert(id.clone());
        }
        match values(table, row, reading) {
            Ok(v) => push(rec, table.kind, n, &v),
            Err((field, reason)) => rec.reject(table.kind, n, &id, field, reason),
        }
        Ok(())
    })
}

/// The reason of the first skip rule that applies to `row`.
fn skip_reason<'t>(
    table: &'t Resolved<'_>,
    row: &Row<'_>,
    reading: &Reading<'_>,
    as_of: Option<i64>,
    prospects: &HashSet<String>,
) -> Option<&'t str> {
    let field_index = |name: &str| fields(table.kind).iter().position(|(f, _)| *f == name);
    table.skip.iter().find_map(|&(rule, col)| {
        let cell = row.get(col);
        let any = |list: &Option<Vec<String>>| {
            list.as_ref()
                .map(|l| l.iter().any(|v| v.eq_ignore_ascii_case(cell)))
        };
        let applies = if rule.empty {
            cell.is_empty()
        } else if let Some(hit) = any(&rule.equals) {
            hit
        } else if let Some(hit) = any(&rule.not_equals) {
            !hit
        } else if rule.unknown_prospect {
            let p = field_index("prospect_id").map(|i| table.text(i, row));
            p.is_none_or(|p| p.is_empty() || !prospects.contains(&p))
        } else if let Some(field) = &rule.after_as_of {
            let text = field_index(field).map(|i| table.text(i, row));
            let at = text.and_then(|t| reading.instant(&t, cells::noon()));
            matches!((at, as_of), (Some(t), Some(a)) if t > a)
        } else {
            false
        };
        applies.then_some(rule.reason.as_str())
    })
}

/// A field's value, parsed.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Absent,
    Text(String),
    Time(i64),
    Int(i64),
    Channel(Channel),
    Direction(Direction),
    Outcome(Outcome),
    Status(MeetingStatus),
    Source(Source),
}

/// The row's fields parsed, or the first failure in SPEC §3 order
/// (missing, then times, numbers and enumerations, each in column order).
fn values(
    table: &Resolved<'_>,
    row: &Row<'_>,
    reading: &Reading<'_>,
) -> std::result::Result<Vec<Value>, (&'static str, Reason)> {
    let spec_fields = fields(table.kind);
    let texts: Vec<String> = (0..spec_fields.len()).map(|i| table.text(i, row)).collect();
    // SPEC §2's required fields; a channel only when the mapping names
    // one (else every contact of the table is `other`).
    let names_channel =
        table.spec.columns.contains_key("channel") || table.spec.constants.contains_key("channel");
    let required = |f: &str| {
        matches!(f, "occurred_at" | "held_at" | "closed_at")
            || (f == "channel" && names_channel)
            || spec_fields.iter().any(|&(g, t)| g == f && t == Ty::Id)
    };
    for (&(field, _), text) in spec_fields.iter().zip(&texts) {
        if required(field) && text.is_empty() {
            return Err((field, Reason::MissingField));
        }
    }
    let currency = texts
        .iter()
        .zip(spec_fields)
        .find(|(_, (f, _))| *f == "currency")
        .and_then(|(t, _)| present(t))
        .or(reading.currency);
    let mut out = Vec::with_capacity(texts.len());
    for pass in [Ty::Time, Ty::Int, Ty::Enum] {
        for (&(field, ty), text) in spec_fields.iter().zip(&texts) {
            let same_pass = ty == pass || (pass == Ty::Int && ty == Ty::Amount);
            if !same_pass || text.is_empty() {
                continue;
            }
            parse_value(field, ty, text, reading, currency)?;
        }
    }
    for (&(field, ty), text) in spec_fields.iter().zip(&texts) {
        out.push(if text.is_empty() {
            Value::Absent
        } else {
            parse_value(field, ty, text, reading, currency)?
        });
    }
    if table.kind == RecordKind::Sale {
        // `currency`: the row's, else the option's.
        if let (Some(slot), Some(code)) = (out.last_mut(), currency)
            && *slot == Value::Absent
        {
            *slot = Value::Text(code.to_owned());
        }
    }
    Ok(out)
}

fn parse_value(
    field: &'static str,
    ty: Ty,
    text: &str,
    reading: &Reading<'_>,
    currency: Option<&str>,
) -> std::result::Result<Value, (&'static str, Reason)> {
    let enum_error = (field, Reason::UnknownEnum);
    Ok(match ty {
        Ty::Id | Ty::Text => Value::Text(text.to_owned()),
        Ty::Time => {
            let time_of_day = if field == "closed_at" {
                cells::end_of_day()
            } else {
                cells::noon()
            };
            Value::Time(
                reading
                    .instant(text, time_of_day)
                    .ok_or((field, Reason::BadTime))?,
            )
        }
        Ty::Int => Value::Int(parse_i64(text).ok_or((field, Reason::BadNumber))?),
        Ty::Amount => Value::Int(
            cells::amount(
                text,
                cells::currency_exponent(currency),
                reading.point,
                reading.grouping,
            )
            .map_err(|r| ("amount_minor", r))?,
        ),
        Ty::Enum => match field {
            "channel" => Value::Channel(Channel::parse_text(text).ok_or(enum_error)?),
            "direction" => Value::Direction(Direction::parse_text(text).ok_or(enum_error)?),
            "outcome" => Value::Outcome(Outcome::parse_text(text).ok_or(enum_error)?),
            "status" => Value::Status(MeetingStatus::parse_text(text).ok_or(enum_error)?),
            _ => Value::Source(Source::parse_text(text).ok_or(enum_error)?),
        },
    })
}

/// The value of field `name` among a kind's parsed `values`.
struct Fields<'v> {
    kind: RecordKind,
    values: &'v [Value],
}

impl<'v> Fields<'v> {
    fn get(&self, name: &str) -> &'v Value {
        const ABSENT: &Value = &Value::Absent;
        fields(self.kind)
            .iter()
            .position(|(f, _)| *f == name)
            .and_then(|i| self.values.get(i))
            .unwrap_or(ABSENT)
    }

    fn text(&self, name: &str) -> Option<&'v str> {
        match self.get(name) {
            Value::Text(t) => Some(t.as_str()),
            _ => None,
        }
    }

    fn time(&self, name: &str) -> Option<i64> {
        match self.get(name) {
            Value::Time(t) => Some(*t),
            _ => None,
        }
    }

    fn int(&self, name: &str) -> Option<i64> {
        match self.get(name) {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }
}

fn push(rec: &mut Recorder<'_>, kind: RecordKind, n: u64, values: &[Value]) {
    let f = Fields { kind, values };
    let id = |name| f.text(name).unwrap_or("");
    match kind {
        RecordKind::Rep => rec.rep(
            n,
            Rep {
                rep_id: RepId::from(id("rep_id")),
                name: f.text("name").map(str::to_owned),
                team_id: f.text("team_id").map(TeamId::from),
                daily_contact_target: f.int("daily_contact_target"),
            },
        ),
        RecordKind::Prospect => {
            let mut p = ProspectFields {
                prospect_id: id("prospect_id"),
                name: f.text("name"),
                company: f.text("company"),
                email: f.text("email"),
                phone: f.text("phone"),
                city: f.text("city"),
                country: f.text("country"),
                created_by: f.text("created_by"),
                ..ProspectFields::default()
            };
            if let Value::Source(s) = f.get("source") {
                p.source = Some(*s);
            }
            if let Some(t) = f.time("created_at") {
                p = p.with_created_at(from_micros(t));
            }
            rec.prospect(n, &p);
        }
        RecordKind::Contact => {
            let channel = match f.get("channel") {
                Value::Channel(c) => *c,
                _ => DEFAULT_CHANNEL,
            };
            let occurred = from_micros(f.time("occurred_at").unwrap_or_default());
            let mut c = ContactFields::new(
                id("contact_id"),
                id("rep_id"),
                id("prospect_id"),
                occurred,
                channel,
            );
            if let Some(t) = f.time("logged_at") {
                c = c.with_logged_at(from_micros(t));
            }
            if let Value::Direction(d) = f.get("direction") {
                c.direction = *d;
            }
            if let Value::Outcome(o) = f.get("outcome") {
                c.outcome = Some(*o);
            }
            c.duration_s = f.int("duration_s");
            rec.contact(n, &c);
        }
        RecordKind::Meeting => {
            let held = from_micros(f.time("held_at").unwrap_or_default());
            let mut m = MeetingFields::new(id("meeting_id"), id("rep_id"), id("prospect_id"), held);
            if let Value::Status(s) = f.get("status") {
                m.status = *s;
            }
            rec.meeting(n, &m);
        }
        RecordKind::Sale => {
            let closed = from_micros(f.time("closed_at").unwrap_or_default());
            let mut s = SaleFields::new(id("sale_id"), id("rep_id"), id("prospect_id"), closed);
            s.amount_minor = f.int("amount").or(f.int("amount_minor"));
            s.currency = f.text("currency");
            rec.sale(n, &s);
        }
    }
}

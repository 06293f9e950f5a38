//! HubSpot exports (IMPORT §12.3) exactly as `docs/import/hubspot.md`
//! says: one CSV file per object, headers as English property labels or
//! internal names, owner cells resolved against `owners.csv`.

use std::path::Path;

use chrono::NaiveTime;
use chrono_tz::Tz;
use hashbrown::{HashMap, HashSet};

use super::ImportOptions;
use super::cells::{self, Latest, present};
use super::outcome::Recorder;
use super::salesforce::disposition;
use super::sheet::{Col, Row, Sheet};
use crate::error::{Error, Reason, Result};
use crate::ingest::{ContactFields, MeetingFields, ProspectFields, SaleFields};
use crate::model::{Channel, Direction, MeetingStatus, Outcome, RecordKind, Rep, Source};
use crate::time::from_micros;

// ---------------------------------------------------------------------------
// Headers: for each field, the label(s) first, then the internal name(s);
// the first the file has is used.

/// A record's HubSpot ID (every object file).
const RECORD_ID: &[&str] = &["Record ID", "hs_object_id"];
/// The API's deleted flag (UI exports hold only live records).
const ARCHIVED: &[&str] = &["archived"];
/// Every create-date column, for the as-of instant.
const CREATE_DATES: &[&str] = &[
    "Create Date",
    "Created at",
    "createdate",
    "hs_createdate",
    "createdAt",
];
/// An owner's id (Owners API).
const OWNER_ID: &[&str] = &["Owner ID", "ownerId", "id"];
/// A user's id (users export, Owners API).
const USER_ID: &[&str] = &["User ID", "userId"];
/// A person's first name (owners and contacts).
const FIRST_NAME: &[&str] = &["First Name", "firstname"];
/// A person's last name (owners and contacts).
const LAST_NAME: &[&str] = &["Last Name", "lastname"];
/// An owner's email.
const OWNER_EMAIL: &[&str] = &["Email", "Email Address", "email"];
/// An owner's primary team.
const PRIMARY_TEAM: &[&str] = &["Primary team", "primaryTeamName"];
/// An owner's teams, `;`-separated.
const TEAMS: &[&str] = &["Teams", "Assigned teams", "teams"];
/// A company's name (`companies.csv`).
const COMPANY_NAME: &[&str] = &["Company name", "Name", "name"];
/// A contact's primary company, in the order tried.
const PRIMARY_COMPANY: [&[&str]; 3] = [
    &["Associated Company IDs (Primary)"],
    &["Primary Associated Company ID", "associatedcompanyid"],
    &["Associated Company IDs"],
];
/// A contact's own free-text company.
const OWN_COMPANY: &[&str] = &["Company Name", "company"];
/// A contact's email.
const EMAIL: &[&str] = &["Email", "email"];
/// A contact's phone.
const PHONE: &[&str] = &["Phone Number", "phone"];
/// A contact's mobile phone (when it has no phone).
const MOBILE: &[&str] = &["Mobile Phone Number", "mobilephone"];
/// A contact's city.
const CITY: &[&str] = &["City", "city"];
/// A contact's country code.
const COUNTRY_CODE: &[&str] = &["Country/Region Code", "hs_country_region_code"];
/// A contact's country (used when two letters).
const COUNTRY: &[&str] = &["Country/Region", "country"];
/// A contact's original traffic source.
const SOURCE: &[&str] = &[
    "Original Traffic Source",
    "Original Source",
    "hs_analytics_source",
];
/// A contact's creation time.
const CONTACT_CREATED: &[&str] = &["Create Date", "createdate"];
/// The user who created a contact.
const CREATED_BY: &[&str] = &["Created by user ID", "hs_created_by_user_id"];
/// The owner of a call, email or meeting.
const ASSIGNED_TO: &[&str] = &["Activity assigned to", "Assigned to", "hubspot_owner_id"];
/// When an activity happened.
const ACTIVITY_DATE: &[&str] = &["Activity date", "hs_timestamp"];
/// The contacts an activity or deal is associated with.
const CONTACT_IDS: &[&str] = &[
    "Associated Contact IDs",
    "Associated Contact ID",
    "contact_ids",
];
/// When an activity was logged.
const ACTIVITY_CREATED: &[&str] = &["Create date", "Created at", "hs_createdate"];
/// The object a call dialled.
const CALLEE_ID: &[&str] = &["Callee object id", "hs_call_callee_object_id"];
/// The type of the object a call dialled.
const CALLEE_TYPE: &[&str] = &["Callee object type", "hs_call_callee_object_type"];
/// A call's direction.
const CALL_DIRECTION: &[&str] = &["Call direction", "hs_call_direction"];
/// A call's duration (milliseconds, or a clock).
const CALL_DURATION: &[&str] = &["Call duration", "Duration", "hs_call_duration"];
/// A call's outcome (label or GUID).
const CALL_OUTCOME: &[&str] = &["Call outcome", "hs_call_disposition"];
/// A call's status.
const CALL_STATUS: &[&str] = &["Call status", "hs_call_status"];
/// An email's direction.
const EMAIL_DIRECTION: &[&str] = &["Email direction", "hs_email_direction"];
/// An email's send status.
const EMAIL_STATUS: &[&str] = &["Email send status", "Email status", "hs_email_status"];
/// A meeting's start.
const MEETING_START: &[&str] = &["Meeting start time", "Start time", "hs_meeting_start_time"];
/// A meeting's outcome.
const MEETING_OUTCOME: &[&str] = &["Meeting outcome", "Outcome", "hs_meeting_outcome"];
/// A deal's owner.
const DEAL_OWNER: &[&str] = &["Deal owner", "hubspot_owner_id"];
/// Whether a deal is won (pipeline-independent).
const IS_CLOSED_WON: &[&str] = &["Is Closed Won", "hs_is_closed_won"];
/// A deal's stage.
const DEAL_STAGE: &[&str] = &["Deal Stage", "dealstage"];
/// A deal's close date.
const CLOSE_DATE: &[&str] = &["Close Date", "closedate"];
/// A deal's amount.
const AMOUNT: &[&str] = &["Amount", "amount"];
/// A deal's currency.
const CURRENCY: &[&str] = &["Currency", "deal_currency_code"];

// ---------------------------------------------------------------------------
// Value tables.

/// Won deal stages, lower-cased with spaces, `_` and `-` removed.
const WON_STAGES: &[&str] = &["closedwon"];

/// Original traffic sources (normalised) that are inbound.
const INBOUND_SOURCES: &[&str] = &[
    "ORGANIC_SEARCH",
    "PAID_SEARCH",
    "DIRECT_TRAFFIC",
    "SOCIAL_MEDIA",
    "ORGANIC_SOCIAL",
    "PAID_SOCIAL",
    "EMAIL_MARKETING",
    "REFERRALS",
    "AI_REFERRALS",
    "OTHER_CAMPAIGNS",
];

/// HubSpot's default call outcomes: label, internal GUID, outcome.
const CALL_OUTCOMES: &[(&str, &str, Outcome)] = &[
    (
        "Connected",
        "f240bbac-87c9-4f6e-bf70-924b57d47db7",
        Outcome::Conversation,
    ),
    (
        "Busy",
        "9d9162e7-6cf3-4944-bf63-4dff82258764",
        Outcome::NoAnswer,
    ),
    (
        "No answer",
        "73a0d17f-1163-4015-bdd5-ec830791da20",
        Outcome::NoAnswer,
    ),
    (
        "Left voicemail",
        "b2cf5968-551e-4856-9783-52b3da59a7d0",
        Outcome::NoAnswer,
    ),
    (
        "Left live message",
        "a4c4c377-d246-4b32-a13b-75a56a4cd0ff",
        Outcome::NoAnswer,
    ),
    (
        "Wrong number",
        "17b47fee-58de-441e-a44c-c6300d46f273",
        Outcome::Other,
    ),
];

/// Call statuses (normalised) of calls not ended yet.
const OPEN_CALL: &[&str] = &[
    "QUEUED",
    "RINGING",
    "CONNECTING",
    "IN_PROGRESS",
    "CALLING_CRM_USER",
];
/// Call statuses (normalised) of dials that never reached anyone.
const FAILED_CALL: &[&str] = &["FAILED", "CANCELED"];
/// Call statuses (normalised) that mean no answer when no outcome is set.
const UNANSWERED_CALL: &[&str] = &["BUSY", "NO_ANSWER", "MISSED"];
/// Email statuses (normalised) of emails never sent.
const UNSENT_EMAIL: &[&str] = &["SCHEDULED", "SENDING", "FAILED"];

// ---------------------------------------------------------------------------
// Cell rules.

/// An enumerated value normalised: ASCII upper case, each run of spaces
/// and `-` one `_` (`No show` → `NO_SHOW`).
fn normalised(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut in_run = false;
    for ch in value.chars() {
        let separator = ch == ' ' || ch == '-';
        if !separator {
            out.push(ch.to_ascii_uppercase());
        } else if !in_run {
            out.push('_');
        }
        in_run = separator;
    }
    out
}

/// A boolean cell: IMPORT §12.1's forms plus `yes`/`no` (ignoring case).
fn boolean(cell: &str) -> std::result::Result<bool, Reason> {
    if cell.eq_ignore_ascii_case("yes") {
        Ok(true)
    } else if cell.eq_ignore_ascii_case("no") {
        Ok(false)
    } else {
        cells::boolean(cell)
    }
}

/// The IDs of an association cell: split on `;` or `,`, trimmed, empty
/// items dropped.
fn id_list(cell: &str) -> impl Iterator<Item = &str> {
    cell.split([';', ','])
        .map(str::trim)
        .filter(|id| !id.is_empty())
}

/// Two ASCII digits at `at` of `b`.
fn two_digits(b: &[u8], at: usize) -> Option<u32> {
    let digit = |i: usize| {
        b.get(i)
            .filter(|c| c.is_ascii_digit())
            .map(|c| u32::from(c - b'0'))
    };
    Some(digit(at)? * 10 + digit(at + 1)?)
}

/// A time of day `HH:MM` or `HH:MM:SS` (hours 00–23, minutes and seconds
/// 00–59).
fn clock_time(text: &str) -> Option<NaiveTime> {
    let b = text.as_bytes();
    let seconds = match b.len() {
        5 => 0,
        8 if b.get(5) == Some(&b':') => two_digits(b, 6)?,
        _ => return None,
    };
    if b.get(2) != Some(&b':') {
        return None;
    }
    NaiveTime::from_hms_opt(two_digits(b, 0)?, two_digits(b, 3)?, seconds)
}

/// `YYYY-MM-DD HH:MM[:SS]`, the export form, as local time in `zone`.
fn local_date_time(cell: &str, zone: Tz) -> Option<i64> {
    let (day, time) = cell.split_at_checked(10)?;
    let time = clock_time(time.strip_prefix(' ')?)?;
    Some(cells::local(cells::date(day)?, time, zone))
}

/// 12 or 13 ASCII digits: Unix epoch milliseconds (the API form), in µs.
fn epoch_millis(cell: &str) -> Option<i64> {
    let digits = cell.bytes().all(|b| b.is_ascii_digit());
    if !digits || !(12..=13).contains(&cell.len()) {
        return None;
    }
    cell.parse::<i64>().ok()?.checked_mul(1000)
}

/// An instant cell in µs: RFC 3339 (IMPORT §12.1), the export form in
/// `zone`, epoch milliseconds, or a date at `day_time` in `zone`.
fn instant(cell: &str, day_time: NaiveTime, zone: Tz) -> Option<i64> {
    cells::instant(cell)
        .or_else(|| local_date_time(cell, zone))
        .or_else(|| epoch_millis(cell))
        .or_else(|| cells::date(cell).map(|day| cells::local(day, day_time, zone)))
}

/// A non-empty run of ASCII digits as a number (`None` if it does not
/// fit).
fn digits(text: &str) -> Option<i64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Exactly two ASCII digits below 60 (minutes or seconds of a clock).
fn below_60(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 2 {
        return None;
    }
    two_digits(b, 0).filter(|&n| n < 60).map(i64::from)
}

/// A clock duration `H:MM:SS` or `MM:SS` in seconds (the first group one
/// or more digits, the others two digits below 60).
fn clock_seconds(text: &str) -> Option<i64> {
    let (head, seconds) = text.rsplit_once(':')?;
    let seconds = below_60(seconds)?;
    let (hours, minutes) = match head.split_once(':') {
        Some((hours, minutes)) => (digits(hours)?, below_60(minutes)?),
        None => (0, digits(head)?),
    };
    hours
        .checked_mul(3600)?
        .checked_add(minutes.checked_mul(60)?)?
        .checked_add(seconds)
}

/// A call duration in seconds: ASCII digits are milliseconds, rounded half
/// up; a clock is read as written; empty is absent. A leading `-` on a
/// non-zero duration is `negative_number`, anything else `bad_number`.
fn call_duration(cell: &str) -> std::result::Result<Option<i64>, Reason> {
    if cell.is_empty() {
        return Ok(None);
    }
    let (negative, body) = match cell.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, cell),
    };
    let (value, seconds) = match digits(body) {
        Some(ms) => (ms, ms / 1000 + i64::from(ms % 1000 >= 500)),
        None if body.bytes().all(|b| b.is_ascii_digit()) && !body.is_empty() => {
            return Err(Reason::BadNumber);
        }
        None => {
            let s = clock_seconds(body).ok_or(Reason::BadNumber)?;
            (s, s)
        }
    };
    if negative && value > 0 {
        return Err(Reason::NegativeNumber);
    }
    Ok(Some(seconds))
}

/// Two ASCII letters, upper-cased.
fn alpha2(text: &str) -> Option<String> {
    let letters = text.len() == 2 && text.bytes().all(|b| b.is_ascii_alphabetic());
    letters.then(|| text.to_ascii_uppercase())
}

/// Original traffic source → source (the doc's table).
fn source(text: &str) -> Option<Source> {
    if text.is_empty() {
        return None;
    }
    let value = normalised(text);
    if INBOUND_SOURCES.contains(&value.as_str()) {
        Some(Source::Inbound)
    } else {
        Some(Source::Other)
    }
}

/// A call's outcome from its outcome cell (default label or GUID, else
/// the free-text `rules`), else from its normalised `status`.
fn call_outcome(cell: &str, status: &str, rules: &[(String, Outcome)]) -> Option<Outcome> {
    if cell.is_empty() {
        return UNANSWERED_CALL
            .contains(&status)
            .then_some(Outcome::NoAnswer);
    }
    let default = CALL_OUTCOMES.iter().find(|(label, guid, _)| {
        cell.eq_ignore_ascii_case(label) || cell.eq_ignore_ascii_case(guid)
    });
    match default {
        Some(&(_, _, outcome)) => Some(outcome),
        None => disposition(cell, rules),
    }
}

/// A meeting's status from its outcome cell.
fn meeting_status(cell: &str) -> MeetingStatus {
    match normalised(cell).as_str() {
        "NO_SHOW" => MeetingStatus::NoShow,
        "CANCELED" | "CANCELLED" => MeetingStatus::Cancelled,
        _ => MeetingStatus::Held,
    }
}

/// Whether a deal stage is a won stage.
fn won_stage(cell: &str) -> bool {
    let key: String = cell
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    WON_STAGES.contains(&key.as_str())
}

// ---------------------------------------------------------------------------
// Row verdicts and references.

/// Why a row gives no record: skipped with a reason, or rejected naming
/// a field and a SPEC §3 reason.
enum Verdict {
    /// Skipped (`deleted`, `open_call`, `no_prospect`, …).
    Skip(&'static str),
    /// Rejected: the field and the reason.
    Reject(&'static str, Reason),
}

impl Verdict {
    /// Records the verdict on row `n` (id `id`) of the current file.
    fn record(self, rec: &mut Recorder<'_>, kind: RecordKind, n: u64, id: &str) {
        match self {
            Verdict::Skip(reason) => rec.skip(n, id, reason),
            Verdict::Reject(field, reason) => rec.reject(kind, n, id, field, reason),
        }
    }
}

/// The verdict of an `archived` cell read as a boolean: true skips the
/// row `deleted`, a bad value rejects it.
fn live(archived: std::result::Result<bool, Reason>) -> std::result::Result<(), Verdict> {
    match archived {
        Ok(true) => Err(Verdict::Skip("deleted")),
        Ok(false) => Ok(()),
        Err(reason) => Err(Verdict::Reject("archived", reason)),
    }
}

/// `missing_field` for the first required field that is empty.
fn required(fields: &[(&'static str, &str)]) -> std::result::Result<(), Verdict> {
    match fields.iter().find(|(_, value)| value.is_empty()) {
        Some(&(field, _)) => Err(Verdict::Reject(field, Reason::MissingField)),
        None => Ok(()),
    }
}

/// A time cell that must be an instant: `bad_time` on `field` otherwise.
fn time_of(
    cell: &str,
    day_time: NaiveTime,
    zone: Tz,
    field: &'static str,
) -> std::result::Result<i64, Verdict> {
    instant(cell, day_time, zone).ok_or(Verdict::Reject(field, Reason::BadTime))
}

/// Whether a key names exactly one owner or several.
enum Named {
    /// Exactly one owner: its rep_id.
    One(String),
    /// Several owners: ambiguous, resolves to nothing.
    Many,
}

/// The owners of `owners.csv` (rows not skipped `deleted`), indexed for
/// resolving owner cells.
#[derive(Default)]
struct Owners {
    /// Every rep_id.
    rep_ids: HashSet<String>,
    /// User id → owner.
    user_ids: HashMap<String, Named>,
    /// Email, ASCII lower case → owner.
    emails: HashMap<String, Named>,
    /// Full name, ASCII lower case → owner.
    names: HashMap<String, Named>,
}

impl Owners {
    /// Notes that `key` names the owner `rep_id` (empty keys name none).
    fn note(map: &mut HashMap<String, Named>, key: String, rep_id: &str) {
        if key.is_empty() {
            return;
        }
        let named = map
            .entry(key)
            .or_insert_with(|| Named::One(rep_id.to_owned()));
        if matches!(named, Named::One(id) if id != rep_id) {
            *named = Named::Many;
        }
    }

    /// Adds an owner row with a non-empty rep_id.
    fn add(&mut self, rep_id: &str, user_id: &str, email: &str, name: Option<&str>) {
        if rep_id.is_empty() {
            return;
        }
        self.rep_ids.insert(rep_id.to_owned());
        Owners::note(&mut self.user_ids, user_id.to_owned(), rep_id);
        Owners::note(&mut self.emails, email.to_ascii_lowercase(), rep_id);
        let name = name.unwrap_or_default().to_ascii_lowercase();
        Owners::note(&mut self.names, name, rep_id);
    }

    /// The rep_id an owner cell names: by rep_id, then user id, email and
    /// full name (each naming exactly one owner); `None` if none does.
    fn resolve<'a>(&'a self, cell: &'a str) -> Option<&'a str> {
        if cell.is_empty() {
            return None;
        }
        if self.rep_ids.contains(cell) {
            return Some(cell);
        }
        let unique = |map: &'a HashMap<String, Named>, key: &str| match map.get(key) {
            Some(Named::One(id)) => Some(id.as_str()),
            _ => None,
        };
        unique(&self.user_ids, cell).or_else(|| {
            let folded = cell.to_ascii_lowercase();
            unique(&self.emails, &folded).or_else(|| unique(&self.names, &folded))
        })
    }

    /// The rep reference of an owner cell: the owner it names, else the
    /// cell itself (then rejected `unknown_rep`).
    fn reference<'a>(&'a self, cell: &'a str) -> &'a str {
        self.resolve(cell).unwrap_or(cell)
    }
}

/// What later files look up in earlier ones.
#[derive(Default)]
struct Known {
    /// The owners, for owner references.
    owners: Owners,
    /// Company names by `Record ID` (rows not deleted).
    companies: HashMap<String, String>,
    /// `Record ID`s of contact rows not skipped `deleted`.
    contacts: HashSet<String>,
    /// The latest valid create date of any row.
    latest_created: Latest,
}

impl Known {
    /// Notes a row's create dates (every create-date column `cols`) for
    /// the as-of instant.
    fn note_created(&mut self, row: &Row<'_>, cols: &[Col], zone: Tz) {
        for col in cols {
            self.latest_created
                .note(instant(row.get(*col), cells::noon(), zone));
        }
    }

    /// The smallest (byte order) ID of an association cell that names a
    /// contact.
    fn smallest_contact<'r>(&self, cell: &'r str) -> Option<&'r str> {
        id_list(cell).filter(|id| self.contacts.contains(*id)).min()
    }
}

/// The create-date columns a sheet has.
fn created_cols(sheet: &Sheet) -> Vec<Col> {
    CREATE_DATES
        .iter()
        .map(|name| sheet.col(name))
        .filter(|col| sheet.has(*col))
        .collect()
}

// ---------------------------------------------------------------------------
// Files.

/// The files of an export, checked for the files and columns the doc
/// requires before anything is read.
struct Files {
    /// `owners.csv`.
    owners: Sheet,
    /// `contacts.csv`.
    contacts: Sheet,
    /// `companies.csv` (optional).
    companies: Option<Sheet>,
    /// `calls.csv`.
    calls: Sheet,
    /// `emails.csv` (optional).
    emails: Option<Sheet>,
    /// `meetings.csv`.
    meetings: Sheet,
    /// `deals.csv`.
    deals: Sheet,
}

impl Files {
    /// Reads the export in `dir`: every required file and column there.
    fn open(dir: &Path) -> Result<Files> {
        const NAMES: [&str; 7] = [
            "owners.csv",
            "contacts.csv",
            "companies.csv",
            "calls.csv",
            "emails.csv",
            "meetings.csv",
            "deals.csv",
        ];
        let mut opened = crate::par::map(&NAMES, |name| Sheet::open(dir, name, b',')).into_iter();
        let mut next = || opened.next().unwrap_or(Ok(None));
        let need =
            |sheet: Option<Sheet>, name: &str| sheet.ok_or_else(|| Sheet::missing(dir, name));
        let (owners, contacts, companies) = (next()?, next()?, next()?);
        let (calls, emails, meetings, deals) = (next()?, next()?, next()?, next()?);
        let files = Files {
            owners: need(owners, "owners.csv")?,
            contacts: need(contacts, "contacts.csv")?,
            companies,
            calls: need(calls, "calls.csv")?,
            emails,
            meetings: need(meetings, "meetings.csv")?,
            deals: need(deals, "deals.csv")?,
        };
        files.check_columns(dir)?;
        Ok(files)
    }

    /// The required columns of every file.
    fn check_columns(&self, dir: &Path) -> Result<()> {
        require(dir, &self.owners, &[OWNER_ID, USER_ID].concat())?;
        let optional = [&self.companies, &self.emails];
        for sheet in [&self.contacts, &self.calls, &self.meetings, &self.deals]
            .into_iter()
            .chain(optional.into_iter().flatten())
        {
            require(dir, sheet, RECORD_ID)?;
        }
        for sheet in [Some(&self.calls), self.emails.as_ref()]
            .into_iter()
            .flatten()
        {
            for headers in [ASSIGNED_TO, ACTIVITY_DATE, CONTACT_IDS] {
                require(dir, sheet, headers)?;
            }
        }
        let held = [MEETING_START, ACTIVITY_DATE].concat();
        for headers in [ASSIGNED_TO, &held, CONTACT_IDS] {
            require(dir, &self.meetings, headers)?;
        }
        let won = [IS_CLOSED_WON, DEAL_STAGE].concat();
        for headers in [DEAL_OWNER, &won, CLOSE_DATE, CONTACT_IDS] {
            require(dir, &self.deals, headers)?;
        }
        Ok(())
    }
}

/// A column that must be present under one of `headers`.
fn require(dir: &Path, sheet: &Sheet, headers: &[&str]) -> Result<()> {
    if sheet.has(sheet.col_of(headers)) {
        return Ok(());
    }
    Err(Error::MissingColumn {
        path: dir.join(&sheet.name),
        column: headers.join(" / "),
    })
}

/// Imports a HubSpot export folder into `rec`; returns the as-of instant
/// it used.
pub(super) fn import(
    dir: &Path,
    options: &ImportOptions,
    rec: &mut Recorder<'_>,
) -> Result<Option<i64>> {
    let files = Files::open(dir)?;
    let zone = options.time_zone;
    let mut known = Known::default();
    owners(&files.owners, zone, rec, &mut known)?;
    if let Some(sheet) = &files.companies {
        companies(sheet, zone, rec, &mut known)?;
    }
    contacts(&files.contacts, zone, rec, &mut known)?;
    activities(&files.calls, Activity::Call, options, rec, &mut known)?;
    if let Some(sheet) = &files.emails {
        activities(sheet, Activity::Email, options, rec, &mut known)?;
    }
    deals(&files.deals, options, rec, &mut known)?;
    // Meetings are read last: whether one is in the future needs the
    // as-of instant, which every row of every file (meetings.csv's own
    // included) may move.
    let created = created_cols(&files.meetings);
    files.meetings.rows(|_, row| {
        known.note_created(row, &created, zone);
        Ok(())
    })?;
    let as_of = options
        .as_of
        .map(crate::time::to_micros)
        .or(known.latest_created.get());
    meetings(&files.meetings, as_of, zone, rec, &known)?;
    Ok(as_of)
}

// ---------------------------------------------------------------------------
// Reps and companies.

/// The columns of `owners.csv`.
struct OwnerCols {
    /// `archived`.
    archived: Col,
    /// The rep_id: the owner id, else the user id.
    id: Col,
    /// The user id.
    user_id: Col,
    /// First name.
    first: Col,
    /// Last name.
    last: Col,
    /// Email.
    email: Col,
    /// Primary team.
    primary_team: Col,
    /// Teams, `;`-separated.
    teams: Col,
}

impl OwnerCols {
    /// The columns of `sheet`.
    fn of(sheet: &Sheet) -> Self {
        let owner_id = sheet.col_of(OWNER_ID);
        let user_id = sheet.col_of(USER_ID);
        OwnerCols {
            archived: sheet.col_of(ARCHIVED),
            id: if sheet.has(owner_id) {
                owner_id
            } else {
                user_id
            },
            user_id,
            first: sheet.col_of(FIRST_NAME),
            last: sheet.col_of(LAST_NAME),
            email: sheet.col_of(OWNER_EMAIL),
            primary_team: sheet.col_of(PRIMARY_TEAM),
            teams: sheet.col_of(TEAMS),
        }
    }

    /// A row's team: its primary team, else its first team.
    fn team<'r>(&self, row: &Row<'r>) -> Option<&'r str> {
        present(row.get(self.primary_team)).or_else(|| {
            row.get(self.teams)
                .split(';')
                .map(str::trim)
                .find(|t| !t.is_empty())
        })
    }
}

/// Every row of `owners.csv` is a rep (skipped only `deleted`).
fn owners(sheet: &Sheet, zone: Tz, rec: &mut Recorder<'_>, known: &mut Known) -> Result<()> {
    rec.begin_file(&sheet.name, Some(RecordKind::Rep));
    let c = OwnerCols::of(sheet);
    let created = created_cols(sheet);
    sheet.rows(|n, row| {
        known.note_created(row, &created, zone);
        let rep_id = row.get(c.id);
        let archived = boolean(row.get(c.archived));
        let name = cells::joined_name(&[row.get(c.first), row.get(c.last)]);
        if archived != Ok(true) {
            let (user_id, email) = (row.get(c.user_id), row.get(c.email));
            known.owners.add(rep_id, user_id, email, name.as_deref());
        }
        match live(archived) {
            Err(verdict) => verdict.record(rec, RecordKind::Rep, n, rep_id),
            Ok(()) => rec.rep(
                n,
                Rep {
                    rep_id: rep_id.into(),
                    name,
                    team_id: c.team(row).map(Into::into),
                    daily_contact_target: None,
                },
            ),
        }
        Ok(())
    })
}

/// `companies.csv`, a lookup file: company names by `Record ID`.
fn companies(sheet: &Sheet, zone: Tz, rec: &mut Recorder<'_>, known: &mut Known) -> Result<()> {
    rec.begin_file(&sheet.name, None);
    let (archived, id, name) = (
        sheet.col_of(ARCHIVED),
        sheet.col_of(RECORD_ID),
        sheet.col_of(COMPANY_NAME),
    );
    let created = created_cols(sheet);
    sheet.rows(|n, row| {
        known.note_created(row, &created, zone);
        let company = row.get(id);
        if let Err(verdict) = live(boolean(row.get(archived))) {
            verdict.record(rec, RecordKind::Prospect, n, company);
            return Ok(());
        }
        rec.used(n);
        if let (Some(company), Some(name)) = (present(company), present(row.get(name))) {
            known.companies.insert(company.to_owned(), name.to_owned());
        }
        Ok(())
    })
}

// ---------------------------------------------------------------------------
// Prospect records.

/// The columns of `contacts.csv`.
struct ContactCols {
    /// `archived`.
    archived: Col,
    /// `Record ID`.
    id: Col,
    /// First name.
    first: Col,
    /// Last name.
    last: Col,
    /// The primary company ID columns, in the order tried.
    company_ids: [Col; 3],
    /// The contact's own company text.
    own_company: Col,
    /// Email.
    email: Col,
    /// Phone.
    phone: Col,
    /// Mobile phone.
    mobile: Col,
    /// City.
    city: Col,
    /// Country code.
    country_code: Col,
    /// Country.
    country: Col,
    /// Original traffic source.
    source: Col,
    /// Create date.
    created: Col,
    /// Creating user.
    created_by: Col,
}

impl ContactCols {
    /// The columns of `sheet`.
    fn of(sheet: &Sheet) -> Self {
        ContactCols {
            archived: sheet.col_of(ARCHIVED),
            id: sheet.col_of(RECORD_ID),
            first: sheet.col_of(FIRST_NAME),
            last: sheet.col_of(LAST_NAME),
            company_ids: PRIMARY_COMPANY.map(|headers| sheet.col_of(headers)),
            own_company: sheet.col_of(OWN_COMPANY),
            email: sheet.col_of(EMAIL),
            phone: sheet.col_of(PHONE),
            mobile: sheet.col_of(MOBILE),
            city: sheet.col_of(CITY),
            country_code: sheet.col_of(COUNTRY_CODE),
            country: sheet.col_of(COUNTRY),
            source: sheet.col_of(SOURCE),
            created: sheet.col_of(CONTACT_CREATED),
            created_by: sheet.col_of(CREATED_BY),
        }
    }

    /// A row's company: the name of its primary company in
    /// `companies.csv`, else its own company text.
    fn company<'a>(&self, row: &Row<'a>, known: &'a Known) -> Option<&'a str> {
        let primary = self
            .company_ids
            .iter()
            .find_map(|col| id_list(row.get(*col)).next());
        primary
            .and_then(|id| known.companies.get(id))
            .map(String::as_str)
            .or_else(|| present(row.get(self.own_company)))
    }

    /// A row's country: a two-letter code, else a two-letter country,
    /// upper-cased.
    fn country(&self, row: &Row<'_>) -> Option<String> {
        alpha2(row.get(self.country_code)).or_else(|| alpha2(row.get(self.country)))
    }
}

/// Every row of `contacts.csv` is a prospect record (skipped only
/// `deleted`).
fn contacts(sheet: &Sheet, zone: Tz, rec: &mut Recorder<'_>, known: &mut Known) -> Result<()> {
    rec.begin_file(&sheet.name, Some(RecordKind::Prospect));
    rec.reserve(RecordKind::Prospect, sheet.approximate_rows());
    let c = ContactCols::of(sheet);
    let created = created_cols(sheet);
    sheet.rows(|n, row| {
        known.note_created(row, &created, zone);
        let id = row.get(c.id);
        let archived = boolean(row.get(c.archived));
        let name = cells::joined_name(&[row.get(c.first), row.get(c.last)]);
        let country = c.country(row);
        let built = (name.as_deref(), country.as_deref());
        match live(archived).and_then(|()| prospect_fields(&c, row, built, known, zone)) {
            Ok(fields) => rec.prospect(n, &fields),
            Err(verdict) => verdict.record(rec, RecordKind::Prospect, n, id),
        }
        // A rejected contact still names a contact: references to it are
        // rejected `unknown_prospect` (SPEC §3 cascade), not skipped.
        if archived != Ok(true) && !id.is_empty() {
            known.contacts.insert(id.to_owned());
        }
        Ok(())
    })
}

/// The prospect record of a live contact row; `(name, country)` are built
/// by the caller.
fn prospect_fields<'a>(
    c: &ContactCols,
    row: &Row<'a>,
    (name, country): (Option<&'a str>, Option<&'a str>),
    known: &'a Known,
    zone: Tz,
) -> std::result::Result<ProspectFields<'a>, Verdict> {
    let id = row.get(c.id);
    required(&[("prospect_id", id)])?;
    let created = match present(row.get(c.created)) {
        None => None,
        Some(cell) => Some(time_of(cell, cells::noon(), zone, "created_at")?),
    };
    let fields = ProspectFields {
        prospect_id: id,
        name,
        company: c.company(row, known),
        email: present(row.get(c.email)),
        phone: present(row.get(c.phone)).or_else(|| present(row.get(c.mobile))),
        city: present(row.get(c.city)),
        country,
        source: source(row.get(c.source)),
        created_by: known.owners.resolve(row.get(c.created_by)),
        ..ProspectFields::default()
    };
    Ok(match created {
        Some(t) => fields.with_created_at(from_micros(t)),
        None => fields,
    })
}

// ---------------------------------------------------------------------------
// Contacts from calls and emails.

/// Which activity file rows come from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Activity {
    /// `calls.csv`: phone contacts.
    Call,
    /// `emails.csv`: email contacts.
    Email,
}

/// The columns of `calls.csv` or `emails.csv`.
struct ActivityCols {
    /// `archived`.
    archived: Col,
    /// `Record ID`.
    id: Col,
    /// The owner.
    owner: Col,
    /// Activity date.
    occurred: Col,
    /// Create date.
    created: Col,
    /// Associated contact IDs.
    contact_ids: Col,
    /// Callee object id (calls).
    callee_id: Col,
    /// Callee object type (calls).
    callee_type: Col,
    /// Direction.
    direction: Col,
    /// Duration (calls).
    duration: Col,
    /// Outcome (calls).
    outcome: Col,
    /// Call or email status.
    status: Col,
}

impl ActivityCols {
    /// The columns of `sheet`, an `activity` file.
    fn of(sheet: &Sheet, activity: Activity) -> Self {
        let call = |headers: &[&str]| match activity {
            Activity::Call => sheet.col_of(headers),
            Activity::Email => Col::NONE,
        };
        let (direction, status) = match activity {
            Activity::Call => (CALL_DIRECTION, CALL_STATUS),
            Activity::Email => (EMAIL_DIRECTION, EMAIL_STATUS),
        };
        ActivityCols {
            archived: sheet.col_of(ARCHIVED),
            id: sheet.col_of(RECORD_ID),
            owner: sheet.col_of(ASSIGNED_TO),
            occurred: sheet.col_of(ACTIVITY_DATE),
            created: sheet.col_of(ACTIVITY_CREATED),
            contact_ids: sheet.col_of(CONTACT_IDS),
            callee_id: call(CALLEE_ID),
            callee_type: call(CALLEE_TYPE),
            direction: sheet.col_of(direction),
            duration: call(CALL_DURATION),
            outcome: call(CALL_OUTCOME),
            status: sheet.col_of(status),
        }
    }
}

/// Every row of `calls.csv` or `emails.csv` is a contact, skipped or
/// rejected.
fn activities(
    sheet: &Sheet,
    activity: Activity,
    options: &ImportOptions,
    rec: &mut Recorder<'_>,
    known: &mut Known,
) -> Result<()> {
    rec.begin_file(&sheet.name, Some(RecordKind::Contact));
    rec.reserve(RecordKind::Contact, sheet.approximate_rows());
    let c = ActivityCols::of(sheet, activity);
    let created = created_cols(sheet);
    sheet.rows(|n, row| {
        known.note_created(row, &created, options.time_zone);
        match activity_fields(activity, &c, row, known, options) {
            Ok(fields) => rec.contact(n, &fields),
            Err(verdict) => verdict.record(rec, RecordKind::Contact, n, row.get(c.id)),
        }
        Ok(())
    })
}

/// The skip of an activity by its normalised status (`open_call`,
/// `failed_call`, `unsent_email`).
fn status_skip(activity: Activity, status: &str) -> std::result::Result<(), Verdict> {
    let reason = match activity {
        Activity::Call if OPEN_CALL.contains(&status) => Some("open_call"),
        Activity::Call if FAILED_CALL.contains(&status) => Some("failed_call"),
        Activity::Email if UNSENT_EMAIL.contains(&status) => Some("unsent_email"),
        _ => None,
    };
    reason.map_or(Ok(()), |r| Err(Verdict::Skip(r)))
}

/// The contact an activity is with: a call's callee when it is a contact
/// of the export, else the smallest associated ID that names one.
fn activity_prospect<'r>(c: &ActivityCols, row: &Row<'r>, known: &Known) -> Option<&'r str> {
    let callee = row.get(c.callee_id);
    let kind = row.get(c.callee_type);
    let is_contact = kind == "0-1" || normalised(kind) == "CONTACT";
    if is_contact && known.contacts.contains(callee) {
        return Some(callee);
    }
    known.smallest_contact(row.get(c.contact_ids))
}

/// An activity's channel, whether it is inbound, and its outcome (calls:
/// the outcome table; emails: a bounce is no answer).
fn activity_kind(
    activity: Activity,
    c: &ActivityCols,
    row: &Row<'_>,
    status: &str,
    options: &ImportOptions,
) -> (Channel, bool, Option<Outcome>) {
    let direction = normalised(row.get(c.direction));
    match activity {
        Activity::Call => (
            Channel::Phone,
            direction == "INBOUND",
            call_outcome(row.get(c.outcome), status, &options.disposition_rules),
        ),
        Activity::Email => (
            Channel::Email,
            direction == "INCOMING_EMAIL" || direction == "INCOMING",
            (status == "BOUNCED").then_some(Outcome::NoAnswer),
        ),
    }
}

/// The contact of a call or email row, or why there is none.
fn activity_fields<'a>(
    activity: Activity,
    c: &ActivityCols,
    row: &Row<'a>,
    known: &'a Known,
    options: &ImportOptions,
) -> std::result::Result<ContactFields<'a>, Verdict> {
    live(boolean(row.get(c.archived)))?;
    let status = normalised(row.get(c.status));
    status_skip(activity, &status)?;
    let prospect = activity_prospect(c, row, known).ok_or(Verdict::Skip("no_prospect"))?;
    let (id, occurred) = (row.get(c.id), row.get(c.occurred));
    let rep = known.owners.reference(row.get(c.owner));
    required(&[
        ("contact_id", id),
        ("rep_id", rep),
        ("occurred_at", occurred),
    ])?;
    let zone = options.time_zone;
    let occurred = time_of(occurred, cells::noon(), zone, "occurred_at")?;
    let logged = match present(row.get(c.created)) {
        None => None,
        Some(cell) => Some(time_of(cell, cells::noon(), zone, "logged_at")?.max(occurred)),
    };
    let duration_s =
        call_duration(row.get(c.duration)).map_err(|r| Verdict::Reject("duration_s", r))?;
    let (channel, inbound, outcome) = activity_kind(activity, c, row, &status, options);
    let mut fields = ContactFields::new(id, rep, prospect, from_micros(occurred), channel);
    if let Some(l) = logged {
        fields = fields.with_logged_at(from_micros(l));
    }
    if inbound {
        fields.direction = Direction::Inbound;
    }
    fields.duration_s = duration_s;
    fields.outcome = outcome;
    Ok(fields)
}

// ---------------------------------------------------------------------------
// Meetings.

/// The columns of `meetings.csv`.
struct MeetingCols {
    /// `archived`.
    archived: Col,
    /// `Record ID`.
    id: Col,
    /// The owner.
    owner: Col,
    /// Meeting start time.
    start: Col,
    /// Activity date (when there is no start time).
    activity: Col,
    /// Meeting outcome.
    outcome: Col,
    /// Associated contact IDs.
    contact_ids: Col,
}

/// Every row of `meetings.csv` is a meeting, skipped or rejected.
fn meetings(
    sheet: &Sheet,
    as_of: Option<i64>,
    zone: Tz,
    rec: &mut Recorder<'_>,
    known: &Known,
) -> Result<()> {
    rec.begin_file(&sheet.name, Some(RecordKind::Meeting));
    rec.reserve(RecordKind::Meeting, sheet.approximate_rows());
    let c = MeetingCols {
        archived: sheet.col_of(ARCHIVED),
        id: sheet.col_of(RECORD_ID),
        owner: sheet.col_of(ASSIGNED_TO),
        start: sheet.col_of(MEETING_START),
        activity: sheet.col_of(ACTIVITY_DATE),
        outcome: sheet.col_of(MEETING_OUTCOME),
        contact_ids: sheet.col_of(CONTACT_IDS),
    };
    sheet.rows(|n, row| {
        match meeting_fields(&c, row, known, as_of, zone) {
            Ok(fields) => rec.meeting(n, &fields),
            Err(verdict) => verdict.record(rec, RecordKind::Meeting, n, row.get(c.id)),
        }
        Ok(())
    })
}

/// The meeting of a row, or why there is none.
fn meeting_fields<'a>(
    c: &MeetingCols,
    row: &Row<'a>,
    known: &'a Known,
    as_of: Option<i64>,
    zone: Tz,
) -> std::result::Result<MeetingFields<'a>, Verdict> {
    live(boolean(row.get(c.archived)))?;
    let prospect = known
        .smallest_contact(row.get(c.contact_ids))
        .ok_or(Verdict::Skip("no_prospect"))?;
    let held_cell = present(row.get(c.start)).unwrap_or(row.get(c.activity));
    let held = instant(held_cell, cells::noon(), zone);
    if let (Some(h), Some(a)) = (held, as_of)
        && h > a
    {
        return Err(Verdict::Skip("future_event"));
    }
    let id = row.get(c.id);
    let rep = known.owners.reference(row.get(c.owner));
    required(&[("meeting_id", id), ("rep_id", rep), ("held_at", held_cell)])?;
    let held = held.ok_or(Verdict::Reject("held_at", Reason::BadTime))?;
    let mut fields = MeetingFields::new(id, rep, prospect, from_micros(held));
    fields.status = meeting_status(row.get(c.outcome));
    Ok(fields)
}

// ---------------------------------------------------------------------------
// Sales.

/// The columns of `deals.csv`.
struct DealCols {
    /// `archived`.
    archived: Col,
    /// `Record ID`.
    id: Col,
    /// Deal owner.
    owner: Col,
    /// Is Closed Won.
    is_closed_won: Col,
    /// Deal stage.
    stage: Col,
    /// Close date.
    close: Col,
    /// Amount.
    amount: Col,
    /// Currency.
    currency: Col,
    /// Associated contact IDs.
    contact_ids: Col,
}

/// Every row of `deals.csv` is a sale, skipped or rejected.
fn deals(
    sheet: &Sheet,
    options: &ImportOptions,
    rec: &mut Recorder<'_>,
    known: &mut Known,
) -> Result<()> {
    rec.begin_file(&sheet.name, Some(RecordKind::Sale));
    let c = DealCols {
        archived: sheet.col_of(ARCHIVED),
        id: sheet.col_of(RECORD_ID),
        owner: sheet.col_of(DEAL_OWNER),
        is_closed_won: sheet.col_of(IS_CLOSED_WON),
        stage: sheet.col_of(DEAL_STAGE),
        close: sheet.col_of(CLOSE_DATE),
        amount: sheet.col_of(AMOUNT),
        currency: sheet.col_of(CURRENCY),
        contact_ids: sheet.col_of(CONTACT_IDS),
    };
    let created = created_cols(sheet);
    sheet.rows(|n, row| {
        known.note_created(row, &created, options.time_zone);
        match sale_fields(&c, row, known, options) {
            Ok(fields) => rec.sale(n, &fields),
            Err(verdict) => verdict.record(rec, RecordKind::Sale, n, row.get(c.id)),
        }
        Ok(())
    })
}

/// Whether a deal is won: `Is Closed Won` when given, else its stage.
fn deal_won(c: &DealCols, row: &Row<'_>) -> std::result::Result<bool, Verdict> {
    match present(row.get(c.is_closed_won)) {
        Some(cell) => boolean(cell).map_err(|r| Verdict::Reject("hs_is_closed_won", r)),
        None => Ok(won_stage(row.get(c.stage))),
    }
}

/// The sale of a deal row, or why there is none.
fn sale_fields<'a>(
    c: &DealCols,
    row: &Row<'a>,
    known: &'a Known,
    options: &'a ImportOptions,
) -> std::result::Result<SaleFields<'a>, Verdict> {
    live(boolean(row.get(c.archived)))?;
    if !deal_won(c, row)? {
        return Err(Verdict::Skip("not_won"));
    }
    let listed = row.get(c.contact_ids);
    let prospect = known
        .smallest_contact(listed)
        .or_else(|| id_list(listed).min())
        .ok_or(Verdict::Skip("no_contact"))?;
    let (id, close) = (row.get(c.id), row.get(c.close));
    let rep = known.owners.reference(row.get(c.owner));
    required(&[("sale_id", id), ("rep_id", rep), ("closed_at", close)])?;
    let closed = time_of(close, cells::end_of_day(), options.time_zone, "closed_at")?;
    let currency = present(row.get(c.currency)).or(options.currency.as_deref());
    let amount_minor = match present(row.get(c.amount)) {
        None => None,
        Some(text) => Some(
            cells::amount(text, cells::currency_exponent(currency), '.', None)
                .map_err(|r| Verdict::Reject("amount_minor", r))?,
        ),
    };
    let mut fields = SaleFields::new(id, rep, prospect, from_micros(closed));
    fields.amount_minor = amount_minor;
    fields.currency = currency;
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// µs of an RFC 3339 instant.
    fn us(text: &str) -> i64 {
        cells::instant(text).unwrap()
    }

    #[test]
    fn enumerated_values_normalise() {
        assert_eq!(normalised("No show"), "NO_SHOW");
        assert_eq!(normalised("Incoming email"), "INCOMING_EMAIL");
        assert_eq!(normalised("in - progress"), "IN_PROGRESS");
        assert_eq!(normalised("NO_ANSWER"), "NO_ANSWER");
    }

    #[test]
    fn instants_in_every_hubspot_form() {
        let utc = Tz::UTC;
        let lisbon = chrono_tz::Europe::Lisbon;
        let t = us("2026-06-01T09:00:00Z");
        assert_eq!(
            instant("2026-06-01T09:00:00.000Z", cells::noon(), utc),
            Some(t)
        );
        assert_eq!(instant("2026-06-01 09:00", cells::noon(), utc), Some(t));
        assert_eq!(
            instant("2026-06-01 10:00:00", cells::noon(), lisbon),
            Some(t)
        );
        assert_eq!(instant("1780304400000", cells::noon(), lisbon), Some(t));
        assert_eq!(instant("178030440000", cells::noon(), utc), Some(t / 10));
        assert_eq!(
            instant("2026-06-01", cells::end_of_day(), utc),
            Some(us("2026-06-01T23:59:59Z"))
        );
        assert_eq!(
            instant("2026-06-01", cells::noon(), utc),
            Some(us("2026-06-01T12:00:00Z"))
        );
        for bad in [
            "2026-06-01 24:00",
            "2026-06-01 09:60",
            "2026-06-01T09:00",
            "17803044000",
            "01/06/2026",
            "",
        ] {
            assert_eq!(instant(bad, cells::noon(), utc), None, "{bad}");
        }
    }

    #[test]
    fn call_durations() {
        assert_eq!(call_duration(""), Ok(None));
        assert_eq!(call_duration("1499"), Ok(Some(1)));
        assert_eq!(call_duration("1500"), Ok(Some(2)));
        assert_eq!(call_duration("0"), Ok(Some(0)));
        assert_eq!(call_duration("1:02:03"), Ok(Some(3723)));
        assert_eq!(call_duration("75:09"), Ok(Some(4509)));
        assert_eq!(call_duration("-5000"), Err(Reason::NegativeNumber));
        assert_eq!(call_duration("-0:30"), Err(Reason::NegativeNumber));
        assert_eq!(call_duration("-0"), Ok(Some(0)));
        assert_eq!(call_duration("1:60"), Err(Reason::BadNumber));
        assert_eq!(call_duration("12.5"), Err(Reason::BadNumber));
        assert_eq!(call_duration("-"), Err(Reason::BadNumber));
        assert_eq!(
            call_duration("99999999999999999999"),
            Err(Reason::BadNumber)
        );
    }

    #[test]
    fn booleans_take_yes_and_no() {
        assert_eq!(boolean("Yes"), Ok(true));
        assert_eq!(boolean("NO"), Ok(false));
        assert_eq!(boolean("true"), Ok(true));
        assert_eq!(boolean(""), Ok(false));
        assert_eq!(boolean("maybe"), Err(Reason::UnknownEnum));
    }

    #[test]
    fn value_tables() {
        assert_eq!(source("Organic Search"), Some(Source::Inbound));
        assert_eq!(source("REFERRALS"), Some(Source::Inbound));
        assert_eq!(source("Offline Sources"), Some(Source::Other));
        assert_eq!(source("Trade show"), Some(Source::Other));
        assert_eq!(source(""), None);
        assert!(won_stage("Closed Won"));
        assert!(won_stage("closed_won"));
        assert!(!won_stage("closedlost"));
        assert_eq!(meeting_status("No show"), MeetingStatus::NoShow);
        assert_eq!(meeting_status("CANCELLED"), MeetingStatus::Cancelled);
        assert_eq!(meeting_status("Rescheduled"), MeetingStatus::Held);
        let rules = ImportOptions::default().disposition_rules;
        let outcome = |cell, status| call_outcome(cell, status, &rules);
        assert_eq!(outcome("connected", ""), Some(Outcome::Conversation));
        assert_eq!(
            outcome("17B47FEE-58DE-441E-A44C-C6300D46F273", ""),
            Some(Outcome::Other)
        );
        assert_eq!(outcome("Demo booked", ""), Some(Outcome::MeetingBooked));
        assert_eq!(outcome("", "MISSED"), Some(Outcome::NoAnswer));
        assert_eq!(outcome("", "COMPLETED"), None);
    }

    #[test]
    fn owners_resolve_by_id_user_email_then_unique_name() {
        let mut owners = Owners::default();
        owners.add("101", "9001", "ana@x.ro", Some("Ana Lima"));
        owners.add("102", "9002", "dan@x.ro", Some("Dan Pop"));
        owners.add("103", "9003", "DAN2@x.ro", Some("Dan Pop"));
        owners.add("", "9004", "ghost@x.ro", Some("Ghost"));
        assert_eq!(owners.resolve("101"), Some("101"));
        assert_eq!(owners.resolve("9002"), Some("102"));
        assert_eq!(owners.resolve("dan2@X.RO"), Some("103"));
        assert_eq!(owners.resolve("ana lima"), Some("101"));
        assert_eq!(owners.resolve("Dan Pop"), None);
        assert_eq!(owners.resolve("ghost@x.ro"), None);
        assert_eq!(owners.resolve(""), None);
        assert_eq!(owners.reference("Dan Pop"), "Dan Pop");
    }
}

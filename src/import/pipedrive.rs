//! Pipedrive exports (SPEC §12.3) exactly as `docs/import/pipedrive.md`
//! says: one CSV file per item type (`users.csv`, `persons.csv`,
//! `organizations.csv`, `activities.csv`, `deals.csv`), headers written
//! `<Entity> - <Field>`, bare, or as API field names.
//!
//! `activities.csv` feeds two record kinds (call and email activities are
//! contacts, meetings are meetings): the [`Recorder`] numbers its rows
//! within each kind, so every row is counted once on its summary line.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use chrono::NaiveTime;
use chrono_tz::Tz;
use hashbrown::{HashMap, HashSet};

use super::ImportOptions;
use super::cells::{self, Latest, present};
use super::outcome::Recorder;
use super::sheet::{Col, Row, Sheet};
use crate::error::{Error, Reason, Result};
use crate::ingest::{ContactFields, MeetingFields, ProspectFields, SaleFields};
use crate::model::{Channel, RecordKind, Rep, Source};
use crate::time::{from_micros, to_micros};

/// Row ID, in every file.
const ROW_ID: &[&str] = &["ID", "Pipedrive System ID", "id"];
/// A row's creation time (created_at of persons, logged_at of activities).
const ADD_TIME: &[&str] = &["Add time", "Creation date", "add_time"];
/// The creation time the as-of instant is taken from.
const AS_OF_TIME: &[&str] = &["Add time", "Creation date", "add_time", "created"];
/// False on rows deleted (API-built files).
const ACTIVE: &[&str] = &["active_flag"];
/// A user's or an organization's name; a person's full name.
const NAME: &[&str] = &["Name", "name"];
/// A user's e-mail (for resolving owner cells).
const USER_EMAIL: &[&str] = &["Email", "email"];
/// A person link (activities, deals).
const PERSON: &[&str] = &["Contact person", "Person", "person_id", "person_name"];
/// A person's first name.
const FIRST_NAME: &[&str] = &["First name", "first_name"];
/// A person's last name.
const LAST_NAME: &[&str] = &["Last name", "last_name"];
/// A person's organization link.
const ORGANIZATION: &[&str] = &["Organization", "Organization name", "org_name", "org_id"];
/// An organization's city.
const CITY: &[&str] = &[
    "Address - City/town/village/locality of Address",
    "address_locality",
];
/// An organization's country.
const COUNTRY: &[&str] = &["Address - Country of Address", "address_country"];
/// A person's source channel (free text).
const SOURCE_CHANNEL: &[&str] = &["Source channel", "source_channel"];
/// Who created a person.
const CREATOR: &[&str] = &["creator_user_id"];
/// A person's owner (only makes reps when there is no `users.csv`).
const PERSON_OWNER: &[&str] = &["Owner", "owner_id"];
/// An activity's type.
const TYPE: &[&str] = &["Type", "type"];
/// Whether an activity is done.
const DONE: &[&str] = &["Done", "done"];
/// The user an activity is assigned to.
const ASSIGNEE: &[&str] = &["Assigned to user", "user_id", "owner_id"];
/// An activity's due date.
const DUE_DATE: &[&str] = &["Due date", "due_date"];
/// An activity's due time.
const DUE_TIME: &[&str] = &["Due time", "due_time"];
/// When an activity was ticked done.
const DONE_TIME: &[&str] = &["Marked as done time", "marked_as_done_time"];
/// A call's length.
const DURATION: &[&str] = &["Duration", "duration"];
/// A deal's status.
const STATUS: &[&str] = &["Status", "status"];
/// A deal's owner.
const DEAL_OWNER: &[&str] = &["Owner", "user_id", "owner_id"];
/// When a deal was won.
const WON_TIME: &[&str] = &["Won time", "won_time"];
/// When a deal was closed (the fallback of `WON_TIME`).
const CLOSE_TIME: &[&str] = &["Closed on", "Close time", "close_time"];
/// A deal's value.
const VALUE: &[&str] = &["Value", "value"];
/// A deal's currency.
const CURRENCY: &[&str] = &["Currency", "Currency of value", "currency"];

/// What an activity of a type becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Activity {
    /// A contact through this channel.
    Contact(Channel),
    /// A meeting.
    Meeting,
}

impl Activity {
    /// The record kind the activity becomes.
    fn kind(self) -> RecordKind {
        match self {
            Activity::Contact(_) => RecordKind::Contact,
            Activity::Meeting => RecordKind::Meeting,
        }
    }
}

/// Activity type (label or `key_string`, ignoring case) → what it
/// becomes; any other type is skipped `other_activity_type`.
const ACTIVITY_TYPES: &[(&str, Activity)] = &[
    ("call", Activity::Contact(Channel::Phone)),
    ("email", Activity::Contact(Channel::Email)),
    ("meeting", Activity::Meeting),
];

/// `Source channel` keyword rules: the first rule one of whose words the
/// text contains (ignoring case) gives the source.
const SOURCE_RULES: &[(&[&str], Source)] = &[
    (&["referr", "partner"], Source::Referral),
    (
        &["event", "trade show", "conference", "seminar", "webinar"],
        Source::Event,
    ),
    (
        &["cold", "purchased", "list", "prospector"],
        Source::ColdList,
    ),
    (
        &[
            "web",
            "form",
            "chat",
            "inbound",
            "search",
            "ads",
            "social",
            "marketing",
            "messaging",
        ],
        Source::Inbound,
    ),
    (&["customer"], Source::ExistingCustomer),
];

/// Two ASCII digits as a number.
fn two_digits(text: &str) -> Option<u32> {
    let b = text.as_bytes();
    match b {
        [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => {
            Some(u32::from(a - b'0') * 10 + u32::from(b - b'0'))
        }
        _ => None,
    }
}

/// `HH:MM` or `HH:MM:SS`, two digits each, minutes and seconds below 60
/// (hours unchecked): `(hours, minutes, seconds)`.
fn clock_parts(text: &str) -> Option<(u32, u32, u32)> {
    let mut parts = text.split(':');
    let hours = two_digits(parts.next()?)?;
    let minutes = two_digits(parts.next()?)?;
    let seconds = parts.next().map_or(Some(0), two_digits)?;
    let valid = parts.next().is_none() && minutes < 60 && seconds < 60;
    valid.then_some((hours, minutes, seconds))
}

/// A time of day `HH:MM` or `HH:MM:SS` (hours 00–23).
fn time_of_day(text: &str) -> Option<NaiveTime> {
    let (h, m, s) = clock_parts(text)?;
    NaiveTime::from_hms_opt(h, m, s)
}

/// A duration `HH:MM` or `HH:MM:SS` in seconds.
fn duration_seconds(text: &str) -> Option<i64> {
    let (h, m, s) = clock_parts(text)?;
    Some(i64::from(h) * 3600 + i64::from(m) * 60 + i64::from(s))
}

/// A time cell (the doc's *Instants*): RFC 3339 (§12.1), else
/// `YYYY-MM-DD HH:MM[:SS]` local in `zone`, else a date at `date_time`.
fn instant(cell: &str, date_time: NaiveTime, zone: Tz) -> Option<i64> {
    if let Some(t) = cells::instant(cell) {
        return Some(t);
    }
    if let Some(day) = cells::date(cell) {
        return Some(cells::local(day, date_time, zone));
    }
    let (day, time) = cell.split_once(' ')?;
    Some(cells::local(cells::date(day)?, time_of_day(time)?, zone))
}

/// A time cell parsed: `None` when empty, `Some(None)` when not a time.
fn time_cell(cell: &str, date_time: NaiveTime, zone: Tz) -> Option<Option<i64>> {
    present(cell).map(|text| instant(text, date_time, zone))
}

/// `active_flag`: empty is active, else a boolean (§12.1).
fn active(cell: &str) -> std::result::Result<bool, Reason> {
    if cell.is_empty() {
        Ok(true)
    } else {
        cells::boolean(cell)
    }
}

/// `Done`: a boolean (§12.1, empty false) or `done` / `undone` / `not done`.
fn done(cell: &str) -> std::result::Result<bool, Reason> {
    let is = |text: &str| cell.eq_ignore_ascii_case(text);
    if is("done") {
        Ok(true)
    } else if is("undone") || is("not done") {
        Ok(false)
    } else {
        cells::boolean(cell)
    }
}

/// What an activity type becomes, if anything.
fn activity_type(cell: &str) -> Option<Activity> {
    let text = cell.trim();
    ACTIVITY_TYPES
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(text))
        .map(|&(_, activity)| activity)
}

/// `Source channel` → source by [`SOURCE_RULES`]; empty: absent; no
/// rule: other.
fn source_channel(text: &str) -> Option<Source> {
    if text.is_empty() {
        return None;
    }
    let rule = SOURCE_RULES
        .iter()
        .find(|(words, _)| words.iter().any(|w| cells::contains_ignoring_case(text, w)));
    Some(rule.map_or(Source::Other, |&(_, source)| source))
}

/// A country cell: two ASCII letters, upper-cased; else absent.
fn country_code(cell: &str) -> Option<String> {
    let letters = cell.len() == 2 && cell.bytes().all(|b| b.is_ascii_alphabetic());
    letters.then(|| cell.to_ascii_uppercase())
}

/// A currency cell: `Ok(None)` when empty, three ASCII letters
/// upper-cased, `Err` for any other text.
fn currency_code(cell: &str) -> std::result::Result<Option<String>, Reason> {
    if cell.is_empty() {
        return Ok(None);
    }
    if cell.len() == 3 && cell.bytes().all(|b| b.is_ascii_alphabetic()) {
        Ok(Some(cell.to_ascii_uppercase()))
    } else {
        Err(Reason::UnknownEnum)
    }
}

/// The first `,`-separated item of a multi-value cell, trimmed.
fn first_item(cell: &str) -> Option<&str> {
    present(cell.split(',').next().unwrap_or("").trim())
}

/// Why a row becomes no record before it is mapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// Skipped with this reason.
    Skip(&'static str),
    /// Rejected: the record kind, field and reason.
    Reject(RecordKind, &'static str, Reason),
}

impl Verdict {
    /// Records the verdict on row `n` (row ID `id`) of the current file.
    fn apply(self, rec: &mut Recorder<'_>, n: u64, id: &str) {
        match self {
            Verdict::Skip(reason) => rec.skip(n, id, reason),
            Verdict::Reject(kind, field, reason) => rec.reject(kind, n, id, field, reason),
        }
    }
}

/// The `deleted` rule of a row with an `active_flag` cell: `Err` skips
/// it or (a bad flag) rejects it as a row of `kind`.
fn deleted(cell: &str, kind: RecordKind) -> std::result::Result<(), Verdict> {
    match active(cell) {
        Ok(true) => Ok(()),
        Ok(false) => Err(Verdict::Skip("deleted")),
        Err(reason) => Err(Verdict::Reject(kind, "active_flag", reason)),
    }
}

/// A name matched by several rows is no match.
enum Named {
    /// The row ID of the only row with that name.
    One(String),
    /// Two rows or more.
    Many,
}

/// Notes that the row `id` has `key` (lower-cased) in `map`.
fn note_name(map: &mut HashMap<String, Named>, key: &str, id: &str) {
    let key = key.to_ascii_lowercase();
    match map.get_mut(&key) {
        Some(named) => *named = Named::Many,
        None => {
            map.insert(key, Named::One(id.to_owned()));
        }
    }
}

/// The row ID of the only row whose `key` equals `text`, ignoring case.
fn unique<'a>(map: &'a HashMap<String, Named>, text: &str) -> Option<&'a str> {
    match map.get(&text.to_ascii_lowercase()) {
        Some(Named::One(id)) => Some(id),
        _ => None,
    }
}

/// The reps owner cells resolve to.
#[derive(Default)]
struct Users {
    /// Every rep_id.
    ids: HashSet<String>,
    /// Lower-cased e-mail → its user.
    emails: HashMap<String, Named>,
    /// Lower-cased name → its user.
    names: HashMap<String, Named>,
}

impl Users {
    /// The rep_id an owner cell names (the doc's *User references*).
    fn resolve<'a>(&'a self, cell: &'a str) -> Option<&'a str> {
        let text = cell.trim();
        if text.is_empty() {
            return None;
        }
        if self.ids.contains(text) {
            return Some(text);
        }
        unique(&self.emails, text).or_else(|| unique(&self.names, text))
    }

    /// The rep an owner cell refers to: its rep_id, else the trimmed cell.
    fn reference<'a>(&'a self, cell: &'a str) -> &'a str {
        self.resolve(cell).unwrap_or(cell.trim())
    }
}

/// What a person cell refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PersonRef<'a> {
    /// Empty.
    Empty,
    /// This person's row ID.
    Matched(&'a str),
    /// A name of two or more persons.
    Ambiguous,
    /// No person: the trimmed cell.
    Unmatched(&'a str),
}

/// The persons a person cell may name (rows not skipped `deleted`).
#[derive(Default)]
struct Persons {
    /// Row IDs.
    ids: HashSet<String>,
    /// Lower-cased name → its person.
    names: HashMap<String, Named>,
}

impl Persons {
    /// Notes a person row not skipped `deleted`.
    fn add(&mut self, id: &str, name: Option<&str>) {
        if !id.is_empty() {
            self.ids.insert(id.to_owned());
        }
        if let Some(name) = name {
            note_name(&mut self.names, name, id);
        }
    }

    /// What `cell` refers to (the doc's *Person references*).
    fn find<'a>(&'a self, cell: &'a str) -> PersonRef<'a> {
        let text = cell.trim();
        if text.is_empty() {
            return PersonRef::Empty;
        }
        if self.ids.contains(text) {
            return PersonRef::Matched(text);
        }
        match self.names.get(&text.to_ascii_lowercase()) {
            Some(Named::One(id)) => PersonRef::Matched(id),
            Some(Named::Many) => PersonRef::Ambiguous,
            None => PersonRef::Unmatched(text),
        }
    }
}

/// An `organizations.csv` row, for its persons.
struct Organization {
    name: Option<String>,
    city: Option<String>,
    country: Option<String>,
}

/// Notes the creation time cell of a row (Pipedrive's time forms).
fn note_cell(latest: &mut Latest, cell: &str, zone: Tz) {
    latest.note(time_cell(cell, cells::noon(), zone).flatten());
}

/// An export file of one Pipedrive item type.
struct Item {
    sheet: Sheet,
    /// `<Entity>` of its `<Entity> - <Field>` headers.
    entity: &'static str,
    path: PathBuf,
}

impl Item {
    /// Reads `dir/file`; `None` when it does not exist.
    fn open(dir: &Path, file: &str, entity: &'static str) -> Result<Option<Item>> {
        let sheet = Sheet::open(dir, file, b',')?;
        Ok(sheet.map(|sheet| Item::of(dir, file, entity, sheet)))
    }

    /// Reads `dir/file`, which must exist.
    fn required(dir: &Path, file: &str, entity: &'static str) -> Result<Item> {
        let sheet = Sheet::required(dir, file, b',')?;
        Ok(Item::of(dir, file, entity, sheet))
    }

    /// The item file `dir/file` read as `sheet`.
    fn of(dir: &Path, file: &str, entity: &'static str, sheet: Sheet) -> Item {
        Item {
            sheet,
            entity,
            path: dir.join(file),
        }
    }

    /// The column of a field: the first of `headers`, each also accepted
    /// as `<Entity> - H`, that the file has.
    fn col(&self, headers: &[&str]) -> Col {
        for header in headers {
            for name in [Cow::Borrowed(*header), self.prefixed(header).into()] {
                let col = self.sheet.col(&name);
                if self.sheet.has(col) {
                    return col;
                }
            }
        }
        Col::NONE
    }

    /// `<Entity> - header`.
    fn prefixed(&self, header: &str) -> String {
        format!("{} - {header}", self.entity)
    }

    /// The column of a required field.
    fn required_col(&self, headers: &[&str]) -> Result<Col> {
        let col = self.col(headers);
        if self.sheet.has(col) {
            Ok(col)
        } else {
            Err(self.missing(headers))
        }
    }

    /// The error of a missing column (any one of `headers`).
    fn missing(&self, headers: &[&str]) -> Error {
        Error::MissingColumn {
            path: self.path.clone(),
            column: headers.join(" / "),
        }
    }

    /// The columns named `bare` (ignoring case) or `<Entity> - <field>`,
    /// or starting with `<Entity> - <field> - `, in column order.
    fn labelled_cols(&self, bare: &[&str], field: &str) -> Result<Vec<Col>> {
        let whole = self.prefixed(field);
        let labelled = format!("{whole} - ");
        let wanted = |h: &str| {
            bare.iter().any(|b| h.eq_ignore_ascii_case(b))
                || h.eq_ignore_ascii_case(&whole)
                || h.get(..labelled.len())
                    .is_some_and(|p| p.eq_ignore_ascii_case(&labelled))
        };
        let headers = self.header_names()?;
        Ok(headers
            .iter()
            .filter(|h| wanted(h))
            .map(|h| self.sheet.col(h))
            .collect())
    }

    /// The file's header names, trimmed, in column order.
    fn header_names(&self) -> Result<Vec<String>> {
        let malformed = |e: csv::Error| Error::Malformed {
            path: self.path.clone(),
            position: "header".to_owned(),
            message: e.to_string(),
        };
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_path(&self.path)
            .map_err(malformed)?;
        let headers = reader.headers().map_err(malformed)?;
        Ok(headers
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').trim().to_owned())
            .collect())
    }

    /// The rows of the file (1-based).
    fn rows(&self, f: impl FnMut(u64, &Row<'_>) -> Result<()>) -> Result<()> {
        self.sheet.rows(f)
    }
}

/// The files of an export, checked for the files and columns the doc
/// requires before anything is read.
struct Files {
    users: Option<Item>,
    persons: Item,
    organizations: Option<Item>,
    activities: Item,
    deals: Item,
}

impl Files {
    /// Opens and checks the export in `dir`.
    fn open(dir: &Path) -> Result<Files> {
        let files = Files {
            users: Item::open(dir, "users.csv", "User")?,
            persons: Item::required(dir, "persons.csv", "Person")?,
            organizations: Item::open(dir, "organizations.csv", "Organization")?,
            activities: Item::required(dir, "activities.csv", "Activity")?,
            deals: Item::required(dir, "deals.csv", "Deal")?,
        };
        files.check()?;
        Ok(files)
    }

    /// Every file present, in reading order.
    fn all(&self) -> impl Iterator<Item = &Item> {
        let optional = [&self.users, &self.organizations];
        let required = [&self.persons, &self.activities, &self.deals];
        optional.into_iter().flatten().chain(required)
    }

    /// The required columns.
    fn check(&self) -> Result<()> {
        for item in self.all() {
            item.required_col(ROW_ID)?;
        }
        for headers in [TYPE, DONE, ASSIGNEE, PERSON] {
            self.activities.required_col(headers)?;
        }
        for headers in [STATUS, DEAL_OWNER, PERSON] {
            self.deals.required_col(headers)?;
        }
        let deals = &self.deals;
        let closed = [deals.col(WON_TIME), deals.col(CLOSE_TIME)];
        if !closed.into_iter().any(|c| deals.sheet.has(c)) {
            return Err(deals.missing(&[WON_TIME, CLOSE_TIME].concat()));
        }
        Ok(())
    }
}

/// Imports a Pipedrive export folder into `rec`; returns the as-of
/// instant it used.
pub(super) fn import(
    dir: &Path,
    options: &ImportOptions,
    rec: &mut Recorder<'_>,
) -> Result<Option<i64>> {
    let files = Files::open(dir)?;
    let zone = options.time_zone;
    let mut latest = Latest::default();
    let users = match &files.users {
        Some(item) => users(item, zone, rec, &mut latest)?,
        None => owner_reps(&files, rec)?,
    };
    let organizations = match &files.organizations {
        Some(item) => organizations(item, zone, rec, &mut latest)?,
        None => HashMap::new(),
    };
    let known = Known {
        users,
        organizations,
        persons: Persons::default(),
    };
    let known = persons(&files.persons, zone, rec, known, &mut latest)?;
    deals(&files.deals, options, rec, &known, &mut latest)?;
    // Activities are read last: whether a meeting is in the future needs
    // the as-of instant, which every row of every file may move.
    let as_of = match options.as_of {
        Some(t) => Some(to_micros(t)),
        None => {
            note_created(&files.activities, zone, &mut latest)?;
            latest.get()
        }
    };
    activities(&files.activities, zone, as_of, rec, &known)?;
    Ok(as_of)
}

/// What later files look up in earlier ones.
struct Known {
    users: Users,
    organizations: HashMap<String, Organization>,
    persons: Persons,
}

/// Notes the creation time of every row of `item`.
fn note_created(item: &Item, zone: Tz, latest: &mut Latest) -> Result<()> {
    let col = item.col(AS_OF_TIME);
    item.rows(|_, row| {
        note_cell(latest, row.get(col), zone);
        Ok(())
    })
}

/// Every row of `users.csv` is a rep.
fn users(item: &Item, zone: Tz, rec: &mut Recorder<'_>, latest: &mut Latest) -> Result<Users> {
    rec.begin_file(&item.sheet.name, Some(RecordKind::Rep));
    let (id, name, email) = (item.col(ROW_ID), item.col(NAME), item.col(USER_EMAIL));
    let created = item.col(AS_OF_TIME);
    let mut users = Users::default();
    item.rows(|n, row| {
        note_cell(latest, row.get(created), zone);
        let rep_id = row.get(id);
        let name = present(row.get(name));
        if !rep_id.is_empty() {
            users.ids.insert(rep_id.to_owned());
        }
        if let Some(email) = present(row.get(email)) {
            note_name(&mut users.emails, email, rep_id);
        }
        if let Some(name) = name {
            note_name(&mut users.names, name, rep_id);
        }
        let rep = Rep {
            rep_id: rep_id.into(),
            name: name.map(str::to_owned),
            team_id: None,
            daily_contact_target: None,
        };
        rec.rep(n, rep);
        Ok(())
    })?;
    Ok(users)
}

/// Without `users.csv`: one rep per distinct owner text (before any file
/// is begun, so these reps have no summary line).
fn owner_reps(files: &Files, rec: &mut Recorder<'_>) -> Result<Users> {
    let owners: [(&Item, &[&[&str]]); 3] = [
        (&files.persons, &[PERSON_OWNER, CREATOR]),
        (&files.activities, &[ASSIGNEE]),
        (&files.deals, &[DEAL_OWNER]),
    ];
    let mut users = Users::default();
    let mut order = Vec::new();
    for (item, fields) in owners {
        let cols: Vec<Col> = fields.iter().map(|f| item.col(f)).collect();
        item.rows(|_, row| {
            for &col in &cols {
                let text = row.get(col).trim();
                if !text.is_empty() && users.ids.insert(text.to_owned()) {
                    order.push(text.to_owned());
                }
            }
            Ok(())
        })?;
    }
    for (n, rep_id) in (1u64..).zip(order) {
        let rep = Rep {
            name: Some(rep_id.clone()),
            ..Rep::new(rep_id)
        };
        rec.rep(n, rep);
    }
    Ok(users)
}

/// `organizations.csv`, a lookup file: names, cities and countries by
/// row ID (rows not deleted; the first row of an ID wins).
fn organizations(
    item: &Item,
    zone: Tz,
    rec: &mut Recorder<'_>,
    latest: &mut Latest,
) -> Result<HashMap<String, Organization>> {
    rec.begin_file(&item.sheet.name, None);
    let (id, flag, created) = (item.col(ROW_ID), item.col(ACTIVE), item.col(AS_OF_TIME));
    let (name, city, country) = (item.col(NAME), item.col(CITY), item.col(COUNTRY));
    let mut found = HashMap::new();
    item.rows(|n, row| {
        note_cell(latest, row.get(created), zone);
        let org = row.get(id);
        if let Err(verdict) = deleted(row.get(flag), RecordKind::Prospect) {
            verdict.apply(rec, n, org);
            return Ok(());
        }
        rec.used(n);
        if !org.is_empty() && !found.contains_key(org) {
            let organization = Organization {
                name: present(row.get(name)).map(str::to_owned),
                city: present(row.get(city)).map(str::to_owned),
                country: country_code(row.get(country)),
            };
            found.insert(org.to_owned(), organization);
        }
        Ok(())
    })?;
    Ok(found)
}

/// The columns of `persons.csv`.
struct PersonCols {
    id: Col,
    flag: Col,
    name: Col,
    first: Col,
    last: Col,
    organization: Col,
    emails: Vec<Col>,
    phones: Vec<Col>,
    source: Col,
    created: Col,
    as_of_time: Col,
    creator: Col,
}

impl PersonCols {
    /// The columns of `item`.
    fn of(item: &Item) -> Result<Self> {
        Ok(PersonCols {
            id: item.col(ROW_ID),
            flag: item.col(ACTIVE),
            name: item.col(NAME),
            first: item.col(FIRST_NAME),
            last: item.col(LAST_NAME),
            organization: item.col(ORGANIZATION),
            emails: item.labelled_cols(&["Email"], "Email")?,
            phones: item.labelled_cols(&["Phone"], "Phone")?,
            source: item.col(SOURCE_CHANNEL),
            created: item.col(ADD_TIME),
            as_of_time: item.col(AS_OF_TIME),
            creator: item.col(CREATOR),
        })
    }

    /// A person's name: `Name`, else the first and last names joined.
    fn name<'r>(&self, row: &'r Row<'_>) -> Option<Cow<'r, str>> {
        match present(row.get(self.name)) {
            Some(name) => Some(Cow::Borrowed(name)),
            None => cells::joined_name(&[row.get(self.first), row.get(self.last)]).map(Cow::Owned),
        }
    }

    /// The first item of the first non-empty cell among `cols`.
    fn first_of<'r>(row: &'r Row<'_>, cols: &[Col]) -> Option<&'r str> {
        let cell = cols.iter().map(|&c| row.get(c)).find(|c| !c.is_empty())?;
        first_item(cell)
    }
}

/// Every row of `persons.csv` is a prospect record (or skipped
/// `deleted`); returns `known` with the persons activities and deals
/// may name.
fn persons(
    item: &Item,
    zone: Tz,
    rec: &mut Recorder<'_>,
    mut known: Known,
    latest: &mut Latest,
) -> Result<Known> {
    rec.begin_file(&item.sheet.name, Some(RecordKind::Prospect));
    rec.reserve(RecordKind::Prospect, item.sheet.approximate_rows());
    let c = PersonCols::of(item)?;
    item.rows(|n, row| {
        note_cell(latest, row.get(c.as_of_time), zone);
        let id = row.get(c.id);
        let name = c.name(row);
        let verdict = deleted(row.get(c.flag), RecordKind::Prospect);
        if verdict != Err(Verdict::Skip("deleted")) {
            // A rejected person may still be named (and cascades).
            known.persons.add(id, name.as_deref());
        }
        match verdict {
            Ok(()) => person_row(rec, &known, &c, (n, row, zone), id, name.as_deref()),
            Err(verdict) => verdict.apply(rec, n, id),
        }
        Ok(())
    })?;
    Ok(known)
}

/// One person row (not deleted) as a prospect record: `(n, row, zone)`
/// are its row number, cells and the import time zone.
fn person_row(
    rec: &mut Recorder<'_>,
    known: &Known,
    c: &PersonCols,
    (n, row, zone): (u64, &Row<'_>, Tz),
    id: &str,
    name: Option<&str>,
) {
    let reject = |rec: &mut Recorder<'_>, field: &str, reason| {
        rec.reject(RecordKind::Prospect, n, id, field, reason);
    };
    if id.is_empty() {
        return reject(rec, "prospect_id", Reason::MissingField);
    }
    let created_at = time_cell(row.get(c.created), cells::noon(), zone);
    if created_at == Some(None) {
        return reject(rec, "created_at", Reason::BadTime);
    }
    let org_cell = row.get(c.organization);
    let org = known.organizations.get(org_cell.trim());
    let company = match org {
        Some(o) => o.name.as_deref(),
        None => present(org_cell),
    };
    let fields = ProspectFields {
        prospect_id: id,
        name,
        company,
        email: PersonCols::first_of(row, &c.emails),
        phone: PersonCols::first_of(row, &c.phones),
        city: org.and_then(|o| o.city.as_deref()),
        country: org.and_then(|o| o.country.as_deref()),
        source: source_channel(row.get(c.source)),
        created_by: known.users.resolve(row.get(c.creator)),
        ..ProspectFields::default()
    };
    let fields = match created_at.flatten() {
        Some(t) => fields.with_created_at(from_micros(t)),
        None => fields,
    };
    rec.prospect(n, &fields);
}

/// The columns of `deals.csv`.
struct DealCols {
    id: Col,
    status: Col,
    owner: Col,
    person: Col,
    won: Col,
    closed: Col,
    value: Col,
    currency: Col,
    created: Col,
}

impl DealCols {
    /// The columns of `item`.
    fn of(item: &Item) -> Self {
        DealCols {
            id: item.col(ROW_ID),
            status: item.col(STATUS),
            owner: item.col(DEAL_OWNER),
            person: item.col(PERSON),
            won: item.col(WON_TIME),
            closed: item.col(CLOSE_TIME),
            value: item.col(VALUE),
            currency: item.col(CURRENCY),
            created: item.col(AS_OF_TIME),
        }
    }
}

/// Rows of `deals.csv` with status won are sales.
fn deals(
    item: &Item,
    options: &ImportOptions,
    rec: &mut Recorder<'_>,
    known: &Known,
    latest: &mut Latest,
) -> Result<()> {
    rec.begin_file(&item.sheet.name, Some(RecordKind::Sale));
    let c = DealCols::of(item);
    item.rows(|n, row| {
        note_cell(latest, row.get(c.created), options.time_zone);
        let id = row.get(c.id);
        match deal_skips(&c, row, &known.persons) {
            Ok(person) => {
                let rep = known.users.reference(row.get(c.owner));
                deal_row(rec, options, &c, (n, row), [id, rep, person]);
            }
            Err(verdict) => verdict.apply(rec, n, id),
        }
        Ok(())
    })
}

/// The skip rules of a deal, in the doc's order: `Ok` with the person
/// reference of a deal to map (an unmatched one as its text).
fn deal_skips<'a>(
    c: &DealCols,
    row: &'a Row<'_>,
    persons: &'a Persons,
) -> std::result::Result<&'a str, Verdict> {
    let status = row.get(c.status).trim();
    if status.eq_ignore_ascii_case("deleted") {
        return Err(Verdict::Skip("deleted"));
    }
    if !status.eq_ignore_ascii_case("won") {
        return Err(Verdict::Skip("not_won"));
    }
    match persons.find(row.get(c.person)) {
        PersonRef::Empty => Err(Verdict::Skip("no_contact")),
        PersonRef::Ambiguous => Err(Verdict::Skip("ambiguous_prospect")),
        PersonRef::Matched(p) | PersonRef::Unmatched(p) => Ok(p),
    }
}

/// One won deal as a sale: `[id, rep, person]` are its sale_id, rep_id
/// and prospect_id.
fn deal_row(
    rec: &mut Recorder<'_>,
    options: &ImportOptions,
    c: &DealCols,
    (n, row): (u64, &Row<'_>),
    [id, rep, person]: [&str; 3],
) {
    let reject = |rec: &mut Recorder<'_>, field: &str, reason| {
        rec.reject(RecordKind::Sale, n, id, field, reason);
    };
    let closed_cell = present(row.get(c.won)).unwrap_or(row.get(c.closed));
    let required = [
        ("sale_id", id),
        ("rep_id", rep),
        ("prospect_id", person),
        ("closed_at", closed_cell),
    ];
    if let Some((field, _)) = required.into_iter().find(|(_, v)| v.is_empty()) {
        return reject(rec, field, Reason::MissingField);
    }
    let Some(closed) = instant(closed_cell, cells::end_of_day(), options.time_zone) else {
        return reject(rec, "closed_at", Reason::BadTime);
    };
    let code = currency_code(row.get(c.currency));
    let currency = match &code {
        Ok(Some(code)) => Some(code.as_str()),
        Ok(None) => options.currency.as_deref(),
        Err(_) => None,
    };
    let exponent = cells::currency_exponent(currency);
    let amount = present(row.get(c.value)).map(|v| cells::amount(v, exponent, '.', None));
    let amount_minor = match amount.transpose() {
        Ok(a) => a,
        Err(reason) => return reject(rec, "amount_minor", reason),
    };
    if let Err(reason) = code {
        return reject(rec, "currency", reason);
    }
    let mut fields = SaleFields::new(id, rep, person, from_micros(closed));
    fields.amount_minor = amount_minor;
    fields.currency = currency;
    rec.sale(n, &fields);
}

/// The columns of `activities.csv`.
struct ActivityCols {
    id: Col,
    flag: Col,
    kind: Col,
    done: Col,
    owner: Col,
    person: Col,
    due_date: Col,
    due_time: Col,
    done_time: Col,
    created: Col,
    duration: Col,
}

impl ActivityCols {
    /// The columns of `item`.
    fn of(item: &Item) -> Self {
        ActivityCols {
            id: item.col(ROW_ID),
            flag: item.col(ACTIVE),
            kind: item.col(TYPE),
            done: item.col(DONE),
            owner: item.col(ASSIGNEE),
            person: item.col(PERSON),
            due_date: item.col(DUE_DATE),
            due_time: item.col(DUE_TIME),
            done_time: item.col(DONE_TIME),
            created: item.col(ADD_TIME),
            duration: item.col(DURATION),
        }
    }
}

/// An activity row that passed every skip rule but `future_event`.
struct Done<'a> {
    n: u64,
    id: &'a str,
    rep: &'a str,
    person: &'a str,
}

/// Every row of `activities.csv`: call and email activities are contacts,
/// meetings are meetings (one file feeding two record kinds).
fn activities(
    item: &Item,
    zone: Tz,
    as_of: Option<i64>,
    rec: &mut Recorder<'_>,
    known: &Known,
) -> Result<()> {
    rec.begin_file_of(
        &item.sheet.name,
        &[RecordKind::Contact, RecordKind::Meeting],
    );
    rec.reserve(RecordKind::Contact, item.sheet.approximate_rows());
    let c = ActivityCols::of(item);
    item.rows(|n, row| {
        let id = row.get(c.id);
        let (activity, person) = match activity_skips(&c, row, &known.persons) {
            Ok(found) => found,
            Err(verdict) => {
                verdict.apply(rec, n, id);
                return Ok(());
            }
        };
        let done = Done {
            n,
            id,
            rep: known.users.reference(row.get(c.owner)),
            person,
        };
        match activity {
            Activity::Contact(channel) => contact_row(rec, &c, row, zone, &done, channel),
            Activity::Meeting => meeting_row(rec, &c, row, (zone, as_of), &done),
        }
        Ok(())
    })
}

/// The skip rules of an activity, in the doc's order, but `future_event`:
/// `Ok` with what it becomes and its person's row ID.
fn activity_skips<'a>(
    c: &ActivityCols,
    row: &'a Row<'_>,
    persons: &'a Persons,
) -> std::result::Result<(Activity, &'a str), Verdict> {
    let flag = row.get(c.flag);
    let Some(activity) = activity_type(row.get(c.kind)) else {
        // Another type becomes no record, whatever its flag says.
        if active(flag) == Ok(false) {
            return Err(Verdict::Skip("deleted"));
        }
        return Err(Verdict::Skip("other_activity_type"));
    };
    deleted(flag, activity.kind())?;
    match done(row.get(c.done)) {
        Ok(true) => {}
        Ok(false) => return Err(Verdict::Skip("open_task")),
        Err(reason) => return Err(Verdict::Reject(activity.kind(), "Done", reason)),
    }
    match persons.find(row.get(c.person)) {
        PersonRef::Matched(person) => Ok((activity, person)),
        PersonRef::Ambiguous => Err(Verdict::Skip("ambiguous_prospect")),
        PersonRef::Empty | PersonRef::Unmatched(_) => Err(Verdict::Skip("no_prospect")),
    }
}

/// When an activity happened (the doc's *Activity instant*); `Err` names
/// the field (`field`: occurred_at or held_at) and reason of a rejection.
fn activity_instant(
    c: &ActivityCols,
    row: &Row<'_>,
    zone: Tz,
    field: &'static str,
) -> std::result::Result<i64, (&'static str, Reason)> {
    let bad = (field, Reason::BadTime);
    // The done time, else the add time.
    let reference = || {
        let cell = present(row.get(c.done_time)).or_else(|| present(row.get(c.created)));
        cell.map(|text| instant(text, cells::noon(), zone).ok_or(bad))
            .transpose()
    };
    let Some(due) = present(row.get(c.due_date)) else {
        return reference()?.ok_or((field, Reason::MissingField));
    };
    let day = cells::date(due).ok_or(bad)?;
    if let Some(time) = present(row.get(c.due_time)) {
        return Ok(cells::local(day, time_of_day(time).ok_or(bad)?, zone));
    }
    match reference()? {
        Some(t) if cells::local_date(t, zone) == day => Ok(t),
        _ => Ok(cells::local(day, cells::noon(), zone)),
    }
}

/// The first required field of `ids` that is empty.
fn missing(ids: [(&'static str, &str); 3]) -> Option<&'static str> {
    ids.into_iter().find(|(_, v)| v.is_empty()).map(|(f, _)| f)
}

/// A done call or email activity as a contact.
fn contact_row(
    rec: &mut Recorder<'_>,
    c: &ActivityCols,
    row: &Row<'_>,
    zone: Tz,
    a: &Done<'_>,
    channel: Channel,
) {
    let reject = |rec: &mut Recorder<'_>, field: &str, reason| {
        rec.reject(RecordKind::Contact, a.n, a.id, field, reason);
    };
    let required = [
        ("contact_id", a.id),
        ("rep_id", a.rep),
        ("prospect_id", a.person),
    ];
    if let Some(field) = missing(required) {
        return reject(rec, field, Reason::MissingField);
    }
    let occurred = match activity_instant(c, row, zone, "occurred_at") {
        Ok(t) => t,
        Err((field, reason)) => return reject(rec, field, reason),
    };
    let logged = match time_cell(row.get(c.created), cells::noon(), zone) {
        None => None,
        Some(Some(t)) => Some(t.max(occurred)),
        Some(None) => return reject(rec, "logged_at", Reason::BadTime),
    };
    let duration = present(row.get(c.duration)).map(|d| duration_seconds(d).ok_or(()));
    let Ok(duration_s) = duration.transpose() else {
        return reject(rec, "duration_s", Reason::BadNumber);
    };
    let mut fields = ContactFields::new(a.id, a.rep, a.person, from_micros(occurred), channel);
    if let Some(l) = logged {
        fields = fields.with_logged_at(from_micros(l));
    }
    fields.duration_s = duration_s;
    rec.contact(a.n, &fields);
}

/// A done meeting activity as a meeting, unless it is after the as-of
/// instant: `(zone, as_of)` are the import time zone and that instant.
fn meeting_row(
    rec: &mut Recorder<'_>,
    c: &ActivityCols,
    row: &Row<'_>,
    (zone, as_of): (Tz, Option<i64>),
    a: &Done<'_>,
) {
    let held = activity_instant(c, row, zone, "held_at");
    if let (Ok(h), Some(limit)) = (&held, as_of)
        && *h > limit
    {
        return rec.skip(a.n, a.id, "future_event");
    }
    let reject = |rec: &mut Recorder<'_>, field: &str, reason| {
        rec.reject(RecordKind::Meeting, a.n, a.id, field, reason);
    };
    let required = [
        ("meeting_id", a.id),
        ("rep_id", a.rep),
        ("prospect_id", a.person),
    ];
    if let Some(field) = missing(required) {
        return reject(rec, field, Reason::MissingField);
    }
    match held {
        Ok(h) => rec.meeting(
            a.n,
            &MeetingFields::new(a.id, a.rep, a.person, from_micros(h)),
        ),
        Err((field, reason)) => reject(rec, field, reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> Option<i64> {
        cells::instant(text)
    }

    #[test]
    fn instants_take_three_forms() {
        let zone = Tz::UTC;
        let t = |cell: &str| instant(cell, cells::noon(), zone);
        assert_eq!(t("2026-06-01T09:00:00Z"), utc("2026-06-01T09:00:00Z"));
        assert_eq!(t("2026-06-01 09:00:00"), utc("2026-06-01T09:00:00Z"));
        assert_eq!(t("2026-06-01 09:00"), utc("2026-06-01T09:00:00Z"));
        assert_eq!(t("2026-06-01"), utc("2026-06-01T12:00:00Z"));
        for bad in [
            "12/31/2026",
            "45000",
            "2026-06-01 9:00",
            "2026-06-01 24:00",
            "",
        ] {
            assert_eq!(t(bad), None, "{bad}");
        }
    }

    #[test]
    fn local_times_in_gaps_and_overlaps() {
        let zone: Tz = "Europe/Bucharest".parse().unwrap_or(Tz::UTC);
        let t = |cell: &str| instant(cell, cells::noon(), zone);
        // 2026-03-29 03:00 → 04:00 local: 03:15 does not exist.
        assert_eq!(t("2026-03-29 03:15"), utc("2026-03-29T01:00:00Z"));
        // 2026-10-25 04:00 → 03:00 local: 03:30 happens twice.
        assert_eq!(t("2026-10-25 03:30"), utc("2026-10-25T00:30:00Z"));
    }

    #[test]
    fn clocks_and_durations() {
        assert_eq!(duration_seconds("01:02:03"), Some(3723));
        assert_eq!(duration_seconds("00:05"), Some(300));
        assert_eq!(duration_seconds("30:00"), Some(108_000));
        for bad in ["5", "0:05", "00:60", "00:05:60", "00:05:00:00", "-1:00"] {
            assert_eq!(duration_seconds(bad), None, "{bad}");
        }
        assert_eq!(time_of_day("24:00"), None);
    }

    #[test]
    fn done_and_active_cells() {
        assert_eq!(done("Done"), Ok(true));
        assert_eq!(done("not done"), Ok(false));
        assert_eq!(done(""), Ok(false));
        assert_eq!(done("maybe"), Err(Reason::UnknownEnum));
        assert_eq!(active(""), Ok(true));
        assert_eq!(active("false"), Ok(false));
    }

    #[test]
    fn source_channels_by_first_rule() {
        assert_eq!(source_channel("Partner referral"), Some(Source::Referral));
        assert_eq!(source_channel("Webinar"), Some(Source::Event));
        assert_eq!(source_channel("Prospector"), Some(Source::ColdList));
        assert_eq!(source_channel("Web forms"), Some(Source::Inbound));
        assert_eq!(
            source_channel("Existing customer"),
            Some(Source::ExistingCustomer)
        );
        assert_eq!(source_channel("Fax"), Some(Source::Other));
        assert_eq!(source_channel(""), None);
    }

    #[test]
    fn persons_by_id_then_unique_name() {
        let mut persons = Persons::default();
        persons.add("7", Some("Ana Lima"));
        persons.add("8", Some("Rui Sousa"));
        persons.add("9", Some("rui sousa"));
        assert_eq!(persons.find(" 7 "), PersonRef::Matched("7"));
        assert_eq!(persons.find("ANA LIMA"), PersonRef::Matched("7"));
        assert_eq!(persons.find("Rui Sousa"), PersonRef::Ambiguous);
        assert_eq!(persons.find("Eva"), PersonRef::Unmatched("Eva"));
        assert_eq!(persons.find("  "), PersonRef::Empty);
    }
}

//! Salesforce exports (Data Export service, Data Loader, Bulk API CSV)
//! exactly as SPEC §12.2 says: one file per object, named as the object.

use std::borrow::Cow;
use std::path::Path;

use chrono::NaiveTime;
use hashbrown::{HashMap, HashSet};

use super::ImportOptions;
use super::cells::{self, present};
use super::outcome::Recorder;
use super::sheet::{Col, Row, Sheet};
use crate::error::{Error, Reason, Result};
use crate::ingest::parse::parse_i64;
use crate::ingest::{ContactFields, MeetingFields, ProspectFields, SaleFields};
use crate::model::{Channel, Direction, Outcome, RecordKind, Rep, Source};

/// The 18-character form of a 15-character Salesforce id (the public
/// case-safe checksum suffix); ids of other lengths as they are.
pub(super) fn id18(id: &str) -> Cow<'_, str> {
    const SUFFIX: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
    if id.len() != 15 || !id.is_ascii() {
        return Cow::Borrowed(id);
    }
    let mut out = String::with_capacity(18);
    out.push_str(id);
    for chunk in id.as_bytes().chunks(5) {
        let bits = chunk
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_ascii_uppercase())
            .fold(0usize, |acc, (i, _)| acc | (1 << i));
        out.push(char::from(SUFFIX.get(bits).copied().unwrap_or(b'A')));
    }
    Cow::Owned(out)
}

/// `LeadSource` → source (SPEC §12.2), ignoring case.
fn lead_source(text: &str) -> Option<Source> {
    const TABLE: &[(&str, Source)] = &[
        ("Partner Referral", Source::Referral),
        ("Employee Referral", Source::Referral),
        ("External Referral", Source::Referral),
        ("Partner", Source::Referral),
        ("Word of mouth", Source::Referral),
        ("Purchased List", Source::ColdList),
        ("Web", Source::Inbound),
        ("Phone Inquiry", Source::Inbound),
        ("Advertisement", Source::Inbound),
        ("Public Relations", Source::Inbound),
        ("Trade Show", Source::Event),
        ("Seminar - Internal", Source::Event),
        ("Seminar - Partner", Source::Event),
    ];
    if text.is_empty() {
        return None;
    }
    let found = TABLE.iter().find(|(t, _)| t.eq_ignore_ascii_case(text));
    Some(found.map_or(Source::Other, |&(_, s)| s))
}

/// The contact's channel from `TaskSubtype`, else `Type`.
fn channel(subtype: &str, kind: &str) -> Channel {
    let is = |cell: &str, text: &str| cell.eq_ignore_ascii_case(text);
    if is(subtype, "Call") {
        Channel::Phone
    } else if is(subtype, "Email") || is(subtype, "ListEmail") {
        Channel::Email
    } else if is(subtype, "LinkedIn") {
        Channel::Internet
    } else if is(kind, "Call") {
        Channel::Phone
    } else if is(kind, "Email") {
        Channel::Email
    } else if is(kind, "Meeting") {
        Channel::InPerson
    } else {
        Channel::Other
    }
}

/// The outcome of a free-text call disposition by the first rule whose
/// text it contains (ignoring case); no rule: `other`; empty: absent.
pub(super) fn disposition(text: &str, rules: &[(String, Outcome)]) -> Option<Outcome> {
    if text.is_empty() {
        return None;
    }
    let rule = rules
        .iter()
        .find(|(needle, _)| cells::contains_ignoring_case(text, needle));
    Some(rule.map_or(Outcome::Other, |&(_, o)| o))
}

/// What later files look up in earlier ones.
#[derive(Default)]
struct Known {
    /// Lead and Contact ids of rows not deleted.
    prospects: HashSet<String>,
    /// Account names by id (rows not deleted).
    accounts: HashMap<String, String>,
    /// Per opportunity: its primary role's contact, and the smallest.
    roles: HashMap<String, Roles>,
    /// The latest valid `CreatedDate` of any row.
    latest_created: Option<i64>,
}

#[derive(Default)]
struct Roles {
    primary: Option<String>,
    smallest: Option<String>,
}

impl Known {
    /// Notes a row's `CreatedDate` for the as-of instant.
    fn created(&mut self, cell: &str) {
        self.created_at(cells::instant(cell));
    }

    /// Notes a row's parsed `CreatedDate`, if valid.
    fn created_at(&mut self, t: Option<i64>) {
        if let Some(t) = t {
            self.latest_created = Some(self.latest_created.map_or(t, |l| l.max(t)));
        }
    }
}

/// The files of an export, checked for the files and columns SPEC §12.2
/// requires before anything is read.
struct Files {
    user: Sheet,
    lead: Option<Sheet>,
    contact: Option<Sheet>,
    account: Option<Sheet>,
    task: Sheet,
    event: Sheet,
    opportunity: Sheet,
    roles: Option<Sheet>,
}

impl Files {
    fn open(dir: &Path) -> Result<Files> {
        let f = Files {
            user: Sheet::required(dir, "User.csv", b',')?,
            lead: Sheet::open(dir, "Lead.csv", b',')?,
            contact: Sheet::open(dir, "Contact.csv", b',')?,
            account: Sheet::open(dir, "Account.csv", b',')?,
            task: Sheet::required(dir, "Task.csv", b',')?,
            event: Sheet::required(dir, "Event.csv", b',')?,
            opportunity: Sheet::required(dir, "Opportunity.csv", b',')?,
            roles: Sheet::open(dir, "OpportunityContactRole.csv", b',')?,
        };
        if f.lead.is_none() && f.contact.is_none() {
            return Err(Error::Io {
                path: dir.join("Lead.csv"),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "an export needs Lead.csv or Contact.csv",
                ),
            });
        }
        let optional = [&f.lead, &f.contact, &f.account, &f.roles];
        for sheet in [&f.user, &f.task, &f.event, &f.opportunity]
            .into_iter()
            .chain(optional.into_iter().flatten())
        {
            sheet.required_col("Id")?;
        }
        for sheet in [&f.task, &f.event] {
            sheet.required_col("OwnerId")?;
            sheet.required_col("WhoId")?;
        }
        f.task.required_col("CreatedDate")?;
        if !f
            .event
            .has(f.event.col_of(&["StartDateTime", "ActivityDateTime"]))
        {
            f.event.required_col("StartDateTime")?;
        }
        for column in ["OwnerId", "IsWon", "CloseDate"] {
            f.opportunity.required_col(column)?;
        }
        if let Some(roles) = &f.roles {
            roles.required_col("OpportunityId")?;
            roles.required_col("ContactId")?;
        }
        Ok(f)
    }
}

/// Imports a Salesforce export folder into `rec`; returns the as-of
/// instant it used.
pub(super) fn import(
    dir: &Path,
    options: &ImportOptions,
    rec: &mut Recorder<'_>,
) -> Result<Option<i64>> {
    let files = Files::open(dir)?;
    let mut known = Known::default();
    users(&files.user, rec, &mut known)?;
    if let Some(sheet) = &files.account {
        accounts(sheet, rec, &mut known)?;
    }
    if let Some(sheet) = &files.lead {
        prospects(sheet, Origin::Lead, rec, &mut known)?;
    }
    if let Some(sheet) = &files.contact {
        prospects(sheet, Origin::Contact, rec, &mut known)?;
    }
    if let Some(sheet) = &files.roles {
        roles(sheet, rec, &mut known)?;
    }
    opportunities(&files.opportunity, options, rec, &mut known)?;
    tasks(&files.task, options, rec, &mut known)?;
    // Events are read last: whether one is in the future needs the as-of
    // instant, which every row of every file (Event.csv's own included)
    // may move.
    files.event.rows(|_, row| {
        known.created(row.get(files.event.col("CreatedDate")));
        Ok(())
    })?;
    let as_of = options
        .as_of
        .map(crate::time::to_micros)
        .or(known.latest_created);
    events(&files.event, as_of, rec, &known)?;
    Ok(as_of)
}

/// Whether the row is deleted: `Ok(true)` skips it (`deleted`), `Err`
/// has rejected it (a bad boolean).
fn deleted(
    sheet: &Sheet,
    rec: &mut Recorder<'_>,
    kind: RecordKind,
    n: u64,
    row: &Row<'_>,
    id: &str,
) -> std::result::Result<bool, ()> {
    match cells::boolean(row.get(sheet.col("IsDeleted"))) {
        Ok(true) => {
            rec.skip(n, id, "deleted");
            Ok(true)
        }
        Ok(false) => Ok(false),
        Err(reason) => {
            rec.reject(kind, n, id, "IsDeleted", reason);
            Err(())
        }
    }
}

fn users(sheet: &Sheet, rec: &mut Recorder<'_>, known: &mut Known) -> Result<()> {
    rec.begin_file(&sheet.name, Some(RecordKind::Rep));
    let (id, name, first, last, role, created) = (
        sheet.col("Id"),
        sheet.col("Name"),
        sheet.col("FirstName"),
        sheet.col("LastName"),
        sheet.col("UserRoleId"),
        sheet.col("CreatedDate"),
    );
    sheet.rows(|n, row| {
        known.created(row.get(created));
        let rep_id = id18(row.get(id));
        if deleted(sheet, rec, RecordKind::Rep, n, row, &rep_id) != Ok(false) {
            return Ok(());
        }
        let name = present(row.get(name))
            .map(str::to_owned)
            .or_else(|| cells::joined_name(&[row.get(first), row.get(last)]));
        let rep = Rep {
            rep_id: rep_id.as_ref().into(),
            name,
            team_id: present(row.get(role)).map(|r| id18(r).as_ref().into()),
            daily_contact_target: None,
        };
        rec.rep(n, rep);
        Ok(())
    })
}

fn accounts(sheet: &Sheet, rec: &mut Recorder<'_>, known: &mut Known) -> Result<()> {
    rec.begin_file(&sheet.name, None);
    let (id, name, created) = (sheet.col("Id"), sheet.col("Name"), sheet.col("CreatedDate"));
    sheet.rows(|n, row| {
        known.created(row.get(created));
        let account = id18(row.get(id));
        if deleted(sheet, rec, RecordKind::Prospect, n, row, &account) != Ok(false) {
            return Ok(());
        }
        rec.used(n);
        if let Some(name) = present(row.get(name)) {
            known.accounts.insert(account.into_owned(), name.to_owned());
        }
        Ok(())
    })
}

/// Which object a prospect record comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    Lead,
    Contact,
}

/// The columns of a Lead or Contact file.
struct ProspectCols {
    id: Col,
    first: Col,
    last: Col,
    company: Col,
    account: Col,
    email: Col,
    phone: Col,
    mobile: Col,
    city: Col,
    country_code: Col,
    country: Col,
    source: Col,
    created: Col,
    created_by: Col,
    converted: Col,
    converted_contact: Col,
}

impl ProspectCols {
    fn of(sheet: &Sheet, origin: Origin) -> Self {
        let lead = origin == Origin::Lead;
        let pick = |lead_name: &str, contact_name: &str| {
            sheet.col(if lead { lead_name } else { contact_name })
        };
        ProspectCols {
            id: sheet.col("Id"),
            first: sheet.col("FirstName"),
            last: sheet.col("LastName"),
            company: pick("Company", "-"),
            account: pick("-", "AccountId"),
            email: sheet.col("Email"),
            phone: sheet.col("Phone"),
            mobile: sheet.col("MobilePhone"),
            city: pick("City", "MailingCity"),
            country_code: pick("CountryCode", "MailingCountryCode"),
            country: pick("Country", "MailingCountry"),
            source: sheet.col("LeadSource"),
            created: sheet.col("CreatedDate"),
            created_by: sheet.col("CreatedById"),
            converted: pick("IsConverted", "-"),
            converted_contact: pick("ConvertedContactId", "-"),
        }
    }
}

fn prospects(
    sheet: &Sheet,
    origin: Origin,
    rec: &mut Recorder<'_>,
    known: &mut Known,
) -> Result<()> {
    rec.begin_file(&sheet.name, Some(RecordKind::Prospect));
    rec.reserve(RecordKind::Prospect, sheet.approximate_rows());
    let c = ProspectCols::of(sheet, origin);
    sheet.rows(|n, row| {
        known.created(row.get(c.created));
        let id = id18(row.get(c.id));
        if deleted(sheet, rec, RecordKind::Prospect, n, row, &id) != Ok(false) {
            return Ok(());
        }
        if !id.is_empty() {
            known.prospects.insert(id.as_ref().to_owned());
        }
        prospect_row(rec, known, &c, n, row, &id);
        Ok(())
    })
}

/// One Lead or Contact row (not deleted) as a prospect record.
fn prospect_row(
    rec: &mut Recorder<'_>,
    known: &Known,
    c: &ProspectCols,
    n: u64,
    row: &Row<'_>,
    id: &str,
) {
    let reject = |rec: &mut Recorder<'_>, field: &str, reason| {
        rec.reject(RecordKind::Prospect, n, id, field, reason);
    };
    if id.is_empty() {
        return reject(rec, "prospect_id", Reason::MissingField);
    }
    let created_at = present(row.get(c.created)).map(cells::instant);
    if created_at == Some(None) {
        return reject(rec, "created_at", Reason::BadTime);
    }
    let converted = match cells::boolean(row.get(c.converted)) {
        Ok(v) => v,
        Err(reason) => return reject(rec, "IsConverted", reason),
    };
    let name = cells::joined_name(&[row.get(c.first), row.get(c.last)]);
    let account = id18(row.get(c.account));
    let company = present(row.get(c.company))
        .or_else(|| known.accounts.get(account.as_ref()).map(String::as_str));
    let code = row.get(c.country_code);
    let text = row.get(c.country);
    let country = present(code).or_else(|| {
        (text.len() == 2 && text.bytes().all(|b| b.is_ascii_alphabetic())).then_some(text)
    });
    let created_by = present(row.get(c.created_by)).map(id18);
    let fields = ProspectFields {
        prospect_id: id,
        name: name.as_deref(),
        company,
        email: present(row.get(c.email)),
        phone: present(row.get(c.phone)).or_else(|| present(row.get(c.mobile))),
        city: present(row.get(c.city)),
        country,
        source: lead_source(row.get(c.source)),
        created_by: created_by.as_deref(),
        ..ProspectFields::default()
    };
    let fields = match created_at.flatten() {
        Some(t) => fields.with_created_at(crate::time::from_micros(t)),
        None => fields,
    };
    rec.prospect(n, &fields);
    let converted_to = id18(row.get(c.converted_contact));
    if converted && !converted_to.is_empty() {
        rec.link(id, &converted_to);
    }
}

fn roles(sheet: &Sheet, rec: &mut Recorder<'_>, known: &mut Known) -> Result<()> {
    rec.begin_file(&sheet.name, None);
    let (id, opportunity, contact, primary, created) = (
        sheet.col("Id"),
        sheet.col("OpportunityId"),
        sheet.col("ContactId"),
        sheet.col("IsPrimary"),
        sheet.col("CreatedDate"),
    );
    sheet.rows(|n, row| {
        known.created(row.get(created));
        let role = id18(row.get(id));
        if deleted(sheet, rec, RecordKind::Sale, n, row, &role) != Ok(false) {
            return Ok(());
        }
        let is_primary = match cells::boolean(row.get(primary)) {
            Ok(v) => v,
            Err(reason) => {
                rec.reject(RecordKind::Sale, n, &role, "IsPrimary", reason);
                return Ok(());
            }
        };
        rec.used(n);
        let contact = id18(row.get(contact));
        if contact.is_empty() {
            return Ok(());
        }
        let roles = known
            .roles
            .entry(id18(row.get(opportunity)).into_owned())
            .or_default();
        if is_primary && roles.primary.is_none() {
            roles.primary = Some(contact.as_ref().to_owned());
        }
        if roles
            .smallest
            .as_deref()
            .is_none_or(|s| contact.as_ref() < s)
        {
            roles.smallest = Some(contact.into_owned());
        }
        Ok(())
    })
}

fn opportunities(
    sheet: &Sheet,
    options: &ImportOptions,
    rec: &mut Recorder<'_>,
    known: &mut Known,
) -> Result<()> {
    rec.begin_file(&sheet.name, Some(RecordKind::Sale));
    let (id, owner, won, close, amount, currency, contact, created) = (
        sheet.col("Id"),
        sheet.col("OwnerId"),
        sheet.col("IsWon"),
        sheet.col("CloseDate"),
        sheet.col("Amount"),
        sheet.col("CurrencyIsoCode"),
        sheet.col("ContactId"),
        sheet.col("CreatedDate"),
    );
    let end_of_day = NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default();
    sheet.rows(|n, row| {
        known.created(row.get(created));
        let sale_id = id18(row.get(id));
        if deleted(sheet, rec, RecordKind::Sale, n, row, &sale_id) != Ok(false) {
            return Ok(());
        }
        match cells::boolean(row.get(won)) {
            Ok(true) => {}
            Ok(false) => {
                rec.skip(n, &sale_id, "not_won");
                return Ok(());
            }
            Err(reason) => {
                rec.reject(RecordKind::Sale, n, &sale_id, "IsWon", reason);
                return Ok(());
            }
        }
        let own = id18(row.get(contact));
        let roles = known.roles.get(id18(row.get(id)).as_ref());
        let found = present(&own).or_else(|| {
            let r = roles?;
            r.primary.as_deref().or(r.smallest.as_deref())
        });
        let Some(prospect) = found else {
            rec.skip(n, &sale_id, "no_contact");
            return Ok(());
        };
        let rep = id18(row.get(owner));
        let code = present(row.get(currency)).or(options.currency.as_deref());
        let reject = |rec: &mut Recorder<'_>, field: &str, reason| {
            rec.reject(RecordKind::Sale, n, &sale_id, field, reason);
        };
        let close_cell = row.get(close);
        if sale_id.is_empty() || rep.is_empty() || close_cell.is_empty() {
            let field = if sale_id.is_empty() {
                "sale_id"
            } else if rep.is_empty() {
                "rep_id"
            } else {
                "closed_at"
            };
            reject(rec, field, Reason::MissingField);
            return Ok(());
        }
        let closed = match cells::date(close_cell) {
            Some(day) => Some(cells::local(day, end_of_day, options.time_zone)),
            None => cells::instant(close_cell),
        };
        let Some(closed) = closed else {
            reject(rec, "closed_at", Reason::BadTime);
            return Ok(());
        };
        let amount_minor = match present(row.get(amount)) {
            None => None,
            Some(text) => match cells::amount(text, cells::currency_exponent(code), '.', None) {
                Ok(a) => Some(a),
                Err(reason) => {
                    reject(rec, "amount_minor", reason);
                    return Ok(());
                }
            },
        };
        let mut fields =
            SaleFields::new(&sale_id, &rep, prospect, crate::time::from_micros(closed));
        fields.amount_minor = amount_minor;
        fields.currency = code;
        rec.sale(n, &fields);
        Ok(())
    })
}

/// The columns of `Task.csv`.
struct TaskCols {
    id: Col,
    owner: Col,
    who: Col,
    status: Col,
    closed: Col,
    created: Col,
    completed: Col,
    activity: Col,
    subtype: Col,
    kind: Col,
    call_type: Col,
    duration: Col,
    disposition: Col,
}

impl TaskCols {
    fn of(sheet: &Sheet) -> Self {
        TaskCols {
            id: sheet.col("Id"),
            owner: sheet.col("OwnerId"),
            who: sheet.col("WhoId"),
            status: sheet.col("Status"),
            closed: sheet.col("IsClosed"),
            created: sheet.col("CreatedDate"),
            completed: sheet.col("CompletedDateTime"),
            activity: sheet.col("ActivityDate"),
            subtype: sheet.col("TaskSubtype"),
            kind: sheet.col("Type"),
            call_type: sheet.col("CallType"),
            duration: sheet.col("CallDurationInSeconds"),
            disposition: sheet.col("CallDisposition"),
        }
    }
}

fn tasks(
    sheet: &Sheet,
    options: &ImportOptions,
    rec: &mut Recorder<'_>,
    known: &mut Known,
) -> Result<()> {
    rec.begin_file(&sheet.name, Some(RecordKind::Contact));
    rec.reserve(RecordKind::Contact, sheet.approximate_rows());
    let c = TaskCols::of(sheet);
    let status_known = sheet.has(c.status) || sheet.has(c.closed);
    sheet.rows(|n, row| {
        // Parsed once: the as-of instant, occurred_at and logged_at read it.
        let created = present(row.get(c.created)).map(cells::instant);
        known.created_at(created.flatten());
        let id = id18(row.get(c.id));
        if deleted(sheet, rec, RecordKind::Contact, n, row, &id) != Ok(false) {
            return Ok(());
        }
        let closed = match cells::boolean(row.get(c.closed)) {
            Ok(v) => v,
            Err(reason) => {
                rec.reject(RecordKind::Contact, n, &id, "IsClosed", reason);
                return Ok(());
            }
        };
        let completed =
            !status_known || closed || row.get(c.status).eq_ignore_ascii_case("Completed");
        if !completed {
            rec.skip(n, &id, "open_task");
            return Ok(());
        }
        let who = id18(row.get(c.who));
        if who.is_empty() || !known.prospects.contains(who.as_ref()) {
            rec.skip(n, &id, "no_prospect");
            return Ok(());
        }
        task_row(rec, options, &c, (n, row, created), &id, &who);
        Ok(())
    })
}

/// When a task's contact happened (SPEC §12.2): `Err` names the field
/// and reason of a rejection.
/// `created` is the `CreatedDate` cell parsed (`None`: empty; `Some(None)`:
/// not an instant).
fn task_times(
    c: &TaskCols,
    row: &Row<'_>,
    created: Option<Option<i64>>,
    zone: chrono_tz::Tz,
) -> std::result::Result<(i64, Option<i64>), (&'static str, Reason)> {
    let parsed = |cell: &str, field| match present(cell) {
        None => Ok(None),
        Some(text) => cells::instant(text)
            .map(Some)
            .ok_or((field, Reason::BadTime)),
    };
    let completed = parsed(row.get(c.completed), "occurred_at");
    let created_as = |field| match created {
        Some(None) => Err((field, Reason::BadTime)),
        Some(t) => Ok(t),
        None => Ok(None),
    };
    let activity = match present(row.get(c.activity)) {
        None => None,
        Some(text) => Some(cells::date(text).ok_or(("occurred_at", Reason::BadTime))?),
    };
    let completed = completed?;
    // CreatedDate stands in for occurred_at when CompletedDateTime is
    // absent; a bad one is then a bad occurred_at, else a bad logged_at.
    let created_field = if completed.is_none() {
        "occurred_at"
    } else {
        "logged_at"
    };
    let reference = completed.or(created_as(created_field)?);
    let occurred = match (activity, reference) {
        (Some(day), Some(r)) if cells::local_date(r, zone) != day => {
            let noon = NaiveTime::from_hms_opt(12, 0, 0).unwrap_or_default();
            Some(cells::local(day, noon, zone))
        }
        _ => reference,
    };
    let Some(occurred) = occurred else {
        return Err(("occurred_at", Reason::MissingField));
    };
    let created = created_as("logged_at")?;
    Ok((occurred, created.map(|t| t.max(occurred))))
}

/// One task that is a contact: `(n, row, created)` is its row number,
/// cells and parsed `CreatedDate`.
fn task_row(
    rec: &mut Recorder<'_>,
    options: &ImportOptions,
    c: &TaskCols,
    (n, row, created): (u64, &Row<'_>, Option<Option<i64>>),
    id: &str,
    who: &str,
) {
    let owner = id18(row.get(c.owner));
    let reject = |rec: &mut Recorder<'_>, field: &str, reason| {
        rec.reject(RecordKind::Contact, n, id, field, reason);
    };
    let missing = [("contact_id", id), ("rep_id", owner.as_ref())]
        .into_iter()
        .find(|(_, v)| v.is_empty());
    if let Some((field, _)) = missing {
        return reject(rec, field, Reason::MissingField);
    }
    let (occurred, logged) = match task_times(c, row, created, options.time_zone) {
        Ok(t) => t,
        Err((field, reason)) => return reject(rec, field, reason),
    };
    let duration_s = match present(row.get(c.duration)) {
        None => None,
        Some(text) => match parse_i64(text) {
            Some(d) => Some(d),
            None => return reject(rec, "duration_s", Reason::BadNumber),
        },
    };
    let mut fields = ContactFields::new(
        id,
        &owner,
        who,
        crate::time::from_micros(occurred),
        channel(row.get(c.subtype), row.get(c.kind)),
    );
    if let Some(l) = logged {
        fields = fields.with_logged_at(crate::time::from_micros(l));
    }
    if row.get(c.call_type).eq_ignore_ascii_case("Inbound") {
        fields.direction = Direction::Inbound;
    }
    fields.duration_s = duration_s;
    fields.outcome = disposition(row.get(c.disposition), &options.disposition_rules);
    rec.contact(n, &fields);
}

fn events(sheet: &Sheet, as_of: Option<i64>, rec: &mut Recorder<'_>, known: &Known) -> Result<()> {
    rec.begin_file(&sheet.name, Some(RecordKind::Meeting));
    rec.reserve(RecordKind::Meeting, sheet.approximate_rows());
    let (id, owner, who) = (sheet.col("Id"), sheet.col("OwnerId"), sheet.col("WhoId"));
    let (start, activity) = (sheet.col("StartDateTime"), sheet.col("ActivityDateTime"));
    sheet.rows(|n, row| {
        let meeting_id = id18(row.get(id));
        if deleted(sheet, rec, RecordKind::Meeting, n, row, &meeting_id) != Ok(false) {
            return Ok(());
        }
        let who = id18(row.get(who));
        if who.is_empty() || !known.prospects.contains(who.as_ref()) {
            rec.skip(n, &meeting_id, "no_prospect");
            return Ok(());
        }
        let held_cell = present(row.get(start)).unwrap_or(row.get(activity));
        let held = cells::instant(held_cell);
        if let (Some(h), Some(a)) = (held, as_of)
            && h > a
        {
            rec.skip(n, &meeting_id, "future_event");
            return Ok(());
        }
        let rep = id18(row.get(owner));
        let reject = |rec: &mut Recorder<'_>, field: &str, reason| {
            rec.reject(RecordKind::Meeting, n, &meeting_id, field, reason);
        };
        let missing = [
            ("meeting_id", meeting_id.as_ref()),
            ("rep_id", rep.as_ref()),
            ("held_at", held_cell),
        ]
        .into_iter()
        .find(|(_, v)| v.is_empty());
        if let Some((field, _)) = missing {
            reject(rec, field, Reason::MissingField);
            return Ok(());
        }
        let Some(held) = held else {
            reject(rec, "held_at", Reason::BadTime);
            return Ok(());
        };
        let fields = MeetingFields::new(&meeting_id, &rep, &who, crate::time::from_micros(held));
        rec.meeting(n, &fields);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifteen_character_ids_gain_their_checksum() {
        // Salesforce's documented example pair.
        assert_eq!(id18("001A0000006Vm9r"), "001A0000006Vm9rIAC");
        assert_eq!(id18("001A0000006Vm9rIAC"), "001A0000006Vm9rIAC");
        assert_eq!(id18("short"), "short");
    }

    #[test]
    fn dispositions_by_first_rule() {
        let rules = super::super::ImportOptions::default().disposition_rules;
        assert_eq!(
            disposition("Left Voicemail", &rules),
            Some(Outcome::NoAnswer)
        );
        assert_eq!(
            disposition("Not interested in a meeting", &rules),
            Some(Outcome::NotInterested)
        );
        assert_eq!(
            disposition("Booked demo", &rules),
            Some(Outcome::MeetingBooked)
        );
        assert_eq!(
            disposition("spoke to CFO", &rules),
            Some(Outcome::Conversation)
        );
        assert_eq!(disposition("wrong number", &rules), Some(Outcome::Other));
        assert_eq!(disposition("", &rules), None);
    }
}

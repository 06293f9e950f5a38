//! Salesforce exports (Data Export service, Data Loader, Bulk API CSV)
//! exactly as SPEC §12.2 says: one file per object, named as the object.

use std::borrow::Cow;
use std::path::Path;

use hashbrown::HashMap;

use super::ImportOptions;
use super::cells::{self, Latest, present};
use super::outcome::Recorder;
use super::sheet::{Col, Row, Sheet};
use crate::error::{Error, Reason, Result};
use crate::ingest::parse::parse_i64;
use crate::ingest::stage::{EventBatch, ProspectBatch};
use crate::ingest::{ContactFields, MeetingFields, ProspectFields, SaleFields};
use crate::intern::{Interner, TextColumn, hash_str};
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

/// The size of the parts a large file is read in on several threads.
const PART_BYTES: usize = 8 << 20;

/// What later files look up in earlier ones.
#[derive(Default)]
struct Known {
    /// Lead and Contact ids of rows not deleted (interned: one buffer, no
    /// allocation per id).
    prospects: Interner,
    /// Account names by id (rows not deleted).
    accounts: HashMap<String, String>,
    /// Per opportunity: its primary role's contact, and the smallest.
    roles: HashMap<String, Roles>,
    /// The latest valid `CreatedDate` of any row.
    latest_created: Latest,
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
        self.latest_created.note(t);
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
        const NAMES: [&str; 8] = [
            "User.csv",
            "Lead.csv",
            "Contact.csv",
            "Account.csv",
            "Task.csv",
            "Event.csv",
            "Opportunity.csv",
            "OpportunityContactRole.csv",
        ];
        // Read on every thread: the large files take most of the time.
        let mut opened = crate::par::map(&NAMES, |name| Sheet::open(dir, name, b',')).into_iter();
        let mut next = || opened.next().unwrap_or(Ok(None));
        let (user, lead, contact, account) = (next()?, next()?, next()?, next()?);
        let (task, event, opportunity, roles) = (next()?, next()?, next()?, next()?);
        let need =
            |sheet: Option<Sheet>, name: &str| sheet.ok_or_else(|| Sheet::missing(dir, name));
        let f = Files {
            user: need(user, "User.csv")?,
            lead,
            contact,
            account,
            task: need(task, "Task.csv")?,
            event: need(event, "Event.csv")?,
            opportunity: need(opportunity, "Opportunity.csv")?,
            roles,
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
    known.latest_created.merge(latest_created_in(&files.event)?);
    let as_of = options
        .as_of
        .map(crate::time::to_micros)
        .or(known.latest_created.get());
    events(&files.event, as_of, rec, &known)?;
    Ok(as_of)
}

/// The latest valid `CreatedDate` of a file's rows (read on every
/// thread).
fn latest_created_in(sheet: &Sheet) -> Result<Latest> {
    let col = sheet.col("CreatedDate");
    let parts = sheet.parts(crate::par::threads());
    let seen = crate::par::map(&parts, |part| {
        let mut latest = Latest::default();
        sheet
            .part_rows(part, |_, row| latest.note(cells::instant(row.get(col))))
            .map(|_| latest)
    });
    let mut latest = Latest::default();
    for part in seen {
        latest.merge(part?);
    }
    Ok(latest)
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
    deleted: Col,
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
            deleted: sheet.col("IsDeleted"),
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
    if let Some(keep_details) = rec.staging().map(|s| s.keeps_prospect_details()) {
        return prospects_in_parts(sheet, &c, keep_details, rec, known);
    }
    sheet.rows(|n, row| {
        let created = present(row.get(c.created)).map(cells::instant);
        known.created_at(created.flatten());
        let id = id18(row.get(c.id));
        let built = Built::of(&c, row);
        let fate = prospect_fate(&c, row, (&id, &built), created, known);
        let known_id = fate.known_id.map(str::to_owned);
        match fate.record {
            ProspectRecordFate::Skip(reason) => rec.skip(n, &id, reason),
            ProspectRecordFate::Reject(field, reason) => {
                rec.reject(RecordKind::Prospect, n, &id, field, reason);
            }
            ProspectRecordFate::Record(fields, link) => {
                rec.prospect(n, &fields);
                if let Some(contact) = link {
                    rec.link(&id, contact);
                }
            }
        }
        if let Some(id) = known_id {
            known.prospects.intern(&id);
        }
        Ok(())
    })
}

/// The rows of a large `Lead.csv` or `Contact.csv` staged on every
/// thread into batches a ledger builder appends in row order.
fn prospects_in_parts(
    sheet: &Sheet,
    c: &ProspectCols,
    keep_details: bool,
    rec: &mut Recorder<'_>,
    known: &mut Known,
) -> Result<()> {
    let parts = sheet.parts((sheet.approximate_bytes() / PART_BYTES).max(crate::par::threads()));
    let known_ref: &Known = known;
    let staged = crate::par::map(&parts, |part| {
        let mut out = ProspectPart::default();
        let rows = sheet.part_rows(part, |n, row| {
            let created = present(row.get(c.created)).map(cells::instant);
            out.latest_created.note(created.flatten());
            let id = id18(row.get(c.id));
            let built = Built::of(c, row);
            let fate = prospect_fate(c, row, (&id, &built), created, known_ref);
            if let Some(id) = fate.known_id {
                out.known_ids.push(Some(id));
                out.known_hashes.push(hash_str(id));
            }
            match fate.record {
                ProspectRecordFate::Skip(reason) => out.skipped.push((n, id.to_string(), reason)),
                ProspectRecordFate::Reject(field, reason) => {
                    out.batch.reject(crate::error::Rejection {
                        kind: RecordKind::Prospect,
                        row: n,
                        id: id.to_string(),
                        field: field.to_owned(),
                        reason,
                    });
                }
                ProspectRecordFate::Record(fields, link) => {
                    out.batch.push(n, &fields, keep_details);
                    if let Some(contact) = link {
                        out.links.push((id.to_string(), contact.to_owned()));
                    }
                }
            }
        });
        rows.map(|rows| (rows, out))
    });
    let mut base = 0;
    for part in staged {
        let (rows, mut out) = part?;
        known.latest_created.merge(out.latest_created);
        known
            .prospects
            .intern_bulk(&out.known_ids, &out.known_hashes);
        for (n, id, reason) in &out.skipped {
            rec.skip(base + n, id, reason);
        }
        rec.append_prospects(&mut out.batch, base, rows);
        for (lead, contact) in &out.links {
            rec.link(lead, contact);
        }
        base += rows;
    }
    Ok(())
}

/// What one part of a Lead or Contact file staged.
#[derive(Default)]
struct ProspectPart {
    batch: ProspectBatch,
    /// Ids of rows not deleted (prospects of the export), with their
    /// hashes (computed on the part's thread).
    known_ids: TextColumn,
    known_hashes: Vec<u64>,
    /// Skipped rows: (row in the part, id, reason).
    skipped: Vec<(u64, String, &'static str)>,
    /// Converted leads: (lead, contact).
    links: Vec<(String, String)>,
    latest_created: Latest,
}

/// The values of a Lead or Contact row that are built from its cells
/// rather than read as they are.
struct Built<'r> {
    name: Option<String>,
    account: Cow<'r, str>,
    created_by: Option<Cow<'r, str>>,
    converted_to: Cow<'r, str>,
}

impl<'r> Built<'r> {
    fn of(c: &ProspectCols, row: &Row<'r>) -> Self {
        Built {
            name: cells::joined_name(&[row.get(c.first), row.get(c.last)]),
            account: id18(row.get(c.account)),
            created_by: present(row.get(c.created_by)).map(id18),
            converted_to: id18(row.get(c.converted_contact)),
        }
    }
}

/// What becomes of a Lead or Contact row.
struct ProspectFate<'a> {
    /// The id, when the row is a prospect of the export (not deleted,
    /// even if rejected: rows naming it are then rejected
    /// `unknown_prospect` as SPEC §3 cascades, not skipped `no_prospect`).
    known_id: Option<&'a str>,
    record: ProspectRecordFate<'a>,
}

enum ProspectRecordFate<'a> {
    Skip(&'static str),
    /// Rejected: the field and reason.
    Reject(&'static str, Reason),
    /// A prospect record, and the contact a converted lead became.
    Record(ProspectFields<'a>, Option<&'a str>),
}

/// Decides a Lead or Contact row (SPEC §12.2).
fn prospect_fate<'a>(
    c: &ProspectCols,
    row: &Row<'a>,
    (id, built): (&'a str, &'a Built<'a>),
    created: Option<Option<i64>>,
    known: &'a Known,
) -> ProspectFate<'a> {
    let deleted = cells::boolean(row.get(c.deleted));
    let known_id = (deleted != Ok(true) && !id.is_empty()).then_some(id);
    let record = match deleted {
        Ok(true) => ProspectRecordFate::Skip("deleted"),
        Err(reason) => ProspectRecordFate::Reject("IsDeleted", reason),
        Ok(false) => match prospect_record(c, row, (id, built), created, known) {
            Ok((fields, link)) => ProspectRecordFate::Record(fields, link),
            Err((field, reason)) => ProspectRecordFate::Reject(field, reason),
        },
    };
    ProspectFate { known_id, record }
}

/// The prospect record of a Lead or Contact row that is not deleted, and
/// the contact it was converted to: `Err` names the field and reason of a
/// rejection.
fn prospect_record<'a>(
    c: &ProspectCols,
    row: &Row<'a>,
    (id, built): (&'a str, &'a Built<'a>),
    created: Option<Option<i64>>,
    known: &'a Known,
) -> std::result::Result<(ProspectFields<'a>, Option<&'a str>), (&'static str, Reason)> {
    if id.is_empty() {
        return Err(("prospect_id", Reason::MissingField));
    }
    if created == Some(None) {
        return Err(("created_at", Reason::BadTime));
    }
    let converted = cells::boolean(row.get(c.converted)).map_err(|r| ("IsConverted", r))?;
    // An empty `AccountId` (and every Lead, which has none) names no
    // account, not an `Account.csv` row with an empty `Id`.
    let company = present(row.get(c.company)).or_else(|| {
        present(&built.account)
            .and_then(|a| known.accounts.get(a))
            .map(String::as_str)
    });
    let code = row.get(c.country_code);
    let text = row.get(c.country);
    let country = present(code).or_else(|| {
        (text.len() == 2 && text.bytes().all(|b| b.is_ascii_alphabetic())).then_some(text)
    });
    let fields = ProspectFields {
        prospect_id: id,
        name: built.name.as_deref(),
        company,
        email: present(row.get(c.email)),
        phone: present(row.get(c.phone)).or_else(|| present(row.get(c.mobile))),
        city: present(row.get(c.city)),
        country,
        source: lead_source(row.get(c.source)),
        created_by: built.created_by.as_deref(),
        ..ProspectFields::default()
    };
    let fields = match created.flatten() {
        Some(t) => fields.with_created_at(crate::time::from_micros(t)),
        None => fields,
    };
    let link = (converted && !built.converted_to.is_empty()).then_some(built.converted_to.as_ref());
    Ok((fields, link))
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
    let end_of_day = cells::end_of_day();
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
    deleted: Col,
    /// Whether the file has `Status` or `IsClosed` (neither: every task
    /// is completed).
    status_known: bool,
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
            deleted: sheet.col("IsDeleted"),
            status_known: sheet.has(sheet.col("Status")) || sheet.has(sheet.col("IsClosed")),
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
    if rec.staging().is_some() {
        return tasks_in_parts(sheet, &c, options, rec, known);
    }
    sheet.rows(|n, row| {
        let (created, ids) = task_ids(&c, row);
        known.created_at(created.flatten());
        let (id, owner, who) = (&ids.0, &ids.1, &ids.2);
        match task_fate(&c, row, (id, owner, who), created, known, options) {
            TaskFate::Skip(reason) => rec.skip(n, id, reason),
            TaskFate::Reject(field, reason) => {
                rec.reject(RecordKind::Contact, n, id, field, reason);
            }
            TaskFate::Contact(fields) => rec.contact(n, &fields),
        }
        Ok(())
    })
}

/// An activity row's ids (18-character forms): its own, its owner's and
/// its `WhoId`.
type RowIds<'r> = (Cow<'r, str>, Cow<'r, str>, Cow<'r, str>);

/// A task row's parsed `CreatedDate` (`None`: empty; `Some(None)`: not an
/// instant) and its ids.
fn task_ids<'r>(c: &TaskCols, row: &Row<'r>) -> (Option<Option<i64>>, RowIds<'r>) {
    let created = present(row.get(c.created)).map(cells::instant);
    let ids = (
        id18(row.get(c.id)),
        id18(row.get(c.owner)),
        id18(row.get(c.who)),
    );
    (created, ids)
}

/// The rows of a large `Task.csv` staged on every thread into batches a
/// ledger builder appends in row order (the reading, checks and
/// reference look-ups of a row do not wait for the rows before it).
fn tasks_in_parts(
    sheet: &Sheet,
    c: &TaskCols,
    options: &ImportOptions,
    rec: &mut Recorder<'_>,
    known: &mut Known,
) -> Result<()> {
    let parts = sheet.parts((sheet.approximate_bytes() / PART_BYTES).max(crate::par::threads()));
    let Some(staging) = rec.staging() else {
        return Ok(());
    };
    let (resolver, _) = staging.split_for_events();
    let known_ref: &Known = known;
    let staged = crate::par::map(&parts, |part| {
        let mut out = TaskPart::default();
        let rows = sheet.part_rows(part, |n, row| {
            let (created, ids) = task_ids(c, row);
            out.latest_created.note(created.flatten());
            let (id, owner, who) = (&ids.0, &ids.1, &ids.2);
            match task_fate(c, row, (id, owner, who), created, known_ref, options) {
                TaskFate::Skip(reason) => out.skipped.push((n, id.to_string(), reason)),
                TaskFate::Reject(field, reason) => out.batch.reject(crate::error::Rejection {
                    kind: RecordKind::Contact,
                    row: n,
                    id: id.to_string(),
                    field: field.to_owned(),
                    reason,
                }),
                TaskFate::Contact(fields) => out.batch.push_contact(&resolver, n, &fields),
            }
        });
        out.batch.finish(&resolver);
        rows.map(|rows| (rows, out))
    });
    let mut base = 0;
    for part in staged {
        let (rows, mut out) = part?;
        known.latest_created.merge(out.latest_created);
        for (n, id, reason) in &out.skipped {
            rec.skip(base + n, id, reason);
        }
        rec.append_events(RecordKind::Contact, &mut out.batch, base, rows);
        base += rows;
    }
    Ok(())
}

/// What one part of `Task.csv` staged.
#[derive(Default)]
struct TaskPart {
    batch: EventBatch,
    /// Skipped rows: (row in the part, id, reason).
    skipped: Vec<(u64, String, &'static str)>,
    latest_created: Latest,
}

/// What becomes of a task row.
enum TaskFate<'r> {
    Skip(&'static str),
    /// Rejected: the field and reason.
    Reject(&'static str, Reason),
    Contact(ContactFields<'r>),
}

/// Decides a task row (SPEC §12.2): skipped (`deleted`, `open_task`,
/// `no_prospect`, in that order), rejected, or a contact.
fn task_fate<'r>(
    c: &TaskCols,
    row: &Row<'_>,
    (id, owner, who): (&'r str, &'r str, &'r str),
    created: Option<Option<i64>>,
    known: &Known,
    options: &ImportOptions,
) -> TaskFate<'r> {
    match cells::boolean(row.get(c.deleted)) {
        Ok(true) => return TaskFate::Skip("deleted"),
        Ok(false) => {}
        Err(reason) => return TaskFate::Reject("IsDeleted", reason),
    }
    let closed = match cells::boolean(row.get(c.closed)) {
        Ok(v) => v,
        Err(reason) => return TaskFate::Reject("IsClosed", reason),
    };
    let completed =
        !c.status_known || closed || row.get(c.status).eq_ignore_ascii_case("Completed");
    if !completed {
        return TaskFate::Skip("open_task");
    }
    if who.is_empty() || known.prospects.lookup(who).is_none() {
        return TaskFate::Skip("no_prospect");
    }
    match task_contact(c, row, (id, owner, who), created, options) {
        Ok(fields) => TaskFate::Contact(fields),
        Err((field, reason)) => TaskFate::Reject(field, reason),
    }
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
            Some(cells::local(day, cells::noon(), zone))
        }
        _ => reference,
    };
    let Some(occurred) = occurred else {
        return Err(("occurred_at", Reason::MissingField));
    };
    let created = created_as("logged_at")?;
    Ok((occurred, created.map(|t| t.max(occurred))))
}

/// The contact of a completed task whose prospect is known: `Err` names
/// the field and reason of a rejection, the first in SPEC §3 order.
fn task_contact<'r>(
    c: &TaskCols,
    row: &Row<'_>,
    (id, owner, who): (&'r str, &'r str, &'r str),
    created: Option<Option<i64>>,
    options: &ImportOptions,
) -> std::result::Result<ContactFields<'r>, (&'static str, Reason)> {
    if id.is_empty() {
        return Err(("contact_id", Reason::MissingField));
    }
    if owner.is_empty() {
        return Err(("rep_id", Reason::MissingField));
    }
    let (occurred, logged) = task_times(c, row, created, options.time_zone)?;
    let duration_s = match present(row.get(c.duration)) {
        None => None,
        Some(text) => Some(parse_i64(text).ok_or(("duration_s", Reason::BadNumber))?),
    };
    let mut fields = ContactFields::new(
        id,
        owner,
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
    Ok(fields)
}

fn events(sheet: &Sheet, as_of: Option<i64>, rec: &mut Recorder<'_>, known: &Known) -> Result<()> {
    rec.begin_file(&sheet.name, Some(RecordKind::Meeting));
    rec.reserve(RecordKind::Meeting, sheet.approximate_rows());
    let c = EventCols::of(sheet);
    if rec.staging().is_some() {
        return events_in_parts(sheet, &c, as_of, rec, known);
    }
    sheet.rows(|n, row| {
        let ids = c.ids(row);
        let (id, owner, who) = (&ids.0, &ids.1, &ids.2);
        match event_fate(&c, row, (id, owner, who), as_of, known) {
            EventFate::Skip(reason) => rec.skip(n, id, reason),
            EventFate::Reject(field, reason) => {
                rec.reject(RecordKind::Meeting, n, id, field, reason);
            }
            EventFate::Meeting(fields) => rec.meeting(n, &fields),
        }
        Ok(())
    })
}

/// The rows of `Event.csv` staged on every thread into batches a ledger
/// builder appends in row order (as [`tasks_in_parts`] does).
fn events_in_parts(
    sheet: &Sheet,
    c: &EventCols,
    as_of: Option<i64>,
    rec: &mut Recorder<'_>,
    known: &Known,
) -> Result<()> {
    let parts = sheet.parts((sheet.approximate_bytes() / PART_BYTES).max(crate::par::threads()));
    let Some(staging) = rec.staging() else {
        return Ok(());
    };
    let (resolver, _) = staging.split_for_events();
    let staged = crate::par::map(&parts, |part| {
        let mut batch = EventBatch::default();
        let mut skipped = Vec::new();
        let rows = sheet.part_rows(part, |n, row| {
            let ids = c.ids(row);
            let (id, owner, who) = (&ids.0, &ids.1, &ids.2);
            match event_fate(c, row, (id, owner, who), as_of, known) {
                EventFate::Skip(reason) => skipped.push((n, id.to_string(), reason)),
                EventFate::Reject(field, reason) => batch.reject(crate::error::Rejection {
                    kind: RecordKind::Meeting,
                    row: n,
                    id: id.to_string(),
                    field: field.to_owned(),
                    reason,
                }),
                EventFate::Meeting(fields) => batch.push_meeting(&resolver, n, &fields),
            }
        });
        batch.finish(&resolver);
        rows.map(|rows| (rows, batch, skipped))
    });
    let mut base = 0;
    for part in staged {
        let (rows, mut batch, skipped) = part?;
        for (n, id, reason) in &skipped {
            rec.skip(base + n, id, reason);
        }
        rec.append_events(RecordKind::Meeting, &mut batch, base, rows);
        base += rows;
    }
    Ok(())
}

/// The columns of `Event.csv`.
struct EventCols {
    deleted: Col,
    id: Col,
    owner: Col,
    who: Col,
    start: Col,
    activity: Col,
}

impl EventCols {
    fn of(sheet: &Sheet) -> Self {
        EventCols {
            deleted: sheet.col("IsDeleted"),
            id: sheet.col("Id"),
            owner: sheet.col("OwnerId"),
            who: sheet.col("WhoId"),
            start: sheet.col("StartDateTime"),
            activity: sheet.col("ActivityDateTime"),
        }
    }

    /// An event row's ids: its own, its owner's and its `WhoId`.
    fn ids<'r>(&self, row: &Row<'r>) -> RowIds<'r> {
        (
            id18(row.get(self.id)),
            id18(row.get(self.owner)),
            id18(row.get(self.who)),
        )
    }
}

/// What becomes of an event row.
enum EventFate<'r> {
    Skip(&'static str),
    /// Rejected: the field and reason.
    Reject(&'static str, Reason),
    Meeting(MeetingFields<'r>),
}

/// Decides an event row (SPEC §12.2): skipped (`deleted`, `no_prospect`,
/// `future_event`, in that order), rejected, or a held meeting.
fn event_fate<'r>(
    c: &EventCols,
    row: &Row<'_>,
    (id, owner, who): (&'r str, &'r str, &'r str),
    as_of: Option<i64>,
    known: &Known,
) -> EventFate<'r> {
    match cells::boolean(row.get(c.deleted)) {
        Ok(true) => return EventFate::Skip("deleted"),
        Ok(false) => {}
        Err(reason) => return EventFate::Reject("IsDeleted", reason),
    }
    if who.is_empty() || known.prospects.lookup(who).is_none() {
        return EventFate::Skip("no_prospect");
    }
    let held_cell = present(row.get(c.start)).unwrap_or(row.get(c.activity));
    let held = cells::instant(held_cell);
    if let (Some(h), Some(a)) = (held, as_of)
        && h > a
    {
        return EventFate::Skip("future_event");
    }
    let missing = [
        ("meeting_id", id),
        ("rep_id", owner),
        ("held_at", held_cell),
    ]
    .into_iter()
    .find(|(_, v)| v.is_empty());
    if let Some((field, _)) = missing {
        return EventFate::Reject(field, Reason::MissingField);
    }
    match held {
        Some(h) => EventFate::Meeting(MeetingFields::new(
            id,
            owner,
            who,
            crate::time::from_micros(h),
        )),
        None => EventFate::Reject("held_at", Reason::BadTime),
    }
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

//! Importing a Salesforce export folder (IMPORT.md §12.1, §12.2).
//!
//! * **Round trips.** [`write_salesforce`] writes SPEC §2 records the way
//!   Salesforce's Data Export service writes its objects (`User.csv`,
//!   `Lead.csv`, `Contact.csv` with `Account.csv`, `Task.csv`,
//!   `Event.csv`, `Opportunity.csv`, `OpportunityContactRole.csv`, API
//!   field names as headers, instants as `2026-06-01T09:00:00.000+0000`).
//!   Importing that folder must give the records back, field by field,
//!   wherever the format can carry them ([`carried`] lists what it cannot):
//!   the demo data, and random small record sets (proptest).
//! * **Edge cases.** Hand-written fixtures, one per rule: converted leads,
//!   deleted rows, open tasks, tasks and events without a live prospect,
//!   rejected prospects cascading, planned meetings, lost and contactless
//!   deals, contact roles, 15- and 18-character ids, amounts per currency
//!   exponent, Data Loader headers and a BOM, instants in Salesforce's
//!   forms, quoted line breaks and CRLF, the `ActivityDate` rule (UTC and
//!   Europe/Lisbon), `logged_at` clamping, missing files and columns, the
//!   as-of instant, the exact `import_summary.csv` / `skipped.csv` of one
//!   export, and the shipped `data/salesforce_demo` against the README.
//! * **Nothing lost.** Random exports mixing live, deleted, open, orphan
//!   and bad rows: every row is imported, skipped or rejected exactly as a
//!   model of §12.2 predicts, and the summary adds up.

#[path = "support/export_dir.rs"]
mod export_dir;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::path::Path;

use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use export_dir::{Scratch, csv_text, decimal_amount, name_parts};
use proptest::prelude::*;
use sales_metrics::import::{ExportFormat, Import, ImportOptions, import_folder};
use sales_metrics::{
    Channel, Contact, Direction, Error, Ledger, LedgerBuilder, Meeting, MeetingStatus, Mode,
    Outcome, ProspectRecord, RecordKind, Records, Rep, Sale, Source,
};

// ---------------------------------------------------------------------------
// Scratch folders and import helpers.

/// A minimal export: one user `u1`, and the other required files with
/// headers only. Tests overwrite the files they are about.
fn export(tag: &str) -> Scratch {
    let s = Scratch::new(&format!("salesforce-{tag}"));
    s.write("User.csv", "Id,Name\nu1,Ana Lima\n")
        .write("Lead.csv", "Id,LastName\n")
        .write("Task.csv", "Id,OwnerId,WhoId,CreatedDate\n")
        .write("Event.csv", "Id,OwnerId,WhoId,StartDateTime\n")
        .write("Opportunity.csv", "Id,OwnerId,IsWon,CloseDate\n");
    s
}

/// An import and the lenient ledger built from it.
struct Imported {
    import: Import,
    ledger: Ledger,
}

fn try_import(dir: &Path, options: &ImportOptions) -> Result<Imported, Error> {
    let mut builder = LedgerBuilder::new();
    builder.mode(Mode::Lenient);
    let import = import_folder(dir, &ExportFormat::Salesforce, options, &mut builder)?;
    let ledger = builder.build()?;
    Ok(Imported { import, ledger })
}

fn import_with(dir: &Scratch, options: &ImportOptions) -> Imported {
    try_import(dir.path(), options).expect("import")
}

fn import(dir: &Scratch) -> Imported {
    import_with(dir, &ImportOptions::default())
}

impl Imported {
    /// `import_summary.csv`.
    fn summary(&self) -> String {
        csv_text(&self.import.summary(self.ledger.rejections()))
    }

    /// `skipped.csv`.
    fn skipped(&self) -> String {
        csv_text(&self.import.skipped())
    }

    /// `(id, reason)` of every skipped row, in `skipped.csv` order.
    fn skips(&self) -> Vec<(String, String)> {
        self.import
            .skipped()
            .rows
            .iter()
            .map(|r| (r[2].to_text(), r[3].to_text()))
            .collect()
    }

    /// The rejections (rows in their own file) as `rejections.csv` lines.
    fn rejections(&self) -> Vec<String> {
        self.import
            .rejections(self.ledger.rejections())
            .iter()
            .map(|r| format!("{},{},{},{},{}", r.kind, r.row, r.id, r.field, r.reason))
            .collect()
    }

    fn records(&self) -> Records {
        self.ledger.to_records()
    }

    fn contact(&self, id: &str) -> Contact {
        let records = self.records();
        let found = records
            .contacts
            .into_iter()
            .find(|c| c.contact_id.as_str() == id);
        found.unwrap_or_else(|| panic!("contact {id} imported"))
    }

    fn sale(&self, id: &str) -> Sale {
        let records = self.records();
        let found = records.sales.into_iter().find(|s| s.sale_id.as_str() == id);
        found.unwrap_or_else(|| panic!("sale {id} imported"))
    }

    fn prospect(&self, id: &str) -> ProspectRecord {
        let records = self.records();
        let found = records
            .prospects
            .into_iter()
            .find(|p| p.prospect_id.as_str() == id);
        found.unwrap_or_else(|| panic!("prospect record {id} imported"))
    }

    fn ids<T>(items: &[T], id: impl Fn(&T) -> &str) -> Vec<String> {
        items.iter().map(|x| id(x).to_owned()).collect()
    }

    fn contact_ids(&self) -> Vec<String> {
        Self::ids(&self.records().contacts, |c| c.contact_id.as_str())
    }

    fn meeting_ids(&self) -> Vec<String> {
        Self::ids(&self.records().meetings, |m| m.meeting_id.as_str())
    }

    fn sale_ids(&self) -> Vec<String> {
        Self::ids(&self.records().sales, |s| s.sale_id.as_str())
    }
}

/// An instant from RFC 3339 text.
fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("RFC 3339 instant")
        .with_timezone(&Utc)
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

// ---------------------------------------------------------------------------
// Writing SPEC records as a Salesforce export.

/// Salesforce's instant form (milliseconds, `+0000` offset without a
/// colon); sub-millisecond digits are dropped.
fn sf_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

/// The `CreatedDate` written for every user (reps have no creation time).
const USER_CREATED: &str = "2020-01-01T00:00:00.000+0000";

/// `LeadSource` picklist values, one per SPEC source.
fn lead_source(source: Option<Source>) -> &'static str {
    match source {
        None => "",
        Some(Source::Referral) => "Partner Referral",
        Some(Source::ColdList) => "Purchased List",
        Some(Source::Inbound) => "Web",
        Some(Source::Event) => "Trade Show",
        // No Salesforce value maps to existing_customer: read back `other`.
        Some(Source::ExistingCustomer) => "Existing Customer",
        Some(Source::Other) => "Other",
    }
}

/// `(TaskSubtype, Type)` of a channel.
fn task_kind(channel: Channel) -> (&'static str, &'static str) {
    match channel {
        Channel::Phone => ("Call", "Call"),
        Channel::Email => ("Email", "Email"),
        Channel::Internet => ("LinkedIn", ""),
        Channel::InPerson => ("Task", "Meeting"),
        Channel::Other => ("Task", ""),
    }
}

/// A free-text `CallDisposition` the default rules read as `outcome`.
fn call_disposition(outcome: Option<Outcome>) -> &'static str {
    match outcome {
        None => "",
        Some(Outcome::NoAnswer) => "No answer",
        Some(Outcome::Conversation) => "Connected",
        Some(Outcome::MeetingBooked) => "Meeting booked",
        Some(Outcome::NotInterested) => "Not interested",
        Some(Outcome::Other) => "Wrong number",
    }
}

fn text(value: Option<&str>) -> String {
    value.unwrap_or("").to_owned()
}

fn write_csv(dir: &Path, name: &str, header: &[&str], rows: &[Vec<String>]) {
    let mut w = csv::Writer::from_path(dir.join(name)).expect("create export file");
    w.write_record(header).expect("write header");
    for row in rows {
        assert_eq!(row.len(), header.len(), "{name}: row width");
        w.write_record(row).expect("write row");
    }
    w.flush().expect("flush export file");
}

/// Writes `records` into `dir` as a Salesforce export (Data Export
/// service: one file per object, API field names as headers).
///
/// * Reps are `User` rows (`Name`, its parts, `UserRoleId` = team).
/// * A prospect record with a sale is a `Contact` (Salesforce sells to
///   contacts), its company the `Name` of an `Account` (one per company);
///   every other record is a `Lead` (`Company`), never converted.
/// * Contacts are completed `Task` rows: `CompletedDateTime` =
///   occurred_at, `ActivityDate` = its UTC date (so the `ActivityDate`
///   rule keeps it in a UTC import), `CreatedDate` = logged_at, else
///   occurred_at.
/// * Held meetings are `Event` rows (`StartDateTime` = `ActivityDateTime`
///   = `CreatedDate` = held_at, so none is after the as-of instant);
///   meetings not held are not written (an Event has no status).
/// * Sales are won `Opportunity` rows (`CloseDate` = UTC date, `Amount`
///   in the currency's decimals). Even-numbered ones name their contact in
///   `ContactId`; odd-numbered ones leave it empty and have a primary
///   `OpportunityContactRole`, after a non-primary role naming a contact
///   id (`!`) that sorts before every other, which would be wrong.
///
/// Ids are written as they are (none of these is 15 characters long; a
/// 15-character id would come back in its 18-character form).
fn write_salesforce(records: &Records, dir: &Path) {
    std::fs::create_dir_all(dir).expect("export folder");
    let users: Vec<Vec<String>> = records
        .reps
        .iter()
        .map(|r| {
            let (first, last) = name_parts(r.name.as_deref());
            vec![
                r.rep_id.to_string(),
                first,
                last,
                text(r.name.as_deref()),
                text(r.team_id.as_ref().map(|t| t.as_str())),
                USER_CREATED.to_owned(),
            ]
        })
        .collect();
    let header = [
        "Id",
        "FirstName",
        "LastName",
        "Name",
        "UserRoleId",
        "CreatedDate",
    ];
    write_csv(dir, "User.csv", &header, &users);

    let sold: BTreeSet<&str> = records
        .sales
        .iter()
        .map(|s| s.prospect_id.as_str())
        .collect();
    let (contacts, leads): (Vec<&ProspectRecord>, Vec<&ProspectRecord>) = records
        .prospects
        .iter()
        .partition(|p| sold.contains(p.prospect_id.as_str()));
    let created = |p: &ProspectRecord| p.created_at.map(sf_time).unwrap_or_default();
    let created_by = |p: &ProspectRecord| text(p.created_by.as_ref().map(|r| r.as_str()));

    let lead_rows: Vec<Vec<String>> = leads
        .iter()
        .map(|p| {
            let (first, last) = name_parts(p.name.as_deref());
            vec![
                p.prospect_id.to_string(),
                first,
                last,
                text(p.company.as_deref()),
                text(p.email.as_deref()),
                text(p.phone.as_deref()),
                text(p.city.as_deref()),
                text(p.country.as_deref()),
                lead_source(p.source).to_owned(),
                created(p),
                created_by(p),
                "false".to_owned(),
                "false".to_owned(),
                String::new(),
            ]
        })
        .collect();
    let header = [
        "Id",
        "FirstName",
        "LastName",
        "Company",
        "Email",
        "Phone",
        "City",
        "CountryCode",
        "LeadSource",
        "CreatedDate",
        "CreatedById",
        "IsDeleted",
        "IsConverted",
        "ConvertedContactId",
    ];
    write_csv(dir, "Lead.csv", &header, &lead_rows);

    if !contacts.is_empty() {
        let mut accounts: BTreeMap<&str, String> = BTreeMap::new();
        for p in &contacts {
            if let Some(company) = p.company.as_deref() {
                let n = accounts.len();
                accounts.entry(company).or_insert_with(|| format!("acc{n}"));
            }
        }
        let account_rows: Vec<Vec<String>> = accounts
            .iter()
            .map(|(name, id)| vec![id.clone(), (*name).to_owned(), "false".to_owned()])
            .collect();
        write_csv(
            dir,
            "Account.csv",
            &["Id", "Name", "IsDeleted"],
            &account_rows,
        );
        let contact_rows: Vec<Vec<String>> = contacts
            .iter()
            .map(|p| {
                let (first, last) = name_parts(p.name.as_deref());
                let account = p.company.as_deref().and_then(|c| accounts.get(c));
                vec![
                    p.prospect_id.to_string(),
                    first,
                    last,
                    account.cloned().unwrap_or_default(),
                    text(p.email.as_deref()),
                    text(p.phone.as_deref()),
                    text(p.city.as_deref()),
                    text(p.country.as_deref()),
                    lead_source(p.source).to_owned(),
                    created(p),
                    created_by(p),
                    "false".to_owned(),
                ]
            })
            .collect();
        let header = [
            "Id",
            "FirstName",
            "LastName",
            "AccountId",
            "Email",
            "Phone",
            "MailingCity",
            "MailingCountryCode",
            "LeadSource",
            "CreatedDate",
            "CreatedById",
            "IsDeleted",
        ];
        write_csv(dir, "Contact.csv", &header, &contact_rows);
    }

    let tasks: Vec<Vec<String>> = records
        .contacts
        .iter()
        .map(|c| {
            let (subtype, kind) = task_kind(c.channel);
            let call_type = match c.direction {
                Direction::Inbound => "Inbound",
                Direction::Outbound => "Outbound",
            };
            vec![
                c.contact_id.to_string(),
                c.rep_id.to_string(),
                c.prospect_id.to_string(),
                format!("{} with {}", c.channel, c.prospect_id),
                "Completed".to_owned(),
                subtype.to_owned(),
                kind.to_owned(),
                call_type.to_owned(),
                c.duration_s.map(|d| d.to_string()).unwrap_or_default(),
                call_disposition(c.outcome).to_owned(),
                c.occurred_at.date_naive().to_string(),
                sf_time(c.occurred_at),
                sf_time(c.logged_at.unwrap_or(c.occurred_at)),
                "false".to_owned(),
                "true".to_owned(),
            ]
        })
        .collect();
    let header = [
        "Id",
        "OwnerId",
        "WhoId",
        "Subject",
        "Status",
        "TaskSubtype",
        "Type",
        "CallType",
        "CallDurationInSeconds",
        "CallDisposition",
        "ActivityDate",
        "CompletedDateTime",
        "CreatedDate",
        "IsDeleted",
        "IsClosed",
    ];
    write_csv(dir, "Task.csv", &header, &tasks);

    let events: Vec<Vec<String>> = records
        .meetings
        .iter()
        .filter(|m| m.status == MeetingStatus::Held)
        .map(|m| {
            let held = sf_time(m.held_at);
            vec![
                m.meeting_id.to_string(),
                m.rep_id.to_string(),
                m.prospect_id.to_string(),
                held.clone(),
                held.clone(),
                held,
                "false".to_owned(),
            ]
        })
        .collect();
    let header = [
        "Id",
        "OwnerId",
        "WhoId",
        "StartDateTime",
        "ActivityDateTime",
        "CreatedDate",
        "IsDeleted",
    ];
    write_csv(dir, "Event.csv", &header, &events);

    let mut opportunities = Vec::new();
    let mut roles = Vec::new();
    for (i, s) in records.sales.iter().enumerate() {
        let via_role = i % 2 == 1;
        if via_role {
            let role = |n: usize, contact: &str, primary: bool| {
                vec![
                    format!("ocr{i}-{n}"),
                    s.sale_id.to_string(),
                    contact.to_owned(),
                    "Decision Maker".to_owned(),
                    primary.to_string(),
                    "false".to_owned(),
                ]
            };
            roles.push(role(0, "!", false));
            roles.push(role(1, s.prospect_id.as_str(), true));
        }
        let currency = s.currency.as_deref();
        opportunities.push(vec![
            s.sale_id.to_string(),
            s.rep_id.to_string(),
            if via_role {
                String::new()
            } else {
                s.prospect_id.to_string()
            },
            "true".to_owned(),
            "true".to_owned(),
            "Closed Won".to_owned(),
            s.closed_at.date_naive().to_string(),
            s.amount_minor
                .map(|a| decimal_amount(a, currency))
                .unwrap_or_default(),
            text(currency),
            sf_time(s.closed_at),
            "false".to_owned(),
        ]);
    }
    let header = [
        "Id",
        "OwnerId",
        "ContactId",
        "IsWon",
        "IsClosed",
        "StageName",
        "CloseDate",
        "Amount",
        "CurrencyIsoCode",
        "CreatedDate",
        "IsDeleted",
    ];
    write_csv(dir, "Opportunity.csv", &header, &opportunities);
    let header = [
        "Id",
        "OpportunityId",
        "ContactId",
        "Role",
        "IsPrimary",
        "IsDeleted",
    ];
    write_csv(dir, "OpportunityContactRole.csv", &header, &roles);
}

/// The latest `CreatedDate` [`write_salesforce`] writes: the import's
/// as-of instant.
fn latest_created(records: &Records) -> DateTime<Utc> {
    let user = (!records.reps.is_empty()).then(|| at("2020-01-01T00:00:00Z"));
    let prospects = records.prospects.iter().filter_map(|p| p.created_at);
    let tasks = records
        .contacts
        .iter()
        .map(|c| c.logged_at.unwrap_or(c.occurred_at));
    let events = records
        .meetings
        .iter()
        .filter(|m| m.status == MeetingStatus::Held)
        .map(|m| m.held_at);
    let deals = records.sales.iter().map(|s| s.closed_at);
    let all = user
        .into_iter()
        .chain(prospects)
        .chain(tasks)
        .chain(events)
        .chain(deals);
    all.max().expect("some record")
}

/// What importing `write_salesforce(records)` gives back: `records` (a
/// ledger's accepted records, each kind in id order) without what a
/// Salesforce export cannot carry:
///
/// * a rep's `daily_contact_target` (a User has none): absent;
/// * source `existing_customer` (no `LeadSource` maps to it): `other`;
/// * a contact's absent `logged_at` (every Task has a `CreatedDate`,
///   written as occurred_at): occurred_at;
/// * meetings not held (an Event has no status; all imported are held):
///   not written, so gone;
/// * a sale's `closed_at` (`CloseDate` is a date, read at 23:59:59 of
///   that day in the import time zone, UTC here): 23:59:59 of its UTC day;
/// * instants keep milliseconds only (the records here have no more).
fn carried(records: &Records) -> Records {
    let end_of_day = NaiveTime::from_hms_opt(23, 59, 59).expect("23:59:59");
    Records {
        reps: records
            .reps
            .iter()
            .map(|r| Rep {
                daily_contact_target: None,
                ..r.clone()
            })
            .collect(),
        prospects: records
            .prospects
            .iter()
            .map(|p| ProspectRecord {
                source: p.source.map(|s| match s {
                    Source::ExistingCustomer => Source::Other,
                    s => s,
                }),
                ..p.clone()
            })
            .collect(),
        contacts: records
            .contacts
            .iter()
            .map(|c| Contact {
                logged_at: Some(c.logged_at.unwrap_or(c.occurred_at)),
                ..c.clone()
            })
            .collect(),
        meetings: records
            .meetings
            .iter()
            .filter(|m| m.status == MeetingStatus::Held)
            .cloned()
            .collect(),
        sales: records
            .sales
            .iter()
            .map(|s| Sale {
                closed_at: s.closed_at.date_naive().and_time(end_of_day).and_utc(),
                ..s.clone()
            })
            .collect(),
    }
}

/// `got` and `want` equal element by element (a short message on the
/// first difference instead of thousands of records).
fn assert_same<T: PartialEq + Debug>(what: &str, got: &[T], want: &[T]) {
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g, w, "{what}: element {i} differs");
    }
    assert_eq!(got.len(), want.len(), "{what}: count");
}

// ---------------------------------------------------------------------------
// Round trips.

#[test]
fn writer_helpers_speak_salesforce() {
    assert_eq!(
        sf_time(at("2026-06-01T09:00:00Z")),
        "2026-06-01T09:00:00.000+0000"
    );
    assert_eq!(
        sf_time(at("2026-06-01T09:00:00.25Z")),
        "2026-06-01T09:00:00.250+0000"
    );
    assert_eq!(decimal_amount(1_250_050, Some("EUR")), "12500.50");
    assert_eq!(decimal_amount(5, None), "0.05");
    assert_eq!(decimal_amount(1500, Some("JPY")), "1500");
    assert_eq!(decimal_amount(1234, Some("kwd")), "1.234");
    assert_eq!(
        decimal_amount(i64::MAX, Some("RON")),
        "92233720368547758.07"
    );
    assert_eq!(
        name_parts(Some("Ana Maria Lima")),
        ("Ana".into(), "Maria Lima".into())
    );
    assert_eq!(name_parts(Some(" lead")), (String::new(), " lead".into()));
    assert_eq!(name_parts(Some("trail ")), (String::new(), "trail ".into()));
    assert_eq!(name_parts(None), (String::new(), String::new()));
}

#[test]
fn demo_data_round_trips_through_a_salesforce_export() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo");
    let original = sales_metrics::load_folder(&demo, Mode::Strict).expect("demo data loads");
    let records = original.to_records();
    // The demo has what cannot be carried, so the comparison below is not
    // vacuous on those fields.
    assert!(
        records
            .reps
            .iter()
            .any(|r| r.daily_contact_target.is_some())
    );
    assert!(
        records
            .meetings
            .iter()
            .any(|m| m.status != MeetingStatus::Held)
    );

    let dir = Scratch::new("demo");
    write_salesforce(&records, dir.path());
    let imported = import(&dir);
    assert!(
        imported.ledger.rejections().is_empty(),
        "{:?}",
        imported.rejections()
    );
    assert!(
        imported.skips().is_empty(),
        "only held meetings are written"
    );

    let got = imported.records();
    let want = carried(&records);
    assert_same("reps", &got.reps, &want.reps);
    assert_same("prospects", &got.prospects, &want.prospects);
    assert_same("contacts", &got.contacts, &want.contacts);
    assert_same("meetings", &got.meetings, &want.meetings);
    assert_same("sales", &got.sales, &want.sales);
    assert_eq!(imported.import.as_of(), Some(latest_created(&records)));

    // Every data row written is imported (the meetings not held were not
    // written at all).
    let sold: BTreeSet<&str> = records
        .sales
        .iter()
        .map(|s| s.prospect_id.as_str())
        .collect();
    let contacts = records
        .prospects
        .iter()
        .filter(|p| sold.contains(p.prospect_id.as_str()))
        .count();
    let companies: BTreeSet<&str> = records
        .prospects
        .iter()
        .filter(|p| sold.contains(p.prospect_id.as_str()))
        .filter_map(|p| p.company.as_deref())
        .collect();
    let summary = imported.summary();
    for (file, rows) in [
        ("Account.csv", companies.len()),
        ("Contact.csv", contacts),
        ("Event.csv", want.meetings.len()),
        ("Lead.csv", records.prospects.len() - contacts),
        ("Opportunity.csv", records.sales.len()),
        // Two roles per odd-numbered deal.
        ("OpportunityContactRole.csv", records.sales.len() / 2 * 2),
        ("Task.csv", records.contacts.len()),
        ("User.csv", records.reps.len()),
    ] {
        let line = format!("{file},{rows},{rows},0,0,");
        assert!(summary.lines().any(|l| l == line), "{line} in\n{summary}");
    }

    // Deduplication sees the same records (up to `carried`), so it groups
    // them alike.
    let fresh = {
        let mut b = LedgerBuilder::new();
        b.add_records(records.clone());
        b.build().expect("demo records build")
    };
    for p in &records.prospects {
        let id = p.prospect_id.as_str();
        assert_eq!(
            imported.ledger.prospect_of(id),
            fresh.prospect_of(id),
            "{id}"
        );
    }
}

fn some_text() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        " ",
        "Ana",
        "Ana Maria",
        " lead",
        "trail ",
        "a  b",
        "x,y",
        "q\"z",
        "two\nlines",
        "cr\r\nlf",
        "ț",
        "Łódź SRL",
    ])
    .prop_map(str::to_owned)
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    prop::option::of(some_text())
}

fn pick(pool: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(pool).prop_map(str::to_owned)
}

/// An instant with milliseconds (what Salesforce keeps), 2001–2034.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (978_307_200_000i64..2_051_222_400_000).prop_map(|ms| {
        Utc.timestamp_millis_opt(ms)
            .single()
            .expect("instant in range")
    })
}

// Ids: never 15 characters (those come back in 18-character form);
// references may name nothing (the original ledger rejects those).
const REP_IDS: &[&str] = &["ana", "bob", "r,1", " ", "ț"];
const REP_REFS: &[&str] = &["ana", "bob", "r,1", " ", "ț", "zoe"];
const PROSPECT_IDS: &[&str] = &["p1", "p2", "p\"3", "p 4"];
const PROSPECT_REFS: &[&str] = &["p1", "p2", "p\"3", "p 4", "p9"];
const EVENT_IDS: &[&str] = &["e1", "e2", "e\n3", "e4", "e,5"];

/// Small random record sets (some records invalid: the original ledger
/// rejects them, and only its accepted records are written).
fn records() -> impl Strategy<Value = Records> {
    let rep = (
        pick(REP_IDS),
        opt_text(),
        opt_text(),
        prop::option::of(0i64..9),
    )
        .prop_map(|(rep_id, name, team, target)| Rep {
            rep_id: rep_id.into(),
            name,
            team_id: team.map(Into::into),
            daily_contact_target: target,
        });
    let prospect = (
        (
            pick(PROSPECT_IDS),
            opt_text(),
            opt_text(),
            opt_text(),
            opt_text(),
        ),
        (
            opt_text(),
            prop::option::of(pick(&["RO", "PT", "de"])),
            prop::option::of(prop::sample::select(Source::ALL.to_vec())),
            prop::option::of(instant()),
            prop::option::of(pick(REP_REFS)),
        ),
    )
        .prop_map(
            |((id, name, company, email, phone), (city, country, source, created, by))| {
                ProspectRecord {
                    prospect_id: id.into(),
                    name,
                    company,
                    email,
                    phone,
                    city,
                    country,
                    source,
                    created_at: created,
                    created_by: by.map(Into::into),
                }
            },
        );
    let contact = (
        (
            pick(EVENT_IDS),
            pick(REP_REFS),
            pick(PROSPECT_REFS),
            instant(),
        ),
        (
            prop::option::of(prop_oneof![
                instant(),
                (0i64..10_000_000)
                    .prop_map(|ms| at("2001-01-01T00:00:00Z") + chrono::Duration::milliseconds(ms)),
            ]),
            prop::sample::select(Channel::ALL.to_vec()),
            prop::sample::select(Direction::ALL.to_vec()),
            prop::option::of(-2i64..100_000),
            prop::option::of(prop::sample::select(Outcome::ALL.to_vec())),
        ),
    )
        .prop_map(
            |((id, rep, p, occurred), (logged, channel, direction, duration, outcome))| Contact {
                logged_at: logged,
                direction,
                duration_s: duration,
                outcome,
                ..Contact::new(id, rep, p, occurred, channel)
            },
        );
    let meeting = (
        pick(EVENT_IDS),
        pick(REP_REFS),
        pick(PROSPECT_REFS),
        instant(),
        prop::sample::select(MeetingStatus::ALL.to_vec()),
    )
        .prop_map(|(id, rep, p, held, status)| Meeting {
            status,
            ..Meeting::new(id, rep, p, held)
        });
    let sale = (
        pick(EVENT_IDS),
        pick(REP_REFS),
        pick(PROSPECT_REFS),
        instant(),
        prop::option::of(prop_oneof![0i64..100_000, any::<i64>()]),
        prop::option::of(pick(&["EUR", "RON", "usd", "JPY", "kwd", "€"])),
    )
        .prop_map(|(id, rep, p, closed, amount, currency)| Sale {
            amount_minor: amount,
            currency,
            ..Sale::new(id, rep, p, closed)
        });
    (
        prop::collection::vec(rep, 1..4),
        prop::collection::vec(prospect, 0..6),
        prop::collection::vec(contact, 0..10),
        prop::collection::vec(meeting, 0..6),
        prop::collection::vec(sale, 0..6),
    )
        .prop_map(|(reps, prospects, contacts, meetings, sales)| Records {
            reps,
            prospects,
            contacts,
            meetings,
            sales,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn random_records_round_trip(records in records()) {
        let accepted = {
            let mut b = LedgerBuilder::new();
            b.mode(Mode::Lenient);
            b.add_records(records);
            b.build().map_err(|e| TestCaseError::fail(e.to_string()))?.to_records()
        };
        let dir = Scratch::new("prop-rt");
        write_salesforce(&accepted, dir.path());
        let imported = try_import(dir.path(), &ImportOptions::default())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(imported.rejections(), Vec::<String>::new());
        prop_assert_eq!(imported.skips(), Vec::new());
        prop_assert_eq!(imported.records(), carried(&accepted));
        prop_assert_eq!(imported.import.as_of(), Some(latest_created(&accepted)));
    }
}

// ---------------------------------------------------------------------------
// Edge cases: prospects.

#[test]
fn a_converted_lead_and_its_contact_are_one_prospect() {
    let dir = export("converted");
    // The lead's id is 15 characters, its ConvertedContactId too; the
    // contact's Id (and the account's) are the 18-character forms.
    dir.write(
        "Lead.csv",
        "Id,FirstName,LastName,Company,Email,Phone,City,CountryCode,LeadSource,CreatedDate,CreatedById,IsDeleted,IsConverted,ConvertedContactId\n\
         00QA000000XyZ12,Ioana,Marinescu,Alpha Trade SRL,ioana@alpha.ro,0722000001,Iași,RO,Web,2026-03-01T10:00:00.000+0000,u1,false,true,003A000000aBcDe\n\
         L2,Radu,Enache,Beta SRL,radu@beta.ro,,,RO,Trade Show,2026-03-02T10:00:00.000+0000,u1,false,false,\n\
         L3,Vlad,Stan,Gamma SRL,vlad@gamma.ro,,,,,2026-03-03T10:00:00.000+0000,u1,false,false,C3\n\
         L4,Dana,Pop,Delta SRL,,,,,Seminar - Partner,2026-03-04T10:00:00.000+0000,u1,false,TRUE,\n",
    )
    .write(
        "Contact.csv",
        "Id,FirstName,LastName,AccountId,Email,MobilePhone,MailingCity,MailingCountry,LeadSource,CreatedDate\n\
         003A000000aBcDeIAK,John,Smith,001A0000006Vm9r,john@omega.com,+1 555 0100,Boston,US,Employee Referral,2026-04-01T10:00:00.000+0000\n\
         C3,Xu,Li,,xu@z.cn,,,China,Billboard,2026-04-02T10:00:00.000+0000\n",
    )
    .write("Account.csv", "Id,Name\n001A0000006Vm9rIAC,Omega Inc\n");
    let imported = import(&dir);
    assert_eq!(imported.rejections(), Vec::<String>::new());
    let ledger = &imported.ledger;

    // Nothing in common but the conversion.
    let (lead, contact) = ("00QA000000XyZ12MAF", "003A000000aBcDeIAK");
    assert!(ledger.prospect_of(lead).is_some());
    assert_eq!(ledger.prospect_of(lead), ledger.prospect_of(contact));
    // Not converted, or converted to no contact: no link.
    assert_ne!(ledger.prospect_of("L3"), ledger.prospect_of("C3"));
    assert_eq!(ledger.prospect_of("L4"), Some("L4"));
    assert_eq!(ledger.prospect_count(), 5);

    let p = imported.prospect(lead);
    assert_eq!(p.name.as_deref(), Some("Ioana Marinescu"));
    assert_eq!(p.company.as_deref(), Some("Alpha Trade SRL"));
    assert_eq!(p.city.as_deref(), Some("Iași"));
    assert_eq!(p.country.as_deref(), Some("RO"));
    assert_eq!(p.source, Some(Source::Inbound));
    assert_eq!(p.created_by.as_ref().map(|r| r.as_str()), Some("u1"));
    let c = imported.prospect(contact);
    assert_eq!(
        c.company.as_deref(),
        Some("Omega Inc"),
        "the Name of its Account"
    );
    assert_eq!(
        c.phone.as_deref(),
        Some("+1 555 0100"),
        "MobilePhone when no Phone"
    );
    assert_eq!(c.city.as_deref(), Some("Boston"));
    assert_eq!(
        c.country.as_deref(),
        Some("US"),
        "two-letter MailingCountry"
    );
    assert_eq!(c.source, Some(Source::Referral));
    let c3 = imported.prospect("C3");
    assert_eq!(c3.country, None, "MailingCountry `China` is no code");
    assert_eq!(c3.source, Some(Source::Other));
    assert_eq!(c3.company, None);
    assert_eq!(imported.prospect("L4").source, Some(Source::Event));
}

#[test]
fn an_account_row_without_id_gives_no_company() {
    // Regression: the empty AccountId of a contact (and every lead, which
    // has no AccountId) looked up the account of empty Id.
    let dir = export("account-no-id");
    dir.write("Lead.csv", "Id,LastName,Company\nL1,Pop,\nL2,Ion,Acme\n")
        .write("Contact.csv", "Id,LastName,AccountId\nC1,Li,\n")
        .write("Account.csv", "Id,Name\n,Ghost Ltd\n");
    let imported = import(&dir);
    assert_eq!(imported.prospect("L1").company, None);
    assert_eq!(imported.prospect("L2").company.as_deref(), Some("Acme"));
    assert_eq!(imported.prospect("C1").company, None);
}

#[test]
fn deleted_rows_are_skipped_in_every_file_and_not_validated() {
    let dir = export("deleted");
    dir.write(
        "User.csv",
        "Id,Name,CreatedDate,IsDeleted\n\
         u1,Ana,2026-01-01T00:00:00.000+0000,false\n\
         u2,Gone,2026-01-01T00:00:00.000+0000,true\n",
    )
    .write(
        "Lead.csv",
        "Id,LastName,CreatedDate,IsDeleted\n\
         L1,Sousa,2026-02-01T00:00:00.000+0000,false\n\
         L2,Gone,not a time,TRUE\n",
    )
    .write(
        "Contact.csv",
        "Id,LastName,AccountId,IsDeleted\nC1,Pop,A1,0\nC2,Gone,A2,1\n",
    )
    .write(
        "Account.csv",
        "Id,Name,IsDeleted\nA1,Acme,false\nA2,Gone Ltd,true\n",
    )
    .write(
        "Task.csv",
        "Id,OwnerId,WhoId,Status,CreatedDate,IsDeleted\n\
         T1,u1,L1,Completed,2026-06-01T09:00:00.000+0000,false\n\
         T2,nobody,L2,Completed,garbage,true\n",
    )
    .write(
        "Event.csv",
        "Id,OwnerId,WhoId,StartDateTime,CreatedDate,IsDeleted\n\
         E1,u1,C1,2026-05-30T09:00:00.000+0000,2026-05-20T09:00:00.000+0000,false\n\
         E2,u1,,2099-01-01T00:00:00.000+0000,2026-05-20T09:00:00.000+0000,true\n",
    )
    .write(
        "Opportunity.csv",
        "Id,OwnerId,ContactId,IsWon,CloseDate,Amount,CurrencyIsoCode,IsDeleted\n\
         O1,u1,,true,2026-06-03,100,EUR,false\n\
         O2,u1,C2,maybe,someday,-1,EUR,true\n",
    )
    .write(
        "OpportunityContactRole.csv",
        "Id,OpportunityId,ContactId,IsPrimary,IsDeleted\n\
         R1,O1,C1,false,true\n\
         R2,O1,C1,true,false\n\
         R3,O1,A1,true,true\n",
    );
    let imported = import(&dir);
    assert_eq!(imported.rejections(), Vec::<String>::new());
    assert_eq!(
        imported.summary(),
        "file,rows,imported,skipped,rejected,skip_reason_counts\n\
         Account.csv,2,1,1,0,deleted=1\n\
         Contact.csv,2,1,1,0,deleted=1\n\
         Event.csv,2,1,1,0,deleted=1\n\
         Lead.csv,2,1,1,0,deleted=1\n\
         Opportunity.csv,2,1,1,0,deleted=1\n\
         OpportunityContactRole.csv,3,1,2,0,deleted=2\n\
         Task.csv,2,1,1,0,deleted=1\n\
         User.csv,2,1,1,0,deleted=1\n"
    );
    assert_eq!(imported.prospect("C1").company.as_deref(), Some("Acme"));
    assert_eq!(imported.sale("O1").prospect_id.as_str(), "C1");
}

#[test]
fn open_tasks_are_skipped_completed_ones_imported() {
    let dir = export("open");
    dir.write("Lead.csv", "Id,LastName\nL1,Pop\n").write(
        "Task.csv",
        "Id,OwnerId,WhoId,Subject,Status,IsClosed,TaskSubtype,CreatedDate\n\
         T1,u1,L1,Call,Completed,true,Call,2026-06-01T09:00:00.000+0000\n\
         T2,u1,L1,Call,Not Started,false,Call,2026-06-01T09:00:00.000+0000\n\
         T3,u1,L1,Call,In Progress,false,Call,2026-06-01T09:00:00.000+0000\n\
         T4,u1,L1,Call,completed,false,Call,2026-06-01T09:00:00.000+0000\n\
         T5,u1,L1,Call,Waiting on someone else,true,Call,2026-06-01T09:00:00.000+0000\n\
         T6,u1,,Call,Not Started,false,Call,2026-06-01T09:00:00.000+0000\n\
         T7,u1,L1,Call,Deferred,TRUE,Call,2026-06-01T09:00:00.000+0000\n\
         T8,u1,L1,Call,,,Call,2026-06-01T09:00:00.000+0000\n",
    );
    let imported = import(&dir);
    assert_eq!(imported.contact_ids(), ["T1", "T4", "T5", "T7"]);
    // Open comes before no WhoId (T6).
    assert_eq!(
        imported.skips(),
        pairs(&[
            ("T2", "open_task"),
            ("T3", "open_task"),
            ("T6", "open_task"),
            ("T8", "open_task")
        ])
    );

    // Status and IsClosed both absent: every task is completed.
    dir.write(
        "Task.csv",
        "Id,OwnerId,WhoId,CreatedDate\nT1,u1,L1,2026-06-01T09:00:00.000+0000\n",
    );
    assert_eq!(import(&dir).contact_ids(), ["T1"]);
    // Only IsClosed: it decides.
    dir.write(
        "Task.csv",
        "Id,OwnerId,WhoId,CreatedDate,IsClosed\n\
         T1,u1,L1,2026-06-01T09:00:00.000+0000,1\n\
         T2,u1,L1,2026-06-01T09:00:00.000+0000,0\n",
    );
    let imported = import(&dir);
    assert_eq!(imported.contact_ids(), ["T1"]);
    assert_eq!(imported.skips(), pairs(&[("T2", "open_task")]));
}

#[test]
fn tasks_and_events_without_a_live_prospect_are_skipped() {
    let dir = export("no-prospect");
    dir.write(
        "Lead.csv",
        "Id,LastName,IsDeleted\nL1,Pop,false\nL2,Gone,true\n",
    )
    .write("Account.csv", "Id,Name\nA1,Acme\n")
    .write(
        "Task.csv",
        "Id,OwnerId,WhoId,Status,CreatedDate\n\
         T1,u1,,Completed,2026-06-01T09:00:00.000+0000\n\
         T2,u1,L2,Completed,2026-06-01T09:00:00.000+0000\n\
         T3,u1,00Q999999999999,Completed,2026-06-01T09:00:00.000+0000\n\
         T4,u1,A1,Completed,2026-06-01T09:00:00.000+0000\n\
         T5,u1,C1,Completed,2026-06-01T09:00:00.000+0000\n\
         T6,u1,L1,Completed,not a time\n",
    )
    .write(
        "Event.csv",
        "Id,OwnerId,WhoId,StartDateTime,CreatedDate\n\
         E1,u1,,2026-05-01T09:00:00.000+0000,2026-04-01T09:00:00.000+0000\n\
         E2,u1,L2,2026-05-01T09:00:00.000+0000,2026-04-01T09:00:00.000+0000\n\
         E3,u1,X1,2099-05-01T09:00:00.000+0000,2026-04-01T09:00:00.000+0000\n\
         E4,u1,L1,2026-05-01T09:00:00.000+0000,2026-04-01T09:00:00.000+0000\n",
    );
    let imported = import(&dir);
    assert_eq!(
        imported.skips(),
        pairs(&[
            ("E1", "no_prospect"),
            ("E2", "no_prospect"),
            // no_prospect comes before future_event.
            ("E3", "no_prospect"),
            ("L2", "deleted"),
            ("T1", "no_prospect"),
            ("T2", "no_prospect"),
            ("T3", "no_prospect"),
            ("T4", "no_prospect"),
            // No Contact.csv: C1 names nothing.
            ("T5", "no_prospect"),
        ])
    );
    assert_eq!(imported.meeting_ids(), ["E4"]);
    // A task with a live prospect is validated: a bad CreatedDate (no
    // CompletedDateTime) is a bad occurred_at.
    assert_eq!(imported.rejections(), ["contact,6,T6,occurred_at,bad_time"]);
}

#[test]
fn a_who_id_naming_a_rejected_prospect_record_is_rejected_unknown_prospect() {
    let dir = export("rejected-lead");
    dir.write(
        "Lead.csv",
        "Id,LastName,CreatedDate,IsDeleted\n\
         L1,Pop,2026-05-01T10:00:00.000+0000,false\n\
         L2,Ion,yesterday,false\n\
         L3,Lupu,2026-05-01T10:00:00.000+0000,maybe\n",
    )
    .write(
        "Contact.csv",
        "Id,LastName,CreatedById\nC1,Li,u1\nC2,Wu,nobody\n",
    )
    .write(
        "Task.csv",
        "Id,OwnerId,WhoId,CreatedDate\n\
         T1,u1,L1,2026-06-01T09:00:00.000+0000\n\
         T2,u1,L2,2026-06-01T09:00:00.000+0000\n\
         T3,u1,L3,2026-06-01T09:00:00.000+0000\n\
         T4,u1,C2,2026-06-01T09:00:00.000+0000\n",
    )
    .write(
        "Event.csv",
        "Id,OwnerId,WhoId,StartDateTime\nE1,u1,L2,2026-05-01T09:00:00.000+0000\n",
    )
    .write(
        "Opportunity.csv",
        "Id,OwnerId,ContactId,IsWon,CloseDate\n\
         O1,u1,C2,true,2026-06-01\n\
         O2,u1,C9,true,2026-06-01\n",
    );
    let imported = import(&dir);
    assert_eq!(imported.contact_ids(), ["T1"]);
    assert!(imported.skips().is_empty(), "{:?}", imported.skips());
    assert_eq!(
        imported.rejections(),
        [
            "contact,2,T2,prospect_id,unknown_prospect",
            // A lead whose IsDeleted is no boolean is rejected, not
            // deleted: its tasks cascade like those of any rejected row.
            "contact,3,T3,prospect_id,unknown_prospect",
            "contact,4,T4,prospect_id,unknown_prospect",
            "meeting,1,E1,prospect_id,unknown_prospect",
            "prospect,2,C2,created_by,unknown_rep",
            "prospect,2,L2,created_at,bad_time",
            "prospect,3,L3,IsDeleted,unknown_enum",
            "sale,1,O1,prospect_id,unknown_prospect",
            // A deal's contact that names no row at all: rejected too.
            "sale,2,O2,prospect_id,unknown_prospect",
        ]
    );
}

// ---------------------------------------------------------------------------
// Edge cases: events and opportunities.

#[test]
fn planned_meetings_are_future_events() {
    let dir = export("future");
    dir.write("Lead.csv", "Id,LastName\nL1,Pop\n").write(
        "Event.csv",
        "Id,OwnerId,WhoId,StartDateTime,ActivityDateTime,CreatedDate\n\
         E1,u1,L1,2026-06-01T09:00:00.000+0000,,2026-05-20T09:00:00.000+0000\n\
         E2,u1,L1,2026-06-20T09:00:00.000+0000,,2026-06-05T12:00:00.000+0000\n\
         E3,u1,L1,2026-06-05T12:00:00.000+0000,,2026-06-01T09:00:00.000+0000\n\
         E4,u1,L1,2026-06-05T12:00:00.001+0000,,2026-06-01T09:00:00.000+0000\n\
         E5,u1,L1,,2026-07-01T09:00:00.000+0000,2026-06-01T09:00:00.000+0000\n\
         E6,u1,L1,,2026-06-02T09:00:00.000Z,2026-06-01T09:00:00.000+0000\n",
    );
    // As of the latest CreatedDate (E2's): held exactly then is not after.
    let imported = import(&dir);
    assert_eq!(imported.import.as_of(), Some(at("2026-06-05T12:00:00Z")));
    assert_eq!(imported.meeting_ids(), ["E1", "E3", "E6"]);
    assert_eq!(
        imported.skips(),
        pairs(&[
            ("E2", "future_event"),
            ("E4", "future_event"),
            ("E5", "future_event")
        ])
    );
    let held: Vec<_> = imported
        .records()
        .meetings
        .iter()
        .map(|m| (m.held_at, m.status))
        .collect();
    assert_eq!(
        held,
        [
            (at("2026-06-01T09:00:00Z"), MeetingStatus::Held),
            (at("2026-06-05T12:00:00Z"), MeetingStatus::Held),
            (at("2026-06-02T09:00:00Z"), MeetingStatus::Held),
        ]
    );

    // --as-of later: nothing is in the future; earlier: more is.
    let later = ImportOptions {
        as_of: Some(at("2026-12-31T00:00:00Z")),
        ..ImportOptions::default()
    };
    let imported = import_with(&dir, &later);
    assert_eq!(imported.import.as_of(), later.as_of);
    assert_eq!(imported.meeting_ids(), ["E1", "E2", "E3", "E4", "E5", "E6"]);
    let earlier = ImportOptions {
        as_of: Some(at("2026-05-31T00:00:00Z")),
        ..ImportOptions::default()
    };
    let imported = import_with(&dir, &earlier);
    assert!(imported.meeting_ids().is_empty());
    assert_eq!(imported.skips().len(), 6);
}

#[test]
fn lost_deals_deals_without_contact_and_contact_roles() {
    let dir = export("deals");
    dir.write("Contact.csv", "Id,LastName\nC1,Pop\nC2,Ion\nC3,Li\n")
        .remove("Lead.csv")
        .write(
            "Opportunity.csv",
            "Id,OwnerId,ContactId,IsWon,IsClosed,StageName,CloseDate,Amount,CurrencyIsoCode\n\
             O1,u1,C1,true,true,Closed Won,2026-06-03,1200.50,EUR\n\
             O2,u1,C1,false,true,Closed Lost,2026-06-03,900,EUR\n\
             O3,u1,C1,false,false,Negotiation,2026-07-03,900,EUR\n\
             O4,u1,,true,true,Closed Won,2026-06-04,100,EUR\n\
             O5,u1,,true,true,Closed Won,2026-06-05,,\n\
             O6,u1,,true,true,Closed Won,2026-06-06,,\n\
             O7,u1,,true,true,Closed Won,2026-06-07,,\n\
             O8,u1,C2,true,true,Closed Won,2026-06-08,,\n",
        )
        .write(
            "OpportunityContactRole.csv",
            "Id,OpportunityId,ContactId,IsPrimary,IsDeleted\n\
             R1,O5,C2,false,false\n\
             R2,O5,C3,true,false\n\
             R3,O5,C1,false,false\n\
             R4,O6,C3,false,false\n\
             R5,O6,C2,false,false\n\
             R6,O7,C1,true,true\n\
             R7,O8,C3,true,false\n",
        );
    let imported = import(&dir);
    assert_eq!(imported.rejections(), Vec::<String>::new());
    assert_eq!(
        imported.skips(),
        pairs(&[
            ("O2", "not_won"),
            ("O3", "not_won"),
            ("O4", "no_contact"),
            // Its only role is deleted.
            ("O7", "no_contact"),
            ("R6", "deleted"),
        ])
    );
    let contact_of = |id: &str| imported.sale(id).prospect_id.to_string();
    assert_eq!(contact_of("O1"), "C1");
    assert_eq!(contact_of("O5"), "C3", "the primary role");
    assert_eq!(
        contact_of("O6"),
        "C2",
        "no primary: the smallest contact id"
    );
    assert_eq!(contact_of("O8"), "C2", "the deal's own ContactId first");
    let o1 = imported.sale("O1");
    assert_eq!(o1.closed_at, at("2026-06-03T23:59:59Z"));
    assert_eq!(o1.amount_minor, Some(120_050));
    assert_eq!(o1.currency.as_deref(), Some("EUR"));
    assert_eq!(imported.sale("O5").amount_minor, None);
}

#[test]
fn amounts_follow_the_currency_exponent() {
    let dir = export("amounts");
    dir.write("Lead.csv", "Id,LastName\nL1,Pop\n").write(
        "Opportunity.csv",
        "Id,OwnerId,ContactId,IsWon,CloseDate,Amount,CurrencyIsoCode\n\
         O01,u1,L1,true,2026-06-01,12500,EUR\n\
         O02,u1,L1,true,2026-06-01,12500.5,EUR\n\
         O03,u1,L1,true,2026-06-01,12500.50,EUR\n\
         O04,u1,L1,true,2026-06-01,12500.505,EUR\n\
         O05,u1,L1,true,2026-06-01,1500,JPY\n\
         O06,u1,L1,true,2026-06-01,1500.5,JPY\n\
         O07,u1,L1,true,2026-06-01,1.234,KWD\n\
         O08,u1,L1,true,2026-06-01,1.2345,kwd\n\
         O09,u1,L1,true,2026-06-01,-3.00,EUR\n\
         O10,u1,L1,true,2026-06-01,,EUR\n\
         O11,u1,L1,true,2026-06-01,99.9,\n\
         O12,u1,L1,true,2026-06-01,1e3,EUR\n\
         O13,u1,L1,true,2026-06-01,\"1,000.00\",EUR\n\
         O14,u1,L1,true,2026-06-01,-0.00,EUR\n\
         O15,u1,L1,true,2026-06-01,0.1,\n\
         O16,u1,L1,true,2026-06-01,2500,\n",
    );
    let amounts = |imported: &Imported| -> Vec<(String, Option<i64>, Option<String>)> {
        imported
            .records()
            .sales
            .into_iter()
            .map(|s| (s.sale_id.to_string(), s.amount_minor, s.currency))
            .collect()
    };
    let eur = Some("EUR".to_owned());
    let imported = import(&dir);
    assert_eq!(
        amounts(&imported),
        [
            ("O01".to_owned(), Some(1_250_000), eur.clone()),
            ("O02".to_owned(), Some(1_250_050), eur.clone()),
            ("O03".to_owned(), Some(1_250_050), eur.clone()),
            ("O05".to_owned(), Some(1500), Some("JPY".to_owned())),
            ("O07".to_owned(), Some(1234), Some("KWD".to_owned())),
            ("O10".to_owned(), None, eur.clone()),
            ("O11".to_owned(), Some(9990), None),
            ("O14".to_owned(), Some(0), eur.clone()),
            ("O15".to_owned(), Some(10), None),
            ("O16".to_owned(), Some(250_000), None),
        ]
    );
    assert_eq!(
        imported.rejections(),
        [
            "sale,4,O04,amount_minor,bad_number",
            "sale,6,O06,amount_minor,bad_number",
            "sale,8,O08,amount_minor,bad_number",
            "sale,9,O09,amount_minor,negative_number",
            "sale,12,O12,amount_minor,bad_number",
            "sale,13,O13,amount_minor,bad_number",
        ]
    );

    // --currency names the currency of rows without one, and so their
    // exponent: O11 and O15 have too many decimals for yen.
    let yen = ImportOptions {
        currency: Some("JPY".to_owned()),
        ..ImportOptions::default()
    };
    let imported = import_with(&dir, &yen);
    let got = amounts(&imported);
    assert!(got.contains(&("O01".to_owned(), Some(1_250_000), eur)));
    assert!(got.contains(&("O16".to_owned(), Some(2500), Some("JPY".to_owned()))));
    let rejections = imported.rejections();
    assert!(rejections.contains(&"sale,11,O11,amount_minor,bad_number".to_owned()));
    assert!(rejections.contains(&"sale,15,O15,amount_minor,bad_number".to_owned()));

    // A single-currency org exports no CurrencyIsoCode column at all.
    dir.write(
        "Opportunity.csv",
        "Id,OwnerId,ContactId,IsWon,CloseDate,Amount\nO1,u1,L1,true,2026-06-01,2500\n",
    );
    assert_eq!(
        amounts(&import_with(&dir, &yen)),
        [("O1".to_owned(), Some(2500), Some("JPY".to_owned()))]
    );
    assert_eq!(
        amounts(&import(&dir)),
        [("O1".to_owned(), Some(250_000), None)]
    );
}

// ---------------------------------------------------------------------------
// Edge cases: ids, headers, times.

/// Salesforce's case-safe suffix of a 15-character id, written from the
/// public description (independent of the crate's code): per 5-character
/// chunk, bit i set when character i is an upper-case ASCII letter,
/// indexing `A`–`Z`, `0`–`5`.
fn id18(id: &str) -> String {
    const SUFFIX: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
    assert_eq!(id.len(), 15);
    let mut out = id.to_owned();
    for chunk in id.as_bytes().chunks(5) {
        let bits = (0..5)
            .filter(|&i| chunk[i].is_ascii_uppercase())
            .fold(0, |acc, i| acc | (1 << i));
        out.push(char::from(SUFFIX[bits]));
    }
    out
}

#[test]
fn fifteen_and_eighteen_character_ids_join() {
    // Salesforce's documented pair, and the ids used below.
    assert_eq!(id18("001A0000006Vm9r"), "001A0000006Vm9rIAC");
    for (short, long) in [
        ("005A0000001abcd", "005A0000001abcdIAA"),
        ("005A0000001ABCD", "005A0000001ABCDIA4"),
        ("00QA000000XyZ12", "00QA000000XyZ12MAF"),
        ("003A000000AbCdE", "003A000000AbCdEIAV"),
        ("006A000000Opp01", "006A000000Opp01IAB"),
        ("00UA000000Ev001", "00UA000000Ev001MAB"),
        ("00TA000000Task1", "00TA000000Task1MAB"),
    ] {
        assert_eq!(id18(short), long);
    }

    let dir = export("ids");
    // Two users whose 15-character ids differ only in case: two reps.
    dir.write(
        "User.csv",
        "Id,Name,UserRoleId\n005A0000001abcdIAA,Ana,00EA0000000role1\n005A0000001ABCD,Bob,\n",
    )
    .write(
        "Lead.csv",
        "Id,LastName,CreatedById\n00QA000000XyZ12,Pop,005A0000001abcd\nshort-id,Ion,005A0000001ABCDIA4\n",
    )
    .write("Contact.csv", "Id,LastName\n003A000000AbCdE,Li\n")
    .write(
        "Task.csv",
        "Id,OwnerId,WhoId,CreatedDate\n\
         00TA000000Task1,005A0000001abcd,00QA000000XyZ12MAF,2026-06-01T09:00:00.000+0000\n\
         T-2,005A0000001ABCDIA4,short-id,2026-06-01T09:00:00.000+0000\n",
    )
    .write(
        "Event.csv",
        "Id,OwnerId,WhoId,StartDateTime\n00UA000000Ev001,005A0000001abcd,00QA000000XyZ12,2026-05-01T09:00:00.000+0000\n",
    )
    .write(
        "Opportunity.csv",
        "Id,OwnerId,IsWon,CloseDate\n006A000000Opp01IAB,005A0000001ABCD,true,2026-06-01\n",
    )
    .write(
        "OpportunityContactRole.csv",
        "Id,OpportunityId,ContactId,IsPrimary\nR1,006A000000Opp01,003A000000AbCdEIAV,true\n",
    );
    let imported = import(&dir);
    assert_eq!(imported.rejections(), Vec::<String>::new());
    let records = imported.records();
    let reps: Vec<_> = records
        .reps
        .iter()
        .map(|r| {
            (
                r.rep_id.to_string(),
                r.team_id.as_ref().map(|t| t.to_string()),
            )
        })
        .collect();
    assert_eq!(
        reps,
        [
            ("005A0000001ABCDIA4".to_owned(), None),
            (
                "005A0000001abcdIAA".to_owned(),
                Some("00EA0000000role1".to_owned())
            ),
        ]
    );
    let lead = imported.prospect("00QA000000XyZ12MAF");
    assert_eq!(
        lead.created_by.map(|r| r.to_string()).as_deref(),
        Some("005A0000001abcdIAA")
    );
    let task = imported.contact("00TA000000Task1MAB");
    assert_eq!(task.rep_id.as_str(), "005A0000001abcdIAA");
    assert_eq!(task.prospect_id.as_str(), "00QA000000XyZ12MAF");
    assert_eq!(
        imported.contact("T-2").rep_id.as_str(),
        "005A0000001ABCDIA4"
    );
    let meeting = &records.meetings[0];
    assert_eq!(meeting.meeting_id.as_str(), "00UA000000Ev001MAB");
    assert_eq!(meeting.prospect_id.as_str(), "00QA000000XyZ12MAF");
    let sale = imported.sale("006A000000Opp01IAB");
    assert_eq!(sale.rep_id.as_str(), "005A0000001ABCDIA4");
    assert_eq!(sale.prospect_id.as_str(), "003A000000AbCdEIAV");
}

#[test]
fn data_loader_headers_a_bom_and_unknown_columns() {
    let dir = export("data-loader");
    dir.write(
        "User.csv",
        "\u{feff}ID,FIRSTNAME,LASTNAME,USERROLEID,SYSTEMMODSTAMP\nu1,Ana,Lima,north,2026-01-01T00:00:00.000Z\n",
    )
    .write(
        "Lead.csv",
        "\u{feff}ID,FIRSTNAME,LASTNAME,COMPANY,EMAIL,LEADSOURCE,CREATEDDATE,ISDELETED,ISCONVERTED\n\
         L1,Rui,Sousa,Acme,rui@acme.pt,purchased list,2026-05-01T10:00:00.000Z,FALSE,FALSE\n\
         L2,Old,Lead,Gone,,,2026-05-02T10:00:00.000Z,TRUE,FALSE\n",
    )
    .write(
        "Task.csv",
        "\u{feff}ID,OWNERID,WHOID,STATUS,TASKSUBTYPE,CALLTYPE,CALLDURATIONINSECONDS,CALLDISPOSITION,ACTIVITYDATE,COMPLETEDDATETIME,CREATEDDATE,ISDELETED\n\
         T1,u1,L1,COMPLETED,CALL,INBOUND,95,LEFT VOICEMAIL,2026-06-01,2026-06-01T09:00:00.000Z,2026-06-01T09:02:00.000Z,FALSE\n",
    )
    .write(
        "Event.csv",
        " Id , OwnerId ,WHOID, STARTDATETIME \nE1,u1,L1,2026-05-20T09:00:00.000Z\n",
    )
    .write(
        "Opportunity.csv",
        "ID,OWNERID,CONTACTID,ISWON,CLOSEDATE,AMOUNT,CURRENCYISOCODE\nO1,u1,L1,TRUE,2026-06-02,10,RON\n",
    );
    let imported = import(&dir);
    assert_eq!(imported.rejections(), Vec::<String>::new());
    assert_eq!(imported.skips(), pairs(&[("L2", "deleted")]));
    let records = imported.records();
    assert_eq!(records.reps[0].name.as_deref(), Some("Ana Lima"));
    assert_eq!(
        records.reps[0].team_id.as_ref().map(|t| t.as_str()),
        Some("north")
    );
    let lead = imported.prospect("L1");
    assert_eq!(lead.company.as_deref(), Some("Acme"));
    assert_eq!(lead.source, Some(Source::ColdList));
    assert_eq!(lead.created_at, Some(at("2026-05-01T10:00:00Z")));
    let task = imported.contact("T1");
    assert_eq!(task.channel, Channel::Phone);
    assert_eq!(task.direction, Direction::Inbound);
    assert_eq!(task.duration_s, Some(95));
    assert_eq!(task.outcome, Some(Outcome::NoAnswer));
    assert_eq!(task.occurred_at, at("2026-06-01T09:00:00Z"));
    assert_eq!(task.logged_at, Some(at("2026-06-01T09:02:00Z")));
    assert_eq!(imported.meeting_ids(), ["E1"]);
    assert_eq!(imported.sale("O1").amount_minor, Some(1000));
}

#[test]
fn task_fields_map_to_channel_direction_and_outcome() {
    let dir = export("task-fields");
    dir.write("Lead.csv", "Id,LastName\nL1,Pop\n").write(
        "Task.csv",
        "Id,OwnerId,WhoId,TaskSubtype,Type,CallType,CallDisposition,CreatedDate\n\
         T01,u1,L1,Call,Email,Outbound,Busy signal,2026-06-01T09:00:00.000+0000\n\
         T02,u1,L1,Email,,,,2026-06-01T09:00:00.000+0000\n\
         T03,u1,L1,ListEmail,,,Not interested in a meeting,2026-06-01T09:00:00.000+0000\n\
         T04,u1,L1,LinkedIn,,Inbound,Booked demo,2026-06-01T09:00:00.000+0000\n\
         T05,u1,L1,Task,Call,Internal,spoke to CFO,2026-06-01T09:00:00.000+0000\n\
         T06,u1,L1,Task,Email,,had a conversation,2026-06-01T09:00:00.000+0000\n\
         T07,u1,L1,Task,Meeting,,wrong number,2026-06-01T09:00:00.000+0000\n\
         T08,u1,L1,Task,Other,,,2026-06-01T09:00:00.000+0000\n\
         T09,u1,L1,Cadence,,,NO ANSWER,2026-06-01T09:00:00.000+0000\n\
         T10,u1,L1,,,,Meeting booked,2026-06-01T09:00:00.000+0000\n",
    );
    let got: Vec<_> = import(&dir)
        .records()
        .contacts
        .into_iter()
        .map(|c| (c.channel, c.direction, c.outcome))
        .collect();
    use Channel::*;
    use Direction::*;
    assert_eq!(
        got,
        [
            (Phone, Outbound, Some(Outcome::NoAnswer)),
            (Email, Outbound, None),
            (Email, Outbound, Some(Outcome::NotInterested)),
            (Internet, Inbound, Some(Outcome::MeetingBooked)),
            (Phone, Outbound, Some(Outcome::Conversation)),
            (Email, Outbound, Some(Outcome::Conversation)),
            (InPerson, Outbound, Some(Outcome::Other)),
            (Other, Outbound, None),
            (Other, Outbound, Some(Outcome::NoAnswer)),
            (Other, Outbound, Some(Outcome::MeetingBooked)),
        ]
    );
}

#[test]
fn instants_in_the_forms_salesforce_tools_write() {
    let dir = export("instants");
    let long = format!("2026-06-01T09:00:00.{}+0000", "1".repeat(60));
    let cells = [
        "2026-06-01T09:00:00.000Z",
        "2026-06-01T09:00:00.000+0000",
        "2026-06-01T11:00:00.000+0200",
        "2026-06-01T07:30:00-0130",
        "2026-06-01T11:00:00+02:00",
        "2026-06-01t09:00:00z",
        long.as_str(),
        // Not instants: a two-digit offset, no offset, an hour offset out
        // of range, a report's local form, a bare date.
        "2026-06-01T09:00:00+00",
        "2026-06-01 09:00",
        "2026-06-01T09:00:00.000+2400",
        "6/1/2026 9:00 AM",
        "2026-06-01",
    ];
    let mut tasks = "Id,OwnerId,WhoId,CompletedDateTime,CreatedDate\n".to_owned();
    for (i, cell) in cells.iter().enumerate() {
        tasks += &format!("T{:02},u1,L1,{cell},\n", i + 1);
    }
    dir.write("Lead.csv", "Id,LastName\nL1,Pop\n")
        .write("Task.csv", &tasks);
    let imported = import(&dir);
    let nine = at("2026-06-01T09:00:00Z");
    let occurred: Vec<_> = imported
        .records()
        .contacts
        .iter()
        .map(|c| c.occurred_at)
        .collect();
    let fraction = at("2026-06-01T09:00:00.111111Z");
    assert_eq!(occurred, [nine, nine, nine, nine, nine, nine, fraction]);
    let rejected: Vec<String> = (8..=12)
        .map(|i| format!("contact,{i},T{i:02},occurred_at,bad_time"))
        .collect();
    assert_eq!(imported.rejections(), rejected);
}

#[test]
fn quoted_newlines_and_crlf_keep_row_numbers() {
    // Large enough to be read in parts; every row holds a quoted field
    // with line breaks and quotes, and lines end in CRLF.
    let mut tasks = "Id,OwnerId,WhoId,Subject,Status,CreatedDate\r\n".to_owned();
    let mut skipped = "file,row,id,reason\n".to_owned();
    let mut rejected = Vec::new();
    for i in 1..=600 {
        let who = if i % 50 == 0 { "" } else { "L1" };
        let status = if i % 70 == 0 { "Open" } else { "Completed" };
        let created = if i % 90 == 0 {
            "never"
        } else {
            "2026-06-01T09:00:00.000+0000"
        };
        tasks += &format!(
            "T{i:03},u1,{who},\"line one\r\nline \"\"two\"\",\n{i}\",{status},{created}\r\n"
        );
        if i % 70 == 0 {
            skipped += &format!("Task.csv,{i},T{i:03},open_task\n");
        } else if i % 50 == 0 {
            skipped += &format!("Task.csv,{i},T{i:03},no_prospect\n");
        } else if i % 90 == 0 {
            rejected.push(format!("contact,{i},T{i:03},occurred_at,bad_time"));
        }
    }
    let dir = export("multi-line");
    dir.write("Lead.csv", "Id,LastName\r\nL1,Pop\r\n")
        .write("Task.csv", &tasks);
    let imported = import(&dir);
    assert_eq!(imported.skipped(), skipped);
    assert_eq!(imported.rejections(), rejected);
    let contacts = imported.records().contacts;
    // 8 open, 11 without WhoId, 5 rejected.
    assert_eq!((skipped.lines().count() - 1, rejected.len()), (19, 5));
    assert_eq!(contacts.len(), 600 - 19 - 5);
    assert!(imported.summary().contains("\nTask.csv,600,"));
}

/// The fixture of the `ActivityDate` rule: `(id, CompletedDateTime,
/// ActivityDate, CreatedDate)`.
const ACTIVITY_TASKS: &str = "Id,OwnerId,WhoId,CompletedDateTime,ActivityDate,CreatedDate\n\
    T1,u1,L1,2026-06-01T23:30:00.000+0000,2026-06-01,2026-06-01T23:35:00.000+0000\n\
    T2,u1,L1,2026-06-03T09:00:00.000+0000,2026-05-29,2026-06-03T09:05:00.000+0000\n\
    T3,u1,L1,,2026-06-04,2026-06-04T10:00:00.000+0000\n\
    T4,u1,L1,,2026-06-06,2026-06-04T10:00:00.000+0000\n\
    T5,u1,L1,2026-06-04T23:30:00.000+0000,2026-06-05,2026-06-04T23:40:00.000+0000\n\
    T6,u1,L1,2026-06-07T08:00:00.000+0000,,2026-06-07T08:01:00.000+0000\n\
    T7,u1,L1,2026-01-15T23:30:00.000+0000,2026-01-15,2026-01-15T23:31:00.000+0000\n\
    T8,u1,L1,2026-06-08T08:00:00.000+0000,06/08/2026,2026-06-08T08:01:00.000+0000\n";

#[test]
fn activity_date_overrides_the_completion_day_at_local_noon() {
    let dir = export("activity-date");
    dir.write("Lead.csv", "Id,LastName\nL1,Pop\n")
        .write("Task.csv", ACTIVITY_TASKS)
        .write(
            "Opportunity.csv",
            "Id,OwnerId,ContactId,IsWon,CloseDate\n\
             O1,u1,L1,true,2026-06-03\n\
             O2,u1,L1,true,2026-01-03\n",
        );
    let times = |imported: &Imported| -> Vec<(String, String, Option<String>)> {
        imported
            .records()
            .contacts
            .into_iter()
            .map(|c| {
                let fmt = |t: DateTime<Utc>| t.format("%m-%dT%H:%M").to_string();
                (
                    c.contact_id.to_string(),
                    fmt(c.occurred_at),
                    c.logged_at.map(fmt),
                )
            })
            .collect()
    };
    let row = |id: &str, occurred: &str, logged: &str| {
        (id.to_owned(), occurred.to_owned(), Some(logged.to_owned()))
    };

    let utc = import(&dir);
    assert_eq!(
        times(&utc),
        [
            // Same UTC date: CompletedDateTime.
            row("T1", "06-01T23:30", "06-01T23:35"),
            // The rep says it happened on the 29th: noon that day.
            row("T2", "05-29T12:00", "06-03T09:05"),
            // No CompletedDateTime: CreatedDate, its date the same.
            row("T3", "06-04T10:00", "06-04T10:00"),
            // Dated after it was created: noon of the ActivityDate, and
            // logged_at clamped up to it.
            row("T4", "06-06T12:00", "06-06T12:00"),
            row("T5", "06-05T12:00", "06-05T12:00"),
            row("T6", "06-07T08:00", "06-07T08:01"),
            row("T7", "01-15T23:30", "01-15T23:31"),
        ]
    );
    assert_eq!(utc.sale("O1").closed_at, at("2026-06-03T23:59:59Z"));

    // Lisbon: UTC+1 in summer (WEST), UTC+0 in winter (WET).
    let lisbon = ImportOptions {
        time_zone: chrono_tz::Europe::Lisbon,
        ..ImportOptions::default()
    };
    let local = import_with(&dir, &lisbon);
    assert_eq!(
        times(&local),
        [
            // 23:30Z is 00:30 on the 2nd in Lisbon: noon Lisbon on the 1st.
            row("T1", "06-01T11:00", "06-01T23:35"),
            row("T2", "05-29T11:00", "06-03T09:05"),
            row("T3", "06-04T10:00", "06-04T10:00"),
            row("T4", "06-06T11:00", "06-06T11:00"),
            // 23:30Z on the 4th is the 5th in Lisbon: the dates agree.
            row("T5", "06-04T23:30", "06-04T23:40"),
            row("T6", "06-07T08:00", "06-07T08:01"),
            // January: Lisbon is on UTC, the dates agree.
            row("T7", "01-15T23:30", "01-15T23:31"),
        ]
    );
    assert_eq!(local.sale("O1").closed_at, at("2026-06-03T22:59:59Z"));
    assert_eq!(local.sale("O2").closed_at, at("2026-01-03T23:59:59Z"));
    // An ActivityDate not `YYYY-MM-DD` is a bad occurred_at.
    assert_eq!(local.rejections(), ["contact,8,T8,occurred_at,bad_time"]);
    assert_eq!(utc.rejections(), ["contact,8,T8,occurred_at,bad_time"]);
}

#[test]
fn logged_at_is_created_date_clamped_to_occurred_at() {
    let dir = export("logged-at");
    dir.write("Lead.csv", "Id,LastName\nL1,Pop\n").write(
        "Task.csv",
        "Id,OwnerId,WhoId,CompletedDateTime,CreatedDate\n\
         T1,u1,L1,2026-06-01T10:00:00.000+0000,2026-05-25T08:00:00.000+0000\n\
         T2,u1,L1,2026-06-01T10:00:00.000+0000,2026-06-01T10:00:00.000+0000\n\
         T3,u1,L1,2026-06-01T10:00:00.000+0000,2026-06-02T07:00:00.000+0000\n\
         T4,u1,L1,2026-06-01T10:00:00.000+0000,\n\
         T5,u1,L1,2026-06-01T10:00:00.000+0000,last week\n\
         T6,u1,L1,,\n\
         T7,u1,L1,soon,2026-06-01T10:00:00.000+0000\n",
    );
    let imported = import(&dir);
    let logged: Vec<_> = imported
        .records()
        .contacts
        .into_iter()
        .map(|c| (c.contact_id.to_string(), c.occurred_at, c.logged_at))
        .collect();
    let ten = at("2026-06-01T10:00:00Z");
    assert_eq!(
        logged,
        [
            // Planned ahead, completed later: never logged before it
            // happened (no logged_before_occurred rejection).
            ("T1".to_owned(), ten, Some(ten)),
            ("T2".to_owned(), ten, Some(ten)),
            ("T3".to_owned(), ten, Some(at("2026-06-02T07:00:00Z"))),
            ("T4".to_owned(), ten, None),
        ]
    );
    assert_eq!(
        imported.rejections(),
        [
            "contact,5,T5,logged_at,bad_time",
            "contact,6,T6,occurred_at,missing_field",
            "contact,7,T7,occurred_at,bad_time",
        ]
    );
}

// ---------------------------------------------------------------------------
// Edge cases: the folder.

#[test]
fn a_missing_required_file_is_an_error_naming_it() {
    for file in ["User.csv", "Task.csv", "Event.csv", "Opportunity.csv"] {
        let dir = export("missing-file");
        dir.remove(file);
        let error = try_import(dir.path(), &ImportOptions::default())
            .err()
            .unwrap_or_else(|| panic!("an export without {file} is an error"));
        assert!(error.to_string().contains(file), "{file}: {error}");
    }
    // Lead.csv or Contact.csv: one of them suffices.
    let dir = export("missing-lead");
    dir.remove("Lead.csv");
    let error = try_import(dir.path(), &ImportOptions::default())
        .err()
        .expect("an error");
    assert!(error.to_string().contains("Lead.csv"), "{error}");
    assert!(error.to_string().contains("Contact.csv"), "{error}");
    dir.write("Contact.csv", "Id,LastName\n");
    assert!(try_import(dir.path(), &ImportOptions::default()).is_ok());
}

#[test]
fn a_missing_required_column_is_an_error_naming_file_and_column() {
    let cases = [
        ("User.csv", "Name\nAna\n", "Id"),
        ("Lead.csv", "LastName\n", "Id"),
        ("Contact.csv", "LastName\n", "Id"),
        ("Account.csv", "Name\n", "Id"),
        ("Task.csv", "Id,WhoId,CreatedDate\n", "OwnerId"),
        ("Task.csv", "Id,OwnerId,CreatedDate\n", "WhoId"),
        ("Task.csv", "Id,OwnerId,WhoId\n", "CreatedDate"),
        ("Event.csv", "Id,WhoId,StartDateTime\n", "OwnerId"),
        ("Event.csv", "Id,OwnerId,ActivityDateTime\n", "WhoId"),
        (
            "Event.csv",
            "Id,OwnerId,WhoId,CreatedDate\n",
            "StartDateTime",
        ),
        ("Opportunity.csv", "Id,IsWon,CloseDate\n", "OwnerId"),
        ("Opportunity.csv", "Id,OwnerId,CloseDate\n", "IsWon"),
        ("Opportunity.csv", "Id,OwnerId,IsWon\n", "CloseDate"),
        (
            "OpportunityContactRole.csv",
            "Id,ContactId\n",
            "OpportunityId",
        ),
        (
            "OpportunityContactRole.csv",
            "Id,OpportunityId\n",
            "ContactId",
        ),
    ];
    for (file, text, column) in cases {
        let dir = export("missing-column");
        dir.write(file, text);
        match try_import(dir.path(), &ImportOptions::default()) {
            Err(error @ Error::MissingColumn { .. }) => {
                let message = error.to_string();
                assert!(message.contains(file), "{message}");
                assert!(message.contains(&format!("`{column}`")), "{message}");
            }
            Err(other) => panic!("{file} without {column}: {other}"),
            Ok(_) => panic!("{file} without {column} imported"),
        }
    }
    // ActivityDateTime stands in for StartDateTime.
    let dir = export("activity-date-time");
    dir.write("Event.csv", "ID,OWNERID,WHOID,ACTIVITYDATETIME\n");
    assert!(try_import(dir.path(), &ImportOptions::default()).is_ok());
}

#[test]
fn the_as_of_instant_is_the_latest_valid_created_date() {
    let dir = export("as-of");
    dir.write(
        "User.csv",
        "Id,Name,CreatedDate\nu1,Ana,2026-01-01T00:00:00.000+0000\n",
    )
    .write(
        "Lead.csv",
        "Id,LastName,CreatedDate,IsDeleted\n\
             L1,Pop,2026-05-01T10:00:00.000+0000,false\n\
             L2,Gone,2026-06-30T10:00:00.000+0000,true\n",
    )
    .write(
        "Task.csv",
        "Id,OwnerId,WhoId,CreatedDate\n\
             T1,u1,L1,2026-13-01T00:00:00.000+0000\n\
             T2,u1,L1,2026-07-01\n\
             T3,u1,L1,2026-06-29T23:00:00.000-0200\n",
    )
    .write(
        "Event.csv",
        "Id,OwnerId,WhoId,StartDateTime,CreatedDate\n\
             E1,u1,L1,2026-06-30T10:00:00.000+0000,2026-06-10T00:00:00.000Z\n\
             E2,u1,L1,2026-06-30T10:00:00.001+0000,2026-06-10T00:00:00.000Z\n",
    );
    // A deleted lead's CreatedDate counts; invalid ones (month 13, a bare
    // date) do not; T3 is 2026-06-30T01:00Z.
    let imported = import(&dir);
    assert_eq!(imported.import.as_of(), Some(at("2026-06-30T10:00:00Z")));
    assert_eq!(imported.meeting_ids(), ["E1"]);
    assert_eq!(
        imported.skips(),
        pairs(&[("E2", "future_event"), ("L2", "deleted")])
    );

    let given = ImportOptions {
        as_of: Some(at("2026-06-01T00:00:00Z")),
        ..ImportOptions::default()
    };
    assert_eq!(import_with(&dir, &given).import.as_of(), given.as_of);

    // No CreatedDate anywhere: no as-of instant, no event is in the future.
    let empty = export("as-of-none");
    empty.write("Lead.csv", "Id,LastName\nL1,Pop\n").write(
        "Event.csv",
        "Id,OwnerId,WhoId,StartDateTime\nE1,u1,L1,2099-01-01T00:00:00Z\n",
    );
    let imported = import(&empty);
    assert_eq!(imported.import.as_of(), None);
    assert_eq!(imported.meeting_ids(), ["E1"]);
}

/// One export with a row of every fate: its exact `import_summary.csv`,
/// `skipped.csv` and rejections.
#[test]
fn summary_and_skipped_files_of_a_mixed_export() {
    let dir = export("mixed");
    dir.write(
        "User.csv",
        "Id,FirstName,LastName,Name,UserRoleId,CreatedDate,IsDeleted\n\
         u1,Ana,Lima,Ana Lima,role1,2026-01-01T08:00:00.000+0000,false\n\
         u2,Old,User,,role1,2026-01-02T08:00:00.000+0000,true\n",
    )
    .write(
        "Lead.csv",
        "Id,FirstName,LastName,Company,Email,CreatedDate,CreatedById,IsDeleted,IsConverted,ConvertedContactId\n\
         L1,Rui,Sousa,Acme,rui@acme.pt,2026-05-01T10:00:00.000+0000,u1,false,false,\n\
         L2,Gone,Lead,Gone Ltd,,2026-05-02T10:00:00.000+0000,u1,true,false,\n\
         L3,Bad,Date,Bad Co,,yesterday,u1,false,false,\n",
    )
    .write(
        "Contact.csv",
        "Id,FirstName,LastName,Email,CreatedDate,IsDeleted\n\
         C1,Maria,Pop,maria@x.ro,2026-05-03T10:00:00.000+0000,false\n\
         C2,Del,Eted,,2026-05-04T10:00:00.000+0000,true\n",
    )
    .write(
        "Task.csv",
        "Id,OwnerId,WhoId,Status,TaskSubtype,CompletedDateTime,CreatedDate,IsDeleted\n\
         T1,u1,L1,Completed,Call,2026-06-01T09:00:00.000+0000,2026-06-01T09:05:00.000+0000,false\n\
         T2,u1,L1,Not Started,Call,,2026-06-01T09:00:00.000+0000,false\n\
         T3,u1,L1,Completed,Call,,2026-06-01T09:00:00.000+0000,true\n\
         T4,u1,,Completed,Call,2026-06-01T09:00:00.000+0000,2026-06-01T09:00:00.000+0000,false\n\
         T5,u1,L2,Completed,Call,2026-06-01T09:00:00.000+0000,2026-06-01T09:00:00.000+0000,false\n\
         T6,u1,L3,Completed,Call,2026-06-01T09:00:00.000+0000,2026-06-01T09:00:00.000+0000,false\n\
         T7,u1,C1,Completed,Email,2026-06-02T09:00:00.000+0000,2026-06-02T09:00:00.000+0000,false\n\
         T8,u1,00Q000000000009,Completed,Call,2026-06-01T09:00:00.000+0000,2026-06-01T09:00:00.000+0000,false\n",
    )
    .write(
        "Event.csv",
        "Id,OwnerId,WhoId,StartDateTime,CreatedDate,IsDeleted\n\
         E1,u1,L1,2026-06-03T09:00:00.000+0000,2026-06-01T09:00:00.000+0000,false\n\
         E2,u1,L1,2026-07-01T09:00:00.000+0000,2026-06-10T09:00:00.000+0000,false\n\
         E3,u1,L1,2026-06-03T09:00:00.000+0000,2026-06-01T09:00:00.000+0000,true\n\
         E4,u1,,2026-06-03T09:00:00.000+0000,2026-06-01T09:00:00.000+0000,false\n",
    )
    .write(
        "Opportunity.csv",
        "Id,OwnerId,ContactId,IsWon,CloseDate,Amount,CurrencyIsoCode,IsDeleted\n\
         O1,u1,C1,true,2026-06-05,1200.50,EUR,false\n\
         O2,u1,C1,false,2026-06-05,100,EUR,false\n\
         O3,u1,,true,2026-06-05,100,EUR,false\n\
         O4,u1,C1,true,2026-06-05,100,EUR,true\n\
         O5,u1,,true,2026-06-06,300,EUR,false\n\
         O6,u1,C1,true,2026-06-06,1.005,USD,false\n",
    )
    .write(
        "OpportunityContactRole.csv",
        "Id,OpportunityId,ContactId,IsPrimary,IsDeleted\n\
         R1,O5,C1,true,false\n\
         R2,O5,L1,false,false\n\
         R3,O3,C1,true,true\n",
    );
    let imported = import(&dir);
    assert_eq!(imported.import.as_of(), Some(at("2026-06-10T09:00:00Z")));
    assert_eq!(
        imported.summary(),
        "file,rows,imported,skipped,rejected,skip_reason_counts\n\
         Contact.csv,2,1,1,0,deleted=1\n\
         Event.csv,4,1,3,0,deleted=1;future_event=1;no_prospect=1\n\
         Lead.csv,3,1,1,1,deleted=1\n\
         Opportunity.csv,6,2,3,1,deleted=1;no_contact=1;not_won=1\n\
         OpportunityContactRole.csv,3,2,1,0,deleted=1\n\
         Task.csv,8,2,5,1,deleted=1;no_prospect=3;open_task=1\n\
         User.csv,2,1,1,0,deleted=1\n"
    );
    assert_eq!(
        imported.skipped(),
        "file,row,id,reason\n\
         Contact.csv,2,C2,deleted\n\
         Event.csv,2,E2,future_event\n\
         Event.csv,3,E3,deleted\n\
         Event.csv,4,E4,no_prospect\n\
         Lead.csv,2,L2,deleted\n\
         Opportunity.csv,2,O2,not_won\n\
         Opportunity.csv,3,O3,no_contact\n\
         Opportunity.csv,4,O4,deleted\n\
         OpportunityContactRole.csv,3,R3,deleted\n\
         Task.csv,2,T2,open_task\n\
         Task.csv,3,T3,deleted\n\
         Task.csv,4,T4,no_prospect\n\
         Task.csv,5,T5,no_prospect\n\
         Task.csv,8,T8,no_prospect\n\
         User.csv,2,u2,deleted\n"
    );
    assert_eq!(
        imported.rejections(),
        [
            "contact,6,T6,prospect_id,unknown_prospect",
            "prospect,3,L3,created_at,bad_time",
            "sale,6,O6,amount_minor,bad_number",
        ]
    );
    assert_eq!(imported.contact_ids(), ["T1", "T7"]);
    assert_eq!(imported.sale_ids(), ["O1", "O5"]);
    assert_eq!(imported.sale("O5").prospect_id.as_str(), "C1");
}

/// `data/salesforce_demo` (the demo data as a Salesforce export, with a
/// converted lead, a deleted and an open task, a planned meeting and two
/// lost deals) imports as the README shows.
#[test]
fn the_shipped_salesforce_demo_imports_as_the_readme_says() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/salesforce_demo");
    let imported = try_import(&dir, &ImportOptions::default()).expect("import");
    assert_eq!(imported.rejections(), Vec::<String>::new());
    assert_eq!(
        imported.summary(),
        "file,rows,imported,skipped,rejected,skip_reason_counts\n\
         Account.csv,1,1,0,0,\n\
         Contact.csv,1,1,0,0,\n\
         Event.csv,274,273,1,0,future_event=1\n\
         Lead.csv,1110,1110,0,0,\n\
         Opportunity.csv,102,100,2,0,not_won=2\n\
         Task.csv,4897,4894,3,0,deleted=1;no_prospect=1;open_task=1\n\
         User.csv,8,8,0,0,\n"
    );
    assert_eq!(imported.import.skipped().rows.len(), 6);
    assert_eq!(imported.import.as_of(), Some(at("2026-07-01T03:24:22Z")));
    let ledger = &imported.ledger;
    assert_eq!(ledger.accepted_count(RecordKind::Prospect), 1111);
    assert_eq!(ledger.prospect_count(), 1080);
    // The converted lead and its contact, whose names and companies differ.
    assert_eq!(
        ledger.prospect_of("p00005"),
        ledger.prospect_of("0035g00000AbCdEAAV")
    );
}

// ---------------------------------------------------------------------------
// Nothing lost: a model of §12.2 predicts every row's fate.

/// A Lead, Contact, Account or User row.
#[derive(Debug, Clone, Copy, PartialEq)]
enum RowState {
    /// A valid row.
    Live,
    /// `IsDeleted` true (and otherwise invalid: not validated).
    Deleted,
    /// Invalid: a bad `CreatedDate` (Lead, Contact: rejected; Account:
    /// ignored), an empty `Id` (User: rejected).
    Bad,
    /// `IsDeleted` is no boolean: rejected.
    BadDeleted,
}

/// What a `WhoId` or `ContactId` names.
#[derive(Debug, Clone, Copy)]
enum Who {
    Blank,
    Lead(usize),
    Contact(usize),
    Stranger,
}

/// `IsDeleted` of an activity or deal row.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Flag {
    No,
    Yes,
    Garbage,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum TaskFault {
    None,
    BadDuration,
    NegativeDuration,
    BadCompleted,
}

#[derive(Debug, Clone, Copy)]
struct TaskRow {
    deleted: Flag,
    open: bool,
    who: Who,
    fault: TaskFault,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum When {
    Past,
    Future,
    Bad,
}

#[derive(Debug, Clone, Copy)]
struct EventRow {
    deleted: Flag,
    who: Who,
    when: When,
}

/// How a deal names its contact.
#[derive(Debug, Clone, Copy)]
enum DealContact {
    Own(Who),
    Role(Who),
    DeletedRole(Who),
    Nothing,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Amount {
    None,
    Good,
    TooPrecise,
    Negative,
}

#[derive(Debug, Clone, Copy)]
struct DealRow {
    deleted: Flag,
    won: Flag,
    contact: DealContact,
    amount: Amount,
}

#[derive(Debug, Clone)]
struct Fixture {
    /// Users after the first (`u0`, always live: every row's owner).
    users: Vec<RowState>,
    leads: Vec<RowState>,
    contacts: Option<Vec<RowState>>,
    accounts: Option<Vec<RowState>>,
    tasks: Vec<TaskRow>,
    events: Vec<EventRow>,
    deals: Vec<DealRow>,
    /// Contact roles whose `IsPrimary` is no boolean (rejected).
    bad_roles: usize,
}

/// A row's fate.
#[derive(Debug, Clone, PartialEq)]
enum Fate {
    Imported,
    Skipped(&'static str),
    Rejected,
}

/// Whether a referenced prospect record is absent (no live row), rejected
/// or accepted.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Target {
    Absent,
    Rejected,
    Accepted,
}

const CREATED: &str = "2026-06-01T10:05:00.000+0000";

impl Fixture {
    fn who_id(who: Who) -> String {
        match who {
            Who::Blank => String::new(),
            Who::Lead(j) => format!("L{j}"),
            Who::Contact(j) => format!("C{j}"),
            Who::Stranger => "X1".to_owned(),
        }
    }

    fn target(&self, who: Who) -> Target {
        let state = match who {
            Who::Blank | Who::Stranger => None,
            Who::Lead(j) => self.leads.get(j),
            Who::Contact(j) => self.contacts.as_ref().and_then(|c| c.get(j)),
        };
        match state {
            None | Some(RowState::Deleted) => Target::Absent,
            Some(RowState::Live) => Target::Accepted,
            Some(RowState::Bad | RowState::BadDeleted) => Target::Rejected,
        }
    }

    fn task_fate(&self, t: &TaskRow) -> Fate {
        match t.deleted {
            Flag::Yes => return Fate::Skipped("deleted"),
            Flag::Garbage => return Fate::Rejected,
            Flag::No => {}
        }
        if t.open {
            return Fate::Skipped("open_task");
        }
        match self.target(t.who) {
            Target::Absent => Fate::Skipped("no_prospect"),
            Target::Rejected => Fate::Rejected,
            Target::Accepted if t.fault != TaskFault::None => Fate::Rejected,
            Target::Accepted => Fate::Imported,
        }
    }

    fn event_fate(&self, e: &EventRow) -> Fate {
        match e.deleted {
            Flag::Yes => return Fate::Skipped("deleted"),
            Flag::Garbage => return Fate::Rejected,
            Flag::No => {}
        }
        let target = self.target(e.who);
        if target == Target::Absent {
            return Fate::Skipped("no_prospect");
        }
        match (e.when, target) {
            (When::Future, _) => Fate::Skipped("future_event"),
            (When::Bad, _) | (_, Target::Rejected) => Fate::Rejected,
            _ => Fate::Imported,
        }
    }

    fn deal_fate(&self, d: &DealRow) -> Fate {
        match d.deleted {
            Flag::Yes => return Fate::Skipped("deleted"),
            Flag::Garbage => return Fate::Rejected,
            Flag::No => {}
        }
        match d.won {
            Flag::No => return Fate::Skipped("not_won"),
            Flag::Garbage => return Fate::Rejected,
            Flag::Yes => {}
        }
        let found = match d.contact {
            DealContact::Own(who) | DealContact::Role(who) => who,
            DealContact::DeletedRole(_) | DealContact::Nothing => Who::Blank,
        };
        if matches!(found, Who::Blank) {
            return Fate::Skipped("no_contact");
        }
        if self.target(found) != Target::Accepted {
            return Fate::Rejected;
        }
        match d.amount {
            Amount::None | Amount::Good => Fate::Imported,
            Amount::TooPrecise | Amount::Negative => Fate::Rejected,
        }
    }

    /// Writes the export; returns each file's rows with their ids and
    /// fates.
    fn write(&self, dir: &Path) -> BTreeMap<&'static str, Vec<(String, Fate)>> {
        let mut files: BTreeMap<&'static str, Vec<(String, Fate)>> = BTreeMap::new();
        let deleted = |f: Flag| match f {
            Flag::No => "false",
            Flag::Yes => "true",
            Flag::Garbage => "maybe",
        };
        let state_cells = |s: RowState| match s {
            RowState::Live => (CREATED, "false"),
            RowState::Deleted => ("whenever", "true"),
            RowState::Bad => ("soon", "false"),
            RowState::BadDeleted => (CREATED, "maybe"),
        };
        let prospect_fate = |s: RowState| match s {
            RowState::Live => Fate::Imported,
            RowState::Deleted => Fate::Skipped("deleted"),
            RowState::Bad | RowState::BadDeleted => Fate::Rejected,
        };

        let mut users =
            "Id,Name,CreatedDate,IsDeleted\nu0,Ana,2026-01-01T00:00:00.000+0000,false\n".to_owned();
        let mut fates = vec![("u0".to_owned(), Fate::Imported)];
        for (i, &s) in self.users.iter().enumerate() {
            let id = if s == RowState::Bad {
                String::new()
            } else {
                format!("u{}", i + 1)
            };
            let (created, deleted) = state_cells(s);
            users += &format!("{id},User {i},{created},{deleted}\n");
            fates.push((id, prospect_fate(s)));
        }
        std::fs::write(dir.join("User.csv"), users).expect("User.csv");
        files.insert("User.csv", fates);

        let people = |name: &'static str, prefix: &str, rows: &[RowState], extra: &str| {
            let mut text = format!("Id,LastName,{extra}CreatedDate,IsDeleted\n");
            let mut fates = Vec::new();
            for (j, &s) in rows.iter().enumerate() {
                let (created, deleted) = state_cells(s);
                let id = format!("{prefix}{j}");
                let cell = if extra.is_empty() { "" } else { "A0," };
                text += &format!("{id},Person {j},{cell}{created},{deleted}\n");
                fates.push((id, prospect_fate(s)));
            }
            std::fs::write(dir.join(name), text).expect("write people");
            fates
        };
        files.insert("Lead.csv", people("Lead.csv", "L", &self.leads, ""));
        if let Some(contacts) = &self.contacts {
            files.insert(
                "Contact.csv",
                people("Contact.csv", "C", contacts, "AccountId,"),
            );
        }
        if let Some(accounts) = &self.accounts {
            let mut text = "Id,Name,CreatedDate,IsDeleted\n".to_owned();
            let mut fates = Vec::new();
            for (j, &s) in accounts.iter().enumerate() {
                let (created, deleted) = state_cells(s);
                let id = format!("A{j}");
                text += &format!("{id},Account {j},{created},{deleted}\n");
                // A bad CreatedDate only misses the as-of instant.
                let fate = match s {
                    RowState::Live | RowState::Bad => Fate::Imported,
                    RowState::Deleted => Fate::Skipped("deleted"),
                    RowState::BadDeleted => Fate::Rejected,
                };
                fates.push((id, fate));
            }
            std::fs::write(dir.join("Account.csv"), text).expect("Account.csv");
            files.insert("Account.csv", fates);
        }

        let mut text = "Id,OwnerId,WhoId,Status,IsClosed,TaskSubtype,\
            CallDurationInSeconds,CompletedDateTime,CreatedDate,IsDeleted\n"
            .to_owned();
        let mut fates = Vec::new();
        for (i, t) in self.tasks.iter().enumerate() {
            let id = format!("T{i}");
            let (status, closed) = if t.open {
                ("Not Started", "false")
            } else {
                ("Completed", "true")
            };
            let duration = match t.fault {
                TaskFault::BadDuration => "1.5",
                TaskFault::NegativeDuration => "-3",
                _ => "60",
            };
            let completed = match t.fault {
                TaskFault::BadCompleted => "noon",
                _ => "2026-06-01T10:00:00.000+0000",
            };
            let who = Self::who_id(t.who);
            let deleted = deleted(t.deleted);
            text += &format!(
                "{id},u0,{who},{status},{closed},Call,{duration},{completed},{CREATED},{deleted}\n"
            );
            fates.push((id, self.task_fate(t)));
        }
        std::fs::write(dir.join("Task.csv"), text).expect("Task.csv");
        files.insert("Task.csv", fates);

        let mut text = "Id,OwnerId,WhoId,StartDateTime,CreatedDate,IsDeleted\n".to_owned();
        let mut fates = Vec::new();
        for (i, e) in self.events.iter().enumerate() {
            let id = format!("E{i}");
            let held = match e.when {
                When::Past => "2026-06-02T09:00:00.000+0000",
                When::Future => "2026-07-01T09:00:00.000+0000",
                When::Bad => "next week",
            };
            let who = Self::who_id(e.who);
            let deleted = deleted(e.deleted);
            text += &format!("{id},u0,{who},{held},{CREATED},{deleted}\n");
            fates.push((id, self.event_fate(e)));
        }
        std::fs::write(dir.join("Event.csv"), text).expect("Event.csv");
        files.insert("Event.csv", fates);

        let mut deals =
            "Id,OwnerId,ContactId,IsWon,CloseDate,Amount,CurrencyIsoCode,IsDeleted\n".to_owned();
        let mut roles = "Id,OpportunityId,ContactId,IsPrimary,IsDeleted\n".to_owned();
        let (mut deal_fates, mut role_fates) = (Vec::new(), Vec::new());
        for (i, d) in self.deals.iter().enumerate() {
            let id = format!("O{i}");
            let own = match d.contact {
                DealContact::Own(who) => Self::who_id(who),
                _ => String::new(),
            };
            let mut role = |who: Who, deleted: bool| {
                let role_id = format!("R{}", role_fates.len());
                let contact = Self::who_id(who);
                roles += &format!("{role_id},{id},{contact},true,{deleted}\n");
                let fate = if deleted {
                    Fate::Skipped("deleted")
                } else {
                    Fate::Imported
                };
                role_fates.push((role_id, fate));
            };
            match d.contact {
                DealContact::Role(who) => role(who, false),
                DealContact::DeletedRole(who) => role(who, true),
                DealContact::Own(_) | DealContact::Nothing => {}
            }
            let amount = match d.amount {
                Amount::None => "",
                Amount::Good => "12.5",
                Amount::TooPrecise => "1.005",
                Amount::Negative => "-4",
            };
            let (won, deleted) = (deleted(d.won), deleted(d.deleted));
            deals += &format!("{id},u0,{own},{won},2026-06-03,{amount},EUR,{deleted}\n");
            deal_fates.push((id, self.deal_fate(d)));
        }
        for _ in 0..self.bad_roles {
            let role_id = format!("R{}", role_fates.len());
            roles += &format!("{role_id},O0,L0,perhaps,false\n");
            role_fates.push((role_id, Fate::Rejected));
        }
        std::fs::write(dir.join("Opportunity.csv"), deals).expect("Opportunity.csv");
        std::fs::write(dir.join("OpportunityContactRole.csv"), roles).expect("roles");
        files.insert("Opportunity.csv", deal_fates);
        files.insert("OpportunityContactRole.csv", role_fates);
        files
    }
}

fn expected_summary(files: &BTreeMap<&'static str, Vec<(String, Fate)>>) -> String {
    let mut out = "file,rows,imported,skipped,rejected,skip_reason_counts\n".to_owned();
    for (file, rows) in files {
        let imported = rows.iter().filter(|(_, f)| *f == Fate::Imported).count();
        let rejected = rows.iter().filter(|(_, f)| *f == Fate::Rejected).count();
        let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, f) in rows {
            if let Fate::Skipped(r) = f {
                *reasons.entry(r).or_default() += 1;
            }
        }
        let skipped: usize = reasons.values().sum();
        let counts: Vec<String> = reasons.iter().map(|(r, n)| format!("{r}={n}")).collect();
        out += &format!(
            "{file},{},{imported},{skipped},{rejected},{}\n",
            rows.len(),
            counts.join(";")
        );
    }
    out
}

fn expected_skipped(files: &BTreeMap<&'static str, Vec<(String, Fate)>>) -> String {
    let mut out = "file,row,id,reason\n".to_owned();
    for (file, rows) in files {
        for (i, (id, fate)) in rows.iter().enumerate() {
            if let Fate::Skipped(reason) = fate {
                out += &format!("{file},{},{id},{reason}\n", i + 1);
            }
        }
    }
    out
}

fn row_state() -> impl Strategy<Value = RowState> {
    prop_oneof![
        5 => Just(RowState::Live),
        2 => Just(RowState::Deleted),
        1 => Just(RowState::Bad),
        1 => Just(RowState::BadDeleted),
    ]
}

fn flag() -> impl Strategy<Value = Flag> {
    prop_oneof![6 => Just(Flag::No), 2 => Just(Flag::Yes), 1 => Just(Flag::Garbage)]
}

fn who() -> impl Strategy<Value = Who> {
    prop_oneof![
        1 => Just(Who::Blank),
        4 => (0..6usize).prop_map(Who::Lead),
        2 => (0..4usize).prop_map(Who::Contact),
        1 => Just(Who::Stranger),
    ]
}

fn fixture() -> impl Strategy<Value = Fixture> {
    let task = (
        flag(),
        prop::bool::weighted(0.2),
        who(),
        prop_oneof![
            5 => Just(TaskFault::None),
            1 => Just(TaskFault::BadDuration),
            1 => Just(TaskFault::NegativeDuration),
            1 => Just(TaskFault::BadCompleted),
        ],
    )
        .prop_map(|(deleted, open, who, fault)| TaskRow {
            deleted,
            open,
            who,
            fault,
        });
    let event = (
        flag(),
        who(),
        prop_oneof![4 => Just(When::Past), 1 => Just(When::Future), 1 => Just(When::Bad)],
    )
        .prop_map(|(deleted, who, when)| EventRow { deleted, who, when });
    let deal = (
        flag(),
        prop_oneof![4 => Just(Flag::Yes), 2 => Just(Flag::No), 1 => Just(Flag::Garbage)],
        prop_oneof![
            3 => who().prop_map(DealContact::Own),
            2 => who().prop_map(DealContact::Role),
            1 => who().prop_map(DealContact::DeletedRole),
            1 => Just(DealContact::Nothing),
        ],
        prop_oneof![
            2 => Just(Amount::None),
            4 => Just(Amount::Good),
            1 => Just(Amount::TooPrecise),
            1 => Just(Amount::Negative),
        ],
    )
        .prop_map(|(deleted, won, contact, amount)| DealRow {
            deleted,
            won,
            contact,
            amount,
        });
    (
        prop::collection::vec(row_state(), 0..3),
        prop::collection::vec(row_state(), 0..6),
        prop::option::of(prop::collection::vec(row_state(), 0..4)),
        prop::option::of(prop::collection::vec(row_state(), 0..3)),
        prop::collection::vec(task, 0..12),
        prop::collection::vec(event, 0..8),
        prop::collection::vec(deal, 0..8),
        0..2usize,
    )
        .prop_map(
            |(users, leads, contacts, accounts, tasks, events, deals, bad_roles)| Fixture {
                users,
                leads,
                contacts,
                accounts,
                tasks,
                events,
                deals,
                bad_roles,
            },
        )
}

fn int(cell: &sales_metrics::Cell) -> usize {
    cell.to_text().parse().expect("a count")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn nothing_is_lost(fixture in fixture()) {
        let dir = Scratch::new("prop-lost");
        let files = fixture.write(dir.path());
        let options = ImportOptions {
            as_of: Some(at("2026-06-15T00:00:00Z")),
            ..ImportOptions::default()
        };
        let imported = try_import(dir.path(), &options)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let summary = imported.import.summary(imported.ledger.rejections());
        let skipped = imported.import.skipped();

        // The invariants, read off the summary itself.
        let mut total_rows = 0;
        let mut total_rejected = 0;
        for line in &summary.rows {
            let file = line[0].to_text();
            let (rows, imp) = (int(&line[1]), int(&line[2]));
            let (skip, rej) = (int(&line[3]), int(&line[4]));
            prop_assert_eq!(rows, imp + skip + rej, "{}", file);
            let written = files.get(file.as_str()).map(Vec::len);
            prop_assert_eq!(Some(rows), written, "{} data rows", file);
            let listed: Vec<String> = skipped
                .rows
                .iter()
                .filter(|r| r[0].to_text() == file)
                .map(|r| r[3].to_text())
                .collect();
            prop_assert_eq!(listed.len(), skip, "{} skipped rows listed", file);
            let mut counts: BTreeMap<String, usize> = BTreeMap::new();
            for reason in listed {
                *counts.entry(reason).or_default() += 1;
            }
            let counts: Vec<String> = counts.iter().map(|(r, n)| format!("{r}={n}")).collect();
            prop_assert_eq!(counts.join(";"), line[5].to_text());
            total_rows += rows;
            total_rejected += rej;
        }
        prop_assert_eq!(total_rows, files.values().map(Vec::len).sum::<usize>());
        prop_assert_eq!(
            total_rejected,
            imported.import.rejections(imported.ledger.rejections()).len()
        );

        // Imported rows are the ledger's records, file by file.
        let imported_of = |file: &str| -> u64 {
            files.get(file).map_or(0, |rows| {
                rows.iter().filter(|(_, f)| *f == Fate::Imported).count() as u64
            })
        };
        let ledger = &imported.ledger;
        prop_assert_eq!(ledger.accepted_count(RecordKind::Rep), imported_of("User.csv"));
        prop_assert_eq!(
            ledger.accepted_count(RecordKind::Prospect),
            imported_of("Lead.csv") + imported_of("Contact.csv")
        );
        prop_assert_eq!(ledger.accepted_count(RecordKind::Contact), imported_of("Task.csv"));
        prop_assert_eq!(ledger.accepted_count(RecordKind::Meeting), imported_of("Event.csv"));
        prop_assert_eq!(ledger.accepted_count(RecordKind::Sale), imported_of("Opportunity.csv"));

        // And every row's fate is the model's.
        prop_assert_eq!(imported.summary(), expected_summary(&files));
        prop_assert_eq!(imported.skipped(), expected_skipped(&files));
    }
}

//! Importing a HubSpot export folder (`docs/import/hubspot.md`,
//! IMPORT.md §12.1, §12.3).
//!
//! * **Round trip.** [`write_hubspot`] writes SPEC §2 records the way
//!   HubSpot's CRM exports hold them (`owners.csv`, `companies.csv`,
//!   `contacts.csv`, `calls.csv`, `emails.csv`, `meetings.csv`,
//!   `deals.csv`, English property labels as headers, times in the export
//!   form `YYYY-MM-DD HH:MM:SS`, owners named by owner ID, user ID, email
//!   or name); importing it gives the demo records back wherever the
//!   format can carry them ([`carried`] lists what it cannot).
//! * **Edge cases**, one fixture per rule of the doc: internal-name
//!   headers and epoch milliseconds, owner resolution, call durations,
//!   call and email skips, callee objects, `no_prospect`, future meetings
//!   and the as-of instant, meeting outcomes, won/lost/contactless deals,
//!   amounts, rejected contacts cascading, the companies lookup, local
//!   times and `logged_at` clamping, missing files and columns.
//! * **Exact summary**: `import_summary.csv`, `skipped.csv` and the
//!   rejections of one mixed export, text for text.
//! * **Nothing lost** (proptest): random small exports; every summary line
//!   adds up, the lines add up to the rows written, and every imported row
//!   is a record the ledger accepted.

#[path = "support/export_dir.rs"]
mod export_dir;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::path::Path;

use chrono::{DateTime, NaiveTime, SubsecRound, Utc};
use export_dir::{Scratch, csv_text, decimal_amount, name_parts};
use proptest::prelude::*;
use sales_metrics::import::{ExportFormat, Import, ImportOptions, import_folder};
use sales_metrics::{
    Channel, Contact, Direction, Error, Ledger, LedgerBuilder, Meeting, MeetingStatus, Mode,
    Outcome, ProspectRecord, RecordKind, Records, Rep, Sale, Source,
};

// ---------------------------------------------------------------------------
// Scratch folders and import helpers.

/// A minimal export: owner `101` (Ana Lima, user `9001`), contacts `1`
/// (Rui Sousa) and `2` (Mia Pop), calls, meetings and deals with headers
/// only; no `companies.csv` or `emails.csv` (both optional). Tests
/// overwrite the files they are about.
fn export(tag: &str) -> Scratch {
    let s = Scratch::new(&format!("hubspot-{tag}"));
    s.write(
        "owners.csv",
        "Owner ID,User ID,First Name,Last Name,Email\n101,9001,Ana,Lima,ana@example.com\n",
    )
    .write(
        "contacts.csv",
        "Record ID,First Name,Last Name\n1,Rui,Sousa\n2,Mia,Pop\n",
    )
    .write(
        "calls.csv",
        "Record ID,Activity assigned to,Activity date,Associated Contact IDs\n",
    )
    .write(
        "meetings.csv",
        "Record ID,Activity assigned to,Meeting start time,Associated Contact IDs\n",
    )
    .write(
        "deals.csv",
        "Record ID,Deal owner,Is Closed Won,Close Date,Associated Contact IDs\n",
    );
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
    let import = import_folder(dir, &ExportFormat::HubSpot, options, &mut builder)?;
    let ledger = builder.build()?;
    Ok(Imported { import, ledger })
}

fn import_with(dir: &Scratch, options: &ImportOptions) -> Imported {
    try_import(dir.path(), options).unwrap()
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

    fn rep(&self, id: &str) -> Rep {
        let found = self
            .records()
            .reps
            .into_iter()
            .find(|r| r.rep_id.as_str() == id);
        found.unwrap_or_else(|| panic!("rep {id} imported"))
    }

    fn prospect(&self, id: &str) -> ProspectRecord {
        let records = self.records();
        let found = records
            .prospects
            .into_iter()
            .find(|p| p.prospect_id.as_str() == id);
        found.unwrap_or_else(|| panic!("prospect record {id} imported"))
    }

    fn contact(&self, id: &str) -> Contact {
        let records = self.records();
        let found = records
            .contacts
            .into_iter()
            .find(|c| c.contact_id.as_str() == id);
        found.unwrap_or_else(|| panic!("contact {id} imported"))
    }

    fn meeting(&self, id: &str) -> Meeting {
        let records = self.records();
        let found = records
            .meetings
            .into_iter()
            .find(|m| m.meeting_id.as_str() == id);
        found.unwrap_or_else(|| panic!("meeting {id} imported"))
    }

    fn sale(&self, id: &str) -> Sale {
        let records = self.records();
        let found = records.sales.into_iter().find(|s| s.sale_id.as_str() == id);
        found.unwrap_or_else(|| panic!("sale {id} imported"))
    }

    fn contact_ids(&self) -> Vec<String> {
        ids(&self.records().contacts, |c| c.contact_id.as_str())
    }

    fn meeting_ids(&self) -> Vec<String> {
        ids(&self.records().meetings, |m| m.meeting_id.as_str())
    }

    fn sale_ids(&self) -> Vec<String> {
        ids(&self.records().sales, |s| s.sale_id.as_str())
    }
}

fn ids<T>(items: &[T], id: impl Fn(&T) -> &str) -> Vec<String> {
    items.iter().map(|x| id(x).to_owned()).collect()
}

/// An instant from RFC 3339 text.
fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

// ---------------------------------------------------------------------------
// Writing SPEC records as a HubSpot export.

/// The export form of an instant (`YYYY-MM-DD HH:MM:SS`, read in the
/// import time zone, UTC here); sub-second digits are dropped.
fn hs_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// `Original Traffic Source` labels: only inbound has a HubSpot value of
/// its own; every other source is written as offline (read back `other`).
fn traffic_source(source: Option<Source>) -> &'static str {
    match source {
        None => "",
        Some(Source::Inbound) => "Organic Search",
        Some(_) => "Offline Sources",
    }
}

/// `(Call outcome, Call status)` of a call's outcome; the `i`-th call
/// with no answer alternates between the outcome label and an unanswered
/// status with no outcome.
fn call_outcome(outcome: Option<Outcome>, i: usize) -> (&'static str, &'static str) {
    match outcome {
        None => ("", "Completed"),
        Some(Outcome::NoAnswer) if i.is_multiple_of(2) => ("No answer", "Completed"),
        Some(Outcome::NoAnswer) => ("", "No answer"),
        Some(Outcome::Conversation) => ("Connected", "Completed"),
        // Custom outcomes: read by the free-text rules.
        Some(Outcome::MeetingBooked) => ("Meeting booked", "Completed"),
        Some(Outcome::NotInterested) => ("Not interested", "Completed"),
        Some(Outcome::Other) => ("Wrong number", "Completed"),
    }
}

/// The user ID written for a rep.
fn user_id(rep_id: &str) -> String {
    format!("u-{rep_id}")
}

/// The email written for a rep.
fn owner_email(rep_id: &str) -> String {
    format!("{rep_id}@example.com")
}

/// The texts that name each rep in an owner cell: its rep_id, then its
/// user ID, its email upper-cased and its name when each resolves to it
/// alone (the doc's resolution steps).
fn owner_forms(reps: &[Rep]) -> BTreeMap<String, Vec<String>> {
    let lower = |s: &str| s.to_ascii_lowercase();
    let rep_ids: BTreeSet<&str> = reps.iter().map(|r| r.rep_id.as_str()).collect();
    // The id, user ID and email of every rep but `rep`, lower-cased.
    let others = |rep: &Rep| -> Vec<String> {
        reps.iter()
            .filter(|r| r.rep_id != rep.rep_id)
            .flat_map(|r| {
                let id = r.rep_id.as_str();
                [lower(id), lower(&user_id(id)), lower(&owner_email(id))]
            })
            .collect()
    };
    let count = |key: &str, of: &dyn Fn(&Rep) -> String| {
        reps.iter().filter(|r| lower(&of(r)) == lower(key)).count()
    };
    let mut forms = BTreeMap::new();
    for rep in reps {
        let id = rep.rep_id.as_str();
        let mut names = vec![id.to_owned()];
        let user = user_id(id);
        if !rep_ids.contains(user.as_str()) {
            names.push(user);
        }
        let email = owner_email(id).to_ascii_uppercase();
        if count(&email, &|r| owner_email(r.rep_id.as_str())) == 1
            && !rep_ids.iter().any(|r| lower(r) == lower(&email))
        {
            names.push(email);
        }
        if let Some(name) = rep.name.as_deref().filter(|n| !n.is_empty())
            && count(name, &|r| r.name.clone().unwrap_or_default()) == 1
            && !others(rep).contains(&lower(name))
        {
            names.push(name.to_owned());
        }
        forms.insert(id.to_owned(), names);
    }
    forms
}

/// The owner cell of the `i`-th row naming `rep_id`: one of its forms in
/// turn.
fn owner_cell(forms: &BTreeMap<String, Vec<String>>, rep_id: &str, i: usize) -> String {
    match forms.get(rep_id) {
        Some(names) if !names.is_empty() => names[i % names.len()].clone(),
        _ => rep_id.to_owned(),
    }
}

fn text(value: Option<&str>) -> String {
    value.unwrap_or("").to_owned()
}

fn write_csv(dir: &Path, name: &str, header: &[&str], rows: &[Vec<String>]) {
    let mut w = csv::Writer::from_path(dir.join(name)).unwrap();
    w.write_record(header).unwrap();
    for row in rows {
        assert_eq!(row.len(), header.len(), "{name}: row width");
        w.write_record(row).unwrap();
    }
    w.flush().unwrap();
}

/// An association cell: the contact's ID after an ID that names no
/// contact and sorts before it (`!gone`), with spaces the import trims.
fn associated(prospect_id: &str) -> String {
    format!("!gone; {prospect_id}")
}

/// Writes `owners.csv`: Owner ID = rep_id, User ID `u-<rep_id>`, email
/// `<rep_id>@example.com`, name parts, `Primary team` = team.
fn write_owners(records: &Records, dir: &Path) {
    let rows: Vec<Vec<String>> = records
        .reps
        .iter()
        .map(|r| {
            let (first, last) = name_parts(r.name.as_deref());
            let id = r.rep_id.as_str();
            let team = r.team_id.as_ref().map(|t| t.as_str());
            vec![
                id.to_owned(),
                user_id(id),
                first,
                last,
                owner_email(id),
                text(team),
            ]
        })
        .collect();
    let header = [
        "Owner ID",
        "User ID",
        "First Name",
        "Last Name",
        "Email",
        "Primary team",
    ];
    write_csv(dir, "owners.csv", &header, &rows);
}

/// Writes `companies.csv` and `contacts.csv`: even-numbered records with
/// a company are associated with a company row (their own `Company Name`
/// a different, typed-in text the import must not prefer); the others
/// carry their company as `Company Name` only. Returns how many company
/// rows were written.
fn write_contacts(records: &Records, dir: &Path) -> usize {
    let mut companies: BTreeMap<&str, String> = BTreeMap::new();
    let mut rows = Vec::new();
    for (i, p) in records.prospects.iter().enumerate() {
        let (first, last) = name_parts(p.name.as_deref());
        let company = p.company.as_deref();
        let (primary, own) = match company {
            Some(name) if i.is_multiple_of(2) => {
                let n = companies.len();
                let id = companies
                    .entry(name)
                    .or_insert_with(|| format!("co{n}"))
                    .clone();
                (id, format!("{name} (typed)"))
            }
            _ => (String::new(), text(company)),
        };
        rows.push(vec![
            p.prospect_id.to_string(),
            first,
            last,
            text(p.email.as_deref()),
            text(p.phone.as_deref()),
            text(p.city.as_deref()),
            text(p.country.as_deref()),
            traffic_source(p.source).to_owned(),
            p.created_at.map(hs_time).unwrap_or_default(),
            p.created_by
                .as_ref()
                .map(|r| user_id(r.as_str()))
                .unwrap_or_default(),
            primary,
            own,
        ]);
    }
    let header = [
        "Record ID",
        "First Name",
        "Last Name",
        "Email",
        "Phone Number",
        "City",
        "Country/Region Code",
        "Original Traffic Source",
        "Create Date",
        "Created by user ID",
        "Associated Company IDs (Primary)",
        "Company Name",
    ];
    write_csv(dir, "contacts.csv", &header, &rows);
    let company_rows: Vec<Vec<String>> = companies
        .iter()
        .map(|(name, id)| vec![id.clone(), (*name).to_owned()])
        .collect();
    write_csv(
        dir,
        "companies.csv",
        &["Record ID", "Company name"],
        &company_rows,
    );
    company_rows.len()
}

/// Writes `calls.csv` (phone contacts) and `emails.csv` (email
/// contacts); contacts of other channels are not written.
fn write_activities(records: &Records, dir: &Path, forms: &BTreeMap<String, Vec<String>>) {
    let mut calls = Vec::new();
    let mut emails = Vec::new();
    for (i, c) in records.contacts.iter().enumerate() {
        let owner = owner_cell(forms, c.rep_id.as_str(), i);
        let logged = c.logged_at.map(hs_time).unwrap_or_default();
        let inbound = c.direction == Direction::Inbound;
        let common = [
            c.contact_id.to_string(),
            owner,
            hs_time(c.occurred_at),
            logged,
        ];
        match c.channel {
            Channel::Phone => {
                let (outcome, status) = call_outcome(c.outcome, i);
                let duration = c.duration_s.map(|d| match i % 3 {
                    0 => format!("{}:{:02}:{:02}", d / 3600, d / 60 % 60, d % 60),
                    _ => (d * 1000).to_string(),
                });
                let mut row = common.to_vec();
                row.extend([
                    if inbound { "Inbound" } else { "Outbound" }.to_owned(),
                    duration.unwrap_or_default(),
                    outcome.to_owned(),
                    status.to_owned(),
                    associated(c.prospect_id.as_str()),
                ]);
                calls.push(row);
            }
            Channel::Email => {
                let bounced = c.outcome == Some(Outcome::NoAnswer);
                let mut row = common.to_vec();
                row.extend([
                    if inbound { "Incoming email" } else { "Email" }.to_owned(),
                    if bounced { "Bounced" } else { "Sent" }.to_owned(),
                    associated(c.prospect_id.as_str()),
                ]);
                emails.push(row);
            }
            _ => {}
        }
    }
    let activity = [
        "Record ID",
        "Activity assigned to",
        "Activity date",
        "Create date",
    ];
    let call_header = [
        &activity[..],
        &[
            "Call direction",
            "Call duration",
            "Call outcome",
            "Call status",
            "Associated Contact IDs",
        ],
    ]
    .concat();
    write_csv(dir, "calls.csv", &call_header, &calls);
    let email_header = [
        &activity[..],
        &[
            "Email direction",
            "Email send status",
            "Associated Contact IDs",
        ],
    ]
    .concat();
    write_csv(dir, "emails.csv", &email_header, &emails);
}

/// Writes `meetings.csv`: every meeting (`Create Date` = start, so none
/// is after the as-of instant); held meetings alternate between the
/// outcomes `Completed` and `Scheduled` (a past scheduled meeting is
/// held).
fn write_meetings(records: &Records, dir: &Path, forms: &BTreeMap<String, Vec<String>>) {
    let rows: Vec<Vec<String>> = records
        .meetings
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let outcome = match m.status {
                MeetingStatus::Held if i.is_multiple_of(2) => "Completed",
                MeetingStatus::Held => "Scheduled",
                MeetingStatus::NoShow => "No show",
                MeetingStatus::Cancelled => "Canceled",
            };
            vec![
                m.meeting_id.to_string(),
                owner_cell(forms, m.rep_id.as_str(), i + 1),
                hs_time(m.held_at),
                outcome.to_owned(),
                associated(m.prospect_id.as_str()),
                hs_time(m.held_at),
            ]
        })
        .collect();
    let header = [
        "Record ID",
        "Activity assigned to",
        "Meeting start time",
        "Meeting outcome",
        "Associated Contact IDs",
        "Create Date",
    ];
    write_csv(dir, "meetings.csv", &header, &rows);
}

/// Writes `deals.csv`: even-numbered sales are won by `Is Closed Won`
/// (`Yes`, their stage an open one: the flag wins) with the close date
/// and time; odd-numbered ones by the `Closed Won` stage with the close
/// date alone.
fn write_deals(records: &Records, dir: &Path, forms: &BTreeMap<String, Vec<String>>) {
    let rows: Vec<Vec<String>> = records
        .sales
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let even = i.is_multiple_of(2);
            let currency = s.currency.as_deref();
            vec![
                s.sale_id.to_string(),
                owner_cell(forms, s.rep_id.as_str(), i + 2),
                if even { "Yes" } else { "" }.to_owned(),
                if even { "contractsent" } else { "Closed Won" }.to_owned(),
                if even {
                    hs_time(s.closed_at)
                } else {
                    s.closed_at.date_naive().to_string()
                },
                s.amount_minor
                    .map(|a| decimal_amount(a, currency))
                    .unwrap_or_default(),
                text(currency),
                associated(s.prospect_id.as_str()),
                hs_time(s.closed_at),
            ]
        })
        .collect();
    let header = [
        "Record ID",
        "Deal owner",
        "Is Closed Won",
        "Deal Stage",
        "Close Date",
        "Amount",
        "Currency",
        "Associated Contact IDs",
        "Create Date",
    ];
    write_csv(dir, "deals.csv", &header, &rows);
}

/// Writes `records` into `dir` as a HubSpot export with label headers
/// (see the writers of each file); returns how many company rows it
/// wrote. Owner cells name each rep by its owner ID, user ID, email or
/// name in turn; association cells list the contact after an ID naming
/// none.
fn write_hubspot(records: &Records, dir: &Path) -> usize {
    std::fs::create_dir_all(dir).unwrap();
    let forms = owner_forms(&records.reps);
    write_owners(records, dir);
    let companies = write_contacts(records, dir);
    write_activities(records, dir, &forms);
    write_meetings(records, dir, &forms);
    write_deals(records, dir, &forms);
    companies
}

/// The latest create date [`write_hubspot`] writes: the import's as-of
/// instant.
fn latest_created(records: &Records) -> Option<DateTime<Utc>> {
    let prospects = records.prospects.iter().filter_map(|p| p.created_at);
    let written = |c: &&Contact| matches!(c.channel, Channel::Phone | Channel::Email);
    let activities = records
        .contacts
        .iter()
        .filter(written)
        .filter_map(|c| c.logged_at);
    let meetings = records.meetings.iter().map(|m| m.held_at);
    let deals = records.sales.iter().map(|s| s.closed_at);
    let all = prospects.chain(activities).chain(meetings).chain(deals);
    all.map(|t| t.trunc_subsecs(0)).max()
}

/// What importing `write_hubspot(records)` gives back: `records` (a
/// ledger's accepted records, each kind in id order) without what a
/// HubSpot export cannot carry:
///
/// * a rep's `daily_contact_target` (owners have none): absent;
/// * sources other than inbound (HubSpot's original traffic source knows
///   no referral, cold list, event or existing customer): `other`;
/// * a country that is not two ASCII letters: absent; one that is:
///   upper-cased;
/// * contacts of channels other than phone and email (HubSpot calls and
///   emails are the only contact objects; meetings are meetings): not
///   written, so gone;
/// * an email's duration (none) and its outcome other than no_answer
///   (only a bounce says anything): absent;
/// * instants keep whole seconds (the export form has no fraction);
/// * a sale written with its close date alone (odd-numbered ones): 23:59:59
///   of its UTC day.
fn carried(records: &Records) -> Records {
    let end_of_day = NaiveTime::from_hms_opt(23, 59, 59).unwrap();
    let secs = |t: DateTime<Utc>| t.trunc_subsecs(0);
    let alpha2 = |c: &str| {
        (c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic())).then(|| c.to_ascii_uppercase())
    };
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
                    Source::Inbound => Source::Inbound,
                    _ => Source::Other,
                }),
                country: p.country.as_deref().and_then(alpha2),
                created_at: p.created_at.map(secs),
                ..p.clone()
            })
            .collect(),
        contacts: records
            .contacts
            .iter()
            .filter(|c| matches!(c.channel, Channel::Phone | Channel::Email))
            .map(|c| {
                let email = c.channel == Channel::Email;
                Contact {
                    occurred_at: secs(c.occurred_at),
                    logged_at: c.logged_at.map(secs),
                    duration_s: if email { None } else { c.duration_s },
                    outcome: if email {
                        c.outcome.filter(|o| *o == Outcome::NoAnswer)
                    } else {
                        c.outcome
                    },
                    ..c.clone()
                }
            })
            .collect(),
        meetings: records
            .meetings
            .iter()
            .map(|m| Meeting {
                held_at: secs(m.held_at),
                ..m.clone()
            })
            .collect(),
        sales: records
            .sales
            .iter()
            .enumerate()
            .map(|(i, s)| Sale {
                closed_at: if i.is_multiple_of(2) {
                    secs(s.closed_at)
                } else {
                    s.closed_at.date_naive().and_time(end_of_day).and_utc()
                },
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
// Round trip.

#[test]
fn writer_helpers_speak_hubspot() {
    assert_eq!(
        hs_time(at("2026-06-01T09:00:05.250Z")),
        "2026-06-01 09:00:05"
    );
    assert_eq!(decimal_amount(1_250_050, Some("EUR")), "12500.50");
    assert_eq!(decimal_amount(1500, Some("JPY")), "1500");
    assert_eq!(decimal_amount(5, None), "0.05");
    assert_eq!(
        name_parts(Some("Ana Maria Lima")),
        ("Ana".into(), "Maria Lima".into())
    );
    assert_eq!(name_parts(Some("Ana")), (String::new(), "Ana".into()));
    let reps = [
        Rep {
            name: Some("Ana Lima".into()),
            ..Rep::new("ana")
        },
        Rep {
            name: Some("Dan".into()),
            ..Rep::new("dan")
        },
        Rep {
            name: Some("dan".into()),
            ..Rep::new("dan2")
        },
    ];
    let forms = owner_forms(&reps);
    assert_eq!(
        forms["ana"],
        ["ana", "u-ana", "ANA@EXAMPLE.COM", "Ana Lima"]
    );
    // "Dan" is two reps' name (ignoring case) and also rep_id `dan`.
    assert_eq!(forms["dan"], ["dan", "u-dan", "DAN@EXAMPLE.COM"]);
    assert_eq!(owner_cell(&forms, "ana", 5), "u-ana");
}

#[test]
fn demo_data_round_trips_through_a_hubspot_export() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo");
    let original = sales_metrics::load_folder(&demo, Mode::Strict).unwrap();
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
            .contacts
            .iter()
            .any(|c| c.channel == Channel::InPerson)
    );
    assert!(
        records
            .meetings
            .iter()
            .any(|m| m.status == MeetingStatus::NoShow)
    );

    // Every rep is named by all four forms in turn (owner ID, user ID,
    // email, name).
    assert!(owner_forms(&records.reps).values().all(|f| f.len() == 4));

    let dir = Scratch::new("demo");
    let companies = write_hubspot(&records, dir.path());
    let imported = import(&dir);
    assert!(
        imported.ledger.rejections().is_empty(),
        "{:?}",
        imported.rejections()
    );
    assert!(imported.skips().is_empty(), "{:?}", imported.skips());

    let got = imported.records();
    let want = carried(&records);
    assert_same("reps", &got.reps, &want.reps);
    assert_same("prospects", &got.prospects, &want.prospects);
    assert_same("contacts", &got.contacts, &want.contacts);
    assert_same("meetings", &got.meetings, &want.meetings);
    assert_same("sales", &got.sales, &want.sales);
    assert_eq!(imported.import.as_of(), latest_created(&records));

    // Every data row written is imported.
    let count = |channel| {
        records
            .contacts
            .iter()
            .filter(|c| c.channel == channel)
            .count()
    };
    let summary = imported.summary();
    for (file, rows) in [
        ("calls.csv", count(Channel::Phone)),
        ("companies.csv", companies),
        ("contacts.csv", records.prospects.len()),
        ("deals.csv", records.sales.len()),
        ("emails.csv", count(Channel::Email)),
        ("meetings.csv", records.meetings.len()),
        ("owners.csv", records.reps.len()),
    ] {
        let line = format!("{file},{rows},{rows},0,0,");
        assert!(summary.lines().any(|l| l == line), "{line} in\n{summary}");
    }
    assert_eq!(summary.lines().count(), 8, "{summary}");
}

// ---------------------------------------------------------------------------
// Edge cases: headers and values.

#[test]
fn internal_names_and_epoch_milliseconds() {
    // 1780304400000 ms = 2026-06-01T09:00:00Z.
    let dir = export("internal");
    dir.write(
        "owners.csv",
        "id,userId,email,firstName,lastName,archived\n\
         101,9001,ana@x.ro,Ana,Lima,false\n\
         102,9002,dan@x.ro,Dan,Pop,true\n",
    )
    .write(
        "contacts.csv",
        "hs_object_id,firstname,lastname,email,phone,mobilephone,city,hs_country_region_code,\
         country,hs_analytics_source,createdate,hs_created_by_user_id,associatedcompanyid,company\n\
         501,Rui,Sousa,rui@acme.pt,,+351 21 000,Lisboa,,pt,ORGANIC_SEARCH,1780304400000,9001,,Acme\n",
    )
    .write(
        "calls.csv",
        "hs_object_id,hubspot_owner_id,hs_timestamp,hs_createdate,hs_call_direction,\
         hs_call_duration,hs_call_disposition,hs_call_status,contact_ids\n\
         701,101,1780304400000,1780304460000,INBOUND,61500,\
         f240bbac-87c9-4f6e-bf70-924b57d47db7,COMPLETED,501\n",
    )
    .write(
        "emails.csv",
        "hs_object_id,hubspot_owner_id,hs_timestamp,hs_createdate,hs_email_direction,\
         hs_email_status,contact_ids\n\
         801,101,1780304400000,,INCOMING_EMAIL,BOUNCED,501\n",
    )
    .write(
        "meetings.csv",
        "hs_object_id,hubspot_owner_id,hs_meeting_start_time,hs_timestamp,hs_meeting_outcome,\
         contact_ids\n\
         901,101,1780308000000,1780304400000,NO_SHOW,501\n",
    )
    .write(
        "deals.csv",
        "hs_object_id,hubspot_owner_id,hs_is_closed_won,dealstage,closedate,amount,\
         deal_currency_code,contact_ids,createdate\n\
         601,101,true,closedwon,1780311600000,1200.50,EUR,501,1780315200000\n",
    );
    let imported = import(&dir);
    assert_eq!(imported.rejections(), Vec::<String>::new());
    assert_eq!(imported.skips(), pairs(&[("102", "deleted")]));
    assert_eq!(imported.import.as_of(), Some(at("2026-06-01T12:00:00Z")));

    assert_eq!(
        imported.rep("101"),
        Rep {
            name: Some("Ana Lima".into()),
            ..Rep::new("101")
        }
    );
    let p = imported.prospect("501");
    assert_eq!(p.name.as_deref(), Some("Rui Sousa"));
    assert_eq!(p.company.as_deref(), Some("Acme"));
    assert_eq!(p.email.as_deref(), Some("rui@acme.pt"));
    assert_eq!(p.phone.as_deref(), Some("+351 21 000"));
    assert_eq!(p.city.as_deref(), Some("Lisboa"));
    assert_eq!(p.country.as_deref(), Some("PT"));
    assert_eq!(p.source, Some(Source::Inbound));
    assert_eq!(p.created_at, Some(at("2026-06-01T09:00:00Z")));
    assert_eq!(p.created_by.as_ref().map(|r| r.as_str()), Some("101"));

    let call = imported.contact("701");
    assert_eq!(
        call,
        Contact {
            logged_at: Some(at("2026-06-01T09:01:00Z")),
            direction: Direction::Inbound,
            duration_s: Some(62),
            outcome: Some(Outcome::Conversation),
            ..Contact::new(
                "701",
                "101",
                "501",
                at("2026-06-01T09:00:00Z"),
                Channel::Phone
            )
        }
    );
    let email = imported.contact("801");
    assert_eq!(
        email,
        Contact {
            direction: Direction::Inbound,
            outcome: Some(Outcome::NoAnswer),
            ..Contact::new(
                "801",
                "101",
                "501",
                at("2026-06-01T09:00:00Z"),
                Channel::Email
            )
        }
    );
    let meeting = imported.meeting("901");
    assert_eq!(meeting.held_at, at("2026-06-01T10:00:00Z"));
    assert_eq!(meeting.status, MeetingStatus::NoShow);
    let sale = imported.sale("601");
    assert_eq!(sale.closed_at, at("2026-06-01T11:00:00Z"));
    assert_eq!(sale.amount_minor, Some(120_050));
    assert_eq!(sale.currency.as_deref(), Some("EUR"));
}

#[test]
fn labels_with_a_bom_odd_case_and_quoted_line_breaks() {
    let dir = export("labels");
    dir.write(
        "contacts.csv",
        "\u{feff} RECORD ID ,first name,Last Name,Company Name\n\
         1,Rui,\"Sou\nsa\",\"Acme, SA\"\n\
         2,Mia,Pop,\n",
    )
    .write(
        "calls.csv",
        "record id,ACTIVITY ASSIGNED TO,activity date,associated contact ids,Unknown column\n\
         c1,101,2026-06-01 09:00,2,x\n",
    );
    let imported = import(&dir);
    assert_eq!(imported.rejections(), Vec::<String>::new());
    let rui = imported.prospect("1");
    assert_eq!(rui.name.as_deref(), Some("Rui Sou\nsa"));
    assert_eq!(rui.company.as_deref(), Some("Acme, SA"));
    assert_eq!(imported.contact("c1").prospect_id.as_str(), "2");
    assert!(
        imported.summary().contains("\ncontacts.csv,2,2,0,0,\n"),
        "{}",
        imported.summary()
    );
}

#[test]
fn owners_resolve_by_owner_id_user_id_email_then_unique_name() {
    let dir = export("owners");
    // The users export: no owner ID, so the user ID is the rep_id.
    dir.write(
        "owners.csv",
        "User ID,First Name,Last Name,Email,Primary team,Teams\n\
         9001,Ana,Lima,ana@x.ro,,Sales North; Sales South\n\
         9002,Dan,Pop,dan@x.ro,Team D,Other\n\
         9003,Dan,Pop,dan.pop@x.ro,,\n\
         9004,Eva,Ro,EVA@X.RO,,\n",
    )
    .write(
        "contacts.csv",
        "Record ID,First Name,Create Date,Created by user ID\n\
         1,Rui,2026-06-01 08:00,Ana Lima\n\
         2,Mia,2026-06-01 08:00,nobody\n\
         3,Ion,2026-06-01 08:00,dan pop\n\
         4,Eli,2026-06-01 08:00,9002\n",
    )
    .write(
        "calls.csv",
        "Record ID,Activity assigned to,Activity date,Associated Contact IDs\n\
         c1,9001,2026-06-01 09:00,1\n\
         c2,eva@x.ro,2026-06-01 09:00,1\n\
         c3,ANA LIMA,2026-06-01 09:00,1\n\
         c4,Dan Pop,2026-06-01 09:00,1\n\
         c5,Zoe,2026-06-01 09:00,1\n\
         c6,,2026-06-01 09:00,1\n",
    );
    let imported = import(&dir);
    assert_eq!(
        imported.rep("9001").team_id.unwrap().as_str(),
        "Sales North"
    );
    assert_eq!(imported.rep("9002").team_id.unwrap().as_str(), "Team D");
    assert_eq!(imported.rep("9003").team_id, None);
    let created_by = |id: &str| {
        imported
            .prospect(id)
            .created_by
            .map(|r| r.as_str().to_owned())
    };
    assert_eq!(created_by("1").as_deref(), Some("9001"));
    // Unresolved (unknown or ambiguous): absent, not rejected.
    assert_eq!(created_by("2"), None);
    assert_eq!(created_by("3"), None);
    assert_eq!(created_by("4").as_deref(), Some("9002"));
    let rep = |id: &str| imported.contact(id).rep_id.as_str().to_owned();
    assert_eq!(rep("c1"), "9001");
    assert_eq!(rep("c2"), "9004");
    assert_eq!(rep("c3"), "9001");
    assert_eq!(
        imported.rejections(),
        [
            "contact,4,c4,rep_id,unknown_rep",
            "contact,5,c5,rep_id,unknown_rep",
            "contact,6,c6,rep_id,missing_field",
        ]
    );
}

#[test]
fn owner_ids_beat_user_ids() {
    // The Owners API: owner `102` has user ID `101`, another owner's id.
    let dir = export("owner-ids");
    dir.write(
        "owners.csv",
        "id,userId,email,firstName,lastName\n\
         101,9001,ana@x.ro,Ana,Lima\n\
         102,101,bob@x.ro,Bob,Ng\n",
    )
    .write(
        "deals.csv",
        "Record ID,Deal owner,Is Closed Won,Close Date,Associated Contact IDs\n\
         d1,101,true,2026-06-05,1\n\
         d2,9001,true,2026-06-05,1\n\
         d3,BOB@X.RO,true,2026-06-05,1\n",
    );
    let imported = import(&dir);
    let rep = |id: &str| imported.sale(id).rep_id.as_str().to_owned();
    assert_eq!(rep("d1"), "101");
    assert_eq!(rep("d2"), "101");
    assert_eq!(rep("d3"), "102");
}

#[test]
fn call_durations_are_milliseconds_rounded_half_up_or_clocks() {
    let dir = export("durations");
    let durations = [
        "", "0", "499", "500", "1499", "1500", "61000", "0:45", "1:02:03", "-1000", "abc", "12.5",
        "1:75",
    ];
    let mut calls = String::from(
        "Record ID,Activity assigned to,Activity date,Associated Contact IDs,Call duration\n",
    );
    for (i, d) in durations.iter().enumerate() {
        calls.push_str(&format!("c{i:02},101,2026-06-01 09:00,1,{d}\n"));
    }
    dir.write("calls.csv", &calls);
    let imported = import(&dir);
    let got: Vec<Option<i64>> = imported
        .records()
        .contacts
        .iter()
        .map(|c| c.duration_s)
        .collect();
    assert_eq!(
        got,
        [
            None,
            Some(0),
            Some(0),
            Some(1),
            Some(1),
            Some(2),
            Some(61),
            Some(45),
            Some(3723)
        ]
    );
    assert_eq!(
        imported.rejections(),
        [
            "contact,10,c09,duration_s,negative_number",
            "contact,11,c10,duration_s,bad_number",
            "contact,12,c11,duration_s,bad_number",
            "contact,13,c12,duration_s,bad_number",
        ]
    );
}

#[test]
fn open_and_failed_calls_are_skipped_unanswered_ones_imported() {
    let dir = export("call-status");
    let statuses = [
        "Completed",
        "Queued",
        "RINGING",
        "Connecting",
        "In progress",
        "CALLING_CRM_USER",
        "Failed",
        "CANCELED",
        "Busy",
        "No answer",
        "MISSED",
        "",
    ];
    let mut calls = String::from(
        "Record ID,Activity assigned to,Activity date,Associated Contact IDs,Call status,archived\n",
    );
    for (i, s) in statuses.iter().enumerate() {
        calls.push_str(&format!("c{i:02},101,2026-06-01 09:00,1,{s},false\n"));
    }
    // Skip order: deleted before the status, the status before the
    // contact.
    calls.push_str("d1,101,2026-06-01 09:00,1,Failed,true\n");
    calls.push_str("d2,101,2026-06-01 09:00,999,Queued,\n");
    dir.write("calls.csv", &calls);
    let imported = import(&dir);
    assert_eq!(imported.rejections(), Vec::<String>::new());
    assert_eq!(
        imported.skips(),
        pairs(&[
            ("c01", "open_call"),
            ("c02", "open_call"),
            ("c03", "open_call"),
            ("c04", "open_call"),
            ("c05", "open_call"),
            ("c06", "failed_call"),
            ("c07", "failed_call"),
            ("d1", "deleted"),
            ("d2", "open_call"),
        ])
    );
    let outcomes: Vec<(String, Option<Outcome>)> = imported
        .records()
        .contacts
        .iter()
        .map(|c| (c.contact_id.to_string(), c.outcome))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("c00".to_owned(), None),
            ("c08".to_owned(), Some(Outcome::NoAnswer)),
            ("c09".to_owned(), Some(Outcome::NoAnswer)),
            ("c10".to_owned(), Some(Outcome::NoAnswer)),
            ("c11".to_owned(), None),
        ]
    );
}

#[test]
fn call_outcomes_by_label_guid_free_text_or_status() {
    let dir = export("call-outcomes");
    let cases = [
        ("Connected", "", Some(Outcome::Conversation)),
        ("BUSY", "", Some(Outcome::NoAnswer)),
        (
            "73a0d17f-1163-4015-bdd5-ec830791da20",
            "",
            Some(Outcome::NoAnswer),
        ),
        ("Left voicemail", "", Some(Outcome::NoAnswer)),
        ("Left live message", "", Some(Outcome::NoAnswer)),
        (
            "17B47FEE-58DE-441E-A44C-C6300D46F273",
            "",
            Some(Outcome::Other),
        ),
        ("Not interested now", "", Some(Outcome::NotInterested)),
        ("Demo booked", "", Some(Outcome::MeetingBooked)),
        ("Spoke to the CFO", "", Some(Outcome::Conversation)),
        ("Gatekeeper", "", Some(Outcome::Other)),
        ("Connected", "Busy", Some(Outcome::Conversation)),
        ("", "Busy", Some(Outcome::NoAnswer)),
        ("", "Completed", None),
    ];
    let mut calls = String::from(
        "Record ID,Activity assigned to,Activity date,Associated Contact IDs,Call outcome,\
         Call status,Call direction\n",
    );
    for (i, (outcome, status, _)) in cases.iter().enumerate() {
        let direction = ["Inbound", "OUTBOUND", ""][i % 3];
        calls.push_str(&format!(
            "c{i:02},101,2026-06-01 09:00,1,{outcome},{status},{direction}\n"
        ));
    }
    dir.write("calls.csv", &calls);
    let imported = import(&dir);
    let records = imported.records();
    for (i, (c, (_, _, want))) in records.contacts.iter().zip(&cases).enumerate() {
        assert_eq!(c.outcome, *want, "{}", c.contact_id);
        let direction = if i.is_multiple_of(3) {
            Direction::Inbound
        } else {
            Direction::Outbound
        };
        assert_eq!(c.direction, direction, "{}", c.contact_id);
        assert_eq!(c.channel, Channel::Phone);
    }
    assert_eq!(records.contacts.len(), cases.len());
}

#[test]
fn unsent_emails_are_skipped_bounces_are_no_answer() {
    let dir = export("emails");
    dir.write(
        "emails.csv",
        "Record ID,Activity assigned to,Activity date,Associated Contact IDs,Email send status,\
         Email direction\n\
         e1,101,2026-06-01 09:00,1,Sent,Email\n\
         e2,101,2026-06-01 09:00,1,Scheduled,Email\n\
         e3,101,2026-06-01 09:00,1,SENDING,Email\n\
         e4,101,2026-06-01 09:00,1,Failed,Email\n\
         e5,101,2026-06-01 09:00,1,Bounced,Email\n\
         e6,101,2026-06-01 09:00,1,,Incoming email\n\
         e7,101,2026-06-01 09:00,1,SENT,INCOMING\n\
         e8,101,2026-06-01 09:00,1,Sent,Forwarded email\n\
         e9,101,2026-06-01 09:00,999,Scheduled,Email\n",
    );
    let imported = import(&dir);
    assert_eq!(imported.rejections(), Vec::<String>::new());
    assert_eq!(
        imported.skips(),
        pairs(&[
            ("e2", "unsent_email"),
            ("e3", "unsent_email"),
            ("e4", "unsent_email"),
            ("e9", "unsent_email"),
        ])
    );
    let records = imported.records();
    let got: Vec<(&str, Direction, Option<Outcome>, Option<i64>)> = records
        .contacts
        .iter()
        .map(|c| {
            assert_eq!(c.channel, Channel::Email);
            (c.contact_id.as_str(), c.direction, c.outcome, c.duration_s)
        })
        .collect();
    assert_eq!(
        got,
        [
            ("e1", Direction::Outbound, None, None),
            ("e5", Direction::Outbound, Some(Outcome::NoAnswer), None),
            ("e6", Direction::Inbound, None, None),
            ("e7", Direction::Inbound, None, None),
            ("e8", Direction::Outbound, None, None),
        ]
    );
    assert!(
        imported
            .summary()
            .contains("\nemails.csv,9,5,4,0,unsent_email=4\n")
    );
}

#[test]
fn activities_without_a_live_contact_are_no_prospect_callees_first() {
    let dir = export("no-prospect");
    dir.write(
        "contacts.csv",
        "Record ID,First Name,archived\n1,Rui,false\n2,Mia,\n3,Gone,true\n",
    )
    .write(
        "calls.csv",
        "Record ID,Activity assigned to,Activity date,Associated Contact IDs,\
         Callee object type,Callee object id\n\
         c1,101,2026-06-01 09:00,999,,\n\
         c2,101,2026-06-01 09:00,,,\n\
         c3,101,2026-06-01 09:00,3,,\n\
         c4,101,2026-06-01 09:00, ; ,,\n\
         c5,101,2026-06-01 09:00,3;2;1,,\n\
         c6,101,2026-06-01 09:00,1,CONTACT,2\n\
         c7,101,2026-06-01 09:00,1,0-1,2\n\
         c8,101,2026-06-01 09:00,2,COMPANY,1\n\
         c9,101,2026-06-01 09:00,2,CONTACT,3\n\
         c10,101,2026-06-01 09:00,,Contact,1\n",
    )
    .write(
        "meetings.csv",
        "Record ID,Activity assigned to,Meeting start time,Associated Contact IDs\n\
         m1,101,2026-06-01 09:00,3\n\
         m2,101,2026-06-01 09:00,\n\
         m3,101,2026-06-01 09:00,\"2,1\"\n",
    );
    let imported = import(&dir);
    assert_eq!(imported.rejections(), Vec::<String>::new());
    assert_eq!(
        imported.skips(),
        pairs(&[
            ("c1", "no_prospect"),
            ("c2", "no_prospect"),
            ("c3", "no_prospect"),
            ("c4", "no_prospect"),
            ("3", "deleted"),
            ("m1", "no_prospect"),
            ("m2", "no_prospect"),
        ])
    );
    let prospect = |id: &str| imported.contact(id).prospect_id.as_str().to_owned();
    assert_eq!(prospect("c5"), "1");
    assert_eq!(prospect("c6"), "2");
    assert_eq!(prospect("c7"), "2");
    assert_eq!(prospect("c8"), "2");
    assert_eq!(prospect("c9"), "2");
    assert_eq!(prospect("c10"), "1");
    assert_eq!(imported.meeting("m3").prospect_id.as_str(), "1");
}

#[test]
fn references_to_a_rejected_contact_are_rejected_unknown_prospect() {
    let dir = export("cascade");
    dir.write(
        "contacts.csv",
        "Record ID,First Name,Create Date\n1,Rui,2026-05-01 10:00\n4,Bad,yesterday\n",
    )
    .write(
        "calls.csv",
        "Record ID,Activity assigned to,Activity date,Associated Contact IDs\n\
         c1,101,2026-06-01 09:00,4\n\
         c2,101,2026-06-01 09:00,4;1\n",
    )
    .write(
        "meetings.csv",
        "Record ID,Activity assigned to,Meeting start time,Associated Contact IDs\n\
         m1,101,2026-05-01 09:00,4\n",
    )
    .write(
        "deals.csv",
        "Record ID,Deal owner,Is Closed Won,Close Date,Associated Contact IDs\n\
         d1,101,true,2026-05-01,4\n\
         d2,101,true,2026-05-01,88;77\n",
    );
    let imported = import(&dir);
    assert_eq!(
        imported.rejections(),
        [
            "contact,1,c1,prospect_id,unknown_prospect",
            "meeting,1,m1,prospect_id,unknown_prospect",
            "prospect,2,4,created_at,bad_time",
            "sale,1,d1,prospect_id,unknown_prospect",
            "sale,2,d2,prospect_id,unknown_prospect",
        ]
    );
    // The smallest ID that names a contact, accepted or not: `1` < `4`.
    assert_eq!(imported.contact("c2").prospect_id.as_str(), "1");
    assert_eq!(imported.skips(), Vec::new());
}

#[test]
fn future_meetings_are_skipped_whatever_their_outcome() {
    let dir = export("future");
    dir.write(
        "contacts.csv",
        "Record ID,First Name,Create Date\n1,Rui,2026-06-10 09:00\n",
    )
    .write(
        "meetings.csv",
        "Record ID,Activity assigned to,Meeting start time,Activity date,Meeting outcome,\
         Associated Contact IDs\n\
         m1,101,2026-06-05 10:00,,Completed,1\n\
         m2,101,2026-06-20 10:00,,Scheduled,1\n\
         m3,101,2026-07-01 10:00,,Completed,1\n\
         m4,101,,2026-06-03 10:00,,1\n\
         m5,101,soon,,,1\n\
         m6,101,,,,1\n",
    );
    let imported = import(&dir);
    assert_eq!(imported.import.as_of(), Some(at("2026-06-10T09:00:00Z")));
    assert_eq!(imported.meeting_ids(), ["m1", "m4"]);
    assert_eq!(imported.meeting("m4").held_at, at("2026-06-03T10:00:00Z"));
    assert_eq!(
        imported.skips(),
        pairs(&[("m2", "future_event"), ("m3", "future_event")])
    );
    assert_eq!(
        imported.rejections(),
        [
            "meeting,5,m5,held_at,bad_time",
            "meeting,6,m6,held_at,missing_field",
        ]
    );

    // `--as-of` overrides the create dates.
    let options = ImportOptions {
        as_of: Some(at("2026-06-04T00:00:00Z")),
        ..ImportOptions::default()
    };
    let imported = import_with(&dir, &options);
    assert_eq!(imported.import.as_of(), Some(at("2026-06-04T00:00:00Z")));
    assert_eq!(imported.meeting_ids(), ["m4"]);
    assert_eq!(
        imported.skips(),
        pairs(&[
            ("m1", "future_event"),
            ("m2", "future_event"),
            ("m3", "future_event"),
        ])
    );
}

#[test]
fn without_any_create_date_no_meeting_is_in_the_future() {
    let dir = export("no-as-of");
    dir.write(
        "meetings.csv",
        "Record ID,Activity assigned to,Meeting start time,Associated Contact IDs\n\
         m1,101,2099-01-01 10:00,1\n",
    );
    let imported = import(&dir);
    assert_eq!(imported.import.as_of(), None);
    assert_eq!(imported.meeting_ids(), ["m1"]);
}

#[test]
fn the_as_of_instant_is_the_latest_valid_create_date_of_any_row() {
    let dir = export("as-of");
    dir.write(
        "owners.csv",
        "Owner ID,First Name,Created at,archived\n101,Ana,2026-06-02 08:00,\n",
    )
    .write(
        "contacts.csv",
        "Record ID,First Name,Create Date\n1,Rui,2026-06-01 09:00\n2,Mia,garbage\n",
    )
    .write(
        "companies.csv",
        "Record ID,Name,createdate\nco1,Acme,2026-06-03\n",
    )
    .write(
        "deals.csv",
        "Record ID,Deal owner,Is Closed Won,Close Date,Associated Contact IDs,Create Date,archived\n\
         d1,101,true,2026-06-01,1,2026-06-04T08:00:00.000Z,true\n",
    )
    .write(
        "meetings.csv",
        "Record ID,Activity assigned to,Meeting start time,Associated Contact IDs,hs_createdate\n\
         m1,101,2026-06-04 09:00,1,1780563600000\n",
    );
    // The deleted deal counts; the meeting's own create date (epoch
    // milliseconds, 2026-06-04T09:00:00Z) is the latest.
    let imported = import(&dir);
    assert_eq!(imported.import.as_of(), Some(at("2026-06-04T09:00:00Z")));
    assert_eq!(imported.meeting_ids(), ["m1"]);
    dir.write(
        "meetings.csv",
        "Record ID,Activity assigned to,Meeting start time,Associated Contact IDs\n\
         m1,101,2026-06-04 09:00,1\n",
    );
    let imported = import(&dir);
    assert_eq!(imported.import.as_of(), Some(at("2026-06-04T08:00:00Z")));
    assert_eq!(
        imported.skips(),
        pairs(&[("d1", "deleted"), ("m1", "future_event")])
    );
    // A create date given as a date alone is 12:00 local.
    dir.write(
        "deals.csv",
        "Record ID,Deal owner,Is Closed Won,Close Date,Associated Contact IDs\n",
    );
    let imported = import(&dir);
    assert_eq!(imported.import.as_of(), Some(at("2026-06-03T12:00:00Z")));
}

#[test]
fn meeting_outcomes_give_the_status() {
    let dir = export("meeting-outcomes");
    let cases = [
        ("Completed", MeetingStatus::Held),
        ("NO_SHOW", MeetingStatus::NoShow),
        ("No show", MeetingStatus::NoShow),
        ("no-show", MeetingStatus::NoShow),
        ("Canceled", MeetingStatus::Cancelled),
        ("CANCELLED", MeetingStatus::Cancelled),
        ("Scheduled", MeetingStatus::Held),
        ("RESCHEDULED", MeetingStatus::Held),
        ("", MeetingStatus::Held),
        ("Went to lunch", MeetingStatus::Held),
    ];
    let mut meetings = String::from(
        "Record ID,Activity assigned to,Meeting start time,Associated Contact IDs,Meeting outcome\n",
    );
    for (i, (outcome, _)) in cases.iter().enumerate() {
        meetings.push_str(&format!("m{i},101,2026-06-01 09:00,1,{outcome}\n"));
    }
    dir.write("meetings.csv", &meetings);
    let imported = import(&dir);
    let got: Vec<MeetingStatus> = imported
        .records()
        .meetings
        .iter()
        .map(|m| m.status)
        .collect();
    let want: Vec<MeetingStatus> = cases.iter().map(|(_, s)| *s).collect();
    assert_eq!(got, want);
}

#[test]
fn deals_are_won_by_the_flag_else_the_stage() {
    let dir = export("deals");
    dir.write(
        "deals.csv",
        "Record ID,Deal owner,Is Closed Won,Deal Stage,Close Date,Amount,Currency,\
         Associated Contact IDs,archived\n\
         d01,101,true,appointmentscheduled,2026-06-05,100,EUR,1,\n\
         d02,101,,closedwon,2026-06-05,100,EUR,1,\n\
         d03,Ana Lima,,Closed Won,2026-06-05 14:30,100,EUR,1,\n\
         d04,101,No,closedwon,2026-06-05,100,EUR,1,\n\
         d05,101,,closedlost,2026-06-05,100,EUR,1,\n\
         d06,101,maybe,closedwon,2026-06-05,100,EUR,1,\n\
         d07,101,yes,,2026-06-05,100,EUR,,\n\
         d08,101,yes,,2026-06-05,100,EUR, ; ,\n\
         d09,101,yes,,2026-06-05,,,2;1,\n\
         d10,101,,closed_won,,100,EUR,1,\n\
         d11,101,YES,,June 5,100,EUR,1,\n\
         d12,101,true,closedwon,2026-06-05,100,EUR,1,true\n\
         d13,101,false,,2026-06-05,100,EUR,,\n",
    );
    let imported = import(&dir);
    assert_eq!(imported.sale_ids(), ["d01", "d02", "d03", "d09"]);
    assert_eq!(imported.sale("d02").closed_at, at("2026-06-05T23:59:59Z"));
    assert_eq!(imported.sale("d03").closed_at, at("2026-06-05T14:30:00Z"));
    assert_eq!(imported.sale("d03").rep_id.as_str(), "101");
    let d09 = imported.sale("d09");
    assert_eq!(d09.prospect_id.as_str(), "1");
    assert_eq!((d09.amount_minor, d09.currency), (None, None));
    assert_eq!(
        imported.skips(),
        pairs(&[
            ("d04", "not_won"),
            ("d05", "not_won"),
            ("d07", "no_contact"),
            ("d08", "no_contact"),
            ("d12", "deleted"),
            ("d13", "not_won"),
        ])
    );
    assert_eq!(
        imported.rejections(),
        [
            "sale,6,d06,hs_is_closed_won,unknown_enum",
            "sale,10,d10,closed_at,missing_field",
            "sale,11,d11,closed_at,bad_time",
        ]
    );
    // A close date alone is 23:59:59 in the import time zone.
    let options = ImportOptions {
        time_zone: chrono_tz::Europe::Lisbon,
        ..ImportOptions::default()
    };
    let imported = import_with(&dir, &options);
    assert_eq!(imported.sale("d02").closed_at, at("2026-06-05T22:59:59Z"));
    assert_eq!(imported.sale("d03").closed_at, at("2026-06-05T13:30:00Z"));
}

#[test]
fn amounts_follow_the_currency_exponent() {
    let dir = export("amounts");
    dir.write(
        "deals.csv",
        "Record ID,Deal owner,Is Closed Won,Close Date,Amount,Currency,Associated Contact IDs\n\
         a1,101,true,2026-06-05,12500.5,EUR,1\n\
         a2,101,true,2026-06-05,12.345,EUR,1\n\
         a3,101,true,2026-06-05,1500,JPY,1\n\
         a4,101,true,2026-06-05,1500.5,JPY,1\n\
         a5,101,true,2026-06-05,1.234,KWD,1\n\
         a6,101,true,2026-06-05,-5,EUR,1\n\
         a7,101,true,2026-06-05,\"1,000\",EUR,1\n\
         a8,101,true,2026-06-05,99.99,,1\n\
         a9,101,true,2026-06-05,7,,1\n",
    );
    let options = ImportOptions {
        currency: Some("RON".into()),
        ..ImportOptions::default()
    };
    let imported = import_with(&dir, &options);
    let got: Vec<(String, Option<i64>, Option<String>)> = imported
        .records()
        .sales
        .into_iter()
        .map(|s| (s.sale_id.to_string(), s.amount_minor, s.currency))
        .collect();
    let sale = |id: &str, amount: i64, currency: &str| {
        (id.to_owned(), Some(amount), Some(currency.to_owned()))
    };
    assert_eq!(
        got,
        [
            sale("a1", 1_250_050, "EUR"),
            sale("a3", 1500, "JPY"),
            sale("a5", 1234, "KWD"),
            sale("a8", 9999, "RON"),
            sale("a9", 700, "RON"),
        ]
    );
    assert_eq!(
        imported.rejections(),
        [
            "sale,2,a2,amount_minor,bad_number",
            "sale,4,a4,amount_minor,bad_number",
            "sale,6,a6,amount_minor,negative_number",
            "sale,7,a7,amount_minor,bad_number",
        ]
    );
}

#[test]
fn the_company_is_the_associated_company_name_else_the_contact_text() {
    let dir = export("companies");
    dir.write(
        "companies.csv",
        "Record ID,Company name,archived\n\
         co1,Acme SA,false\n\
         co2,,false\n\
         co3,Gone SRL,true\n\
         co4,Beta SRL,maybe\n",
    )
    .write(
        "contacts.csv",
        "Record ID,First Name,Associated Company IDs (Primary),Primary Associated Company ID,\
         Associated Company IDs,Company Name\n\
         1,A,co1,,,Typed Co\n\
         2,B,,co1,,Typed\n\
         3,C,,,co9; co1,Typed 3\n\
         4,D,co2,,,Own 4\n\
         5,E,co3,,,Own 5\n\
         6,F,,,,\n\
         7,G,co4,,,\n",
    );
    let imported = import(&dir);
    let company = |id: &str| imported.prospect(id).company;
    assert_eq!(company("1").as_deref(), Some("Acme SA"));
    assert_eq!(company("2").as_deref(), Some("Acme SA"));
    assert_eq!(company("3").as_deref(), Some("Typed 3"));
    assert_eq!(company("4").as_deref(), Some("Own 4"));
    assert_eq!(company("5").as_deref(), Some("Own 5"));
    assert_eq!(company("6"), None);
    assert_eq!(company("7"), None);
    assert_eq!(
        imported.rejections(),
        ["prospect,4,co4,archived,unknown_enum"]
    );
    let summary = imported.summary();
    assert!(
        summary.contains("\ncompanies.csv,4,2,1,1,deleted=1\n"),
        "{summary}"
    );
    // Without companies.csv the contact's own text is the company.
    dir.remove("companies.csv");
    let imported = import(&dir);
    assert_eq!(imported.prospect("1").company.as_deref(), Some("Typed Co"));
    assert!(!imported.summary().contains("companies.csv"));
}

#[test]
fn prospect_fields_country_and_source() {
    let dir = export("prospect-fields");
    dir.write(
        "contacts.csv",
        "Record ID,First Name,Last Name,Phone Number,Mobile Phone Number,Country/Region Code,\
         Country/Region,Original Source\n\
         1,,,+40 1,+40 2,ro,Romania,Paid Social\n\
         2,Ana,,,+40 2,ROU,de,Offline sources\n\
         3,,Pop,,,,Portugal,direct-traffic\n\
         4,Eva,Ro,,,,,Referrals\n\
         5,Ion,Ilie,,,,,Trade show\n",
    );
    let imported = import(&dir);
    let p = |id: &str| imported.prospect(id);
    assert_eq!(
        (p("1").name, p("1").phone, p("1").country, p("1").source),
        (
            None,
            Some("+40 1".into()),
            Some("RO".into()),
            Some(Source::Inbound)
        )
    );
    assert_eq!(
        (p("2").name, p("2").phone, p("2").country, p("2").source),
        (
            Some("Ana".into()),
            Some("+40 2".into()),
            Some("DE".into()),
            Some(Source::Other)
        )
    );
    assert_eq!(
        (p("3").name, p("3").country, p("3").source),
        (Some("Pop".into()), None, Some(Source::Inbound))
    );
    assert_eq!(p("4").source, Some(Source::Inbound));
    assert_eq!(p("5").source, Some(Source::Other));
    assert_eq!(imported.prospect("1").created_at, None);
}

#[test]
fn local_times_and_logged_at_clamped_to_occurred_at() {
    let dir = export("times");
    dir.write(
        "calls.csv",
        "Record ID,Activity assigned to,Activity date,Create date,Associated Contact IDs\n\
         c1,101,2026-06-01 10:00,2026-06-01 10:05:30,1\n\
         c2,101,2026-06-01 10:00,2026-06-01 09:00,1\n\
         c3,101,2026-06-01,,1\n\
         c4,101,2026-06-01T10:00:00+02:00,1780304400000,1\n\
         c5,101,2026-03-29 01:30,,1\n\
         c6,101,2026-06-01 10:00,later,1\n\
         c7,101,,2026-06-01 10:00,1\n\
         c8,101,2026-06-01 25:00,,1\n",
    );
    let options = ImportOptions {
        time_zone: chrono_tz::Europe::Lisbon,
        ..ImportOptions::default()
    };
    let imported = import_with(&dir, &options);
    let times = |id: &str| {
        let c = imported.contact(id);
        (c.occurred_at, c.logged_at)
    };
    assert_eq!(
        times("c1"),
        (at("2026-06-01T09:00:00Z"), Some(at("2026-06-01T09:05:30Z")))
    );
    assert_eq!(
        times("c2"),
        (at("2026-06-01T09:00:00Z"), Some(at("2026-06-01T09:00:00Z")))
    );
    assert_eq!(times("c3"), (at("2026-06-01T11:00:00Z"), None));
    assert_eq!(
        times("c4"),
        (at("2026-06-01T08:00:00Z"), Some(at("2026-06-01T09:00:00Z")))
    );
    // 01:30 does not exist in Lisbon on 2026-03-29: the first time after
    // the gap, 02:00 WEST = 01:00Z.
    assert_eq!(times("c5"), (at("2026-03-29T01:00:00Z"), None));
    assert_eq!(
        imported.rejections(),
        [
            "contact,6,c6,logged_at,bad_time",
            "contact,7,c7,occurred_at,missing_field",
            "contact,8,c8,occurred_at,bad_time",
        ]
    );
}

#[test]
fn missing_required_fields_are_rejected_in_spec_order() {
    let dir = export("missing-fields");
    dir.write(
        "owners.csv",
        "Owner ID,First Name\n101,Ana\n,Nobody\n101,Twin\n",
    )
    .write(
        "contacts.csv",
        "Record ID,First Name\n1,Rui\n,Nameless\n1,Again\n",
    )
    .write(
        "calls.csv",
        "Record ID,Activity assigned to,Activity date,Associated Contact IDs,Call duration\n\
         ,101,bad,1,-5\n\
         c2,101,bad,1,-5\n\
         c3,101,2026-06-01 09:00,1,x\n\
         c3,101,2026-06-01 09:00,1,\n\
         c3,101,2026-06-01 09:00,1,\n",
    )
    .write(
        "meetings.csv",
        "Record ID,Activity assigned to,Meeting start time,Associated Contact IDs\n\
         ,101,2026-06-01 09:00,1\n\
         m2,,2026-06-01 09:00,1\n",
    )
    .write(
        "deals.csv",
        "Record ID,Deal owner,Is Closed Won,Close Date,Associated Contact IDs\n\
         ,101,true,2026-06-01,1\n\
         d2,,true,2026-06-01,1\n",
    );
    let imported = import(&dir);
    assert_eq!(
        imported.rejections(),
        [
            "contact,1,,contact_id,missing_field",
            "contact,2,c2,occurred_at,bad_time",
            "contact,3,c3,duration_s,bad_number",
            "contact,5,c3,contact_id,duplicate_id",
            "meeting,1,,meeting_id,missing_field",
            "meeting,2,m2,rep_id,missing_field",
            "prospect,2,,prospect_id,missing_field",
            "prospect,3,1,prospect_id,duplicate_id",
            "rep,2,,rep_id,missing_field",
            "rep,3,101,rep_id,duplicate_id",
            "sale,1,,sale_id,missing_field",
            "sale,2,d2,rep_id,missing_field",
        ]
    );
}

// ---------------------------------------------------------------------------
// Edge cases: files and columns.

#[test]
fn a_missing_required_file_is_an_error_naming_it() {
    for file in [
        "owners.csv",
        "contacts.csv",
        "calls.csv",
        "meetings.csv",
        "deals.csv",
    ] {
        let dir = export("missing-file");
        dir.remove(file);
        match try_import(dir.path(), &ImportOptions::default()) {
            Err(error @ Error::Io { .. }) => {
                assert!(error.to_string().contains(file), "{file}: {error}");
            }
            Err(other) => panic!("{file}: {other}"),
            Ok(_) => panic!("an export without {file} imported"),
        }
    }
    // companies.csv and emails.csv are optional (the base export has
    // neither).
    let dir = export("optional");
    let summary = import(&dir).summary();
    assert_eq!(
        summary,
        "file,rows,imported,skipped,rejected,skip_reason_counts\n\
         calls.csv,0,0,0,0,\n\
         contacts.csv,2,2,0,0,\n\
         deals.csv,0,0,0,0,\n\
         meetings.csv,0,0,0,0,\n\
         owners.csv,1,1,0,0,\n"
    );
}

#[test]
fn a_missing_required_column_is_an_error_naming_file_and_columns() {
    let calls = "Record ID,Activity assigned to,Activity date,Associated Contact IDs";
    let cases = [
        (
            "owners.csv",
            "First Name,Email\nAna,ana@x.ro\n",
            "Owner ID / ownerId / id / User ID / userId",
        ),
        ("contacts.csv", "First Name\n", "Record ID / hs_object_id"),
        (
            "companies.csv",
            "Company name\n",
            "Record ID / hs_object_id",
        ),
        (
            "calls.csv",
            "Activity assigned to,Activity date,Associated Contact IDs\n",
            "Record ID / hs_object_id",
        ),
        (
            "calls.csv",
            "Record ID,Activity date,Associated Contact IDs\n",
            "Activity assigned to / Assigned to / hubspot_owner_id",
        ),
        (
            "calls.csv",
            "Record ID,Activity assigned to,Associated Contact IDs\n",
            "Activity date / hs_timestamp",
        ),
        (
            "calls.csv",
            "Record ID,Activity assigned to,Activity date,Associated Contact\n",
            "Associated Contact IDs / Associated Contact ID / contact_ids",
        ),
        (
            "emails.csv",
            "Record ID,Activity assigned to,Activity date\n",
            "Associated Contact IDs / Associated Contact ID / contact_ids",
        ),
        (
            "meetings.csv",
            "Record ID,Activity assigned to,Associated Contact IDs\n",
            "Meeting start time / Start time / hs_meeting_start_time / Activity date / hs_timestamp",
        ),
        (
            "meetings.csv",
            "Record ID,Meeting start time,Associated Contact IDs\n",
            "Activity assigned to / Assigned to / hubspot_owner_id",
        ),
        (
            "deals.csv",
            "Record ID,Is Closed Won,Close Date,Associated Contact IDs\n",
            "Deal owner / hubspot_owner_id",
        ),
        (
            "deals.csv",
            "Record ID,Deal owner,Close Date,Associated Contact IDs\n",
            "Is Closed Won / hs_is_closed_won / Deal Stage / dealstage",
        ),
        (
            "deals.csv",
            "Record ID,Deal owner,Is Closed Won,Associated Contact IDs\n",
            "Close Date / closedate",
        ),
        (
            "deals.csv",
            "Record ID,Deal owner,Is Closed Won,Close Date\n",
            "Associated Contact IDs / Associated Contact ID / contact_ids",
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
    // Any listed header will do: user IDs alone, `Activity date` for the
    // meeting start, the stage for the won flag.
    let dir = export("alternatives");
    dir.write("owners.csv", "userId\n101\n")
        .write("calls.csv", &format!("{calls}\n"))
        .write(
            "meetings.csv",
            "hs_object_id,Assigned to,hs_timestamp,Associated Contact ID\n",
        )
        .write(
            "deals.csv",
            "Record ID,Deal owner,Deal Stage,closedate,contact_ids\n",
        );
    assert!(try_import(dir.path(), &ImportOptions::default()).is_ok());
}

// ---------------------------------------------------------------------------
// Exact summary.

#[test]
fn summary_skipped_and_rejections_of_a_mixed_export() {
    let dir = export("mixed");
    dir.write(
        "owners.csv",
        "Owner ID,User ID,First Name,Last Name,Email,archived\n\
         101,9001,Ana,Lima,ana@x.ro,false\n\
         102,9002,Old,User,old@x.ro,true\n",
    )
    .write(
        "companies.csv",
        "Record ID,Company name,archived\nco1,Acme SA,\nco2,Gone SRL,true\n",
    )
    .write(
        "contacts.csv",
        "Record ID,First Name,Last Name,Associated Company IDs (Primary),Create Date,archived\n\
         1,Rui,Sousa,co1,2026-05-01 10:00,\n\
         2,Gone,Contact,,2026-05-02 10:00,true\n\
         3,Bad,Date,,yesterday,\n",
    )
    .write(
        "calls.csv",
        "Record ID,Activity assigned to,Activity date,Create date,Call status,Associated Contact IDs\n\
         c1,Ana Lima,2026-06-01 09:00,2026-06-01 09:05,Completed,1\n\
         c2,101,2026-06-01 09:00,2026-06-01 09:00,In progress,1\n\
         c3,101,2026-06-01 09:00,2026-06-01 09:00,Failed,1\n\
         c4,101,2026-06-01 09:00,2026-06-01 09:00,Completed,2\n\
         c5,101,2026-06-01 09:00,2026-06-01 09:00,Completed,3\n\
         c6,102,2026-06-01 09:00,2026-06-01 09:00,Completed,1\n",
    )
    .write(
        "emails.csv",
        "Record ID,Activity assigned to,Activity date,Email send status,Associated Contact IDs\n\
         e1,ana@x.ro,2026-06-02 09:00,Sent,1\n\
         e2,101,2026-06-02 09:00,Scheduled,1\n",
    )
    .write(
        "meetings.csv",
        "Record ID,Activity assigned to,Meeting start time,Meeting outcome,Associated Contact IDs,\
         Create Date\n\
         m1,101,2026-06-03 09:00,Completed,1,2026-06-01 09:00\n\
         m2,101,2026-07-01 09:00,Scheduled,1,2026-06-10 09:00\n\
         m3,101,2026-06-03 09:00,No show,,2026-06-01 09:00\n",
    )
    .write(
        "deals.csv",
        "Record ID,Deal owner,Is Closed Won,Deal Stage,Close Date,Amount,Currency,\
         Associated Contact IDs\n\
         d1,101,,closedwon,2026-06-05,1200.50,EUR,1\n\
         d2,101,,closedlost,2026-06-05,100,EUR,1\n\
         d3,101,true,,2026-06-05,100,EUR,\n\
         d4,101,true,,2026-06-06,1.005,USD,1\n",
    );
    let imported = import(&dir);
    assert_eq!(imported.import.as_of(), Some(at("2026-06-10T09:00:00Z")));
    assert_eq!(
        imported.summary(),
        "file,rows,imported,skipped,rejected,skip_reason_counts\n\
         calls.csv,6,1,3,2,failed_call=1;no_prospect=1;open_call=1\n\
         companies.csv,2,1,1,0,deleted=1\n\
         contacts.csv,3,1,1,1,deleted=1\n\
         deals.csv,4,1,2,1,no_contact=1;not_won=1\n\
         emails.csv,2,1,1,0,unsent_email=1\n\
         meetings.csv,3,1,2,0,future_event=1;no_prospect=1\n\
         owners.csv,2,1,1,0,deleted=1\n"
    );
    assert_eq!(
        imported.skipped(),
        "file,row,id,reason\n\
         calls.csv,2,c2,open_call\n\
         calls.csv,3,c3,failed_call\n\
         calls.csv,4,c4,no_prospect\n\
         companies.csv,2,co2,deleted\n\
         contacts.csv,2,2,deleted\n\
         deals.csv,2,d2,not_won\n\
         deals.csv,3,d3,no_contact\n\
         emails.csv,2,e2,unsent_email\n\
         meetings.csv,2,m2,future_event\n\
         meetings.csv,3,m3,no_prospect\n\
         owners.csv,2,102,deleted\n"
    );
    assert_eq!(
        imported.rejections(),
        [
            "contact,5,c5,prospect_id,unknown_prospect",
            "contact,6,c6,rep_id,unknown_rep",
            "prospect,3,3,created_at,bad_time",
            "sale,4,d4,amount_minor,bad_number",
        ]
    );
    assert_eq!(imported.contact_ids(), ["c1", "e1"]);
    assert_eq!(imported.contact("c1").rep_id.as_str(), "101");
    assert_eq!(imported.prospect("1").company.as_deref(), Some("Acme SA"));
    assert_eq!(imported.sale_ids(), ["d1"]);
    assert_eq!(imported.ledger.accepted_count(RecordKind::Meeting), 1);
}

// ---------------------------------------------------------------------------
// Nothing lost.

fn pick(pool: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(pool).prop_map(str::to_owned)
}

/// One file of a random export: its header and data rows.
#[derive(Debug, Clone)]
struct RandomFile {
    name: &'static str,
    header: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

/// Random rows of a file, each cell drawn from its column's pool.
fn random_file(
    name: &'static str,
    columns: &'static [(&'static str, &'static [&'static str])],
    max_rows: usize,
) -> impl Strategy<Value = RandomFile> {
    let row: Vec<_> = columns.iter().map(|(_, pool)| pick(pool)).collect();
    let header: Vec<&'static str> = columns.iter().map(|(name, _)| *name).collect();
    prop::collection::vec(row, 0..max_rows).prop_map(move |rows| RandomFile {
        name,
        header: header.clone(),
        rows,
    })
}

const IDS: &[&str] = &["1", "2", "3", "", "x,1", "two\nlines"];
const ARCHIVED: &[&str] = &["", "false", "true", "yes", "maybe"];
const OWNER_REFS: &[&str] = &[
    "101", "102", "9001", "ana@x.ro", "Ana Lima", "Dan Pop", "zoe", "",
];
const CONTACT_LISTS: &[&str] = &["1", "2", "3", "1;2", "2, 3", "9", "", " ; "];
const TIMES: &[&str] = &[
    "2026-06-01 09:00",
    "2026-06-01T09:00:00Z",
    "1780304400000",
    "2026-06-01",
    "2026-07-01 09:00:30",
    "garbage",
    "",
];
const OWNER_COLUMNS: &[(&str, &[&str])] = &[
    ("Owner ID", &["101", "102", "", "9001"]),
    ("User ID", &["9001", "9002", ""]),
    ("First Name", &["Ana", "Dan", ""]),
    ("Last Name", &["Lima", "Pop", ""]),
    ("Email", &["ana@x.ro", "ANA@x.ro", ""]),
    ("archived", ARCHIVED),
    ("Create Date", TIMES),
];
const COMPANY_COLUMNS: &[(&str, &[&str])] = &[
    ("Record ID", &["co1", "co2", ""]),
    ("Company name", &["Acme", ""]),
    ("archived", ARCHIVED),
];
const CONTACT_COLUMNS: &[(&str, &[&str])] = &[
    ("Record ID", IDS),
    ("First Name", &["Rui", ""]),
    ("Associated Company IDs (Primary)", &["co1", "co2", ""]),
    ("Country/Region", &["pt", "Portugal", ""]),
    ("Create Date", TIMES),
    ("Created by user ID", OWNER_REFS),
    ("archived", ARCHIVED),
];
const CALL_COLUMNS: &[(&str, &[&str])] = &[
    ("Record ID", IDS),
    ("Activity assigned to", OWNER_REFS),
    ("Activity date", TIMES),
    ("Create date", TIMES),
    ("Associated Contact IDs", CONTACT_LISTS),
    (
        "Call status",
        &["", "COMPLETED", "QUEUED", "FAILED", "Busy", "In progress"],
    ),
    ("Call duration", &["", "1500", "-3", "1:00", "abc"]),
    (
        "Call outcome",
        &["", "Connected", "meeting booked", "weird"],
    ),
    ("archived", ARCHIVED),
];
const EMAIL_COLUMNS: &[(&str, &[&str])] = &[
    ("Record ID", IDS),
    ("Activity assigned to", OWNER_REFS),
    ("Activity date", TIMES),
    ("Associated Contact IDs", CONTACT_LISTS),
    (
        "Email send status",
        &["", "SENT", "SCHEDULED", "BOUNCED", "FAILED"],
    ),
    ("archived", ARCHIVED),
];
const MEETING_COLUMNS: &[(&str, &[&str])] = &[
    ("Record ID", IDS),
    ("Activity assigned to", OWNER_REFS),
    ("Meeting start time", TIMES),
    ("Activity date", TIMES),
    (
        "Meeting outcome",
        &["", "COMPLETED", "NO_SHOW", "Canceled", "Rescheduled"],
    ),
    ("Associated Contact IDs", CONTACT_LISTS),
    ("archived", ARCHIVED),
];
const DEAL_COLUMNS: &[(&str, &[&str])] = &[
    ("Record ID", IDS),
    ("Deal owner", OWNER_REFS),
    ("Is Closed Won", &["", "true", "false", "Yes", "maybe"]),
    ("Deal Stage", &["", "closedwon", "Closed Won", "closedlost"]),
    ("Close Date", TIMES),
    ("Amount", &["", "100", "12.345", "-5", "x"]),
    ("Currency", &["", "EUR", "JPY"]),
    ("Associated Contact IDs", CONTACT_LISTS),
    ("archived", ARCHIVED),
    ("Create Date", TIMES),
];

/// A random export: the required files, the optional ones or not, and an
/// `--as-of` or not.
fn random_export() -> impl Strategy<Value = (Vec<RandomFile>, Option<DateTime<Utc>>)> {
    (
        (
            random_file("owners.csv", OWNER_COLUMNS, 4),
            prop::option::of(random_file("companies.csv", COMPANY_COLUMNS, 4)),
            random_file("contacts.csv", CONTACT_COLUMNS, 6),
            random_file("calls.csv", CALL_COLUMNS, 8),
        ),
        (
            prop::option::of(random_file("emails.csv", EMAIL_COLUMNS, 6)),
            random_file("meetings.csv", MEETING_COLUMNS, 6),
            random_file("deals.csv", DEAL_COLUMNS, 6),
            prop::option::of(prop::sample::select(vec![
                at("2026-06-01T09:00:00Z"),
                at("2026-06-15T00:00:00Z"),
            ])),
        ),
    )
        .prop_map(
            |((owners, companies, contacts, calls), (emails, meetings, deals, as_of))| {
                let files = [
                    Some(owners),
                    companies,
                    Some(contacts),
                    Some(calls),
                    emails,
                    Some(meetings),
                    Some(deals),
                ];
                (files.into_iter().flatten().collect(), as_of)
            },
        )
}

/// The number in `field` of a summary line.
fn int(field: &str) -> usize {
    field.parse().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn nothing_is_lost((files, as_of) in random_export()) {
        let dir = Scratch::new("prop-lost");
        for f in &files {
            write_csv(dir.path(), f.name, &f.header, &f.rows);
        }
        let options = ImportOptions { as_of, ..ImportOptions::default() };
        let imported = try_import(dir.path(), &options)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let summary = imported.summary();
        let mut lines: BTreeMap<String, [usize; 4]> = BTreeMap::new();
        for line in summary.lines().skip(1) {
            let cells: Vec<&str> = line.split(',').collect();
            prop_assert_eq!(cells.len(), 6, "{}", line);
            let [rows, imported_rows, skipped, rejected] =
                [int(cells[1]), int(cells[2]), int(cells[3]), int(cells[4])];
            prop_assert_eq!(rows, imported_rows + skipped + rejected, "{}", line);
            let listed: usize = cells[5]
                .split(';')
                .filter(|p| !p.is_empty())
                .map(|p| int(p.split_once('=').unwrap().1))
                .sum();
            prop_assert_eq!(listed, skipped, "{}", line);
            lines.insert(cells[0].to_owned(), [rows, imported_rows, skipped, rejected]);
        }
        // One line per file written, with exactly its data rows.
        let written: BTreeMap<String, usize> =
            files.iter().map(|f| (f.name.to_owned(), f.rows.len())).collect();
        let read: BTreeMap<String, usize> =
            lines.iter().map(|(k, v)| (k.clone(), v[0])).collect();
        prop_assert_eq!(&read, &written);
        // Every imported row is an accepted record of its kind.
        let imported_of = |names: &[&str]| -> usize {
            names.iter().filter_map(|n| lines.get(*n)).map(|v| v[1]).sum()
        };
        let ledger = &imported.ledger;
        for (kind, names) in [
            (RecordKind::Rep, &["owners.csv"][..]),
            (RecordKind::Prospect, &["contacts.csv"][..]),
            (RecordKind::Contact, &["calls.csv", "emails.csv"][..]),
            (RecordKind::Meeting, &["meetings.csv"][..]),
            (RecordKind::Sale, &["deals.csv"][..]),
        ] {
            prop_assert_eq!(ledger.accepted_count(kind), imported_of(names) as u64, "{:?}", kind);
        }
        // skipped.csv and the rejections list every row counted.
        let total = |i: usize| lines.values().map(|v| v[i]).sum::<usize>();
        prop_assert_eq!(imported.import.skipped().rows.len(), total(2));
        prop_assert_eq!(imported.rejections().len(), total(3));
        prop_assert_eq!(total(0), files.iter().map(|f| f.rows.len()).sum::<usize>());
    }
}

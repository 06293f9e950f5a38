//! Importing a Pipedrive export folder (`docs/import/pipedrive.md`,
//! IMPORT.md §12.1, §12.3).
//!
//! * **Round trip.** [`write_pipedrive`] writes SPEC §2 records the way a
//!   Pipedrive export holds them (`users.csv`, `organizations.csv`,
//!   `persons.csv`, `activities.csv`, `deals.csv`, `<Entity> - <Field>`
//!   headers, bare link columns, owners and persons named by name where
//!   that name is unique); importing it gives the demo records back
//!   wherever the format can carry them ([`carried`] lists what it
//!   cannot).
//! * **Edge cases**, one fixture per rule of the doc: activity skips,
//!   activity types, the activity instant, persons and organizations,
//!   user references by ID, e-mail and name, reps without `users.csv`,
//!   deals won/lost/open/deleted and without a person, future meetings
//!   and the as-of instant, European formats, amounts per currency
//!   exponent, rejected persons cascading, headers (prefixed, bare, API,
//!   BOM), missing files and columns.
//! * **Exact summary**: `import_summary.csv` and `skipped.csv` of one
//!   export, text for text.
//! * **Nothing lost** (proptest): random small exports; every summary line
//!   adds up, the lines add up to the rows written, every rejection names
//!   its row in its own file.

#[path = "support/export_dir.rs"]
mod export_dir;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::path::Path;

use chrono::{DateTime, Timelike, Utc};
use export_dir::{Scratch, csv_text, decimal_amount};
use proptest::prelude::*;
use sales_metrics::import::{ExportFormat, Import, ImportOptions, import_folder};
use sales_metrics::{
    Channel, Contact, Direction, Error, Ledger, LedgerBuilder, Meeting, MeetingStatus, Mode,
    ProspectRecord, RecordKind, Records, Rep, Sale, Source,
};

// ---------------------------------------------------------------------------
// Scratch folders and import helpers.

/// A minimal export: users `1` (Ana Lima) and `2` (Rui Sousa), person
/// `10` (Eva Pop), and activities and deals with headers only. Tests
/// overwrite the files they are about.
fn export(tag: &str) -> Scratch {
    let s = Scratch::new(&format!("pipedrive-{tag}"));
    s.write(
        "users.csv",
        "ID,Name,Email\n1,Ana Lima,ana@example.com\n2,Rui Sousa,rui@example.com\n",
    )
    .write("persons.csv", "ID,Name\n10,Eva Pop\n")
    .write(
        "activities.csv",
        "ID,Type,Done,Assigned to user,Contact person,Due date,Due time\n",
    )
    .write("deals.csv", "ID,Status,Owner,Contact person,Won time\n");
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
    let import = import_folder(dir, &ExportFormat::Pipedrive, options, &mut builder)?;
    let ledger = builder.build()?;
    Ok(Imported { import, ledger })
}

fn import_with(dir: &Scratch, options: &ImportOptions) -> Imported {
    try_import(dir.path(), options).unwrap()
}

fn import(dir: &Scratch) -> Imported {
    import_with(dir, &ImportOptions::default())
}

fn in_zone(zone: &str) -> ImportOptions {
    ImportOptions {
        time_zone: zone.parse().unwrap(),
        ..ImportOptions::default()
    }
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

    /// The rejections (rows in their own file) as sorted `rejections.csv`
    /// lines.
    fn rejections(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .import
            .rejections(self.ledger.rejections())
            .iter()
            .map(|r| format!("{},{},{},{},{}", r.kind, r.row, r.id, r.field, r.reason))
            .collect();
        lines.sort();
        lines
    }

    fn records(&self) -> Records {
        self.ledger.to_records()
    }

    fn contact(&self, id: &str) -> Contact {
        let found = self
            .records()
            .contacts
            .into_iter()
            .find(|c| c.contact_id.as_str() == id);
        found.unwrap_or_else(|| panic!("contact {id} imported"))
    }

    fn meeting(&self, id: &str) -> Meeting {
        let found = self
            .records()
            .meetings
            .into_iter()
            .find(|m| m.meeting_id.as_str() == id);
        found.unwrap_or_else(|| panic!("meeting {id} imported"))
    }

    fn sale(&self, id: &str) -> Sale {
        let found = self
            .records()
            .sales
            .into_iter()
            .find(|s| s.sale_id.as_str() == id);
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

    fn rep_ids(&self) -> Vec<String> {
        self.records()
            .reps
            .iter()
            .map(|r| r.rep_id.to_string())
            .collect()
    }

    fn contact_ids(&self) -> Vec<String> {
        self.records()
            .contacts
            .iter()
            .map(|c| c.contact_id.to_string())
            .collect()
    }

    fn meeting_ids(&self) -> Vec<String> {
        self.records()
            .meetings
            .iter()
            .map(|m| m.meeting_id.to_string())
            .collect()
    }

    fn sale_ids(&self) -> Vec<String> {
        self.records()
            .sales
            .iter()
            .map(|s| s.sale_id.to_string())
            .collect()
    }

    fn prospect_ids(&self) -> Vec<String> {
        let records = self.records();
        records
            .prospects
            .iter()
            .map(|p| p.prospect_id.to_string())
            .collect()
    }
}

/// An instant from RFC 3339 text.
fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

// ---------------------------------------------------------------------------
// Writing SPEC records as a Pipedrive export.

/// Pipedrive's export time form `YYYY-MM-DD HH:MM:SS` (read in `--tz`,
/// UTC in the round trip); sub-second digits are dropped.
fn pd_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A `Source channel` text the doc's keyword rules read as `source`.
fn source_channel(source: Option<Source>) -> &'static str {
    match source {
        None => "",
        Some(Source::Referral) => "Partner referral",
        Some(Source::ColdList) => "Cold list",
        Some(Source::Inbound) => "Web form",
        Some(Source::Event) => "Trade show",
        Some(Source::ExistingCustomer) => "Existing customer",
        Some(Source::Other) => "Other",
    }
}

/// The activity type written for a contact's channel: only call and
/// email come back; the others are types the import skips.
fn activity_type(channel: Channel) -> &'static str {
    match channel {
        Channel::Phone => "Call",
        Channel::Email => "Email",
        Channel::InPerson => "Visit",
        Channel::Internet => "LinkedIn message",
        Channel::Other => "Task",
    }
}

/// `HH:MM:SS` of a duration, when it fits two-digit hours.
fn pd_duration(seconds: Option<i64>) -> String {
    match seconds {
        Some(s) if (0..360_000).contains(&s) => {
            format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
        }
        _ => String::new(),
    }
}

/// How link cells name rows, as a UI export does: by the row's name where
/// that name is non-empty, trimmed, unique ignoring case among the rows
/// and no row's ID (so resolution finds that row); else by its ID.
fn link_cells<'a>(
    rows: impl Iterator<Item = (&'a str, Option<&'a str>)> + Clone,
) -> BTreeMap<String, String> {
    let ids: BTreeSet<&str> = rows.clone().map(|(id, _)| id).collect();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for (_, name) in rows.clone() {
        if let Some(name) = name {
            *counts.entry(name.to_ascii_lowercase()).or_default() += 1;
        }
    }
    rows.map(|(id, name)| {
        let by_name = name.filter(|n| {
            !n.is_empty()
                && n.trim() == *n
                && counts.get(&n.to_ascii_lowercase()) == Some(&1)
                && !ids.contains(n)
        });
        (id.to_owned(), by_name.unwrap_or(id).to_owned())
    })
    .collect()
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

/// The organizations of `prospects`: one per distinct (company, city,
/// country), IDs `org1`, `org2`, …
fn organizations_of(prospects: &[ProspectRecord]) -> BTreeMap<[String; 3], String> {
    let mut orgs = BTreeMap::new();
    for p in prospects {
        let key = [
            text(p.company.as_deref()),
            text(p.city.as_deref()),
            text(p.country.as_deref()),
        ];
        if key.iter().any(|k| !k.is_empty()) {
            let n = orgs.len() + 1;
            orgs.entry(key).or_insert_with(|| format!("org{n}"));
        }
    }
    orgs
}

/// Writes `records` into `dir` as a Pipedrive export:
///
/// * Reps are `users.csv` rows (`ID`, `Name`, empty `Email`); every third
///   is deactivated (`active_flag` false: still a rep).
/// * Each distinct (company, city, country) of the prospects is an
///   `organizations.csv` row, linked from its persons by ID (the only way
///   city and country reach a person).
/// * Prospect records are `persons.csv` rows with `Person - …` headers:
///   e-mail in `Person - Email - Work` after a decoy
///   `Person - Email messages count`, phone in `Person - Phone - Mobile`,
///   `Source channel` text per source, `Add time` = created_at,
///   `creator_user_id` = created_by.
/// * Contacts are done activities: `Due date` and `Due time` = occurred_at,
///   `Add time` = logged_at, `Duration` `HH:MM:SS`, type `Call`/`Email`
///   (other channels get types the import skips).
/// * Meetings are `Meeting` activities, done when held (others `Not
///   done`), `Add time` = held_at so none is after the as-of instant.
/// * Sales are won deals (`Won time` = closed_at); every tenth is followed
///   by a lost deal `lost-<id>`.
/// * Owner cells (`Assigned to user`, `Deal - Owner`) and `Contact person`
///   name the user or person by name where [`link_cells`] allows, else by
///   ID.
fn write_pipedrive(records: &Records, dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let owners = link_cells(
        records
            .reps
            .iter()
            .map(|r| (r.rep_id.as_str(), r.name.as_deref())),
    );
    let persons = link_cells(
        records
            .prospects
            .iter()
            .map(|p| (p.prospect_id.as_str(), p.name.as_deref())),
    );
    let owner = |rep: &str| owners.get(rep).cloned().unwrap_or_else(|| rep.to_owned());
    let person = |id: &str| persons.get(id).cloned().unwrap_or_else(|| id.to_owned());
    write_users(records, dir);
    let orgs = write_organizations(records, dir);
    write_persons(records, dir, &orgs);
    write_activities(records, dir, &owner, &person);
    write_deals(records, dir, &owner, &person);
}

fn write_users(records: &Records, dir: &Path) {
    let rows: Vec<Vec<String>> = records
        .reps
        .iter()
        .enumerate()
        .map(|(i, r)| {
            vec![
                r.rep_id.to_string(),
                text(r.name.as_deref()),
                String::new(),
                (i % 3 != 2).to_string(),
            ]
        })
        .collect();
    write_csv(
        dir,
        "users.csv",
        &["ID", "Name", "Email", "active_flag"],
        &rows,
    );
}

fn write_organizations(records: &Records, dir: &Path) -> BTreeMap<[String; 3], String> {
    let orgs = organizations_of(&records.prospects);
    let rows: Vec<Vec<String>> = orgs
        .iter()
        .map(|([name, city, country], id)| {
            vec![id.clone(), name.clone(), city.clone(), country.clone()]
        })
        .collect();
    let header = [
        "Organization - ID",
        "Organization - Name",
        "Organization - Address - City/town/village/locality of Address",
        "Organization - Address - Country of Address",
    ];
    write_csv(dir, "organizations.csv", &header, &rows);
    orgs
}

fn write_persons(records: &Records, dir: &Path, orgs: &BTreeMap<[String; 3], String>) {
    let rows: Vec<Vec<String>> = records
        .prospects
        .iter()
        .map(|p| {
            let key = [
                text(p.company.as_deref()),
                text(p.city.as_deref()),
                text(p.country.as_deref()),
            ];
            let creator = text(p.created_by.as_ref().map(|r| r.as_str()));
            vec![
                p.prospect_id.to_string(),
                text(p.name.as_deref()),
                orgs.get(&key).cloned().unwrap_or_default(),
                "3".to_owned(),
                text(p.email.as_deref()),
                text(p.phone.as_deref()),
                source_channel(p.source).to_owned(),
                p.created_at.map(pd_time).unwrap_or_default(),
                creator.clone(),
                creator,
            ]
        })
        .collect();
    let header = [
        "Person - ID",
        "Person - Name",
        "Person - Organization",
        "Person - Email messages count",
        "Person - Email - Work",
        "Person - Phone - Mobile",
        "Person - Source channel",
        "Person - Add time",
        "creator_user_id",
        "Person - Owner",
    ];
    write_csv(dir, "persons.csv", &header, &rows);
}

fn write_activities(
    records: &Records,
    dir: &Path,
    owner: &dyn Fn(&str) -> String,
    person: &dyn Fn(&str) -> String,
) {
    let mut rows = Vec::new();
    for c in &records.contacts {
        let logged = c.logged_at.map(pd_time).unwrap_or_default();
        rows.push(vec![
            c.contact_id.to_string(),
            activity_type(c.channel).to_owned(),
            "Done".to_owned(),
            c.occurred_at.format("%Y-%m-%d").to_string(),
            c.occurred_at.format("%H:%M:%S").to_string(),
            pd_duration(c.duration_s),
            logged.clone(),
            logged,
            owner(c.rep_id.as_str()),
            person(c.prospect_id.as_str()),
        ]);
    }
    for m in &records.meetings {
        let held = m.status == MeetingStatus::Held;
        rows.push(vec![
            m.meeting_id.to_string(),
            "Meeting".to_owned(),
            if held { "Done" } else { "Not done" }.to_owned(),
            m.held_at.format("%Y-%m-%d").to_string(),
            m.held_at.format("%H:%M").to_string(),
            String::new(),
            pd_time(m.held_at),
            String::new(),
            owner(m.rep_id.as_str()),
            person(m.prospect_id.as_str()),
        ]);
    }
    let header = [
        "Activity - ID",
        "Activity - Type",
        "Activity - Done",
        "Activity - Due date",
        "Activity - Due time",
        "Activity - Duration",
        "Activity - Add time",
        "Activity - Marked as done time",
        "Activity - Assigned to user",
        "Contact person",
    ];
    write_csv(dir, "activities.csv", &header, &rows);
}

fn write_deals(
    records: &Records,
    dir: &Path,
    owner: &dyn Fn(&str) -> String,
    person: &dyn Fn(&str) -> String,
) {
    let mut rows = Vec::new();
    for (i, s) in records.sales.iter().enumerate() {
        let currency = s.currency.as_deref();
        let mut row = vec![
            s.sale_id.to_string(),
            format!("Deal {}", s.sale_id),
            "won".to_owned(),
            owner(s.rep_id.as_str()),
            person(s.prospect_id.as_str()),
            pd_time(s.closed_at),
            s.amount_minor
                .map(|a| decimal_amount(a, currency))
                .unwrap_or_default(),
            text(currency),
            pd_time(s.closed_at),
        ];
        rows.push(row.clone());
        if i % 10 == 0 {
            row[0] = format!("lost-{}", s.sale_id);
            row[2] = "lost".to_owned();
            row[5] = String::new();
            rows.push(row);
        }
    }
    let header = [
        "Deal - ID",
        "Deal - Title",
        "Deal - Status",
        "Deal - Owner",
        "Contact person",
        "Deal - Won time",
        "Deal - Value",
        "Deal - Currency",
        "Deal - Add time",
    ];
    write_csv(dir, "deals.csv", &header, &rows);
}

/// An instant without its sub-second digits.
fn seconds(t: DateTime<Utc>) -> DateTime<Utc> {
    t.with_nanosecond(0).unwrap()
}

/// A multi-value cell as the import reads it: its first `,`-separated
/// item, trimmed.
fn first_item(value: Option<&str>) -> Option<String> {
    let item = value?.split(',').next()?.trim();
    (!item.is_empty()).then(|| item.to_owned())
}

/// What importing `write_pipedrive(records)` gives back: `records`
/// without what a Pipedrive export cannot carry:
///
/// * a rep's `team_id` and `daily_contact_target` (users have neither);
/// * an e-mail or phone beyond its first `,`-separated item, and the
///   spaces around it;
/// * a country that is not two ASCII letters (absent), or in lower case
///   (upper-cased);
/// * contacts by channel in_person, internet or other (Pipedrive types
///   call and email only: written as other types, skipped), a contact's
///   direction (outbound) and outcome (absent), durations of 100 hours or
///   more;
/// * meetings not held (written not done, skipped);
/// * instants keep whole seconds.
fn carried(records: &Records) -> Records {
    let country = |c: &Option<String>| {
        c.as_deref()
            .filter(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic()))
            .map(|c| c.to_ascii_uppercase())
    };
    let carried_channel = |c: &&Contact| matches!(c.channel, Channel::Phone | Channel::Email);
    Records {
        reps: records
            .reps
            .iter()
            .map(|r| Rep {
                team_id: None,
                daily_contact_target: None,
                ..r.clone()
            })
            .collect(),
        prospects: records
            .prospects
            .iter()
            .map(|p| ProspectRecord {
                email: first_item(p.email.as_deref()),
                phone: first_item(p.phone.as_deref()),
                country: country(&p.country),
                created_at: p.created_at.map(seconds),
                ..p.clone()
            })
            .collect(),
        contacts: records
            .contacts
            .iter()
            .filter(carried_channel)
            .map(|c| Contact {
                occurred_at: seconds(c.occurred_at),
                logged_at: c.logged_at.map(seconds),
                direction: Direction::Outbound,
                outcome: None,
                duration_s: c.duration_s.filter(|d| (0..360_000).contains(d)),
                ..c.clone()
            })
            .collect(),
        meetings: records
            .meetings
            .iter()
            .filter(|m| m.status == MeetingStatus::Held)
            .map(|m| Meeting {
                held_at: seconds(m.held_at),
                ..m.clone()
            })
            .collect(),
        sales: records
            .sales
            .iter()
            .map(|s| Sale {
                closed_at: seconds(s.closed_at),
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

/// The summary line of `file` as `(rows, imported, skipped, rejected,
/// skip counts)`.
fn line_of(summary: &str, file: &str) -> (u64, u64, u64, u64, String) {
    let line = summary
        .lines()
        .find(|l| l.split(',').next() == Some(file))
        .unwrap_or_else(|| panic!("{file} in {summary}"));
    let cells: Vec<&str> = line.splitn(6, ',').collect();
    let n = |i: usize| cells[i].parse::<u64>().unwrap();
    (n(1), n(2), n(3), n(4), cells[5].to_owned())
}

// ---------------------------------------------------------------------------
// Round trip.

#[test]
fn writer_helpers_speak_pipedrive() {
    assert_eq!(
        pd_time(at("2026-06-01T09:00:00.25Z")),
        "2026-06-01 09:00:00"
    );
    assert_eq!(decimal_amount(1_250_050, Some("EUR")), "12500.50");
    assert_eq!(decimal_amount(1500, Some("JPY")), "1500");
    assert_eq!(decimal_amount(1234, Some("kwd")), "1.234");
    assert_eq!(pd_duration(Some(3723)), "01:02:03");
    assert_eq!(pd_duration(Some(360_000)), "");
    let cells = link_cells(
        [
            ("a", Some("Ana")),
            ("b", Some("ana")),
            ("c", Some("Dan")),
            ("d", Some("a")),
            ("e", None),
        ]
        .into_iter(),
    );
    let want = [("a", "a"), ("b", "b"), ("c", "Dan"), ("d", "d"), ("e", "e")];
    assert_eq!(
        cells,
        want.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    );
}

#[test]
fn demo_data_round_trips_through_a_pipedrive_export() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo");
    let records = sales_metrics::load_folder(&demo, Mode::Strict)
        .unwrap()
        .to_records();
    // The demo holds what cannot be carried, so the comparison is not
    // vacuous there.
    assert!(records.reps.iter().any(|r| r.team_id.is_some()));
    assert!(
        records
            .meetings
            .iter()
            .any(|m| m.status != MeetingStatus::Held)
    );
    assert!(records.contacts.iter().any(|c| c.channel == Channel::Other));

    let dir = Scratch::new("demo");
    write_pipedrive(&records, dir.path());
    let imported = import(&dir);
    assert!(
        imported.ledger.rejections().is_empty(),
        "{:?}",
        imported.rejections()
    );

    let got = imported.records();
    let want = carried(&records);
    assert_same("reps", &got.reps, &want.reps);
    assert_same("prospects", &got.prospects, &want.prospects);
    assert_same("contacts", &got.contacts, &want.contacts);
    assert_same("meetings", &got.meetings, &want.meetings);
    assert_same("sales", &got.sales, &want.sales);

    // Every row is accounted for: the ones not carried are skipped.
    let summary = imported.summary();
    let other_types = records.contacts.len() - want.contacts.len();
    let not_held = records.meetings.len() - want.meetings.len();
    let lost = records.sales.len().div_ceil(10);
    let activities = (records.contacts.len() + records.meetings.len()) as u64;
    let imported_activities = (want.contacts.len() + want.meetings.len()) as u64;
    let skips = format!("open_task={not_held};other_activity_type={other_types}");
    assert_eq!(
        line_of(&summary, "activities.csv"),
        (
            activities,
            imported_activities,
            (other_types + not_held) as u64,
            0,
            skips
        )
    );
    let deals = (records.sales.len() + lost) as u64;
    let sales = records.sales.len() as u64;
    assert_eq!(
        line_of(&summary, "deals.csv"),
        (deals, sales, lost as u64, 0, format!("not_won={lost}"))
    );
    let persons = records.prospects.len() as u64;
    assert_eq!(
        line_of(&summary, "persons.csv"),
        (persons, persons, 0, 0, String::new())
    );
    let reps = records.reps.len() as u64;
    assert_eq!(
        line_of(&summary, "users.csv"),
        (reps, reps, 0, 0, String::new())
    );
    // Persons were named by name where unique, by ID otherwise: both ways
    // are exercised.
    let names = link_cells(
        records
            .prospects
            .iter()
            .map(|p| (p.prospect_id.as_str(), p.name.as_deref())),
    );
    assert!(names.iter().any(|(id, cell)| id == cell));
    assert!(names.iter().any(|(id, cell)| id != cell));
}

// ---------------------------------------------------------------------------
// Activities.

#[test]
fn activities_are_skipped_by_type_done_deleted_and_person() {
    let s = export("activity-skips");
    s.write(
        "persons.csv",
        "ID,Name,active_flag\n10,Eva Pop,\n11,Ion Popa,\n12,ion popa,true\n13,Old One,false\n",
    );
    s.write(
        "activities.csv",
        "ID,Type,Done,Assigned to user,Contact person,Due date,Due time,active_flag\n\
         a1,call,1,1,10,2026-06-01,09:00,\n\
         a2,Call,0,1,10,2026-06-01,09:00,\n\
         a3,call,,1,10,2026-06-01,09:00,\n\
         a4,email,Done,1,Eva Pop,2026-06-01,10:00,\n\
         a5,email,not done,1,10,2026-06-01,10:00,\n\
         a6,task,1,1,10,2026-06-01,11:00,\n\
         a7,Lunch,1,1,10,2026-06-01,12:00,\n\
         a8,deadline,1,1,10,2026-06-01,12:00,maybe\n\
         a9,call,1,1,10,2026-06-01,09:00,false\n\
         a10,meeting,done,1,10,2026-06-01,14:00,\n\
         a11,Meeting,undone,1,10,2026-06-01,14:00,\n\
         a12,call,1,1,Nobody,2026-06-01,09:00,\n\
         a13,call,1,1,,2026-06-01,09:00,\n\
         a14,call,1,1,Ion Popa,2026-06-01,09:00,\n\
         a15,call,1,1,13,2026-06-01,09:00,\n\
         a16,call,1,1,Old One,2026-06-01,09:00,\n\
         a17,call,maybe,1,10,2026-06-01,09:00,\n\
         a18,meeting,1,1,10,2026-06-01,09:00,maybe\n\
         a19,task,0,1,10,,,false\n\
         a20,call,TRUE,1, 10 ,2026-06-01,09:30,true\n",
    );
    let imported = import(&s);
    assert_eq!(imported.contact_ids(), strings(&["a1", "a20", "a4"]));
    assert_eq!(imported.meeting_ids(), strings(&["a10"]));
    assert_eq!(imported.contact("a1").channel, Channel::Phone);
    assert_eq!(imported.contact("a4").channel, Channel::Email);
    assert_eq!(imported.contact("a4").prospect_id.as_str(), "10");
    assert_eq!(imported.contact("a20").prospect_id.as_str(), "10");
    let meeting = imported.meeting("a10");
    assert_eq!(meeting.status, MeetingStatus::Held);
    assert_eq!(meeting.held_at, at("2026-06-01T14:00:00Z"));
    assert_eq!(
        imported.skips(),
        pairs(&[
            ("a2", "open_task"),
            ("a3", "open_task"),
            ("a5", "open_task"),
            ("a6", "other_activity_type"),
            ("a7", "other_activity_type"),
            ("a8", "other_activity_type"),
            ("a9", "deleted"),
            ("a11", "open_task"),
            ("a12", "no_prospect"),
            ("a13", "no_prospect"),
            ("a14", "ambiguous_prospect"),
            ("a15", "no_prospect"),
            ("a16", "no_prospect"),
            ("a19", "deleted"),
            // skipped.csv is in file order: persons.csv after activities.csv.
            ("13", "deleted"),
        ])
    );
    assert_eq!(
        imported.rejections(),
        strings(&[
            "contact,17,a17,Done,unknown_enum",
            "meeting,18,a18,active_flag,unknown_enum",
        ])
    );
    assert_eq!(
        line_of(&imported.summary(), "activities.csv"),
        (
            20,
            4,
            14,
            2,
            "ambiguous_prospect=1;deleted=2;no_prospect=4;open_task=4;other_activity_type=3"
                .to_owned()
        )
    );
}

#[test]
fn the_activity_instant_follows_due_date_done_time_and_add_time() {
    let s = export("activity-instant");
    s.write(
        "activities.csv",
        "ID,Type,Done,Assigned to user,Contact person,Due date,Due time,Marked as done time,Add time,Duration\n\
         c1,call,1,1,10,2026-06-01,09:30,,2026-06-01 07:00:00,00:05:30\n\
         c2,call,1,1,10,2026-06-01,,2026-06-01 18:00,2026-05-30 10:00:00,\n\
         c3,call,1,1,10,2026-06-01,,2026-06-03 18:00,2026-06-03 18:00:00,\n\
         c4,call,1,1,10,2026-06-01,,,2026-06-01 08:00:00,\n\
         c5,call,1,1,10,,,2026-06-02T10:00:00Z,2026-06-01 08:00:00,\n\
         c6,call,1,1,10,,,,2026-06-01 08:00:00,01:00\n\
         c7,email,1,1,10,,,,,\n\
         c8,call,1,1,10,12/31/2026,,,,\n\
         c9,call,1,1,10,2026-06-01,9:30,,,\n\
         c10,call,1,1,10,2026-06-01,09:30,,yesterday,\n\
         c11,call,1,1,10,2026-06-01,09:30,,,5 min\n\
         c12,call,1,1,10,2026-03-29,03:30,,,\n\
         c13,call,1,1,10,2026-06-01,,,,\n\
         c14,call,1,1,10,,,2026-06-01 25:00,,\n\
         c15,meeting,1,1,10,2026-06-01,,2026-06-01 18:00,,\n",
    );
    // Bucharest: UTC+3 in summer, and 03:00 → 04:00 on 2026-03-29.
    let imported = import_with(&s, &in_zone("Europe/Bucharest"));
    let times = |id: &str| {
        let c = imported.contact(id);
        (c.occurred_at, c.logged_at)
    };
    // Due date and time: that local time; an earlier add time is clamped.
    let t = at("2026-06-01T06:30:00Z");
    assert_eq!(times("c1"), (t, Some(t)));
    assert_eq!(imported.contact("c1").duration_s, Some(330));
    // Due date only, done the same local day: the done time.
    let t = at("2026-06-01T15:00:00Z");
    assert_eq!(times("c2"), (t, Some(t)));
    // Done another day: the due date at noon local.
    assert_eq!(
        times("c3"),
        (at("2026-06-01T09:00:00Z"), Some(at("2026-06-03T15:00:00Z")))
    );
    // No done time: the add time plays its part.
    let t = at("2026-06-01T05:00:00Z");
    assert_eq!(times("c4"), (t, Some(t)));
    // No due date: the done time, else the add time.
    let t = at("2026-06-02T10:00:00Z");
    assert_eq!(times("c5"), (t, Some(t)));
    let t = at("2026-06-01T05:00:00Z");
    assert_eq!(times("c6"), (t, Some(t)));
    assert_eq!(imported.contact("c6").duration_s, Some(3600));
    // A time in the DST gap is the end of the gap.
    assert_eq!(times("c12"), (at("2026-03-29T01:00:00Z"), None));
    assert_eq!(times("c13"), (at("2026-06-01T09:00:00Z"), None));
    // Direction and outcome are never given.
    assert_eq!(imported.contact("c1").direction, Direction::Outbound);
    assert_eq!(imported.contact("c1").outcome, None);
    assert_eq!(imported.meeting("c15").held_at, at("2026-06-01T15:00:00Z"));
    assert_eq!(
        imported.rejections(),
        strings(&[
            "contact,10,c10,logged_at,bad_time",
            "contact,11,c11,duration_s,bad_number",
            "contact,14,c14,occurred_at,bad_time",
            "contact,7,c7,occurred_at,missing_field",
            "contact,8,c8,occurred_at,bad_time",
            "contact,9,c9,occurred_at,bad_time",
        ])
    );
}

#[test]
fn a_meeting_after_the_as_of_instant_is_skipped() {
    let s = export("future");
    s.write(
        "persons.csv",
        "ID,Name,Add time\n10,Eva Pop,2026-06-10 12:00:00\n",
    )
    .write(
        "activities.csv",
        "ID,Type,Done,Assigned to user,Contact person,Due date,Due time,Add time\n\
             m1,meeting,1,1,10,2026-06-10,12:00,2026-06-01 09:00:00\n\
             m2,meeting,1,1,10,2026-06-10,12:01,2026-06-01 09:00:00\n\
             m3,call,1,1,10,2026-07-01,09:00,2026-06-01 09:00:00\n\
             m4,meeting,1,1,10,2026-07-01,09:00,\n\
             m5,meeting,1,1,10,bad,,\n\
             m6,meeting,0,1,10,2026-07-01,09:00,2026-06-05 08:00:00\n",
    );
    let imported = import(&s);
    // The latest add time of any row, the undone m6's and the deleted
    // rows' included: the person's.
    assert_eq!(imported.import.as_of(), Some(at("2026-06-10T12:00:00Z")));
    assert_eq!(imported.meeting_ids(), strings(&["m1"]));
    // A contact has no future rule.
    assert_eq!(imported.contact_ids(), strings(&["m3"]));
    assert_eq!(
        imported.skips(),
        pairs(&[
            ("m2", "future_event"),
            ("m4", "future_event"),
            ("m6", "open_task")
        ])
    );
    assert_eq!(
        imported.rejections(),
        strings(&["meeting,5,m5,held_at,bad_time"])
    );

    let later = ImportOptions {
        as_of: Some(at("2026-12-31T00:00:00Z")),
        ..ImportOptions::default()
    };
    let imported = import_with(&s, &later);
    assert_eq!(imported.import.as_of(), Some(at("2026-12-31T00:00:00Z")));
    assert_eq!(imported.meeting_ids(), strings(&["m1", "m2", "m4"]));
}

#[test]
fn the_as_of_instant_counts_deleted_rows_of_every_file() {
    let s = export("as-of");
    s.write(
        "users.csv",
        "ID,Name,created\n1,Ana Lima,2026-06-20T00:00:00Z\n",
    )
    .write(
        "deals.csv",
        "ID,Status,Owner,Contact person,Won time,Add time\nd1,deleted,1,10,,2026-06-25 00:00:00\n",
    );
    assert_eq!(import(&s).import.as_of(), Some(at("2026-06-25T00:00:00Z")));
    s.write(
        "activities.csv",
        "ID,Type,Done,Assigned to user,Contact person,Due date,Add time,active_flag\n\
         a1,task,0,1,10,,2026-06-30,false\n\
         a2,task,0,1,10,,30/06/2027,false\n",
    );
    assert_eq!(import(&s).import.as_of(), Some(at("2026-06-30T12:00:00Z")));
}

// ---------------------------------------------------------------------------
// Persons, organizations, users.

#[test]
fn persons_take_company_city_and_country_from_their_organization() {
    let s = export("persons");
    s.write(
        "organizations.csv",
        "ID,Name,Address - City/town/village/locality of Address,Address - Country of Address,active_flag\n\
         o1,Acme SRL,Cluj-Napoca,ro,\n\
         o2,Beta SA,Iași,Romania,\n\
         o3,Gone SRL,Sibiu,RO,false\n\
         o4,,Brașov,RO,\n\
         o5,Bad Flag,,,maybe\n",
    )
    .write(
        "persons.csv",
        "ID,Name,First name,Last name,Organization,Person - Email messages count,Person - Email - Work,Person - Email - Home,Phone,Person - Phone - Mobile,Source channel,Add time,active_flag\n\
         10,Eva Pop,,,o1,4,\"eva@acme.ro, eva2@acme.ro\",,,0740 000 000,Partner referral,2026-05-01,\n\
         11,,Ion,Popa,o2,0,,ion@home.ro,0230 111 111,0740 111 111,Webinar,2026-05-01 10:00,\n\
         12,Ana,,,Some Text Org,,,,,,Cold list,2026-05-01T10:00:00Z,\n\
         13,Dan,,,o3,,,,,,,,\n\
         14,Old,,,o1,,,,,,,,false\n\
         15,Flag,,,,,,,,,,,maybe\n\
         16,No Org Name,,,o4,,,,,,Facebook ads,,\n\
         17,Bad Time,,,,,,,,,,yesterday,\n\
         ,No Id,,,,,,,,,,,\n\
         18,Customer,,,,,,,,,Existing customer,,\n\
         19,Else,,,,,,,,,Fax,,\n",
    );
    let imported = import(&s);
    let eva = imported.prospect("10");
    assert_eq!(eva.name.as_deref(), Some("Eva Pop"));
    assert_eq!(eva.company.as_deref(), Some("Acme SRL"));
    assert_eq!(eva.city.as_deref(), Some("Cluj-Napoca"));
    assert_eq!(eva.country.as_deref(), Some("RO"));
    // The decoy `Email messages count` column is no e-mail.
    assert_eq!(eva.email.as_deref(), Some("eva@acme.ro"));
    assert_eq!(eva.phone.as_deref(), Some("0740 000 000"));
    assert_eq!(eva.source, Some(Source::Referral));
    assert_eq!(eva.created_at, Some(at("2026-05-01T12:00:00Z")));
    let ion = imported.prospect("11");
    assert_eq!(ion.name.as_deref(), Some("Ion Popa"));
    assert_eq!(ion.company.as_deref(), Some("Beta SA"));
    assert_eq!(ion.city.as_deref(), Some("Iași"));
    assert_eq!(ion.country, None);
    assert_eq!(ion.email.as_deref(), Some("ion@home.ro"));
    assert_eq!(ion.phone.as_deref(), Some("0230 111 111"));
    assert_eq!(ion.source, Some(Source::Event));
    assert_eq!(ion.created_at, Some(at("2026-05-01T10:00:00Z")));
    let ana = imported.prospect("12");
    assert_eq!(ana.company.as_deref(), Some("Some Text Org"));
    assert_eq!((ana.city, ana.country), (None, None));
    assert_eq!(ana.source, Some(Source::ColdList));
    // A deleted organization is not looked up: the cell text stays.
    assert_eq!(imported.prospect("13").company.as_deref(), Some("o3"));
    assert_eq!(imported.prospect("13").city, None);
    let no_name = imported.prospect("16");
    assert_eq!(no_name.company, None);
    assert_eq!(no_name.city.as_deref(), Some("Brașov"));
    assert_eq!(no_name.source, Some(Source::Inbound));
    assert_eq!(
        imported.prospect("18").source,
        Some(Source::ExistingCustomer)
    );
    assert_eq!(imported.prospect("19").source, Some(Source::Other));
    assert_eq!(imported.prospect("13").source, None);
    assert_eq!(
        imported.prospect_ids(),
        strings(&["10", "11", "12", "13", "16", "18", "19"])
    );
    assert_eq!(
        imported.rejections(),
        strings(&[
            "prospect,5,o5,active_flag,unknown_enum",
            "prospect,6,15,active_flag,unknown_enum",
            "prospect,8,17,created_at,bad_time",
            "prospect,9,,prospect_id,missing_field",
        ])
    );
    let summary = imported.summary();
    assert_eq!(
        line_of(&summary, "organizations.csv"),
        (5, 3, 1, 1, "deleted=1".to_owned())
    );
    assert_eq!(
        line_of(&summary, "persons.csv"),
        (11, 7, 1, 3, "deleted=1".to_owned())
    );
}

#[test]
fn owner_cells_resolve_by_id_then_email_then_name() {
    let s = export("users");
    s.write(
        "users.csv",
        "ID,Name,Email,active_flag\n\
         1,Ana Lima,ana@example.com,true\n\
         2,Rui Sousa,rui@example.com,false\n\
         3,Dan,shared@example.com,\n\
         4,Dan,shared@example.com,\n\
         5,1,five@example.com,\n\
         6,Eva,ana lima,\n",
    )
    .write(
        "persons.csv",
        "ID,Name,creator_user_id\n\
         10,P10,ANA@EXAMPLE.COM\n\
         11,P11,rui sousa\n\
         12,P12,Ghost\n\
         13,P13,Dan\n\
         14,P14,shared@example.com\n\
         15,P15,\n",
    )
    .write(
        "activities.csv",
        "ID,Type,Done,Assigned to user,Contact person,Due date,Due time\n\
         a1,call,1,1,10,2026-06-01,09:00\n\
         a2,call,1,ana@example.com,10,2026-06-01,09:00\n\
         a3,call,1,RUI SOUSA,10,2026-06-01,09:00\n\
         a4,call,1,Dan,10,2026-06-01,09:00\n\
         a5,call,1,  2  ,10,2026-06-01,09:00\n\
         a6,call,1,Ghost,10,2026-06-01,09:00\n\
         a7,call,1,,10,2026-06-01,09:00\n\
         a8,call,1,ana lima,10,2026-06-01,09:00\n",
    );
    let imported = import(&s);
    // Deactivated users stay reps.
    assert_eq!(imported.rep_ids(), strings(&["1", "2", "3", "4", "5", "6"]));
    let rep = |id: &str| imported.contact(id).rep_id.to_string();
    assert_eq!(rep("a1"), "1");
    assert_eq!(rep("a2"), "1");
    assert_eq!(rep("a3"), "2");
    assert_eq!(rep("a5"), "2");
    // `ana lima` is user 6's e-mail (step 2) before user 1's name (step 3).
    assert_eq!(rep("a8"), "6");
    let created_by = |id: &str| imported.prospect(id).created_by.map(|r| r.to_string());
    assert_eq!(created_by("10").as_deref(), Some("1"));
    assert_eq!(created_by("11").as_deref(), Some("2"));
    // Unresolved (unknown, or a name or e-mail of two users): absent.
    assert_eq!(created_by("12"), None);
    assert_eq!(created_by("13"), None);
    assert_eq!(created_by("14"), None);
    assert_eq!(created_by("15"), None);
    assert_eq!(
        imported.rejections(),
        strings(&[
            "contact,4,a4,rep_id,unknown_rep",
            "contact,6,a6,rep_id,unknown_rep",
            "contact,7,a7,rep_id,missing_field",
        ])
    );
}

#[test]
fn without_users_file_the_owner_texts_are_the_reps() {
    let s = export("no-users");
    s.remove("users.csv")
        .write(
            "persons.csv",
            "ID,Name,Person - Owner,creator_user_id\n10,Eva Pop,Ana Lima,Ana Lima\n11,Ion,Eva Rep,\n",
        )
        .write(
            "activities.csv",
            "ID,Type,Done,Assigned to user,Contact person,Due date,Due time\n\
             a1,call,1, Rui Sousa ,10,2026-06-01,09:00\n\
             a2,call,1,,10,2026-06-01,09:00\n",
        )
        .write(
            "deals.csv",
            "ID,Status,Owner,Contact person,Won time\nd1,won,Dan,10,2026-06-02\nd2,lost,Lost Owner,10,\n",
        );
    let imported = import(&s);
    assert_eq!(
        imported.rep_ids(),
        strings(&["Ana Lima", "Dan", "Eva Rep", "Lost Owner", "Rui Sousa"])
    );
    let reps = imported.records().reps;
    assert!(
        reps.iter()
            .all(|r| r.name.as_deref() == Some(r.rep_id.as_str()))
    );
    assert_eq!(imported.contact("a1").rep_id.as_str(), "Rui Sousa");
    assert_eq!(imported.sale("d1").rep_id.as_str(), "Dan");
    assert_eq!(
        imported
            .prospect("10")
            .created_by
            .map(|r| r.to_string())
            .as_deref(),
        Some("Ana Lima")
    );
    assert_eq!(
        imported.rejections(),
        strings(&["contact,2,a2,rep_id,missing_field"])
    );
    // No users.csv, no summary line for it.
    assert!(!imported.summary().contains("users.csv"));
}

// ---------------------------------------------------------------------------
// Deals.

#[test]
fn deals_won_lost_open_deleted_and_without_a_person() {
    let s = export("deals");
    s.write(
        "persons.csv",
        "ID,Name\n10,Eva Pop\n11,Ion Popa\n12,ion popa\n",
    )
    .write(
        "deals.csv",
        "ID,Status,Owner,Contact person,Won time,Closed on,Value,Currency\n\
         d1,won,Ana Lima,Eva Pop,2026-06-01 15:30:00,,1234.5,EUR\n\
         d2,lost,1,10,,2026-06-02,,\n\
         d3,open,1,10,,,,\n\
         d4,deleted,1,10,,,,\n\
         d5,Won,1,,2026-06-03,,,\n\
         d6,won,1,Ion Popa,2026-06-03,,,\n\
         d7,won,1,Nobody Known,2026-06-03,,100,EUR\n\
         d8,won,2,10,,2026-06-04,1500,JPY\n\
         d9,won,1,10,2026-06-05,,100.0,JPY\n\
         d10,won,1,10,2026-06-05,,\"1,234.50\",EUR\n\
         d11,won,1,10,2026-06-05,,12.345,KWD\n\
         d12,won,1,10,2026-06-05,,12.345,EUR\n\
         d13,won,1,10,2026-06-05,,10,$\n\
         d14,won,1,10,2026-06-05,,10,\n\
         d15,won,1,10,29/09/2024,,,\n\
         d16,won,,10,2026-06-05,,,\n\
         d17,won,1,10,,,,\n\
         d18,won,Ghost,11,2026-06-05,,,\n\
         d19,won,1,10,2026-06-05,,-5,eur\n\
         d20,,1,10,2026-06-05,,,\n",
    );
    let options = ImportOptions {
        currency: Some("RON".to_owned()),
        ..ImportOptions::default()
    };
    let imported = import_with(&s, &options);
    assert_eq!(imported.sale_ids(), strings(&["d1", "d11", "d14", "d8"]));
    let d1 = imported.sale("d1");
    assert_eq!(
        (d1.rep_id.as_str(), d1.prospect_id.as_str(), d1.closed_at),
        ("1", "10", at("2026-06-01T15:30:00Z"))
    );
    assert_eq!(
        (d1.amount_minor, d1.currency.as_deref()),
        (Some(123_450), Some("EUR"))
    );
    let d8 = imported.sale("d8");
    assert_eq!(d8.closed_at, at("2026-06-04T23:59:59Z"));
    assert_eq!(
        (d8.amount_minor, d8.currency.as_deref()),
        (Some(1500), Some("JPY"))
    );
    let d11 = imported.sale("d11");
    assert_eq!(
        (d11.amount_minor, d11.currency.as_deref()),
        (Some(12_345), Some("KWD"))
    );
    assert_eq!(d11.closed_at, at("2026-06-05T23:59:59Z"));
    let d14 = imported.sale("d14");
    assert_eq!(
        (d14.amount_minor, d14.currency.as_deref()),
        (Some(1000), Some("RON"))
    );
    assert_eq!(
        imported.skips(),
        pairs(&[
            ("d2", "not_won"),
            ("d3", "not_won"),
            ("d4", "deleted"),
            ("d5", "no_contact"),
            ("d6", "ambiguous_prospect"),
            ("d20", "not_won"),
        ])
    );
    assert_eq!(
        imported.rejections(),
        strings(&[
            "sale,10,d10,amount_minor,bad_number",
            "sale,12,d12,amount_minor,bad_number",
            "sale,13,d13,currency,unknown_enum",
            "sale,15,d15,closed_at,bad_time",
            "sale,16,d16,rep_id,missing_field",
            "sale,17,d17,closed_at,missing_field",
            "sale,18,d18,rep_id,unknown_rep",
            "sale,19,d19,amount_minor,negative_number",
            "sale,7,d7,prospect_id,unknown_prospect",
            "sale,9,d9,amount_minor,bad_number",
        ])
    );
}

#[test]
fn european_formats_are_rejected_never_misread() {
    let s = export("locale");
    s.write(
        "persons.csv",
        "ID,Name,Add time\n10,Eva Pop,29/09/2024 10:00\n11,Ion,2024-09-29\n",
    )
    .write(
        "activities.csv",
        "ID,Type,Done,Assigned to user,Contact person,Due date,Due time,Duration\n\
             a1,call,1,1,11,29/09/2024,10:00,\n\
             a2,call,1,1,11,2024-09-29,10:00,\"1,5\"\n\
             a3,call,1,1,11,2024-09-29,10.00,\n",
    )
    .write(
        "deals.csv",
        "ID,Status,Owner,Contact person,Won time,Value,Currency\n\
             d1,won,1,11,29.09.2024 10:00,,\n\
             d2,won,1,11,2024-09-29,\"1.234,50\",EUR\n\
             d3,won,1,11,2024-09-29,\"1,0\",EUR\n\
             d4,won,1,11,45563,,\n",
    );
    let imported = import(&s);
    assert_eq!(
        imported.rejections(),
        strings(&[
            "contact,1,a1,occurred_at,bad_time",
            "contact,2,a2,duration_s,bad_number",
            "contact,3,a3,occurred_at,bad_time",
            "prospect,1,10,created_at,bad_time",
            "sale,1,d1,closed_at,bad_time",
            "sale,2,d2,amount_minor,bad_number",
            "sale,3,d3,amount_minor,bad_number",
            "sale,4,d4,closed_at,bad_time",
        ])
    );
}

#[test]
fn a_rejected_person_cascades_to_unknown_prospect() {
    let s = export("cascade");
    s.write(
        "persons.csv",
        "ID,Name,Add time\n10,Eva Pop,not a time\n11,Ion,\n",
    )
    .write(
        "activities.csv",
        "ID,Type,Done,Assigned to user,Contact person,Due date,Due time\n\
             a1,call,1,1,Eva Pop,2026-06-01,09:00\n\
             a2,call,1,1,11,2026-06-01,09:00\n",
    )
    .write(
        "deals.csv",
        "ID,Status,Owner,Contact person,Won time\nd1,won,1,10,2026-06-02\n",
    );
    let imported = import(&s);
    assert_eq!(imported.contact_ids(), strings(&["a2"]));
    assert_eq!(
        imported.rejections(),
        strings(&[
            "contact,1,a1,prospect_id,unknown_prospect",
            "prospect,1,10,created_at,bad_time",
            "sale,1,d1,prospect_id,unknown_prospect",
        ])
    );
    assert_eq!(
        line_of(&imported.summary(), "activities.csv"),
        (2, 1, 0, 1, String::new())
    );
}

/// `activities.csv` feeds contacts and meetings: a meeting the ledger
/// rejects counts as rejected on that file's line.
#[test]
fn a_meeting_rejected_by_the_ledger_counts_as_rejected() {
    let s = export("meeting-cascade");
    s.write("persons.csv", "ID,Name,Add time\n10,Eva Pop,not a time\n")
        .write(
            "activities.csv",
            "ID,Type,Done,Assigned to user,Contact person,Due date,Due time\n\
             m1,meeting,1,1,10,2026-06-01,09:00\n",
        );
    let imported = import(&s);
    assert!(
        imported
            .rejections()
            .contains(&"meeting,1,m1,prospect_id,unknown_prospect".to_owned())
    );
    assert_eq!(
        line_of(&imported.summary(), "activities.csv"),
        (1, 0, 0, 1, String::new())
    );
}

// ---------------------------------------------------------------------------
// Headers, files and columns.

#[test]
fn api_headers_and_a_bom_are_read() {
    let s = Scratch::new("api");
    s.write("users.csv", "\u{feff}id,name,email\n1,Ana,ana@x.ro\n")
        .write(
            "persons.csv",
            "\u{feff}id,name,org_id,email,phone,add_time,creator_user_id,active_flag,source_channel\n\
             10,Eva,7,eva@x.ro,07,2026-06-01 10:00:00,1,true,Inbound call\n",
        )
        .write(
            "organizations.csv",
            "id,name,address_locality,address_country,active_flag\n7,Acme,Cluj,RO,1\n",
        )
        .write(
            "activities.csv",
            "id,type,done,user_id,person_id,due_date,due_time,duration,add_time,marked_as_done_time,active_flag\n\
             100,call,1,1,10,2026-06-01,10:00,00:02,2026-06-01 10:05:00,2026-06-01 10:05:00,true\n",
        )
        .write(
            "deals.csv",
            "id,status,user_id,person_id,won_time,close_time,value,currency,add_time\n\
             7,won,1,10,2026-06-02 10:00:00,,99.99,EUR,2026-06-01 09:00:00\n",
        );
    let imported = import(&s);
    assert!(
        imported.ledger.rejections().is_empty(),
        "{:?}",
        imported.rejections()
    );
    let eva = imported.prospect("10");
    assert_eq!(
        (
            eva.company.as_deref(),
            eva.city.as_deref(),
            eva.country.as_deref()
        ),
        (Some("Acme"), Some("Cluj"), Some("RO"))
    );
    assert_eq!(
        (eva.email.as_deref(), eva.phone.as_deref()),
        (Some("eva@x.ro"), Some("07"))
    );
    assert_eq!(eva.created_by.map(|r| r.to_string()).as_deref(), Some("1"));
    assert_eq!(eva.source, Some(Source::Inbound));
    let call = imported.contact("100");
    assert_eq!(
        (call.occurred_at, call.logged_at, call.duration_s),
        (
            at("2026-06-01T10:00:00Z"),
            Some(at("2026-06-01T10:05:00Z")),
            Some(120)
        )
    );
    let sale = imported.sale("7");
    assert_eq!(
        (sale.amount_minor, sale.closed_at),
        (Some(9999), at("2026-06-02T10:00:00Z"))
    );
}

#[test]
fn prefixed_headers_and_the_system_id_are_read() {
    let s = Scratch::new("prefixed");
    s.write("users.csv", "User - ID,USER - NAME\n1,Ana\n")
        .write("persons.csv", "Pipedrive System ID,Person - Name\n10,Eva\n")
        .write(
            "activities.csv",
            "Activity - ID,Activity - Type,Activity - Done,Activity - Assigned to user,Activity - Contact person,Activity - Due date,Activity - Due time\n\
             a1,Call,Done,Ana,Eva,2026-06-01,09:00\n",
        )
        .write(
            "deals.csv",
            "Deal - ID,Deal - Status,Deal - Owner,Deal - Contact person,Deal - Closed on\nd1,Won,Ana,Eva,2026-06-02\n",
        );
    let imported = import(&s);
    assert!(
        imported.ledger.rejections().is_empty(),
        "{:?}",
        imported.rejections()
    );
    assert_eq!(imported.contact("a1").rep_id.as_str(), "1");
    assert_eq!(imported.sale("d1").closed_at, at("2026-06-02T23:59:59Z"));
}

/// The error of importing `dir`, as text and the file it names.
fn failure(dir: &Scratch) -> (String, String) {
    let err = match try_import(dir.path(), &ImportOptions::default()) {
        Ok(_) => panic!("the import fails"),
        Err(e) => e,
    };
    let file = match &err {
        Error::Io { path, .. } | Error::MissingColumn { path, .. } => path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default(),
        other => panic!("unexpected error {other:?}"),
    };
    (file, err.to_string())
}

#[test]
fn missing_files_are_errors_naming_the_file() {
    for file in ["persons.csv", "activities.csv", "deals.csv"] {
        let s = export("missing-file");
        s.remove(file);
        let (named, message) = failure(&s);
        assert_eq!(named, file, "{message}");
    }
    // users.csv and organizations.csv are optional.
    let s = export("optional-files");
    s.remove("users.csv");
    assert!(try_import(s.path(), &ImportOptions::default()).is_ok());
}

#[test]
fn missing_columns_are_errors_naming_every_accepted_header() {
    let cases = [
        (
            "activities.csv",
            "ID,Done,Assigned to user,Contact person\n",
            "Type / type",
        ),
        (
            "activities.csv",
            "ID,Type,Done,Assigned to user\n",
            "Contact person / Person / person_id / person_name",
        ),
        (
            "activities.csv",
            "ID,Type,Assigned to user,Contact person\n",
            "Done / done",
        ),
        (
            "activities.csv",
            "ID,Type,Done,Contact person\n",
            "Assigned to user / user_id / owner_id",
        ),
        (
            "deals.csv",
            "ID,Status,Owner,Contact person\n",
            "Won time / won_time / Closed on / Close time / close_time",
        ),
        (
            "deals.csv",
            "ID,Owner,Contact person,Won time\n",
            "Status / status",
        ),
        (
            "deals.csv",
            "ID,Status,Contact person,Won time\n",
            "Owner / user_id / owner_id",
        ),
        (
            "persons.csv",
            "Name\nEva\n",
            "ID / Pipedrive System ID / id",
        ),
        ("users.csv", "Name\nAna\n", "ID / Pipedrive System ID / id"),
        (
            "organizations.csv",
            "Name\nAcme\n",
            "ID / Pipedrive System ID / id",
        ),
    ];
    for (file, text, column) in cases {
        let s = export("missing-column");
        s.write(file, text);
        let (named, message) = failure(&s);
        assert_eq!(named, file, "{message}");
        assert!(message.contains(&format!("`{column}`")), "{message}");
    }
}

// ---------------------------------------------------------------------------
// Exact summary.

#[test]
fn the_import_summary_and_skipped_files_of_one_export() {
    let s = Scratch::new("summary");
    s.write("users.csv", "ID,Name\n1,Ana Lima\n2,Rui Sousa\n")
        .write(
            "organizations.csv",
            "ID,Name,active_flag\no1,Acme SRL,\no2,Gone SRL,false\n",
        )
        .write(
            "persons.csv",
            "ID,Name,Organization,Add time,active_flag\n\
             10,Eva Pop,o1,2026-06-01 00:00:00,\n\
             11,Ion Popa,,2026-05-01 00:00:00,\n\
             12,Old One,,,false\n\
             13,Bad Time,,yesterday,\n",
        )
        .write(
            "activities.csv",
            "ID,Type,Done,Assigned to user,Contact person,Due date,Due time,Duration\n\
             a1,call,1,Ana Lima,Eva Pop,2026-05-20,09:00,\n\
             a2,email,1,2,Ion Popa,2026-05-20,10:00,\n\
             a3,call,0,1,10,2026-05-21,09:00,\n\
             a4,task,1,1,10,2026-05-21,09:00,\n\
             a5,meeting,1,1,10,2026-05-22,09:00,\n\
             a6,meeting,1,1,10,2026-07-01,09:00,\n\
             a7,call,1,1,13,2026-05-22,09:00,\n\
             a8,call,1,1,Nobody,2026-05-22,09:00,\n\
             a9,call,1,1,10,2026-05-22,09:00,x\n",
        )
        .write(
            "deals.csv",
            "ID,Status,Owner,Contact person,Won time,Value,Currency\n\
             d1,won,1,10,2026-05-30,100,EUR\n\
             d2,lost,1,10,,,\n\
             d3,won,1,,2026-05-30,,\n\
             d4,won,1,10,2026-05-30,\"1,5\",EUR\n",
        );
    let imported = import(&s);
    assert_eq!(
        imported.summary(),
        "\
file,rows,imported,skipped,rejected,skip_reason_counts
activities.csv,9,3,4,2,future_event=1;no_prospect=1;open_task=1;other_activity_type=1
deals.csv,4,1,2,1,no_contact=1;not_won=1
organizations.csv,2,1,1,0,deleted=1
persons.csv,4,2,1,1,deleted=1
users.csv,2,2,0,0,
"
    );
    assert_eq!(
        imported.skipped(),
        "\
file,row,id,reason
activities.csv,3,a3,open_task
activities.csv,4,a4,other_activity_type
activities.csv,6,a6,future_event
activities.csv,8,a8,no_prospect
deals.csv,2,d2,not_won
deals.csv,3,d3,no_contact
organizations.csv,2,o2,deleted
persons.csv,3,12,deleted
"
    );
    assert_eq!(
        imported.rejections(),
        strings(&[
            "contact,7,a7,prospect_id,unknown_prospect",
            "contact,9,a9,duration_s,bad_number",
            "prospect,4,13,created_at,bad_time",
            "sale,4,d4,amount_minor,bad_number",
        ])
    );
}

// ---------------------------------------------------------------------------
// Nothing lost.

/// A random small export: the cells of every row of every file (`None`:
/// the optional file is not written).
#[derive(Debug, Clone)]
struct Export {
    users: Option<Vec<Vec<String>>>,
    organizations: Option<Vec<Vec<String>>>,
    persons: Vec<Vec<String>>,
    activities: Vec<Vec<String>>,
    deals: Vec<Vec<String>>,
}

const USERS_HEADER: [&str; 4] = ["ID", "Name", "Email", "created"];
const ORGS_HEADER: [&str; 4] = ["ID", "Name", "Address - Country of Address", "active_flag"];
const PERSONS_HEADER: [&str; 6] = [
    "ID",
    "Name",
    "Organization",
    "Add time",
    "active_flag",
    "creator_user_id",
];
const ACTIVITIES_HEADER: [&str; 11] = [
    "ID",
    "Type",
    "Done",
    "Assigned to user",
    "Contact person",
    "Due date",
    "Due time",
    "Marked as done time",
    "Add time",
    "Duration",
    "active_flag",
];
const DEALS_HEADER: [&str; 8] = [
    "ID",
    "Status",
    "Owner",
    "Contact person",
    "Won time",
    "Value",
    "Currency",
    "Add time",
];

/// One cell drawn from `choices`.
fn pick(choices: &[&'static str]) -> impl Strategy<Value = String> + use<> {
    prop::sample::select(choices.to_vec()).prop_map(str::to_owned)
}

/// Rows of `cells` (one strategy per column), up to `max` of them.
fn rows_of(
    cells: Vec<BoxedStrategy<String>>,
    max: usize,
) -> impl Strategy<Value = Vec<Vec<String>>> {
    prop::collection::vec(cells, 0..max)
}

const TIMES: &[&str] = &[
    "",
    "2026-06-01 09:00:00",
    "2026-06-02",
    "2026-06-03T10:00:00Z",
    "31/12/2026",
    "2026-07-01 08:00",
];
const OWNERS: &[&str] = &["", "1", "2", "Ana", "ana@x.ro", "Ghost", "dup"];
const PERSON_REFS: &[&str] = &["", "p1", "p2", "p3", "Eva", "Ion", "Nobody", " p1 "];

fn export_strategy() -> impl Strategy<Value = Export> {
    let user = vec![
        pick(&["1", "2", "", "1"]).boxed(),
        pick(&["Ana", "dup", "", "Rui"]).boxed(),
        pick(&["ana@x.ro", "", "dup@x.ro"]).boxed(),
        pick(TIMES).boxed(),
    ];
    let org = vec![
        pick(&["o1", "o2", ""]).boxed(),
        pick(&["Acme", ""]).boxed(),
        pick(&["RO", "Romania", ""]).boxed(),
        pick(&["", "true", "false", "maybe"]).boxed(),
    ];
    let person = vec![
        pick(&["p1", "p2", "p3", "", "p1"]).boxed(),
        pick(&["Eva", "eva", "Ion", ""]).boxed(),
        pick(&["o1", "o2", "Text", ""]).boxed(),
        pick(TIMES).boxed(),
        pick(&["", "true", "false", "maybe"]).boxed(),
        pick(OWNERS).boxed(),
    ];
    let activity = vec![
        pick(&["a1", "a2", "a3", "", "a4"]).boxed(),
        pick(&["call", "Email", "meeting", "task", "lunch", ""]).boxed(),
        pick(&["1", "0", "", "Done", "not done", "maybe"]).boxed(),
        pick(OWNERS).boxed(),
        pick(PERSON_REFS).boxed(),
        pick(&["", "2026-06-01", "2026-07-15", "01/06/2026"]).boxed(),
        pick(&["", "09:00", "9:00", "23:59:59"]).boxed(),
        pick(TIMES).boxed(),
        pick(TIMES).boxed(),
        pick(&["", "00:10", "1:00", "x"]).boxed(),
        pick(&["", "true", "false", "maybe"]).boxed(),
    ];
    let deal = vec![
        pick(&["d1", "d2", "", "d1"]).boxed(),
        pick(&["won", "Won", "lost", "open", "deleted", ""]).boxed(),
        pick(OWNERS).boxed(),
        pick(PERSON_REFS).boxed(),
        pick(TIMES).boxed(),
        pick(&["", "10", "10.5", "10.555", "1,5", "-3"]).boxed(),
        pick(&["", "EUR", "JPY", "$"]).boxed(),
        pick(TIMES).boxed(),
    ];
    (
        prop::option::of(rows_of(user, 4)),
        prop::option::of(rows_of(org, 4)),
        rows_of(person, 6),
        rows_of(activity, 12),
        rows_of(deal, 6),
    )
        .prop_map(
            |(users, organizations, persons, activities, deals)| Export {
                users,
                organizations,
                persons,
                activities,
                deals,
            },
        )
}

/// A file of an export: its name, header and rows.
type FileRows<'a> = (&'static str, &'static [&'static str], &'a [Vec<String>]);

impl Export {
    /// `(file, header, rows)` of every file written.
    fn files(&self) -> Vec<FileRows<'_>> {
        let mut files: Vec<FileRows<'_>> = vec![
            ("persons.csv", &PERSONS_HEADER, &self.persons),
            ("activities.csv", &ACTIVITIES_HEADER, &self.activities),
            ("deals.csv", &DEALS_HEADER, &self.deals),
        ];
        if let Some(users) = &self.users {
            files.push(("users.csv", &USERS_HEADER, users));
        }
        if let Some(orgs) = &self.organizations {
            files.push(("organizations.csv", &ORGS_HEADER, orgs));
        }
        files
    }

    fn write(&self, dir: &Path) {
        for (file, header, rows) in self.files() {
            write_csv(dir, file, header, rows);
        }
    }
}

/// The files a rejection of `kind` may come from.
fn files_of(kind: RecordKind) -> &'static [&'static str] {
    match kind {
        RecordKind::Rep => &["users.csv"],
        RecordKind::Prospect => &["persons.csv", "organizations.csv"],
        RecordKind::Contact | RecordKind::Meeting => &["activities.csv"],
        RecordKind::Sale => &["deals.csv"],
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn nothing_is_lost(export in export_strategy()) {
        let dir = Scratch::new("prop");
        export.write(dir.path());
        let imported = try_import(dir.path(), &ImportOptions::default()).unwrap();
        let summary = imported.summary();
        let files = export.files();
        let written: BTreeMap<&str, &[Vec<String>]> =
            files.iter().map(|(f, _, rows)| (*f, *rows)).collect();

        // One line per file written, each adding up, with its rows.
        let lines: Vec<&str> = summary.lines().skip(1).collect();
        prop_assert_eq!(lines.len(), written.len(), "{}", summary);
        let mut skipped_total = 0;
        for (file, rows) in &written {
            let (n, imported_n, skipped, rejected, _) = line_of(&summary, file);
            prop_assert_eq!(n, imported_n + skipped + rejected, "{}", summary);
            prop_assert_eq!(n, rows.len() as u64, "{}: {}", file, summary);
            skipped_total += skipped;
        }
        prop_assert_eq!(imported.import.skipped().rows.len() as u64, skipped_total);

        // Every rejection names its row in its own file, holding its id.
        for r in imported.import.rejections(imported.ledger.rejections()) {
            let found = files_of(r.kind).iter().any(|file| {
                written.get(file).is_some_and(|rows| {
                    let row = rows.get((r.row as usize).wrapping_sub(1));
                    row.is_some_and(|cells| cells[0] == r.id)
                })
            });
            prop_assert!(found, "{:?} in {:?}", r, export);
        }

        // Imported rows are the records the ledger accepted (the
        // activities line: contacts and meetings).
        let accepted = |kind| imported.ledger.accepted_count(kind);
        prop_assert_eq!(line_of(&summary, "persons.csv").1, accepted(RecordKind::Prospect));
        prop_assert_eq!(line_of(&summary, "deals.csv").1, accepted(RecordKind::Sale));
        if export.users.is_some() {
            prop_assert_eq!(line_of(&summary, "users.csv").1, accepted(RecordKind::Rep));
        }
        prop_assert_eq!(
            line_of(&summary, "activities.csv").1,
            accepted(RecordKind::Contact) + accepted(RecordKind::Meeting)
        );
    }
}

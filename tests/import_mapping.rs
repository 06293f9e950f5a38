//! Imports through a mapping file (SPEC §12.4): the shipped Zoho CRM
//! mapping (`docs/import/zoho.json`) on a small export written under a
//! German user locale, and the mapping file's own errors.

use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use sales_metrics::import::{ExportFormat, ImportOptions, Mapping, import_folder};
use sales_metrics::{
    Channel, Direction, Error, LedgerBuilder, Mode, Outcome, Reason, RecordKind, Source,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A fresh folder for one test.
fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sm-import-mapping-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn zoho() -> ExportFormat {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/import/zoho.json");
    ExportFormat::Mapped(Mapping::from_file(path).unwrap())
}

/// A Zoho export: `;` between fields, `12.500,50` amounts, German times.
fn zoho_export(dir: &Path) {
    write(
        dir,
        "Users.csv",
        "User Id;First Name;Last Name;Role Id;Status;Created Time\n\
         u1;Ana;Lima;r1;active;01.01.2026 08:00:00\n\
         u2;Old;User;r1;deleted;01.01.2026 08:00:00\n",
    );
    write(
        dir,
        "Leads.csv",
        "Record Id;First Name;Last Name;Company;Email;Lead Source;Created Time;Created By Id\n\
         L1;Jürgen;Maier;Maier GmbH;jm@maier.de;Trade Show;02.03.2026 10:00:00;u1\n\
         L2;Eva;Roth;;;Web Download;05.03.2026 10:00:00;u1\n",
    );
    write(
        dir,
        "Contacts.csv",
        "Record Id;First Name;Last Name;Account Name;Mailing City;Lead Source;Created Time\n\
         C1;Max;Weber;Weber AG;Köln;-None-;06.03.2026 11:00:00\n",
    );
    write(
        dir,
        "Calls.csv",
        "Record Id;Call Owner Id;Related To Id;Call Start Time;Call Type;Call Duration (in seconds);Call Result;Call Status;Created Time\n\
         K1;u1;L1;02.06.2026 09:30:00;Outbound;125;Interested;Completed;02.06.2026 09:40:00\n\
         K2;u1;L1;03.06.2026 09:30:00;Inbound;;No response/Busy;Completed;03.06.2026 09:31:00\n\
         K3;u1;L2;20.06.2026 09:30:00;Outbound;;;Scheduled;03.06.2026 09:31:00\n\
         K4;u1;X9;04.06.2026 09:30:00;Outbound;;;Completed;04.06.2026 09:31:00\n\
         K5;u1;L2;2026-06-05;Outbound;abc;;Completed;05.06.2026 09:31:00\n\
         K6;u1;C1;05.06.2026 14:00:00;Sideways;;;Completed;05.06.2026 14:01:00\n",
    );
    write(
        dir,
        "Meetings.csv",
        "Record Id;Host Id;Related To Id;From;Created Time\n\
         M1;u1;L1;04.06.2026 15:00:00;04.06.2026 09:00:00\n\
         M2;u1;C1;10.12.2026 15:00:00;04.06.2026 09:00:00\n",
    );
    write(
        dir,
        "Deals.csv",
        "Record Id;Deal Owner Id;Contact Name Id;Stage;Closing Date;Amount;Currency;Created Time\n\
         D1;u1;L1;Closed Won;15.06.2026;12.500,50;EUR;01.06.2026 09:00:00\n\
         D2;u1;L2;Closed Lost;16.06.2026;900,00;EUR;01.06.2026 09:00:00\n\
         D3;u1;;Closed Won;16.06.2026;900,00;EUR;01.06.2026 09:00:00\n\
         D4;u1;C1;Closed Won;17.06.2026;1.000,005;EUR;01.06.2026 09:00:00\n\
         D5;u1;C1;Closed Won;18.06.2026;150.000;JPY;01.06.2026 09:00:00\n",
    );
}

#[test]
fn a_zoho_export_imports_through_the_shipped_mapping() -> TestResult {
    let dir = folder("zoho");
    zoho_export(&dir);
    let mut builder = LedgerBuilder::new();
    builder.mode(Mode::Lenient).each_record_a_prospect();
    let import = import_folder(&dir, &zoho(), &ImportOptions::default(), &mut builder)?;
    let ledger = builder.build()?;
    let records = ledger.to_records();

    assert_eq!(records.reps.len(), 1);
    assert_eq!(records.prospects.len(), 3);
    // Records come back in id byte order: C1, L1, L2.
    let l1 = &records.prospects[1];
    assert_eq!(l1.name.as_deref(), Some("Jürgen Maier"));
    assert_eq!(l1.source, Some(Source::Event));
    // 10:00 in Berlin (CET, UTC+1 in March) is 09:00 UTC.
    assert_eq!(
        l1.created_at,
        Some(Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap())
    );
    assert_eq!(records.prospects[0].source, Some(Source::Other));
    assert_eq!(records.prospects[0].company.as_deref(), Some("Weber AG"));

    let ids: Vec<&str> = records
        .contacts
        .iter()
        .map(|c| c.contact_id.as_str())
        .collect();
    assert_eq!(ids, ["K1", "K2"]);
    let k1 = &records.contacts[0];
    assert_eq!(k1.channel, Channel::Phone);
    assert_eq!(k1.duration_s, Some(125));
    assert_eq!(k1.outcome, Some(Outcome::Conversation));
    // 09:30 in Berlin (CEST, UTC+2 in June) is 07:30 UTC.
    assert_eq!(
        k1.occurred_at,
        Utc.with_ymd_and_hms(2026, 6, 2, 7, 30, 0).unwrap()
    );
    assert_eq!(records.contacts[1].direction, Direction::Inbound);
    assert_eq!(records.contacts[1].outcome, Some(Outcome::NoAnswer));

    assert_eq!(records.meetings.len(), 1);
    let sales: Vec<(&str, Option<i64>)> = records
        .sales
        .iter()
        .map(|s| (s.sale_id.as_str(), s.amount_minor))
        .collect();
    assert_eq!(sales, [("D1", Some(1_250_050)), ("D5", Some(150_000))]);
    // A date-only closing date is 23:59:59 local time.
    assert_eq!(
        records.sales[0].closed_at,
        Utc.with_ymd_and_hms(2026, 6, 15, 21, 59, 59).unwrap()
    );

    let mut summary = Vec::new();
    import
        .summary(ledger.rejections())
        .write_csv(&mut summary)?;
    assert_eq!(
        String::from_utf8(summary)?,
        "file,rows,imported,skipped,rejected,skip_reason_counts\n\
         Calls.csv,6,2,2,2,no_prospect=1;scheduled_call=1\n\
         Contacts.csv,1,1,0,0,\n\
         Deals.csv,5,2,2,1,no_contact=1;not_won=1\n\
         Leads.csv,2,2,0,0,\n\
         Meetings.csv,2,1,1,0,future_event=1\n\
         Users.csv,2,1,1,0,inactive_user=1\n"
    );
    let rejections: Vec<(RecordKind, u64, String, String, Reason)> = import
        .rejections(ledger.rejections())
        .into_iter()
        .map(|r| (r.kind, r.row, r.id, r.field, r.reason))
        .collect();
    assert_eq!(
        rejections,
        [
            // K5 has a bad time (not the date format) and a bad number: the
            // first in SPEC §3 order is named.
            (
                RecordKind::Contact,
                5,
                "K5".into(),
                "occurred_at".into(),
                Reason::BadTime
            ),
            (
                RecordKind::Contact,
                6,
                "K6".into(),
                "direction".into(),
                Reason::UnknownEnum
            ),
            (
                RecordKind::Sale,
                4,
                "D4".into(),
                "amount_minor".into(),
                Reason::BadNumber
            ),
        ]
    );
    // The as-of instant is the latest creation time (06.03 … 05.06 14:01).
    assert_eq!(
        import.as_of(),
        Some(Utc.with_ymd_and_hms(2026, 6, 5, 12, 1, 0).unwrap())
    );
    Ok(())
}

#[test]
fn a_mapping_file_with_an_unknown_field_is_refused() {
    let text = r#"{ "contacts": [ { "file": "x.csv", "columns": { "contact": "Id" } } ] }"#;
    let err = Mapping::from_json(text).unwrap_err();
    assert!(
        err.to_string()
            .contains("`contact` is not a field of contact"),
        "{err}"
    );
    let err = Mapping::from_json(r#"{ "contact": [] }"#).unwrap_err();
    assert!(err.to_string().contains("unknown field"), "{err}");
}

#[test]
fn a_missing_required_column_names_the_file_and_column() -> TestResult {
    let dir = folder("missing-column");
    zoho_export(&dir);
    write(&dir, "Meetings.csv", "Record Id;Host Id;From\n");
    let mut builder = LedgerBuilder::new();
    let err = import_folder(&dir, &zoho(), &ImportOptions::default(), &mut builder).unwrap_err();
    match err {
        Error::MissingColumn { path, column } => {
            assert!(path.ends_with("Meetings.csv"));
            assert_eq!(column, "Related To Id");
        }
        other => panic!("{other}"),
    }
    Ok(())
}

mod nothing_lost {
    //! Every row of every file is imported, skipped or rejected, whatever
    //! the cells: `rows = imported + skipped + rejected` on every line.

    use super::*;
    use proptest::prelude::*;

    const MAPPING: &str = r#"{
      "reps": [ { "file": "reps.csv", "columns": { "rep_id": "Id" } } ],
      "prospects": [ { "file": "people.csv", "columns": { "prospect_id": "Id", "created_at": "Created" },
                       "skip": [ { "reason": "deleted", "column": "Deleted", "equals": ["yes"] } ],
                       "created": "Created" } ],
      "contacts": [ { "file": "calls.csv",
                      "columns": { "contact_id": "Id", "rep_id": "Owner", "prospect_id": "Who",
                                   "occurred_at": "When", "duration_s": "Seconds", "outcome": "Result" },
                      "constants": { "channel": "phone" },
                      "values": { "outcome": { "Talked": "conversation" } },
                      "skip": [ { "reason": "deleted", "column": "Deleted", "equals": ["yes"] },
                                { "reason": "no_prospect", "unknown_prospect": true } ] } ],
      "sales": [ { "file": "deals.csv",
                   "columns": { "sale_id": "Id", "rep_id": "Owner", "prospect_id": "Who",
                                "closed_at": "Closed", "amount": "Amount", "currency": "Currency" },
                   "skip": [ { "reason": "not_won", "column": "Stage", "not_equals": ["won"] } ] } ]
    }"#;

    /// A cell: usually valid, sometimes empty or malformed.
    fn cell(valid: &'static [&'static str]) -> impl Strategy<Value = String> {
        prop_oneof![
            4 => proptest::sample::select(valid).prop_map(str::to_owned),
            1 => Just(String::new()),
            1 => "[a-z0-9 ,.\"-]{0,6}",
        ]
    }

    fn csv_line(cells: &[String]) -> String {
        let quoted: Vec<String> = cells
            .iter()
            .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
            .collect();
        quoted.join(",") + "\n"
    }

    fn rows(
        width: usize,
        valid: &'static [&'static [&'static str]],
    ) -> impl Strategy<Value = Vec<Vec<String>>> {
        let row: Vec<_> = valid.iter().take(width).map(|v| cell(v)).collect();
        proptest::collection::vec(row, 0..12)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn every_row_is_imported_skipped_or_rejected(
            reps in rows(1, &[&["r1", "r2"]]),
            people in rows(3, &[&["p1", "p2", "p3"], &["2026-06-01T09:00:00Z", "2026-06-02"], &["no", "yes"]]),
            calls in rows(7, &[&["c1", "c2", "c3"], &["r1", "r2"], &["p1", "p2", "p9"],
                               &["2026-06-01T10:00:00Z"], &["30", "-5", "x"], &["Talked", "no_answer", "meh"], &["no", "yes"]]),
            deals in rows(7, &[&["d1", "d2"], &["r1"], &["p1", "p2"], &["2026-06-03"], &["10.50", "1.234", "-1"],
                               &["EUR", "JPY", ""], &["won", "lost"]]),
        ) {
            let dir = folder("nothing-lost");
            let write_file = |name: &str, header: &str, rows: &[Vec<String>]| {
                let body: String = rows.iter().map(|r| csv_line(r)).collect();
                write(&dir, name, &format!("{header}\n{body}"));
            };
            write_file("reps.csv", "Id", &reps);
            write_file("people.csv", "Id,Created,Deleted", &people);
            write_file("calls.csv", "Id,Owner,Who,When,Seconds,Result,Deleted", &calls);
            write_file("deals.csv", "Id,Owner,Who,Closed,Amount,Currency,Stage", &deals);
            let mapping = ExportFormat::Mapped(Mapping::from_json(MAPPING).unwrap());
            let mut builder = LedgerBuilder::new();
            builder.mode(Mode::Lenient).each_record_a_prospect();
            let import = import_folder(&dir, &mapping, &ImportOptions::default(), &mut builder).unwrap();
            let ledger = builder.build().unwrap();
            let mut out = Vec::new();
            import.summary(ledger.rejections()).write_csv(&mut out).unwrap();
            let text = String::from_utf8(out).unwrap();
            let written = [("calls.csv", calls.len()), ("deals.csv", deals.len()),
                           ("people.csv", people.len()), ("reps.csv", reps.len())];
            let mut lines = text.lines().skip(1);
            for (name, n) in written {
                let line = lines.next().unwrap();
                let cells: Vec<&str> = line.split(',').collect();
                prop_assert_eq!(cells[0], name);
                let num = |i: usize| cells[i].parse::<u64>().unwrap();
                prop_assert_eq!(num(1), n as u64, "{}", line);
                prop_assert_eq!(num(1), num(2) + num(3) + num(4), "{}", line);
            }
            let skipped = import.skipped().rows.len() as u64;
            let total_skipped: u64 = text.lines().skip(1)
                .map(|l| l.split(',').nth(3).unwrap().parse::<u64>().unwrap()).sum();
            prop_assert_eq!(skipped, total_skipped);
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}

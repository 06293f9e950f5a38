//! Ingestion invariants (SPEC §3: nothing is lost, nothing panics) and
//! round trips of the SPEC §2 text forms, as properties.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use sales_metrics::ingest::{
    read_csv, read_csv_folder, read_json, write_records_csv, write_records_json,
};
use sales_metrics::{
    Channel, Contact, Direction, Ledger, LedgerBuilder, Meeting, MeetingStatus, Mode, Outcome,
    ProspectRecord, RecordKind, Records, Rejection, Rep, Sale, Source,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn column_names(kind: RecordKind) -> &'static [&'static str] {
    match kind {
        RecordKind::Rep => &["rep_id", "name", "team_id", "daily_contact_target"],
        RecordKind::Prospect => &[
            "prospect_id",
            "name",
            "company",
            "email",
            "phone",
            "city",
            "country",
            "source",
            "created_at",
            "created_by",
        ],
        RecordKind::Contact => &[
            "contact_id",
            "rep_id",
            "prospect_id",
            "occurred_at",
            "logged_at",
            "channel",
            "direction",
            "duration_s",
            "outcome",
        ],
        RecordKind::Meeting => &["meeting_id", "rep_id", "prospect_id", "held_at", "status"],
        RecordKind::Sale => &[
            "sale_id",
            "rep_id",
            "prospect_id",
            "closed_at",
            "amount_minor",
            "currency",
        ],
    }
}

/// Every kind's records are counted, and each is accepted or rejected
/// exactly once, with rows in `1..=input`.
fn check_nothing_lost(ledger: &Ledger) -> Result<(), TestCaseError> {
    for kind in RecordKind::ALL {
        let rows: Vec<u64> = ledger
            .rejections()
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| r.row)
            .collect();
        let input = ledger.input_count(kind);
        prop_assert_eq!(
            ledger.accepted_count(kind) + rows.len() as u64,
            input,
            "{}",
            kind
        );
        let mut unique = rows.clone();
        unique.sort_unstable();
        unique.dedup();
        prop_assert_eq!(unique.len(), rows.len(), "{}: one rejection per row", kind);
        prop_assert!(rows.iter().all(|&r| (1..=input).contains(&r)), "{}", kind);
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Arbitrary mixes of valid and invalid rows.

fn pick(options: &'static [&'static str]) -> BoxedStrategy<String> {
    prop::sample::select(options)
        .prop_map(str::to_owned)
        .boxed()
}

fn cell(kind: RecordKind, column: &str) -> BoxedStrategy<String> {
    let id: &'static [&'static str] = &["", "x1", "x2", "x3", " ", "a,b", "q\"t", "n\nl"];
    let time: &'static [&'static str] = &[
        "",
        "2026-06-01T09:00:00Z",
        "2026-06-01t10:00:00.5+02:00",
        "2026-06-02 09:00:00.1234567z",
        "2026-02-29T00:00:00Z",
        "2026-06-30T23:59:60Z",
        "2026-06-01",
        "soon",
    ];
    let int: &'static [&'static str] = &[
        "",
        "0",
        "5",
        "-0",
        "-5",
        "+7",
        " 5",
        "1e3",
        "150.00",
        "99999999999999999999",
    ];
    let free = prop_oneof![
        pick(&["", "Ana", " ", "a,b", "\"q\"", "l\r\nm"]),
        "\\PC{0,6}"
    ]
    .boxed();
    match column {
        "rep_id" | "created_by" if kind != RecordKind::Rep => pick(&["ana", "bob", "zoe", "", " "]),
        "prospect_id" if kind != RecordKind::Prospect => pick(&["p1", "p2", "p9", ""]),
        c if c == kind_id(kind) => pick(id),
        "occurred_at" | "logged_at" | "held_at" | "closed_at" | "created_at" => pick(time),
        "daily_contact_target" | "duration_s" | "amount_minor" => pick(int),
        "channel" => pick(&["phone", "EMAIL", "In_Person", "", " phone", "fax"]),
        "direction" => pick(&["", "inbound", "OUTBOUND", "up"]),
        "outcome" => pick(&["", "no_answer", "Conversation", "sold"]),
        "status" => pick(&["", "held", "No_Show", "cancelled", "late"]),
        "source" => pick(&["", "referral", "Cold_List", "billboard"]),
        _ => free,
    }
}

fn kind_id(kind: RecordKind) -> &'static str {
    kind.id_field()
}

fn rows(kind: RecordKind) -> impl Strategy<Value = Vec<Vec<String>>> {
    let cells: Vec<BoxedStrategy<String>> =
        column_names(kind).iter().map(|c| cell(kind, c)).collect();
    prop::collection::vec(cells, 0..12)
}

fn all_rows() -> impl Strategy<Value = Vec<(RecordKind, Vec<Vec<String>>)>> {
    (
        rows(RecordKind::Rep),
        rows(RecordKind::Prospect),
        rows(RecordKind::Contact),
        rows(RecordKind::Meeting),
        rows(RecordKind::Sale),
    )
        .prop_map(|(r, p, c, m, s)| {
            vec![
                (RecordKind::Rep, r),
                (RecordKind::Prospect, p),
                (RecordKind::Contact, c),
                (RecordKind::Meeting, m),
                (RecordKind::Sale, s),
            ]
        })
}

fn to_csv(kind: RecordKind, rows: &[Vec<String>]) -> Result<Vec<u8>, TestCaseError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<&str> = column_names(kind).to_vec();
    header.push("note");
    let fail = |e: csv::Error| TestCaseError::fail(e.to_string());
    w.write_record(&header).map_err(fail)?;
    for r in rows {
        let mut r = r.clone();
        r.push("ignored".to_owned());
        w.write_record(&r).map_err(fail)?;
    }
    w.into_inner()
        .map_err(|e| TestCaseError::fail(e.to_string()))
}

fn to_json(all: &[(RecordKind, Vec<Vec<String>>)]) -> String {
    let mut doc = serde_json::Map::new();
    for (kind, rows) in all {
        let objects: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                let mut o = serde_json::Map::new();
                for (name, value) in column_names(*kind).iter().zip(r) {
                    // Empty and absent are the same; write some of each.
                    if !value.is_empty() || name.len() % 2 == 0 {
                        o.insert((*name).to_owned(), value.as_str().into());
                    }
                }
                o.into()
            })
            .collect();
        doc.insert(format!("{}s", kind.as_str()), objects.into());
    }
    serde_json::Value::Object(doc).to_string()
}

fn sorted(rejections: &[Rejection]) -> Vec<Rejection> {
    let mut v = rejections.to_vec();
    v.sort();
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn accepted_plus_rejected_is_input(all in all_rows()) {
        let mut b = LedgerBuilder::new();
        b.mode(Mode::Lenient);
        for (kind, rows) in &all {
            let bytes = to_csv(*kind, rows)?;
            read_csv(*kind, bytes.as_slice(), Path::new(kind.file_name()), &mut b)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
        }
        let csv_ledger = b.build().map_err(|e| TestCaseError::fail(e.to_string()))?;
        check_nothing_lost(&csv_ledger)?;
        for (kind, rows) in &all {
            prop_assert_eq!(csv_ledger.input_count(*kind), rows.len() as u64);
        }

        // The same rows as JSON give the same rejections.
        let mut b = LedgerBuilder::new();
        b.mode(Mode::Lenient);
        read_json(to_json(&all).as_bytes(), Path::new("records.json"), &mut b)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let json_ledger = b.build().map_err(|e| TestCaseError::fail(e.to_string()))?;
        check_nothing_lost(&json_ledger)?;
        prop_assert_eq!(sorted(csv_ledger.rejections()), sorted(json_ledger.rejections()));
        prop_assert_eq!(snapshot(&csv_ledger), snapshot(&json_ledger));

        // Strict mode fails exactly when lenient mode rejected something.
        let mut b = LedgerBuilder::new();
        for (kind, rows) in &all {
            let bytes = to_csv(*kind, rows)?;
            read_csv(*kind, bytes.as_slice(), Path::new(kind.file_name()), &mut b)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
        }
        match b.build() {
            Ok(_) => prop_assert!(csv_ledger.rejections().is_empty()),
            Err(sales_metrics::Error::Rejected { rejections }) => {
                prop_assert_eq!(sorted(&rejections), sorted(csv_ledger.rejections()));
            }
            Err(e) => return Err(TestCaseError::fail(e.to_string())),
        }
    }
}

// ---------------------------------------------------------------------------
// No panics on arbitrary input.

fn any_kind() -> impl Strategy<Value = RecordKind> {
    prop::sample::select(RecordKind::ALL.to_vec())
}

/// Arbitrary JSON values, biased to the scalar types that cells hold.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        "\\PC{0,6}".prop_map(serde_json::Value::from),
        Just(serde_json::Value::from("2026-06-01T09:00:00Z")),
        Just(serde_json::Value::from("ana")),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(serde_json::Value::from),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..3)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

fn json_record(kind: RecordKind) -> impl Strategy<Value = serde_json::Value> {
    let names = column_names(kind);
    prop::collection::vec((prop::sample::select(names.to_vec()), json_value()), 0..8).prop_map(
        |fields| {
            serde_json::Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn csv_reader_never_panics(
        kind in any_kind(),
        bytes in prop::collection::vec(any::<u8>(), 0..400),
        with_header in any::<bool>(),
    ) {
        let mut input = Vec::new();
        if with_header {
            input.extend_from_slice(column_names(kind).join(",").as_bytes());
            input.push(b'\n');
        }
        input.extend_from_slice(&bytes);
        let mut b = LedgerBuilder::new();
        b.mode(Mode::Lenient);
        if read_csv(kind, input.as_slice(), Path::new("x.csv"), &mut b).is_ok() {
            let ledger = b.build().map_err(|e| TestCaseError::fail(e.to_string()))?;
            check_nothing_lost(&ledger)?;
        }
    }

    #[test]
    fn json_reader_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let mut b = LedgerBuilder::new();
        b.mode(Mode::Lenient);
        if read_json(bytes.as_slice(), Path::new("x.json"), &mut b).is_ok() {
            let ledger = b.build().map_err(|e| TestCaseError::fail(e.to_string()))?;
            check_nothing_lost(&ledger)?;
        }
    }

    #[test]
    fn json_reader_never_panics_on_odd_values(
        kind in any_kind(),
        records in prop::collection::vec(json_record(RecordKind::Contact), 0..4),
        others in prop::collection::vec(any_kind().prop_flat_map(json_record), 0..4),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut doc = serde_json::Map::new();
        doc.insert("contacts".to_owned(), records.into());
        doc.insert(format!("{}s", kind.as_str()), others.into());
        let mut text = serde_json::Value::Object(doc).to_string().into_bytes();
        if truncate {
            text.truncate(cut.index(text.len() + 1));
        }
        let mut b = LedgerBuilder::new();
        b.mode(Mode::Lenient);
        if read_json(text.as_slice(), Path::new("x.json"), &mut b).is_ok() {
            let ledger = b.build().map_err(|e| TestCaseError::fail(e.to_string()))?;
            check_nothing_lost(&ledger)?;
        }
    }
}

// ---------------------------------------------------------------------------
// Round trips: records written as text read back to the same ledger.

/// Everything a ledger holds that the text forms carry: its accepted
/// records as Rust values, its rejections and its input counts.
#[derive(Debug, PartialEq)]
struct Snapshot {
    records: sales_metrics::Records,
    rejections: Vec<Rejection>,
    inputs: Vec<u64>,
}

fn snapshot(l: &Ledger) -> Snapshot {
    Snapshot {
        records: l.to_records(),
        rejections: sorted(l.rejections()),
        inputs: RecordKind::ALL.iter().map(|k| l.input_count(*k)).collect(),
    }
}

/// Instants whose text form has a four-digit year, sometimes with
/// sub-microsecond parts (which every path truncates alike).
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (
        -62_167_219_200i64..=253_402_300_799,
        prop_oneof![Just(0u32), 0u32..1_000_000_000],
    )
        .prop_map(|(s, n)| DateTime::from_timestamp(s, n).unwrap_or_default())
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{1,8}",
        prop::sample::select(vec![
            "a,b",
            "\"quoted\"",
            "two\nlines",
            "cr\r\nlf",
            " ",
            "ț"
        ])
        .prop_map(str::to_owned),
    ]
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    prop::option::of(text())
}

fn id(pool: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(pool).prop_map(str::to_owned)
}

const REP_IDS: &[&str] = &["ana", "bob", "r,1", " ", ""];
const REP_REFS: &[&str] = &["ana", "bob", "r,1", " ", "", "zoe"];
const PROSPECT_IDS: &[&str] = &["p1", "p2", "p\"3", ""];
const PROSPECT_REFS: &[&str] = &["p1", "p2", "p\"3", "", "p9"];
const EVENT_IDS: &[&str] = &["e1", "e2", "e\n3", "e4", ""];

fn records() -> impl Strategy<Value = Records> {
    let rep = (
        id(REP_IDS),
        opt_text(),
        opt_text(),
        prop::option::of(-3i64..1000),
    )
        .prop_map(|(rep_id, name, team, target)| Rep {
            rep_id: rep_id.into(),
            name,
            team_id: team.map(Into::into),
            daily_contact_target: target,
        });
    let prospect = (
        (
            id(PROSPECT_IDS),
            opt_text(),
            opt_text(),
            opt_text(),
            opt_text(),
        ),
        (
            opt_text(),
            opt_text(),
            prop::option::of(prop::sample::select(Source::ALL.to_vec())),
            prop::option::of(instant()),
            prop::option::of(id(REP_REFS)),
        ),
    )
        .prop_map(
            |((pid, name, company, email, phone), (city, country, source, created, by))| {
                ProspectRecord {
                    prospect_id: pid.into(),
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
        (id(EVENT_IDS), id(REP_REFS), id(PROSPECT_REFS), instant()),
        (
            prop::option::of(instant()),
            prop::sample::select(Channel::ALL.to_vec()),
            prop::sample::select(Direction::ALL.to_vec()),
            prop::option::of(-5i64..100_000),
            prop::option::of(prop::sample::select(Outcome::ALL.to_vec())),
        ),
    )
        .prop_map(
            |((cid, rep, pid, occurred), (logged, channel, direction, duration, outcome))| {
                Contact {
                    logged_at: logged,
                    direction,
                    duration_s: duration,
                    outcome,
                    ..Contact::new(cid, rep, pid, occurred, channel)
                }
            },
        );
    let meeting = (
        id(EVENT_IDS),
        id(REP_REFS),
        id(PROSPECT_REFS),
        instant(),
        prop::sample::select(MeetingStatus::ALL.to_vec()),
    )
        .prop_map(|(mid, rep, pid, held, status)| Meeting {
            status,
            ..Meeting::new(mid, rep, pid, held)
        });
    let sale = (
        id(EVENT_IDS),
        id(REP_REFS),
        id(PROSPECT_REFS),
        instant(),
        prop::option::of(prop_oneof![-5i64..5, any::<i64>()]),
        prop::option::of(prop::sample::select(vec!["EUR", "RON", "usd", "€"])),
    )
        .prop_map(|(sid, rep, pid, closed, amount, currency)| Sale {
            amount_minor: amount,
            currency: currency.map(str::to_owned),
            ..Sale::new(sid, rep, pid, closed)
        });
    (
        prop::collection::vec(rep, 0..5),
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

fn direct(records: &Records) -> Result<Ledger, TestCaseError> {
    let mut b = LedgerBuilder::new();
    b.mode(Mode::Lenient);
    b.add_records(records.clone());
    b.build().map_err(|e| TestCaseError::fail(e.to_string()))
}

static DIRS: AtomicUsize = AtomicUsize::new(0);

fn scratch_dir(tag: &str) -> PathBuf {
    let n = DIRS.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("sm-ingest-{tag}-{}-{n}", std::process::id()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn csv_round_trip(records in records()) {
        let want = snapshot(&direct(&records)?);
        let dir = scratch_dir("rt");
        let fail = |e: sales_metrics::Error| TestCaseError::fail(e.to_string());
        write_records_csv(&dir, &records).map_err(fail)?;
        let mut b = LedgerBuilder::new();
        b.mode(Mode::Lenient);
        let read = read_csv_folder(&dir, &mut b);
        let _ = std::fs::remove_dir_all(&dir);
        read.map_err(fail)?;
        let got = snapshot(&b.build().map_err(fail)?);
        prop_assert_eq!(got, want);
    }

    #[test]
    fn json_round_trip(records in records()) {
        let want = snapshot(&direct(&records)?);
        let fail = |e: sales_metrics::Error| TestCaseError::fail(e.to_string());
        let mut out = Vec::new();
        write_records_json(&mut out, &records).map_err(fail)?;
        let mut b = LedgerBuilder::new();
        b.mode(Mode::Lenient);
        read_json(out.as_slice(), Path::new("records.json"), &mut b).map_err(fail)?;
        let got = snapshot(&b.build().map_err(fail)?);
        prop_assert_eq!(got, want);
    }
}

#[test]
fn a_quoted_newline_is_one_row() -> TestResult {
    let reps =
        "rep_id,name\n\"ana\",\"Ana\nPopescu\"\n\"bob\",\"line one\r\nline two\"\n,missing id\n";
    let mut b = LedgerBuilder::new();
    b.mode(Mode::Lenient);
    read_csv(
        RecordKind::Rep,
        reps.as_bytes(),
        Path::new("reps.csv"),
        &mut b,
    )?;
    let ledger = b.build()?;
    assert_eq!(ledger.input_count(RecordKind::Rep), 3);
    let r = ledger.rejections().first().ok_or("no rejection")?;
    assert_eq!((r.row, r.reason), (3, sales_metrics::Reason::MissingField));
    assert_eq!(
        ledger.reps().first().and_then(|r| r.name.as_deref()),
        Some("Ana\nPopescu")
    );
    Ok(())
}

#[test]
fn a_written_folder_reads_back_row_for_row() -> TestResult {
    let t: DateTime<Utc> = "2026-06-01T09:00:00.25Z".parse()?;
    let records = Records {
        reps: vec![Rep {
            name: Some("Ana, \"the closer\"".into()),
            ..Rep::new("ana")
        }],
        prospects: vec![ProspectRecord::new("p1")],
        contacts: vec![Contact::new("c1", "ana", "p1", t, Channel::InPerson)],
        meetings: vec![Meeting::new("m1", "ana", "p1", t)],
        sales: vec![Sale {
            amount_minor: Some(125_000),
            currency: Some("EUR".into()),
            ..Sale::new("s1", "ana", "p1", t)
        }],
    };
    let dir = scratch_dir("rows");
    write_records_csv(&dir, &records)?;
    let sales = std::fs::read_to_string(dir.join("sales.csv"))?;
    let reps = std::fs::read_to_string(dir.join("reps.csv"))?;
    let ledger = sales_metrics::load_folder(&dir, Mode::Strict);
    std::fs::remove_dir_all(&dir)?;
    assert_eq!(
        sales,
        "sale_id,rep_id,prospect_id,closed_at,amount_minor,currency\n\
         s1,ana,p1,2026-06-01T09:00:00.250000Z,125000,EUR\n"
    );
    assert_eq!(
        reps,
        "rep_id,name,team_id,daily_contact_target\nana,\"Ana, \"\"the closer\"\"\",,\n"
    );
    assert_eq!(
        snapshot(&ledger?),
        snapshot(&direct(&records).map_err(|e| e.to_string())?)
    );
    Ok(())
}

//! SPEC §3 validation through the CSV reader, the JSON reader and Rust
//! values: every reason for every kind where it applies, the order of
//! reasons, strict and lenient modes, cascades, duplicates, and the
//! file-level errors.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use sales_metrics::SuppliedPartition;
use sales_metrics::ingest::{Rejections, read_csv, read_json};
use sales_metrics::{
    Channel, Contact, Direction, Error, Ledger, LedgerBuilder, Meeting, MeetingStatus, Mode,
    ProspectRecord, Reason, RecordKind, Rejection, Rep, Sale,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const REPS: &str = "rep_id,name,team_id,daily_contact_target\nana,Ana,north,20\nbob,Bob,north,\n";
const PROSPECTS: &str = "prospect_id,name,company\np1,Ion,Acme\np2,Eva,Beta\n";

const CONTACT_HEADER: &str =
    "contact_id,rep_id,prospect_id,occurred_at,logged_at,channel,direction,duration_s,outcome";
const MEETING_HEADER: &str = "meeting_id,rep_id,prospect_id,held_at,status";
const SALE_HEADER: &str = "sale_id,rep_id,prospect_id,closed_at,amount_minor,currency";
const PROSPECT_HEADER: &str =
    "prospect_id,name,company,email,phone,city,country,source,created_at,created_by";
const REP_HEADER: &str = "rep_id,name,team_id,daily_contact_target";

/// The base files with `kind`'s replaced by `body`.
fn files(kind: RecordKind, body: &str) -> BTreeMap<RecordKind, String> {
    let mut m = BTreeMap::new();
    m.insert(RecordKind::Rep, REPS.to_owned());
    m.insert(RecordKind::Prospect, PROSPECTS.to_owned());
    m.insert(kind, body.to_owned());
    m
}

fn load_csv(files: &BTreeMap<RecordKind, String>, mode: Mode) -> sales_metrics::Result<Ledger> {
    let mut b = LedgerBuilder::new();
    b.mode(mode);
    for (kind, text) in files {
        read_csv(*kind, text.as_bytes(), Path::new(kind.file_name()), &mut b)?;
    }
    b.build()
}

/// The same files as one JSON document whose values are the cells as
/// strings (empty cells omitted).
fn to_json(files: &BTreeMap<RecordKind, String>) -> Result<String, Box<dyn std::error::Error>> {
    let mut doc = serde_json::Map::new();
    for (kind, text) in files {
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        let header = rdr.headers()?.clone();
        let mut rows = Vec::new();
        for rec in rdr.records() {
            let rec = rec?;
            let mut obj = serde_json::Map::new();
            for (name, value) in header.iter().zip(rec.iter()) {
                if !value.is_empty() {
                    obj.insert(name.to_owned(), value.into());
                }
            }
            rows.push(serde_json::Value::Object(obj));
        }
        let key = format!("{}s", kind.as_str());
        doc.insert(key, rows.into());
    }
    Ok(serde_json::to_string_pretty(&serde_json::Value::Object(
        doc,
    ))?)
}

fn load_json(doc: &str, mode: Mode) -> sales_metrics::Result<Ledger> {
    let mut b = LedgerBuilder::new();
    b.mode(mode);
    read_json(doc.as_bytes(), Path::new("records.json"), &mut b)?;
    b.build()
}

fn rej(kind: RecordKind, row: u64, id: &str, field: &str, reason: Reason) -> Rejection {
    Rejection {
        kind,
        row,
        id: id.to_owned(),
        field: field.to_owned(),
        reason,
    }
}

/// Loads `body` as the file of `kind` (over the base reps and prospects)
/// through CSV and through JSON, and checks both give exactly `expected`.
fn expect_rejections(kind: RecordKind, body: &str, expected: &[Rejection]) -> TestResult {
    let f = files(kind, body);
    let mut want = expected.to_vec();
    want.sort();
    let csv_ledger = load_csv(&f, Mode::Lenient)?;
    let mut got = csv_ledger.rejections().to_vec();
    got.sort();
    assert_eq!(got, want, "CSV, {kind} file:\n{body}");
    let json_ledger = load_json(&to_json(&f)?, Mode::Lenient)?;
    let mut got = json_ledger.rejections().to_vec();
    got.sort();
    assert_eq!(got, want, "JSON, {kind} file:\n{body}");
    for k in RecordKind::ALL {
        for l in [&csv_ledger, &json_ledger] {
            let rejected = l.rejections().iter().filter(|r| r.kind == k).count() as u64;
            assert_eq!(l.accepted_count(k) + rejected, l.input_count(k), "{k}");
        }
    }
    Ok(())
}

/// One bad row of `kind` (row 2, after a valid row 1).
fn expect_one(
    kind: RecordKind,
    header: &str,
    valid: &str,
    bad: &str,
    id: &str,
    field: &str,
    reason: Reason,
) -> TestResult {
    let body = format!("{header}\n{valid}\n{bad}\n");
    expect_rejections(kind, &body, &[rej(kind, 2, id, field, reason)])
}

const T: &str = "2026-06-01T09:00:00Z";

#[test]
fn contact_reasons() -> TestResult {
    use Reason::*;
    let k = RecordKind::Contact;
    let h = CONTACT_HEADER;
    let ok = "c0,ana,p1,2026-06-01T09:00:00Z,2026-06-01T09:05:00Z,phone,inbound,60,conversation";
    let cases: &[(&str, &str, &str, Reason)] = &[
        (
            ",ana,p1,2026-06-01T09:00:00Z,,phone,,,",
            "",
            "contact_id",
            MissingField,
        ),
        (
            "c1,,p1,2026-06-01T09:00:00Z,,phone,,,",
            "c1",
            "rep_id",
            MissingField,
        ),
        (
            "c1,ana,,2026-06-01T09:00:00Z,,phone,,,",
            "c1",
            "prospect_id",
            MissingField,
        ),
        ("c1,ana,p1,,,phone,,,", "c1", "occurred_at", MissingField),
        (
            "c1,ana,p1,2026-06-01T09:00:00Z,,,,,",
            "c1",
            "channel",
            MissingField,
        ),
        (
            "c1,ana,p1,2026-06-01,,phone,,,",
            "c1",
            "occurred_at",
            BadTime,
        ),
        (
            "c1,ana,p1,2026-06-01T09:00:00Z,later,phone,,,",
            "c1",
            "logged_at",
            BadTime,
        ),
        (
            "c1,ana,p1,2026-06-01T09:00:00Z,,phone,,1.5,",
            "c1",
            "duration_s",
            BadNumber,
        ),
        (
            "c1,ana,p1,2026-06-01T09:00:00Z,,fax,,,",
            "c1",
            "channel",
            UnknownEnum,
        ),
        (
            "c1,ana,p1,2026-06-01T09:00:00Z,,phone,sideways,,",
            "c1",
            "direction",
            UnknownEnum,
        ),
        (
            "c1,ana,p1,2026-06-01T09:00:00Z,,phone,,,sold",
            "c1",
            "outcome",
            UnknownEnum,
        ),
        (
            "c1,ana,p1,2026-06-01T09:00:00Z,,phone,,-5,",
            "c1",
            "duration_s",
            NegativeNumber,
        ),
        (
            "c1,ana,p1,2026-06-01T09:00:00Z,2026-06-01T08:59:59.999999Z,phone,,,",
            "c1",
            "logged_at",
            LoggedBeforeOccurred,
        ),
        (
            "c1,zoe,p1,2026-06-01T09:00:00Z,,phone,,,",
            "c1",
            "rep_id",
            UnknownRep,
        ),
        (
            "c1,ana,p9,2026-06-01T09:00:00Z,,phone,,,",
            "c1",
            "prospect_id",
            UnknownProspect,
        ),
        (
            "c0,bob,p2,2026-06-02T09:00:00Z,,email,,,",
            "c0",
            "contact_id",
            DuplicateId,
        ),
    ];
    for (bad, id, field, reason) in cases {
        expect_one(k, h, ok, bad, id, field, *reason)?;
    }
    Ok(())
}

#[test]
fn meeting_reasons() -> TestResult {
    use Reason::*;
    let k = RecordKind::Meeting;
    let ok = "m0,ana,p1,2026-06-01T09:00:00Z,no_show";
    let cases: &[(&str, &str, &str, Reason)] = &[
        (
            ",ana,p1,2026-06-01T09:00:00Z,",
            "",
            "meeting_id",
            MissingField,
        ),
        ("m1,,p1,2026-06-01T09:00:00Z,", "m1", "rep_id", MissingField),
        (
            "m1,ana,,2026-06-01T09:00:00Z,",
            "m1",
            "prospect_id",
            MissingField,
        ),
        ("m1,ana,p1,,", "m1", "held_at", MissingField),
        ("m1,ana,p1,tomorrow,", "m1", "held_at", BadTime),
        (
            "m1,ana,p1,2026-06-01T09:00:00Z,postponed",
            "m1",
            "status",
            UnknownEnum,
        ),
        (
            "m1,zoe,p1,2026-06-01T09:00:00Z,",
            "m1",
            "rep_id",
            UnknownRep,
        ),
        (
            "m1,ana,p9,2026-06-01T09:00:00Z,",
            "m1",
            "prospect_id",
            UnknownProspect,
        ),
        (
            "m0,ana,p1,2026-06-01T10:00:00Z,held",
            "m0",
            "meeting_id",
            DuplicateId,
        ),
    ];
    for (bad, id, field, reason) in cases {
        expect_one(k, MEETING_HEADER, ok, bad, id, field, *reason)?;
    }
    Ok(())
}

#[test]
fn sale_reasons() -> TestResult {
    use Reason::*;
    let k = RecordKind::Sale;
    let ok = "s0,ana,p1,2026-06-01T09:00:00Z,1000,EUR";
    let cases: &[(&str, &str, &str, Reason)] = &[
        (
            ",ana,p1,2026-06-01T09:00:00Z,,",
            "",
            "sale_id",
            MissingField,
        ),
        (
            "s1,,p1,2026-06-01T09:00:00Z,,",
            "s1",
            "rep_id",
            MissingField,
        ),
        (
            "s1,ana,,2026-06-01T09:00:00Z,,",
            "s1",
            "prospect_id",
            MissingField,
        ),
        ("s1,ana,p1,,,", "s1", "closed_at", MissingField),
        (
            "s1,ana,p1,2026-06-01T09:00:00,,",
            "s1",
            "closed_at",
            BadTime,
        ),
        (
            "s1,ana,p1,2026-06-01T09:00:00Z,150.00,EUR",
            "s1",
            "amount_minor",
            BadNumber,
        ),
        (
            "s1,ana,p1,2026-06-01T09:00:00Z,-1,EUR",
            "s1",
            "amount_minor",
            NegativeNumber,
        ),
        (
            "s1,zoe,p1,2026-06-01T09:00:00Z,,",
            "s1",
            "rep_id",
            UnknownRep,
        ),
        (
            "s1,ana,p9,2026-06-01T09:00:00Z,,",
            "s1",
            "prospect_id",
            UnknownProspect,
        ),
        (
            "s0,ana,p2,2026-06-02T09:00:00Z,,",
            "s0",
            "sale_id",
            DuplicateId,
        ),
    ];
    for (bad, id, field, reason) in cases {
        expect_one(k, SALE_HEADER, ok, bad, id, field, *reason)?;
    }
    Ok(())
}

#[test]
fn prospect_reasons() -> TestResult {
    use Reason::*;
    let k = RecordKind::Prospect;
    let ok = "p1,Ion,Acme,ion@acme.ro,+40 721 000 000,Cluj,RO,referral,2026-01-01T00:00:00Z,ana";
    let cases: &[(&str, &str, &str, Reason)] = &[
        (",Ion,,,,,,,,", "", "prospect_id", MissingField),
        ("p2,,,,,,,,2026-01-01,", "p2", "created_at", BadTime),
        ("p2,,,,,,,billboard,,", "p2", "source", UnknownEnum),
        ("p2,,,,,,,,,zoe", "p2", "created_by", UnknownRep),
        ("p1,Ion,Acme,,,,,,,", "p1", "prospect_id", DuplicateId),
    ];
    for (bad, id, field, reason) in cases {
        expect_one(k, PROSPECT_HEADER, ok, bad, id, field, *reason)?;
    }
    Ok(())
}

#[test]
fn rep_reasons() -> TestResult {
    use Reason::*;
    let k = RecordKind::Rep;
    let ok = "ana,Ana,north,20";
    let cases: &[(&str, &str, &str, Reason)] = &[
        (",Nobody,north,5", "", "rep_id", MissingField),
        (
            "bob,Bob,north,twenty",
            "bob",
            "daily_contact_target",
            BadNumber,
        ),
        (
            "bob,Bob,north,-3",
            "bob",
            "daily_contact_target",
            NegativeNumber,
        ),
        ("ana,Ana again,south,", "ana", "rep_id", DuplicateId),
    ];
    for (bad, id, field, reason) in cases {
        expect_one(k, REP_HEADER, ok, bad, id, field, *reason)?;
    }
    Ok(())
}

#[test]
fn several_problems_report_the_first_in_spec_order() -> TestResult {
    use Reason::*;
    let k = RecordKind::Contact;
    let ok = "c0,ana,p1,2026-06-01T09:00:00Z,,phone,,,";
    let cases: &[(&str, &str, &str, Reason)] = &[
        // missing beats bad time, bad number and unknown enum
        ("c1,ana,p1,,x,fax,,x,", "c1", "occurred_at", MissingField),
        (
            "c1,,p1,2026-06-01T09:00:00Z,x,,,x,",
            "c1",
            "rep_id",
            MissingField,
        ),
        // bad time beats bad number and unknown enum (a later column)
        (
            "c1,ana,p1,2026-06-01T09:00:00Z,x,fax,,x,",
            "c1",
            "logged_at",
            BadTime,
        ),
        // bad number beats unknown enum even in an earlier column
        (
            "c1,ana,p1,2026-06-01T09:00:00Z,,fax,,x,",
            "c1",
            "duration_s",
            BadNumber,
        ),
        // unknown enum beats negative numbers and references
        (
            "c1,zoe,p9,2026-06-01T09:00:00Z,,fax,,-1,",
            "c1",
            "channel",
            UnknownEnum,
        ),
        // negative beats logged-before and references
        (
            "c1,zoe,p9,2026-06-01T09:00:00Z,2026-06-01T08:00:00Z,phone,,-1,",
            "c1",
            "duration_s",
            NegativeNumber,
        ),
        // logged-before beats references
        (
            "c1,zoe,p9,2026-06-01T09:00:00Z,2026-06-01T08:00:00Z,phone,,,",
            "c1",
            "logged_at",
            LoggedBeforeOccurred,
        ),
        // unknown rep beats unknown prospect
        (
            "c1,zoe,p9,2026-06-01T09:00:00Z,,phone,,,",
            "c1",
            "rep_id",
            UnknownRep,
        ),
        // unknown prospect beats duplicate
        (
            "c0,ana,p9,2026-06-01T09:00:00Z,,phone,,,",
            "c0",
            "prospect_id",
            UnknownProspect,
        ),
        // within one reason, column order
        ("c1,ana,p1,bad,bad,phone,,,", "c1", "occurred_at", BadTime),
        (
            "c1,ana,p1,2026-06-01T09:00:00Z,,fax,up,,sold",
            "c1",
            "channel",
            UnknownEnum,
        ),
    ];
    for (bad, id, field, reason) in cases {
        expect_one(k, CONTACT_HEADER, ok, bad, id, field, *reason)?;
    }
    // Also for sales: bad time before bad number.
    expect_one(
        RecordKind::Sale,
        SALE_HEADER,
        "s0,ana,p1,2026-06-01T09:00:00Z,,",
        "s1,ana,p1,June,1e3,",
        "s1",
        "closed_at",
        BadTime,
    )
}

fn contacts_body(rows: &[&str]) -> String {
    let mut s = format!("{CONTACT_HEADER}\n");
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

#[test]
fn strict_mode_fails_with_every_rejection() -> TestResult {
    let body = contacts_body(&[
        "c1,ana,p1,2026-06-01T09:00:00Z,,phone,,,",
        "c2,ana,p1,never,,phone,,,",
        "c3,zoe,p1,2026-06-01T09:00:00Z,,phone,,,",
    ]);
    let f = files(RecordKind::Contact, &body);
    for result in [
        load_csv(&f, Mode::Strict),
        load_json(&to_json(&f)?, Mode::Strict),
    ] {
        match result {
            Err(Error::Rejected { rejections }) => {
                let mut got = rejections.clone();
                got.sort();
                assert_eq!(
                    got,
                    vec![
                        rej(RecordKind::Contact, 2, "c2", "occurred_at", Reason::BadTime),
                        rej(RecordKind::Contact, 3, "c3", "rep_id", Reason::UnknownRep),
                    ]
                );
            }
            other => panic!("expected Error::Rejected, got {other:?}"),
        }
    }
    Ok(())
}

#[test]
fn lenient_mode_keeps_the_rest() -> TestResult {
    let body = contacts_body(&[
        "c1,ana,p1,2026-06-01T09:00:00Z,,phone,,,",
        "c2,ana,p1,never,,phone,,,",
        "c3,bob,p2,2026-06-01T10:00:00Z,,email,,,",
    ]);
    let f = files(RecordKind::Contact, &body);
    for ledger in [
        load_csv(&f, Mode::Lenient)?,
        load_json(&to_json(&f)?, Mode::Lenient)?,
    ] {
        assert_eq!(ledger.accepted_count(RecordKind::Contact), 2);
        assert_eq!(ledger.input_count(RecordKind::Contact), 3);
        let contacts = ledger.to_records().contacts;
        assert_eq!(contacts[0].contact_id.as_str(), "c1");
        assert_eq!(contacts[1].contact_id.as_str(), "c3");
        assert_eq!(ledger.rejections().len(), 1);
        assert_eq!(ledger.accepted_count(RecordKind::Rep), 2);
        assert_eq!(ledger.accepted_count(RecordKind::Prospect), 2);
    }
    Ok(())
}

#[test]
fn a_contact_of_a_rejected_prospect_record_is_rejected() -> TestResult {
    let mut f = files(
        RecordKind::Prospect,
        &format!("{PROSPECT_HEADER}\np1,,,,,,,,,ana\np2,,,,,,,,,zoe\np3,,,,,,,,yesterday,\n"),
    );
    f.insert(
        RecordKind::Contact,
        contacts_body(&[
            "c1,ana,p1,2026-06-01T09:00:00Z,,phone,,,",
            "c2,ana,p2,2026-06-01T09:00:00Z,,phone,,,",
            "c3,ana,p3,2026-06-01T09:00:00Z,,phone,,,",
        ]),
    );
    f.insert(
        RecordKind::Sale,
        format!("{SALE_HEADER}\ns1,ana,p2,2026-06-02T09:00:00Z,,\n"),
    );
    let want = vec![
        rej(
            RecordKind::Prospect,
            2,
            "p2",
            "created_by",
            Reason::UnknownRep,
        ),
        rej(RecordKind::Prospect, 3, "p3", "created_at", Reason::BadTime),
        rej(
            RecordKind::Contact,
            2,
            "c2",
            "prospect_id",
            Reason::UnknownProspect,
        ),
        rej(
            RecordKind::Contact,
            3,
            "c3",
            "prospect_id",
            Reason::UnknownProspect,
        ),
        rej(
            RecordKind::Sale,
            1,
            "s1",
            "prospect_id",
            Reason::UnknownProspect,
        ),
    ];
    let mut want = want;
    want.sort();
    for ledger in [
        load_csv(&f, Mode::Lenient)?,
        load_json(&to_json(&f)?, Mode::Lenient)?,
    ] {
        let mut got = ledger.rejections().to_vec();
        got.sort();
        assert_eq!(got, want);
        assert_eq!(ledger.accepted_count(RecordKind::Contact), 1);
    }
    // A rejected rep cascades too.
    let mut f = files(RecordKind::Rep, &format!("{REP_HEADER}\nana,,,-1\n"));
    f.insert(
        RecordKind::Contact,
        contacts_body(&["c1,ana,p1,2026-06-01T09:00:00Z,,phone,,,"]),
    );
    let ledger = load_csv(&f, Mode::Lenient)?;
    assert!(ledger.rejections().contains(&rej(
        RecordKind::Contact,
        1,
        "c1",
        "rep_id",
        Reason::UnknownRep
    )));
    Ok(())
}

#[test]
fn the_first_valid_row_wins_an_id() -> TestResult {
    let body = contacts_body(&[
        "c1,ana,p1,not a time,,phone,,,",
        "c1,zoe,p1,2026-06-01T09:00:00Z,,phone,,,",
        "c1,ana,p1,2026-06-01T09:00:00Z,,phone,,,",
        "c1,bob,p2,2026-06-02T09:00:00Z,,email,,,",
    ]);
    expect_rejections(
        RecordKind::Contact,
        &body,
        &[
            rej(RecordKind::Contact, 1, "c1", "occurred_at", Reason::BadTime),
            rej(RecordKind::Contact, 2, "c1", "rep_id", Reason::UnknownRep),
            rej(
                RecordKind::Contact,
                4,
                "c1",
                "contact_id",
                Reason::DuplicateId,
            ),
        ],
    )?;
    let ledger = load_csv(&files(RecordKind::Contact, &body), Mode::Lenient)?;
    let contacts = ledger.to_records().contacts;
    let c = contacts.first().ok_or("no contact")?;
    assert_eq!(c.rep_id.as_str(), "ana");
    Ok(())
}

#[test]
fn a_missing_required_column_is_an_error_in_both_modes() -> TestResult {
    let body = "contact_id,rep_id,prospect_id,occurred_at\nc1,ana,p1,2026-06-01T09:00:00Z\n";
    for mode in [Mode::Strict, Mode::Lenient] {
        match load_csv(&files(RecordKind::Contact, body), mode) {
            Err(Error::MissingColumn { path, column }) => {
                assert_eq!(column, "channel");
                assert_eq!(path, Path::new("contacts.csv"));
            }
            other => panic!("expected MissingColumn, got {other:?}"),
        }
    }
    // An empty file has no columns at all.
    let mut b = LedgerBuilder::new();
    let err = read_csv(RecordKind::Rep, &b""[..], Path::new("reps.csv"), &mut b);
    assert!(matches!(err, Err(Error::MissingColumn { column, .. }) if column == "rep_id"));
    // Optional columns may be missing; unknown ones are ignored; order is free.
    let body = "channel,notes,occurred_at,prospect_id,rep_id,contact_id\nEMAIL,hi,2026-06-01T09:00:00Z,p1,ana,c1\n";
    let ledger = load_csv(&files(RecordKind::Contact, body), Mode::Strict)?;
    let contacts = ledger.to_records().contacts;
    let c = contacts.first().ok_or("no contact")?;
    assert_eq!(c.channel, Channel::Email);
    assert_eq!(c.direction, Direction::Outbound);
    assert_eq!(c.duration_s, None);
    Ok(())
}

#[test]
fn invalid_utf8_is_an_error_with_its_position() {
    let mut body = b"rep_id,name\nana,Ana\nbob,B".to_vec();
    body.extend_from_slice(&[0xff, 0xfe]);
    body.extend_from_slice(b"b\n");
    for mode in [Mode::Strict, Mode::Lenient] {
        let mut b = LedgerBuilder::new();
        b.mode(mode);
        match read_csv(
            RecordKind::Rep,
            body.as_slice(),
            Path::new("reps.csv"),
            &mut b,
        ) {
            Err(Error::Malformed { path, position, .. }) => {
                assert_eq!(path, Path::new("reps.csv"));
                assert!(position.contains("line 3"), "{position}");
                assert!(position.contains("byte 20"), "{position}");
            }
            other => panic!("expected Malformed, got {other:?}"),
        }
    }
    // In a header too.
    let mut b = LedgerBuilder::new();
    let header = b"rep_id,n\xc3\n";
    assert!(matches!(
        read_csv(RecordKind::Rep, &header[..], Path::new("reps.csv"), &mut b),
        Err(Error::Malformed { .. })
    ));
    // In JSON, with line and column.
    let doc = b"{\"reps\": [\n{\"rep_id\": \"a\xffb\"}]}";
    match read_json(
        &doc[..],
        Path::new("records.json"),
        &mut LedgerBuilder::new(),
    ) {
        Err(Error::Malformed { position, .. }) => {
            assert!(position.contains("line 2"), "{position}")
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[test]
fn integer_cells() -> TestResult {
    let k = RecordKind::Sale;
    let body = format!(
        "{SALE_HEADER}\n\
         s1,ana,p1,{T},-0,EUR\n\
         s2,ana,p1,{T}, 5,EUR\n\
         s3,ana,p1,{T},150.00,EUR\n\
         s4,ana,p1,{T},1e3,EUR\n\
         s5,ana,p1,{T},+15000,EUR\n\
         s6,ana,p1,{T},5 ,EUR\n\
         s7,ana,p1,{T},9223372036854775808,EUR\n\
         s8,ana,p1,{T},+,EUR\n\
         s9,ana,p1,{T},-,EUR\n"
    );
    let bad = |row, id: &str| rej(k, row, id, "amount_minor", Reason::BadNumber);
    expect_rejections(
        k,
        &body,
        &[
            bad(2, "s2"),
            bad(3, "s3"),
            bad(4, "s4"),
            bad(6, "s6"),
            bad(7, "s7"),
            bad(8, "s8"),
            bad(9, "s9"),
        ],
    )?;
    let ledger = load_csv(&files(k, &body), Mode::Lenient)?;
    let amounts: Vec<_> = ledger
        .to_records()
        .sales
        .iter()
        .map(|s| s.amount_minor)
        .collect();
    assert_eq!(amounts, vec![Some(0), Some(15_000)]);
    Ok(())
}

#[test]
fn time_cells() -> TestResult {
    let k = RecordKind::Meeting;
    let body = format!(
        "{MEETING_HEADER}\n\
         m1,ana,p1,2026-06-30T23:59:60Z,\n\
         m2,ana,p1,2026-02-29T10:00:00Z,\n\
         m3,ana,p1,2026-06-01t09:00:00Z,\n\
         m4,ana,p1,2026-06-01 09:00:00Z,\n\
         m5,ana,p1,2026-06-01T09:00:00z,\n\
         m6,ana,p1,2026-06-01T09:00:00.123456789Z,\n\
         m7,ana,p1,2026-06-01T11:00:00.5+02:00,\n\
         m8,ana,p1,2024-02-29T10:00:00-00:30,\n\
         m9,ana,p1, 2026-06-01T09:00:00Z,\n"
    );
    let bad = |row, id: &str| rej(k, row, id, "held_at", Reason::BadTime);
    expect_rejections(k, &body, &[bad(1, "m1"), bad(2, "m2"), bad(9, "m9")])?;
    let ledger = load_csv(&files(k, &body), Mode::Lenient)?;
    let base: DateTime<Utc> = T.parse()?;
    let base = base.timestamp_micros();
    let times: Vec<i64> = ledger
        .to_records()
        .meetings
        .iter()
        .map(|m| m.held_at.timestamp_micros())
        .collect();
    let leap: DateTime<Utc> = "2024-02-29T10:30:00Z".parse()?;
    assert_eq!(
        times,
        vec![
            base,
            base,
            base,
            base + 123_456,
            base + 500_000,
            leap.timestamp_micros()
        ]
    );
    Ok(())
}

#[test]
fn enumerations_ignore_ascii_case_but_not_spaces() -> TestResult {
    let k = RecordKind::Contact;
    let body = contacts_body(&[
        "c1,ana,p1,2026-06-01T09:00:00Z,,In_Person,INBOUND,0,Meeting_Booked",
        "c2,ana,p1,2026-06-01T09:00:00Z,, phone,,,",
        "c3,ana,p1,2026-06-01T09:00:00Z,,phone , ,,",
    ]);
    expect_rejections(
        k,
        &body,
        &[
            rej(k, 2, "c2", "channel", Reason::UnknownEnum),
            rej(k, 3, "c3", "channel", Reason::UnknownEnum),
        ],
    )?;
    let ledger = load_csv(&files(k, &body), Mode::Lenient)?;
    let contacts = ledger.to_records().contacts;
    let c = contacts.first().ok_or("no contact")?;
    assert_eq!(c.channel, Channel::InPerson);
    assert_eq!(c.direction, Direction::Inbound);
    assert_eq!(c.duration_s, Some(0));
    Ok(())
}

#[test]
fn a_cell_of_spaces_is_a_value_and_defaults_apply() -> TestResult {
    let mut f = files(
        RecordKind::Meeting,
        &format!("{MEETING_HEADER}\nm1, ,p1,{T},\nm2,ana,p1,{T},\n"),
    );
    f.insert(RecordKind::Rep, format!("{REP_HEADER}\nana,,,\n ,,,\n"));
    let ledger = load_csv(&f, Mode::Lenient)?;
    // " " is a rep id like any other, so m1's rep " " is known.
    assert_eq!(ledger.accepted_count(RecordKind::Rep), 2);
    assert_eq!(ledger.accepted_count(RecordKind::Meeting), 2);
    assert!(
        ledger
            .to_records()
            .meetings
            .iter()
            .all(|m| m.status == MeetingStatus::Held)
    );
    Ok(())
}

#[test]
fn short_and_long_rows_and_a_bom() -> TestResult {
    let body = format!(
        "\u{feff}{CONTACT_HEADER}\n\
         c1,ana,p1,{T},,phone\n\
         c2,ana,p1,{T},,phone,inbound,30,conversation,extra,cells\n\
         c3,ana,p1\n"
    );
    expect_rejections(
        RecordKind::Contact,
        &body,
        &[rej(
            RecordKind::Contact,
            3,
            "c3",
            "occurred_at",
            Reason::MissingField,
        )],
    )
}

#[test]
fn a_missing_file_names_the_file() -> TestResult {
    let dir = std::env::temp_dir().join(format!("sm-validation-missing-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("reps.csv"), REPS)?;
    std::fs::write(dir.join("prospects.csv"), PROSPECTS)?;
    let result = sales_metrics::load_folder(&dir, Mode::Lenient);
    std::fs::remove_dir_all(&dir)?;
    match result {
        Err(Error::Io { path, .. }) => assert!(path.ends_with("contacts.csv")),
        other => panic!("expected Io, got {other:?}"),
    }
    Ok(())
}

#[test]
fn json_values_of_every_type() -> TestResult {
    let doc = r#"{
      "reps": [
        {"rep_id": "ana", "daily_contact_target": 20},
        {"rep_id": 7, "daily_contact_target": "15"},
        {"rep_id": "bob", "daily_contact_target": 2.5},
        {"rep_id": "cy", "daily_contact_target": true},
        {"rep_id": "dan", "daily_contact_target": -0},
        {"rep_id": "eve", "daily_contact_target": 9223372036854775808},
        {"rep_id": "", "name": "nobody"},
        {"rep_id": null},
        {"name": "no id"},
        {"rep_id": "fay", "daily_contact_target": null, "name": ""}
      ],
      "prospects": [{"prospect_id": 1}, {"prospect_id": "p2", "source": 3, "created_at": 1750000000}],
      "contacts": [
        {"contact_id": "c1", "rep_id": 7, "prospect_id": 1, "occurred_at": "2026-06-01T09:00:00Z",
         "channel": "PHONE", "duration_s": 1e3},
        {"contact_id": "c2", "rep_id": "ana", "prospect_id": "1", "occurred_at": "2026-06-01T09:00:00Z",
         "channel": ["phone"]},
        {"contact_id": "c3", "rep_id": "ana", "prospect_id": "1", "occurred_at": "2026-06-01T09:00:00Z",
         "channel": "email", "duration_s": "-0", "logged_at": null, "ignored": {"x": [1, 2]}}
      ],
      "other": "ignored"
    }"#;
    let ledger = load_json(doc, Mode::Lenient)?;
    let mut got = ledger.rejections().to_vec();
    got.sort();
    let r = RecordKind::Rep;
    let mut want = vec![
        rej(r, 3, "bob", "daily_contact_target", Reason::BadNumber),
        rej(r, 4, "cy", "daily_contact_target", Reason::BadNumber),
        rej(r, 6, "eve", "daily_contact_target", Reason::BadNumber),
        rej(r, 7, "", "rep_id", Reason::MissingField),
        rej(r, 8, "", "rep_id", Reason::MissingField),
        rej(r, 9, "", "rep_id", Reason::MissingField),
        rej(RecordKind::Prospect, 2, "p2", "created_at", Reason::BadTime),
        rej(
            RecordKind::Contact,
            1,
            "c1",
            "duration_s",
            Reason::BadNumber,
        ),
        rej(RecordKind::Contact, 2, "c2", "channel", Reason::UnknownEnum),
    ];
    want.sort();
    assert_eq!(got, want);
    let reps: Vec<(&str, Option<i64>)> = ledger
        .reps()
        .iter()
        .map(|r| (r.rep_id.as_str(), r.daily_contact_target))
        .collect();
    assert_eq!(
        reps,
        vec![
            ("7", Some(15)),
            ("ana", Some(20)),
            ("dan", Some(0)),
            ("fay", None)
        ]
    );
    assert_eq!(ledger.reps().last().and_then(|r| r.name.clone()), None);
    let contacts = ledger.to_records().contacts;
    let c = contacts.first().ok_or("no contact")?;
    assert_eq!(c.duration_s, Some(0));
    assert_eq!(c.rep_id.as_str(), "ana");
    Ok(())
}

#[test]
fn malformed_json_is_an_error_with_line_and_column() {
    let cases: &[(&str, &str)] = &[
        ("", "line 1"),
        ("[]", "line 1"),
        ("{\"reps\": {}}", "line 1"),
        // serde_json reports a wrong type just after the value.
        ("{\"reps\": [\n  5\n]}", "line 3"),
        (
            "{\"reps\": [{\"rep_id\": \"a\"},\n {\"rep_id\": \"b\",\n \"rep_id\": \"c\"}]}",
            "line 3",
        ),
        ("{\"reps\": [{\"rep_id\": true}]}", "line 1"),
        ("{\"reps\": [{\"rep_id\": \"a\", \"name\": 1.5}]}", "line 1"),
        ("{\"reps\": [], \"reps\": []}", "line 1"),
        ("{\"reps\": [{\"rep_id\": \"a\"}]} trailing", "line 1"),
        ("{\"reps\": [{\"rep_id\": \"a\"\n", "line 2"),
    ];
    for (doc, line) in cases {
        for mode in [Mode::Strict, Mode::Lenient] {
            let mut b = LedgerBuilder::new();
            b.mode(mode);
            match read_json(doc.as_bytes(), Path::new("records.json"), &mut b) {
                Err(Error::Malformed {
                    path,
                    position,
                    message,
                }) => {
                    assert_eq!(path, Path::new("records.json"));
                    assert!(position.contains(line), "{doc:?}: {position} {message}");
                    assert!(position.contains("column"), "{doc:?}: {position}");
                }
                other => panic!("{doc:?}: expected Malformed, got {other:?}"),
            }
        }
    }
    // Any key may be absent, or null.
    let ledger = load_json("{\"contacts\": null}", Mode::Strict);
    assert!(ledger.is_ok_and(|l| l.input_count(RecordKind::Contact) == 0));
}

#[test]
fn rust_values_through_the_builder() -> TestResult {
    let t: DateTime<Utc> = T.parse()?;
    let mut b = LedgerBuilder::new();
    b.mode(Mode::Lenient);
    b.add_rep(Rep::new("ana"));
    b.add_rep(Rep::new(""));
    b.add_rep(Rep {
        daily_contact_target: Some(-1),
        ..Rep::new("bob")
    });
    b.add_prospect(ProspectRecord::new("p1"));
    b.add_prospect(ProspectRecord::new(""));
    b.add_prospect(ProspectRecord {
        created_by: Some("zoe".into()),
        ..ProspectRecord::new("p2")
    });
    b.add_contact(Contact::new("c1", "ana", "p1", t, Channel::Phone));
    b.add_contact(Contact::new("", "ana", "p1", t, Channel::Phone));
    b.add_contact(Contact::new("c2", "", "p1", t, Channel::Phone));
    b.add_contact(Contact {
        duration_s: Some(-1),
        ..Contact::new("c3", "ana", "p1", t, Channel::Phone)
    });
    b.add_contact(Contact {
        logged_at: Some(t - chrono::Duration::seconds(1)),
        ..Contact::new("c4", "ana", "p1", t, Channel::Phone)
    });
    b.add_contact(Contact::new("c1", "ana", "p1", t, Channel::Email));
    b.add_meeting(Meeting::new("m1", "bob", "p1", t));
    b.add_meeting(Meeting::new("m2", "ana", "p2", t));
    b.add_sale(Sale {
        amount_minor: Some(-100),
        ..Sale::new("s1", "ana", "p1", t)
    });
    b.add_sale(Sale::new("s2", "ana", "p1", t));
    let ledger = b.build()?;
    let mut got = ledger.rejections().to_vec();
    got.sort();
    use RecordKind as K;
    let mut want = vec![
        rej(K::Rep, 2, "", "rep_id", Reason::MissingField),
        rej(
            K::Rep,
            3,
            "bob",
            "daily_contact_target",
            Reason::NegativeNumber,
        ),
        rej(K::Prospect, 2, "", "prospect_id", Reason::MissingField),
        rej(K::Prospect, 3, "p2", "created_by", Reason::UnknownRep),
        rej(K::Contact, 2, "", "contact_id", Reason::MissingField),
        rej(K::Contact, 3, "c2", "rep_id", Reason::MissingField),
        rej(K::Contact, 4, "c3", "duration_s", Reason::NegativeNumber),
        rej(
            K::Contact,
            5,
            "c4",
            "logged_at",
            Reason::LoggedBeforeOccurred,
        ),
        rej(K::Contact, 6, "c1", "contact_id", Reason::DuplicateId),
        rej(K::Meeting, 1, "m1", "rep_id", Reason::UnknownRep),
        rej(K::Meeting, 2, "m2", "prospect_id", Reason::UnknownProspect),
        rej(K::Sale, 1, "s1", "amount_minor", Reason::NegativeNumber),
    ];
    want.sort();
    assert_eq!(got, want);
    assert_eq!(ledger.accepted_count(K::Sale), 1);
    Ok(())
}

#[test]
fn rejections_csv_is_sorted_by_kind_text_then_row() -> TestResult {
    let mut f = files(
        RecordKind::Contact,
        &contacts_body(&[
            "c1,ana,p1,x,,phone,,,",
            "c2,ana,p1,2026-06-01T09:00:00Z,,phone,,,",
            "c3,\"a,b\",p1,2026-06-01T09:00:00Z,,phone,,,",
        ]),
    );
    f.insert(RecordKind::Rep, format!("{REP_HEADER}\nana,,,\nana,,,\n"));
    f.insert(
        RecordKind::Sale,
        format!("{SALE_HEADER}\ns1,zoe,p1,{T},,\n"),
    );
    let ledger = load_csv(&f, Mode::Lenient)?;
    let mut out = Vec::new();
    Rejections(ledger.rejections()).write_csv(&mut out)?;
    assert_eq!(
        String::from_utf8(out)?,
        "kind,row,id,field,reason\n\
         contact,1,c1,occurred_at,bad_time\n\
         contact,3,c3,rep_id,unknown_rep\n\
         rep,2,ana,rep_id,duplicate_id\n\
         sale,1,s1,rep_id,unknown_rep\n"
    );
    Ok(())
}

#[test]
fn a_partition_file() -> TestResult {
    let csv = "cluster_id,prospect_id,note\np1,p1,\np1,p2,same person\nzz,p9,unknown\n";
    let partition =
        SuppliedPartition::from_csv(csv.as_bytes(), Path::new("prospect_clusters.csv"))?;
    assert_eq!(partition.len(), 3);
    let mut b = LedgerBuilder::new();
    for (kind, text) in files(RecordKind::Rep, REPS) {
        read_csv(kind, text.as_bytes(), Path::new(kind.file_name()), &mut b)?;
    }
    b.partition(partition);
    let ledger = b.build()?;
    assert_eq!(ledger.prospect_count(), 1);
    assert_eq!(ledger.prospect_ids().next(), Some("p1"));
    assert_eq!(ledger.warnings().len(), 1);

    let missing = SuppliedPartition::from_csv(
        &b"prospect_id\np1\n"[..],
        Path::new("prospect_clusters.csv"),
    );
    assert!(matches!(missing, Err(Error::MissingColumn { column, .. }) if column == "cluster_id"));
    let empty = SuppliedPartition::from_csv(
        &b"prospect_id,cluster_id\np1,p1\np2,\n"[..],
        Path::new("pc.csv"),
    );
    match empty {
        Err(Error::Malformed {
            position, message, ..
        }) => {
            assert!(position.contains("row 2"), "{position}");
            assert!(message.contains("cluster_id"), "{message}");
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
    Ok(())
}

#[test]
fn absent_optional_values_read_as_absent() -> TestResult {
    let body = format!(
        "{PROSPECT_HEADER}\np1,,,,,,,,,\np2,Eva,Beta,e@b.ro,0721,Iasi,RO,EVENT,2026-01-01T00:00:00+02:00,bob\n"
    );
    let ledger = load_csv(&files(RecordKind::Prospect, &body), Mode::Strict)?;
    let records = ledger.to_records().prospects;
    let p1 = records.first().ok_or("p1")?;
    assert_eq!(
        (&p1.name, p1.source, p1.created_at, &p1.created_by),
        (&None, None, None, &None)
    );
    let p2 = records.get(1).ok_or("p2")?;
    assert_eq!(p2.source, Some(sales_metrics::Source::Event));
    assert_eq!(p2.created_by.as_ref().map(|r| r.as_str()), Some("bob"));
    let created: DateTime<Utc> = "2025-12-31T22:00:00Z".parse()?;
    assert_eq!(p2.created_at, Some(created));
    Ok(())
}

#[test]
fn blank_lines_are_not_rows_and_the_first_of_repeated_columns_counts() -> TestResult {
    let body = "rep_id,daily_contact_target,daily_contact_target\nana,5,x\n\n\nbob,-1,7\n";
    let ledger = load_csv(&files(RecordKind::Rep, body), Mode::Lenient)?;
    assert_eq!(ledger.input_count(RecordKind::Rep), 2);
    assert_eq!(
        ledger.rejections(),
        &[rej(
            RecordKind::Rep,
            2,
            "bob",
            "daily_contact_target",
            Reason::NegativeNumber
        )]
    );
    assert_eq!(
        ledger.reps().first().and_then(|r| r.daily_contact_target),
        Some(5)
    );
    Ok(())
}

#[test]
fn prospect_details_dropped_then_kept_stay_aligned() -> TestResult {
    let named = |id: &str, name: &str| {
        let mut p = sales_metrics::ProspectRecord::new(id);
        p.name = Some(name.to_owned());
        p
    };
    let mut b = LedgerBuilder::new();
    b.each_record_a_prospect();
    b.add_prospect(named("p1", "Ana"));
    b.keep_prospect_details(false);
    b.add_prospect(named("p2", "Bob"));
    b.add_prospect(named("p3", "Cid"));
    b.keep_prospect_details(true);
    b.add_prospect(named("p4", "Dan"));
    let csv = "prospect_id,name\np5,Eva\n";
    read_csv(
        RecordKind::Prospect,
        csv.as_bytes(),
        Path::new("prospects.csv"),
        &mut b,
    )?;
    let ledger = b.build()?;
    let prospects = ledger.to_records().prospects;
    let names: Vec<(&str, Option<&str>)> = prospects
        .iter()
        .map(|r| (r.prospect_id.as_str(), r.name.as_deref()))
        .collect();
    assert_eq!(
        names,
        [
            ("p1", Some("Ana")),
            ("p2", None),
            ("p3", None),
            ("p4", Some("Dan")),
            ("p5", Some("Eva")),
        ]
    );
    Ok(())
}

#[test]
fn partition_rows_naming_nothing_or_listed_twice_are_warned_in_row_order() -> TestResult {
    let csv = "prospect_id,cluster_id\np1,a\np2,a\np9,b\np3,b\np2,b\np4,c\n";
    let partition =
        SuppliedPartition::from_csv(csv.as_bytes(), Path::new("prospect_clusters.csv"))?;
    let mut b = LedgerBuilder::new();
    for id in ["p1", "p2", "p3", "p4", "p5"] {
        b.add_prospect(sales_metrics::ProspectRecord::new(id));
    }
    b.partition(partition);
    let ledger = b.build()?;
    // p2 joins group a (with p1) and group b (with p3): one prospect of
    // three records; p4 and p5 stay alone.
    assert_eq!(ledger.prospect_count(), 3);
    assert_eq!(ledger.prospect_of("p1"), ledger.prospect_of("p3"));
    let warned: Vec<(&str, bool)> = ledger
        .warnings()
        .iter()
        .map(|w| (w.location.as_str(), w.message.contains("more than once")))
        .collect();
    assert_eq!(
        warned,
        [
            ("prospect partition row 3", false),
            ("prospect partition row 5", true),
        ]
    );
    Ok(())
}

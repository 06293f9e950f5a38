//! Hostile CSV (issue 12, defects 1, 2 and 13): quotes that never close,
//! quotes in the middle of fields, and CRLF files. Both CSV readers (the
//! sequential `read_csv` and the block reader behind `read_csv_folder`)
//! must give the same records, rejections and errors on every input,
//! wherever the blocks are cut.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use sales_metrics::dedup::CsvRecords;
use sales_metrics::fuzzing::read_csv_in_blocks;
use sales_metrics::ingest::read_csv;
use sales_metrics::load_folder;
use sales_metrics::{Error, Ledger, LedgerBuilder, Mode, RecordKind};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const REPS: &str = "rep_id\nana\nbob\n";
const PROSPECTS: &str = "prospect_id\np1\np2\n";

/// How a file is read.
#[derive(Debug, Clone, Copy)]
enum Reader {
    /// `read_csv`.
    Sequential,
    /// The block reader, blocks of about this many bytes.
    Blocks(usize),
}

/// A builder in `mode` holding reps `ana`, `bob` and prospects `p1`, `p2`.
fn prepared(mode: Mode) -> Result<LedgerBuilder, Error> {
    let mut b = LedgerBuilder::new();
    b.mode(mode);
    read_csv(
        RecordKind::Rep,
        REPS.as_bytes(),
        Path::new("reps.csv"),
        &mut b,
    )?;
    read_csv(
        RecordKind::Prospect,
        PROSPECTS.as_bytes(),
        Path::new("prospects.csv"),
        &mut b,
    )?;
    Ok(b)
}

/// Everything a ledger holds that a reader decides: records, rejections
/// and input counts.
fn describe(l: &Ledger) -> String {
    let mut s = format!("{:?}\n", l.rejections());
    let _ = writeln!(s, "{:?}", l.to_records());
    let _ = writeln!(s, "{:?}", l.currencies());
    for k in RecordKind::ALL {
        let _ = writeln!(s, "{k}: {} in", l.input_count(k));
    }
    s
}

/// The outcome of reading `body` as a file of `kind` (`f.csv`) into a
/// prepared builder and building: the ledger described, or the error.
fn outcome(kind: RecordKind, body: &[u8], mode: Mode, reader: Reader) -> String {
    let mut b = match prepared(mode) {
        Ok(b) => b,
        Err(e) => return format!("setup error {e}"),
    };
    let path = Path::new("f.csv");
    let read = match reader {
        Reader::Sequential => read_csv(kind, body, path, &mut b),
        Reader::Blocks(n) => read_csv_in_blocks(kind, body, path, &mut b, n),
    };
    match read.and_then(|()| b.build()) {
        Ok(l) => describe(&l),
        Err(e) => format!("error {e}"),
    }
}

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sm-hostile-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A folder with the given prospects and contacts (no meetings, no sales).
fn write_folder(dir: &Path, prospects: &[u8], contacts: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("reps.csv"), REPS)?;
    std::fs::write(dir.join("prospects.csv"), prospects)?;
    std::fs::write(dir.join("contacts.csv"), contacts)?;
    std::fs::write(
        dir.join("meetings.csv"),
        "meeting_id,rep_id,prospect_id,held_at\n",
    )?;
    std::fs::write(
        dir.join("sales.csv"),
        "sale_id,rep_id,prospect_id,closed_at\n",
    )?;
    Ok(())
}

/// Asserts a `Malformed` error naming `file` and the opening quote at
/// `line`, `byte`.
fn assert_unterminated(result: Result<(), Error>, file: &str, line: u64, byte: u64) {
    match result {
        Err(Error::Malformed {
            path,
            position,
            message,
        }) => {
            assert!(path.ends_with(file), "{path:?}");
            assert_eq!(
                position,
                format!("quoted field starting at line {line}, byte {byte}")
            );
            assert!(message.contains("unterminated quote"), "{message}");
        }
        other => panic!("expected an unterminated-quote error, got {other:?}"),
    }
}

#[test]
fn defect_1_unterminated_quote_is_a_file_error() -> TestResult {
    // The issue's reproduction: p2 and p3 vanished into p1's name.
    let prospects = b"prospect_id,name\np1,\"Ion Popescu\np2,Maria Ionescu\np3,Dan Pop\n";
    let contacts = b"contact_id,rep_id,prospect_id,occurred_at,channel\n";
    let dir = scratch("unterminated");
    write_folder(&dir, prospects, contacts)?;
    for mode in [Mode::Strict, Mode::Lenient] {
        let folder = load_folder(&dir, mode).map(|_| ());
        assert_unterminated(folder, "prospects.csv", 2, 20);
        let mut b = LedgerBuilder::new();
        b.mode(mode);
        let seq = read_csv(
            RecordKind::Prospect,
            &prospects[..],
            Path::new("prospects.csv"),
            &mut b,
        );
        assert_unterminated(seq, "prospects.csv", 2, 20);
        for block in [1, 2, 5, 17, 18, 20, 21, 1 << 20] {
            let mut b = LedgerBuilder::new();
            b.mode(mode);
            let fast = read_csv_in_blocks(
                RecordKind::Prospect,
                &prospects[..],
                Path::new("prospects.csv"),
                &mut b,
                block,
            );
            assert_unterminated(fast, "prospects.csv", 2, 20);
        }
    }

    // A stray quote opening an ignored column at the end of a row.
    let contacts = b"contact_id,rep_id,prospect_id,occurred_at,channel,notes\r\n\
        c1,ana,p1,2026-06-01T09:00:00Z,phone,\"called back\r\n\
        c2,ana,p2,2026-06-01T10:00:00Z,phone,\r\n";
    let quote = 57 + 37;
    write_folder(&dir, PROSPECTS.as_bytes(), contacts)?;
    for mode in [Mode::Strict, Mode::Lenient] {
        assert_unterminated(
            load_folder(&dir, mode).map(|_| ()),
            "contacts.csv",
            2,
            quote,
        );
        for reader in [Reader::Sequential, Reader::Blocks(1), Reader::Blocks(64)] {
            let got = outcome(RecordKind::Contact, contacts, mode, reader);
            let want = format!(
                "error f.csv: quoted field starting at line 2, byte {quote}: unterminated quote"
            );
            assert!(got.starts_with(&want), "{reader:?}: {got}");
        }
    }
    std::fs::remove_dir_all(&dir)?;

    // In the header, too.
    let header = b"prospect_id,\"name\np1,Ion\n";
    for reader in [
        Reader::Sequential,
        Reader::Blocks(1),
        Reader::Blocks(1 << 20),
    ] {
        let got = outcome(RecordKind::Prospect, header, Mode::Lenient, reader);
        assert!(
            got.starts_with("error f.csv: quoted field starting at line 1, byte 12"),
            "{reader:?}: {got}"
        );
    }

    // Through the dedup table reader.
    let table =
        CsvRecords::from_csv_named(&prospects[..], Path::new("prospects.csv"), "prospect_id");
    assert_unterminated(table.map(|_| ()), "prospects.csv", 2, 20);

    // Closed quotes and quotes inside a field are not errors.
    let fine = b"prospect_id,name\nq1,\"Ion \"\"Nelu\"\" Popescu\"\nq2,O\"Brien\nq3,Dan\"\n";
    for reader in [Reader::Sequential, Reader::Blocks(1)] {
        let got = outcome(RecordKind::Prospect, fine, Mode::Strict, reader);
        assert!(got.contains("prospect: 5 in"), "{reader:?}: {got}");
    }
    Ok(())
}

/// The issue's `contacts.csv`: `rows` contacts, row 15,001 with a quote
/// inside its `notes` and a quoted newline in `extra`.
fn contacts_with_a_mid_field_quote(rows: usize) -> String {
    let mut s = String::from("contact_id,rep_id,prospect_id,occurred_at,channel,notes,extra\n");
    for i in 1..=rows {
        if i == 15_001 {
            s.push_str("ca,ana,p1,2026-06-01T09:00:00Z,phone,O\"Brien,\"multi\nline\"\n");
        } else {
            let _ = writeln!(s, "c{i},bob,p2,2026-06-01T09:00:00Z,email,,");
        }
    }
    s
}

#[test]
fn defect_2_readers_agree_on_a_mid_field_quote() -> TestResult {
    let contacts = contacts_with_a_mid_field_quote(30_001);
    let dir = scratch("midquote");
    write_folder(&dir, PROSPECTS.as_bytes(), contacts.as_bytes())?;
    let folder = load_folder(&dir, Mode::Strict)?;
    std::fs::remove_dir_all(&dir)?;
    assert_eq!(folder.accepted_count(RecordKind::Contact), 30_001);
    assert!(folder.rejections().is_empty());
    let mut b = prepared(Mode::Strict)?;
    b.keep_prospect_details(true);
    read_csv(
        RecordKind::Contact,
        contacts.as_bytes(),
        Path::new("contacts.csv"),
        &mut b,
    )?;
    let sequential = b.build()?;
    assert_eq!(describe(&folder), describe(&sequential));

    // Blocks cut right before, inside and after the row.
    let small = contacts_with_a_mid_field_quote(15_002);
    let want = outcome(
        RecordKind::Contact,
        small.as_bytes(),
        Mode::Lenient,
        Reader::Sequential,
    );
    assert!(want.contains("contact: 15002 in"), "{want}");
    let row = small.find("ca,ana").unwrap_or(0);
    for block in (row.saturating_sub(80)..row + 80).step_by(3) {
        let got = outcome(
            RecordKind::Contact,
            small.as_bytes(),
            Mode::Lenient,
            Reader::Blocks(block),
        );
        assert_eq!(got, want, "block {block}");
    }
    Ok(())
}

/// A cell of a hostile CSV file: ids and values that pass, values that
/// are rejected, well-formed quoted fields, and quotes, carriage returns,
/// byte order marks and invalid UTF-8 where they do not belong.
fn cell() -> impl Strategy<Value = Vec<u8>> {
    let plain = prop::sample::select(vec![
        "",
        "c1",
        "c2",
        "s1",
        "m1",
        "ana",
        "bob",
        "zed",
        "p1",
        "p2",
        "p9",
        "2026-06-01T09:00:00Z",
        "2026-06-02T09:00:00+03:00",
        "bad",
        "phone",
        "EMAIL",
        "inbound",
        "12",
        "-3",
        "RON",
        "won",
    ]);
    let quoted = prop::sample::select(vec![
        "\"p1\"",
        "\"a,b\"",
        "\"x\"\"y\"",
        "\"multi\nline\"",
        "\"cr\r\nlf\"",
        "\"\"",
        "\"\"\"\"",
        "\"c,\r\"",
    ]);
    let hostile = prop::sample::select(vec![
        "O\"Brien",
        "\"open",
        "close\"",
        "\"a\"b",
        "a\"\"b",
        "\"",
        "\"\"\"",
        "a\rb",
        "\u{feff}c1",
        "\u{feff}\"q\"",
        " \"x\"",
        "\"a\"\"",
    ]);
    let bytes = prop::sample::select(vec![&b"\xff"[..], b"a\xc3", b"\xef\xbb", b"\xe2\x82\xac"]);
    prop_oneof![
        8 => plain.prop_map(|s| s.as_bytes().to_vec()),
        3 => quoted.prop_map(|s| s.as_bytes().to_vec()),
        1 => hostile.prop_map(|s| s.as_bytes().to_vec()),
        1 => bytes.prop_map(<[u8]>::to_vec),
        2 => "[a-z0-9 ]{0,3}".prop_map(String::into_bytes),
    ]
}

/// A line end, or a blank line.
fn line_end() -> impl Strategy<Value = &'static [u8]> {
    prop::sample::select(vec![
        &b"\n"[..],
        b"\n",
        b"\r\n",
        b"\r\n",
        b"\r",
        b"\n\n",
        b"\r\n\r\n",
        b"\n\r\n",
    ])
}

fn kind() -> impl Strategy<Value = RecordKind> {
    prop::sample::select(vec![
        RecordKind::Prospect,
        RecordKind::Contact,
        RecordKind::Meeting,
        RecordKind::Sale,
    ])
}

fn header(kind: RecordKind, extra: Option<usize>, bom: bool, end: &[u8]) -> Vec<u8> {
    let mut names: Vec<&str> = match kind {
        RecordKind::Rep => vec!["rep_id"],
        RecordKind::Prospect => vec!["prospect_id", "name", "source", "created_at"],
        RecordKind::Contact => vec![
            "contact_id",
            "rep_id",
            "prospect_id",
            "occurred_at",
            "channel",
            "direction",
            "duration_s",
        ],
        RecordKind::Meeting => vec!["meeting_id", "rep_id", "prospect_id", "held_at", "status"],
        RecordKind::Sale => vec![
            "sale_id",
            "rep_id",
            "prospect_id",
            "closed_at",
            "amount_minor",
            "currency",
        ],
    };
    if let Some(at) = extra {
        names.insert(at % (names.len() + 1), "notes");
    }
    let mut h = if bom {
        "\u{feff}".as_bytes().to_vec()
    } else {
        Vec::new()
    };
    h.extend_from_slice(names.join(",").as_bytes());
    h.extend_from_slice(end);
    h
}

/// Builds a file body from a header and rows of cells with their line
/// ends; the last line end may be dropped.
fn body(header: Vec<u8>, rows: &[(Vec<Vec<u8>>, &[u8])], last_end: bool) -> Vec<u8> {
    let mut b = header;
    for (i, (cells, end)) in rows.iter().enumerate() {
        b.extend_from_slice(&cells.join(&b","[..]));
        if last_end || i + 1 < rows.len() {
            b.extend_from_slice(end);
        }
    }
    b
}

/// Both readers, the block reader with blocks of `block` bytes and of one
/// byte, give the same outcome.
fn agree(kind: RecordKind, body: &[u8], mode: Mode, block: usize) -> Result<(), TestCaseError> {
    let want = outcome(kind, body, mode, Reader::Sequential);
    for n in [block, 1] {
        let got = outcome(kind, body, mode, Reader::Blocks(n));
        prop_assert_eq!(
            &got,
            &want,
            "block {} on {:?}",
            n,
            String::from_utf8_lossy(body)
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Rows of hostile cells: quotes in every position, CRLF/LF/CR line
    /// ends, blank lines, quoted line ends, invalid UTF-8, missing and
    /// extra columns; blocks cut everywhere.
    #[test]
    fn defect_2_blocks_agree_with_read_csv_on_hostile_rows(
        kind in kind(),
        extra in prop::option::of(0usize..8),
        bom in any::<bool>(),
        lead in prop::sample::select(vec!["", "", "\n", "\r\n\n"]),
        header_end in line_end(),
        rows in prop::collection::vec((prop::collection::vec(cell(), 0..9), line_end()), 0..24),
        last_end in any::<bool>(),
        strict in any::<bool>(),
        block in 1usize..48,
    ) {
        let mut head = lead.as_bytes().to_vec();
        head.extend(header(kind, extra, bom, header_end));
        let body = body(head, &rows, last_end);
        let mode = if strict { Mode::Strict } else { Mode::Lenient };
        agree(kind, &body, mode, block)?;
    }

    /// Byte soup after a valid header: every arrangement of quotes,
    /// commas, line ends, byte order mark bytes and invalid UTF-8.
    #[test]
    fn defect_2_blocks_agree_with_read_csv_on_byte_soup(
        kind in kind(),
        header_end in line_end(),
        soup in prop::collection::vec(
            prop::sample::select(vec![
                b'"', b'"', b',', b',', b'\r', b'\n', b'\n', b'c', b'1', b'p', b'a',
                0xff, 0xef, 0xbb, 0xbf,
            ]),
            0..120,
        ),
        block in 1usize..32,
    ) {
        let mut body = header(kind, None, false, header_end);
        body.extend_from_slice(&soup);
        agree(kind, &body, Mode::Lenient, block)?;
    }
}

/// The position a reader gives for invalid UTF-8 (or what it returned
/// instead).
fn utf8_position(kind: RecordKind, body: &[u8], reader: Reader) -> String {
    let mut b = LedgerBuilder::new();
    let path = Path::new("f.csv");
    let read = match reader {
        Reader::Sequential => read_csv(kind, body, path, &mut b),
        Reader::Blocks(n) => read_csv_in_blocks(kind, body, path, &mut b, n),
    };
    match read {
        Err(Error::Malformed {
            position, message, ..
        }) if message == "invalid UTF-8" => position,
        other => format!("{other:?}"),
    }
}

#[test]
fn defect_13_utf8_positions_are_exact_with_lf_and_crlf() {
    let kind = RecordKind::Meeting;
    for nl in ["\n", "\r\n"] {
        for blank in ["", "\n", "\r\n\r\n"] {
            for quoted in [false, true] {
                // Line 1 header, 2 and 3 good rows, then blank lines, then
                // the bad row.
                let good = if quoted {
                    "\"m1\",ana,p1,2026-06-01T09:00:00Z"
                } else {
                    "m1,ana,p1,2026-06-01T09:00:00Z"
                };
                let mut body = format!("meeting_id,rep_id,prospect_id,held_at{nl}{good}{nl}");
                body.push_str(&format!("m2,ana,p1,2026-06-01T09:00:00Z{nl}{blank}"));
                let line = 4 + blank.matches('\n').count();
                let byte = body.len();
                let mut body = body.into_bytes();
                body.extend_from_slice(b"m3,ana,p\xff1,2026-06-01T09:00:00Z");
                body.extend_from_slice(nl.as_bytes());
                body.extend_from_slice(format!("m4,ana,p1,2026-06-01T09:00:00Z{nl}").as_bytes());
                let want = format!(
                    "record starting at line {line}, byte {byte}, field 3 after 1 valid bytes"
                );
                let case = format!("nl {nl:?}, blank {blank:?}, quoted {quoted}");
                assert_eq!(
                    utf8_position(kind, &body, Reader::Sequential),
                    want,
                    "{case}"
                );
                for block in 1..=body.len() + 1 {
                    assert_eq!(
                        utf8_position(kind, &body, Reader::Blocks(block)),
                        want,
                        "{case}, block {block}"
                    );
                }
            }
        }
    }
}

#[test]
fn defect_13_quote_positions_are_exact_with_crlf() {
    let body = b"meeting_id,rep_id,prospect_id,held_at\r\n\r\nm1,ana,p1,2026-06-01T09:00:00Z\r\nm2,\"ana\r\n";
    let quote = body.windows(4).position(|w| w == b"\"ana").unwrap_or(0);
    let want =
        format!("error f.csv: quoted field starting at line 4, byte {quote}: unterminated quote");
    for block in 1..=body.len() + 1 {
        let got = outcome(
            RecordKind::Meeting,
            body,
            Mode::Lenient,
            Reader::Blocks(block),
        );
        assert!(got.starts_with(&want), "block {block}: {got}");
    }
    let got = outcome(RecordKind::Meeting, body, Mode::Lenient, Reader::Sequential);
    assert!(got.starts_with(&want), "{got}");
}

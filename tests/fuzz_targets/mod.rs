//! Fuzz targets of issue 12: one plain `fn(&[u8])` per entry point that
//! takes outside bytes, each checking invariants (not only "no panic").
//!
//! This file is shared by the stable, seeded mutation harness
//! (`tests/fuzz.rs`) and the cargo-fuzz targets (`fuzz/fuzz_targets/*.rs`,
//! which include it with `#[path]`). A target signals a failure by
//! panicking; everything it needs comes through the crate's public API.
//!
//! # Input forms
//!
//! - `csv_folder`, `pipeline`: the five SPEC §2 files of a folder, in
//!   [`RecordKind::ALL`] order (`reps`, `prospects`, `contacts`,
//!   `meetings`, `sales`), separated by NUL bytes (`\0`). Sections beyond
//!   the fifth are ignored; a missing section is written as its header
//!   only; a section `\u{1}` alone means "no such file". See [`split_folder`].
//! - `json`: one JSON document for `ingest::read_json`.
//! - `partition`: a `prospect_clusters.csv` file.
//! - `time`: one cell for `parse_time_micros` and `parse_i64`.
//! - `dedup_normalize`: one field value (lossy UTF-8); its first byte also
//!   picks the country passed to the phone normaliser.
//!
//! # Known defects
//!
//! Checks that fail today because of a defect listed in issue 12 (fixed on
//! other branches) call [`known`]: while [`KNOWN_DEFECTS_FIXED`] is `false`
//! (and `SM_FUZZ_KNOWN_DEFECTS_FIXED` is not set) they are counted and
//! reported instead of failing. Turn the constant to `true` once the fixes
//! are merged. Anything not attributed to a listed defect always fails.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use sales_metrics::SuppliedPartition;
use sales_metrics::Table;
use sales_metrics::detect::{self, DetectConfig};
use sales_metrics::fuzzing::{
    format_time_micros, parse_i64, parse_time_micros, read_csv_in_blocks,
};
use sales_metrics::ingest::{Rejections, read_csv, read_csv_folder, read_json};
use sales_metrics::report::{BreakdownBy, Granularity, PeriodSpec, Scope};
use sales_metrics::{
    Channel, ClassifyConfig, Contact, Error, Ledger, LedgerBuilder, Mode, ProspectRecord,
    RecordKind, Rejection, Rep, classify,
};

/// Whether the defects of issue 12 are fixed: `false` turns the checks
/// that fail because of them into counted reports (see [`known`]).
/// Set to `true` after merging the fixes (or set the environment variable
/// `SM_FUZZ_KNOWN_DEFECTS_FIXED=1` to try them).
pub const KNOWN_DEFECTS_FIXED: bool = true;

/// Whether the problems this fuzzer found beyond the 14 listed defects
/// (see [`finding`]) are fixed; `SM_FUZZ_FINDINGS_FIXED=1` tries them.
pub const NEW_FINDINGS_FIXED: bool = true;

/// Longest calendar span (days) run through every report and detector
/// while defect 5 (work grows with the calendar span) is open.
const SPAN_DAYS_WHILE_DEFECT_5: i64 = 4 * 366;

fn all_checks() -> bool {
    KNOWN_DEFECTS_FIXED || std::env::var_os("SM_FUZZ_KNOWN_DEFECTS_FIXED").is_some()
}

fn findings_fixed() -> bool {
    NEW_FINDINGS_FIXED || std::env::var_os("SM_FUZZ_FINDINGS_FIXED").is_some()
}

thread_local! {
    /// Hits per known problem on this thread (one harness test = one
    /// thread): (count, first description).
    static KNOWN_HITS: RefCell<BTreeMap<String, (u64, String)>> =
        const { RefCell::new(BTreeMap::new()) };
}

fn count(key: String, what: impl FnOnce() -> String) {
    KNOWN_HITS.with(|m| {
        let mut m = m.borrow_mut();
        let e = m.entry(key).or_insert_with(|| (0, what()));
        e.0 += 1;
    });
}

/// An invariant violated because of defect `defect` of issue 12: fails
/// once the defects are fixed, counts it until then.
pub fn known(defect: u8, what: impl FnOnce() -> String) {
    if all_checks() {
        panic!("issue 12 defect {defect} (should be fixed): {}", what());
    }
    count(format!("issue 12 defect {defect}"), what);
}

/// An invariant violated by a problem this fuzzer found that is not one
/// of the 14 listed defects (named `name`): fails once
/// [`NEW_FINDINGS_FIXED`], counts it until then.
pub fn finding(name: &str, what: impl FnOnce() -> String) {
    if findings_fixed() {
        panic!("finding {name} (should be fixed): {}", what());
    }
    count(format!("finding {name}"), what);
}

/// `(problem, hits, first description)` of every known problem hit so far
/// on this thread.
pub fn known_report() -> Vec<(String, u64, String)> {
    KNOWN_HITS.with(|m| {
        m.borrow()
            .iter()
            .map(|(k, (n, w))| (k.clone(), *n, w.clone()))
            .collect()
    })
}

/// Runs `f`; a panic that `attribution` blames on a known defect is
/// counted (see [`known`]) and gives `None`; any other panic propagates.
fn guard<T>(f: impl FnOnce() -> T, attribution: impl FnOnce() -> Option<u8>) -> Option<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => Some(v),
        Err(p) => match attribution() {
            Some(d) if !all_checks() => {
                let msg = panic_text(&*p);
                known(d, || format!("panic: {msg}"));
                None
            }
            _ => resume_unwind(p),
        },
    }
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "<non-text panic>".to_owned())
}

/// For cargo-fuzz: libfuzzer-sys aborts in its panic hook, before a
/// known-defect panic could be caught; keep the default hook instead
/// (libfuzzer-sys still aborts on any panic that leaves the target).
pub fn init_fuzz_process() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if !all_checks() {
            let _ = std::panic::take_hook();
        }
    });
}

// ---------------------------------------------------------------------------
// Inputs: a folder of five CSV files from one byte string.

/// Marks a section that stands for a missing file.
pub const NO_FILE: &[u8] = b"\x01";

/// The five files of a folder input (see the module docs); `None` = no
/// such file.
pub fn split_folder(data: &[u8]) -> [Option<Vec<u8>>; 5] {
    let mut parts = data.split(|&b| b == 0);
    RecordKind::ALL.map(|kind| match parts.next() {
        Some(p) if p == NO_FILE => None,
        Some(p) => Some(p.to_vec()),
        None => Some(header(kind).into_bytes()),
    })
}

/// Joins five files into a folder input (the inverse of [`split_folder`]).
pub fn join_folder(files: &[Option<Vec<u8>>; 5]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, f) in files.iter().enumerate() {
        if i > 0 {
            out.push(0);
        }
        out.extend_from_slice(f.as_deref().unwrap_or(NO_FILE));
    }
    out
}

/// The SPEC §2 header line of `kind`.
pub fn header(kind: RecordKind) -> String {
    format!("{}\n", column_names(kind).join(","))
}

/// SPEC §2 column names per kind.
pub fn column_names(kind: RecordKind) -> &'static [&'static str] {
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

static DIRS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static SCRATCH: PathBuf = {
        let n = DIRS.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("sm-fuzz-{}-{n}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        dir
    };
}

/// This thread's scratch folder (reused by every call).
fn scratch() -> PathBuf {
    SCRATCH.with(Clone::clone)
}

/// Writes the files into the scratch folder (removing missing ones).
fn write_folder(files: &[Option<Vec<u8>>; 5]) -> PathBuf {
    let dir = scratch();
    for (kind, f) in RecordKind::ALL.iter().zip(files) {
        let path = dir.join(kind.file_name());
        match f {
            Some(bytes) => std::fs::write(&path, bytes).expect("write scratch file"),
            None => {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    dir
}

// ---------------------------------------------------------------------------
// Oracles: what the csv crate and RFC 4180 say about a file.

/// How a file uses quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quoting {
    /// RFC 4180: quotes only around whole fields, doubled inside, closed.
    Clean,
    /// A quote inside an unquoted field (`O"Brien`).
    MidField,
    /// A quoted field followed by something other than a separator.
    AfterClose,
    /// A quoted field that never closes; it opened at this byte.
    Unterminated(usize),
}

/// Classifies the quoting of a CSV file (`,` separator; `\r`, `\n` end
/// records).
pub fn quoting(bytes: &[u8]) -> Quoting {
    let mut at_start = true;
    let mut found = Quoting::Clean;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if at_start && b == b'"' {
            let open = i;
            i += 1;
            loop {
                match bytes.get(i) {
                    None => return Quoting::Unterminated(open),
                    Some(b'"') if bytes.get(i + 1) == Some(&b'"') => i += 2,
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(_) => i += 1,
                }
            }
            if !matches!(bytes.get(i), None | Some(b',' | b'\n' | b'\r')) && found == Quoting::Clean
            {
                found = Quoting::AfterClose;
            }
            at_start = false;
            continue;
        }
        match b {
            b',' | b'\n' | b'\r' => at_start = true,
            b'"' => {
                if found == Quoting::Clean {
                    found = Quoting::MidField;
                }
                at_start = false;
            }
            _ => at_start = false,
        }
        i += 1;
    }
    found
}

/// A file as the csv crate reads it: the header's column positions (first
/// occurrence, BOM stripped) and the data rows. `None` unless the file is
/// UTF-8 and cleanly quoted.
pub struct CsvOracle {
    /// Position of each SPEC column of the kind, in SPEC order.
    pub positions: Vec<Option<usize>>,
    /// Data rows (header excluded; blank lines are not rows).
    pub rows: Vec<Vec<String>>,
}

impl CsvOracle {
    /// Reads `bytes` as a file of `names` columns.
    pub fn read(bytes: &[u8], names: &[&str]) -> Option<Self> {
        if std::str::from_utf8(bytes).is_err() || quoting(bytes) != Quoting::Clean {
            return None;
        }
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes);
        let mut records = rdr.records();
        let head = match records.next() {
            Some(r) => r.ok()?,
            None => csv::StringRecord::new(),
        };
        let positions = names
            .iter()
            .map(|n| {
                head.iter().enumerate().position(|(i, h)| {
                    let h = if i == 0 {
                        h.strip_prefix('\u{feff}').unwrap_or(h)
                    } else {
                        h
                    };
                    h == *n
                })
            })
            .collect();
        let rows = records
            .map(|r| r.map(|r| r.iter().map(str::to_owned).collect()))
            .collect::<Result<Vec<Vec<String>>, _>>()
            .ok()?;
        Some(Self { positions, rows })
    }

    /// The cell of column `col` (SPEC order) in `row`; "" when absent.
    pub fn cell<'a>(&self, row: &'a [String], col: usize) -> &'a str {
        self.positions
            .get(col)
            .copied()
            .flatten()
            .and_then(|p| row.get(p))
            .map_or("", String::as_str)
    }
}

// ---------------------------------------------------------------------------
// Comparable views of results.

/// Everything a ledger holds, as text (ledgers have no `PartialEq`).
pub fn snapshot(l: &Ledger) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "reps {:?}", l.reps());
    let records = l.to_records();
    for r in &records.prospects {
        let p = l.prospect_of(r.prospect_id.as_str());
        let _ = writeln!(s, "record {r:?} prospect {p:?}");
    }
    for c in &records.contacts {
        let _ = writeln!(s, "contact {c:?}");
    }
    for m in &records.meetings {
        let _ = writeln!(s, "meeting {m:?}");
    }
    for x in &records.sales {
        let _ = writeln!(s, "sale {x:?}");
    }
    let _ = writeln!(s, "rejections {:?}", l.rejections());
    let _ = writeln!(s, "warnings {:?}", l.warnings());
    for k in RecordKind::ALL {
        let _ = writeln!(s, "{k} in {} ok {}", l.input_count(k), l.accepted_count(k));
    }
    s
}

use std::fmt::Write as _;

/// A load's outcome, comparable: the read error, or the build's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The reader failed (file-level error), with its text.
    ReadError(String),
    /// Strict mode refused the rejections (sorted).
    Rejected(Vec<Rejection>),
    /// Another build error.
    BuildError(String),
    /// The ledger's snapshot.
    Built(String),
}

fn sorted(r: &[Rejection]) -> Vec<Rejection> {
    let mut r = r.to_vec();
    r.sort();
    r
}

fn finish(read: sales_metrics::Result<()>, b: LedgerBuilder) -> (Outcome, Option<Ledger>) {
    if let Err(e) = read {
        return (Outcome::ReadError(e.to_string()), None);
    }
    match b.build() {
        Ok(l) => (Outcome::Built(snapshot(&l)), Some(l)),
        Err(Error::Rejected { rejections }) => (Outcome::Rejected(sorted(&rejections)), None),
        Err(e) => (Outcome::BuildError(e.to_string()), None),
    }
}

fn builder(mode: Mode) -> LedgerBuilder {
    let mut b = LedgerBuilder::new();
    b.mode(mode);
    b
}

/// Loads a folder with `read_csv_folder` (the parallel block reader, with
/// its own block sizes: small inputs are one block).
fn load_blocks(dir: &Path, mode: Mode) -> (Outcome, Option<Ledger>) {
    let mut b = builder(mode);
    let read = read_csv_folder(dir, &mut b);
    finish(read, b)
}

/// Loads a folder file by file through the block reader with blocks of
/// about `block_bytes` bytes, so that block boundaries fall everywhere.
fn load_tiny_blocks(
    dir: &Path,
    files: &[Option<Vec<u8>>; 5],
    mode: Mode,
    block_bytes: usize,
) -> (Outcome, Option<Ledger>) {
    let mut b = builder(mode);
    let mut read = Ok(());
    for (kind, f) in RecordKind::ALL.iter().zip(files) {
        let path = dir.join(kind.file_name());
        read = match std::fs::File::open(&path) {
            Ok(_) => read_csv_in_blocks(
                *kind,
                f.as_deref().unwrap_or_default(),
                &path,
                &mut b,
                block_bytes,
            ),
            Err(e) => Err(Error::io(&path, e)),
        };
        if read.is_err() {
            break;
        }
    }
    finish(read, b)
}

/// Loads a folder with `read_csv` file by file (the sequential reader), in
/// the order and with the paths `read_csv_folder` uses.
fn load_sequential(
    dir: &Path,
    files: &[Option<Vec<u8>>; 5],
    mode: Mode,
) -> (Outcome, Option<Ledger>) {
    let mut b = builder(mode);
    let mut read = Ok(());
    for (kind, f) in RecordKind::ALL.iter().zip(files) {
        let path = dir.join(kind.file_name());
        // Opened as `read_csv_folder` opens it, for the same I/O errors.
        read = match std::fs::File::open(&path) {
            Ok(_) => read_csv(*kind, f.as_deref().unwrap_or_default(), &path, &mut b),
            Err(e) => Err(Error::io(&path, e)),
        };
        if read.is_err() {
            break;
        }
    }
    finish(read, b)
}

// ---------------------------------------------------------------------------
// Target: the CSV folder through both readers.

/// The CSV folder target: both readers, strict and lenient (see the module
/// docs for the input form).
pub fn csv_folder(data: &[u8]) {
    let files = split_folder(data);
    let dir = write_folder(&files);
    let (blocks_lenient, ledger) = load_blocks(&dir, Mode::Lenient);
    let (blocks_strict, _) = load_blocks(&dir, Mode::Strict);
    let (seq_lenient, _) = load_sequential(&dir, &files, Mode::Lenient);
    let (seq_strict, _) = load_sequential(&dir, &files, Mode::Strict);
    // Block sizes of 1 to 64 bytes, picked from the input.
    let block_bytes = 1 + data
        .iter()
        .fold(0usize, |h, &b| h.wrapping_mul(31) ^ usize::from(b))
        % 64;
    let (tiny_lenient, _) = load_tiny_blocks(&dir, &files, Mode::Lenient, block_bytes);
    let (tiny_strict, _) = load_tiny_blocks(&dir, &files, Mode::Strict, block_bytes);

    // 1. Both readers give identical results, whatever the block size.
    for (what, a, b) in [
        ("lenient", &blocks_lenient, &seq_lenient),
        ("strict", &blocks_strict, &seq_strict),
        ("lenient, tiny blocks", &tiny_lenient, &seq_lenient),
        ("strict, tiny blocks", &tiny_strict, &seq_strict),
    ] {
        if a != b {
            let report = || format!("{what}: read_csv_folder {a:?}\nread_csv {b:?}");
            match reader_mismatch_defect(&files, a, b) {
                Some(d) => known(d, report),
                None => panic!(
                    "readers disagree ({what}), not a listed defect: {}",
                    report()
                ),
            }
        }
    }

    // 2. Strict and lenient agree on what is bad.
    check_strict_vs_lenient(&blocks_strict, &blocks_lenient);
    check_rejections_agree(&blocks_strict, ledger.as_ref());

    // 3. A quote that never closes is a file-level error (defect 1).
    for (kind, f) in RecordKind::ALL.iter().zip(&files) {
        if let Some(bytes) = f
            && let Quoting::Unterminated(at) = quoting(bytes)
            && !matches!(blocks_lenient, Outcome::ReadError(_))
        {
            known(1, || {
                format!("{kind}: quote opened at byte {at} never closes, yet the load succeeded")
            });
        }
    }

    // 4. Counts: accepted + rejected = input = data rows.
    if let Some(l) = &ledger {
        check_counts(l, &files);
        check_field_fidelity(l, &files);
    }
}

/// Which listed defect explains a disagreement between the readers.
fn reader_mismatch_defect(files: &[Option<Vec<u8>>; 5], a: &Outcome, b: &Outcome) -> Option<u8> {
    let any = |p: &dyn Fn(&[u8]) -> bool| files.iter().flatten().any(|f| p(f));
    if let (Outcome::ReadError(x), Outcome::ReadError(y)) = (a, b)
        && x.contains("invalid UTF-8")
        && y.contains("invalid UTF-8")
        && any(&|f| f.contains(&b'\r'))
    {
        return Some(13);
    }
    if any(&|f| matches!(quoting(f), Quoting::Unterminated(_))) {
        return Some(1);
    }
    if any(&|f| matches!(quoting(f), Quoting::MidField | Quoting::AfterClose)) {
        return Some(2);
    }
    None
}

fn check_strict_vs_lenient(strict: &Outcome, lenient: &Outcome) {
    match (strict, lenient) {
        (Outcome::ReadError(s), Outcome::ReadError(l)) => {
            assert_eq!(s, l, "a file-level error must not depend on the mode");
        }
        (Outcome::Rejected(s), Outcome::Built(_)) => {
            // Which rejections: see `check_rejections_agree`.
            assert!(!s.is_empty(), "strict refused with no rejection");
        }
        (Outcome::Built(s), Outcome::Built(l)) => {
            assert_eq!(s, l, "strict accepted all, lenient must load the same");
        }
        (s, l) => panic!("strict and lenient disagree: strict {s:?}\nlenient {l:?}"),
    }
}

/// Strict refuses exactly the lenient rejections.
fn check_rejections_agree(strict: &Outcome, lenient: Option<&Ledger>) {
    match (strict, lenient) {
        (Outcome::Rejected(s), Some(l)) => {
            assert_eq!(s, &sorted(l.rejections()), "strict lists other rejections");
        }
        (Outcome::Built(_), Some(l)) => {
            assert!(
                l.rejections().is_empty(),
                "strict accepted, lenient rejected"
            );
        }
        _ => {}
    }
}

fn check_counts(l: &Ledger, files: &[Option<Vec<u8>>; 5]) {
    for (kind, f) in RecordKind::ALL.iter().zip(files) {
        let rejected = l.rejections().iter().filter(|r| r.kind == *kind).count() as u64;
        let input = l.input_count(*kind);
        assert_eq!(
            l.accepted_count(*kind) + rejected,
            input,
            "{kind}: accepted + rejected != input"
        );
        let mut rows: Vec<u64> = l
            .rejections()
            .iter()
            .filter(|r| r.kind == *kind)
            .map(|r| r.row)
            .collect();
        assert!(
            rows.iter().all(|r| (1..=input).contains(r)),
            "{kind}: rejection row out of range"
        );
        rows.sort_unstable();
        rows.dedup();
        assert_eq!(
            rows.len() as u64,
            rejected,
            "{kind}: two rejections for one row"
        );
        let Some(bytes) = f else { continue };
        if let Some(oracle) = CsvOracle::read(bytes, column_names(*kind)) {
            assert_eq!(
                input,
                oracle.rows.len() as u64,
                "{kind}: input count differs from the csv crate's row count"
            );
        }
    }
}

/// Accepted contacts and sales hold exactly the values of a row with their
/// id (no sentinel may turn a written value into "absent").
fn check_field_fidelity(l: &Ledger, files: &[Option<Vec<u8>>; 5]) {
    let oracle = |kind: RecordKind| {
        files
            .get(RecordKind::ALL.iter().position(|k| *k == kind)?)?
            .as_deref()
            .and_then(|b| CsvOracle::read(b, column_names(kind)))
    };
    if let Some(o) = oracle(RecordKind::Contact) {
        let mut by_id: HashMap<&str, Vec<&Vec<String>>> = HashMap::new();
        for r in &o.rows {
            by_id.entry(o.cell(r, 0)).or_default().push(r);
        }
        for c in &l.to_records().contacts {
            let id = c.contact_id.as_str();
            let opt_int = |s: &str| if s.is_empty() { None } else { parse_i64(s) };
            let opt_time = |s: &str| {
                if s.is_empty() {
                    None
                } else {
                    parse_time_micros(s)
                }
            };
            let rows = by_id.get(id).map_or(&[][..], Vec::as_slice);
            let matches = rows.iter().any(|r| {
                parse_time_micros(o.cell(r, 3)) == Some(c.occurred_at.timestamp_micros())
                    && opt_time(o.cell(r, 4)) == c.logged_at.map(|t| t.timestamp_micros())
                    && opt_int(o.cell(r, 7)) == c.duration_s
            });
            if !matches {
                let raw: Vec<&str> = rows.iter().map(|r| o.cell(r, 7)).collect();
                let report =
                    || format!("contact {id:?} accepted as {c:?}; rows' duration_s {raw:?}");
                if raw.iter().any(|d| parse_i64(d) == Some(i64::MIN)) {
                    known(8, report);
                } else {
                    panic!(
                        "accepted contact differs from every row with its id: {}",
                        report()
                    );
                }
            }
        }
    }
    if let Some(o) = oracle(RecordKind::Sale) {
        let mut by_id: HashMap<&str, Vec<&Vec<String>>> = HashMap::new();
        for r in &o.rows {
            by_id.entry(o.cell(r, 0)).or_default().push(r);
        }
        for s in &l.to_records().sales {
            let id = s.sale_id.as_str();
            let opt_int = |x: &str| if x.is_empty() { None } else { parse_i64(x) };
            let rows = by_id.get(id).map_or(&[][..], Vec::as_slice);
            let matches = rows.iter().any(|r| {
                parse_time_micros(o.cell(r, 3)) == Some(s.closed_at.timestamp_micros())
                    && opt_int(o.cell(r, 4)) == s.amount_minor
                    && o.cell(r, 5) == s.currency.as_deref().unwrap_or("")
            });
            if !matches {
                let raw: Vec<&str> = rows.iter().map(|r| o.cell(r, 4)).collect();
                let report =
                    || format!("sale {id:?} accepted as {s:?}; rows' amount_minor {raw:?}");
                if raw.iter().any(|d| parse_i64(d) == Some(i64::MIN)) {
                    known(8, report);
                } else {
                    panic!(
                        "accepted sale differs from every row with its id: {}",
                        report()
                    );
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Target: the JSON reader.

/// The JSON target: `read_json` strict and lenient.
pub fn json(data: &[u8]) {
    let run = |mode: Mode| {
        let mut b = builder(mode);
        let read = read_json(data, Path::new("records.json"), &mut b);
        finish(read, b)
    };
    let (lenient, ledger) = run(Mode::Lenient);
    let (strict, _) = run(Mode::Strict);
    check_strict_vs_lenient(&strict, &lenient);
    check_rejections_agree(&strict, ledger.as_ref());
    // Not JSON at all: the reader must say so.
    let parsed = serde_json::from_slice::<serde_json::Value>(data);
    if parsed.is_err() && !matches!(lenient, Outcome::ReadError(_)) {
        let report = || format!("malformed JSON accepted: {lenient:?}");
        if std::str::from_utf8(data).is_err() {
            // Invalid UTF-8 inside the value of an ignored key passes
            // (serde_json skips ignored strings unchecked).
            finding("json-ignored-invalid-utf8", report);
        } else {
            panic!("{}", report());
        }
    }
    let Some(l) = ledger else { return };
    for kind in RecordKind::ALL {
        let rejected = l.rejections().iter().filter(|r| r.kind == kind).count() as u64;
        assert_eq!(
            l.accepted_count(kind) + rejected,
            l.input_count(kind),
            "{kind}: accepted + rejected != input"
        );
        // Records = array length under the kind's key.
        if let Ok(serde_json::Value::Object(doc)) = &parsed {
            let key = match kind {
                RecordKind::Rep => "reps",
                RecordKind::Prospect => "prospects",
                RecordKind::Contact => "contacts",
                RecordKind::Meeting => "meetings",
                RecordKind::Sale => "sales",
            };
            let n = doc
                .get(key)
                .and_then(serde_json::Value::as_array)
                .map_or(0, Vec::len);
            assert_eq!(
                l.input_count(kind),
                n as u64,
                "{kind}: input != array length"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Target: the partition file.

/// The partition target: `SuppliedPartition::from_csv` and `SuppliedPartition::from_file`
/// against the csv crate, then a small fixed ledger built with it.
pub fn partition(data: &[u8]) {
    let path = scratch().join("prospect_clusters.csv");
    std::fs::write(&path, data).expect("write scratch file");
    let from_file = SuppliedPartition::from_file(&path);
    let from_bytes = SuppliedPartition::from_csv(data, &path);
    let text = |r: &sales_metrics::Result<sales_metrics::SuppliedPartition>| match r {
        Ok(p) => format!("{:?}", p.iter().collect::<Vec<_>>()),
        Err(e) => format!("error: {e}"),
    };
    assert_eq!(
        text(&from_file),
        text(&from_bytes),
        "the two partition readers differ"
    );
    if let Quoting::Unterminated(at) = quoting(data)
        && from_file.is_ok()
    {
        known(1, || {
            format!("partition: quote opened at byte {at} never closes, yet it loaded")
        });
    }
    if let Some(o) = CsvOracle::read(data, &["prospect_id", "cluster_id"])
        && o.positions.iter().all(Option::is_some)
    {
        let pairs: Vec<(String, String)> = o
            .rows
            .iter()
            .map(|r| (o.cell(r, 0).to_owned(), o.cell(r, 1).to_owned()))
            .collect();
        let any_empty = pairs.iter().any(|(a, b)| a.is_empty() || b.is_empty());
        match &from_file {
            Ok(p) => {
                assert!(!any_empty, "a row with an empty cell was accepted");
                let got: Vec<(String, String)> = p
                    .iter()
                    .map(|(a, b)| (a.to_owned(), b.to_owned()))
                    .collect();
                assert_eq!(got, pairs, "partition differs from the csv crate's rows");
            }
            Err(e) => assert!(any_empty, "clean partition refused: {e}"),
        }
    }
    let Ok(p) = from_file else { return };
    let mut b = fixed_ledger_builder();
    b.partition(p.clone());
    let l = b
        .build()
        .expect("the fixed ledger builds with any partition");
    // Every record in exactly one prospect; records sharing a label share
    // a prospect.
    let mut label_prospect: HashMap<&str, &str> = HashMap::new();
    let mut listed: HashMap<&str, &str> = HashMap::new();
    for (id, label) in p.iter() {
        listed.entry(id).or_insert(label);
    }
    use sales_metrics::dedup::RecordSource;
    let source = l.record_source();
    for id in (0..source.len()).map(|i| source.id(i)) {
        let prospect = l.prospect_of(id).expect("every record has a prospect");
        assert!(l.records_of(prospect).any(|x| x == id));
        if let Some(label) = listed.get(id) {
            let first = *label_prospect.entry(label).or_insert(prospect);
            assert_eq!(
                first, prospect,
                "records of group {label:?} in two prospects"
            );
        }
    }
    let c = classify(&l, &ClassifyConfig::default());
    let rep = c
        .period_report(&Scope::all(), &PeriodSpec::monthly())
        .expect("report");
    let total: u64 = rep.rows.iter().map(|r| r.counts.contacts).sum();
    assert_eq!(total, l.accepted_count(RecordKind::Contact));
}

fn fixed_ledger_builder() -> LedgerBuilder {
    let t0 = chrono::DateTime::from_timestamp(1_780_304_400, 0).unwrap_or_default();
    let mut b = LedgerBuilder::new();
    b.mode(Mode::Lenient);
    b.add_rep(Rep::new("ana"));
    for (k, p) in ["p00001", "p00002", "p00003", "p1", "p2"]
        .iter()
        .enumerate()
    {
        b.add_prospect(ProspectRecord::new(*p));
        b.add_contact(Contact::new(
            format!("c{k}"),
            "ana",
            *p,
            t0 + chrono::Duration::days(k as i64),
            Channel::Phone,
        ));
    }
    b
}

// ---------------------------------------------------------------------------
// Target: the time and integer parsers.

/// The time target: `parse_time_micros` against chrono's RFC 3339 parser,
/// `parse_i64` against `str::parse`.
pub fn time(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    let ours = parse_time_micros(&s);
    let chrono = chrono::DateTime::parse_from_rfc3339(&s)
        .ok()
        .map(|t| t.timestamp_micros());
    match (ours, chrono) {
        (Some(a), b) => {
            assert_eq!(Some(a), b, "{s:?}: we accept what chrono reads otherwise");
            // The canonical form reads back (years 0000-9999 only).
            let text = format_time_micros(a);
            if !text.starts_with(['+', '-']) {
                assert_eq!(
                    parse_time_micros(&text),
                    Some(a),
                    "{text:?} does not read back"
                );
            }
        }
        (None, Some(_)) => {
            // Documented differences: leap seconds and U+2212. Chrono also
            // reads "T"/"t"/" " and ","? Anything else is a new finding.
            assert!(
                s.contains(":60") || s.contains('\u{2212}'),
                "{s:?}: chrono reads it, we refuse it"
            );
        }
        (None, None) => {}
    }
    assert_eq!(
        parse_i64(&s),
        s.parse::<i64>().ok(),
        "{s:?}: parse_i64 differs from str::parse"
    );
}

// ---------------------------------------------------------------------------
// Target: the dedup normalisers.

/// Countries handed to the phone normaliser, picked by the first byte.
const COUNTRIES: &[Option<&str>] = &[
    None,
    Some("RO"),
    Some("US"),
    Some("DE"),
    Some("ro"),
    Some("România"),
    Some("GB"),
    Some("xx"),
];

/// The dedup normaliser target: no panic; canonical forms are fixed
/// points.
pub fn dedup_normalize(data: &[u8]) {
    use sales_metrics::dedup::FieldKind;
    // Each normaliser through its kind's public comparator.
    fn norm_of(kind: FieldKind, country: Option<&'static str>) -> impl Fn(&str) -> Option<String> {
        let c = kind.comparator();
        move |raw: &str| c.normalize(raw, country)
    }
    let folded = norm_of(FieldKind::Text, None);
    let folded = |raw: &str| folded(raw).unwrap_or_default();
    let country = data
        .first()
        .and_then(|b| COUNTRIES.get(usize::from(*b) % COUNTRIES.len()))
        .copied()
        .flatten();
    let s = String::from_utf8_lossy(data);
    let f = folded(&s);
    // fold: lower-case tokens separated by single spaces.
    assert!(
        !f.starts_with(' ') && !f.ends_with(' ') && !f.contains("  "),
        "fold({s:?}) = {f:?}"
    );
    assert!(
        !f.bytes()
            .any(|b| b.is_ascii_uppercase() || b.is_ascii_punctuation()),
        "fold({s:?}) = {f:?}"
    );
    assert_eq!(folded(&f), f, "fold is not idempotent on {s:?}");
    for (name, kind) in [
        ("person_name", FieldKind::PersonName),
        ("name_part", FieldKind::GivenName),
        ("company", FieldKind::Company),
        ("email", FieldKind::Email),
        ("city", FieldKind::City),
        ("postcode", FieldKind::Postcode),
        ("identifier", FieldKind::Id),
        ("date", FieldKind::Date),
        ("text", FieldKind::Text),
    ] {
        let norm = norm_of(kind, None);
        if let Some(x) = norm(&s) {
            assert!(!x.is_empty(), "{name}({s:?}) is Some(\"\")");
            let again = norm(&x);
            if again.as_deref() != Some(x.as_str()) {
                let report = || format!("{name}({s:?}) = {x:?}, {name}({x:?}) = {again:?}");
                let letters = x
                    .split(' ')
                    .collect::<Vec<_>>()
                    .windows(2)
                    .any(|w| w.iter().all(|t| t.chars().count() == 1));
                if name == "email" {
                    // `mailto:` is stripped only in lower case and before
                    // `<`; `<>` are trimmed before the domain's final dots.
                    finding("email-not-canonical", report);
                } else if name == "company" && letters {
                    // A connector dropped between one-letter tokens
                    // (`B si Q`) leaves `b q`, which joins to `bq` next time.
                    finding("company-letters", report);
                } else {
                    panic!("not idempotent: {}", report());
                }
            }
        }
    }
    let phone = norm_of(FieldKind::Phone, country);
    if let Some(p) = phone(&s) {
        assert!(
            p.bytes().all(|b| b.is_ascii_digit()),
            "phone({s:?}) = {p:?}"
        );
        if p.len() < 5 {
            // "fewer than 5 digits is no phone", yet `00` + 3 digits
            // gives a 3-digit phone.
            finding("phone-short", || {
                format!("phone({s:?}, {country:?}) = {p:?}")
            });
            return;
        }
        assert_eq!(
            phone(&format!("+{p}")),
            Some(p.clone()),
            "+phone is not a fixed point"
        );
    }
    let _ = FieldKind::Email.comparator().is_generic(&f);
    let name = FieldKind::PersonName.comparator();
    let mut keys = Vec::new();
    for t in f.split(' ') {
        name.block_keys(t, &mut keys);
    }
}

// ---------------------------------------------------------------------------
// Target: the report pipeline end to end.

/// Time zones the pipeline target runs in, picked from the input.
const ZONES: &[&str] = &[
    "UTC",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "America/St_Johns",
    "Europe/Bucharest",
    "Asia/Kathmandu",
];

/// The pipeline target: a CSV folder (as for [`csv_folder`]) loaded in
/// lenient mode, classified, every report for every granularity, survival,
/// every built-in detector and every writer.
pub fn pipeline(data: &[u8]) {
    let files = split_folder(data);
    let dir = write_folder(&files);
    let mut b = builder(Mode::Lenient);
    if read_csv_folder(&dir, &mut b).is_err() {
        return;
    }
    let Ok(l) = b.build() else { return };
    let span_days = l.time_span().map_or(0, |(lo, hi)| (hi - lo).num_days());
    let seed = data.iter().fold(0usize, |h, &b| {
        h.wrapping_mul(31).wrapping_add(usize::from(b))
    });
    let zone = ZONES.get(seed % ZONES.len()).copied().unwrap_or("UTC");
    let extreme = has_extreme_time(&l);
    let durations: u128 = l
        .to_records()
        .contacts
        .iter()
        .filter_map(|c| c.duration_s)
        .map(|d| d as u128)
        .sum();
    let overflow = durations > i64::MAX as u128;
    let wide = span_days > SPAN_DAYS_WHILE_DEFECT_5;
    if wide && !all_checks() {
        // Defect 5: each report walks every day of the span; a span of
        // centuries takes seconds to minutes. Count it and stop here.
        known(5, || format!("calendar span of {span_days} days"));
        return;
    }
    let attribution = || {
        if overflow {
            Some(7)
        } else if extreme {
            Some(11)
        } else {
            None
        }
    };
    let Some(c) = guard(|| classify(&l, &ClassifyConfig::default()), attribution) else {
        return;
    };
    write_tables(&l, &c);
    for g in [
        Granularity::Day,
        Granularity::IsoWeek,
        Granularity::Month,
        Granularity::Quarter,
        Granularity::Year,
    ] {
        for z in ["UTC", zone] {
            let spec = PeriodSpec::new(g).in_zone_named(z).expect("known zone");
            let done = guard(|| run_reports(&l, &c, &spec, durations), attribution);
            if done.is_none() {
                return;
            }
        }
    }
    let _ = guard(
        || {
            let first = l.time_span().map(|(lo, _)| lo);
            for as_of in [None, Some(chrono::DateTime::UNIX_EPOCH), first] {
                let w = c.time_to_win(&Scope::all(), as_of).expect("scope all");
                let m = c
                    .time_to_first_meeting(&Scope::all(), as_of)
                    .expect("scope all");
                for curve in [w, m] {
                    check_table_csv(&curve.table());
                    check_table_csv(&curve.full_table());
                }
            }
        },
        attribution,
    );
}

/// An event within two days of the ends of years 0000-9999.
fn has_extreme_time(l: &Ledger) -> bool {
    const LO: i64 = -62_167_219_200_000_000 + 2 * 86_400_000_000;
    const HI: i64 = 253_402_300_799_999_999 - 2 * 86_400_000_000;
    l.time_span()
        .is_some_and(|(lo, hi)| lo.timestamp_micros() < LO || hi.timestamp_micros() > HI)
}

fn run_reports(l: &Ledger, c: &sales_metrics::Classified, spec: &PeriodSpec, durations: u128) {
    let rep = c.period_report(&Scope::all(), spec).expect("scope all");
    let sum = |f: &dyn Fn(&sales_metrics::report::PeriodRow) -> u64| -> u128 {
        rep.rows.iter().map(|r| u128::from(f(r))).sum()
    };
    assert_eq!(
        sum(&|r| r.counts.contacts),
        u128::from(l.accepted_count(RecordKind::Contact)),
        "period report contacts"
    );
    assert_eq!(
        sum(&|r| r.counts.contacts_by_class.iter().sum()),
        u128::from(l.accepted_count(RecordKind::Contact)),
        "contacts by class"
    );
    assert_eq!(
        sum(&|r| r.counts.sales),
        u128::from(l.accepted_count(RecordKind::Sale)),
        "period report sales"
    );
    assert_eq!(
        sum(&|r| r.counts.meetings_held + r.counts.meetings_no_show + r.counts.meetings_cancelled),
        u128::from(l.accepted_count(RecordKind::Meeting)),
        "period report meetings"
    );
    let seconds: u128 = rep
        .rows
        .iter()
        .flat_map(|r| r.counts.seconds_by_class.iter())
        .map(|&s| u128::try_from(s).unwrap_or(u128::MAX))
        .sum();
    if seconds != durations {
        let report = || format!("seconds {seconds} != durations {durations}");
        if durations > i64::MAX as u128 {
            known(7, report);
        } else {
            panic!("period report time: {}", report());
        }
    }
    for r in &rep.rows {
        if !label_is_canonical(&r.period) {
            known(12, || format!("period label {:?}", r.period));
        }
    }
    check_table_csv(&rep.table());
    check_table_csv(&rep.revenue_table());
    check_table_csv(&rep.time_table());
    let coh = c.cohort_report(&Scope::all(), spec).expect("scope all");
    check_table_csv(&coh.table());
    check_table_csv(&coh.extended_table());
    for bd in [
        c.breakdown(&Scope::all(), spec, BreakdownBy::Channel)
            .expect("scope all"),
        c.breakdown(&Scope::all(), spec, BreakdownBy::Source)
            .expect("scope all"),
    ] {
        let _ = bd.totals();
    }
    let cfg = DetectConfig {
        periods: spec.clone(),
        ..DetectConfig::default()
    };
    let ctx = detect::DetectContext::new(c, &cfg).expect("detectors");
    let findings = detect::detect(&ctx, &detect::by_names(["all"]).expect("built-in names"));
    check_table_csv(&findings.table());
}

/// A period label's year is four digits, or signed with at least four.
fn label_is_canonical(label: &str) -> bool {
    let (sign, rest) = match label.as_bytes().first() {
        Some(b'+' | b'-') => (true, label.get(1..).unwrap_or("")),
        _ => (false, label),
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if sign { digits >= 4 } else { digits == 4 }
}

/// The table written as CSV reads back with as many rows and columns, and
/// as JSON parses.
fn check_table_csv(t: &Table) {
    let mut out = Vec::new();
    t.write_csv(&mut out).expect("write to memory");
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(out.as_slice());
    let rows: Vec<csv::StringRecord> = rdr
        .records()
        .collect::<Result<_, _>>()
        .expect("own CSV reads back");
    assert_eq!(rows.len(), t.rows.len(), "CSV rows");
    assert!(
        rows.iter().all(|r| r.len() == t.columns.len()),
        "CSV columns"
    );
    let mut json = Vec::new();
    t.write_json(&mut json).expect("write to memory");
    let v: serde_json::Value = serde_json::from_slice(&json).expect("own JSON parses");
    assert_eq!(v.as_array().map(Vec::len), Some(t.rows.len()), "JSON rows");
}

/// The ledger-wide tables, written to memory and read back.
fn write_tables(l: &Ledger, c: &sales_metrics::Classified) {
    let mut out = Vec::new();
    c.write_classes_csv(&mut out).expect("write to memory");
    let ids: Vec<String> = csv::Reader::from_reader(out.as_slice())
        .records()
        .map(|r| r.map(|r| r.get(0).unwrap_or("").to_owned()))
        .collect::<Result<_, _>>()
        .expect("contact_classes.csv reads back");
    let records = l.to_records();
    let want: Vec<&str> = records
        .contacts
        .iter()
        .map(|c| c.contact_id.as_str())
        .collect();
    assert_eq!(ids, want, "contact_classes.csv ids");
    let mut json = Vec::new();
    c.write_classes_json(&mut json).expect("write to memory");
    let v: serde_json::Value = serde_json::from_slice(&json).expect("contact_classes.json parses");
    assert_eq!(v.as_array().map(Vec::len), Some(records.contacts.len()));

    let mut out = Vec::new();
    l.write_prospect_clusters_csv(&mut out)
        .expect("write to memory");
    let p = SuppliedPartition::from_csv(out.as_slice(), Path::new("prospect_clusters.csv"))
        .expect("written partition reads back");
    assert_eq!(
        p.len() as u64,
        l.accepted_count(RecordKind::Prospect),
        "prospect_clusters.csv rows"
    );

    let mut out = Vec::new();
    Rejections(l.rejections())
        .write_csv(&mut out)
        .expect("write to memory");
    let n = csv::Reader::from_reader(out.as_slice()).records().count();
    assert_eq!(n, l.rejections().len(), "rejections.csv rows");
    let mut json = Vec::new();
    Rejections(l.rejections())
        .write_json(&mut json)
        .expect("write to memory");
    let back: Vec<Rejection> = serde_json::from_slice(&json).expect("rejections.json reads back");
    // Written sorted by kind text and row (documented).
    assert_eq!(
        sorted(&back),
        sorted(l.rejections()),
        "rejections.json round trip"
    );
}

/// A fuzz target: panics when an invariant fails.
pub type Target = fn(&[u8]);

/// Every target by name, for harnesses.
pub const TARGETS: &[(&str, Target)] = &[
    ("csv_folder", csv_folder),
    ("json", json),
    ("partition", partition),
    ("time", time),
    ("dedup_normalize", dedup_normalize),
    ("pipeline", pipeline),
];

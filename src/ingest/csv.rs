//! CSV readers: the SPEC §2 folder and the `prospect_clusters.csv`
//! partition of SPEC §11.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use ::csv::{ErrorKind, ReaderBuilder, StringRecord};

use super::scan::{At, Tracked};
use super::sink::RecordSink;
use super::{Cell, MAX_COLUMNS, columns, process_row};
use crate::error::{Error, Result};
use crate::model::RecordKind;

/// Large enough that the parser rarely refills (the default is 8 KiB).
const BUFFER_BYTES: usize = 256 * 1024;

pub(super) fn csv_reader<R: Read>(reader: R) -> ::csv::Reader<R> {
    ReaderBuilder::new()
        // The header is read by hand: its BOM and missing columns are ours
        // to report, and data rows are counted from 1 after it.
        .has_headers(false)
        // Short or long rows read missing cells as empty.
        .flexible(true)
        .buffer_capacity(BUFFER_BYTES)
        .from_reader(reader)
}

/// The csv crate's parser over a [`Tracked`] source: records with the
/// exact line and byte where each starts, and an error for a quoted field
/// that never closes (which the parser itself accepts, swallowing the rest
/// of the input into one field).
pub(crate) struct RecordReader<R: Read> {
    rdr: ::csv::Reader<Tracked<R>>,
    /// File offset of the source's first byte.
    origin: u64,
}

impl<R: Read> RecordReader<R> {
    /// Parses a whole file from its start.
    pub(crate) fn file(reader: R) -> Self {
        Self {
            rdr: csv_reader(Tracked::file(reader)),
            origin: 0,
        }
    }

    /// Parses a block of whole records that starts at file byte `offset`
    /// (lines in positions count from 1 at the block's start).
    pub(super) fn block(reader: R, offset: u64) -> Self {
        Self {
            rdr: csv_reader(Tracked::block(reader, offset)),
            origin: offset,
        }
    }

    /// The file offset just past the last record read.
    pub(crate) fn consumed(&self) -> u64 {
        self.origin + self.rdr.position().byte()
    }

    /// Reads the next record into `record`; returns where it starts, or
    /// `None` at the end of the input.
    ///
    /// # Errors
    /// [`Error::Malformed`] naming `path` on invalid UTF-8 (with the
    /// record's line and byte) or on a quoted field still open at the end
    /// of the input (with the line and byte of its opening quote);
    /// [`Error::Io`] when reading fails.
    pub(crate) fn next(&mut self, record: &mut StringRecord, path: &Path) -> Result<Option<At>> {
        let read = self.rdr.read_record(record);
        let consumed = self.consumed();
        let origin = self.origin;
        let at = |p: &::csv::Position| At {
            byte: origin + p.byte(),
            line: p.line(),
        };
        let tracked = self.rdr.get_mut();
        if let Some(open) = tracked.unterminated(consumed) {
            return Err(unterminated_quote(path, open));
        }
        match read {
            Ok(false) => Ok(None),
            // The scan finds every record the parser does; the parser's own
            // position (where it began reading) is only a fallback.
            Ok(true) => {
                let parsed = record.position().map(at);
                Ok(tracked.next_start().or(parsed))
            }
            Err(e) => {
                let start = tracked.next_start();
                let start = start.or_else(|| e.position().map(at));
                Err(csv_error(e, path, start))
            }
        }
    }
}

/// The error for a quoted field whose opening quote at `open` is never
/// closed: the parser would read the rest of the file into that field.
pub(crate) fn unterminated_quote(path: &Path, open: At) -> Error {
    Error::Malformed {
        path: path.to_owned(),
        position: format!(
            "quoted field starting at line {}, byte {}",
            open.line, open.byte
        ),
        message: "unterminated quote: the field's closing quote is missing, so it would \
                  swallow the rest of the file"
            .to_owned(),
    }
}

/// The error for invalid UTF-8 in field `field` (0-based) of the record
/// starting at `start`, after `valid` valid bytes of the field.
pub(super) fn utf8_error(path: &Path, start: Option<At>, field: usize, valid: usize) -> Error {
    Error::Malformed {
        path: path.to_owned(),
        position: format!(
            "record starting at {}, field {} after {valid} valid bytes",
            start_text(start),
            field + 1,
        ),
        message: "invalid UTF-8".to_owned(),
    }
}

fn start_text(start: Option<At>) -> String {
    start.map_or_else(
        || "unknown position".to_owned(),
        |s| format!("line {}, byte {}", s.line, s.byte),
    )
}

/// Turns a csv error for the record starting at `start` into the crate's:
/// I/O stays I/O, the rest (invalid UTF-8 above all) is `Malformed` with
/// the record's line and byte offset.
fn csv_error(err: ::csv::Error, path: &Path, start: Option<At>) -> Error {
    match err.into_kind() {
        ErrorKind::Io(source) => Error::io(path, source),
        ErrorKind::Utf8 { err, .. } => utf8_error(path, start, err.field(), err.valid_up_to()),
        other => Error::Malformed {
            path: path.to_owned(),
            position: start_text(start),
            message: format!("{other:?}"),
        },
    }
}

/// Reads the header row and maps each wanted column to its position in
/// the file (first occurrence wins; a BOM before the first name is
/// ignored). `None` for an empty file.
pub(super) fn read_header<R: Read>(
    rdr: &mut RecordReader<R>,
    record: &mut StringRecord,
    wanted: &[&str],
    path: &Path,
) -> Result<Option<[Option<usize>; MAX_COLUMNS]>> {
    if rdr.next(record, path)?.is_none() {
        return Ok(None);
    }
    let mut positions = [None; MAX_COLUMNS];
    for (i, name) in record.iter().enumerate() {
        let name = if i == 0 {
            name.strip_prefix('\u{feff}').unwrap_or(name)
        } else {
            name
        };
        for (slot, w) in positions.iter_mut().zip(wanted) {
            if slot.is_none() && *w == name {
                *slot = Some(i);
            }
        }
    }
    Ok(Some(positions))
}

/// Reads one SPEC §2 CSV file of `kind` into `builder`.
///
/// The header row names the columns (exactly, case and spaces included;
/// when a name repeats, its first column counts); unknown columns are
/// ignored, optional ones may be absent, and rows shorter or longer than
/// the header read missing cells as empty. An empty cell is an absent value; a cell of
/// spaces is a value. Rows are numbered from 1 after the header (a quoted
/// field holding a newline is still one row; blank lines are not rows).
///
/// `source_name` only names the input in errors.
///
/// # Errors
/// - [`Error::MissingColumn`] when the header (or an empty file) lacks a
///   required column;
/// - [`Error::Malformed`] on invalid UTF-8, with the line and byte offset
///   of the record, and on a quoted field that is never closed (a quote
///   opening a field with no closing quote before the end of the file),
///   with the line and byte offset of its opening quote;
/// - [`Error::Io`] when reading fails.
///
/// Rows read before such an error stay in `builder`.
///
/// # Example
/// ```
/// use std::path::Path;
/// use sales_metrics::{ingest::read_csv, LedgerBuilder, RecordKind};
///
/// let mut b = LedgerBuilder::new();
/// let csv = "\u{feff}rep_id,name,notes\nana,Ana Popescu,likes tea\n";
/// read_csv(RecordKind::Rep, csv.as_bytes(), Path::new("reps.csv"), &mut b)?;
/// let ledger = b.build()?;
/// assert_eq!(ledger.reps()[0].name.as_deref(), Some("Ana Popescu"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_csv(
    kind: RecordKind,
    reader: impl Read,
    source_name: &Path,
    builder: &mut (impl RecordSink + ?Sized),
) -> Result<()> {
    let schema = columns(kind);
    let mut names = [""; MAX_COLUMNS];
    for (n, c) in names.iter_mut().zip(schema) {
        *n = c.name;
    }
    let mut rdr = RecordReader::file(reader);
    let mut record = StringRecord::new();
    let positions = read_header(
        &mut rdr,
        &mut record,
        names.get(..schema.len()).unwrap_or(&[]),
        source_name,
    )?;
    let positions = positions.unwrap_or([None; MAX_COLUMNS]);
    for (c, p) in schema.iter().zip(&positions) {
        if c.required && p.is_none() {
            return Err(Error::MissingColumn {
                path: source_name.to_owned(),
                column: c.name.to_owned(),
            });
        }
    }
    let n = schema.len();
    let mut row: u64 = 0;
    while rdr.next(&mut record, source_name)?.is_some() {
        row += 1;
        let mut cells = [Cell::Absent; MAX_COLUMNS];
        for (cell, p) in cells.iter_mut().zip(&positions) {
            *cell = match p.and_then(|p| record.get(p)) {
                Some(s) if !s.is_empty() => Cell::Text(s),
                _ => Cell::Absent,
            };
        }
        process_row(kind, row, cells.get(..n).unwrap_or(&[]), builder);
    }
    Ok(())
}

/// Reads a SPEC §2 folder: `reps.csv`, `prospects.csv`, `contacts.csv`,
/// `meetings.csv` and `sales.csv` (see [`RecordKind::file_name`]), each
/// with [`read_csv`].
///
/// # Errors
/// [`Error::Io`] naming the file when one is missing or unreadable; those
/// of [`read_csv`].
///
/// # Example
/// ```
/// use sales_metrics::{ingest::read_csv_folder, Error, LedgerBuilder};
///
/// let missing = std::env::temp_dir().join("sm-no-such-folder-for-doc");
/// let result = read_csv_folder(&missing, &mut LedgerBuilder::new());
/// assert!(matches!(result, Err(Error::Io { path, .. }) if path.ends_with("reps.csv")));
/// ```
pub fn read_csv_folder(
    dir: impl AsRef<Path>,
    builder: &mut (impl RecordSink + ?Sized),
) -> Result<()> {
    let dir = dir.as_ref();
    for kind in RecordKind::ALL {
        let path = dir.join(kind.file_name());
        let file = File::open(&path).map_err(|e| Error::io(&path, e))?;
        let size = file.metadata().ok().map(|m| m.len());
        let block_bytes = super::blocks::block_bytes_for(size);
        read_file_of(kind, file, &path, builder, block_bytes, size)?;
    }
    Ok(())
}

/// Reads one SPEC §2 CSV file of `kind` into `builder` as
/// [`read_csv_folder`] reads it (prospect records, contacts, meetings and
/// sales cut into blocks parsed in parallel, reps with [`read_csv`]), with
/// blocks of about `block_bytes` bytes.
///
/// For tests and the `fuzzing` feature: they put block boundaries
/// everywhere and check that the result is [`read_csv`]'s.
///
/// # Errors
/// Those of [`read_csv`].
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn read_csv_in_blocks(
    kind: RecordKind,
    reader: impl Read + Send,
    source_name: &Path,
    builder: &mut (impl RecordSink + ?Sized),
    block_bytes: usize,
) -> Result<()> {
    read_file_of(kind, reader, source_name, builder, block_bytes, None)
}

/// Reads one file of `kind` into `sink`: prospect records and events (the
/// bulk) cut into blocks parsed in parallel when the sink stages as a
/// ledger builder does, with the same results as [`read_csv`]; everything
/// else with [`read_csv`].
fn read_file_of(
    kind: RecordKind,
    reader: impl Read + Send,
    source_name: &Path,
    sink: &mut (impl RecordSink + ?Sized),
    block_bytes: usize,
    size: Option<u64>,
) -> Result<()> {
    let staging = match kind {
        RecordKind::Rep => None,
        _ => sink.staging(),
    };
    match (kind, staging) {
        (RecordKind::Contact | RecordKind::Meeting | RecordKind::Sale, Some(staging)) => {
            super::blocks::read_events(kind, reader, source_name, staging, block_bytes, size)
        }
        (RecordKind::Prospect, Some(staging)) => {
            super::blocks::read_prospects(reader, source_name, staging, block_bytes, size)
        }
        _ => read_csv(kind, reader, source_name, sink),
    }
}

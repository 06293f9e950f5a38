//! What an import did with every row (SPEC §12.1): the per-file summary,
//! the skipped rows, and the rejections with each row in its own file.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::error::{Reason, Rejection};
use crate::ingest::stage::{EventBatch, ProspectBatch, Staging};
use crate::ingest::{ContactFields, MeetingFields, ProspectFields, RecordSink, SaleFields};
use crate::model::{RecordKind, Rep};
use crate::table::{Cell, Table};
use crate::time::from_micros;

/// The outcome of an import besides its records: every input row is
/// imported, skipped (with a reason) or rejected (SPEC §3), file by file.
///
/// Records went to the sink with rows numbered within each record kind
/// (a kind fed by several files numbers the later files after the
/// earlier ones); [`summary`](Self::summary) and
/// [`rejections`](Self::rejections) take the ledger's rejections and give
/// each its row in its own file.
#[derive(Debug, Clone, Default)]
pub struct Import {
    files: Vec<FileTally>,
    skipped: Vec<Skipped>,
    /// Rejections of rows that feed no record kind directly (lookup
    /// files), rows in their own file.
    lookup_rejections: Vec<(usize, Rejection)>,
    as_of_us: Option<i64>,
}

/// One input file.
#[derive(Debug, Clone)]
struct FileTally {
    name: String,
    /// The record kinds its rows become, each with the rows of that kind
    /// numbered before the file (from earlier files); none for lookup
    /// files such as `Account.csv`.
    kinds: Vec<(RecordKind, u64)>,
    rows: u64,
    skipped: BTreeMap<String, u64>,
}

impl FileTally {
    /// Rows of `kind` numbered before this file, if its rows become
    /// records of that kind.
    fn offset_of(&self, kind: RecordKind) -> Option<u64> {
        self.kinds.iter().find(|(k, _)| *k == kind).map(|&(_, o)| o)
    }
}

/// A skipped row.
#[derive(Debug, Clone)]
struct Skipped {
    file: usize,
    row: u64,
    id: String,
    reason: String,
}

impl Import {
    /// The as-of instant the import used (`--as-of`, else the latest
    /// valid creation time of any row; `None` when no row has one).
    pub fn as_of(&self) -> Option<DateTime<Utc>> {
        self.as_of_us.map(from_micros)
    }

    /// `import_summary.csv`: `file,rows,imported,skipped,rejected,skip_reason_counts`,
    /// one line per file read, in file-name byte order, with
    /// `rows = imported + skipped + rejected`; `rejections` are the
    /// ledger's (or the strict-mode error's).
    pub fn summary(&self, rejections: &[Rejection]) -> Table {
        let mut rejected = vec![0u64; self.files.len()];
        for r in rejections {
            if let Some((file, _)) = self.locate(r.kind, r.row)
                && let Some(n) = rejected.get_mut(file)
            {
                *n += 1;
            }
        }
        for (file, _) in &self.lookup_rejections {
            if let Some(n) = rejected.get_mut(*file) {
                *n += 1;
            }
        }
        let mut table = Table::new(&[
            "file",
            "rows",
            "imported",
            "skipped",
            "rejected",
            "skip_reason_counts",
        ]);
        let mut lines: Vec<(&FileTally, u64)> = self.files.iter().zip(rejected).collect();
        lines.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        for (f, rejected) in lines {
            let skipped: u64 = f.skipped.values().sum();
            let counts: Vec<String> = f.skipped.iter().map(|(r, n)| format!("{r}={n}")).collect();
            let imported = f.rows.saturating_sub(skipped + rejected);
            table.push(vec![
                Cell::Text(f.name.clone()),
                Cell::Int(f.rows.into()),
                Cell::Int(imported.into()),
                Cell::Int(skipped.into()),
                Cell::Int(rejected.into()),
                Cell::Text(counts.join(";")),
            ]);
        }
        table
    }

    /// `skipped.csv`: `file,row,id,reason`, in file-name byte order, then
    /// row order.
    pub fn skipped(&self) -> Table {
        let mut table = Table::new(&["file", "row", "id", "reason"]);
        let name = |s: &Skipped| self.files.get(s.file).map_or("", |f| f.name.as_str());
        let mut rows: Vec<&Skipped> = self.skipped.iter().collect();
        rows.sort_by(|a, b| (name(a), a.row).cmp(&(name(b), b.row)));
        for s in rows {
            let name = name(s);
            table.push(vec![
                Cell::Text(name.to_owned()),
                Cell::Int(s.row.into()),
                Cell::Text(s.id.clone()),
                Cell::Text(s.reason.clone()),
            ]);
        }
        table
    }

    /// The rejections with each row in its own file (the rejections of
    /// lookup files included), in SPEC §3 order: what `rejections.csv`
    /// holds after an import.
    pub fn rejections(&self, rejections: &[Rejection]) -> Vec<Rejection> {
        let mut out: Vec<Rejection> = rejections
            .iter()
            .map(|r| {
                let row = self.locate(r.kind, r.row).map_or(r.row, |(_, row)| row);
                Rejection { row, ..r.clone() }
            })
            .chain(self.lookup_rejections.iter().map(|(_, r)| r.clone()))
            .collect();
        out.sort();
        out
    }

    /// The file and row in it of row `row` of record kind `kind`.
    fn locate(&self, kind: RecordKind, row: u64) -> Option<(usize, u64)> {
        self.files.iter().enumerate().find_map(|(i, f)| {
            let offset = f.offset_of(kind)?;
            (row > offset && row <= offset + f.rows).then(|| (i, row - offset))
        })
    }
}

/// Feeds a sink while counting every row of every file: the one place
/// that numbers rows and records skips.
pub(super) struct Recorder<'s> {
    sink: &'s mut dyn RecordSink,
    import: Import,
    /// The file being read.
    file: usize,
    /// Rows numbered so far per record kind (`RecordKind::ALL` order).
    numbered: [u64; 5],
}

fn kind_index(kind: RecordKind) -> usize {
    match kind {
        RecordKind::Rep => 0,
        RecordKind::Prospect => 1,
        RecordKind::Contact => 2,
        RecordKind::Meeting => 3,
        RecordKind::Sale => 4,
    }
}

impl<'s> Recorder<'s> {
    pub(super) fn new(sink: &'s mut dyn RecordSink) -> Self {
        Recorder {
            sink,
            import: Import::default(),
            file: 0,
            numbered: [0; 5],
        }
    }

    /// Starts a file whose rows become records of `kind` (`None`: a lookup
    /// file).
    pub(super) fn begin_file(&mut self, name: &str, kind: Option<RecordKind>) {
        self.begin_file_of(name, kind.as_slice());
    }

    /// Starts a file whose rows become records of any of `kinds` (such as
    /// activities that are contacts or meetings): each kind numbers the
    /// file's rows after its rows from earlier files.
    pub(super) fn begin_file_of(&mut self, name: &str, kinds: &[RecordKind]) {
        let kinds = kinds
            .iter()
            .map(|&k| (k, self.numbered.get(kind_index(k)).copied().unwrap_or(0)))
            .collect();
        self.file = self.import.files.len();
        self.import.files.push(FileTally {
            name: name.to_owned(),
            kinds,
            rows: 0,
            skipped: BTreeMap::new(),
        });
    }

    /// Counts row `row` of the current file (every kind of the file keeps
    /// its number for it).
    fn count(&mut self, row: u64) {
        let Some(f) = self.import.files.get_mut(self.file) else {
            return;
        };
        f.rows = f.rows.max(row);
        for &(k, offset) in &f.kinds {
            if let Some(n) = self.numbered.get_mut(kind_index(k)) {
                *n = (*n).max(offset + row);
            }
        }
    }

    /// Counts row `row` of the current file; returns its number within
    /// record kind `kind` (what the sink is given).
    fn row_of(&mut self, kind: RecordKind, row: u64) -> u64 {
        self.count(row);
        let offset = self
            .import
            .files
            .get(self.file)
            .and_then(|f| f.offset_of(kind));
        offset.unwrap_or(0) + row
    }

    /// Skips row `row` of the current file.
    pub(super) fn skip(&mut self, row: u64, id: &str, reason: &str) {
        self.count(row);
        if let Some(f) = self.import.files.get_mut(self.file) {
            match f.skipped.get_mut(reason) {
                Some(n) => *n += 1,
                None => {
                    f.skipped.insert(reason.to_owned(), 1);
                }
            }
        }
        self.import.skipped.push(Skipped {
            file: self.file,
            row,
            id: id.to_owned(),
            reason: reason.to_owned(),
        });
    }

    /// Rejects row `row` of the current file before it is a record.
    pub(super) fn reject(
        &mut self,
        kind: RecordKind,
        row: u64,
        id: &str,
        field: &str,
        reason: Reason,
    ) {
        let numbered = self.row_of(kind, row);
        let own = self
            .import
            .files
            .get(self.file)
            .is_some_and(|f| f.offset_of(kind).is_some());
        let rejection = |row| Rejection {
            kind,
            row,
            id: id.to_owned(),
            field: field.to_owned(),
            reason,
        };
        if own {
            self.sink.reject(rejection(numbered));
        } else {
            self.import
                .lookup_rejections
                .push((self.file, rejection(row)));
        }
    }

    /// Counts a row of a lookup file as used.
    pub(super) fn used(&mut self, row: u64) {
        self.count(row);
    }

    pub(super) fn rep(&mut self, row: u64, rep: Rep) {
        let row = self.row_of(RecordKind::Rep, row);
        self.sink.push_rep(row, rep);
    }

    pub(super) fn prospect(&mut self, row: u64, fields: &ProspectFields<'_>) {
        let row = self.row_of(RecordKind::Prospect, row);
        self.sink.push_prospect(row, fields);
    }

    pub(super) fn contact(&mut self, row: u64, fields: &ContactFields<'_>) {
        let row = self.row_of(RecordKind::Contact, row);
        self.sink.push_contact(row, fields);
    }

    pub(super) fn meeting(&mut self, row: u64, fields: &MeetingFields<'_>) {
        let row = self.row_of(RecordKind::Meeting, row);
        self.sink.push_meeting(row, fields);
    }

    pub(super) fn sale(&mut self, row: u64, fields: &SaleFields<'_>) {
        let row = self.row_of(RecordKind::Sale, row);
        self.sink.push_sale(row, fields);
    }

    pub(super) fn link(&mut self, a: &str, b: &str) {
        self.sink.link(a, b);
    }

    pub(super) fn reserve(&mut self, kind: RecordKind, additional: usize) {
        self.sink.reserve(kind, additional);
    }

    /// The builder's staging area, when the sink is a ledger builder:
    /// rows can then be staged on several threads ([`EventBatch`]).
    pub(super) fn staging(&mut self) -> Option<&mut Staging> {
        self.sink.staging()
    }

    /// Appends prospect records staged off the builder from rows
    /// `base + 1 ..= base + rows` of the current file.
    pub(super) fn append_prospects(&mut self, batch: &mut ProspectBatch, base: u64, rows: u64) {
        if rows == 0 {
            return;
        }
        let numbered = self.row_of(RecordKind::Prospect, base + rows) - rows;
        if let Some(staging) = self.sink.staging() {
            staging.append_prospects(batch, numbered);
        }
    }

    /// Appends events staged off the builder from rows `base + 1 ..=
    /// base + rows` of the current file (the batch numbers them from 1).
    pub(super) fn append_events(
        &mut self,
        kind: RecordKind,
        batch: &mut EventBatch,
        base: u64,
        rows: u64,
    ) {
        if rows == 0 {
            return;
        }
        let numbered = self.row_of(kind, base + rows) - rows;
        if let Some(staging) = self.sink.staging() {
            staging.prepare_batch(kind, batch, numbered);
            staging.split_for_events().1.append(kind, batch, numbered);
        }
    }

    /// The import's outcome, with its as-of instant.
    pub(super) fn finish(mut self, as_of_us: Option<i64>) -> Import {
        self.import.as_of_us = as_of_us;
        self.import
    }
}

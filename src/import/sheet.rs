//! One exported CSV file: headers matched ignoring ASCII case and
//! surrounding spaces, a UTF-8 BOM ignored, rows read one at a time.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// An export file read into memory (its rows are parsed as they are
/// visited).
pub(super) struct Sheet {
    /// The file name as the summary shows it (`Task.csv`).
    pub(super) name: String,
    path: PathBuf,
    bytes: Vec<u8>,
    /// Header names, trimmed and lower-cased.
    headers: Vec<String>,
    delimiter: u8,
    /// Where the first data row starts in `bytes`.
    data_start: usize,
}

/// A column of a sheet, if the sheet has it (an absent column reads as
/// empty cells).
#[derive(Debug, Clone, Copy)]
pub(super) struct Col(Option<usize>);

impl Col {
    /// No column: every cell reads as empty.
    pub(super) const NONE: Col = Col(None);
}

impl Sheet {
    /// Reads `dir/name`; `None` when the file does not exist.
    pub(super) fn open(dir: &Path, name: &str, delimiter: u8) -> Result<Option<Sheet>> {
        let path = dir.join(name);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(Error::Io { path, source }),
        };
        let bytes = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
            Some(rest) => rest.to_vec(),
            None => bytes,
        };
        let mut sheet = Sheet {
            name: name.to_owned(),
            path,
            bytes,
            headers: Vec::new(),
            delimiter,
            data_start: 0,
        };
        let mut reader = sheet.reader();
        let headers = reader.headers().map_err(|e| sheet.malformed(&e))?;
        let headers = headers
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        sheet.data_start = usize::try_from(reader.position().byte()).unwrap_or(0);
        sheet.headers = headers;
        Ok(Some(sheet))
    }

    /// Reads `dir/name`, which must exist.
    pub(super) fn required(dir: &Path, name: &str, delimiter: u8) -> Result<Sheet> {
        Sheet::open(dir, name, delimiter)?.ok_or_else(|| Sheet::missing(dir, name))
    }

    /// The error for a required file `dir/name` that is missing.
    pub(super) fn missing(dir: &Path, name: &str) -> Error {
        Error::Io {
            path: dir.join(name),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "required file of the export is missing",
            ),
        }
    }

    fn reader(&self) -> csv::Reader<&[u8]> {
        csv::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .flexible(true)
            .from_reader(&self.bytes[..])
    }

    fn malformed(&self, e: &csv::Error) -> Error {
        let position = e
            .position()
            .map(|p| format!("line {}, byte {}", p.line(), p.byte()))
            .unwrap_or_else(|| "header".to_owned());
        Error::Malformed {
            path: self.path.clone(),
            position,
            message: e.to_string(),
        }
    }

    /// The column named `name` (ignoring ASCII case), if present.
    pub(super) fn col(&self, name: &str) -> Col {
        Col(self
            .headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name)))
    }

    /// The first of `names` the sheet has.
    pub(super) fn col_of(&self, names: &[&str]) -> Col {
        names
            .iter()
            .map(|n| self.col(n))
            .find(|c| c.0.is_some())
            .unwrap_or(Col(None))
    }

    /// The column named `name`, which the mapping requires.
    pub(super) fn required_col(&self, name: &str) -> Result<Col> {
        let col = self.col(name);
        match col.0 {
            Some(_) => Ok(col),
            None => Err(Error::MissingColumn {
                path: self.path.clone(),
                column: name.to_owned(),
            }),
        }
    }

    /// Whether the sheet has a column.
    pub(super) fn has(&self, col: Col) -> bool {
        col.0.is_some()
    }

    /// Calls `f(row, cells)` for every data row (1-based, a quoted field
    /// holding a newline still one row).
    pub(super) fn rows(&self, mut f: impl FnMut(u64, &Row<'_>) -> Result<()>) -> Result<()> {
        let mut reader = self.reader();
        let mut record = csv::StringRecord::new();
        let mut row = 0u64;
        loop {
            match reader.read_record(&mut record) {
                Ok(false) => return Ok(()),
                Ok(true) => {
                    row += 1;
                    f(row, &Row(&record))?;
                }
                Err(e) => return Err(self.malformed(&e)),
            }
        }
    }

    /// The data rows cut into about `n` parts of similar size, each
    /// ending at the end of a row (a newline inside a quoted field does
    /// not end one): parts can be read on several threads, their rows
    /// numbered after those of the parts before.
    pub(super) fn parts(&self, n: usize) -> Vec<Part<'_>> {
        let data = self.bytes.get(self.data_start..).unwrap_or_default();
        let target = data.len() / n.max(1) + 1;
        let mut parts = Vec::new();
        let mut start = 0;
        // Quotes seen before `start`: an odd count means inside a field.
        let mut inside = false;
        while start < data.len() {
            let want = (start + target).min(data.len());
            let mut end = data.len();
            let mut quoted = inside;
            let rest = data.get(start..).unwrap_or_default();
            for i in memchr::memchr2_iter(b'"', b'\n', rest).map(|i| i + start) {
                if data.get(i) == Some(&b'"') {
                    quoted = !quoted;
                } else if !quoted && i + 1 >= want {
                    end = i + 1;
                    break;
                }
            }
            inside = quoted;
            parts.push(Part {
                offset: self.data_start + start,
                bytes: data.get(start..end).unwrap_or_default(),
            });
            start = end;
        }
        parts
    }

    /// Calls `f(row, cells)` for every row of `part`, rows numbered from 1
    /// within it; returns how many rows it holds.
    pub(super) fn part_rows(
        &self,
        part: &Part<'_>,
        mut f: impl FnMut(u64, &Row<'_>),
    ) -> Result<u64> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .flexible(true)
            .has_headers(false)
            .from_reader(part.bytes);
        let mut record = csv::StringRecord::new();
        let mut row = 0u64;
        loop {
            match reader.read_record(&mut record) {
                Ok(false) => return Ok(row),
                Ok(true) => {
                    row += 1;
                    f(row, &Row(&record));
                }
                Err(e) => {
                    let at = e.position().map_or(0, |p| p.byte()) as usize + part.offset;
                    return Err(Error::Malformed {
                        path: self.path.clone(),
                        position: format!("byte {at}"),
                        message: e.to_string(),
                    });
                }
            }
        }
    }

    /// The file's size in bytes.
    pub(super) fn approximate_bytes(&self) -> usize {
        self.bytes.len()
    }

    /// Data rows (a count, for reserving).
    pub(super) fn approximate_rows(&self) -> usize {
        memchr::memchr_iter(b'\n', &self.bytes).count()
    }
}

/// The cells of one data row.
pub(super) struct Row<'a>(&'a csv::StringRecord);

impl<'a> Row<'a> {
    /// The cell of `col` (empty when the column or the cell is absent).
    pub(super) fn get(&self, col: Col) -> &'a str {
        col.0.and_then(|i| self.0.get(i)).unwrap_or("")
    }
}

/// A run of whole data rows of a sheet (see [`Sheet::parts`]).
pub(super) struct Part<'s> {
    /// Where it starts in the file (for error positions).
    offset: usize,
    bytes: &'s [u8],
}

//! Where records come from: the [`RecordSource`] trait, CSV records and
//! SPEC §2 prospect records.

use crate::error::{Error, Result};
use crate::intern::TextColumn;

use super::ProspectRecords;

/// Records to deduplicate: ids and values by column.
///
/// Implemented for [`CsvRecords`], for SPEC §2 prospect records
/// (`[ProspectRecord]`, `Vec<ProspectRecord>`, columns `name`, `company`,
/// `email`, `phone`, `city`, `country`) and for a ledger's accepted
/// prospect records with the same columns
/// ([`Ledger::record_source`](crate::Ledger::record_source), what a
/// [`Deduplicate`](super::Deduplicate) reads). Implement it over a CRM's own
/// types to deduplicate them in place, without building CSV text: a
/// [`Profile`](super::Profile)'s fields name the columns they read, and
/// [`RecordSource::column`] maps those names onto the type's fields.
///
/// ```
/// use sales_metrics::dedup::{Dedup, FieldKind, FieldSpec, Profile, RecordSource};
///
/// /// A CRM's own lead type, nothing like SPEC's columns.
/// struct Lead {
///     id: String,
///     first: String,
///     last: String,
///     mail: Option<String>,
/// }
///
/// struct Leads(Vec<Lead>);
///
/// impl RecordSource for Leads {
///     fn len(&self) -> usize {
///         self.0.len()
///     }
///     fn id(&self, record: usize) -> &str {
///         &self.0[record].id
///     }
///     fn column(&self, name: &str) -> Option<usize> {
///         ["first", "last", "mail"].iter().position(|c| *c == name)
///     }
///     fn value(&self, record: usize, column: usize) -> Option<&str> {
///         let lead = self.0.get(record)?;
///         match column {
///             0 => Some(lead.first.as_str()),
///             1 => Some(lead.last.as_str()),
///             _ => lead.mail.as_deref(),
///         }
///         .filter(|v| !v.is_empty())
///     }
/// }
///
/// let lead = |id: &str, first: &str, last: &str, mail: Option<&str>| Lead {
///     id: id.into(),
///     first: first.into(),
///     last: last.into(),
///     mail: mail.map(String::from),
/// };
/// let leads = Leads(vec![
///     lead("L1", "Ana", "Marin", Some("ana.marin@delta.ro")),
///     lead("L2", "ANA", "MARIN", Some("Ana.Marin@Delta.ro")),
///     lead("L3", "Dan", "Marin", Some("dan@delta.ro")),
/// ]);
/// let profile = Profile::new(vec![
///     FieldSpec::new("first", FieldKind::GivenName),
///     FieldSpec::new("last", FieldKind::Surname),
///     FieldSpec::new("mail", FieldKind::Email),
/// ])?;
/// let result = Dedup::new(profile).run(&leads)?;
/// assert_eq!(result.cluster_id("L2"), Some("L1"));
/// assert_eq!(result.cluster_id("L3"), Some("L3"));
/// # Ok::<(), sales_metrics::Error>(())
/// ```
pub trait RecordSource: Sync {
    /// Number of records.
    fn len(&self) -> usize;
    /// Whether there are none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The id of record `record` (unique).
    fn id(&self, record: usize) -> &str;
    /// The index of the column named `name`, if the source has it.
    fn column(&self, name: &str) -> Option<usize>;
    /// The value of `column` in `record` (`None` when absent or empty).
    fn value(&self, record: usize, column: usize) -> Option<&str>;
}

const PROSPECT_COLUMNS: [&str; 6] = ["name", "company", "email", "phone", "city", "country"];

impl RecordSource for ProspectRecords {
    fn len(&self) -> usize {
        ProspectRecords::len(self)
    }

    fn id(&self, record: usize) -> &str {
        self.prospect_id(record).unwrap_or_default()
    }

    fn column(&self, name: &str) -> Option<usize> {
        PROSPECT_COLUMNS.iter().position(|c| *c == name)
    }

    fn value(&self, record: usize, column: usize) -> Option<&str> {
        // One column read, not the whole record: a deduplicator reads
        // every value through this (dynamic) call.
        self.text(column, record).filter(|s| !s.is_empty())
    }
}

fn prospect_value(r: &crate::model::ProspectRecord, column: usize) -> Option<&str> {
    match column {
        0 => r.name.as_deref(),
        1 => r.company.as_deref(),
        2 => r.email.as_deref(),
        3 => r.phone.as_deref(),
        4 => r.city.as_deref(),
        5 => r.country.as_deref(),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

impl RecordSource for [crate::model::ProspectRecord] {
    fn len(&self) -> usize {
        <[crate::model::ProspectRecord]>::len(self)
    }

    fn id(&self, record: usize) -> &str {
        self.get(record).map_or("", |r| r.prospect_id.as_str())
    }

    fn column(&self, name: &str) -> Option<usize> {
        PROSPECT_COLUMNS.iter().position(|c| *c == name)
    }

    fn value(&self, record: usize, column: usize) -> Option<&str> {
        self.get(record).and_then(|r| prospect_value(r, column))
    }
}

impl RecordSource for Vec<crate::model::ProspectRecord> {
    fn len(&self) -> usize {
        self.as_slice().len()
    }

    fn id(&self, record: usize) -> &str {
        RecordSource::id(self.as_slice(), record)
    }

    fn column(&self, name: &str) -> Option<usize> {
        RecordSource::column(self.as_slice(), name)
    }

    fn value(&self, record: usize, column: usize) -> Option<&str> {
        RecordSource::value(self.as_slice(), record, column)
    }
}

/// Text records read from CSV (or pushed row by row): one id column and
/// any other columns, by header name.
#[derive(Debug, Clone, Default)]
pub struct CsvRecords {
    headers: Vec<String>,
    id_column: usize,
    columns: Vec<TextColumn>,
    rows: usize,
}

impl CsvRecords {
    /// No records, with these column names; `id_column` names the id.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `id_column` is not among `headers`.
    pub fn new(headers: Vec<String>, id_column: &str) -> Result<Self> {
        let id = headers.iter().position(|h| h == id_column).ok_or_else(|| {
            Error::invalid(
                "id column",
                format!("`{id_column}` is not among the columns {headers:?}"),
            )
        })?;
        Ok(Self {
            columns: vec![TextColumn::default(); headers.len()],
            headers,
            id_column: id,
            rows: 0,
        })
    }

    /// Appends a row (values in header order; missing trailing values are
    /// absent, extra values ignored).
    pub fn push_row<'a>(&mut self, values: impl IntoIterator<Item = &'a str>) {
        let mut it = values.into_iter();
        for c in &mut self.columns {
            c.push(it.next().filter(|v| !v.is_empty()));
        }
        self.rows += 1;
    }

    /// Reads CSV with a header row; `id_column` names the id column.
    /// Errors name the input `<memory>`; [`CsvRecords::from_csv_named`]
    /// names the file.
    ///
    /// # Errors
    /// As [`CsvRecords::from_csv_named`].
    pub fn from_csv<R: std::io::Read>(reader: R, id_column: &str) -> Result<Self> {
        Self::from_csv_named(reader, std::path::Path::new("<memory>"), id_column)
    }

    /// Reads CSV with a header row from `reader`, whose file `source_name`
    /// names in errors; `id_column` names the id column. Quoting is the
    /// csv crate's (RFC 4180), as for [`read_csv`](crate::ingest::read_csv).
    ///
    /// # Errors
    /// [`Error::Malformed`] naming `source_name` and the line and byte for
    /// invalid UTF-8 or a quoted field that is never closed (which would
    /// swallow the rest of the file); [`Error::MissingColumn`] naming
    /// `source_name` when the header has no `id_column`; [`Error::Io`]
    /// naming `source_name` when reading fails.
    ///
    /// # Example
    /// ```
    /// use std::path::Path;
    /// use sales_metrics::dedup::CsvRecords;
    ///
    /// let err = CsvRecords::from_csv_named("id,name\n".as_bytes(), Path::new("people.csv"), "rec_id")
    ///     .unwrap_err();
    /// assert_eq!(err.to_string(), "people.csv: missing required column `rec_id`");
    /// ```
    pub fn from_csv_named<R: std::io::Read>(
        reader: R,
        source_name: &std::path::Path,
        id_column: &str,
    ) -> Result<Self> {
        let mut rdr = crate::ingest::RecordReader::file(reader);
        let mut rec = csv::StringRecord::new();
        let headers: Vec<String> = match rdr.next(&mut rec, source_name)? {
            Some(_) => rec
                .iter()
                .map(|h| h.trim_start_matches('\u{feff}').to_owned())
                .collect(),
            None => Vec::new(),
        };
        if !headers.iter().any(|h| h == id_column) {
            return Err(Error::MissingColumn {
                path: source_name.to_owned(),
                column: id_column.to_owned(),
            });
        }
        let mut t = CsvRecords::new(headers, id_column)?;
        while rdr.next(&mut rec, source_name)?.is_some() {
            t.push_row(rec.iter());
        }
        Ok(t)
    }

    /// Column names.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }
}

impl RecordSource for CsvRecords {
    fn len(&self) -> usize {
        self.rows
    }

    fn id(&self, record: usize) -> &str {
        self.columns
            .get(self.id_column)
            .and_then(|c| c.get(record))
            .unwrap_or("")
    }

    fn column(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }

    fn value(&self, record: usize, column: usize) -> Option<&str> {
        self.columns.get(column).and_then(|c| c.get(record))
    }
}

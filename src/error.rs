//! The crate's [`Error`], and [`Rejection`]: one input record that did not
//! make it into the ledger, with where it was and why (SPEC §3).

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::model::RecordKind;

/// Why a record was rejected, checked in this order (SPEC §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// A required field is absent (empty cell, or empty id in Rust values).
    MissingField,
    /// A time is not RFC 3339 with an offset.
    BadTime,
    /// An integer is not an optional sign and ASCII digits fitting `i64`.
    BadNumber,
    /// An enumeration value is not one of the listed ones.
    UnknownEnum,
    /// An amount, duration or daily target is negative.
    NegativeNumber,
    /// `logged_at` is earlier than `occurred_at`.
    LoggedBeforeOccurred,
    /// A rep reference names no accepted rep.
    UnknownRep,
    /// A prospect reference names no accepted prospect record.
    UnknownProspect,
    /// The id repeats an id already accepted for that kind.
    DuplicateId,
}

impl Reason {
    /// Every reason, in checking order.
    pub const ALL: [Reason; 9] = [
        Reason::MissingField,
        Reason::BadTime,
        Reason::BadNumber,
        Reason::UnknownEnum,
        Reason::NegativeNumber,
        Reason::LoggedBeforeOccurred,
        Reason::UnknownRep,
        Reason::UnknownProspect,
        Reason::DuplicateId,
    ];

    /// The reason code of SPEC §3 (`missing_field`, `bad_time`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            Reason::MissingField => "missing_field",
            Reason::BadTime => "bad_time",
            Reason::BadNumber => "bad_number",
            Reason::UnknownEnum => "unknown_enum",
            Reason::NegativeNumber => "negative_number",
            Reason::LoggedBeforeOccurred => "logged_before_occurred",
            Reason::UnknownRep => "unknown_rep",
            Reason::UnknownProspect => "unknown_prospect",
            Reason::DuplicateId => "duplicate_id",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One input record that was not accepted, and why.
///
/// `row` is the 1-based data row of its CSV file (header not counted), or
/// the 1-based position in a JSON array or Rust collection.
///
/// Rejections have one order, everywhere (the ledger's list, `rejections.csv`
/// and `.json`, tables): by kind *name* (`contact`, `meeting`, `prospect`,
/// `rep`, `sale`), then row, id, field and reason.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Rejection {
    /// Record kind: `rep`, `prospect`, `contact`, `meeting`, `sale`.
    pub kind: RecordKind,
    /// 1-based row or position.
    pub row: u64,
    /// The record's id (empty if missing).
    pub id: String,
    /// The field at fault (SPEC §2 column name).
    pub field: String,
    /// The reason code.
    pub reason: Reason,
}

impl Ord for Rejection {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (
            self.kind.as_str(),
            self.row,
            &self.id,
            &self.field,
            self.reason,
        )
            .cmp(&(
                other.kind.as_str(),
                other.row,
                &other.id,
                &other.field,
                other.reason,
            ))
    }
}

impl PartialOrd for Rejection {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} row {} (id {:?}): field `{}`: {}",
            self.kind, self.row, self.id, self.field, self.reason
        )
    }
}

/// A non-fatal remark made while building a ledger, for example an id in a
/// supplied prospect partition that names no accepted record (SPEC §4).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Warning {
    /// Where it arose, for example `prospect_clusters.csv row 4`.
    pub location: String,
    /// What was noticed.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be opened, read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A file lacks a required column (SPEC §3).
    #[error("{}: missing required column `{column}`", path.display())]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column.
        column: String,
    },
    /// A file could not be parsed or decoded (malformed CSV or JSON, invalid
    /// UTF-8); `position` says where.
    #[error("{}: {position}: {message}", path.display())]
    Malformed {
        /// The file (or `<memory>` for in-memory input).
        path: PathBuf,
        /// Where: line, byte offset, row as known.
        position: String,
        /// What is wrong.
        message: String,
    },
    /// Strict mode: at least one record was rejected; all rejections are here.
    #[error("{} record(s) rejected in strict mode; first: {}", rejections.len(), first_rejection(rejections))]
    Rejected {
        /// Every rejection, in [`Rejection`]'s order.
        rejections: Vec<Rejection>,
    },
    /// Writing to a caller-supplied writer failed. The crate does not know
    /// which file that writer is; [`Error::in_file`] turns this error into
    /// an [`Error::Io`] naming it. Functions that create their files
    /// themselves return [`Error::Io`] directly.
    #[error("cannot write {what}: {source}")]
    Write {
        /// What was being written (`rejections CSV`, `table JSON`, …).
        what: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A caller-supplied argument or setting is invalid.
    #[error("invalid {what}: {reason}")]
    InvalidArgument {
        /// Which argument.
        what: String,
        /// Why it is invalid.
        reason: String,
    },
}

fn first_rejection(rejections: &[Rejection]) -> String {
    rejections
        .first()
        .map_or_else(|| "none".to_owned(), ToString::to_string)
}

impl Error {
    /// Shorthand for [`Error::InvalidArgument`].
    pub fn invalid(what: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidArgument {
            what: what.into(),
            reason: reason.into(),
        }
    }

    /// Shorthand for [`Error::Write`].
    pub fn write(what: impl Into<String>, source: impl Into<std::io::Error>) -> Self {
        Error::Write {
            what: what.into(),
            source: source.into(),
        }
    }

    /// Names the file of an [`Error::Write`] (raised by a writer function
    /// that was handed a writer, not a path): it becomes an [`Error::Io`]
    /// for `path`. Every other error is returned unchanged.
    ///
    /// ```
    /// use std::path::Path;
    /// use sales_metrics::Error;
    ///
    /// let e = Error::write("rejections CSV", std::io::Error::other("disk full"));
    /// assert_eq!(e.to_string(), "cannot write rejections CSV: disk full");
    /// let e = e.in_file(Path::new("out/rejections.csv"));
    /// assert_eq!(e.to_string(), "out/rejections.csv: disk full");
    /// ```
    #[must_use]
    pub fn in_file(self, path: impl Into<PathBuf>) -> Self {
        match self {
            Error::Write { source, .. } => Error::io(path, source),
            other => other,
        }
    }

    /// Shorthand for [`Error::Io`].
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

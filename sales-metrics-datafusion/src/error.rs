//! The crate's `Error`.

use std::path::PathBuf;

/// What can go wrong computing the metrics on DataFusion.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A record kind's file or folder is not there.
    #[error("{0}: no such file or folder of records")]
    MissingFile(PathBuf),
    /// A file lacks a required SPEC §2 column.
    #[error("{file}: required column `{column}` is missing")]
    MissingColumn {
        /// The file.
        file: PathBuf,
        /// The column.
        column: &'static str,
    },
    /// A file or folder could not be read or written.
    #[error("{0}: {1}")]
    Io(PathBuf, #[source] std::io::Error),
    /// A record breaks a SPEC §3 rule that the engine path does not
    /// repair (it reads valid records only): the kind, the id, the field
    /// and the reason code.
    #[error("{kind} {id:?}: {field}: {reason}")]
    Invalid {
        /// The record kind (`contact`, …).
        kind: &'static str,
        /// The record's id.
        id: String,
        /// The field.
        field: &'static str,
        /// The SPEC §3 reason code (`unknown_rep`, `duplicate_id`, …).
        reason: &'static str,
    },
    /// What was asked is outside what the engine path computes (custom
    /// period ranges).
    #[error("not supported on the engine path: {0}")]
    Unsupported(String),
    /// A query result had an unexpected shape (a bug, reported rather
    /// than a panic).
    #[error("unexpected result: {0}")]
    Shape(String),
    /// A Ballista scheduler or executor failed to start or be reached.
    #[error("cluster: {0}")]
    Cluster(String),
    /// The query engine failed.
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// Arrow failed.
    #[error(transparent)]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
    /// The core crate failed (writing a table).
    #[error(transparent)]
    Core(#[from] sales_metrics::Error),
}

/// `Result` with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

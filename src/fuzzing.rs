//! **Not part of the API**: for the fuzz harness only (`tests/fuzz.rs`,
//! `tests/hostile_csv.rs` and the cargo-fuzz crate `fuzz/`), behind the
//! non-default, unstable cargo feature `fuzzing`. Anything here may change
//! or vanish in any release.
//!
//! It exposes the crate-private cell parsers, so that the fuzz targets can
//! compare them with `chrono` and a CSV oracle, and the block CSV reader
//! with a chosen block size, so that block boundaries fall everywhere.

use std::io::Read;
use std::path::Path;

use crate::error::Result;
use crate::ingest::RecordSink;
use crate::model::RecordKind;

/// A SPEC §2 time as µs since the Unix epoch, or `None` when the cell is
/// not one (the crate's own parser).
pub fn parse_time_micros(s: &str) -> Option<i64> {
    crate::ingest::parse::parse_time_micros(s)
}

/// A SPEC §2 integer cell, or `None` when the cell is not one.
pub fn parse_i64(s: &str) -> Option<i64> {
    crate::ingest::parse::parse_i64(s)
}

/// The canonical text of the instant `us` (µs since the epoch).
pub fn format_time_micros(us: i64) -> String {
    crate::ingest::parse::format_time_micros(us)
}

/// Reads one SPEC §2 CSV file of `kind` into `sink` as
/// [`read_csv_folder`](crate::ingest::read_csv_folder) reads it, with blocks of
/// about `block_bytes` bytes.
///
/// # Errors
/// Those of [`read_csv`](crate::ingest::read_csv).
pub fn read_csv_in_blocks(
    kind: RecordKind,
    reader: impl Read + Send,
    source_name: &Path,
    sink: &mut (impl RecordSink + ?Sized),
    block_bytes: usize,
) -> Result<()> {
    crate::ingest::read_csv_in_blocks(kind, reader, source_name, sink, block_bytes)
}
